"""Configured values checked where they are used, named by their macro."""

import os

from absl.testing import parameterized
import gin
import tensorflow as tf

from official import cli
from official import experiment
from official.ops import setting_checks
from official.data import catalog
from official.data import pipeline
from official.trainer import trainer
from tests import fixtures

_QUICKSTART = os.path.join(cli.REPO_ROOT, 'gin_configs/toy/quickstart.gin')


class SettingChecksTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    gin.clear_config()
    self.addCleanup(gin.clear_config)
    self.data_dir = os.path.join(self.get_temp_dir(), 'tfrecords')
    fixtures.write_split(self.data_dir, 'train_aug', [
        (f'image_{index}', fixtures.png_bytes(image), labels)
        for index, (image, labels) in enumerate(fixtures.toy_images())])

  def _parse(self, *bindings):
    gin.parse_config_files_and_bindings(
        [_QUICKSTART], fixtures.TINY_MODEL_BINDINGS +
        [f"DATA_DIR = '{self.data_dir}'"] + list(bindings))

  def _assert_first_line(self, call, message):
    """The error `cli.run` reports, naming the macro."""
    with self.assertRaises(setting_checks.SettingError) as caught:
      call()
    self.assertEqual(cli.error_line(caught.exception), message)

  def test_setting_name(self):
    self._parse()
    self.assertEqual(experiment.setting_name('train.train_steps'),
                     'TRAIN_STEPS (train.train_steps)')
    self.assertEqual(experiment.setting_name('train.seed'), 'train.seed')
    self.assertEqual(experiment.setting_name('train.momentum'),
                     'train.momentum')

  @parameterized.named_parameters(
      ('train_steps_text', "TRAIN_STEPS = 'abc'",
       "TRAIN_STEPS (train.train_steps) must be a positive integer, got "
       "'abc'."),
      ('train_steps_zero', 'TRAIN_STEPS = 0',
       'TRAIN_STEPS (train.train_steps) must be a positive integer, got 0.'),
      ('num_classes_zero', 'NUM_CLASSES = 0',
       'NUM_CLASSES (dataset_info.num_classes) must be a positive integer, '
       'got 0.'),
  )
  def test_trainer_settings(self, binding, message):
    self._parse(binding)
    self._assert_first_line(
        lambda: trainer.train(os.path.join(self.get_temp_dir(), 'run')),
        message)

  @parameterized.named_parameters(
      ('batch_size_zero', 'BATCH_SIZE = 0',
       'BATCH_SIZE (train_dataset.batch_size) must be a positive integer, '
       'got 0.'),
      ('crop_size_one_number', 'CROP_SIZE = [65]',
       'CROP_SIZE (train_dataset.crop_size) must be [height, width], two '
       'positive integers, got [65].'),
      ('crop_size_text', "CROP_SIZE = '65'",
       'CROP_SIZE (train_dataset.crop_size) must be [height, width], two '
       "positive integers, got '65'."),
  )
  def test_pipeline_settings(self, binding, message):
    self._parse(binding)
    self._assert_first_line(pipeline.train_dataset, message)

  def test_crop_too_small_for_the_output_stride(self):
    self._parse('CROP_SIZE = [10, 10]', 'TRAIN_STEPS = 1')
    model_dir = os.path.join(self.get_temp_dir(), 'small')
    self._assert_first_line(
        lambda: trainer.train(model_dir,
                              tf.distribute.OneDeviceStrategy('/cpu:0')),
        'CROP_SIZE (train_dataset.crop_size) [10, 10] is too small for '
        'output stride 16: each side must be at least 17.')
    self.assertEmpty(tf.io.gfile.glob(os.path.join(model_dir, 'ckpt-*')))

  def test_dataset_info_num_classes(self):
    with self.assertRaisesRegex(setting_checks.SettingError,
                                'must be a positive integer'):
      catalog.dataset_info(num_classes=-1)
    self.assertEqual(catalog.dataset_info(num_classes=3).num_classes, 3)


if __name__ == '__main__':
  tf.test.main()
