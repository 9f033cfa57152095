"""Duplicating the training examples that hold hard classes."""

import collections
import io

import gin
import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import hard_classes
from official.data import tfrecord
from tests import fixtures


def _filenames_and_classes(records):
  for record in records:
    features = tfrecord.parse_example(record)
    label = np.array(Image.open(io.BytesIO(
        features['image/segmentation/class/encoded'].numpy())))
    yield features['image/filename'].numpy().decode(), set(np.unique(label))


class DuplicatedHardClassesTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    gin.parse_config("dataset_info.name = 'toy'")
    self.source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train')

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  def test_examples_with_a_hard_class_come_copies_times(self):
    original = dict(_filenames_and_classes(self.source.records()))
    with_disc = {name for name, classes in original.items() if 2 in classes}
    self.assertNotEmpty(with_disc)
    self.assertLess(len(with_disc), len(original))
    duplicated = hard_classes.DuplicatedHardClasses(self.source, ['disc'], 3)
    counts = collections.Counter(
        name for name, _ in _filenames_and_classes(duplicated.records()))
    self.assertEqual(counts, {name: 3 if name in with_disc else 1
                              for name in original})
    element = duplicated.decode(next(iter(duplicated.records())))
    self.assertEqual(element['label'].shape[-1], 1)

  def test_one_copy_is_the_source(self):
    duplicated = hard_classes.DuplicatedHardClasses(self.source, ['disc'], 1)
    self.assertEqual(
        [name for name, _ in _filenames_and_classes(duplicated.records())],
        [name for name, _ in _filenames_and_classes(self.source.records())])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, 'DuplicatedHardClasses.'
                                'class_names: sofa not among the dataset'):
      hard_classes.DuplicatedHardClasses(self.source, ['disc', 'sofa'])
    with self.assertRaisesRegex(ValueError, 'copies must be at least 1'):
      hard_classes.DuplicatedHardClasses(self.source, ['disc'], 0)


if __name__ == '__main__':
  tf.test.main()
