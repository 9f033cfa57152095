"""Modified aligned Xception-41/65/71 (DeepLabv3+ §3.2; reference §1.1-1.4)."""

import keras

from official.model import conv_bn
from official.model import output_stride as output_stride_lib
from official.model import recompute
from official.ops import setting_checks

# (scope, depth_list, skip_connection_type, num_units, stride,
#  activation_inside_separable_conv) per block; reference §1.2.
_ENTRY_FLOW_65 = (
    ('entry_flow/block1', (128, 128, 128), 'conv', 1, 2, False),
    ('entry_flow/block2', (256, 256, 256), 'conv', 1, 2, False),
    ('entry_flow/block3', (728, 728, 728), 'conv', 1, 2, False),
)
_ENTRY_FLOW_71 = (
    ('entry_flow/block1', (128, 128, 128), 'conv', 1, 2, False),
    ('entry_flow/block2', (256, 256, 256), 'conv', 1, 1, False),
    ('entry_flow/block3', (256, 256, 256), 'conv', 1, 2, False),
    ('entry_flow/block4', (728, 728, 728), 'conv', 1, 1, False),
    ('entry_flow/block5', (728, 728, 728), 'conv', 1, 2, False),
)
_EXIT_FLOW = (
    ('exit_flow/block1', (728, 1024, 1024), 'conv', 1, 2, False),
    ('exit_flow/block2', (1536, 1536, 2048), 'none', 1, 1, True),
)


def _middle_flow(num_units):
  return (('middle_flow/block1', (728, 728, 728), 'sum', num_units, 1, False),)


BLOCKS = {
    41: _ENTRY_FLOW_65 + _middle_flow(8) + _EXIT_FLOW,
    65: _ENTRY_FLOW_65 + _middle_flow(16) + _EXIT_FLOW,
    71: _ENTRY_FLOW_71 + _middle_flow(16) + _EXIT_FLOW,
}

# Blocks whose `separable_conv2` output feeds the decoder, by nominal stride
# (reference §1.8).
LOW_LEVEL_BLOCKS = {
    41: {4: 'entry_flow/block2', 8: 'entry_flow/block3', 16: 'exit_flow/block1'},
    65: {4: 'entry_flow/block2', 8: 'entry_flow/block3', 16: 'exit_flow/block1'},
    71: {4: 'entry_flow/block3', 8: 'entry_flow/block5', 16: 'exit_flow/block1'},
}

_BN = dict(bn_momentum=0.9997, bn_epsilon=1e-3)


def _initializer():
  return keras.initializers.TruncatedNormal(stddev=0.09)


def _scope_name(scope):
  return scope.replace('/', '.')


@keras.saving.register_keras_serializable(package='deeplab')
class XceptionModule(keras.layers.Layer):
  """One Xception unit: three separable convs and a shortcut (reference §1.1).

  Returns `(output, separable_conv2_output)`; the latter is the decoder's
  low-level tap (a BN output, before any ReLU). With `recompute_in_backward`
  the unit's activations in training are recomputed by its gradient instead
  of kept (`recompute`).
  """

  def __init__(self,
               depth_list,
               skip_connection_type,
               stride=1,
               rate=1,
               unit_rate_list=(1, 1, 1),
               activation_inside=False,
               sync_batch_norm=False,
               recompute_in_backward=False,
               **kwargs):
    super().__init__(**kwargs)
    if skip_connection_type not in ('conv', 'sum', 'none'):
      raise ValueError(f'{self.name}: unknown skip_connection_type '
                       f'{skip_connection_type!r}.')
    self.depth_list = tuple(depth_list)
    self.skip_connection_type = skip_connection_type
    self.stride = stride
    self.rate = rate
    self.unit_rate_list = tuple(unit_rate_list)
    self.activation_inside = activation_inside
    self.sync_batch_norm = sync_batch_norm
    self.recompute_in_backward = recompute_in_backward

    # Separate attributes, not a list: tf.train.Checkpoint skips Keras lists.
    self.separable_conv1, self.separable_conv2, self.separable_conv3 = (
        conv_bn.SeparableConvBN(
            depth,
            strides=stride if i == 2 else 1,
            dilation_rate=rate * self.unit_rate_list[i],
            preactivation=not activation_inside,
            depthwise_initializer=_initializer(),
            pointwise_initializer=_initializer(),
            sync_batch_norm=sync_batch_norm,
            name=f'{self.name}.separable_conv{i + 1}',
            **_BN) for i, depth in enumerate(self.depth_list))
    self.shortcut = None
    if skip_connection_type == 'conv':
      self.shortcut = conv_bn.ConvBN(
          self.depth_list[-1], 1, strides=stride,
          kernel_initializer=_initializer(), sync_batch_norm=sync_batch_norm,
          name=f'{self.name}.shortcut', **_BN)

  def build(self, input_shape):
    conv_bn.build_in_sequence(input_shape, self.separable_conv1,
                              self.separable_conv2, self.separable_conv3)
    if self.shortcut is not None:
      self.shortcut.build(input_shape)

  def compute_output_shape(self, input_shape):
    low_level = conv_bn.output_shape_in_sequence(
        input_shape, self.separable_conv1, self.separable_conv2)
    return self.separable_conv3.compute_output_shape(low_level), low_level

  def call(self, inputs, training=None):
    if training and self.recompute_in_backward:
      return recompute.recompute_in_backward(
          lambda x: self._forward(x, training), inputs)
    return self._forward(inputs, training)

  def _forward(self, inputs, training):
    x = self.separable_conv1(inputs, training=training)
    low_level = self.separable_conv2(x, training=training)
    x = self.separable_conv3(low_level, training=training)
    if self.shortcut is not None:
      x = x + self.shortcut(inputs, training=training)
    elif self.skip_connection_type == 'sum':
      x = x + inputs
    return x, low_level

  def get_config(self):
    config = super().get_config()
    config.update({
        'depth_list': self.depth_list,
        'skip_connection_type': self.skip_connection_type,
        'stride': self.stride,
        'rate': self.rate,
        'unit_rate_list': self.unit_rate_list,
        'activation_inside': self.activation_inside,
        'sync_batch_norm': self.sync_batch_norm,
        'recompute_in_backward': self.recompute_in_backward,
    })
    return config


