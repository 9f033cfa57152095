"""Convolutions followed by batch normalization, the unit every network here is made of.

Layer names follow the original's variable scopes with '/' written as '.', so
`entry_flow.conv1_1` holds `entry_flow/conv1_1/weights` and
`entry_flow/conv1_1/BatchNorm/*` of a reference checkpoint.
"""

import keras
import tensorflow as tf

from official.model import batch_norm


def _fixed_padding(kernel_size, dilation_rate):
  """Explicit (begin, end) padding of the original's strided convs (reference §0)."""
  effective = kernel_size + (kernel_size - 1) * (dilation_rate - 1)
  total = effective - 1
  return total // 2, total - total // 2


def build_in_sequence(input_shape, *layers):
  """Builds `layers` (None skipped) each on the previous one's output shape.

  Composite layers build their parts this way: without a `build`, Keras
  traces `call` symbolically to build a layer, and traces it again to run
  it, which multiplies at every level of nesting.

  Returns:
    The last layer's output shape.
  """
  shape = tuple(input_shape)
  for layer in layers:
    if layer is not None:
      layer.build(shape)
      shape = layer.compute_output_shape(shape)
  return shape


def output_shape_in_sequence(input_shape, *layers):
  """The output shape of `layers` (None skipped) applied one after another."""
  shape = tuple(input_shape)
  for layer in layers:
    if layer is not None:
      shape = layer.compute_output_shape(shape)
  return shape


def _pointwise_matmul(inputs, kernel):
  """A 1x1 conv of NHWC `inputs` with `kernel` [1, 1, in, out] as a matmul."""
  kernel = tf.cast(kernel, inputs.dtype)
  shape = tf.shape(inputs)
  outputs = tf.matmul(tf.reshape(inputs, [-1, kernel.shape[2]]),
                      tf.reshape(kernel, kernel.shape[2:]))
  return tf.reshape(outputs, tf.concat([shape[:3], kernel.shape[3:]], 0))


@keras.saving.register_keras_serializable(package='deeplab')
class ConvBN(keras.layers.Layer):
  """Bias-free conv (or depthwise conv) -> batch norm -> optional activation.

  Strided convs with `explicit_padding` pad `(k_eff - 1) // 2` before and the
  rest after, then run VALID, as the original does; everything else is SAME.

  Example:
    >>> layer = ConvBN(64, 3, strides=2, activation='relu', name='conv1_1')
    >>> layer(tf.zeros([1, 65, 65, 3])).shape
    TensorShape([1, 33, 33, 64])
  """

  def __init__(self,
               filters=None,
               kernel_size=1,
               strides=1,
               dilation_rate=1,
               depthwise=False,
               activation=None,
               explicit_padding=True,
               kernel_initializer='glorot_uniform',
               bn_momentum=0.9997,
               bn_epsilon=1e-5,
               sync_batch_norm=False,
               **kwargs):
    super().__init__(**kwargs)
    if depthwise == (filters is not None):
      raise ValueError(
          f'{self.name}: give `filters` for a conv, or `depthwise=True` alone.')
    if strides > 1 and dilation_rate > 1:
      raise ValueError(f'{self.name}: strides and dilation_rate both > 1.')
    self.filters = filters
    self.kernel_size = kernel_size
    self.strides = strides
    self.dilation_rate = dilation_rate
    self.depthwise = depthwise
    self.activation = activation
    self.explicit_padding = explicit_padding
    self.kernel_initializer = keras.initializers.get(kernel_initializer)
    self.bn_momentum = bn_momentum
    self.bn_epsilon = bn_epsilon
    self.sync_batch_norm = sync_batch_norm

    # In training a 1x1 conv runs as the matrix product it is: oneDNN's conv
    # gradient kernels took up to 1.8x the forward conv's time for it, a
    # matrix multiply's gradients no more than its own (BENCHMARKS.md).
    # Inference keeps the conv, which exports and the multiply-add count
    # read.
    self._matmul_in_training = (not depthwise and kernel_size == 1 and
                                strides == 1)
    self._padding = None
    if explicit_padding and strides > 1 and kernel_size > 1:
      self._padding = _fixed_padding(kernel_size, dilation_rate)
    padding = 'valid' if self._padding else 'same'
    if depthwise:
      self.conv = keras.layers.DepthwiseConv2D(
          kernel_size, strides=strides, padding=padding,
          dilation_rate=dilation_rate, use_bias=False,
          depthwise_initializer=self.kernel_initializer, name='depthwise')
    else:
      self.conv = keras.layers.Conv2D(
          filters, kernel_size, strides=strides, padding=padding,
          dilation_rate=dilation_rate, use_bias=False,
          kernel_initializer=self.kernel_initializer, name='conv')
    self.bn = batch_norm.BatchNorm(
        momentum=bn_momentum, epsilon=bn_epsilon,
        synchronized=sync_batch_norm, name='BatchNorm')
    self.activation_fn = keras.activations.get(activation)

  @property
  def kernel(self):
    return self.conv.kernel

  def _padded_shape(self, input_shape):
    if not self._padding:
      return tuple(input_shape)
    total = sum(self._padding)
    batch, height, width, channels = input_shape
    return (batch, None if height is None else height + total,
            None if width is None else width + total, channels)

  def build(self, input_shape):
    padded = self._padded_shape(input_shape)
    self.conv.build(padded)
    self.bn.build(self.conv.compute_output_shape(padded))

  def compute_output_shape(self, input_shape):
    return self.conv.compute_output_shape(self._padded_shape(input_shape))

  def call(self, inputs, training=None):
    x = inputs
    if self._padding:
      begin, end = self._padding
      x = tf.pad(x, [[0, 0], [begin, end], [begin, end], [0, 0]])
    if training and self._matmul_in_training:
      x = _pointwise_matmul(x, self.conv.kernel)
    else:
      x = self.conv(x)
    x = self.bn(x, training=training)
    return self.activation_fn(x)

  def get_config(self):
    config = super().get_config()
    config.update({
        'filters': self.filters,
        'kernel_size': self.kernel_size,
        'strides': self.strides,
        'dilation_rate': self.dilation_rate,
        'depthwise': self.depthwise,
        'activation': self.activation,
        'explicit_padding': self.explicit_padding,
        'kernel_initializer': keras.initializers.serialize(
            self.kernel_initializer),
        'bn_momentum': self.bn_momentum,
        'bn_epsilon': self.bn_epsilon,
        'sync_batch_norm': self.sync_batch_norm,
    })
    return config


