from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from official.exporter import batch_norm_folding
from official.model import conv_bn
from tests import fixtures


def _set_batch_norm(layer, gamma, beta, mean, variance):
  layer.bn.gamma.assign(gamma)
  layer.bn.beta.assign(beta)
  layer.bn.moving_mean.assign(mean)
  layer.bn.moving_variance.assign(variance)


def _batch_norms(layer):
  return [sublayer for sublayer in layer._flatten_layers()
          if isinstance(sublayer, keras.layers.BatchNormalization)]


def _images(height=17, width=19, channels=4, seed=1):
  rng = np.random.default_rng(seed)
  return tf.constant(rng.normal(size=(2, height, width, channels)), tf.float32)


class FoldedKernelAndBiasTest(tf.test.TestCase):
  """scale = gamma / sqrt(variance + epsilon) = [2, 3] with epsilon 1."""

  def test_conv_scales_output_channels(self):
    layer = conv_bn.ConvBN(2, 1, bn_epsilon=1.0)
    layer(tf.zeros([1, 1, 1, 2]))
    layer.conv.kernel.assign([[[[1.0, 2.0], [3.0, 4.0]]]])
    _set_batch_norm(layer, gamma=[4.0, 3.0], beta=[0.5, -1.0],
                    mean=[1.0, 2.0], variance=[3.0, 0.0])
    kernel, bias = batch_norm_folding.folded_kernel_and_bias(layer)
    self.assertAllClose(kernel, [[[[2.0, 6.0], [6.0, 12.0]]]])
    self.assertAllClose(bias, [-1.5, -7.0])

  def test_depthwise_scales_channels(self):
    layer = conv_bn.ConvBN(depthwise=True, bn_epsilon=1.0)
    layer(tf.zeros([1, 1, 1, 2]))
    layer.conv.kernel.assign([[[[1.0], [2.0]]]])
    _set_batch_norm(layer, gamma=[4.0, 3.0], beta=[0.5, -1.0],
                    mean=[1.0, 2.0], variance=[3.0, 0.0])
    kernel, bias = batch_norm_folding.folded_kernel_and_bias(layer)
    self.assertAllClose(kernel, [[[[2.0], [6.0]]]])
    self.assertAllClose(bias, [-1.5, -7.0])


class FoldInPlaceTest(tf.test.TestCase, parameterized.TestCase):

  def _fold_and_compare(self, layer, images):
    """Folds `layer` in place, checking it computes what it did at inference.

    Returns:
      (its inference outputs, the op types of its folded inference graph).
    """
    layer(images)
    fixtures.randomize_batch_norm(layer)
    expected = layer(images, training=False)
    batch_norm_folding.fold_batch_norm_in_place(layer)
    self.assertEmpty(_batch_norms(layer))
    self.assertAllClose(layer(images, training=False), expected, atol=1e-5,
                        rtol=1e-5)
    graph = tf.function(lambda x: layer(x, training=False)
                       ).get_concrete_function(images).graph
    return expected, [op.type for op in graph.get_operations()]

  @parameterized.named_parameters(
      ('conv_strided_fixed_padding',
       lambda: conv_bn.ConvBN(8, 3, strides=2, activation='relu')),
      ('conv_atrous', lambda: conv_bn.ConvBN(8, 3, dilation_rate=2)),
      ('conv_same_relu6', lambda: conv_bn.ConvBN(
          8, 3, strides=2, explicit_padding=False, activation='relu6')),
      ('depthwise_strided', lambda: conv_bn.ConvBN(
          depthwise=True, kernel_size=3, strides=2, activation='relu')),
      ('depthwise_atrous', lambda: conv_bn.ConvBN(
          depthwise=True, kernel_size=3, dilation_rate=3)),
      ('separable_xception', lambda: conv_bn.SeparableConvBN(
          8, strides=2, preactivation=True, bn_epsilon=1e-3)),
      ('separable_aspp', lambda: conv_bn.SeparableConvBN(8, dilation_rate=2)),
  )
  def test_same_outputs_without_batch_norm(self, make_layer):
    self._fold_and_compare(make_layer(), _images())

  def test_relu6_runs_as_relu_and_minimum(self):
    # oneDNN's kernel for conv + bias + ReLU6 fused is the slow one.
    expected, op_types = self._fold_and_compare(
        conv_bn.ConvBN(8, 1, activation='relu6'), 8 * _images())
    self.assertNotIn('Relu6', op_types)
    self.assertEqual(op_types.count('Minimum'), 1)
    # Both ends of the clip are reached.
    self.assertBetween(float(tf.reduce_mean(tf.cast(expected == 6.0,
                                                    tf.float32))), 0.05, 0.95)
    self.assertBetween(float(tf.reduce_mean(tf.cast(expected == 0.0,
                                                    tf.float32))), 0.05, 0.95)

  def test_xception_preactivation_runs_as_a_maximum(self):
    # oneDNN's rewrite of conv + bias + residual add + ReLU fails on a folded
    # Xception, whose sums also feed the next residual add.
    _, op_types = self._fold_and_compare(
        conv_bn.SeparableConvBN(8, preactivation=True), _images())
    self.assertNotIn('Relu', op_types)
    self.assertEqual(op_types.count('Maximum'), 1)

  def test_separable_folds_depthwise_and_pointwise(self):
    layer = conv_bn.SeparableConvBN(8)
    layer(_images())
    batch_norm_folding.fold_batch_norm_in_place(layer)
    self.assertEqual(
        [(weight.shape, weight.name) for weight in layer.weights],
        [((3, 3, 4, 1), 'kernel'), ((4,), 'bias'),
         ((1, 1, 4, 8), 'kernel'), ((8,), 'bias')])


class FoldBatchNormTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.model = fixtures.trained_like(fixtures.tiny_model(3))
    cls.images = tf.random.stateless_uniform([2, 33, 49, 3], [1, 2], 0, 255)
    cls.expected = cls.model(cls.images, training=False)
    cls.folded = batch_norm_folding.fold_batch_norm(cls.model)

  def test_probabilities_within_1e_3(self):
    folded = tf.nn.softmax(self.folded(self.images, training=False))
    self.assertAllClose(folded, tf.nn.softmax(self.expected), atol=1e-3,
                        rtol=0)

  def test_holds_convs_and_biases_only(self):
    self.assertEmpty(_batch_norms(self.folded))
    num_convs = len(self.model.kernels())
    self.assertLen(self.folded.weights, 2 * num_convs)
    self.assertLen(self.folded.kernels(), num_convs)

  def test_leaves_the_model_untouched(self):
    self.assertNotEmpty(_batch_norms(self.model))
    self.assertAllEqual(self.model(self.images, training=False),
                        self.expected)


if __name__ == '__main__':
  tf.test.main()
