"""MobileNetV2 up to `layer_18`, as DeepLab uses it (reference §1.6)."""

import keras

from official.model import conv_bn
from official.model import output_stride as output_stride_lib

# (expansion, output depth, stride) of expanded_conv, expanded_conv_1, ...
_INVERTED_RESIDUALS = (
    (1, 16, 1),
    (6, 24, 2), (6, 24, 1),
    (6, 32, 2), (6, 32, 1), (6, 32, 1),
    (6, 64, 2), (6, 64, 1), (6, 64, 1), (6, 64, 1),
    (6, 96, 1), (6, 96, 1), (6, 96, 1),
    (6, 160, 2), (6, 160, 1), (6, 160, 1),
    (6, 320, 1),
)

# `layer_N` counts the stem conv as layer_1; the decoder taps are the
# depthwise outputs of layer_4, layer_7 and layer_14 (reference §1.8).
LOW_LEVEL_LAYERS = {4: 4, 8: 7, 16: 14}

_BN = dict(bn_momentum=0.997, bn_epsilon=1e-3)


def make_divisible(value, divisor, min_value=None):
  """Rounds a depth to a multiple of `divisor`, never dropping below 90%."""
  min_value = min_value or divisor
  rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
  if rounded < 0.9 * value:
    rounded += divisor
  return rounded


def _initializer():
  return keras.initializers.TruncatedNormal(stddev=0.09)


@keras.saving.register_keras_serializable(package='deeplab')
class InvertedResidual(keras.layers.Layer):
  """`expanded_conv`: 1x1 expand -> 3x3 depthwise -> 1x1 linear projection.

  Returns `(output, depthwise_output)`; the latter is the decoder tap.
  """

  def __init__(self, expansion_depth, depth, stride=1, rate=1,
               sync_batch_norm=False, **kwargs):
    super().__init__(**kwargs)
    self.expansion_depth = expansion_depth
    self.depth = depth
    self.stride = stride
    self.rate = rate
    self.sync_batch_norm = sync_batch_norm

    args = dict(kernel_initializer=_initializer(), explicit_padding=False,
                sync_batch_norm=sync_batch_norm, **_BN)
    self.expand = None
    if expansion_depth is not None:
      self.expand = conv_bn.ConvBN(expansion_depth, 1, activation='relu6',
                                   name=f'{self.name}.expand', **args)
    self.depthwise = conv_bn.ConvBN(
        kernel_size=3, strides=stride, dilation_rate=rate, depthwise=True,
        activation='relu6', name=f'{self.name}.depthwise', **args)
    self.project = conv_bn.ConvBN(depth, 1, name=f'{self.name}.project',
                                  **args)

  def build(self, input_shape):
    conv_bn.build_in_sequence(input_shape, self.expand, self.depthwise,
                              self.project)

  def compute_output_shape(self, input_shape):
    depthwise_shape = conv_bn.output_shape_in_sequence(
        input_shape, self.expand, self.depthwise)
    return self.project.compute_output_shape(depthwise_shape), depthwise_shape

  def call(self, inputs, training=None):
    x = inputs
    if self.expand is not None:
      x = self.expand(x, training=training)
    depthwise_output = self.depthwise(x, training=training)
    x = self.project(depthwise_output, training=training)
    # The residual test uses the stride after atrous conversion, as the original.
    if self.stride == 1 and inputs.shape[-1] == self.depth:
      x = x + inputs
    return x, depthwise_output

  def get_config(self):
    config = super().get_config()
    config.update({
        'expansion_depth': self.expansion_depth,
        'depth': self.depth,
        'stride': self.stride,
        'rate': self.rate,
        'sync_batch_norm': self.sync_batch_norm,
    })
    return config


def mobilenet_v2(output_stride=16, depth_multiplier=1.0,
                 sync_batch_norm=False, name=None):
  """Builds MobileNetV2 through its last inverted residual (320 channels).

  Args:
    output_stride: 8, 16 or 32.
    depth_multiplier: scales every layer's depth, e.g. 0.5.
    sync_batch_norm: synchronise batch statistics across replicas.
    name: the model's name (DeepLab gives its checkpoint scope).

  Returns:
    A `keras.Model` from float32 images in [0, 255] to a dict with 'features'
    and 'low_level_{4,8,16}'.

  Example:
    >>> backbone = mobilenet_v2(output_stride=16)
    >>> backbone(tf.zeros([1, 65, 65, 3]))['features'].shape
    TensorShape([1, 5, 5, 320])
  """
  divisible_by = 8 if depth_multiplier == 1.0 else 1
  min_depth = 8 if depth_multiplier == 1.0 else 1

  def scaled(depth):
    return make_divisible(depth * depth_multiplier, divisible_by, min_depth)

  unit_strides = [2] + [stride for _, _, stride in _INVERTED_RESIDUALS]
  schedule = output_stride_lib.strides_and_rates(unit_strides, output_stride)

  images = keras.Input((None, None, 3), name='images')
  x = keras.layers.Rescaling(2.0 / 255.0, offset=-1.0, name='normalize')(images)
  stem_stride, _ = schedule[0]
  x = conv_bn.ConvBN(scaled(32), 3, strides=stem_stride, activation='relu6',
                     explicit_padding=False, kernel_initializer=_initializer(),
                     sync_batch_norm=sync_batch_norm, name='Conv', **_BN)(x)
  input_depth = scaled(32)
  taps = {layer: stride for stride, layer in LOW_LEVEL_LAYERS.items()}
  outputs = {}
  for index, ((expansion, depth, _), (stride, rate)) in enumerate(
      zip(_INVERTED_RESIDUALS, schedule[1:])):
    scope = 'expanded_conv' + (f'_{index}' if index else '')
    expansion_depth = (make_divisible(input_depth * expansion, 8)
                       if expansion > 1 else None)
    x, depthwise_output = InvertedResidual(
        expansion_depth, scaled(depth), stride=stride, rate=rate,
        sync_batch_norm=sync_batch_norm, name=scope)(x)
    input_depth = scaled(depth)
    layer = index + 2
    if layer in taps:
      outputs[f'low_level_{taps[layer]}'] = depthwise_output
  outputs['features'] = x
  return keras.Model(images, outputs, name=name)
