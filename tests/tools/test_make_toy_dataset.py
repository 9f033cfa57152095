import glob
import hashlib
import os

import numpy as np
from PIL import Image
import scipy.io
import tensorflow as tf

from official.data import cityscapes
from official.data import toy
from tests import fixtures

def _digests(root):
  """{relative path: md5} of the images, masks and lists under `root`."""
  return {os.path.relpath(path, root):
          hashlib.md5(open(path, 'rb').read()).hexdigest()
          for path in glob.glob(os.path.join(root, '**', '*.*'),
                                recursive=True)
          if not path.endswith('.mat')}


class MakeToyDatasetTest(tf.test.TestCase):

  def test_voc_layout_and_formats(self):
    root, counts = fixtures.voc_root()
    voc_dir = os.path.join(root, 'VOCdevkit', 'VOC2012')
    sizes = set()
    for image_id in open(os.path.join(
        voc_dir, 'ImageSets', 'Segmentation', 'trainval.txt')).read().split():
      image = Image.open(os.path.join(voc_dir, 'JPEGImages',
                                      f'{image_id}.jpg'))
      mask = Image.open(os.path.join(voc_dir, 'SegmentationClass',
                                     f'{image_id}.png'))
      self.assertEqual((image.format, image.mode), ('JPEG', 'RGB'))
      self.assertEqual((mask.format, mask.mode), ('PNG', 'P'))
      self.assertEqual(mask.getpalette()[3:6], [128, 0, 0])
      self.assertEqual(image.size, mask.size)
      self.assertContainsSubset(np.unique(np.array(mask)), [0, 1, 2, 3, 255])
      sizes.add(image.size)
    self.assertTrue(any(w % 16 or h % 16 for w, h in sizes))
    self.assertGreater(len(sizes), 3)
    self.assertEqual(counts['trainval'], counts['train'] + counts['val'])

  def test_sbd_mat_files(self):
    root, counts = fixtures.voc_root()
    sbd_dir = os.path.join(root, 'benchmark_RELEASE', 'dataset')
    ids = (open(os.path.join(sbd_dir, 'train.txt')).read().split() +
           open(os.path.join(sbd_dir, 'val.txt')).read().split())
    self.assertLen(ids, counts['sbd_train'] + counts['sbd_val'])
    for image_id in ids:
      segmentation = scipy.io.loadmat(
          os.path.join(sbd_dir, 'cls', f'{image_id}.mat'))['GTcls'][
              'Segmentation'][0, 0]
      self.assertEqual(segmentation.ndim, 2)
      self.assertContainsSubset(np.unique(segmentation), [0, 1, 2, 3])

  def test_cityscapes_layout(self):
    root, counts = fixtures.cityscapes_root()
    for split in cityscapes.SPLITS:
      count = counts[split]
      images = glob.glob(os.path.join(root, 'leftImg8bit', split, '*',
                                      '*_leftImg8bit.png'))
      self.assertLen(images, count)
      for path in images:
        label_path = path.replace('leftImg8bit', 'gtFine', 1).replace(
            '_leftImg8bit.png', '_gtFine_labelIds.png')
        label = Image.open(label_path)
        self.assertEqual(label.mode, 'L')
        values = np.unique(np.array(label))
        self.assertLess(values.max(), cityscapes.NUM_LABEL_IDS)
        if split == 'train':
          self.assertContainsSubset([7, 23, 26], values)

  def test_cityscapes_coarse_masks_leave_borders_unlabelled(self):
    root, counts = fixtures.cityscapes_root()
    images = sorted(glob.glob(os.path.join(
        root, 'leftImg8bit', 'train_extra', '*', '*_leftImg8bit.png')))
    self.assertLen(images, counts['train_extra'])
    self.assertEqual(counts['train_extra'],
                     fixtures.NUM_CITYSCAPES_IMAGES // 4)
    for path in images:
      label_path = path.replace('leftImg8bit', 'gtCoarse', 1).replace(
          '_leftImg8bit.png', '_gtCoarse_labelIds.png')
      label = np.array(Image.open(label_path))
      self.assertEqual(label.shape, Image.open(path).size[::-1])
      # No two neighbours carry different classes: 0 (unlabeled) between.
      for first, second in ((label[:, 1:], label[:, :-1]),
                            (label[1:], label[:-1])):
        self.assertFalse(np.any((first != second) & (first > 0) &
                                (second > 0)))
      self.assertGreater(np.mean(label == 0), 0.05)
      self.assertContainsSubset([7, 23], np.unique(label))

  def test_same_seed_same_files(self):
    first, second, other = (fixtures.temporary_dir() for _ in range(3))
    toy.write_voc(first, 6, seed=3)
    toy.write_voc(second, 6, seed=3)
    toy.write_voc(other, 6, seed=4)
    self.assertEqual(_digests(first), _digests(second))
    self.assertNotEqual(_digests(first), _digests(other))

  def test_binary(self):
    output_dir = fixtures.temporary_dir()
    result = fixtures.run_main(
        'tools.make_toy_dataset', f'--output_dir={output_dir}',
        '--layout=cityscapes', '--num_images=5', '--seed=1')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('train 3, val 1, test 1, train_extra 1', result.stdout)
    self.assertLen(glob.glob(os.path.join(output_dir, 'leftImg8bit', '*', '*',
                                          '*.png')), 6)

  def test_binary_wrong_layout(self):
    result = fixtures.run_main('tools.make_toy_dataset',
                               '--output_dir=/tmp', '--layout=kitti')
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('--layout', result.stderr)
    self.assertNotIn('Traceback', result.stderr)


if __name__ == '__main__':
  tf.test.main()
