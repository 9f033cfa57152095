import os

import numpy as np
import tensorflow as tf

from official.data import pipeline
from official.data import tfds_source
from official.data import tfrecord
from official.data import voc
from tests import fixtures


class TFDSSourceTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root, cls.counts = fixtures.voc_root()
    cls.data_dir = fixtures.temporary_dir()
    cls.source = tfds_source.TFDSSource(
        'voc_segmentation', 'val', data_dir=cls.data_dir, manual_dir=root)

  def test_builder_reads_the_voc_layout(self):
    splits = self.source.builder.info.splits
    for split in voc.VOC_SPLITS + (voc.TRAIN_AUG,):
      self.assertEqual(splits[split].num_examples, self.counts[split])

  def test_same_elements_as_the_tfrecords(self):
    def by_filename(source):
      dataset = pipeline.eval_dataset(source, crop_size=(129, 129))
      return {batch['filename'].numpy()[0]: batch for batch in dataset}

    from_tfds = by_filename(self.source)
    from_tfrecords = by_filename(
        tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'val'))
    self.assertCountEqual(from_tfds, from_tfrecords)
    for name, batch in from_tfds.items():
      for key in ('image', 'label', 'height', 'width'):
        self.assertAllEqual(batch[key], from_tfrecords[name][key])

  def test_training_element_spec(self):
    dataset = pipeline.train_dataset(self.source, batch_size=2,
                                     crop_size=(33, 33), seed=0)
    self.assertEqual(dataset.element_spec, {
        'image': tf.TensorSpec([2, 33, 33, 3], tf.float32),
        'label': tf.TensorSpec([2, 33, 33, 1], tf.int32)})
    self.assertEqual(next(iter(dataset))['image'].shape, (2, 33, 33, 3))

  def test_label_lookup(self):
    lookup = np.arange(256)[::-1]
    source = tfds_source.TFDSSource('voc_segmentation', 'val',
                                    data_dir=self.data_dir,
                                    label_lookup=lookup)
    plain = self.source.decode(next(iter(self.source.records())))
    mapped = source.decode(next(iter(source.records())))
    self.assertAllEqual(mapped['label'], 255 - plain['label'])

  def test_sharding(self):
    names = [
        {element['file_name'].numpy() for element in self.source.records(
            tf.distribute.InputContext(2, index, 2))}
        for index in range(2)]
    self.assertEmpty(names[0] & names[1])
    self.assertLen(names[0] | names[1], self.counts['val'])

  def test_unprepared_dataset(self):
    with self.assertRaisesRegex(ValueError, 'not prepared'):
      tfds_source.TFDSSource('voc_segmentation', 'val',
                             data_dir=os.path.join(self.data_dir, 'empty'))

  def test_missing_feature(self):
    with self.assertRaisesRegex(ValueError, "no feature 'mask'"):
      tfds_source.TFDSSource('voc_segmentation', 'val',
                             data_dir=self.data_dir, label_key='mask')


if __name__ == '__main__':
  tf.test.main()
