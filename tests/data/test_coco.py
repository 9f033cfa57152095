"""COCO instances to VOC class masks, on the toy COCO layout's real files."""

import functools
import io
import json
import os
import shutil

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.data import coco
from official.data import conversion
from official.data import image_files
from official.data import tfrecord
from official.data import toy
from official.data import voc
from tests import fixtures

_PERSON, _CAR, _DOG = (voc.CLASS_NAMES.index(name)
                       for name in ('person', 'car', 'dog'))


@functools.lru_cache(maxsize=None)
def _coco_root():
  root = fixtures.temporary_dir()
  return root, toy.write_coco(root, num_images=9, seed=0)


def _box(box, shape=toy.COCO_IMAGE_SIZE):
  left, top, right, bottom = box
  mask = np.zeros(shape, bool)
  mask[top:bottom, left:right] = True
  return mask


def _mask(image_id, split='train', **options):
  root, _ = _coco_root()
  masks = coco.Masks(coco.MaskOptions(**options))
  return masks(f'{coco.annotation_file(root, split)}#{image_id}')


def _copy_of_toy():
  root = fixtures.temporary_dir()
  shutil.copytree(_coco_root()[0], root, dirs_exist_ok=True)
  return root


class CategoriesTest(tf.test.TestCase):

  def test_standard_name_match_in_voc_order(self):
    # protocols.md §1: the COCO ids of VOC classes 1-20.
    self.assertEqual([category_id for category_id, _, _ in
                      coco.VOC_CATEGORIES],
                     [5, 2, 16, 9, 44, 6, 3, 17, 62, 21, 67, 18, 19, 4, 1,
                      64, 20, 63, 7, 72])
    self.assertEqual([coco.VOC_CLASS_OF_CATEGORY[category_id] for
                      category_id, _, _ in coco.VOC_CATEGORIES],
                     list(range(1, 21)))
    self.assertEqual(coco.VOC_CLASS_OF_CATEGORY[63],
                     voc.CLASS_NAMES.index('sofa'))


class ClassMaskTest(tf.test.TestCase, parameterized.TestCase):

  def test_overlaps_are_ignored_and_other_categories_background(self):
    boxes = toy.COCO_OVERLAP_BOXES
    person, car = _box(boxes['person']), _box(boxes['car'])
    label = _mask(toy.COCO_OVERLAP_IMAGE_ID)
    expected = np.zeros(toy.COCO_IMAGE_SIZE, np.uint8)
    expected[person] = _PERSON
    expected[car] = _CAR
    expected[person & car] = 255
    self.assertAllEqual(label, expected)
    self.assertEqual(np.count_nonzero(label == 255), 20 * 30)
    self.assertEqual(np.count_nonzero(label == _PERSON), 2500 - 600)
    # The giraffe's corner over the person stays person.
    self.assertAllEqual(label[20:30, 20:30], np.full((10, 10), _PERSON))

  def test_overlaps_last_instance_wins(self):
    label = _mask(toy.COCO_OVERLAP_IMAGE_ID, overlaps=coco.OVERLAPS_LAST)
    self.assertEqual(np.count_nonzero(label == 255), 0)
    self.assertEqual(np.count_nonzero(label == _CAR), 2500)
    self.assertEqual(np.count_nonzero(label == _PERSON), 1900)

  @parameterized.parameters((coco.CROWD_IGNORE, 255),
                            (coco.CROWD_CLASS, _PERSON),
                            (coco.CROWD_BACKGROUND, 0))
  def test_crowd(self, crowd, crowd_value):
    crowd_region = _box(toy.COCO_CROWD_BOXES['crowd'])
    person = _box(toy.COCO_CROWD_BOXES['person'])
    label = _mask(toy.COCO_CROWD_IMAGE_ID, crowd=crowd)
    expected = np.zeros(toy.COCO_IMAGE_SIZE, np.uint8)
    expected[crowd_region] = crowd_value
    # The instance inside the crowd keeps its class, never an overlap.
    expected[person] = _PERSON
    self.assertAllEqual(label, expected)

  @parameterized.parameters('train', 'val')
  def test_rle_instances_take_their_class(self, split):
    # Random images put their instances in disjoint halves: no overlaps.
    root, _ = _coco_root()
    index = coco.load_annotations(coco.annotation_file(root, split))
    rle = [annotation for annotation in index.anns.values()
           if isinstance(annotation['segmentation'], dict) and
           not annotation['iscrowd'] and
           annotation['category_id'] in coco.VOC_CLASS_OF_CATEGORY]
    self.assertNotEmpty(rle)
    for annotation in rle:
      drawn = index.annToMask(annotation).astype(bool)
      self.assertEqual(np.count_nonzero(drawn), annotation['area'])
      label = _mask(annotation['image_id'], split)
      self.assertAllEqual(
          np.unique(label[drawn]),
          [coco.VOC_CLASS_OF_CATEGORY[annotation['category_id']]])


