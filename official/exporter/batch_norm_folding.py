"""Batch norm folded into the conv before it, for inference graphs.

At inference a batch norm is a per-channel affine map, `x * scale + shift`
with `scale = gamma / sqrt(moving_variance + epsilon)` and
`shift = beta - moving_mean * scale`. After a bias-free conv it folds into
the conv: the kernel's output channels multiplied by `scale`, `shift` as
the bias. Every `ConvBN` (and so both halves of every `SeparableConvBN`)
then runs one conv with a bias instead of a conv and a batch norm.

A folded ReLU6 runs as `minimum(relu(x), 6)`, the same function: TensorFlow
fuses conv + bias + ReLU6 into one kernel, and oneDNN's is about seven times
slower than its conv + bias + ReLU followed by the minimum (BENCHMARKS.md).
The LiteRT converter fuses both forms into the conv alike.

A folded Xception's pre-activation ReLUs run as `maximum(x, 0)`: where one
follows a residual add whose sum also feeds the next one, oneDNN's graph
rewrite of conv + bias + add + ReLU fails ("remapper failed: ... Mutation::
Apply error", logged as an error at the first run). The LiteRT converter
turns the maximum back into RELU.

Folding works on a copy: the trained model, its layers and its checkpoint
layout are untouched, and the copy is only for inference.
"""

import keras
import numpy as np
import tensorflow as tf

from official.model import conv_bn


def folded_kernel_and_bias(layer):
  """The kernel and bias of a `ConvBN` with its batch norm folded in.

  Computed in float64 and returned in the kernel's dtype.

  Args:
    layer: a built `conv_bn.ConvBN`.

  Returns:
    (kernel, bias) numpy arrays: the conv's kernel layout ([kh, kw, in, out],
    or [kh, kw, in, multiplier] for a depthwise conv) and [channels].
  """
  bn = layer.bn
  gamma, beta, mean, variance = (
      np.asarray(keras.ops.convert_to_numpy(weight), np.float64)
      for weight in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance))
  scale = gamma / np.sqrt(variance + bn.epsilon)
  kernel = keras.ops.convert_to_numpy(layer.kernel)
  # The output channels are the last axis of a conv kernel; a depthwise
  # kernel's input channel c with multiplier m gives output c * M + m.
  scaled = kernel.astype(np.float64) * scale.reshape(kernel.shape[2:]
                                                     if layer.depthwise
                                                     else kernel.shape[3:])
  bias = beta - mean * scale
  return scaled.astype(kernel.dtype), bias.astype(kernel.dtype)


def _biased_conv(layer):
  """A `Conv2D`/`DepthwiseConv2D` like `layer.conv`, with the folded weights."""
  kernel, bias = folded_kernel_and_bias(layer)
  # Zeros, overwritten below: drawing random kernels took a fifth of the
  # time to fold a full-size model (BENCHMARKS.md).
  initializer = ('depthwise_initializer' if isinstance(
      layer.conv, keras.layers.DepthwiseConv2D) else 'kernel_initializer')
  conv = layer.conv.__class__.from_config(
      dict(layer.conv.get_config(), use_bias=True, **{initializer: 'zeros'}))
  conv.build((None, None, None, kernel.shape[2]))
  conv.set_weights([kernel, bias])
  return conv


def _relu6_unfused(x):
  return tf.minimum(tf.nn.relu(x), 6.0)


def _relu_unfused(x):
  return tf.maximum(x, 0.0)


def _fold_conv_bn(layer):
  """Swaps a built `ConvBN`'s conv for the biased one and its batch norm out.

  Keras locks a built layer's sublayers; unlocking to replace them is what
  Keras' own `quantize` does to built layers.
  """
  conv = _biased_conv(layer)
  tracker = layer._tracker  # pylint: disable=protected-access
  tracker.unlock()
  try:
    tracker.untrack(layer.conv)
    tracker.untrack(layer.bn)
    layer.conv = conv
    layer.bn = keras.layers.Identity(name='BatchNorm_folded')
  finally:
    tracker.lock()
  if layer.activation == 'relu6':
    layer.activation_fn = _relu6_unfused


def fold_batch_norm_in_place(layer):
  """Folds the batch norm of every `ConvBN` in a built layer (itself included).

  The layer then computes what it computed at inference (`training=False`),
  up to float rounding, and can no longer be trained or checkpointed as
  before: use it on a copy (`fold_batch_norm`).
  """
  sublayers = list(layer._flatten_layers())  # pylint: disable=protected-access
  for sublayer in sublayers:
    if isinstance(sublayer, conv_bn.ConvBN):
      _fold_conv_bn(sublayer)
    elif (isinstance(sublayer, conv_bn.SeparableConvBN) and
          sublayer.preactivation and sublayer.activation == 'relu'):
      sublayer.preactivation_fn = _relu_unfused


def fold_batch_norm(model):
  """A copy of a built `DeepLab` whose every `ConvBN` runs as conv + bias.

  The copy computes what `model` computes at inference, up to float
  rounding, and holds no batch norm weights; `model` is untouched.

  Example:
    >>> folded = fold_batch_norm(model)
    >>> images = tf.random.uniform([1, 65, 65, 3], 0, 255)
    >>> float(tf.reduce_max(tf.abs(folded(images) - model(images)))) < 1e-4
    True
  """
  folded = model.__class__.from_config(model.get_config())
  folded.build()
  folded.set_weights(model.get_weights())
  fold_batch_norm_in_place(folded)
  return folded
