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
* COCO (`write_coco`): train2017/, val2017/ and annotations/instances_{train,
  val}2017.json with real COCO category ids: polygons, compressed RLE, an
  uncompressed RLE crowd region, overlapping instances, a category VOC does
  not have, an image below the 1,000-pixel threshold and a grayscale JPEG.
* ADE20K (`write_ade20k`): ADEChallengeData2016/images/*.jpg and
  annotations/*.png of the VOC-style scenes with ADE20K class indices, 0
  ("other", ignored) on the shapes' boundaries.

Everything follows from the seed.
"""

import json
import os

import numpy as np
from PIL import Image
from pycocotools import mask as coco_mask
import scipy.io

from official.data import cityscapes
from official.data import coco
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


def write_voc_test(output_dir, num_images=4, seed=0):
  """Adds the VOC test split to a `write_voc` layout: images, no masks.

  Writes JPEGImages/2008_<n>.jpg and ImageSets/Segmentation/test.txt.

  Args:
    output_dir: the folder `write_voc` wrote.
    num_images: number of test images.
    seed: the seed everything is drawn from.

  Returns:
    The test ids.
  """
  rng = np.random.default_rng(seed)
  voc_dir = os.path.join(output_dir, 'VOCdevkit', 'VOC2012')
  ids = [f'2008_{index:06d}' for index in range(1, num_images + 1)]
  for image_id in ids:
    image, _, _ = shapes_scene(rng)
    _save(Image.fromarray(image),
          os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg'), quality=90)
  _write_list(os.path.join(voc_dir, 'ImageSets', 'Segmentation', 'test.txt'),
              ids)
  return ids


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


# COCO: categories VOC does not have, with their COCO 2017 ids.
_COCO_OTHER_CATEGORIES = ((25, 'giraffe'), (28, 'umbrella'))
# The first train images, drawn the same for every seed and size so that
# tests know their masks; boxes are (left, top, right, bottom), pixels
# left <= x < right, top <= y < bottom.
COCO_OVERLAP_IMAGE_ID = 1   # person and car overlap in 20x30 pixels; a
                            # giraffe over the person's corner
COCO_CROWD_IMAGE_ID = 2     # a person crowd with one person inside it
COCO_SMALL_IMAGE_ID = 3     # 400 bottle pixels, a large giraffe: dropped
COCO_GRAYSCALE_IMAGE_ID = 4
COCO_IMAGE_SIZE = (96, 128)  # height, width of the four
COCO_OVERLAP_BOXES = {'person': (20, 20, 70, 70), 'car': (50, 40, 100, 90),
                      'giraffe': (0, 0, 30, 30)}
COCO_CROWD_BOXES = {'crowd': (10, 10, 110, 60), 'person': (30, 20, 80, 55)}
COCO_SMALL_BOXES = {'bottle': (5, 5, 25, 25), 'giraffe': (40, 20, 110, 90)}


def _box_polygon(box):
  left, top, right, bottom = box
  return [float(v) for v in (left, top, right, top, right, bottom, left,
                             bottom)]


def _uncompressed_rle(mask):
  """COCO's crowd encoding: run lengths in column-major order, from 0s."""
  flat = mask.flatten(order='F').astype(np.uint8)
  bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1,
                           [flat.size]])
  counts = ([0] if flat[0] else []) + np.diff(bounds).tolist()
  return {'counts': [int(count) for count in counts],
          'size': [int(mask.shape[0]), int(mask.shape[1])]}


class _CocoImage:
  """One toy COCO image: its canvas and annotations, drawn in order."""

  def __init__(self, rng, height, width, category_colors):
    self.height, self.width = int(height), int(width)
    self._rng = rng
    self._colors = category_colors
    rows, columns = np.mgrid[:self.height, :self.width]
    start, end = rng.integers(90, 170, (2, 3))
    blend = (rows / self.height * rng.uniform(0, 1) + columns / self.width *
             rng.uniform(0, 1))[..., None] / 2
    self.canvas = start + (end - start) * blend
    self.annotations = []

  def _decode(self, segmentation):
    if isinstance(segmentation, dict) and isinstance(segmentation['counts'],
                                                     str):
      rle = dict(segmentation, counts=segmentation['counts'].encode('ascii'))
    else:
      rle = coco_mask.frPyObjects(segmentation, self.height, self.width)
      if isinstance(rle, list):
        rle = coco_mask.merge(rle)
    return coco_mask.decode(rle).astype(bool)

  def add(self, category_id, segmentation, iscrowd=0):
    """Paints and records an instance (or crowd) of a segmentation."""
    mask = self._decode(segmentation)
    color = _jittered(self._rng, self._colors[category_id])
    if iscrowd:
      # Many small figures with background between them.
      rows, columns = np.mgrid[:self.height, :self.width]
      mask_painted = mask & ((rows // 4 + columns // 4) % 2 == 0)
    else:
      mask_painted = mask
    self.canvas = np.where(mask_painted[..., None], color, self.canvas)
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    self.annotations.append({
        'category_id': int(category_id), 'segmentation': segmentation,
        'area': float(coco_mask.area(rle)),
        'bbox': [float(v) for v in coco_mask.toBbox(rle)],
        'iscrowd': int(iscrowd)})

  def add_polygon_box(self, category_id, box):
    self.add(category_id, [_box_polygon(box)])

  def add_random(self, category_id, left, width, min_size,
                 kinds=('square', 'disc', 'triangle')):
    """A square or triangle (polygons) or a disc (compressed RLE)."""
    size = int(self._rng.integers(min_size, min(width, self.height) - 1))
    x = left + int(self._rng.integers(0, width - size))
    y = int(self._rng.integers(0, self.height - size))
    kind = kinds[self._rng.integers(len(kinds))]
    if kind == 'square':
      self.add_polygon_box(category_id, (x, y, x + size, y + size))
    elif kind == 'triangle':
      self.add(category_id, [[float(x + size / 2), float(y), float(x + size),
                              float(y + size), float(x), float(y + size)]])
    else:
      rows, columns = np.mgrid[:self.height, :self.width]
      radius = size / 2
      disc = ((rows - y - radius) ** 2 + (columns - x - radius) ** 2 <=
              radius ** 2)
      rle = coco_mask.encode(np.asfortranarray(disc.astype(np.uint8)))
      self.add(category_id, {'size': rle['size'],
                             'counts': rle['counts'].decode('ascii')})

  def pixels(self):
    return _noisy(self._rng, self.canvas)


def _coco_random_image(rng, category_colors, voc_ids, other_ids):
  """Two side-by-side cells: a VOC instance large enough to keep the image,
  then a VOC instance, another category or nothing."""
  image = _CocoImage(rng, rng.integers(96, 129), rng.integers(112, 161),
                     category_colors)
  cell = image.width // 2
  # A disc of diameter 40 covers 1,257 pixels, a square 1,600: kept.
  image.add_random(int(rng.choice(voc_ids)), 0, cell, min_size=40,
                   kinds=('square', 'disc'))
  second = rng.integers(3)
  if second == 0:
    image.add_random(int(rng.choice(voc_ids)), cell, cell, min_size=10)
  elif second == 1:
    image.add_random(int(rng.choice(other_ids)), cell, cell, min_size=10)
  return image


def _coco_fixed_images(rng, category_colors):
  """{image id: `_CocoImage`} of the four fixed train images."""
  ids = {name: category_id for category_id, name, _ in coco.VOC_CATEGORIES}
  ids.update({name: category_id for category_id, name in
              _COCO_OTHER_CATEGORIES})
  images = {}
  for image_id in (COCO_OVERLAP_IMAGE_ID, COCO_CROWD_IMAGE_ID,
                   COCO_SMALL_IMAGE_ID, COCO_GRAYSCALE_IMAGE_ID):
    images[image_id] = _CocoImage(rng, *COCO_IMAGE_SIZE,
                                  category_colors=category_colors)
  for name in ('person', 'car', 'giraffe'):
    images[COCO_OVERLAP_IMAGE_ID].add_polygon_box(ids[name],
                                                  COCO_OVERLAP_BOXES[name])
  crowd = np.zeros(COCO_IMAGE_SIZE, bool)
  left, top, right, bottom = COCO_CROWD_BOXES['crowd']
  crowd[top:bottom, left:right] = True
  images[COCO_CROWD_IMAGE_ID].add(ids['person'], _uncompressed_rle(crowd),
                                  iscrowd=1)
  images[COCO_CROWD_IMAGE_ID].add_polygon_box(ids['person'],
                                              COCO_CROWD_BOXES['person'])
  for name in ('bottle', 'giraffe'):
    images[COCO_SMALL_IMAGE_ID].add_polygon_box(ids[name],
                                                COCO_SMALL_BOXES[name])
  images[COCO_GRAYSCALE_IMAGE_ID].add_polygon_box(ids['dog'],
                                                  (10, 10, 60, 60))
  return images


def write_coco(output_dir, num_images=24, seed=0):
  """Writes train2017/, val2017/ and annotations/ under `output_dir`.

  Two thirds of the images are train, starting with the four fixed ones
  (`COCO_*_IMAGE_ID`); the rest are val. Every image but
  `COCO_SMALL_IMAGE_ID` has more than 1,000 VOC-class pixels.

  Args:
    output_dir: the folder to write into.
    num_images: number of images, at least 6.
    seed: the seed everything is drawn from.

  Returns:
    {split: number of images}.
  """
  if num_images < 6:
    raise ValueError(f'num_images must be at least 6, got {num_images}.')
  rng = np.random.default_rng(seed)
  palette = colormap.pascal_colormap()
  category_colors = {category_id: palette[voc_class] for category_id, voc_class
                     in coco.VOC_CLASS_OF_CATEGORY.items()}
  category_colors.update({category_id: (230, 200, 40) for category_id, _ in
                          _COCO_OTHER_CATEGORIES})
  categories = [{'id': category_id, 'name': name} for category_id, name in
                sorted([(category_id, name) for category_id, name, _ in
                        coco.VOC_CATEGORIES] + list(_COCO_OTHER_CATEGORIES))]
  voc_ids = sorted(coco.VOC_CLASS_OF_CATEGORY)
  other_ids = [category_id for category_id, _ in _COCO_OTHER_CATEGORIES]

  images = _coco_fixed_images(rng, category_colors)
  for image_id in range(len(images) + 1, num_images + 1):
    images[image_id] = _coco_random_image(rng, category_colors, voc_ids,
                                          other_ids)
  num_train = max(COCO_GRAYSCALE_IMAGE_ID + 1, num_images * 2 // 3)
  counts = {'train': num_train, 'val': num_images - num_train}
  annotation_id = 0
  for split, image_ids in (('train', range(1, num_train + 1)),
                           ('val', range(num_train + 1, num_images + 1))):
    folder = coco.SPLITS[split]
    dataset = {'info': {'description': 'toy COCO'}, 'licenses': [],
               'images': [], 'annotations': [], 'categories': categories}
    for image_id in image_ids:
      image = images[image_id]
      file_name = f'{image_id:012d}.jpg'
      picture = Image.fromarray(image.pixels())
      if image_id == COCO_GRAYSCALE_IMAGE_ID:
        picture = picture.convert('L')
      _save(picture, os.path.join(output_dir, folder, file_name), quality=90)
      dataset['images'].append({'id': image_id, 'file_name': file_name,
                                'height': image.height,
                                'width': image.width})
      for annotation in image.annotations:
        annotation_id += 1
        dataset['annotations'].append(
            dict(annotation, id=annotation_id, image_id=image_id))
    path = os.path.join(output_dir, 'annotations', f'instances_{folder}.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
      json.dump(dataset, f)
  return counts
