"""Reading and checking image and mask files before they become examples.

Every problem is a `BadSampleError` whose message starts with the file's
path, so that a converter can stop on it or skip it and say why.
"""

import dataclasses
import io

import numpy as np
from PIL import Image

# The encodings the examples may hold (reference §8.1), by PIL format name.
_IMAGE_FORMATS = {'JPEG': 'jpeg', 'PNG': 'png'}
# Masks whose pixel values are class indices: palette ('P', read as palette
# indices, never as colours) and 8-bit grayscale.
_INDEX_MASK_MODES = ('P', 'L')


class BadSampleError(ValueError):
  """An image or mask that cannot become a training example."""


def _open(path):
  """The file's bytes and its PIL image, fully decoded."""
  try:
    with open(path, 'rb') as f:
      data = f.read()
  except FileNotFoundError:
    raise BadSampleError(f'{path}: no such file.') from None
  except OSError as error:
    raise BadSampleError(f'{path}: cannot read ({error}).') from None
  try:
    image = Image.open(io.BytesIO(data))
    # Decoding everything is what finds truncated or corrupt data.
    image.load()
  except (OSError, SyntaxError, ValueError) as error:
    raise BadSampleError(
        f'{path}: corrupt or truncated image file ({error}).') from None
  return data, image


@dataclasses.dataclass(frozen=True)
class RgbImage:
  """An image file's bytes, encoding and decoded pixels."""
  data: bytes
  format: str
  pixels: np.ndarray

  @property
  def height(self):
    return self.pixels.shape[0]

  @property
  def width(self):
    return self.pixels.shape[1]


def read_rgb_image(path):
  """Reads and fully decodes an RGB JPEG or PNG.

  Args:
    path: the image file.

  Returns:
    An `RgbImage`: the file's bytes, 'jpeg' or 'png', uint8 pixels [H, W, 3].

  Raises:
    BadSampleError: if the file is missing, corrupt or truncated, not a
      JPEG/PNG, or not 3-channel RGB (grayscale, CMYK, RGBA, palette...).
  """
  data, image = _open(path)
  if image.format not in _IMAGE_FORMATS:
    raise BadSampleError(
        f'{path}: {image.format} image; expected JPEG or PNG.')
  if image.mode != 'RGB':
    raise BadSampleError(
        f'{path}: image mode {image.mode}; expected an RGB image '
        '(convert grayscale, CMYK, RGBA or palette images to RGB).')
  return RgbImage(data, _IMAGE_FORMATS[image.format], np.asarray(image))


def read_index_mask(path):
  """Reads a mask whose pixel values are class indices.

  Palette PNGs (VOC's `SegmentationClass`) give their palette indices, not
  their colours.

  Args:
    path: the mask file.

  Returns:
    A uint8 array [H, W].

  Raises:
    BadSampleError: if the file is missing, corrupt or truncated, or holds
      colours (RGB/RGBA) or anything but 8-bit indices.
  """
  _, mask = _open(path)
  if mask.mode in ('RGB', 'RGBA'):
    raise BadSampleError(
        f'{path}: an {mask.mode} colour mask where an index mask is expected '
        '(a palette or 8-bit grayscale PNG of class indices).')
  if mask.mode not in _INDEX_MASK_MODES:
    raise BadSampleError(
        f'{path}: mask mode {mask.mode}; expected a palette or 8-bit '
        'grayscale PNG of class indices.')
  return np.asarray(mask, dtype=np.uint8)


def check_label_values(label, num_classes, ignore_label, path):
  """Raises `BadSampleError` unless every value is a class or `ignore_label`.

  Args:
    label: an integer array.
    num_classes: classes are 0 .. num_classes - 1.
    ignore_label: the one other value allowed.
    path: the file the label came from, for the message.
  """
  values = np.unique(label)
  bad = values[((values < 0) | (values >= num_classes)) &
               (values != ignore_label)]
  if bad.size:
    shown = ', '.join(str(v) for v in bad[:8]) + (', ...' if bad.size > 8
                                                   else '')
    raise BadSampleError(
        f'{path}: mask values {shown} outside [0, {num_classes}) and not the '
        f'ignore label {ignore_label}.')


def encode_png(label):
  """PNG bytes of a uint8 label array [H, W] (single channel)."""
  buffer = io.BytesIO()
  Image.fromarray(np.asarray(label, dtype=np.uint8)).save(buffer, format='PNG')
  return buffer.getvalue()
