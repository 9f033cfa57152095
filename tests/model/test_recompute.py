"""Activations recomputed in the backward pass: the same step, less memory."""

from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from official.model import deeplab
from official.model import recompute
from official.model import xception
from tests import fixtures

_INPUT_SHAPE = (2, 33, 33, 8)


def _module(recompute_in_backward, sync_batch_norm=False, name='unit'):
  module = xception.XceptionModule(
      (16, 16, 16), 'conv', stride=2,
      recompute_in_backward=recompute_in_backward,
      sync_batch_norm=sync_batch_norm, name=name)
  module.build(_INPUT_SHAPE)
  return module


def _pair(**kwargs):
  """Two modules with the same weights and statistics, one recomputing."""
  plain, recomputing = _module(False, **kwargs), _module(True, **kwargs)
  fixtures.randomize_batch_norm(plain)
  recomputing.set_weights(plain.get_weights())
  return plain, recomputing


def _statistics(module):
  return [variable.numpy() for variable in module.non_trainable_variables]


def _train_step(module, images, use_low_level):
  """Outputs and gradients (images, then weights) of one step."""
  outputs_weight = tf.random.stateless_normal([2, 17, 17, 16], [0, 1])
  low_level_weight = tf.random.stateless_normal([2, 33, 33, 16], [0, 2])

  @tf.function
  def step(images):
    with tf.GradientTape() as tape:
      tape.watch(images)
      outputs, low_level = module(images, training=True)
      loss = tf.reduce_sum(outputs * outputs_weight)
      if use_low_level:
        loss += tf.reduce_sum(low_level * low_level_weight)
    return outputs, tape.gradient(loss,
                                  [images] + module.trainable_variables)

  return step(images)


class RecomputeInBackwardTest(tf.test.TestCase, parameterized.TestCase):

  def _assert_moved_once(self, plain, recomputing, before):
    """The moving averages moved, as the plain module's: a second update in
    the rerun would move them further."""
    for statistic, again, initial in zip(_statistics(plain),
                                         _statistics(recomputing), before):
      self.assertAllClose(again, statistic, rtol=1e-6, atol=1e-7)
      self.assertGreater(np.abs(statistic - initial).max(), 1e-5)

  @parameterized.parameters(True, False)
  def test_same_outputs_gradients_and_statistics(self, use_low_level):
    plain, recomputing = _pair()
    before = _statistics(plain)
    images = tf.random.stateless_normal(_INPUT_SHAPE, [1, 2])
    outputs, gradients = _train_step(plain, images, use_low_level)
    outputs_again, gradients_again = _train_step(recomputing, images,
                                                 use_low_level)
    self.assertAllClose(outputs_again, outputs, rtol=1e-6, atol=1e-6)
    self.assertLen(gradients_again, 1 + len(recomputing.trainable_variables))
    for gradient, gradient_again in zip(gradients, gradients_again):
      self.assertIsNotNone(gradient_again)
      self.assertAllClose(gradient_again, gradient, rtol=1e-5, atol=1e-5)
    self._assert_moved_once(plain, recomputing, before)

  @parameterized.parameters(('float32', True), ('mixed_bfloat16', False))
  def test_same_gradients_under_xla_and_mixed_precision(self, policy,
                                                       jit_compile):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
      plain, recomputing = _pair()
    finally:
      keras.mixed_precision.set_global_policy(previous)
    images = tf.random.stateless_normal(_INPUT_SHAPE, [7, 8])

    def gradients(module):
      @tf.function(jit_compile=jit_compile)
      def step(images):
        with tf.GradientTape() as tape:
          outputs, _ = module(images, training=True)
          loss = tf.reduce_sum(tf.square(tf.cast(outputs, tf.float32)))
        return tape.gradient(loss, module.trainable_variables)
      return step(images)

    for gradient, again in zip(gradients(plain), gradients(recomputing)):
      self.assertLess(np.linalg.norm(np.subtract(again, gradient)),
                      1e-6 * np.linalg.norm(gradient))

  def test_same_gradients_with_batch_norm_synchronised_across_replicas(self):
    strategy = fixtures.two_cpu_strategy(self)
    with strategy.scope():
      plain, recomputing = _pair(sync_batch_norm=True)
    before = _statistics(plain)
    images = tf.random.stateless_normal(_INPUT_SHAPE, [3, 4])
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors(images).unbatch().batch(2))
    batch = next(iter(dataset))

    def replica_gradients(module):
      @tf.function
      def step(batch):
        def replica_step(images):
          with tf.GradientTape() as tape:
            outputs, _ = module(images, training=True)
            loss = tf.reduce_sum(tf.square(outputs))
          return tape.gradient(loss, module.trainable_variables)
        return strategy.run(replica_step, args=(batch,))
      return [strategy.experimental_local_results(gradient)
              for gradient in step(batch)]

    for gradient, again in zip(replica_gradients(plain),
                               replica_gradients(recomputing)):
      # The replicas' sums meet in another order: relative to the norm.
      self.assertLess(np.linalg.norm(np.subtract(again, gradient)),
                      1e-5 * np.linalg.norm(gradient))
    self._assert_moved_once(plain, recomputing, before)

  def test_keeps_only_inputs_and_outputs(self):
    # Eight units of 32 channels at 65x65, batch 2: each keeps 12 maps of
    # 1.08 MB inside it (input, depthwise, batch norm and pointwise of its
    # three separable convs), about 104 MB for the stack.
    shape = [2, 65, 65, 32]
    images = tf.random.stateless_normal(shape, [5, 6])

    def peak_megabytes(recompute_in_backward):
      units = []
      for i in range(8):
        unit = xception.XceptionModule(
            (32, 32, 32), 'sum', recompute_in_backward=recompute_in_backward,
            name=f'unit_{i}')
        unit.build(shape)
        units.append(unit)
      variables = [v for unit in units for v in unit.trainable_variables]

      @tf.function
      def step(images):
        with tf.GradientTape() as tape:
          x = images
          for unit in units:
            x, _ = unit(x, training=True)
          loss = tf.reduce_sum(tf.square(x))
        return tape.gradient(loss, variables)

      step.get_concrete_function(images)
      # Above what the process already holds (other tests' models).
      tf.config.experimental.reset_memory_stats('CPU:0')
      held = tf.config.experimental.get_memory_info('CPU:0')['current']
      step(images)
      peak = tf.config.experimental.get_memory_info('CPU:0')['peak']
      return (peak - held) / 2**20

    plain, recomputed = peak_megabytes(False), peak_megabytes(True)
    # Measured: 106 MB against 27 MB.
    self.assertGreater(plain - recomputed, 60.0)
    self.assertLess(recomputed, 0.5 * plain)

  def test_rerun_only_while_recomputing(self):
    calls = []

    def forward(x):
      calls.append(recompute.recomputing())
      return (2.0 * x,)

    x = tf.constant([1.0, -3.0])
    with tf.GradientTape() as tape:
      tape.watch(x)
      y, = recompute.recompute_in_backward(forward, x)
    self.assertAllEqual(tape.gradient(y, x), [2.0, 2.0])
    self.assertEqual(calls, [False, True])
    self.assertFalse(recompute.recomputing())


