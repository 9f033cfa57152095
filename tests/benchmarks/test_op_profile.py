import tempfile

import tensorflow as tf

from benchmarks import op_profile


class OpSecondsTest(tf.test.TestCase):

  def test_sums_the_ops_of_the_calls_after_the_skipped_ones(self):
    profile_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    matrix = tf.random.stateless_normal([256, 256], [0, 0])

    @tf.function
    def multiply(x):
      return tf.matmul(x, x)

    @tf.function
    def add(x):
      return x + x

    multiply(matrix)  # traced before the profile: no tracing inside it
    add(matrix)
    tf.profiler.experimental.start(profile_dir)
    for _ in range(3):
      multiply(matrix).numpy()
      add(matrix).numpy()
    tf.profiler.experimental.stop()

    num_calls, totals = op_profile.op_seconds(profile_dir, 'multiply',
                                              skip_calls=1)
    self.assertEqual(num_calls, 2)
    self.assertIn('MatMul', totals)
    self.assertGreater(totals['MatMul'], 0.0)
    # add's AddV2 runs outside multiply's calls.
    self.assertNotIn('AddV2', totals)

  def test_a_function_not_called_often_enough_is_an_error(self):
    profile_dir = tempfile.mkdtemp(dir=self.get_temp_dir())

    @tf.function
    def double(x):
      return x * 2.0

    tf.profiler.experimental.start(profile_dir)
    double(tf.constant(1.0)).numpy()
    tf.profiler.experimental.stop()
    with self.assertRaisesRegex(ValueError, 'no call of double beyond the '
                                'first 1'):
      op_profile.op_seconds(profile_dir, 'double', skip_calls=1)

  def test_a_folder_without_a_trace_is_an_error(self):
    profile_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    with self.assertRaisesRegex(FileNotFoundError,
                                f'{profile_dir}: no \\*.xplane.pb'):
      op_profile.op_seconds(profile_dir, 'f')


if __name__ == '__main__':
  tf.test.main()
