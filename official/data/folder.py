"""A custom dataset straight from a folder of images and masks, no code.

  images/<name>.jpg (or .png)   RGB images
  masks/<name>.png              class indices: 8-bit grayscale or palette
                                PNGs (palette indices, not colours)
  train.txt, val.txt            optional lists of names, one per line

Every image needs a mask of the same name, size and values in
[0, num_classes) or the ignore label; a file that breaks this is an error
naming it, when the pipeline reaches it. With gin, for example (the
experiment's `dataset_info` gives the sources their class count and ignore
label):

  NUM_CLASSES = 3
  dataset_info.num_classes = %NUM_CLASSES
  dataset_info.class_names = ['background', 'road', 'car']
  FolderSource.image_dir = '/data/mine/images'
  FolderSource.mask_dir = '/data/mine/masks'
  train/FolderSource.split_file = '/data/mine/train.txt'
  eval/FolderSource.split_file = '/data/mine/val.txt'
  train_dataset.source = @train/FolderSource()
  eval_dataset.source = @eval/FolderSource()
"""

import os

import gin
import numpy as np
import tensorflow as tf

from official.data import dataset_info
from official.data import image_files

_IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')


def _images_by_name(image_dir):
  """{name: path} of the images in `image_dir`."""
  if not os.path.isdir(image_dir):
    raise FileNotFoundError(f'{image_dir}: no such image folder.')
  images = {}
  for entry in sorted(os.listdir(image_dir)):
    name, extension = os.path.splitext(entry)
    if extension.lower() in _IMAGE_EXTENSIONS:
      if name in images:
        raise ValueError(f'{image_dir}: two images named {name} '
                         f'({os.path.basename(images[name])}, {entry}).')
      images[name] = os.path.join(image_dir, entry)
  return images


@gin.configurable
class FolderSource:
  """Images and index masks paired by name, for `pipeline`.

  Example:
    >>> source = FolderSource('mine/images', 'mine/masks', num_classes=3)
    >>> len(source.names)
    120
  """

  def __init__(self, image_dir, mask_dir=None, num_classes=None,
               ignore_label=dataset_info.IGNORE_LABEL, split_file=None):
    """Pairs the images with their masks.

    Args:
      image_dir: folder of RGB JPEG or PNG images.
      mask_dir: folder of <image name>.png masks, or None for unlabelled
        images.
      num_classes: labels are 0 .. num_classes - 1 (or `ignore_label`);
        required with `mask_dir`.
      ignore_label: the other label value allowed.
      split_file: a list of image names, one per line; None for every image
        in `image_dir`.

    Raises:
      FileNotFoundError: for a missing folder, list, listed image or mask.
      ValueError: for a missing `num_classes`.
    """
    if mask_dir is not None and num_classes is None:
      raise ValueError('FolderSource needs num_classes to check the masks.')
    images = _images_by_name(image_dir)
    if split_file is None:
      self.names = sorted(images)
    else:
      if not os.path.isfile(split_file):
        raise FileNotFoundError(f'{split_file}: no such split list.')
      with open(split_file) as f:
        self.names = [line.strip() for line in f if line.strip()]
      for name in self.names:
        if name not in images:
          raise FileNotFoundError(
              f'{split_file} names {name}, but {image_dir} has no image '
              f'{name}.jpg/.png.')
    if not self.names:
      raise FileNotFoundError(f'{image_dir}: no JPEG or PNG images.')
    self.image_paths = [images[name] for name in self.names]
    self.mask_paths = None
    if mask_dir is not None:
      self.mask_paths = [os.path.join(mask_dir, f'{name}.png')
                         for name in self.names]
      for path in self.mask_paths:
        if not os.path.isfile(path):
          raise FileNotFoundError(f'{path}: no such mask.')
    self.num_classes = num_classes
    self.ignore_label = ignore_label

  def records(self, input_context=None, shuffle=False, seed=None):
    """(image path, mask path, name) records, this pipeline's share."""
    records = tf.data.Dataset.from_tensor_slices({
        'image_path': self.image_paths,
        'mask_path': self.mask_paths or [''] * len(self.names),
        'filename': self.names,
    })
    if input_context is not None and input_context.num_input_pipelines > 1:
      records = records.shard(input_context.num_input_pipelines,
                              input_context.input_pipeline_id)
    if shuffle:
      records = records.shuffle(len(self.names), seed=seed)
    return records

  def _load(self, image_path, mask_path):
    """Checked pixels of an image and its mask ([0, 0] if it has none)."""
    image_path = image_path.decode('utf-8')
    image = image_files.read_rgb_image(image_path)
    if not mask_path:
      return image.pixels, np.zeros((0, 0), np.uint8)
    mask_path = mask_path.decode('utf-8')
    label = image_files.read_index_mask(mask_path)
    if label.shape != image.pixels.shape[:2]:
      raise image_files.BadSampleError(
          f'{mask_path}: mask size {label.shape[1]}x{label.shape[0]} differs '
          f'from image {image_path} size {image.width}x{image.height}.')
    image_files.check_label_values(label, self.num_classes, self.ignore_label,
                                   mask_path)
    return image.pixels, label

  def decode(self, record):
    """{'image': uint8 [H, W, 3], 'label': int32 [H, W, 1], 'filename'}."""
    image, label = tf.numpy_function(
        self._load, [record['image_path'], record['mask_path']],
        [tf.uint8, tf.uint8], stateful=False)
    image.set_shape([None, None, 3])
    label.set_shape([None, None])
    return {'image': image,
            'label': tf.cast(label, tf.int32)[..., tf.newaxis],
            'filename': record['filename']}
