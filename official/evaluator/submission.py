"""PASCAL VOC 2012 test-server submissions.

The devkit (§5.3) asks for one indexed (palette) PNG per test image, with
the ground truth's colour map, pixel values 0-20 (no 255), the image's own
size, in results/VOC2012/Segmentation/comp6_test_cls/<image id>.png (comp6:
any training data but the test images, which covers SBD and COCO), uploaded
as a .tar.gz of that folder.

  submission = VocSubmission('predictions/voc_test')
  submission.add('2008_000001', labels, image_size=(375, 500))
  archive = submission.pack()   # predictions/voc_test/results.tar.gz

`write` does it for a list of images and a predictor (official.predict
--voc_submission).
"""

import io
import os
import tarfile

import numpy as np
from PIL import Image

from official.data import colormap
from official.data import voc

RESULTS_DIR = os.path.join('results', 'VOC2012', 'Segmentation',
                           'comp6_test_cls')
ARCHIVE = 'results.tar.gz'


def test_image_paths(root, flag='--input'):
  """The JPEGImages of the ids in ImageSets/Segmentation/test.txt.

  Args:
    root: a VOC2012 folder or one above it (`voc.find_voc2012`).
    flag: names `root` in errors.

  Raises:
    FileNotFoundError: if there is no VOC2012 folder or no test.txt.
  """
  voc_dir = voc.find_voc2012(root, flag)
  return [sample.image_path for sample in voc.test_samples(voc_dir)]


def palette_png(labels):
  """Palette PNG bytes of uint8 labels [H, W] in the VOC colour map."""
  image = Image.fromarray(np.asarray(labels, np.uint8))
  image.putpalette(colormap.pascal_colormap()[:256].flatten().tolist())
  buffer = io.BytesIO()
  image.save(buffer, format='PNG')
  return buffer.getvalue()


class VocSubmission:
  """The results folder of one submission and its archive."""

  def __init__(self, output_dir):
    self.output_dir = output_dir
    self.results_dir = os.path.join(output_dir, RESULTS_DIR)
    self.image_ids = []

  def add(self, image_id, labels, image_size):
    """Writes one image's PNG.

    Args:
      image_id: the test id, e.g. '2008_000001'.
      labels: integer labels [H, W] of the image.
      image_size: (height, width) of the image.

    Raises:
      ValueError: naming the image, for labels of another size, values
        outside 0-20, or an id already added.
    """
    labels = np.asarray(labels)
    if labels.shape != tuple(image_size):
      raise ValueError(f'{image_id}: labels {labels.shape} for an image of '
                       f'size {tuple(image_size)}.')
    if labels.size and (labels.min() < 0 or
                        labels.max() >= voc.INFO.num_classes):
      raise ValueError(
          f'{image_id}: label values {labels.min()}..{labels.max()}; the VOC '
          f'server takes 0..{voc.INFO.num_classes - 1} (a VOC model?).')
    if image_id in self.image_ids:
      raise ValueError(f'{image_id}: predicted twice in one submission.')
    os.makedirs(self.results_dir, exist_ok=True)
    with open(os.path.join(self.results_dir, f'{image_id}.png'), 'wb') as f:
      f.write(palette_png(labels))
    self.image_ids.append(image_id)

  def pack(self):
    """Writes output_dir/results.tar.gz of the PNGs added; returns its path.

    Only this submission's PNGs go in, under results/VOC2012/...; the
    archive replaces an earlier one once it is complete.
    """
    path = os.path.join(self.output_dir, ARCHIVE)
    temporary = os.path.join(self.output_dir, f'.{ARCHIVE}')
    with tarfile.open(temporary, 'w:gz') as archive:
      for image_id in self.image_ids:
        name = os.path.join(RESULTS_DIR, f'{image_id}.png')
        archive.add(os.path.join(self.output_dir, name), arcname=name)
    os.replace(temporary, path)
    return path


def write(image_paths, read_image, predict, output_dir):
  """A submission of every image, packed; returns a one-line summary.

  Args:
    image_paths: the test images; their base names are the ids.
    read_image: path -> uint8 image [H, W, 3].
    predict: image -> integer labels [H, W].
    output_dir: where results/ and results.tar.gz go.

  Raises:
    ValueError: as `VocSubmission.add`.
  """
  submission = VocSubmission(output_dir)
  for path in image_paths:
    image = read_image(path)
    submission.add(os.path.splitext(os.path.basename(path))[0],
                   np.asarray(predict(image)), image.shape[:2])
  archive = submission.pack()
  return (f'Wrote {len(image_paths)} PNGs to {submission.results_dir} and '
          f'{archive}.')
