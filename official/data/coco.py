"""MS-COCO 2017 instances as PASCAL VOC class masks, for COCO pretraining.

DeepLabv3 §4.3 pretrains on COCO "trainval minus minival" (COCO 2017's
train2017) in the 20 VOC classes, every other COCO category background, and
keeps the images whose VOC-class annotation regions exceed 1,000 pixels.
Layout read, as published:

  train2017/<12-digit id>.jpg, val2017/<12-digit id>.jpg
  annotations/instances_{train,val}2017.json

The original published no converter; the choices it leaves open are
arguments here (and flags of tools/build_coco_data.py):

* categories: the standard name match of `VOC_CATEGORIES`, checked against
  the annotation file's own names;
* overlaps: pixels that two or more VOC-class instances cover are ignore
  (255) with `OVERLAPS_IGNORE`, as torchvision's COCO recipe does, or take
  the instance drawn last with `OVERLAPS_LAST`;
* crowd regions (iscrowd=1, loose RLE outlines of many objects): with
  `CROWD_IGNORE` (default) their pixels that no single instance covers are
  ignore, since they mix the class with background; with `CROWD_CLASS`
  those pixels take the crowd's class; `CROWD_BACKGROUND` leaves crowds
  out. Instances always win over crowds and never count as overlapping
  one;
* kept images: more than `min_pixels` pixels of the finished mask hold a
  VOC class (1-20), so that overlaps and crowds, which train nothing, do
  not count.

Masks come from pycocotools (polygons, compressed and uncompressed RLE), as
every COCO tool reads them. A sample's `label_path` is
'<annotation file>#<image id>', so that errors name both.
"""

import contextlib
import dataclasses
import io
import json
import os
from typing import List, Tuple

import numpy as np
from PIL import Image
from pycocotools import coco as coco_api

from official.data import conversion
from official.data import image_files
from official.data import voc

# (COCO category id, COCO name, VOC class name), in VOC class order 1-20.
VOC_CATEGORIES = (
    (5, 'airplane', 'aeroplane'), (2, 'bicycle', 'bicycle'),
    (16, 'bird', 'bird'), (9, 'boat', 'boat'), (44, 'bottle', 'bottle'),
    (6, 'bus', 'bus'), (3, 'car', 'car'), (17, 'cat', 'cat'),
    (62, 'chair', 'chair'), (21, 'cow', 'cow'),
    (67, 'dining table', 'diningtable'), (18, 'dog', 'dog'),
    (19, 'horse', 'horse'), (4, 'motorcycle', 'motorbike'),
    (1, 'person', 'person'), (64, 'potted plant', 'pottedplant'),
    (20, 'sheep', 'sheep'), (63, 'couch', 'sofa'), (7, 'train', 'train'),
    (72, 'tv', 'tvmonitor'),
)
VOC_CLASS_OF_CATEGORY = {
    category_id: voc.CLASS_NAMES.index(voc_name)
    for category_id, _, voc_name in VOC_CATEGORIES}

# Converted split -> COCO 2017 image folder.
SPLITS = {'train': 'train2017', 'val': 'val2017'}
MIN_PIXELS = 1000

OVERLAPS_IGNORE, OVERLAPS_LAST = 'ignore', 'last'
OVERLAPS = (OVERLAPS_IGNORE, OVERLAPS_LAST)
CROWD_IGNORE, CROWD_CLASS, CROWD_BACKGROUND = 'ignore', 'class', 'background'
CROWDS = (CROWD_IGNORE, CROWD_CLASS, CROWD_BACKGROUND)


def find_coco(root, flag='--coco_root'):
  """`root` if it holds annotations/instances_train2017.json.

  Raises:
    FileNotFoundError: naming `flag` if it does not.
  """
  marker = os.path.join('annotations', 'instances_train2017.json')
  if not os.path.isfile(os.path.join(root, marker)):
    raise FileNotFoundError(f'{flag}={root}: found no {marker} in it.')
  return os.path.normpath(root)


def annotation_file(coco_dir, split):
  return os.path.join(coco_dir, 'annotations',
                      f'instances_{SPLITS[split]}.json')


