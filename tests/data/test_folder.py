import os

import gin
import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import catalog
from official.data import folder
from official.data import pipeline
from tests import fixtures


def _write_folder(root, palette=False):
  """Three 12x16 images with masks of classes 0-2."""
  os.makedirs(os.path.join(root, 'images'))
  os.makedirs(os.path.join(root, 'masks'))
  rng = np.random.default_rng(0)
  for index in range(3):
    name = f'picture_{index}'
    image = rng.integers(0, 256, (12, 16, 3)).astype(np.uint8)
    Image.fromarray(image).save(os.path.join(root, 'images', f'{name}.png'))
    mask = Image.fromarray(np.full((12, 16), index, np.uint8))
    if palette:
      mask.putpalette([255, 0, 0] * 256)
    mask.save(os.path.join(root, 'masks', f'{name}.png'))
  with open(os.path.join(root, 'val.txt'), 'w') as f:
    f.write('picture_2\npicture_0\n')


class FolderSourceTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.root = fixtures.temporary_dir()
    _write_folder(self.root)

  def _source(self, **kwargs):
    return folder.FolderSource(os.path.join(self.root, 'images'),
                               os.path.join(self.root, 'masks'),
                               num_classes=3, **kwargs)

  def _eval_batches(self, source):
    return list(pipeline.eval_dataset(source, crop_size=(17, 17)))

  def test_eval_elements(self):
    batches = self._eval_batches(self._source())
    self.assertEqual([b['filename'].numpy()[0] for b in batches],
                     [b'picture_0', b'picture_1', b'picture_2'])
    for index, batch in enumerate(batches):
      label = batch['label'].numpy()[0, ..., 0]
      self.assertAllEqual(label[:12, :16], np.full((12, 16), index))
      self.assertAllEqual(batch['height'], [12])

  def test_palette_masks_give_indices(self):
    root = fixtures.temporary_dir()
    _write_folder(root, palette=True)
    source = folder.FolderSource(os.path.join(root, 'images'),
                                 os.path.join(root, 'masks'), num_classes=3)
    batches = self._eval_batches(source)
    self.assertAllEqual(batches[2]['label'].numpy()[0, :12, :16, 0],
                        np.full((12, 16), 2))

  def test_split_file(self):
    source = self._source(split_file=os.path.join(self.root, 'val.txt'))
    self.assertEqual(source.names, ['picture_2', 'picture_0'])

  def test_training(self):
    dataset = pipeline.train_dataset(self._source(), batch_size=2,
                                     crop_size=(9, 9), seed=0)
    batch = next(iter(dataset))
    self.assertEqual(batch['image'].shape, (2, 9, 9, 3))

  def test_gin_bindings_without_code(self):
    with gin.unlock_config():
      gin.parse_config(f"""
          NUM_CLASSES = 3
          dataset_info.name = 'shapes'
          dataset_info.num_classes = %NUM_CLASSES
          dataset_info.class_names = ['background', 'road', 'car']
          FolderSource.image_dir = '{self.root}/images'
          FolderSource.mask_dir = '{self.root}/masks'
          FolderSource.num_classes = %NUM_CLASSES
          eval/FolderSource.split_file = '{self.root}/val.txt'
          eval_dataset.source = @eval/FolderSource()
          eval_dataset.crop_size = [17, 17]
      """)
    try:
      info = catalog.dataset_info()
      batches = list(pipeline.eval_dataset())
    finally:
      gin.clear_config()
    self.assertEqual(info.class_names, ('background', 'road', 'car'))
    self.assertEqual(info.ignore_label, 255)
    self.assertEqual([b['filename'].numpy()[0] for b in batches],
                     [b'picture_2', b'picture_0'])

  def test_bad_mask_is_an_error_naming_it(self):
    path = os.path.join(self.root, 'masks', 'picture_1.png')
    Image.fromarray(np.full((12, 16), 7, np.uint8)).save(path)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                f'{path}: mask values 7'):
      self._eval_batches(self._source())

  def test_colour_mask_is_an_error_naming_it(self):
    path = os.path.join(self.root, 'masks', 'picture_0.png')
    Image.open(path).convert('RGB').save(path)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                f'{path}: an RGB colour mask'):
      self._eval_batches(self._source())

  def test_missing_mask(self):
    os.remove(os.path.join(self.root, 'masks', 'picture_1.png'))
    with self.assertRaisesRegex(FileNotFoundError, 'picture_1.png'):
      self._source()

  def test_split_file_naming_a_missing_image(self):
    with open(os.path.join(self.root, 'val.txt'), 'a') as f:
      f.write('picture_9\n')
    with self.assertRaisesRegex(FileNotFoundError,
                                'val.txt names picture_9'):
      self._source(split_file=os.path.join(self.root, 'val.txt'))

  def test_unlabelled_folder(self):
    source = folder.FolderSource(os.path.join(self.root, 'images'))
    batch = self._eval_batches(source)[0]
    self.assertAllEqual(np.unique(batch['label']), [255])


if __name__ == '__main__':
  tf.test.main()
