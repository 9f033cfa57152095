"""Toy VOC TFRecords written once per test process, for the train binary."""

import atexit
import functools
import io
import shutil
import tempfile

from official.data import conversion
from official.data import toy
from official.data import voc


@functools.lru_cache(maxsize=None)
def toy_tfrecords():
  """A folder with train_aug and val of 10 toy images, 2 shards each."""
  root = tempfile.mkdtemp(prefix='deeplab_trainer_test_')
  atexit.register(shutil.rmtree, root, ignore_errors=True)
  toy.write_voc(f'{root}/voc', num_images=10, seed=0)
  voc_dir, sbd_dir = voc.find_voc2012(f'{root}/voc'), voc.find_sbd(
      f'{root}/voc')
  conversion.convert(
      {split: voc.samples(voc_dir, split, sbd_dir)
       for split in (voc.TRAIN_AUG, 'val')},
      f'{root}/tfrecords', voc.load_label, num_shards=2,
      stream=io.StringIO(), out=io.StringIO())
  return f'{root}/tfrecords'
