"""Cityscapes fine annotations, as published.

Layout read:

  leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
  gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png

Masks hold Cityscapes label ids (0-33); training uses the 19 evaluated
classes' train ids (reference §8.2), every other id becomes 255 (ignored).
The test split's masks are placeholders, so only its images are converted.
"""

import glob
import os

import numpy as np

from official.data import conversion
from official.data import dataset_info
from official.data import image_files

CLASS_NAMES = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
    'truck', 'bus', 'train', 'motorcycle', 'bicycle',
)
IGNORE_LABEL = 255

INFO = dataset_info.DatasetInfo(
    name='cityscapes',
    num_classes=len(CLASS_NAMES),
    ignore_label=IGNORE_LABEL,
    class_names=CLASS_NAMES,
    split_sizes={'train': 2975, 'val': 500, 'test': 1525},
    colormap='cityscapes')

SPLITS = ('train', 'val', 'test')
UNLABELLED_SPLITS = ('test',)

# Label id of each train id (cityscapesScripts' labels.py).
TRAIN_ID_TO_LABEL_ID = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26,
                        27, 28, 31, 32, 33)
# Label ids run from 0 ('unlabeled') to 33 ('bicycle'); 255 is let through
# as ignored too.
NUM_LABEL_IDS = 34

_IMAGE_SUFFIX = '_leftImg8bit.png'
_LABEL_SUFFIX = '_gtFine_labelIds.png'


def train_id_lookup():
  """uint8 [256]: the train id of each label id, 255 where there is none."""
  lookup = np.full(256, IGNORE_LABEL, dtype=np.uint8)
  lookup[list(TRAIN_ID_TO_LABEL_ID)] = np.arange(len(TRAIN_ID_TO_LABEL_ID))
  return lookup


def label_ids(train_ids):
  """The Cityscapes label ids of train ids, as the test server wants them.

  Args:
    train_ids: non-negative integer array of train ids, 0 .. 18.

  Returns:
    uint8 array of the same shape.

  Raises:
    ValueError: for a value that is no train id.

  Example:
    >>> label_ids(np.array([0, 18]))
    array([ 7, 33], dtype=uint8)
  """
  train_ids = np.asarray(train_ids)
  if train_ids.size and train_ids.max() >= len(TRAIN_ID_TO_LABEL_ID):
    raise ValueError(
        f'Cityscapes has {len(TRAIN_ID_TO_LABEL_ID)} classes, but there is a '
        f'pixel of class {train_ids.max()}.')
  return np.array(TRAIN_ID_TO_LABEL_ID, np.uint8)[train_ids]


def find_root(root, flag='--cityscapes_root'):
  """`root`, checked to hold leftImg8bit/.

  Raises:
    FileNotFoundError: naming `flag` if it does not.
  """
  if not os.path.isdir(os.path.join(root, 'leftImg8bit')):
    raise FileNotFoundError(f'{flag}={root}: found no leftImg8bit folder in '
                            'it.')
  return root


def samples(root, split):
  """The `conversion.Sample`s of a split, sorted by image path.

  Raises:
    ValueError: for an unknown split.
    FileNotFoundError: if the split has no image folder.
  """
  if split not in SPLITS:
    raise ValueError(f'Unknown Cityscapes split {split!r}; expected one of '
                     f'{", ".join(SPLITS)}.')
  image_dir = os.path.join(root, 'leftImg8bit', split)
  if not os.path.isdir(image_dir):
    raise FileNotFoundError(f'{image_dir}: no such folder.')
  result = []
  for image_path in sorted(glob.glob(os.path.join(image_dir, '*',
                                                  '*' + _IMAGE_SUFFIX))):
    city = os.path.basename(os.path.dirname(image_path))
    name = os.path.basename(image_path)[:-len(_IMAGE_SUFFIX)]
    label_path = None
    if split not in UNLABELLED_SPLITS:
      label_path = os.path.join(root, 'gtFine', split, city,
                                name + _LABEL_SUFFIX)
    result.append(conversion.Sample(name, image_path, label_path))
  return result


def load_label(path):
  """Train ids of a `*_gtFine_labelIds.png`, uint8 [H, W].

  Raises:
    image_files.BadSampleError: for a missing, corrupt or colour mask, or
      values that are no Cityscapes label id.
  """
  label_ids = image_files.read_index_mask(path)
  image_files.check_label_values(label_ids, NUM_LABEL_IDS, IGNORE_LABEL, path)
  return train_id_lookup()[label_ids]
