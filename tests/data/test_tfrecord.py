import os

import numpy as np
import tensorflow as tf

from official.data import image_files
from official.data import tfrecord
from tests import fixtures


class TFRecordTest(tf.test.TestCase):

  def test_example_round_trip(self):
    label_png = image_files.encode_png(np.array([[1, 255]], np.uint8))
    features = tfrecord.parse_example(tfrecord.encode_example(
        b'jpeg bytes', 'jpeg', '2007_000032', 1, 2, label_png))
    self.assertEqual(features['image/encoded'].numpy(), b'jpeg bytes')
    self.assertEqual(features['image/filename'].numpy(), b'2007_000032')
    self.assertEqual(features['image/format'].numpy(), b'jpeg')
    self.assertEqual(int(features['image/height']), 1)
    self.assertEqual(int(features['image/width']), 2)
    self.assertEqual(features['image/segmentation/class/encoded'].numpy(),
                     label_png)
    self.assertEqual(features['image/segmentation/class/format'].numpy(),
                     b'png')

  def test_unlabelled_example(self):
    features = tfrecord.parse_example(
        tfrecord.encode_example(b'png', 'png', 'a', 1, 1))
    self.assertEqual(features['image/segmentation/class/encoded'].numpy(),
                     b'')

  def test_channels_written(self):
    example = tf.train.Example.FromString(
        tfrecord.encode_example(b'x', 'png', 'a', 1, 1))
    self.assertEqual(
        example.features.feature['image/channels'].int64_list.value, [3])

  def test_shard_filename(self):
    self.assertEqual(tfrecord.shard_filename('train_aug', 3, 4),
                     'train_aug-00003-of-00004.tfrecord')

  def test_missing_split(self):
    with self.assertRaisesRegex(FileNotFoundError, 'test-\\*'):
      tfrecord.split_files(fixtures.voc_tfrecords(), 'test')

  def test_source_decodes(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'val')
    element = source.decode(next(iter(source.records())))
    self.assertEqual(element['image'].dtype, tf.uint8)
    self.assertEqual(element['image'].shape[-1], 3)
    self.assertEqual(element['label'].dtype, tf.int32)
    self.assertEqual(element['image'].shape[:2], element['label'].shape[:2])

  def _filenames(self, source, context):
    records = source.records(context)
    return [tfrecord.parse_example(r)['image/filename'].numpy()
            for r in records]

  def test_sharding_by_file(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train_aug')
    self.assertLen(source.files, 2)
    everything = self._filenames(source, None)
    shards = [self._filenames(source, tf.distribute.InputContext(2, i, 2))
              for i in range(2)]
    self.assertCountEqual(shards[0] + shards[1], everything)
    first_file = tf.data.TFRecordDataset(source.files[:1])
    self.assertCountEqual(
        shards[0],
        [tfrecord.parse_example(r)['image/filename'].numpy()
         for r in first_file])

  def test_sharding_by_record_when_files_are_few(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'val')
    everything = self._filenames(source, None)
    shards = [self._filenames(source, tf.distribute.InputContext(3, i, 3))
              for i in range(3)]
    self.assertCountEqual(sum(shards, []), everything)
    for shard in shards:
      self.assertNotEmpty(shard)

  def test_reads_files_of_the_original_name_pattern(self):
    data_dir = fixtures.voc_tfrecords()
    self.assertEqual(
        [os.path.basename(path) for path in tfrecord.split_files(data_dir,
                                                                 'val')],
        ['val-00000-of-00002.tfrecord', 'val-00001-of-00002.tfrecord'])


if __name__ == '__main__':
  tf.test.main()
