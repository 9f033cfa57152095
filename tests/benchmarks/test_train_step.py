import json
import os

import tensorflow as tf

from tests import fixtures


class TrainStepTest(tf.test.TestCase):

  def test_prints_the_step_time_memory_and_top_ops(self):
    profile_dir = os.path.join(self.get_temp_dir(), 'profile')
    result = fixtures.run_main(
        'benchmarks.train_step', f'--gin_file={fixtures.QUICKSTART}',
        '--batch_size=2', '--crop_size=33', '--steps=2', '--warmup_steps=0',
        f'--profile_dir={profile_dir}', '--top_ops=3',
        *[f'--gin_bindings={binding}'
          for binding in fixtures.TINY_MODEL_BINDINGS])
    self.assertEqual(result.returncode, 0, result.stderr)
    lines = result.stdout.strip().splitlines()
    self.assertIn('batch 2 of 33x33', lines[0])
    steps = [line for line in lines if line.strip().startswith('steps:')]
    self.assertLen(steps, 1)
    self.assertLen(steps[0].split(','), 2)  # the two timed steps
    # The three op types taking the most time: 'OpType  seconds s  share %',
    # the largest first.
    self.assertIn('ops of the 2 timed steps', lines[-5])
    rows = [line.split() for line in lines[-4:-1]]
    self.assertEqual([row[2::2] for row in rows], [['s', '%']] * 3)
    shares = [float(row[3]) for row in rows]
    self.assertAllGreater(shares, 0.0)
    self.assertEqual(shares, sorted(shares, reverse=True))
    self.assertLess(sum(shares), 100.0 + 1e-6)
    report = json.loads(lines[-1])
    self.assertEqual(sorted(report), ['images_per_s', 'peak_rss_mb', 'step_s'])
    self.assertGreater(report['step_s'], 0.0)
    self.assertAllClose(report['images_per_s'], 2 / report['step_s'],
                        rtol=1e-2)
    # A process with TensorFlow and a model holds far more than 100 MB.
    self.assertGreater(report['peak_rss_mb'], 100.0)


if __name__ == '__main__':
  tf.test.main()
