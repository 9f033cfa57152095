"""PASCAL VOC 2012 segmentation, with the SBD annotations for `train_aug`.

Layouts read, as published:

  VOCdevkit/VOC2012/JPEGImages/<id>.jpg
  VOCdevkit/VOC2012/SegmentationClass/<id>.png     palette PNG: indices 0-20,
                                                    255 on object boundaries
  VOCdevkit/VOC2012/ImageSets/Segmentation/{train,val,trainval}.txt
  benchmark_RELEASE/dataset/cls/<id>.mat           SBD: GTcls.Segmentation
  benchmark_RELEASE/dataset/{train,val}.txt

`train_aug` is the usual 10,582-image training set: SBD train + SBD val +
VOC train, minus VOC val. Its VOC ids take their VOC masks, the others
their SBD masks; every image comes from JPEGImages.

`test` (ImageSets/Segmentation/test.txt, 1,456 images of the separate test
download unpacked into the same VOC2012 folder) has no masks: its examples
have no label feature, as the TFRecord schema allows.
"""

import os

import numpy as np
import scipy.io

from official.data import conversion
from official.data import dataset_info
from official.data import image_files

CLASS_NAMES = (
    'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus',
    'car', 'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike',
    'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
)
IGNORE_LABEL = 255

INFO = dataset_info.DatasetInfo(
    name='pascal_voc_seg',
    num_classes=len(CLASS_NAMES),
    ignore_label=IGNORE_LABEL,
    class_names=CLASS_NAMES,
    split_sizes={'train': 1464, 'val': 1449, 'trainval': 2913,
                 'train_aug': 10582},
    colormap='pascal')

# Splits with a list in ImageSets/Segmentation.
VOC_SPLITS = ('train', 'val', 'trainval')
TRAIN_AUG = 'train_aug'
# The test server's split: images only.
TEST = 'test'


def _find(root, candidates, marker, flag):
  """The first of root/candidate that contains `marker`."""
  for candidate in candidates:
    folder = os.path.join(root, candidate)
    if os.path.exists(os.path.join(folder, marker)):
      return os.path.normpath(folder)
  raise FileNotFoundError(
      f'{flag}={root}: found no {marker} in it or in '
      f'{", ".join(c for c in candidates if c)}.')


def find_voc2012(root, flag='--voc_root'):
  """The VOC2012 folder under `root` (itself, VOC2012/ or VOCdevkit/VOC2012/).

  Raises:
    FileNotFoundError: naming `flag` if there is none.
  """
  return _find(root, ('', 'VOC2012', 'VOCdevkit/VOC2012'),
               'ImageSets/Segmentation', flag)


def find_sbd(root, flag='--sbd_root'):
  """SBD's `dataset` folder under `root` (itself, dataset/ or
  benchmark_RELEASE/dataset/).

  Raises:
    FileNotFoundError: naming `flag` if there is none.
  """
  return _find(root, ('', 'dataset', 'benchmark_RELEASE/dataset'), 'cls',
               flag)


def read_ids(list_path):
  """The ids listed one per line in `list_path`, in file order.

  Raises:
    FileNotFoundError: if the list is missing.
  """
  if not os.path.isfile(list_path):
    raise FileNotFoundError(f'{list_path}: no such split list.')
  with open(list_path) as f:
    return [line.strip() for line in f if line.strip()]


def voc_split_ids(voc_dir):
  """{split: ids} of the VOC segmentation splits (train, val, trainval)."""
  return {split: read_ids(os.path.join(voc_dir, 'ImageSets', 'Segmentation',
                                       f'{split}.txt'))
          for split in VOC_SPLITS}


def sbd_split_ids(sbd_dir):
  """{split: ids} of SBD's train and val lists."""
  return {split: read_ids(os.path.join(sbd_dir, f'{split}.txt'))
          for split in ('train', 'val')}


def test_list(voc_dir):
  """ImageSets/Segmentation/test.txt of a VOC2012 folder."""
  return os.path.join(voc_dir, 'ImageSets', 'Segmentation', f'{TEST}.txt')


def test_samples(voc_dir):
  """The unlabelled `conversion.Sample`s of the test split.

  Raises:
    FileNotFoundError: if test.txt is missing.
  """
  return [conversion.Sample(
      image_id, os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg'))
          for image_id in read_ids(test_list(voc_dir))]


def train_aug_ids(voc_ids, sbd_ids):
  """Sorted ids of (SBD train + SBD val + VOC train) minus VOC val.

  Args:
    voc_ids: `voc_split_ids`.
    sbd_ids: `sbd_split_ids`.
  """
  union = set(sbd_ids['train']) | set(sbd_ids['val']) | set(voc_ids['train'])
  return sorted(union - set(voc_ids['val']))


def samples(voc_dir, split, sbd_dir=None):
  """The `conversion.Sample`s of a split.

  Args:
    voc_dir: the VOC2012 folder (`find_voc2012`).
    split: 'train', 'val', 'trainval' or 'train_aug'.
    sbd_dir: SBD's dataset folder (`find_sbd`); needed for 'train_aug'.

  Raises:
    ValueError: for an unknown split, or 'train_aug' without `sbd_dir`.
    FileNotFoundError: if a split list is missing.
  """
  voc_ids = voc_split_ids(voc_dir)
  if split in VOC_SPLITS:
    ids = voc_ids[split]
    with_voc_mask = set(ids)
  elif split == TRAIN_AUG:
    if sbd_dir is None:
      raise ValueError('The train_aug split needs the SBD folder (--sbd_root).')
    ids = train_aug_ids(voc_ids, sbd_split_ids(sbd_dir))
    with_voc_mask = set(voc_ids['trainval'])
  else:
    raise ValueError(f'Unknown VOC split {split!r}; expected one of '
                     f'{", ".join(VOC_SPLITS + (TRAIN_AUG,))}.')

  def label_path(image_id):
    if image_id in with_voc_mask:
      return os.path.join(voc_dir, 'SegmentationClass', f'{image_id}.png')
    return os.path.join(sbd_dir, 'cls', f'{image_id}.mat')

  return [conversion.Sample(
      image_id, os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg'),
      label_path(image_id)) for image_id in ids]


def read_sbd_mask(path):
  """The class indices of an SBD `cls/<id>.mat` file, uint8 [H, W].

  Raises:
    image_files.BadSampleError: if the file is missing or holds no
      GTcls.Segmentation.
  """
  if not os.path.isfile(path):
    raise image_files.BadSampleError(f'{path}: no such file.')
  try:
    mat = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)
    segmentation = np.asarray(mat['GTcls'].Segmentation)
  except Exception as error:  # pylint: disable=broad-except
    # scipy's reader fails on bad files with many kinds of error.
    raise image_files.BadSampleError(
        f'{path}: not an SBD class annotation with GTcls.Segmentation '
        f'({error}).') from None
  if segmentation.ndim != 2:
    raise image_files.BadSampleError(
        f'{path}: GTcls.Segmentation has shape {segmentation.shape}; '
        'expected a 2-D mask.')
  image_files.check_label_values(segmentation, INFO.num_classes,
                                 IGNORE_LABEL, path)
  return segmentation.astype(np.uint8)


def load_label(path):
  """Class indices of a VOC palette PNG or an SBD .mat, uint8 [H, W].

  Raises:
    image_files.BadSampleError: for a missing, corrupt or colour mask, or
      values other than 0-20 and 255.
  """
  if path.endswith('.mat'):
    return read_sbd_mask(path)
  label = image_files.read_index_mask(path)
  image_files.check_label_values(label, INFO.num_classes, IGNORE_LABEL, path)
  return label
