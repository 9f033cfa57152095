"""ResNet-50/101 v1 "beta" with multi-grid (reference §1.5)."""

import keras
import tensorflow as tf

from official.model import conv_bn
from official.model import output_stride as output_stride_lib

# Units per block; bottleneck depths are 64, 128, 256, 512 (x4 at the output).
UNITS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
_BASE_DEPTHS = (64, 128, 256, 512)

# The unit whose `conv3` output feeds the decoder, by nominal stride (§1.8).
LOW_LEVEL_UNITS = {
    50: {4: 'block1/unit_2', 8: 'block2/unit_3', 16: 'block3/unit_5'},
    101: {4: 'block1/unit_2', 8: 'block2/unit_3', 16: 'block3/unit_22'},
}

_BN = dict(bn_momentum=0.95, bn_epsilon=1e-5)


def _initializer():
  # slim's variance_scaling_initializer(): He, fan-in, truncated normal.
  return keras.initializers.VarianceScaling(
      2.0, mode='fan_in', distribution='truncated_normal')


@keras.saving.register_keras_serializable(package='deeplab')
class Bottleneck(keras.layers.Layer):
  """`bottleneck_v1`: 1x1 -> 3x3 (stride, rate) -> 1x1, plus shortcut, ReLU.

  Returns `(output, conv3_output)`; the latter (BN output before the residual
  add) is the decoder's low-level tap.
  """

  def __init__(self, depth, depth_bottleneck, stride=1, rate=1,
               projection_shortcut=False, sync_batch_norm=False, **kwargs):
    super().__init__(**kwargs)
    self.depth = depth
    self.depth_bottleneck = depth_bottleneck
    self.stride = stride
    self.rate = rate
    self.projection_shortcut = projection_shortcut
    self.sync_batch_norm = sync_batch_norm

    args = dict(kernel_initializer=_initializer(),
                sync_batch_norm=sync_batch_norm, **_BN)
    self.shortcut = None
    if projection_shortcut:
      self.shortcut = conv_bn.ConvBN(depth, 1, strides=stride,
                                     name=f'{self.name}.shortcut', **args)
    self.conv1 = conv_bn.ConvBN(depth_bottleneck, 1, activation='relu',
                                name=f'{self.name}.conv1', **args)
    self.conv2 = conv_bn.ConvBN(depth_bottleneck, 3, strides=stride,
                                dilation_rate=rate, activation='relu',
                                name=f'{self.name}.conv2', **args)
    self.conv3 = conv_bn.ConvBN(depth, 1, name=f'{self.name}.conv3', **args)

  def build(self, input_shape):
    conv_bn.build_in_sequence(input_shape, self.shortcut)
    conv_bn.build_in_sequence(input_shape, self.conv1, self.conv2, self.conv3)

  def compute_output_shape(self, input_shape):
    residual = conv_bn.output_shape_in_sequence(input_shape, self.conv1,
                                                self.conv2, self.conv3)
    return residual, residual

  def call(self, inputs, training=None):
    if self.shortcut is not None:
      shortcut = self.shortcut(inputs, training=training)
    else:
      # The original subsamples with a 1x1 max-pool (a no-op at stride 1).
      shortcut = inputs
      if self.stride > 1:
        shortcut = tf.nn.max_pool2d(inputs, 1, self.stride, 'SAME')
    x = self.conv1(inputs, training=training)
    x = self.conv2(x, training=training)
    residual = self.conv3(x, training=training)
    return keras.activations.relu(shortcut + residual), residual

  def get_config(self):
    config = super().get_config()
    config.update({
        'depth': self.depth,
        'depth_bottleneck': self.depth_bottleneck,
        'stride': self.stride,
        'rate': self.rate,
        'projection_shortcut': self.projection_shortcut,
        'sync_batch_norm': self.sync_batch_norm,
    })
    return config


def resnet_beta(depth=101, output_stride=16, multi_grid=(1, 2, 4),
                sync_batch_norm=False, name=None):
  """Builds `resnet_v1_{depth}_beta`: a three-conv 3x3 stem, then bottlenecks.

  Args:
    depth: 50 or 101.
    output_stride: a multiple of 4 the blocks can reach (8, 16 or 32).
    multi_grid: atrous multipliers of the three units of block4 ((1, 2, 4),
      the paper's best, by default).
    sync_batch_norm: synchronise batch statistics across replicas.
    name: the model's name (DeepLab gives its checkpoint scope).

  Returns:
    A `keras.Model` from float32 images in [0, 255] to a dict with 'features'
    and 'low_level_{4,8,16}'.

  Example:
    >>> backbone = resnet_beta(50, output_stride=16)
    >>> backbone(tf.zeros([1, 65, 65, 3]))['features'].shape
    TensorShape([1, 5, 5, 2048])
  """
  if depth not in UNITS:
    raise ValueError(f'ResNet depth must be one of {sorted(UNITS)}, '
                     f'got {depth}.')
  if output_stride % 4:
    raise ValueError(
        f'output_stride must be a multiple of 4, got {output_stride}.')
  multi_grid = tuple(multi_grid)
  if len(multi_grid) != UNITS[depth][-1]:
    raise ValueError(f'multi_grid needs {UNITS[depth][-1]} rates, '
                     f'got {multi_grid}.')
  units = []  # (block, unit, base_depth, stride, unit_rate)
  for block, (num_units, base) in enumerate(zip(UNITS[depth], _BASE_DEPTHS), 1):
    for unit in range(1, num_units + 1):
      stride = 2 if unit == num_units and block < 4 else 1
      unit_rate = multi_grid[unit - 1] if block == 4 else 1
      units.append((block, unit, base, stride, unit_rate))
  # The stem (stride-2 conv and stride-2 max-pool) already gives stride 4.
  schedule = output_stride_lib.strides_and_rates(
      [stride for _, _, _, stride, _ in units], output_stride // 4)

  args = dict(kernel_initializer=_initializer(),
              sync_batch_norm=sync_batch_norm, **_BN)
  images = keras.Input((None, None, 3), name='images')
  x = keras.layers.Rescaling(2.0 / 255.0, offset=-1.0, name='normalize')(images)
  x = conv_bn.ConvBN(64, 3, strides=2, activation='relu', name='conv1_1',
                     **args)(x)
  x = conv_bn.ConvBN(64, 3, activation='relu', name='conv1_2', **args)(x)
  x = conv_bn.ConvBN(128, 3, activation='relu', name='conv1_3', **args)(x)
  x = keras.layers.MaxPooling2D(3, strides=2, padding='same', name='pool1')(x)
  taps = {scope: stride for stride, scope in LOW_LEVEL_UNITS[depth].items()}
  outputs = {}
  for (block, unit, base, _, unit_rate), (stride, rate) in zip(units, schedule):
    scope = f'block{block}/unit_{unit}'
    x, residual = Bottleneck(
        base * 4, base, stride=stride, rate=rate * unit_rate,
        projection_shortcut=unit == 1, sync_batch_norm=sync_batch_norm,
        name=f'block{block}.unit_{unit}.bottleneck_v1')(x)
    if scope in taps:
      outputs[f'low_level_{taps[scope]}'] = residual
  outputs['features'] = x
  return keras.Model(images, outputs, name=name)