class SelectTest(tf.test.TestCase):

  def test_keeps_images_over_min_pixels(self):
    root, counts = _coco_root()
    masks = coco.Masks()
    train = coco.select(root, 'train', masks)
    small = os.path.join(root, 'train2017',
                         f'{toy.COCO_SMALL_IMAGE_ID:012d}.jpg')
    self.assertEqual(train.dropped, [(small, 400)])
    self.assertLen(train.samples, counts['train'] - 1)
    self.assertEqual(str(train),
                     f'train: kept {counts["train"] - 1} of {counts["train"]} '
                     'images, dropped 1 with at most 1000 VOC-class pixels')
    self.assertLen(coco.select(root, 'val', masks).samples, counts['val'])
    # 400 pixels are kept below a lower threshold.
    self.assertEqual(coco.select(root, 'train', masks, 399).dropped, [])

  def test_converts_and_decodes_through_the_pipeline(self):
    root, counts = _coco_root()
    masks = coco.Masks()
    output_dir = fixtures.temporary_dir()
    summaries = conversion.convert(
        {split: coco.select(root, split, masks).samples
         for split in coco.SPLITS}, output_dir, masks, num_shards=2,
        stream=io.StringIO(), out=io.StringIO(), read_image=coco.read_image)
    self.assertEqual([summary.num_written for summary in summaries],
                     [counts['train'] - 1, counts['val']])
    source = tfrecord.TFRecordSource(output_dir, 'train')
    elements = {element['filename'].numpy().decode(): element
                for element in source.records().map(source.decode)}
    overlap = elements[f'{toy.COCO_OVERLAP_IMAGE_ID:012d}']
    self.assertAllEqual(overlap['label'][..., 0],
                        _mask(toy.COCO_OVERLAP_IMAGE_ID))
    # The grayscale JPEG decodes to three equal channels.
    gray = elements[f'{toy.COCO_GRAYSCALE_IMAGE_ID:012d}']['image'].numpy()
    self.assertEqual(gray.shape, toy.COCO_IMAGE_SIZE + (3,))
    self.assertAllEqual(gray[..., 0], gray[..., 2])
    self.assertNotIn(f'{toy.COCO_SMALL_IMAGE_ID:012d}', elements)
    values = np.unique(np.concatenate(
        [np.unique(element['label']) for element in elements.values()]))
    self.assertContainsSubset([0, 255], values)
    self.assertTrue(np.all((values <= 20) | (values == 255)))


class BadInputTest(tf.test.TestCase):

  def _convert_train(self, root, skip_bad=False):
    masks = coco.Masks()
    stream = io.StringIO()
    summaries = conversion.convert(
        {'train': coco.select(root, 'train', masks).samples},
        os.path.join(root, 'out'), masks, num_shards=1, skip_bad=skip_bad,
        stream=stream, out=io.StringIO(), read_image=coco.read_image)
    return summaries[0]

  def test_missing_image(self):
    root = _copy_of_toy()
    path = os.path.join(root, 'train2017', '000000000005.jpg')
    os.remove(path)
    with self.assertRaisesRegex(image_files.BadSampleError,
                                f'^{path}: no such file.$'):
      self._convert_train(root)
    summary = self._convert_train(root, skip_bad=True)
    self.assertEqual([skipped for skipped, _ in summary.skipped], [path])

  def test_corrupt_jpeg(self):
    root = _copy_of_toy()
    for image_id in (5, toy.COCO_GRAYSCALE_IMAGE_ID):
      path = os.path.join(root, 'train2017', f'{image_id:012d}.jpg')
      data = open(path, 'rb').read()
      with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
      with self.assertRaisesRegex(
          image_files.BadSampleError,
          f'^{path}: corrupt or truncated image file'):
        coco.read_image(path)

  def test_broken_annotation_json(self):
    root = _copy_of_toy()
    path = coco.annotation_file(root, 'train')
    with open(path, 'r+') as f:
      text = f.read()
      f.seek(0)
      f.truncate()
      f.write(text[:len(text) // 2])
    with self.assertRaisesRegex(ValueError, f'^{path}: not a JSON file'):
      coco.select(root, 'train', coco.Masks())

  def test_not_coco_categories(self):
    root = _copy_of_toy()
    path = coco.annotation_file(root, 'val')
    dataset = json.load(open(path))
    for category in dataset['categories']:
      if category['id'] == 63:
        category['name'] = 'sofa'
    json.dump(dataset, open(path, 'w'))
    with self.assertRaisesRegex(
        ValueError, f"^{path}: category 63 is 'sofa', expected 'couch'"):
      coco.load_annotations(path)

  def test_unreadable_segmentation_names_file_and_image(self):
    root = _copy_of_toy()
    path = coco.annotation_file(root, 'train')
    dataset = json.load(open(path))
    dataset['annotations'][0]['segmentation'] = {'size': [1, 2]}
    json.dump(dataset, open(path, 'w'))
    image_id = dataset['annotations'][0]['image_id']
    with self.assertRaisesRegex(
        image_files.BadSampleError,
        f'^{path}#{image_id}: annotation 1 has no readable segmentation'):
      self._convert_train(root)

  def test_missing_root_or_split(self):
    with self.assertRaisesRegex(
        FileNotFoundError, '^--coco_root=/nowhere: found no '
        'annotations/instances_train2017.json in it.$'):
      coco.find_coco('/nowhere')
    root = _copy_of_toy()
    os.remove(coco.annotation_file(root, 'val'))
    with self.assertRaisesRegex(FileNotFoundError, 'instances_val2017.json: '
                                'no such annotation file.'):
      coco.select(root, 'val', coco.Masks())


if __name__ == '__main__':
  tf.test.main()
