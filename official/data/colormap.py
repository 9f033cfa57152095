"""Colour palettes of the segmentation datasets and label visualisation.

The tables are those of the original DeepLab (reference §9): PASCAL VOC's
bit-interleaved palette (512 entries, also used for unknown datasets),
Cityscapes' train-id colours (256 entries) and the ADE20K scene-parsing
palette (151 entries).

Example:
  >>> label_to_color_image(np.array([[0, 1], [15, 255]]), 'pascal')[1, 1]
  array([224, 224, 192], dtype=uint8)
"""

import numpy as np

_CITYSCAPES_COLORS = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156),
    (190, 153, 153), (153, 153, 153), (250, 170, 30), (220, 220, 0),
    (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60),
    (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100),
    (0, 0, 230), (119, 11, 32),
)

# The MIT scene-parsing palette, with black for class 0 ("other").
_ADE20K_COLORS = (
    (0, 0, 0), (120, 120, 120), (180, 120, 120), (6, 230, 230),
    (80, 50, 50), (4, 200, 3), (120, 120, 80), (140, 140, 140),
    (204, 5, 255), (230, 230, 230), (4, 250, 7), (224, 5, 255),
    (235, 255, 7), (150, 5, 61), (120, 120, 70), (8, 255, 51),
    (255, 6, 82), (143, 255, 140), (204, 255, 4), (255, 51, 7),
    (204, 70, 3), (0, 102, 200), (61, 230, 250), (255, 6, 51),
    (11, 102, 255), (255, 7, 71), (255, 9, 224), (9, 7, 230),
    (220, 220, 220), (255, 9, 92), (112, 9, 255), (8, 255, 214),
    (7, 255, 224), (255, 184, 6), (10, 255, 71), (255, 41, 10),
    (7, 255, 255), (224, 255, 8), (102, 8, 255), (255, 61, 6),
    (255, 194, 7), (255, 122, 8), (0, 255, 20), (255, 8, 41),
    (255, 5, 153), (6, 51, 255), (235, 12, 255), (160, 150, 20),
    (0, 163, 255), (140, 140, 140), (250, 10, 15), (20, 255, 0),
    (31, 255, 0), (255, 31, 0), (255, 224, 0), (153, 255, 0),
    (0, 0, 255), (255, 71, 0), (0, 235, 255), (0, 173, 255),
    (31, 0, 255), (11, 200, 200), (255, 82, 0), (0, 255, 245),
    (0, 61, 255), (0, 255, 112), (0, 255, 133), (255, 0, 0),
    (255, 163, 0), (255, 102, 0), (194, 255, 0), (0, 143, 255),
    (51, 255, 0), (0, 82, 255), (0, 255, 41), (0, 255, 173),
    (10, 0, 255), (173, 255, 0), (0, 255, 153), (255, 92, 0),
    (255, 0, 255), (255, 0, 245), (255, 0, 102), (255, 173, 0),
    (255, 0, 20), (255, 184, 184), (0, 31, 255), (0, 255, 61),
    (0, 71, 255), (255, 0, 204), (0, 255, 194), (0, 255, 82),
    (0, 10, 255), (0, 112, 255), (51, 0, 255), (0, 194, 255),
    (0, 122, 255), (0, 255, 163), (255, 153, 0), (0, 255, 10),
    (255, 112, 0), (143, 255, 0), (82, 0, 255), (163, 255, 0),
    (255, 235, 0), (8, 184, 170), (133, 0, 255), (0, 255, 92),
    (184, 0, 255), (255, 0, 31), (0, 184, 255), (0, 214, 255),
    (255, 0, 112), (92, 255, 0), (0, 224, 255), (112, 224, 255),
    (70, 184, 160), (163, 0, 255), (153, 0, 255), (71, 255, 0),
    (255, 0, 163), (255, 204, 0), (255, 0, 143), (0, 255, 235),
    (133, 255, 0), (255, 0, 235), (245, 0, 255), (255, 0, 122),
    (255, 245, 0), (10, 190, 212), (214, 255, 0), (0, 204, 255),
    (20, 0, 255), (255, 255, 0), (0, 153, 255), (0, 41, 255),
    (0, 255, 204), (41, 0, 255), (41, 255, 0), (173, 0, 255),
    (0, 245, 255), (71, 0, 255), (122, 0, 255), (0, 255, 184),
    (0, 92, 255), (184, 255, 0), (0, 133, 255), (255, 214, 0),
    (25, 194, 194), (102, 255, 0), (92, 0, 255),
)


def pascal_colormap():
  """The PASCAL VOC palette: [512, 3] uint8.

  Label bits are spread over the colour channels from the most significant
  bit down: bit 3k+c of the label sets bit 7-k of channel c.
  """
  labels = np.arange(512)
  colormap = np.zeros((512, 3), dtype=np.int64)
  for shift in range(7, -1, -1):
    for channel in range(3):
      colormap[:, channel] |= ((labels >> channel) & 1) << shift
    labels >>= 3
  return colormap.astype(np.uint8)


def cityscapes_colormap():
  """The Cityscapes train-id palette: [256, 3] uint8, black beyond id 18."""
  colormap = np.zeros((256, 3), dtype=np.uint8)
  colormap[:len(_CITYSCAPES_COLORS)] = _CITYSCAPES_COLORS
  return colormap


def ade20k_colormap():
  """The ADE20K palette: [151, 3] uint8."""
  return np.array(_ADE20K_COLORS, dtype=np.uint8)


COLORMAPS = {
    'pascal': pascal_colormap,
    'cityscapes': cityscapes_colormap,
    'ade20k': ade20k_colormap,
}


def label_to_color_image(label, colormap='pascal'):
  """Colours a 2-D label map.

  Args:
    label: an integer array [H, W].
    colormap: a name in `COLORMAPS`.

  Returns:
    A uint8 array [H, W, 3].

  Raises:
    ValueError: if `label` is not 2-D, has negative values or values beyond
      the palette, or `colormap` is unknown.
  """
  if colormap not in COLORMAPS:
    raise ValueError(f'Unknown colormap {colormap!r}; expected one of '
                     f'{", ".join(sorted(COLORMAPS))}.')
  label = np.asarray(label)
  if label.ndim != 2:
    raise ValueError(f'Expected a 2-D label map, got shape {label.shape}.')
  table = COLORMAPS[colormap]()
  if label.size and (label.min() < 0 or label.max() >= len(table)):
    raise ValueError(
        f'Label values must be in [0, {len(table)}) for the {colormap} '
        f'colormap, got [{label.min()}, {label.max()}].')
  return table[label]
