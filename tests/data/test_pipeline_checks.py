"""The input pipeline's checks of a split: label range, no records."""

import os

import numpy as np
import tensorflow as tf

from official import cli
from official.data import pipeline
from official.data import tfrecord
from tests import fixtures


def _example(name, label_value):
  labels = np.zeros((33, 33), np.uint8)
  labels[5:9, 5:9] = label_value
  labels[0] = 255
  return (name, fixtures.png_bytes(np.zeros((33, 33, 3), np.uint8)), labels)


class PipelineChecksTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.data_dir = os.path.join(self.get_temp_dir(), 'tfrecords')
    fixtures.write_split(self.data_dir, 'bad', [
        _example('fine', 3), _example('class_7', 7)])
    self.bad = tfrecord.TFRecordSource(self.data_dir, 'bad')
    self.bad_file = os.path.join(self.data_dir,
                                 tfrecord.shard_filename('bad', 0, 1))

  def _error(self, dataset):
    with self.assertRaises(tf.errors.InvalidArgumentError) as caught:
      for _ in dataset:
        pass
    return cli.error_line(caught.exception)

  def test_label_outside_the_classes_in_training(self):
    dataset = pipeline.train_dataset(self.bad, batch_size=2,
                                     crop_size=(33, 33), num_classes=4, seed=0)
    self.assertEqual(
        self._error(dataset.take(3)),
        f'InvalidArgumentError: assertion failed: [The training split '
        f'{self.bad_file}: image class_7 has label 7, not in [0, '
        'NUM_CLASSES=4) nor the ignore label 255; fix the masks or '
        'NUM_CLASSES.]')

  def test_label_outside_the_classes_in_evaluation(self):
    self.assertIn(
        f'The eval split {self.bad_file}: image class_7 has label 7, not in '
        '[0, NUM_CLASSES=4)',
        self._error(pipeline.eval_dataset(self.bad, num_classes=4)))
    # Within the classes, or without num_classes: no check.
    self.assertLen(list(pipeline.eval_dataset(self.bad, num_classes=8)), 2)
    self.assertLen(list(pipeline.eval_dataset(self.bad)), 2)

  def test_split_without_records(self):
    fixtures.write_split(self.data_dir, 'empty', [])
    source = tfrecord.TFRecordSource(self.data_dir, 'empty')
    for make in (pipeline.train_dataset, pipeline.eval_dataset):
      with self.subTest(make.__name__):
        with self.assertRaisesRegex(
            ValueError, f'split {self.data_dir}/empty-00000-of-00001.tfrecord'
            ' has no records: its files are empty'):
          make(source, batch_size=1, crop_size=(33, 33))

  def test_describe_several_shards(self):
    source = tfrecord.TFRecordSource(self.data_dir, 'bad')
    source.files = [f'{self.data_dir}/train-0000{i}-of-00002.tfrecord'
                    for i in range(2)]
    self.assertEqual(pipeline.describe_source(source),
                     f'{self.data_dir}/train-0000*')


if __name__ == '__main__':
  tf.test.main()
