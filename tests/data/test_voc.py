import io
import os

import numpy as np
from PIL import Image
import scipy.io
import tensorflow as tf

from official.data import conversion
from official.data import image_files
from official.data import tfrecord
from official.data import toy
from official.data import voc
from tests import fixtures


def _examples(split):
  """{filename: parsed example} of a converted toy split."""
  files = tfrecord.split_files(fixtures.voc_tfrecords(), split)
  examples = {}
  for record in tf.data.TFRecordDataset(files):
    features = tfrecord.parse_example(record)
    examples[features['image/filename'].numpy().decode()] = features
  return examples


class VocTest(tf.test.TestCase):

  def test_descriptor(self):
    self.assertEqual(voc.INFO.num_classes, 21)
    self.assertEqual(voc.INFO.ignore_label, 255)
    self.assertEqual(voc.INFO.class_names[15], 'person')
    self.assertEqual(voc.INFO.split_sizes, {
        'train': 1464, 'val': 1449, 'trainval': 2913, 'train_aug': 10582})

  def test_train_aug_ids(self):
    voc_ids = {'train': ['b', 'c'], 'val': ['d', 'e'],
               'trainval': ['b', 'c', 'd', 'e']}
    sbd_ids = {'train': ['f', 'a', 'd'], 'val': ['g', 'c', 'e', 'h']}
    self.assertEqual(voc.train_aug_ids(voc_ids, sbd_ids),
                     ['a', 'b', 'c', 'f', 'g', 'h'])

  def test_train_aug_ids_at_full_scale(self):
    # VOC-sized lists: SBD overlaps part of VOC train and of VOC val.
    voc_train = [f'v{i}' for i in range(1464)]
    voc_val = [f'w{i}' for i in range(1449)]
    sbd_train = voc_train[:1000] + voc_val[:700] + [f's{i}' for i in range(
        6798)]
    sbd_val = voc_train[1000:1100] + voc_val[700:1000] + [f't{i}' for i in
                                                           range(2000)]
    ids = voc.train_aug_ids(
        {'train': voc_train, 'val': voc_val, 'trainval': voc_train + voc_val},
        {'train': sbd_train, 'val': sbd_val})
    self.assertLen(ids, 1464 + 6798 + 2000)
    self.assertEqual(ids, sorted(ids))
    self.assertEmpty(set(ids) & set(voc_val))

  def test_toy_split_sizes(self):
    _, counts = fixtures.voc_root()
    for split in ('train', 'val', 'trainval', 'train_aug'):
      self.assertLen(_examples(split), counts[split], msg=split)
    self.assertEqual(counts['train_aug'], 16)

  def test_find_roots(self):
    root, _ = fixtures.voc_root()
    voc_dir = os.path.join(root, 'VOCdevkit', 'VOC2012')
    for given in (root, os.path.join(root, 'VOCdevkit'), voc_dir):
      self.assertEqual(voc.find_voc2012(given), voc_dir)
    sbd_dir = os.path.join(root, 'benchmark_RELEASE', 'dataset')
    for given in (root, os.path.join(root, 'benchmark_RELEASE'), sbd_dir):
      self.assertEqual(voc.find_sbd(given), sbd_dir)
    with self.assertRaisesRegex(FileNotFoundError, '--voc_root=/nowhere'):
      voc.find_voc2012('/nowhere')

  def test_train_aug_labels_come_from_voc_then_sbd(self):
    root, _ = fixtures.voc_root()
    voc_dir, sbd_dir = voc.find_voc2012(root), voc.find_sbd(root)
    voc_ids = voc.voc_split_ids(voc_dir)
    examples = _examples('train_aug')
    for image_id, features in examples.items():
      label = tf.io.decode_png(
          features['image/segmentation/class/encoded'])[..., 0].numpy()
      if image_id in voc_ids['train']:
        expected = np.array(Image.open(os.path.join(
            voc_dir, 'SegmentationClass', f'{image_id}.png')))
        self.assertIn(255, expected)
      else:
        expected = scipy.io.loadmat(
            os.path.join(sbd_dir, 'cls', f'{image_id}.mat'),
            squeeze_me=True, struct_as_record=False)['GTcls'].Segmentation
      self.assertAllEqual(label, expected, msg=image_id)
    self.assertEmpty(set(examples) & set(voc_ids['val']))

  def test_example_holds_the_original_jpeg(self):
    root, _ = fixtures.voc_root()
    voc_dir = voc.find_voc2012(root)
    for image_id, features in _examples('val').items():
      with open(os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg'),
                'rb') as f:
        self.assertEqual(features['image/encoded'].numpy(), f.read())
      self.assertEqual(features['image/format'].numpy(), b'jpeg')
      image = tf.io.decode_jpeg(features['image/encoded'])
      self.assertEqual([features['image/height'], features['image/width']],
                       image.shape[:2].as_list())

  def test_corrupt_sbd_mat_names_the_file(self):
    path = os.path.join(fixtures.temporary_dir(), '2008_000001.mat')
    with open(path, 'wb') as f:
      f.write(b'MATLAB but not really')
    with self.assertRaisesRegex(image_files.BadSampleError, f'^{path}: '):
      voc.load_label(path)

  def test_sbd_mat_without_segmentation(self):
    path = os.path.join(fixtures.temporary_dir(), 'other.mat')
    scipy.io.savemat(path, {'GTinst': {'Segmentation': np.zeros((2, 2))}})
    with self.assertRaisesRegex(image_files.BadSampleError,
                                'GTcls.Segmentation'):
      voc.load_label(path)

  def test_split_list_naming_a_missing_image(self):
    root = fixtures.temporary_dir()
    toy.write_voc(root, num_images=5, seed=0)
    voc_dir = voc.find_voc2012(root)
    with open(os.path.join(voc_dir, 'ImageSets', 'Segmentation', 'val.txt'),
              'a') as f:
      f.write('2099_000001\n')
    with self.assertRaisesRegex(image_files.BadSampleError,
                                'JPEGImages/2099_000001.jpg: no such file'):
      conversion.write_split(voc.samples(voc_dir, 'val'), 'val',
                             os.path.join(root, 'out'), voc.load_label, 1,
                             stream=io.StringIO())

  def test_unknown_split(self):
    root, _ = fixtures.voc_root()
    with self.assertRaisesRegex(ValueError, 'Unknown VOC split'):
      voc.samples(voc.find_voc2012(root), 'test')
    with self.assertRaisesRegex(ValueError, '--sbd_root'):
      voc.samples(voc.find_voc2012(root), 'train_aug')


if __name__ == '__main__':
  tf.test.main()
