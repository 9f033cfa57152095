"""The COCO -> VOC train_aug -> VOC trainval chain, as gin experiments.

Each stage trains a few steps of a tiny model on toy data and starts from
the previous stage's checkpoint with the stage's own init_mode.
"""

import functools
import io
import os

from absl.testing import parameterized
import gin
import numpy as np
import tensorflow as tf

from official import cli
from official.data import coco
from official.data import conversion
from official.data import toy
from official.model import builder
from official.trainer import trainer
from tests import fixtures

# (config, train split, base learning rate, output stride, BN trained,
# init_mode); the learning rate of the trainval stage is a macro.
_CHAINS = {
    'xception65': (
        ('gin_configs/coco/xception65_decoder_sc_os16.gin', 'train', 0.007,
         16, True, 'backbone'),
        ('gin_configs/voc/xception65_decoder_sc_os16_coco.gin', 'train_aug',
         1e-4, 16, True, 'all'),
        ('gin_configs/voc/xception65_decoder_sc_os8_trainval.gin',
         'trainval', 1e-3, 8, False, 'all')),
    'mobilenetv2': (
        ('gin_configs/coco/mobilenetv2_os16.gin', 'train', 0.007, 16, True,
         'backbone'),
        ('gin_configs/voc/mobilenetv2_os16_coco.gin', 'train_aug', 1e-4, 16,
         True, 'all'),
        ('gin_configs/voc/mobilenetv2_os8_trainval.gin', 'trainval', 1e-3, 8,
         False, 'all')),
}
_HARD_CLASSES = ['bicycle', 'chair', 'diningtable', 'pottedplant', 'sofa']
# The tiny model's widths; each config keeps its own atrous rates.
_TINY = [binding for binding in fixtures.TINY_MODEL_BINDINGS
         if not binding.startswith('DeepLab.atrous_rates')]


@functools.lru_cache(maxsize=None)
def _coco_tfrecords():
  root = fixtures.temporary_dir()
  toy.write_coco(root, num_images=6, seed=0)
  masks = coco.Masks()
  conversion.convert({'train': coco.select(root, 'train', masks).samples},
                     f'{root}/tfrecords', masks, num_shards=1,
                     stream=io.StringIO(), out=io.StringIO(),
                     read_image=coco.read_image)
  return f'{root}/tfrecords'


def _parse(config, bindings=()):
  gin.clear_config()
  cli.parse_gin([os.path.join(cli.REPO_ROOT, config)], list(bindings))


def _moving_statistics(model):
  return {variable.path: variable.numpy() for variable in model.weights
          if 'moving_' in variable.path}


class StagedConfigsTest(tf.test.TestCase, parameterized.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  @parameterized.parameters(*[stage for chain in _CHAINS.values()
                              for stage in chain])
  def test_stage_protocol(self, config, split, learning_rate, output_stride,
                          bn_trained, init_mode):
    _parse(config)
    self.assertEqual(gin.query_parameter('train/TFRecordSource.split'), split)
    self.assertEqual(gin.query_parameter('%BATCH_SIZE'), 16)
    self.assertEqual(gin.query_parameter('%CROP_SIZE'), [513, 513])
    self.assertEqual(gin.query_parameter('train.init_mode'), init_mode)
    rate = gin.query_parameter('learning_rate_schedule.base_learning_rate')
    if split == 'trainval':
      self.assertEqual(gin.query_parameter('%BASE_LEARNING_RATE'),
                       learning_rate)
      self.assertEqual(gin.query_parameter(
          'train/DuplicatedHardClasses.class_names'), _HARD_CLASSES)
      self.assertEqual(gin.query_parameter('%HARD_CLASS_COPIES'), 2)
    else:
      self.assertEqual(rate, learning_rate)
    self.assertEqual(gin.query_parameter('%TRAIN_STEPS'),
                     300000 if split == 'train' else 30000)
    model = builder.model_config()
    self.assertEqual(model['output_stride'], output_stride)
    self.assertEqual(model['fine_tune_batch_norm'], bn_trained)
    self.assertEqual(model['num_classes'], 21)
    if 'xception65' in config:
      self.assertEqual(model['atrous_rates'],
                       (6, 12, 18) if output_stride == 16 else (12, 24, 36))
    else:
      self.assertEqual(model['atrous_rates'], ())

  def test_original_learning_rate_of_the_trainval_stage(self):
    _parse('gin_configs/voc/xception65_decoder_sc_os8_trainval.gin',
           ['BASE_LEARNING_RATE = 1e-4', 'HARD_CLASS_COPIES = 1'])
    self.assertEqual(gin.query_parameter('%BASE_LEARNING_RATE'), 1e-4)
    self.assertEqual(gin.query_parameter('%HARD_CLASS_COPIES'), 1)

  @parameterized.parameters(*[stage[0] for stage in _CHAINS['mobilenetv2']])
  def test_builds_tiny(self, config):
    _parse(config, _TINY)
    model = builder.build_model()
    self.assertEqual(model.num_classes, 21)
    self.assertEqual(model.get_layer('logits.semantic').weights[0].shape[-1],
                     21)

  # The MobileNetV2 chain differs from this one by its gin rows only, which
  # the tiny model's bindings replace; training it too would double the
  # time of this file.
  def test_chain_trains_each_stage_from_the_previous(self):
    chain = 'xception65'
    previous_dir = previous_model = None
    for index, (config, _, _, _, bn_trained, init_mode) in enumerate(
        _CHAINS[chain]):
      data_dir = _coco_tfrecords() if index == 0 else fixtures.voc_tfrecords()
      bindings = _TINY + ['CROP_SIZE = [33, 33]', 'BATCH_SIZE = 2',
                          'TRAIN_STEPS = 2', f"DATA_DIR = '{data_dir}'",
                          'train.seed = 0',
                          'train.image_summary_every_n_steps = 1000']
      if previous_dir:
        bindings.append(f"train.init_checkpoint = '{previous_dir}'")
      _parse(config, bindings)
      model_dir = os.path.join(self.get_temp_dir(), chain, str(index))
      with self.assertLogs('absl', 'INFO') as logs:
        result = trainer.train(
            model_dir, tf.distribute.OneDeviceStrategy('/cpu:0'))
      self.assertEqual(result.step, 2)
      self.assertTrue(tf.io.gfile.exists(os.path.join(model_dir,
                                                      'ckpt-2.index')))
      initialised = fixtures.log_messages(logs, 'Initialised from')
      if previous_dir:
        self.assertLen(initialised, 1)
        self.assertStartsWith(initialised[0], f'Initialised from '
                              f'{previous_dir} (mode {init_mode}): ')
        # Every weight came from the previous stage: after two small
        # steps the logits are still its own.
        self.assertAllClose(
            result.model.get_layer('logits.semantic').weights[0],
            previous_model.get_layer('logits.semantic').weights[0],
            atol=1e-2)
        if not bn_trained:
          statistics = _moving_statistics(previous_model)
          self.assertNotEmpty(statistics)
          for path, value in _moving_statistics(result.model).items():
            self.assertAllEqual(value, statistics[path], msg=path)
      else:
        self.assertEmpty(initialised)
      previous_dir, previous_model = model_dir, result.model


if __name__ == '__main__':
  tf.test.main()
