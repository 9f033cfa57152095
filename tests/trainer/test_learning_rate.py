from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.trainer import learning_rate


class PolyTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(0, 1, 7500, 15000, 29999, 30000, 40000)
  def test_paper_schedule(self, step):
    schedule = learning_rate.learning_rate_schedule(30000)
    expected = 0.007 * (1 - min(step, 30000) / 30000) ** 0.9
    self.assertAllClose(schedule(step), expected, rtol=1e-5, atol=1e-9)

  def test_end_learning_rate(self):
    schedule = learning_rate.learning_rate_schedule(
        100, end_learning_rate=1e-4)
    self.assertAllClose(schedule(50), (0.007 - 1e-4) * 0.5 ** 0.9 + 1e-4)
    self.assertAllClose(schedule(100), 1e-4)

  def test_explicit_decay_steps(self):
    schedule = learning_rate.learning_rate_schedule(1000, decay_steps=500)
    self.assertAllClose(schedule(250), 0.007 * 0.5 ** 0.9)
    self.assertAllClose(schedule(600), 0.0)

  def test_slow_start(self):
    schedule = learning_rate.learning_rate_schedule(
        1100, slow_start_step=100, slow_start_learning_rate=1e-4)
    self.assertAllClose(schedule(0), 1e-4)
    self.assertAllClose(schedule(99), 1e-4)
    self.assertAllClose(schedule(100), 0.007)
    # The poly policy counts from the end of the slow start, over
    # train_steps - slow_start_step steps.
    self.assertAllClose(schedule(600), 0.007 * 0.5 ** 0.9)
    self.assertAllClose(schedule(1100), 0.0)

  def test_linear_burnin(self):
    schedule = learning_rate.learning_rate_schedule(
        1100, slow_start_step=100, slow_start_learning_rate=1e-3,
        slow_start_burnin_type='linear')
    self.assertAllClose(schedule(0), 1e-3)
    self.assertAllClose(schedule(50), 1e-3 + (0.007 - 1e-3) * 0.5)
    self.assertAllClose(schedule(100), 0.007)


class StepPolicyTest(tf.test.TestCase):

  def test_staircase(self):
    schedule = learning_rate.learning_rate_schedule(
        10000, policy='step', base_learning_rate=0.01,
        learning_rate_decay_factor=0.1, learning_rate_decay_step=2000)
    values = [float(schedule(step)) for step in (0, 1999, 2000, 4500)]
    self.assertAllClose(values, [0.01, 0.01, 0.001, 0.0001])


class ErrorsTest(tf.test.TestCase):

  def test_unknown_policy(self):
    with self.assertRaisesRegex(ValueError, 'Unknown learning rate policy'):
      learning_rate.learning_rate_schedule(100, policy='cosine')

  def test_unknown_burnin(self):
    with self.assertRaisesRegex(ValueError, 'burnin_type'):
      learning_rate.learning_rate_schedule(
          100, slow_start_step=10, slow_start_burnin_type='exponential')

  def test_no_steps_to_decay(self):
    with self.assertRaisesRegex(ValueError, 'decay_steps'):
      learning_rate.learning_rate_schedule(100, slow_start_step=100)

  def test_float32_values(self):
    value = learning_rate.learning_rate_schedule(100)(tf.constant(5, tf.int64))
    self.assertEqual(value.dtype, tf.float32)
    self.assertTrue(np.isfinite(value))


if __name__ == '__main__':
  tf.test.main()
