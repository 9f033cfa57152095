"""Checkpoints in the original DeepLab's naming, for the converter's tests.

The variable lists are spelled out from the original's scopes (reference
§10), independently of our layers, and written as TF1 name-based checkpoints
(the files of `tf.compat.v1.train.Saver`, which wrote the model zoo's)
holding random values.
"""

import os

import numpy as np
import tensorflow as tf

_BATCH_NORM = ('gamma', 'beta', 'moving_mean', 'moving_variance')

# (scope, depth_list, units, conv shortcut) of Xception-65 (reference §1.2).
_XCEPTION_65_BLOCKS = (
    ('entry_flow/block1', (128, 128, 128), 1, True),
    ('entry_flow/block2', (256, 256, 256), 1, True),
    ('entry_flow/block3', (728, 728, 728), 1, True),
    ('middle_flow/block1', (728, 728, 728), 16, False),
    ('exit_flow/block1', (728, 1024, 1024), 1, True),
    ('exit_flow/block2', (1536, 1536, 2048), 1, False),
)

# (expansion, depth, repeats) of MobileNetV2 after `expanded_conv`.
_MOBILENET_V2_STAGES = ((6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3),
                        (6, 160, 3), (6, 320, 1))


class _Variables:
  """An ordered list of (name, shape) in the original's naming."""

  def __init__(self):
    self.shapes = {}

  def conv(self, scope, shape):
    """`<scope>/weights` HWIO and its batch norm."""
    self.shapes[f'{scope}/weights'] = list(shape)
    self._batch_norm(scope, shape[3])

  def depthwise(self, scope, channels):
    """`<scope>/depthwise_weights` [3, 3, C, 1] and its batch norm."""
    self.shapes[f'{scope}/depthwise_weights'] = [3, 3, channels, 1]
    self._batch_norm(scope, channels)

  def _batch_norm(self, scope, channels):
    for name in _BATCH_NORM:
      self.shapes[f'{scope}/BatchNorm/{name}'] = [channels]

  def head(self, features, low_level, separable, num_classes,
           atrous=True, decoder=True):
    """ASPP, decoder and logits scopes of `model.py` (reference §2, §3)."""
    self.conv('image_pooling', [1, 1, features, 256])
    self.conv('aspp0', [1, 1, features, 256])
    branches = 2
    if atrous:
      for i in (1, 2, 3):
        if separable:
          self.depthwise(f'aspp{i}_depthwise', features)
          self.conv(f'aspp{i}_pointwise', [1, 1, features, 256])
        else:
          self.conv(f'aspp{i}', [3, 3, features, 256])
      branches += 3
    self.conv('concat_projection', [1, 1, 256 * branches, 256])
    if decoder:
      self.conv('decoder/feature_projection0', [1, 1, low_level, 48])
      if separable:
        for i, channels in enumerate((304, 256)):
          self.depthwise(f'decoder/decoder_conv{i}_depthwise', channels)
          self.conv(f'decoder/decoder_conv{i}_pointwise',
                    [1, 1, channels, 256])
      else:
        self.conv('decoder/decoder_conv0/decoder_conv0_1', [3, 3, 304, 256])
        self.conv('decoder/decoder_conv0/decoder_conv0_2', [3, 3, 256, 256])
    self.shapes['logits/semantic/weights'] = [1, 1, 256, num_classes]
    self.shapes['logits/semantic/biases'] = [num_classes]


def xception_65(num_classes=21, head=True):
  """Xception-65 with separable ASPP and decoder (the model zoo's)."""
  variables = _Variables()
  scope = 'xception_65'
  variables.conv(f'{scope}/entry_flow/conv1_1', [3, 3, 3, 32])
  variables.conv(f'{scope}/entry_flow/conv1_2', [3, 3, 32, 64])
  depth_in = 64
  for block, depth_list, num_units, conv_shortcut in _XCEPTION_65_BLOCKS:
    for unit in range(1, num_units + 1):
      unit_scope = f'{scope}/{block}/unit_{unit}/xception_module'
      channels = depth_in
      for i, depth in enumerate(depth_list, 1):
        variables.depthwise(f'{unit_scope}/separable_conv{i}_depthwise',
                            channels)
        variables.conv(f'{unit_scope}/separable_conv{i}_pointwise',
                       [1, 1, channels, depth])
        channels = depth
      if conv_shortcut:
        variables.conv(f'{unit_scope}/shortcut',
                       [1, 1, depth_in, depth_list[-1]])
      depth_in = depth_list[-1]
  if head:
    variables.head(2048, 256, separable=True, num_classes=num_classes)
  return variables.shapes


