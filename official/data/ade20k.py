"""ADE20K (the MIT Scene Parsing benchmark release), as published.

Layout read (ADEChallengeData2016):

  images/{training,validation}/ADE_{train,val}_<8 digits>.jpg
  annotations/{training,validation}/ADE_{train,val}_<8 digits>.png

Masks are 8-bit PNGs of class indices 0-150: 150 classes and 0, "other",
which the original ignores in loss and metrics while keeping a logit for it
(reference §8.2). Our splits `train` and `val` are its training and
validation folders.
"""

import glob
import os

from official.data import conversion
from official.data import dataset_info
from official.data import image_files

# objectInfo150's names, index 0 the ignored "other".
CLASS_NAMES = (
    'other', 'wall', 'building', 'sky', 'floor', 'tree', 'ceiling', 'road',
    'bed', 'windowpane', 'grass', 'cabinet', 'sidewalk', 'person', 'earth',
    'door', 'table', 'mountain', 'plant', 'curtain', 'chair', 'car', 'water',
    'painting', 'sofa', 'shelf', 'house', 'sea', 'mirror', 'rug', 'field',
    'armchair', 'seat', 'fence', 'desk', 'rock', 'wardrobe', 'lamp',
    'bathtub', 'railing', 'cushion', 'base', 'box', 'column', 'signboard',
    'chest of drawers', 'counter', 'sand', 'sink', 'skyscraper', 'fireplace',
    'refrigerator', 'grandstand', 'path', 'stairs', 'runway', 'case',
    'pool table', 'pillow', 'screen door', 'stairway', 'river', 'bridge',
    'bookcase', 'blind', 'coffee table', 'toilet', 'flower', 'book', 'hill',
    'bench', 'countertop', 'stove', 'palm', 'kitchen island', 'computer',
    'swivel chair', 'boat', 'bar', 'arcade machine', 'hovel', 'bus', 'towel',
    'light', 'truck', 'tower', 'chandelier', 'awning', 'streetlight', 'booth',
    'television receiver', 'airplane', 'dirt track', 'apparel', 'pole',
    'land', 'bannister', 'escalator', 'ottoman', 'bottle', 'buffet',
    'poster', 'stage', 'van', 'ship', 'fountain', 'conveyer belt', 'canopy',
    'washer', 'plaything', 'swimming pool', 'stool', 'barrel', 'basket',
    'waterfall', 'tent', 'bag', 'minibike', 'cradle', 'oven', 'ball', 'food',
    'step', 'tank', 'trade name', 'microwave', 'pot', 'animal', 'bicycle',
    'lake', 'dishwasher', 'screen', 'blanket', 'sculpture', 'hood', 'sconce',
    'vase', 'traffic light', 'tray', 'ashcan', 'fan', 'pier', 'crt screen',
    'plate', 'monitor', 'bulletin board', 'shower', 'radiator', 'glass',
    'clock', 'flag',
)
IGNORE_LABEL = 0

INFO = dataset_info.DatasetInfo(
    name='ade20k',
    num_classes=len(CLASS_NAMES),
    ignore_label=IGNORE_LABEL,
    class_names=CLASS_NAMES,
    split_sizes={'train': 20210, 'val': 2000},
    colormap='ade20k')

# Our split name -> the release's folder.
SPLIT_FOLDERS = {'train': 'training', 'val': 'validation'}
RELEASE_FOLDER = 'ADEChallengeData2016'


def find_root(root, flag='--ade20k_root'):
  """The ADEChallengeData2016 folder: `root` or its child of that name.

  Raises:
    FileNotFoundError: naming `flag` if neither holds images/ and
      annotations/.
  """
  for candidate in (root, os.path.join(root, RELEASE_FOLDER)):
    if all(os.path.isdir(os.path.join(candidate, folder))
           for folder in ('images', 'annotations')):
      return candidate
  raise FileNotFoundError(f'{flag}={root}: found no images/ and annotations/ '
                          f'in it or in its {RELEASE_FOLDER}/.')


def samples(root, split):
  """The `conversion.Sample`s of a split, sorted by image name.

  The original shuffled before sharding; the training pipeline shuffles the
  records instead, so the files stay reproducible.

  Raises:
    ValueError: for an unknown split.
    FileNotFoundError: if the split has no image folder.
  """
  if split not in SPLIT_FOLDERS:
    raise ValueError(f'Unknown ADE20K split {split!r}; expected one of '
                     f'{", ".join(SPLIT_FOLDERS)}.')
  image_dir = os.path.join(root, 'images', SPLIT_FOLDERS[split])
  if not os.path.isdir(image_dir):
    raise FileNotFoundError(f'{image_dir}: no such folder.')
  result = []
  for image_path in sorted(glob.glob(os.path.join(image_dir, '*.jpg'))):
    name = os.path.splitext(os.path.basename(image_path))[0]
    result.append(conversion.Sample(
        name, image_path,
        os.path.join(root, 'annotations', SPLIT_FOLDERS[split],
                     name + '.png')))
  return result


def load_label(path):
  """Class indices 0-150 of an annotation PNG, uint8 [H, W].

  Raises:
    image_files.BadSampleError: for a missing, corrupt or colour mask, or
      values above 150.
  """
  label = image_files.read_index_mask(path)
  image_files.check_label_values(label, len(CLASS_NAMES), IGNORE_LABEL, path)
  return label
