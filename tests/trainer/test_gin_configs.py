"""The experiment configs: every row parses and carries the paper's protocol."""

import glob
import os

from absl.testing import parameterized
import gin
import tensorflow as tf

from official import cli
from official.data import catalog
from official.model import builder

_CONFIGS = sorted(
    os.path.relpath(path, cli.REPO_ROOT)
    for path in glob.glob(os.path.join(cli.REPO_ROOT, 'gin_configs', '*',
                                       '*.gin')))
_MACROS = ('DATA_DIR', 'TRAIN_STEPS', 'BATCH_SIZE', 'CROP_SIZE', 'NUM_CLASSES')

# (train split, steps, batch, crop, eval crop) per dataset (reference §4.5).
_PROTOCOLS = {
    'voc': ('train_aug', 30000, 16, [513, 513], [513, 513]),
    'cityscapes': ('train', 90000, 16, [769, 769], [1025, 2049]),
    'coco': ('train', 300000, 16, [513, 513], [641, 641]),
    'ade20k': ('train', 150000, 16, [513, 513], None),
}
# Fine-tuning stages: (train split, base learning rate).
_STAGES = {
    'gin_configs/cityscapes/xception65_decoder_sc_os16_coarse.gin': (
        'trainval_coarse', 0.001),
}
# Stages after the first, with their own learning rates and splits
# (tests/trainer/test_staged_configs.py).
_LATER_STAGES = ('_coco.gin', '_trainval.gin')


def _parse(config, bindings=()):
  gin.clear_config()
  cli.parse_gin([os.path.join(cli.REPO_ROOT, config)], list(bindings))


class GinConfigsTest(tf.test.TestCase, parameterized.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  def test_contract_rows_exist(self):
    self.assertContainsSubset(
        ['gin_configs/cityscapes/xception65_decoder_sc_os16.gin',
         'gin_configs/cityscapes/xception71_decoder_sc_os16.gin',
         'gin_configs/toy/quickstart.gin',
         'gin_configs/voc/mobilenetv2_os16.gin',
         'gin_configs/voc/resnet101_decoder_os16.gin',
         'gin_configs/voc/resnet101_os16.gin',
         'gin_configs/voc/xception65_decoder_os16.gin',
         'gin_configs/voc/xception65_decoder_sc_os16.gin',
         'gin_configs/voc/xception65_os16.gin'], _CONFIGS)

  @parameterized.parameters(*_CONFIGS)
  def test_complete_experiment_with_overridable_macros(self, config):
    _parse(config)
    for macro in _MACROS:
      self.assertIsNotNone(gin.query_parameter(f'%{macro}'), macro)
    self.assertEqual(builder.model_config()['num_classes'],
                     catalog.dataset_info().num_classes)
    for parameter in ('train.train_steps', 'train_dataset.source',
                      'train_dataset.batch_size', 'train_dataset.crop_size',
                      'eval_dataset.source', 'train/TFRecordSource.data_dir',
                      'eval/TFRecordSource.data_dir'):
      self.assertIsNotNone(gin.query_parameter(parameter), parameter)
    _parse(config, ['NUM_CLASSES = 7', 'TRAIN_STEPS = 5', 'BATCH_SIZE = 2',
                    'CROP_SIZE = [65, 97]', "DATA_DIR = '/elsewhere'"])
    self.assertEqual(builder.model_config()['num_classes'], 7)
    self.assertEqual(catalog.dataset_info().num_classes, 7)
    self.assertEqual(gin.query_parameter('%TRAIN_STEPS'), 5)
    self.assertEqual(gin.query_parameter('%CROP_SIZE'), [65, 97])

  @parameterized.parameters(*[config for config in _CONFIGS
                              if not config.startswith('gin_configs/toy') and
                              not config.endswith(_LATER_STAGES)])
  def test_paper_protocol(self, config):
    _parse(config)
    dataset = config.split('/')[1]
    split, steps, batch_size, crop_size, eval_crop_size = _PROTOCOLS[dataset]
    split, learning_rate = _STAGES.get(config, (split, 0.007))
    self.assertEqual(gin.query_parameter('train/TFRecordSource.split'), split)
    self.assertEqual(gin.query_parameter('eval/TFRecordSource.split'), 'val')
    self.assertEqual(gin.query_parameter('%TRAIN_STEPS'), steps)
    self.assertEqual(gin.query_parameter('%BATCH_SIZE'), batch_size)
    self.assertEqual(gin.query_parameter('%CROP_SIZE'), crop_size)
    self.assertEqual(gin.query_parameter('eval_dataset.crop_size'),
                     eval_crop_size)
    self.assertEqual(
        gin.query_parameter('learning_rate_schedule.base_learning_rate'),
        learning_rate)
    self.assertEqual(gin.query_parameter('learning_rate_schedule.policy'),
                     'poly')
    self.assertEqual(
        gin.query_parameter('learning_rate_schedule.learning_power'), 0.9)
    self.assertEqual(gin.query_parameter('train.momentum'), 0.9)
    self.assertEqual(gin.query_parameter('weight_decay_loss.weight_decay'),
                     1e-4 if 'resnet' in config else 4e-5)

  def test_runs_from_another_directory(self):
    # Includes resolve against the repository root.
    cwd = os.getcwd()
    os.chdir(self.get_temp_dir())
    try:
      _parse('gin_configs/voc/xception65_decoder_sc_os16.gin')
    finally:
      os.chdir(cwd)
    self.assertEqual(gin.query_parameter('%TRAIN_STEPS'), 30000)


if __name__ == '__main__':
  tf.test.main()