@keras.saving.register_keras_serializable(package='deeplab')
class SeparableConvBN(keras.layers.Layer):
  """Depthwise ConvBN then pointwise 1x1 ConvBN, named `<name>_depthwise/_pointwise`.

  Two activation placements exist in the original (reference §1.1, §2):
  `preactivation=True` is Xception's `ReLU -> DW -> BN -> PW -> BN`;
  `preactivation=False` is `DW -> BN -> ReLU -> PW -> BN -> ReLU`, used by
  Xception's last block and by the separable ASPP and decoder.

  Example:
    >>> layer = SeparableConvBN(256, dilation_rate=6, name='aspp1')
    >>> layer(tf.zeros([1, 33, 33, 64])).shape
    TensorShape([1, 33, 33, 256])
  """

  def __init__(self,
               filters,
               kernel_size=3,
               strides=1,
               dilation_rate=1,
               preactivation=False,
               activation='relu',
               depthwise_initializer='glorot_uniform',
               pointwise_initializer='glorot_uniform',
               bn_momentum=0.9997,
               bn_epsilon=1e-5,
               sync_batch_norm=False,
               **kwargs):
    super().__init__(**kwargs)
    self.filters = filters
    self.kernel_size = kernel_size
    self.strides = strides
    self.dilation_rate = dilation_rate
    self.preactivation = preactivation
    self.activation = activation
    self.depthwise_initializer = keras.initializers.get(depthwise_initializer)
    self.pointwise_initializer = keras.initializers.get(pointwise_initializer)
    self.bn_momentum = bn_momentum
    self.bn_epsilon = bn_epsilon
    self.sync_batch_norm = sync_batch_norm

    inner_activation = None if preactivation else activation
    bn_args = dict(bn_momentum=bn_momentum, bn_epsilon=bn_epsilon,
                   sync_batch_norm=sync_batch_norm)
    self.depthwise = ConvBN(
        kernel_size=kernel_size, strides=strides, dilation_rate=dilation_rate,
        depthwise=True, activation=inner_activation,
        kernel_initializer=self.depthwise_initializer,
        name=f'{self.name}_depthwise', **bn_args)
    self.pointwise = ConvBN(
        filters, 1, activation=inner_activation,
        kernel_initializer=self.pointwise_initializer,
        name=f'{self.name}_pointwise', **bn_args)
    self.preactivation_fn = (
        keras.activations.get(activation) if preactivation else None)

  def build(self, input_shape):
    build_in_sequence(input_shape, self.depthwise, self.pointwise)

  def compute_output_shape(self, input_shape):
    return output_shape_in_sequence(input_shape, self.depthwise,
                                    self.pointwise)

  def call(self, inputs, training=None):
    x = inputs
    if self.preactivation_fn is not None:
      x = self.preactivation_fn(x)
    x = self.depthwise(x, training=training)
    return self.pointwise(x, training=training)

  def get_config(self):
    config = super().get_config()
    config.update({
        'filters': self.filters,
        'kernel_size': self.kernel_size,
        'strides': self.strides,
        'dilation_rate': self.dilation_rate,
        'preactivation': self.preactivation,
        'activation': self.activation,
        'depthwise_initializer': keras.initializers.serialize(
            self.depthwise_initializer),
        'pointwise_initializer': keras.initializers.serialize(
            self.pointwise_initializer),
        'bn_momentum': self.bn_momentum,
        'bn_epsilon': self.bn_epsilon,
        'sync_batch_norm': self.sync_batch_norm,
    })
    return config
