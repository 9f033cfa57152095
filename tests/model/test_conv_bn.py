from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from official.model import batch_norm
from official.model import conv_bn
from tests import fixtures


def _randomize_batch_norm(bn, rng):
  channels = bn.gamma.shape[0]
  bn.gamma.assign(rng.uniform(0.5, 1.5, channels))
  bn.beta.assign(rng.normal(size=channels))
  bn.moving_mean.assign(rng.normal(size=channels))
  bn.moving_variance.assign(rng.uniform(0.5, 2.0, channels))


class BatchNormTest(tf.test.TestCase):

  def test_inference_equals_keras(self):
    rng = np.random.default_rng(0)
    inputs = tf.constant(rng.normal(size=(2, 5, 7, 6)), tf.float32)
    fused = batch_norm.BatchNorm(epsilon=1e-3)
    plain = keras.layers.BatchNormalization(epsilon=1e-3)
    fused.build(inputs.shape)
    plain.build(inputs.shape)
    _randomize_batch_norm(fused, rng)
    plain.set_weights(fused.get_weights())
    self.assertAllClose(fused(inputs, training=False),
                        plain(inputs, training=False), atol=1e-5)

  def test_inference_is_a_scale_and_shift(self):
    # Not the fused kernel, which the remapper would fuse into the conv
    # before it (oneDNN runs that fusion slowly).
    bn = batch_norm.BatchNorm()
    bn.build((1, 4, 4, 3))
    graph = tf.function(lambda x: bn(x, training=False)).get_concrete_function(
        tf.TensorSpec([1, 4, 4, 3])).graph
    self.assertNotIn('FusedBatchNormV3',
                     [op.type for op in graph.get_operations()])
    # Two passes over the activations; the rest is per channel.
    self.assertEqual([op.type for op in graph.get_operations()
                      if op.type not in ('Placeholder', 'Identity') and
                      op.outputs and op.outputs[0].shape == (1, 4, 4, 3)],
                     ['Mul', 'AddV2'])

  def test_training_updates_moving_statistics(self):
    bn = batch_norm.BatchNorm(momentum=0.5)
    inputs = tf.fill([2, 3, 3, 4], 2.0)
    bn(inputs, training=True)
    # 0.5 * 0 + 0.5 * 2 for the mean.
    self.assertAllClose(bn.moving_mean, [1.0] * 4)


class SynchronizedBatchNormTest(tf.test.TestCase, parameterized.TestCase):
  """Two replicas with synchronised statistics train as one on both halves."""

  # A feature map, and the image pooling's one pixel per image.
  @parameterized.parameters((3, 5), (1, 1))
  def test_outputs_gradients_and_moving_statistics(self, height, width):
    strategy = fixtures.two_cpu_strategy(self)
    rng = np.random.default_rng(0)
    inputs = rng.normal(1.0, 2.0, (4, height, width, 6)).astype(np.float32)
    # A loss whose gradient differs per pixel: sum(outputs * weights).
    weights = rng.normal(size=inputs.shape).astype(np.float32)
    initial = [rng.uniform(0.5, 1.5, 6), rng.normal(size=6),
               rng.normal(size=6), rng.uniform(0.5, 2.0, 6)]

    def layer(synchronized):
      bn = batch_norm.BatchNorm(momentum=0.9, epsilon=1e-3,
                                synchronized=synchronized)
      bn.build(inputs.shape)
      bn.set_weights(initial)
      return bn

    def step(bn, images, loss_weights):
      with tf.GradientTape() as tape:
        tape.watch(images)
        outputs = bn(images, training=True)
        loss = tf.reduce_sum(outputs * loss_weights)
      return (outputs,) + tuple(tape.gradient(
          loss, [images, bn.gamma, bn.beta]))

    single = layer(synchronized=False)
    expected = step(single, tf.constant(inputs), tf.constant(weights))
    with strategy.scope():
      synchronized = layer(synchronized=True)
    halves = strategy.experimental_distribute_values_from_function(
        lambda context: (inputs[2 * context.replica_id_in_sync_group:][:2],
                         weights[2 * context.replica_id_in_sync_group:][:2]))
    results = strategy.run(tf.function(lambda pair: step(synchronized, *pair)),
                           args=(halves,))
    outputs, input_gradients, gamma_gradients, beta_gradients = [
        strategy.experimental_local_results(result) for result in results]
    self.assertAllClose(tf.concat(outputs, 0), expected[0], atol=1e-5)
    self.assertAllClose(tf.concat(input_gradients, 0), expected[1],
                        atol=1e-5)
    # Each replica's share; the optimizer adds them up.
    self.assertAllClose(tf.add_n(gamma_gradients), expected[2], atol=1e-5)
    self.assertAllClose(tf.add_n(beta_gradients), expected[3], atol=1e-5)
    # The moving variance by the unbiased variance of all pixels.
    flat = inputs.reshape(-1, 6)
    self.assertAllClose(synchronized.moving_mean,
                        0.9 * initial[2] + 0.1 * flat.mean(0), atol=1e-5)
    self.assertAllClose(synchronized.moving_variance,
                        0.9 * initial[3] + 0.1 * flat.var(0, ddof=1),
                        atol=1e-5)
    self.assertAllClose(single.moving_variance, synchronized.moving_variance,
                        atol=1e-5)


class ConvBNTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters((8, 4), (9, 5), (65, 33), (64, 32))
  def test_strided_output_size_is_ceil_half(self, size, expected):
    layer = conv_bn.ConvBN(4, 3, strides=2)
    self.assertEqual(layer(tf.zeros([1, size, size, 3])).shape[1], expected)

  def test_fixed_padding_pads_one_pixel_each_side(self):
    # On an even input TF 'SAME' would pad 0 before and 1 after; the original
    # pads 1 and 1, so output (0, 0) sees input rows/cols -1..1.
    layer = conv_bn.ConvBN(1, 3, strides=2, kernel_initializer='ones',
                           bn_epsilon=0.0)
    inputs = tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1])
    outputs = layer(inputs, training=False)
    padded = np.pad(np.arange(16, dtype=np.float32).reshape(4, 4), 1)
    expected = [[padded[r:r + 3, c:c + 3].sum() for c in (0, 2)]
                for r in (0, 2)]
    self.assertAllClose(outputs[0, :, :, 0], expected)

  def test_dilated_conv_keeps_size(self):
    layer = conv_bn.ConvBN(2, 3, dilation_rate=6)
    self.assertEqual(layer(tf.zeros([1, 33, 33, 3])).shape, (1, 33, 33, 2))

  def test_pointwise_conv_trains_as_a_matmul_of_the_same_gradients(self):
    layer = conv_bn.ConvBN(8, 1, activation='relu')
    images = tf.random.stateless_normal([2, 5, 7, 4], [0, 1])
    layer(images)
    kernel = layer.conv.kernel

    def step(x):
      with tf.GradientTape() as tape:
        outputs = layer(x, training=True)
        loss = tf.reduce_sum(outputs * tf.range(8, dtype=tf.float32))
      return outputs, tape.gradient(loss, [kernel, layer.bn.gamma])

    graph = tf.function(step).get_concrete_function(images).graph
    op_types = {op.type for op in graph.get_operations()}
    self.assertIn('MatMul', op_types)
    self.assertNoCommonElements(
        op_types, {'Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'})

    outputs, gradients = step(images)
    with tf.GradientTape() as tape:
      conv = tf.nn.conv2d(images, kernel, 1, 'SAME')
      mean, variance = tf.nn.moments(conv, [0, 1, 2])
      expected = tf.nn.relu(tf.nn.batch_normalization(
          conv, mean, variance, layer.bn.beta, layer.bn.gamma, 1.001e-5))
      loss = tf.reduce_sum(expected * tf.range(8, dtype=tf.float32))
    self.assertAllClose(outputs, expected, atol=1e-5)
    for ours, theirs in zip(gradients,
                            tape.gradient(loss, [kernel, layer.bn.gamma])):
      self.assertAllClose(ours, theirs, atol=1e-4, rtol=1e-4)
    # Inference keeps the conv.
    inference = tf.function(lambda x: layer(x, training=False)
                           ).get_concrete_function(images).graph
    self.assertIn('Conv2D', {op.type for op in inference.get_operations()})

  def test_filters_and_depthwise_are_exclusive(self):
    with self.assertRaisesRegex(ValueError, 'depthwise'):
      conv_bn.ConvBN(4, 3, depthwise=True)

  def test_config_round_trip(self):
    layer = conv_bn.ConvBN(
        8, 3, strides=2, activation='relu6', explicit_padding=False,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.09),
        bn_momentum=0.95, bn_epsilon=1e-5, name='conv1_1')
    clone = conv_bn.ConvBN.from_config(layer.get_config())
    self.assertEqual(clone.get_config(), layer.get_config())

  @parameterized.parameters((True, -18.0), (False, 0.0))
  def test_separable_activation_placement(self, preactivation, expected):
    # ReLU -> DW -> BN -> PW -> BN ends without ReLU, so a negative pointwise
    # kernel gives a negative output; DW -> BN -> ReLU -> PW -> BN -> ReLU
    # clips it to zero.
    layer = conv_bn.SeparableConvBN(
        1, preactivation=preactivation, depthwise_initializer='ones',
        pointwise_initializer=keras.initializers.Constant(-1.0),
        bn_epsilon=0.0)
    outputs = layer(tf.ones([1, 3, 3, 2]), training=False)
    # Centre pixel: 9 ones per channel, two channels, times -1.
    self.assertAllClose(outputs[0, 1, 1, 0], expected)
    self.assertEqual(layer.depthwise.name, f'{layer.name}_depthwise')
    self.assertEqual(layer.pointwise.name, f'{layer.name}_pointwise')

  def test_separable_config_round_trip(self):
    layer = conv_bn.SeparableConvBN(16, dilation_rate=2, preactivation=True,
                                    name='separable_conv1')
    clone = conv_bn.SeparableConvBN.from_config(layer.get_config())
    self.assertEqual(clone.get_config(), layer.get_config())


if __name__ == '__main__':
  tf.test.main()
