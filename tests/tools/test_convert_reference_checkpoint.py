import os

import gin
import tensorflow as tf

from official import cli
from official.model import reference_checkpoint
from official.model import builder
from official.model import checkpoint as checkpoint_lib
from tests import fixtures
from tests import original_checkpoints

_GIN_FILE = os.path.join(fixtures.REPO_ROOT,
                         'gin_configs/voc/mobilenetv2_os16.gin')


def _run(*args, run=fixtures.run_main):
  return run('tools.convert_reference_checkpoint', *args)


def _error_lines(result):
  return [line for line in result.stderr.splitlines()
          if line.startswith('error:')]


class ConvertReferenceCheckpointTest(tf.test.TestCase):

  def _write(self, num_classes=21, global_step=None):
    values = original_checkpoints.random_values(
        original_checkpoints.mobilenet_v2(num_classes))
    prefix = original_checkpoints.write(
        os.path.join(self.get_temp_dir(), 'original', 'model.ckpt'), values,
        global_step=global_step, slots=['aspp0/weights'])
    return prefix, values

  def test_converted_checkpoint_loads_into_the_configured_model(self):
    prefix, values = self._write(global_step=30000)
    output_dir = os.path.join(self.get_temp_dir(), 'converted')
    result = _run(f'--reference_checkpoint={os.path.dirname(prefix)}',
                  f'--gin_file={_GIN_FILE}', f'--output_dir={output_dir}')
    self.assertEqual(result.returncode, 0, result.stderr)
    path = os.path.join(output_dir, 'ckpt-30000')
    self.assertEqual(result.stdout.splitlines(), [
        f'Loaded 272 of 272 model variables (2,146,645 values) from {prefix}.',
        'Skipped 2 training-state variables: 1 Momentum slot, global_step.',
        'Left no model variable fresh.',
        f'Wrote {path}; pass it as --checkpoint.',
    ])
    self.assertEqual(tf.train.latest_checkpoint(output_dir), path)

    cli.parse_gin([_GIN_FILE], [])
    try:
      model = builder.build_model(output_stride=8)
    finally:
      gin.clear_config()
    tf.train.Checkpoint(model=model).read(path).assert_consumed()
    for name, variable in reference_checkpoint.reference_variables(
        model).items():
      self.assertAllEqual(variable, values[name], msg=name)
    # The trainer's warm start takes it as --checkpoint, folder or prefix.
    report = checkpoint_lib.initialize_from_checkpoint(model, output_dir)
    self.assertLen(report.restored, 272)

  def test_missing_checkpoint(self):
    # In a process of its own: the exit status and what it prints.
    result = _run('--reference_checkpoint=/nowhere/model.ckpt',
                  f'--gin_file={_GIN_FILE}', '--output_dir=/tmp/unused',
                  run=fixtures.run_binary)
    self.assertEqual(result.returncode, 1)
    self.assertEqual(_error_lines(result), [
        'error: /nowhere/model.ckpt: no such checkpoint (expected '
        '/nowhere/model.ckpt.index and /nowhere/model.ckpt.data-*).'])
    self.assertNotIn('Traceback', result.stderr)

  def test_other_number_of_classes(self):
    prefix, _ = self._write(num_classes=19)
    output_dir = os.path.join(self.get_temp_dir(), 'converted')
    result = _run(f'--reference_checkpoint={prefix}', f'--gin_file={_GIN_FILE}',
                  f'--output_dir={output_dir}')
    self.assertEqual(result.returncode, 1)
    self.assertEqual(_error_lines(result), [
        f'error: {prefix} has logits for 19 classes, the configured model for '
        '21: set NUM_CLASSES = 19 (e.g. --gin_bindings="NUM_CLASSES = 19") to '
        'convert it as it is, or load all but the logits (--skip_logits) to '
        'fine-tune on 21 classes.'])
    self.assertNotIn('Traceback', result.stderr)
    self.assertFalse(tf.io.gfile.exists(output_dir))

    result = _run(f'--reference_checkpoint={prefix}', f'--gin_file={_GIN_FILE}',
                  f'--output_dir={output_dir}', '--gin_bindings=NUM_CLASSES=19')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('Left no model variable fresh.', result.stdout)
    self.assertTrue(tf.io.gfile.exists(os.path.join(output_dir,
                                                    'ckpt-0.index')))


if __name__ == '__main__':
  tf.test.main()
