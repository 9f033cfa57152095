import io
import os

from absl.testing import parameterized
import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import conversion
from official.data import image_files
from official.data import toy
from official.data import voc
from tests import fixtures


def _corrupt_bytes(path):
  with open(path, 'wb') as f:
    f.write(b'this is not an image')


def _truncate(path):
  with open(path, 'rb') as f:
    data = f.read()
  with open(path, 'wb') as f:
    f.write(data[:len(data) // 2])


def _convert_image(mode, image_format='JPEG'):
  def corrupt(path):
    image = Image.open(path).convert(mode)
    image.save(path, format=image_format)
  return corrupt


def _resize_mask(path):
  mask = Image.open(path)
  mask.resize((mask.width + 3, mask.height)).save(path)


def _mask_value(value):
  def corrupt(path):
    mask = Image.open(path)
    indices = np.array(mask)
    indices[0, 0] = value
    corrupted = Image.fromarray(indices)
    corrupted.putpalette(mask.getpalette())
    corrupted.save(path)
  return corrupt


def _rgb_mask(path):
  Image.open(path).convert('RGB').save(path)


class WriteSplitTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.root = fixtures.temporary_dir()
    toy.write_voc(self.root, num_images=10, seed=1)
    self.voc_dir = voc.find_voc2012(self.root)
    self.samples = voc.samples(self.voc_dir, 'train')
    self.output_dir = os.path.join(self.root, 'tfrecords')

  def _write(self, skip_bad=False, num_shards=2, stream=None):
    return conversion.write_split(
        self.samples, 'train', self.output_dir, voc.load_label, num_shards,
        skip_bad=skip_bad, stream=stream or io.StringIO())

  @parameterized.named_parameters(
      ('corrupt_jpeg', 'image', _corrupt_bytes, 'corrupt or truncated'),
      ('truncated_jpeg', 'image', _truncate, 'corrupt or truncated'),
      ('truncated_png_mask', 'label', _truncate, 'corrupt or truncated'),
      ('grayscale_image', 'image', _convert_image('L'), 'mode L'),
      ('cmyk_image', 'image', _convert_image('CMYK'), 'mode CMYK'),
      ('rgba_image', 'image', _convert_image('RGBA', 'PNG'), 'mode RGBA'),
      ('size_mismatch', 'label', _resize_mask, 'differs from image'),
      ('mask_value_out_of_range', 'label', _mask_value(21),
       'mask values 21 outside \\[0, 21\\)'),
      ('rgb_colour_mask', 'label', _rgb_mask, 'RGB colour mask'),
      ('missing_image', 'image', os.remove, 'no such file'),
      ('missing_mask', 'label', os.remove, 'no such file'),
  )
  def test_bad_sample_is_an_error_naming_the_file(self, which, corrupt,
                                                  message):
    sample = self.samples[1]
    path = sample.image_path if which == 'image' else sample.label_path
    corrupt(path)
    with self.assertRaisesRegex(image_files.BadSampleError,
                                f'^{path}: .*{message}'):
      self._write()
    self.assertEmpty(tf.io.gfile.glob(os.path.join(self.output_dir, '*')))

  def test_ignore_label_is_a_valid_mask_value(self):
    _mask_value(255)(self.samples[0].label_path)
    self.assertEqual(self._write().num_written, len(self.samples))

  def test_skip_bad_reports_each(self):
    _corrupt_bytes(self.samples[0].image_path)
    _rgb_mask(self.samples[2].label_path)
    stream = io.StringIO()
    summary = self._write(skip_bad=True, stream=stream)
    self.assertEqual(summary.num_written, len(self.samples) - 2)
    self.assertEqual([path for path, _ in summary.skipped],
                     [self.samples[0].image_path, self.samples[2].image_path])
    self.assertIn(self.samples[0].image_path, stream.getvalue())
    self.assertIn(self.samples[2].label_path, stream.getvalue())
    self.assertIn('2 skipped', str(summary))
    records = tf.data.TFRecordDataset(summary.files)
    self.assertLen(list(records), len(self.samples) - 2)

  def test_failure_keeps_the_previous_files(self):
    first = self._write()
    contents = [open(path, 'rb').read() for path in first.files]
    _truncate(self.samples[-1].image_path)
    with self.assertRaises(image_files.BadSampleError):
      self._write(num_shards=3)
    self.assertCountEqual(os.listdir(self.output_dir),
                          [os.path.basename(path) for path in first.files])
    self.assertEqual([open(path, 'rb').read() for path in first.files],
                     contents)

  def test_shards_replace_those_of_an_earlier_run(self):
    self._write(num_shards=3)
    summary = self._write(num_shards=2)
    self.assertCountEqual(os.listdir(self.output_dir),
                          ['train-00000-of-00002.tfrecord',
                           'train-00001-of-00002.tfrecord'])
    self.assertEqual(summary.files, [
        os.path.join(self.output_dir, name) for name in
        ('train-00000-of-00002.tfrecord', 'train-00001-of-00002.tfrecord')])
    records = tf.data.TFRecordDataset(summary.files)
    self.assertLen(list(records), len(self.samples))


class ImageFilesTest(tf.test.TestCase):

  def test_palette_mask_gives_indices_not_colours(self):
    path = os.path.join(fixtures.temporary_dir(), 'mask.png')
    indices = np.array([[0, 1, 2], [15, 20, 255]], np.uint8)
    mask = Image.fromarray(indices)
    mask.putpalette([value for index in range(256)
                     for value in (index, 255 - index, 7)])
    mask.save(path)
    self.assertEqual(Image.open(path).mode, 'P')
    self.assertAllEqual(image_files.read_index_mask(path), indices)

  def test_encode_png_round_trip(self):
    label = np.array([[0, 3], [255, 20]], np.uint8)
    decoded = tf.io.decode_png(image_files.encode_png(label), channels=1)
    self.assertAllEqual(decoded[..., 0], label)


if __name__ == '__main__':
  tf.test.main()
