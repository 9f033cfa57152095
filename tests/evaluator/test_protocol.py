"""Metrics files record their protocol; another protocol never overwrites.

With the eval binary (in this process, and once in a fresh one): the README's evaluation of a
checkpoint without --model_dir, an --eval_dir that is a file (refused before
the evaluation), a second protocol into the same eval dir, and the
batch-norm warning; each failure one line on stderr and nothing else.
"""

import json
import os

import tensorflow as tf

from official import operative_config
from official.evaluator import protocol
from tests import fixtures


class ProtocolTest(tf.test.TestCase):

  def test_describe_and_check(self):
    single = protocol.describe(16, checkpoint_path='run/ckpt-2')
    self.assertEqual(single, {
        'output_stride': 16, 'eval_scales': [1.0],
        'add_flipped_images': False, 'window_size': None,
        'window_stride': None, 'checkpoint': 'run/ckpt-2'})
    path = os.path.join(self.get_temp_dir(), 'metrics-2.json')
    protocol.check_can_write(path, single)  # No file yet.
    with open(path, 'w') as f:
      json.dump({'step': 2, 'protocol': single}, f)
    protocol.check_can_write(path, dict(single))
    with self.assertRaisesRegex(
        protocol.ProtocolMismatchError,
        f'^{path} holds results of another evaluation protocol '
        r'\(output_stride 16 there, 8 now, add_flipped_images False there, '
        r'True now\); pass --eval_dir to keep both'):
      protocol.check_can_write(path, protocol.describe(
          8, add_flipped_images=True, checkpoint_path='run/ckpt-2'))


class EvalBinaryProtocolTest(tf.test.TestCase):

  def test_protocols_kept_apart_and_paths_checked_first(self):
    _, shared = fixtures.shared_run()
    run_dir = os.path.join(self.get_temp_dir(), 'run')
    zoo_dir = os.path.join(self.get_temp_dir(), 'zoo')
    fixtures.copy_run(shared, run_dir, step=2)
    fixtures.copy_run(shared, zoo_dir, step=2)
    a_file = os.path.join(self.get_temp_dir(), 'a_file')
    with open(a_file, 'w') as f:
      f.write('x')
    config = os.path.join(zoo_dir, operative_config.FILENAME)
    # In a fresh process: stderr holds the error line and nothing else (no
    # TensorFlow start-up lines either).
    eval_dir_file = fixtures.start_binary(
        'official.eval', f'--model_dir={run_dir}', f'--eval_dir={a_file}')
    results = {
        'default': fixtures.run_main('official.eval',
                                     f'--model_dir={run_dir}'),
        # The README's usage: a checkpoint and its gin file, no --model_dir.
        'checkpoint': fixtures.run_main(
            'official.eval', f'--checkpoint={zoo_dir}/ckpt-2',
            f'--gin_file={config}'),
        'eval_dir_file': eval_dir_file.wait(),
    }
    for name in ('default', 'checkpoint'):
      self.assertEqual(results[name].returncode, 0, results[name].stderr)
    with open(os.path.join(run_dir, 'eval', 'metrics-2.json')) as f:
      recorded = json.load(f)
    self.assertEqual(recorded['protocol'], protocol.describe(
        16, checkpoint_path=f'{run_dir}/ckpt-2'))
    self.assertTrue(os.path.exists(os.path.join(zoo_dir, 'eval',
                                                'metrics-2.json')))
    # The quick-start head decay 0.99 after 2 steps: 98% initial.
    self.assertIn('warning: batch norm moving statistics of the aspp (decay '
                  '0.99) still hold 98% of their initial values after 2 '
                  'steps', results['default'].stderr)

    result = results['eval_dir_file']
    self.assertEqual(result.returncode, 1)
    self.assertEqual(result.stderr.splitlines(), [
        f'error: --eval_dir {a_file}: is a file, not a folder.'])
    self.assertEqual(result.stdout, '')  # Refused before evaluating.

    with open(os.path.join(run_dir, 'eval', 'metrics-2.json'), 'rb') as f:
      before = f.read()
    result = fixtures.run_main('official.eval', f'--model_dir={run_dir}',
                               '--eval_output_stride=32')
    self.assertEqual(result.returncode, 1, result.stderr)
    lines = fixtures.error_lines(result.stderr)
    self.assertLen(lines, 1, result.stderr)
    self.assertEqual(
        lines[0], f'error: {run_dir}/eval/metrics-2.json holds results of '
        'another evaluation protocol (output_stride 16 there, 32 now); pass '
        f'--eval_dir to keep both, e.g. {run_dir}/eval_os32.')
    with open(os.path.join(run_dir, 'eval', 'metrics-2.json'), 'rb') as f:
      self.assertEqual(f.read(), before)


if __name__ == '__main__':
  tf.test.main()