def xception(depth=65, output_stride=16, multi_grid=(1, 1, 1),
             sync_batch_norm=False, recompute_max_stride=8, name=None):
  """Builds the modified aligned Xception as a functional model.

  Args:
    depth: 41, 65 or 71.
    output_stride: 8, 16 or 32 (any even stride the blocks can reach).
    multi_grid: atrous multipliers of the three convs of `exit_flow/block2`
      ((1, 1, 1) in the paper).
    sync_batch_norm: synchronise batch statistics across replicas.
    recompute_max_stride: units whose input is at most this stride (8: the
      entry flow) recompute their activations in the backward pass instead
      of keeping them; for Xception-65 SC at 513x513, batch 2, a quarter
      less peak tensor memory for 4 % more step time (BENCHMARKS.md); 0 for
      none.
    name: the model's name (DeepLab gives its checkpoint scope).

  Returns:
    A `keras.Model` from float32 images in [0, 255] to a dict with 'features'
    (the last block's output) and 'low_level_{4,8,16}' (decoder taps).

  Example:
    >>> backbone = xception(65, output_stride=16)
    >>> backbone(tf.zeros([1, 65, 65, 3]))['features'].shape
    TensorShape([1, 5, 5, 2048])
  """
  if depth not in BLOCKS:
    raise ValueError(f'Xception depth must be one of {sorted(BLOCKS)}, '
                     f'got {depth}.')
  if output_stride % 2:
    raise ValueError(f'output_stride must be even, got {output_stride}.')
  recompute_max_stride = setting_checks.non_negative_int(
      recompute_max_stride, 'recompute_max_stride')
  multi_grid = tuple(multi_grid)
  blocks = BLOCKS[depth]
  unit_strides = [stride for _, _, _, num_units, stride, _ in blocks
                  for _ in range(num_units)]
  # The stem's stride-2 conv already halves the resolution.
  schedule = iter(output_stride_lib.strides_and_rates(
      unit_strides, output_stride // 2))

  images = keras.Input((None, None, 3), name='images')
  # Reference §1.7: [0, 255] -> [-1, 1] inside the network.
  x = keras.layers.Rescaling(2.0 / 255.0, offset=-1.0, name='normalize')(images)
  x = conv_bn.ConvBN(32, 3, strides=2, activation='relu',
                     kernel_initializer=_initializer(),
                     sync_batch_norm=sync_batch_norm,
                     name='entry_flow.conv1_1', **_BN)(x)
  x = conv_bn.ConvBN(64, 3, activation='relu',
                     kernel_initializer=_initializer(),
                     sync_batch_norm=sync_batch_norm,
                     name='entry_flow.conv1_2', **_BN)(x)
  taps = {scope: stride for stride, scope in LOW_LEVEL_BLOCKS[depth].items()}
  outputs = {}
  input_stride = 2
  for scope, depth_list, skip, num_units, _, activation_inside in blocks:
    for unit in range(1, num_units + 1):
      stride, rate = next(schedule)
      x, low_level = XceptionModule(
          depth_list, skip, stride=stride, rate=rate,
          unit_rate_list=multi_grid if scope == 'exit_flow/block2' else
          (1, 1, 1),
          activation_inside=activation_inside,
          sync_batch_norm=sync_batch_norm,
          recompute_in_backward=input_stride <= recompute_max_stride,
          name=_scope_name(f'{scope}/unit_{unit}/xception_module'))(x)
      input_stride *= stride
    if scope in taps:
      outputs[f'low_level_{taps[scope]}'] = low_level
  outputs['features'] = x
  return keras.Model(images, outputs, name=name)
