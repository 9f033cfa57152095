"""The Cityscapes coarse stage and ADE20K train a few steps on toy data in
their published layouts, converted as the tools convert them."""

import io
import os

import gin
import keras
import numpy as np
import tensorflow as tf

from official import cli
from official.data import ade20k
from official.data import cityscapes
from official.data import conversion
from official.data import toy
from official.model import builder
from official.trainer import trainer
from tests import fixtures

_COARSE_CONFIG = 'gin_configs/cityscapes/xception65_decoder_sc_os16_coarse.gin'
_ADE20K_CONFIG = 'gin_configs/ade20k/xception65_decoder_sc_os8.gin'


def _tiny_bindings(data_dir):
  return fixtures.TINY_MODEL_BINDINGS + [
      f"DATA_DIR = '{data_dir}'", 'TRAIN_STEPS = 2', 'BATCH_SIZE = 2',
      'CROP_SIZE = [65, 65]']


class CityscapesCoarseStageTest(tf.test.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  def test_trains_on_trainval_coarse_from_a_train_fine_checkpoint(self):
    root = os.path.join(self.get_temp_dir(), 'cityscapes')
    counts = toy.write_cityscapes(root, num_images=5, seed=0)
    data_dir = os.path.join(self.get_temp_dir(), 'tfrecords')
    splits = cityscapes.all_samples(root)
    conversion.convert(
        {split: splits[split] for split in ('train', 'trainval_coarse')},
        data_dir, cityscapes.load_label, num_shards=1, stream=io.StringIO(),
        out=io.StringIO())

    # Learning rate 0: what the steps start from is what they end with.
    cli.parse_gin([os.path.join(cli.REPO_ROOT, _COARSE_CONFIG)],
                  _tiny_bindings(data_dir) + [
                      'learning_rate_schedule.base_learning_rate = 0.0',
                      'weight_decay_loss.weight_decay = 0.0'])
    self.assertEqual(gin.query_parameter('train/TFRecordSource.split'),
                     'trainval_coarse')
    keras.utils.set_random_seed(1)
    train_fine = builder.build_model()
    fine_dir = os.path.join(self.get_temp_dir(), 'train_fine')
    tf.train.CheckpointManager(tf.train.Checkpoint(model=train_fine),
                               fine_dir, max_to_keep=1).save()
    result = trainer.train(
        os.path.join(self.get_temp_dir(), 'coarse'),
        tf.distribute.OneDeviceStrategy('/cpu:0'), train_steps=2,
        init_checkpoint=fine_dir, seed=2, checkpoint_every_n_steps=100,
        summary_every_n_steps=100, image_summary_every_n_steps=100)
    self.assertEqual(counts['train_extra'], 1)
    self.assertEqual(result.step, 2)
    self.assertLen(result.losses, 2)
    self.assertTrue(all(np.isfinite(list(result.losses.values()))))
    # The whole train_fine model was the starting point (init_mode 'all').
    self.assertAllEqual(result.model.logits.kernel, train_fine.logits.kernel)



class Ade20kTest(tf.test.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  def test_trains_a_few_steps(self):
    root = os.path.join(self.get_temp_dir(), 'ade20k')
    toy.write_ade20k(root, num_images=4, seed=0)
    root = ade20k.find_root(root)
    data_dir = os.path.join(self.get_temp_dir(), 'tfrecords')
    conversion.convert(
        {split: ade20k.samples(root, split) for split in ade20k.SPLIT_FOLDERS},
        data_dir, ade20k.load_label, num_shards=1, stream=io.StringIO(),
        out=io.StringIO())
    cli.parse_gin([os.path.join(cli.REPO_ROOT, _ADE20K_CONFIG)],
                  _tiny_bindings(data_dir) + [
                      'DeepLab.output_stride = 16',
                      'DeepLab.atrous_rates = (6,)'])
    # Crops pad with the ignore label 0, so that every label is in range.
    self.assertEqual(gin.query_parameter('train_dataset.ignore_label'), 0)
    result = trainer.train(
        os.path.join(self.get_temp_dir(), 'run'),
        tf.distribute.OneDeviceStrategy('/cpu:0'), train_steps=2, seed=2,
        checkpoint_every_n_steps=100, summary_every_n_steps=100,
        image_summary_every_n_steps=100)
    self.assertEqual(result.step, 2)
    self.assertEqual(result.model.num_classes, 151)
    self.assertTrue(all(np.isfinite(list(result.losses.values()))))


if __name__ == '__main__':
  tf.test.main()