def _check_categories(dataset, path):
  """Raises ValueError unless the file names the VOC categories as COCO."""
  names = {category.get('id'): category.get('name')
           for category in dataset.get('categories', ())}
  for category_id, name, _ in VOC_CATEGORIES:
    if names.get(category_id) != name:
      raise ValueError(
          f'{path}: category {category_id} is {names.get(category_id)!r}, '
          f'expected {name!r} (not a COCO 2017 instances file?).')


def load_annotations(path):
  """The COCO index of an instances file, its categories checked.

  Raises:
    FileNotFoundError: if the file is missing.
    ValueError: naming the file, if it is not JSON or not COCO instances.
  """
  if not os.path.isfile(path):
    raise FileNotFoundError(f'{path}: no such annotation file.')
  try:
    with open(path, encoding='utf-8') as f:
      dataset = json.load(f)
  except (ValueError, UnicodeDecodeError) as error:
    raise ValueError(f'{path}: not a JSON file ({error}).') from None
  if not isinstance(dataset, dict) or not all(
      isinstance(dataset.get(key), list)
      for key in ('images', 'annotations', 'categories')):
    raise ValueError(f'{path}: not a COCO instances file (needs lists '
                     '"images", "annotations" and "categories").')
  _check_categories(dataset, path)
  index = coco_api.COCO()
  index.dataset = dataset
  try:
    # createIndex prints its progress.
    with contextlib.redirect_stdout(io.StringIO()):
      index.createIndex()
  except (KeyError, TypeError) as error:
    raise ValueError(f'{path}: an image or annotation lacks its '
                     f'{error} field.') from None
  return index


@dataclasses.dataclass(frozen=True)
class MaskOptions:
  """How instances become a class mask (see the module docstring)."""
  overlaps: str = OVERLAPS_IGNORE
  crowd: str = CROWD_IGNORE

  def __post_init__(self):
    if self.overlaps not in OVERLAPS:
      raise ValueError(f'Unknown overlaps {self.overlaps!r}; expected one of '
                       f'{", ".join(OVERLAPS)}.')
    if self.crowd not in CROWDS:
      raise ValueError(f'Unknown crowd {self.crowd!r}; expected one of '
                       f'{", ".join(CROWDS)}.')


def class_mask(index, image_id, options, where):
  """The VOC class mask of one image, uint8 [H, W] in 0-20 and 255.

  Args:
    index: a `load_annotations` index.
    image_id: the COCO image id.
    options: a `MaskOptions`.
    where: names the image in errors ('<file>#<id>').

  Raises:
    image_files.BadSampleError: for an annotation pycocotools cannot read.
  """
  image = index.imgs[image_id]
  height, width = int(image['height']), int(image['width'])
  label = np.zeros((height, width), np.uint8)
  coverage = np.zeros((height, width), np.uint8)
  # Crowd regions fill in where no instance is; their class, or 255.
  crowd_label = np.zeros((height, width), np.uint8)
  in_crowd = np.zeros((height, width), bool)
  for annotation in index.imgToAnns.get(image_id, ()):
    voc_class = VOC_CLASS_OF_CATEGORY.get(annotation.get('category_id'))
    if voc_class is None:
      continue
    is_crowd = bool(annotation.get('iscrowd', 0))
    if is_crowd and options.crowd == CROWD_BACKGROUND:
      continue
    try:
      mask = index.annToMask(annotation).astype(bool)
    except Exception as error:  # pylint: disable=broad-except
      # pycocotools fails on malformed segmentations with many errors.
      raise image_files.BadSampleError(
          f'{where}: annotation {annotation.get("id")} has no readable '
          f'segmentation ({type(error).__name__}: {error}).') from None
    if mask.shape != (height, width):
      raise image_files.BadSampleError(
          f'{where}: annotation {annotation.get("id")} mask is '
          f'{mask.shape[1]}x{mask.shape[0]}, the image {width}x{height}.')
    if is_crowd:
      crowd_label[mask] = (voc_class if options.crowd == CROWD_CLASS
                           else voc.IGNORE_LABEL)
      in_crowd |= mask
    else:
      label[mask] = voc_class
      coverage += mask
  if options.overlaps == OVERLAPS_IGNORE:
    label[coverage > 1] = voc.IGNORE_LABEL
  crowd_only = in_crowd & (coverage == 0)
  label[crowd_only] = crowd_label[crowd_only]
  return label


