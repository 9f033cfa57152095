"""A small synthetic dataset in the real VOC or Cityscapes layouts.

Images of 64-128 pixels with a few textured shapes on a noisy background,
learnable by a small network on a CPU in minutes, written in the published
folder layouts and file formats, so that the converters and pipelines are
exercised exactly as on the real data:

* VOC (`write_voc`): JPEGImages/*.jpg, SegmentationClass/*.png as palette PNGs
  with 255 on object boundaries, ImageSets/Segmentation/{train,val,
  trainval}.txt, and an SBD benchmark_RELEASE/dataset/ (cls/*.mat with
  GTcls.Segmentation, no boundaries; train.txt, val.txt) that overlaps VOC
  train and val, so that `train_aug` has something to add and to remove.
  Classes: `INFO` (background and three shapes).
* Cityscapes (`write_cityscapes`): leftImg8bit/ and gtFine/ street scenes
  with real Cityscapes label ids, some of them ignored (ego vehicle, static),
  and a train_extra set with gtCoarse masks (label id 0, unlabeled, along
  every region's border, as coarse polygons leave it).

* ADE20K (`write_ade20k`): ADEChallengeData2016/images/*.jpg and
  annotations/*.png of the VOC-style scenes with ADE20K class indices, 0
  ("other", ignored) on the shapes' boundaries.

Everything follows from the seed.
"""

import os

import numpy as np
from PIL import Image
import scipy.io

from official.data import cityscapes
from official.data import colormap
from official.data import dataset_info

INFO = dataset_info.DatasetInfo(
    name='toy',
    num_classes=4,
    ignore_label=255,
    class_names=('background', 'square', 'disc', 'triangle'),
    colormap='pascal')

_MIN_SIZE, _MAX_SIZE = 64, 128
# Base colour of each shape class; each image jitters it.
_SHAPE_COLORS = {1: (200, 50, 40), 2: (40, 170, 60), 3: (50, 70, 200)}
_NOISE_STDDEV = 10.0

# Cityscapes label ids drawn, with their colours.
_ROAD, _SIDEWALK, _BUILDING, _VEGETATION, _SKY, _PERSON, _CAR = (
    7, 8, 11, 21, 23, 24, 26)
_EGO_VEHICLE, _STATIC = 1, 4
_STREET_COLORS = {
    _ROAD: (128, 64, 128), _SIDEWALK: (230, 40, 220), _BUILDING: (80, 80, 80),
    _VEGETATION: (100, 150, 40), _SKY: (80, 140, 200), _PERSON: (220, 30, 60),
    _CAR: (20, 20, 150), _EGO_VEHICLE: (30, 30, 30), _STATIC: (120, 100, 60),
}
_CITIES = {'train': ('aachen', 'bochum'), 'val': ('frankfurt',),
           'test': ('berlin',), 'train_extra': ('augsburg', 'bad-honnef')}
# Width of the unlabelled border of the coarse masks' regions.
_COARSE_BORDER = 3


def _noisy(rng, canvas):
  """uint8 image of `canvas` plus Gaussian noise."""
  noise = rng.normal(0.0, _NOISE_STDDEV, canvas.shape)
  return np.clip(canvas + noise, 0, 255).astype(np.uint8)


def _jittered(rng, color, amount=25):
  return np.clip(np.array(color) + rng.integers(-amount, amount + 1, 3), 0,
                 255)


