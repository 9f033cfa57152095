r"""Speed of tools.build_coco_data: the toy COCO layout, and a COCO-sized image.

1. Writes the toy COCO layout (--num_images) and converts it as the tool
   does (selection by VOC-class pixels, then the TFRecords): images/s.
2. Times the per-image work at COCO's typical size (640x480 JPEG, 7
   polygon instances, COCO 2017's mean): reading and checking the JPEG,
   drawing the mask twice (selection, then writing) and encoding it; from
   which the time for train2017's 118,287 images on this machine.

    python -m benchmarks.coco_conversion --num_images=120

The last line is JSON: {"toy_images_per_s", "coco_size_images_per_s",
"train2017_hours"}.
"""

import io
import json
import os
import statistics
import tempfile
import time

from absl import flags
import numpy as np
from PIL import Image

from official import cli
from official.data import coco
from official.data import conversion
from official.data import image_files
from official.data import toy

flags.DEFINE_integer('num_images', 120, 'Toy COCO images to convert.',
                     lower_bound=6)
flags.DEFINE_integer('runs', 3, 'Timed runs; the median is reported.',
                     lower_bound=1)

FLAGS = flags.FLAGS

_TRAIN2017_IMAGES = 118287
_HEIGHT, _WIDTH, _INSTANCES = 480, 640, 7


def _median_seconds(function):
  times = []
  for _ in range(FLAGS.runs):
    start = time.perf_counter()
    function()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def _toy_images_per_s(root):
  toy.write_coco(root, FLAGS.num_images, seed=0)
  output_dir = os.path.join(root, 'tfrecords')

  def convert():
    masks = coco.Masks()
    selections = [coco.select(root, split, masks) for split in coco.SPLITS]
    conversion.convert({s.split: s.samples for s in selections}, output_dir,
                       masks, num_shards=4, stream=io.StringIO(),
                       out=io.StringIO(), read_image=coco.read_image)

  return FLAGS.num_images / _median_seconds(convert)


def _coco_sized_image(root):
  """A 640x480 JPEG and an index of 7 polygon instances over it."""
  rng = np.random.default_rng(0)
  path = os.path.join(root, 'coco_sized.jpg')
  # A photo-like file size (about 100 KB): a gradient with sensor noise.
  rows, columns = np.mgrid[:_HEIGHT, :_WIDTH]
  canvas = np.stack([rows / _HEIGHT * 200, columns / _WIDTH * 200,
                     (rows + columns) / (_HEIGHT + _WIDTH) * 255], -1)
  canvas += rng.normal(0, 12, canvas.shape)
  Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(
      path, quality=90)
  annotations = []
  for index in range(_INSTANCES):
    center = rng.uniform((50, 50), (_WIDTH - 50, _HEIGHT - 50))
    angles = np.sort(rng.uniform(0, 2 * np.pi, 24))
    radii = rng.uniform(20, 120, 24)
    polygon = np.stack([center[0] + radii * np.cos(angles),
                        center[1] + radii * np.sin(angles)], 1)
    annotations.append({
        'id': index + 1, 'image_id': 1, 'iscrowd': 0,
        'category_id': coco.VOC_CATEGORIES[index][0],
        'segmentation': [polygon.flatten().tolist()]})
  dataset = {'images': [{'id': 1, 'file_name': 'coco_sized.jpg',
                         'height': _HEIGHT, 'width': _WIDTH}],
             'annotations': annotations,
             'categories': [{'id': category_id, 'name': name}
                            for category_id, name, _ in coco.VOC_CATEGORIES]}
  annotation_path = os.path.join(root, 'instances.json')
  with open(annotation_path, 'w') as f:
    json.dump(dataset, f)
  return path, coco.load_annotations(annotation_path)


def _coco_size_images_per_s(root):
  path, index = _coco_sized_image(root)
  options = coco.MaskOptions()
  repeats = 20

  def per_image():
    for _ in range(repeats):
      coco.num_class_pixels(coco.class_mask(index, 1, options, path))
      image = coco.read_image(path)
      label = coco.class_mask(index, 1, options, path)
      image_files.encode_png(label)
      del image

  return repeats / _median_seconds(per_image)


def main(argv):
  cli.check_arguments(argv)
  with tempfile.TemporaryDirectory() as root:
    toy_rate = _toy_images_per_s(os.path.join(root, 'toy'))
    coco_rate = _coco_size_images_per_s(root)
  print(f'toy COCO ({FLAGS.num_images} images of 96-160 px): '
        f'{toy_rate:.1f} images/s')
  print(f'640x480, {_INSTANCES} instances: {coco_rate:.1f} images/s, '
        f'train2017 ({_TRAIN2017_IMAGES} images) in '
        f'{_TRAIN2017_IMAGES / coco_rate / 3600:.2f} h')
  print(json.dumps({'toy_images_per_s': round(toy_rate, 1),
                    'coco_size_images_per_s': round(coco_rate, 1),
                    'train2017_hours': round(
                        _TRAIN2017_IMAGES / coco_rate / 3600, 2)}))


if __name__ == '__main__':
  cli.run(main)
