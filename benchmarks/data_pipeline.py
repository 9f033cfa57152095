r"""Images per second of the training input pipeline, 513x513 crops.

Writes synthetic 500x375 JPEGs (toy scenes, upscaled) in the VOC layout,
converts them with the VOC converter, then times `pipeline.train_dataset`
(random scale 0.5-2.0, pad, crop, flip; batch 16) over several windows
after a warm-up and prints the median.

    python -m benchmarks.data_pipeline
"""

import io
import os
import statistics
import tempfile
import time

from absl import app
from absl import flags
import numpy as np
from PIL import Image

from official.data import conversion
from official.data import pipeline
from official.data import tfrecord
from official.data import toy
from official.data import voc

flags.DEFINE_integer('num_images', 64, 'Images written and converted.')
flags.DEFINE_integer('batch_size', 16, 'Batch size.')
flags.DEFINE_integer('crop_size', 513, 'Square training crop size.')
flags.DEFINE_integer('warmup_batches', 5, 'Batches before timing.')
flags.DEFINE_integer('window_batches', 10, 'Batches per timed window.')
flags.DEFINE_integer('num_windows', 5, 'Timed windows.')

FLAGS = flags.FLAGS

_WIDTH, _HEIGHT = 500, 375


def _write_voc_layout(root, num_images):
  """VOC-layout JPEGs and palette masks of 500x375, all in 'train'."""
  rng = np.random.default_rng(0)
  voc_dir = os.path.join(root, 'VOCdevkit', 'VOC2012')
  for folder in ('JPEGImages', 'SegmentationClass',
                 os.path.join('ImageSets', 'Segmentation')):
    os.makedirs(os.path.join(voc_dir, folder))
  ids = [f'2007_{index:06d}' for index in range(num_images)]
  for image_id in ids:
    image, _, label = toy.shapes_scene(rng)
    Image.fromarray(image).resize((_WIDTH, _HEIGHT), Image.BILINEAR).save(
        os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg'), quality=90)
    Image.fromarray(label).resize((_WIDTH, _HEIGHT), Image.NEAREST).save(
        os.path.join(voc_dir, 'SegmentationClass', f'{image_id}.png'))
  for split in voc.VOC_SPLITS:
    with open(os.path.join(voc_dir, 'ImageSets', 'Segmentation',
                           f'{split}.txt'), 'w') as f:
      f.write('\n'.join(ids if split != 'val' else ids[:1]) + '\n')
  return voc_dir


def main(argv):
  del argv
  with tempfile.TemporaryDirectory() as root:
    voc_dir = _write_voc_layout(root, FLAGS.num_images)
    data_dir = os.path.join(root, 'tfrecords')
    conversion.write_split(voc.samples(voc_dir, 'train'), 'train', data_dir,
                           voc.load_label, num_shards=4, stream=io.StringIO())
    dataset = pipeline.train_dataset(
        tfrecord.TFRecordSource(data_dir, 'train'),
        batch_size=FLAGS.batch_size,
        crop_size=(FLAGS.crop_size, FLAGS.crop_size))
    batches = iter(dataset)
    for _ in range(FLAGS.warmup_batches):
      next(batches)
    rates = []
    for _ in range(FLAGS.num_windows):
      start = time.perf_counter()
      for _ in range(FLAGS.window_batches):
        next(batches)
      rates.append(FLAGS.window_batches * FLAGS.batch_size /
                   (time.perf_counter() - start))
  print(f'train_dataset, {FLAGS.crop_size}x{FLAGS.crop_size} crops from '
        f'{_WIDTH}x{_HEIGHT} JPEGs, batch {FLAGS.batch_size}, '
        f'{os.cpu_count()} CPUs: median {statistics.median(rates):.1f} '
        f'images/s (windows: {", ".join(f"{r:.1f}" for r in rates)})')


if __name__ == '__main__':
  app.run(main)
