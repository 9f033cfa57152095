import os

import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import cityscapes
from official.data import image_files
from official.data import tfrecord
from tests import fixtures

_LABEL_ID_TO_TRAIN_ID = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7,
                         21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14,
                         28: 15, 31: 16, 32: 17, 33: 18}


class CityscapesTest(tf.test.TestCase):

  def test_descriptor(self):
    self.assertEqual(cityscapes.INFO.num_classes, 19)
    self.assertEqual(cityscapes.INFO.ignore_label, 255)
    self.assertEqual(cityscapes.INFO.class_names[13], 'car')
    self.assertEqual(cityscapes.INFO.split_sizes,
                     {'train': 2975, 'val': 500, 'test': 1525})

  def test_label_id_to_train_id(self):
    lookup = cityscapes.train_id_lookup()
    self.assertEqual(lookup.shape, (256,))
    for label_id in range(256):
      self.assertEqual(lookup[label_id],
                       _LABEL_ID_TO_TRAIN_ID.get(label_id, 255), label_id)

  def test_samples(self):
    root, counts = fixtures.cityscapes_root()
    for split in cityscapes.SPLITS:
      samples = cityscapes.samples(root, split)
      self.assertLen(samples, counts[split])
      for sample in samples:
        self.assertTrue(sample.image_path.endswith(
            f'{sample.filename}_leftImg8bit.png'))
        if split == 'test':
          self.assertIsNone(sample.label_path)
        else:
          self.assertTrue(os.path.isfile(sample.label_path))

  def test_converted_labels_are_train_ids(self):
    root, counts = fixtures.cityscapes_root()
    samples = {sample.filename: sample
               for sample in cityscapes.samples(root, 'train')}
    files = tfrecord.split_files(fixtures.cityscapes_tfrecords(), 'train')
    num_examples = 0
    for record in tf.data.TFRecordDataset(files):
      features = tfrecord.parse_example(record)
      sample = samples[features['image/filename'].numpy().decode()]
      label = tf.io.decode_png(
          features['image/segmentation/class/encoded'])[..., 0].numpy()
      label_ids = np.array(Image.open(sample.label_path))
      self.assertAllEqual(label, cityscapes.train_id_lookup()[label_ids])
      # The toy's ego vehicle (1) and static (4) ids are ignored.
      self.assertAllEqual(label[label_ids == 1], np.full(
          (label_ids == 1).sum(), 255))
      self.assertEqual(features['image/format'].numpy(), b'png')
      num_examples += 1
    self.assertEqual(num_examples, counts['train'])

  def test_test_split_has_no_labels(self):
    files = tfrecord.split_files(fixtures.cityscapes_tfrecords(), 'test')
    for record in tf.data.TFRecordDataset(files):
      features = tfrecord.parse_example(record)
      self.assertEqual(
          features['image/segmentation/class/encoded'].numpy(), b'')

  def test_rejects_values_that_are_no_label_id(self):
    path = os.path.join(fixtures.temporary_dir(), 'x_gtFine_labelIds.png')
    Image.fromarray(np.array([[7, 34]], np.uint8)).save(path)
    with self.assertRaisesRegex(image_files.BadSampleError,
                                f'^{path}: mask values 34'):
      cityscapes.load_label(path)

  def test_missing_root(self):
    with self.assertRaisesRegex(FileNotFoundError,
                                '--cityscapes_root=/nowhere'):
      cityscapes.find_root('/nowhere')


if __name__ == '__main__':
  tf.test.main()
