"""Parsing an experiment: one-line errors, macros nothing reads, followers."""

import os
import tempfile

from absl.testing import parameterized
import gin
import tensorflow as tf

from official import experiment
from official.data import catalog
from official.model import builder

_QUICKSTART = os.path.join(experiment.REPO_ROOT, 'gin_configs/toy/quickstart.gin')


class ParseTest(tf.test.TestCase, parameterized.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  def _gin_file(self, text):
    path = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), 'bad.gin')
    with open(path, 'w') as f:
      f.write(text)
    return path

  @parameterized.named_parameters(
      ('unfinished', 'DeepLab.num_classes = [1,',
       '--gin_bindings "DeepLab.num_classes = [1,": unfinished statement (an '
       'open bracket or quote)'),
      ('unquoted_string', 'DATA_DIR=/data/x',
       '--gin_bindings "DATA_DIR=/data/x": unable to parse the value (quote '
       'strings: NAME = \'text\') at line 1: DATA_DIR=/data/x'),
      ('misspelt_macro', 'TRAIN_STEP=5',
       '--gin_bindings "TRAIN_STEP=5": nothing in the config reads the macro '
       'TRAIN_STEP (known macros: BATCH_SIZE, CROP_SIZE, DATA_DIR, '
       'NUM_CLASSES, TRAIN_STEPS).'),
      ('misspelt_parameter', 'train.train_step = 5',
       '--gin_bindings "train.train_step = 5": Configurable \'train\' doesn\'t '
       'have a parameter named \'train_step\'.'),
      ('unknown_configurable', 'Trainer.steps = 5',
       '--gin_bindings "Trainer.steps = 5": No configurable matching '
       '\'Trainer\'.'),
  )
  def test_bad_binding_is_one_line_naming_it(self, binding, expected):
    with self.assertRaises(experiment.ConfigError) as raised:
      experiment.parse([_QUICKSTART], [binding])
    self.assertEqual(str(raised.exception), expected)

  def test_bad_line_in_a_file_names_file_and_line(self):
    path = self._gin_file("TRAIN_STEPS = 10\nDeepLab.backbone = 'x' 'y' (\n")
    with self.assertRaises(experiment.ConfigError) as raised:
      experiment.parse([path])
    self.assertEqual(str(raised.exception),
                     f'--gin_file {path}: Expected newline at line 2: '
                     "DeepLab.backbone = 'x' 'y' (")
    gin.clear_config()
    path = self._gin_file('TRAIN_STEPS = 10\nDATA_DIR = /data/x\n')
    with self.assertRaises(experiment.ConfigError) as raised:
      experiment.parse([path])
    self.assertEqual(
        str(raised.exception),
        f'--gin_file {path}: unable to parse the value (quote strings: '
        'NAME = \'text\') at line 2: DATA_DIR = /data/x')

  def test_missing_file(self):
    with self.assertRaisesRegex(FileNotFoundError,
                                '^--gin_file /no/such.gin: no such file.$'):
      experiment.parse(['/no/such.gin'])

  def test_macro_read_and_overrides_after_bindings(self):
    experiment.parse([_QUICKSTART], ['TRAIN_STEPS = 7'],
                     overrides={'train.init_checkpoint': '/ckpt/a'})
    self.assertEqual(experiment.final_step(), 7)
    self.assertEqual(gin.query_parameter('train.init_checkpoint'), '/ckpt/a')
    self.assertTrue(gin.config_is_locked())

  def test_model_and_data_follow_the_dataset_info(self):
    experiment.parse([_QUICKSTART], ['NUM_CLASSES = 6'])
    self.assertEqual(builder.model_config()['num_classes'], 6)
    self.assertEqual(catalog.dataset_info().num_classes, 6)
    for key, value in (('FolderSource.ignore_label', 255),
                       ('train_dataset.ignore_label', 255),
                       ('eval_dataset.ignore_label', 255)):
      self.assertEqual(gin.query_parameter(key), value, key)
    # The operative config keeps the macro, so that it stays overridable.
    for key in ('DeepLab.num_classes', 'FolderSource.num_classes'):
      self.assertIn(f'{key} = %NUM_CLASSES', experiment.config_text())

  def test_explicit_binding_wins(self):
    experiment.parse([_QUICKSTART], ['DeepLab.num_classes = 9',
                                     'eval_dataset.ignore_label = 0'])
    self.assertEqual(builder.model_config()['num_classes'], 9)
    self.assertEqual(gin.query_parameter('eval_dataset.ignore_label'), 0)
    self.assertEqual(gin.query_parameter('train_dataset.ignore_label'), 255)

  def test_eval_source_names_the_split(self):
    data_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    open(os.path.join(data_dir, 'val-00000-of-00001.tfrecord'), 'w').close()
    experiment.parse([_QUICKSTART], [f"DATA_DIR = '{data_dir}'"])
    source, name = experiment.eval_source()
    self.assertEqual(source.files,
                     [os.path.join(data_dir, 'val-00000-of-00001.tfrecord')])
    self.assertEqual(name, f"eval/TFRecordSource(data_dir='{data_dir}', "
                           "split='val')")


if __name__ == '__main__':
  tf.test.main()