def _shape_mask(rng, shape_class, height, width):
  """Boolean mask of one square, disc or triangle at a random place."""
  rows, columns = np.mgrid[:height, :width]
  size = rng.integers(min(height, width) // 5, min(height, width) // 2)
  top = rng.integers(0, height - size)
  left = rng.integers(0, width - size)
  if shape_class == 1:
    return ((rows >= top) & (rows < top + size) &
            (columns >= left) & (columns < left + size))
  if shape_class == 2:
    radius = size / 2
    return ((rows - top - radius) ** 2 + (columns - left - radius) ** 2 <=
            radius ** 2)
  # An isosceles triangle pointing up, apex at (top, left + size / 2).
  depth = rows - top
  return ((depth >= 0) & (depth < size) &
          (np.abs(columns - left - size / 2) <= depth / 2))


def _inner_boundary(label, mask):
  """Pixels of `mask` with a 4-neighbour of another label."""
  padded = np.pad(label, 1, mode='edge')
  differs = np.zeros_like(mask)
  for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
    shifted = padded[dy:dy + label.shape[0], dx:dx + label.shape[1]]
    differs |= shifted != label
  return mask & differs


def shapes_scene(rng):
  """One VOC-style toy image and its labels.

  Returns:
    (uint8 image [H, W, 3], uint8 labels [H, W] in 0-3, uint8 labels with
    255 on the shapes' boundaries, as VOC marks them).
  """
  height, width = rng.integers(_MIN_SIZE, _MAX_SIZE + 1, 2)
  rows, columns = np.mgrid[:height, :width]
  # Background: a smooth gradient between two dull colours.
  start, end = rng.integers(90, 170, (2, 3))
  blend = (rows / height * rng.uniform(0, 1) + columns / width *
           rng.uniform(0, 1))[..., None] / 2
  canvas = start + (end - start) * blend
  label = np.zeros((height, width), np.uint8)
  for _ in range(rng.integers(1, 4)):
    shape_class = int(rng.integers(1, 4))
    mask = _shape_mask(rng, shape_class, height, width)
    color = _jittered(rng, _SHAPE_COLORS[shape_class])
    if shape_class == 1:
      # Stripes, so that squares differ from the others by texture too.
      color = color * (0.8 + 0.2 * np.sign(np.sin(rows / 2.0)))[..., None]
    canvas = np.where(mask[..., None], color, canvas)
    label[mask] = shape_class
  with_boundaries = label.copy()
  with_boundaries[_inner_boundary(label, label > 0)] = 255
  return _noisy(rng, canvas), label, with_boundaries


def street_scene(rng):
  """One Cityscapes-style toy image and its label ids.

  Returns:
    (uint8 image [H, W, 3], uint8 Cityscapes label ids [H, W]).
  """
  height = int(rng.integers(_MIN_SIZE, _MAX_SIZE * 3 // 4 + 1))
  width = int(rng.integers(height * 3 // 2, height * 2 + 1))
  label = np.full((height, width), _SKY, np.uint8)
  horizon = int(height * rng.uniform(0.35, 0.5))
  label[horizon:] = _ROAD
  curb = horizon + int((height - horizon) * rng.uniform(0.15, 0.3))
  label[horizon:curb, :] = _SIDEWALK
  left = 0
  while left < width:
    building_width = int(rng.integers(width // 8, width // 3))
    top = int(rng.integers(height // 10, horizon))
    kind = _BUILDING if rng.uniform() < 0.7 else _VEGETATION
    label[top:horizon, left:left + building_width] = kind
    left += building_width
  for _ in range(rng.integers(1, 4)):
    car_height = int(rng.integers(height // 8, height // 4))
    car_width = int(car_height * rng.uniform(1.5, 2.5))
    bottom = int(rng.integers(curb + car_height, height + 1))
    car_left = int(rng.integers(0, max(1, width - car_width)))
    label[bottom - car_height:bottom, car_left:car_left + car_width] = _CAR
  for _ in range(rng.integers(0, 3)):
    person_height = int(rng.integers(height // 6, height // 3))
    bottom = int(rng.integers(horizon + 1, curb + 1))
    person_left = int(rng.integers(0, width - 4))
    label[max(0, bottom - person_height):bottom,
          person_left:person_left + max(2, person_height // 4)] = _PERSON
  if rng.uniform() < 0.5:
    static_left = int(rng.integers(0, width - 8))
    label[horizon - height // 6:horizon,
          static_left:static_left + width // 12] = _STATIC
  label[height - height // 10:] = _EGO_VEHICLE
  palette = np.zeros((256, 3))
  for label_id, color in _STREET_COLORS.items():
    palette[label_id] = _jittered(rng, color, 15)
  return _noisy(rng, palette[label]), label


def _save(image, path, **kwargs):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  image.save(path, **kwargs)


def _write_list(path, ids):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w') as f:
    f.writelines(f'{image_id}\n' for image_id in ids)


def write_voc(output_dir, num_images=80, seed=0):
  """Writes VOCdevkit/VOC2012 and benchmark_RELEASE under `output_dir`.

  Of the images, 40% are VOC train, 20% VOC val and 40% SBD only; SBD also
  annotates half of VOC train and half of VOC val. Hence train_aug holds
  80% of them: VOC train and the SBD-only ones.

  Args:
    output_dir: the folder to write into.
    num_images: number of images, at least 5.
    seed: the seed everything is drawn from.

  Returns:
    {split: number of ids}: VOC train, val, trainval; SBD sbd_train,
    sbd_val; and the resulting train_aug.
  """
  if num_images < 5:
    raise ValueError(f'num_images must be at least 5, got {num_images}.')
  rng = np.random.default_rng(seed)
  voc_dir = os.path.join(output_dir, 'VOCdevkit', 'VOC2012')
  sbd_dir = os.path.join(output_dir, 'benchmark_RELEASE', 'dataset')
  ids = [f'2007_{index:06d}' for index in range(1, num_images + 1)]
  order = rng.permutation(ids).tolist()
  num_train, num_val = int(num_images * 0.4), int(num_images * 0.2)
  voc_train = sorted(order[:num_train])
  voc_val = sorted(order[num_train:num_train + num_val])
  sbd_only = order[num_train + num_val:]
  sbd_ids = sbd_only + voc_train[::2] + voc_val[::2]
  sbd_ids = [sbd_ids[i] for i in rng.permutation(len(sbd_ids))]
  num_sbd_train = len(sbd_ids) * 7 // 10
  sbd_train, sbd_val = sorted(sbd_ids[:num_sbd_train]), sorted(
      sbd_ids[num_sbd_train:])

  palette = colormap.pascal_colormap()[:256].flatten().tolist()
  voc_ids, sbd_set = set(voc_train + voc_val), set(sbd_ids)
  for image_id in ids:
    image, label, with_boundaries = shapes_scene(rng)
    _save(Image.fromarray(image),
          os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg'), quality=90)
    if image_id in voc_ids:
      # putpalette turns the grayscale image into a palette ('P') one.
      mask = Image.fromarray(with_boundaries)
      mask.putpalette(palette)
      _save(mask, os.path.join(voc_dir, 'SegmentationClass',
                               f'{image_id}.png'))
    if image_id in sbd_set:
      os.makedirs(os.path.join(sbd_dir, 'cls'), exist_ok=True)
      scipy.io.savemat(
          os.path.join(sbd_dir, 'cls', f'{image_id}.mat'),
          {'GTcls': {'Segmentation': label,
                     'CategoriesPresent': np.unique(label[label > 0])}},
          do_compression=True)

  lists = os.path.join(voc_dir, 'ImageSets', 'Segmentation')
  _write_list(os.path.join(lists, 'train.txt'), voc_train)
  _write_list(os.path.join(lists, 'val.txt'), voc_val)
  _write_list(os.path.join(lists, 'trainval.txt'), sorted(voc_train + voc_val))
  _write_list(os.path.join(sbd_dir, 'train.txt'), sbd_train)
  _write_list(os.path.join(sbd_dir, 'val.txt'), sbd_val)
  return {'train': len(voc_train), 'val': len(voc_val),
          'trainval': len(voc_train) + len(voc_val),
          'sbd_train': len(sbd_train), 'sbd_val': len(sbd_val),
          'train_aug': len(voc_train) + len(sbd_only)}


def write_cityscapes(output_dir, num_images=40, seed=0):
  """Writes leftImg8bit/, gtFine/ and gtCoarse/ under `output_dir`.

  Of the `num_images` finely annotated images 60% are train, 20% val, the
  rest test (whose gtFine masks are placeholders of zeros, as in the real
  release); a quarter as many again (at least one) are train_extra, with
  coarse masks only.

  Args:
    output_dir: the folder to write into.
    num_images: number of finely annotated images, at least 3.
    seed: the seed everything is drawn from.

  Returns:
    {folder: number of images}: train, val, test, train_extra.
  """
  if num_images < 3:
    raise ValueError(f'num_images must be at least 3, got {num_images}.')
  rng = np.random.default_rng(seed)
  num_train = max(1, int(num_images * 0.6))
  num_val = max(1, int(num_images * 0.2))
  counts = {'train': num_train, 'val': num_val,
            'test': num_images - num_train - num_val}
  for split, count in counts.items():
    for name, image, label_ids in _street_scenes(rng, split, count):
      if split in cityscapes.UNLABELLED_SPLITS:
        label_ids = np.zeros_like(label_ids)
      _save_street_scene(output_dir, split, name, image, label_ids, 'gtFine')
  counts['train_extra'] = _write_cityscapes_coarse(output_dir, rng,
                                                   max(1, num_images // 4))
  return counts


def _street_scenes(rng, folder, count):
  """(name, image, label ids) of `count` scenes in `folder`'s cities."""
  cities = _CITIES[folder]
  for index in range(count):
    city = cities[index % len(cities)]
    image, label_ids = street_scene(rng)
    yield f'{city}_{index // len(cities):06d}_000019', image, label_ids


def _save_street_scene(output_dir, folder, name, image, label_ids,
                       annotations):
  city = name.rsplit('_', 2)[0]
  _save(Image.fromarray(image), os.path.join(
      output_dir, 'leftImg8bit', folder, city, f'{name}_leftImg8bit.png'))
  _save(Image.fromarray(label_ids), os.path.join(
      output_dir, annotations, folder, city,
      f'{name}_{annotations}_labelIds.png'))


def coarse_label_ids(label_ids):
  """Coarse masks of fine label ids: 0 (unlabeled) along region borders."""
  border = np.zeros(label_ids.shape, bool)
  for _ in range(_COARSE_BORDER):
    border |= _inner_boundary(np.where(border, 0, label_ids),
                              np.ones_like(border))
  return np.where(border, 0, label_ids).astype(np.uint8)


def _write_cityscapes_coarse(output_dir, rng, count):
  """Writes leftImg8bit/train_extra and gtCoarse/train_extra; their count."""
  for name, image, label_ids in _street_scenes(rng, 'train_extra', count):
    _save_street_scene(output_dir, 'train_extra', name, image,
                       coarse_label_ids(label_ids), 'gtCoarse')
  return count


# ADE20K class index of each toy class: wall, person, car, chair.
_ADE20K_CLASSES = (1, 13, 21, 20)


def write_ade20k(output_dir, num_images=20, seed=0):
  """Writes ADEChallengeData2016/ under `output_dir`.

  Three quarters of the images are training, the rest validation.

  Args:
    output_dir: the folder to write into.
    num_images: number of images, at least 2.
    seed: the seed everything is drawn from.

  Returns:
    {split: number of images}: train, val.
  """
  if num_images < 2:
    raise ValueError(f'num_images must be at least 2, got {num_images}.')
  rng = np.random.default_rng(seed)
  lookup = np.zeros(256, np.uint8)  # 255 (boundary) -> 0 (other).
  lookup[:len(_ADE20K_CLASSES)] = _ADE20K_CLASSES
  num_train = max(1, num_images * 3 // 4)
  counts = {'train': num_train, 'val': num_images - num_train}
  root = os.path.join(output_dir, 'ADEChallengeData2016')
  for split, folder, prefix in (('train', 'training', 'ADE_train'),
                                ('val', 'validation', 'ADE_val')):
    for index in range(1, counts[split] + 1):
      image, _, with_boundaries = shapes_scene(rng)
      name = f'{prefix}_{index:08d}'
      _save(Image.fromarray(image),
            os.path.join(root, 'images', folder, f'{name}.jpg'), quality=90)
      _save(Image.fromarray(lookup[with_boundaries]),
            os.path.join(root, 'annotations', folder, f'{name}.png'))
  return counts
