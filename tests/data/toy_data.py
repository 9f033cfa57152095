"""Toy datasets written once per test process, in temporary folders."""

import atexit
import functools
import io
import shutil
import tempfile

from official.data import cityscapes
from official.data import conversion
from official.data import toy
from official.data import voc

NUM_VOC_IMAGES = 20
NUM_CITYSCAPES_IMAGES = 10


def temporary_dir():
  """A fresh temporary folder, removed at exit."""
  path = tempfile.mkdtemp(prefix='deeplab_data_test_')
  atexit.register(shutil.rmtree, path, ignore_errors=True)
  return path


@functools.lru_cache(maxsize=None)
def voc_root():
  """A toy VOC layout (with SBD): (folder, {split: count})."""
  root = temporary_dir()
  return root, toy.write_voc(root, NUM_VOC_IMAGES, seed=0)


def _convert(samples_by_split, load_label):
  """The splits converted quietly, 2 shards each, into a new folder."""
  output_dir = temporary_dir()
  conversion.convert(samples_by_split, output_dir, load_label, num_shards=2,
                     stream=io.StringIO(), out=io.StringIO())
  return output_dir


@functools.lru_cache(maxsize=None)
def voc_tfrecords():
  """The toy VOC layout converted, all four splits in 2 shards each."""
  root, _ = voc_root()
  voc_dir, sbd_dir = voc.find_voc2012(root), voc.find_sbd(root)
  return _convert({split: voc.samples(voc_dir, split, sbd_dir)
                   for split in voc.VOC_SPLITS + (voc.TRAIN_AUG,)},
                  voc.load_label)


@functools.lru_cache(maxsize=None)
def cityscapes_root():
  """A toy Cityscapes layout: (folder, {split: count})."""
  root = temporary_dir()
  return root, toy.write_cityscapes(root, NUM_CITYSCAPES_IMAGES, seed=0)


@functools.lru_cache(maxsize=None)
def cityscapes_tfrecords():
  """The toy Cityscapes layout converted, 2 shards per split."""
  root, _ = cityscapes_root()
  return _convert({split: cityscapes.samples(root, split)
                   for split in cityscapes.SPLITS}, cityscapes.load_label)