def num_class_pixels(label):
  """Pixels of a class mask that hold a VOC class (not background, not 255)."""
  return int(np.count_nonzero((label > 0) & (label != voc.IGNORE_LABEL)))


@dataclasses.dataclass
class Selection:
  """The images of a split kept for conversion, and those left out.

  Attributes:
    split: the split's name.
    samples: the kept `conversion.Sample`s.
    dropped: (image file, VOC-class pixels) of each image left out.
    min_pixels: the threshold they were kept by.
  """
  split: str
  samples: List[conversion.Sample]
  dropped: List[Tuple[str, int]]
  min_pixels: int

  def __str__(self):
    total = len(self.samples) + len(self.dropped)
    return (f'{self.split}: kept {len(self.samples)} of {total} images, '
            f'dropped {len(self.dropped)} with at most {self.min_pixels} '
            'VOC-class pixels')


class Masks:
  """`load_label` of the converter: label_path '<file>#<id>' -> class mask.

  Holds each split's annotation index, loaded once.
  """

  def __init__(self, options=MaskOptions()):
    self.options = options
    self._indexes = {}

  def index(self, path):
    if path not in self._indexes:
      self._indexes[path] = load_annotations(path)
    return self._indexes[path]

  def __call__(self, label_path):
    path, image_id = label_path.rsplit('#', 1)
    return class_mask(self.index(path), int(image_id), self.options,
                      label_path)


def select(coco_dir, split, masks, min_pixels=MIN_PIXELS):
  """The split's images whose masks hold more than `min_pixels` VOC pixels.

  Every image of the annotation file is a candidate, in id order; the
  masks are drawn from the annotations alone (the images are read when
  they are written). An image whose annotations cannot be drawn is kept,
  to be reported as bad when it is written.

  Args:
    coco_dir: the COCO root (`find_coco`).
    split: 'train' or 'val'.
    masks: a `Masks`.
    min_pixels: the threshold.

  Returns:
    A `Selection`.

  Raises:
    ValueError: for an unknown split or a broken annotation file.
  """
  if split not in SPLITS:
    raise ValueError(f'Unknown COCO split {split!r}; expected one of '
                     f'{", ".join(SPLITS)}.')
  path = annotation_file(coco_dir, split)
  index = masks.index(path)
  samples, dropped = [], []
  for image_id in sorted(index.imgs):
    image = index.imgs[image_id]
    image_path = os.path.join(coco_dir, SPLITS[split], image['file_name'])
    label_path = f'{path}#{image_id}'
    sample = conversion.Sample(os.path.splitext(image['file_name'])[0],
                               image_path, label_path)
    try:
      pixels = num_class_pixels(masks(label_path))
    except image_files.BadSampleError:
      # Kept, so that writing it stops or skips it (`--skip_bad`) with the
      # other bad samples.
      samples.append(sample)
      continue
    if pixels > min_pixels:
      samples.append(sample)
    else:
      dropped.append((image_path, pixels))
  return Selection(split, samples, dropped, min_pixels)


def _grayscale_jpeg(path):
  """The `image_files.RgbImage` of an 8-bit grayscale JPEG, else None."""
  try:
    with open(path, 'rb') as f:
      data = f.read()
    with Image.open(io.BytesIO(data)) as image:
      if image.format != 'JPEG' or image.mode != 'L':
        return None
      pixels = np.asarray(image.convert('RGB'))
  except (OSError, SyntaxError, ValueError):
    return None
  return image_files.RgbImage(data, 'jpeg', pixels)


def read_image(path):
  """`image_files.read_rgb_image`, also taking COCO's grayscale JPEGs.

  A few hundred of COCO's images are 8-bit grayscale JPEGs; their bytes are
  kept, and the pipeline's decoder (3 channels) turns them into RGB.

  Raises:
    image_files.BadSampleError: as `image_files.read_rgb_image`.
  """
  try:
    return image_files.read_rgb_image(path)
  except image_files.BadSampleError:
    image = _grayscale_jpeg(path)
    if image is None:
      raise
    return image
