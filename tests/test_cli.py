"""cli: every error reported in one line; output folders checked up front."""

import os

from absl.testing import parameterized
import tensorflow as tf

from official import cli


class ErrorLineTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('usage', cli.UsageError('--flag x: bad.\nmore'), '--flag x: bad.'),
      ('value', ValueError('TRAIN_STEPS must be positive.'),
       'TRAIN_STEPS must be positive.'),
      ('os', PermissionError(13, 'Permission denied', '/data/x'),
       "PermissionError: [Errno 13] Permission denied: '/data/x'"),
      ('runtime', RuntimeError('locked\ntraceback'), 'RuntimeError: locked'),
      ('empty', KeyError(), 'KeyError: KeyError()'),
      ('tf_data', tf.errors.InvalidArgumentError(
          None, None, '{{function_node __wrapped__IteratorGetNext}} Error in '
          'user-defined function passed to MapDataset:0 transformation with '
          'iterator: Iterator::Root::Map: assertion failed: [label 7]\n\t '
          '[[{{node Assert}}]]'),
       'InvalidArgumentError: assertion failed: [label 7]'),
  )
  def test_one_line(self, error, expected):
    self.assertEqual(cli.error_line(error), expected)


class CheckOutputDirTest(tf.test.TestCase):

  def test_creates_a_folder(self):
    path = os.path.join(self.get_temp_dir(), 'a', 'b')
    self.assertEqual(cli.check_output_dir('eval_dir', path), path)
    self.assertTrue(os.path.isdir(path))
    self.assertEqual(os.listdir(path), [])

  def test_a_file_or_a_folder_under_a_file(self):
    path = os.path.join(self.get_temp_dir(), 'file')
    with open(path, 'w') as f:
      f.write('x')
    with self.assertRaisesRegex(cli.UsageError,
                                f'^--output_dir {path}: is a file, not a '
                                'folder.$'):
      cli.check_output_dir('output_dir', path)
    with self.assertRaisesRegex(
        cli.UsageError, f'^--model_dir {path}/run: cannot write there '
        r'\(.*Error: .*\).$'):
      cli.check_output_dir('model_dir', os.path.join(path, 'run'))


if __name__ == '__main__':
  tf.test.main()