def resnet_v1_101_beta(num_classes=21, head=True):
  """ResNet-101 beta with plain ASPP and decoder (paper Table 3)."""
  variables = _Variables()
  scope = 'resnet_v1_101'
  variables.conv(f'{scope}/conv1_1', [3, 3, 3, 64])
  variables.conv(f'{scope}/conv1_2', [3, 3, 64, 64])
  variables.conv(f'{scope}/conv1_3', [3, 3, 64, 128])
  depth_in = 128
  for block, (num_units, base) in enumerate(
      zip((3, 4, 23, 3), (64, 128, 256, 512)), 1):
    for unit in range(1, num_units + 1):
      unit_scope = f'{scope}/block{block}/unit_{unit}/bottleneck_v1'
      if unit == 1:
        variables.conv(f'{unit_scope}/shortcut', [1, 1, depth_in, 4 * base])
      variables.conv(f'{unit_scope}/conv1', [1, 1, depth_in, base])
      variables.conv(f'{unit_scope}/conv2', [3, 3, base, base])
      variables.conv(f'{unit_scope}/conv3', [1, 1, base, 4 * base])
      depth_in = 4 * base
  if head:
    variables.head(2048, 256, separable=False, num_classes=num_classes)
  return variables.shapes


def mobilenet_v2(num_classes=21, head=True):
  """MobileNetV2 with image pooling and 1x1 ASPP only (the model zoo's)."""
  variables = _Variables()
  scope = 'MobilenetV2'
  variables.conv(f'{scope}/Conv', [3, 3, 3, 32])
  variables.depthwise(f'{scope}/expanded_conv/depthwise', 32)
  variables.conv(f'{scope}/expanded_conv/project', [1, 1, 32, 16])
  depth_in, index = 16, 1
  for expansion, depth, repeats in _MOBILENET_V2_STAGES:
    for _ in range(repeats):
      unit_scope = f'{scope}/expanded_conv_{index}'
      expanded = depth_in * expansion
      variables.conv(f'{unit_scope}/expand', [1, 1, depth_in, expanded])
      variables.depthwise(f'{unit_scope}/depthwise', expanded)
      variables.conv(f'{unit_scope}/project', [1, 1, expanded, depth])
      depth_in, index = depth, index + 1
  if head:
    variables.head(320, None, separable=True, num_classes=num_classes,
                   atrous=False, decoder=False)
  return variables.shapes


def random_values(shapes, seed=0):
  """Small random float32 values; positive moving variances."""
  rng = np.random.default_rng(seed)
  values = {}
  for name, shape in shapes.items():
    if name.endswith(('moving_variance', 'gamma')):
      values[name] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    else:
      values[name] = rng.normal(0.0, 0.1, shape).astype(np.float32)
  return values


def write(prefix, values, global_step=None, slots=()):
  """Writes `values` as a TF1 name-based checkpoint at `prefix`.

  The files TF1's `Saver` writes (prefix.index, prefix.data-00000-of-00001),
  by its own SaveV2 op, eagerly: a graph of a variable per tensor would take
  seconds to build for a full-size model.

  Args:
    prefix: checkpoint prefix, e.g. '/tmp/x/model.ckpt'.
    values: {name: numpy array}.
    global_step: if given, an int64 `global_step` variable.
    slots: names of `values` to give a `<name>/Momentum` optimizer slot.

  Returns:
    The prefix written.
  """
  tensors = dict(values)
  for name in slots:
    tensors[f'{name}/Momentum'] = np.zeros(values[name].shape, np.float32)
  if global_step is not None:
    tensors['global_step'] = np.int64(global_step)
  names = sorted(tensors)
  tf.io.gfile.makedirs(os.path.dirname(prefix))
  tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names,
                    shape_and_slices=[''] * len(names),
                    tensors=[tensors[name] for name in names])
  return prefix