class XceptionRecomputeTest(tf.test.TestCase):

  def test_high_resolution_units_recompute(self):
    def recomputing_units(backbone):
      return [layer.name.split('.unit_')[0] for layer in
              backbone._flatten_layers()  # pylint: disable=protected-access
              if isinstance(layer, xception.XceptionModule) and
              layer.recompute_in_backward]

    # The entry flow's inputs are at strides 2, 4 and 8.
    self.assertEqual(
        recomputing_units(xception.xception(41, 16)),
        ['entry_flow.block1', 'entry_flow.block2', 'entry_flow.block3'])
    self.assertEqual(
        recomputing_units(xception.xception(41, 16, recompute_max_stride=4)),
        ['entry_flow.block1', 'entry_flow.block2'])
    self.assertEqual(
        recomputing_units(xception.xception(41, 16, recompute_max_stride=0)),
        [])

  def test_bad_stride_raises(self):
    for value in ('abc', -1, 4.0, True):
      with self.assertRaisesRegex(
          ValueError, 'recompute_max_stride must be a non-negative integer, '
          f'got {value!r}.'):
        xception.xception(41, 16, recompute_max_stride=value)

  def test_deeplab_passes_the_stride_to_xception_alone(self):
    model = deeplab.DeepLab(21, backbone='xception_41',
                            recompute_max_stride=0)
    self.assertFalse(any(
        layer.recompute_in_backward for layer in model._flatten_layers()  # pylint: disable=protected-access
        if isinstance(layer, xception.XceptionModule)))
    self.assertEqual(model.get_config()['recompute_max_stride'], 0)
    with self.assertRaisesRegex(ValueError,
                                "'mobilenet_v2' takes no recompute_max_stride"):
      deeplab.DeepLab(21, backbone='mobilenet_v2', recompute_max_stride=8)

  def test_config_round_trip(self):
    module = _module(True)
    self.assertTrue(xception.XceptionModule.from_config(
        module.get_config()).recompute_in_backward)
    self.assertFalse(keras.layers.deserialize(keras.layers.serialize(
        _module(False, name='other'))).recompute_in_backward)


if __name__ == '__main__':
  tf.test.main()
