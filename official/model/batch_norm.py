"""Batch normalization on TensorFlow's fused kernel, as the original's slim.

Keras 3 composes batch normalization from elementwise ops on TensorFlow; in
training the fused kernel (one op, as the original's slim
`batch_norm(fused=True)`) is faster (BENCHMARKS.md). At inference the layer
is a per-channel scale and shift, two ops: TensorFlow's remapper would fuse
the fused kernel into the conv before it, and oneDNN's kernel for that
fusion runs the network twelve times slower. In training, the moving
variance follows the unbiased (Bessel-corrected) batch variance, as the
fused kernel reports it and as the original's update ops used it; Keras
would take the biased one. Batch statistics synchronised across replicas
(`synchronized=True`) are computed as Keras does, with the same unbiased
moving variance over the global batch.
"""

import contextlib

import keras
import tensorflow as tf

from official.model import recompute

# The fused kernel's smallest epsilon in training: TensorFlow raises smaller
# ones to it (so the original's 1e-5 trained as this); the synchronised path
# does too. At inference the kernel takes epsilon as given.
_MIN_FUSED_EPSILON = 1.001e-5

_fused_at_inference = False


@contextlib.contextmanager
def fused_kernel_at_inference():
  """Inference batch norms traced inside run TensorFlow's fused kernel.

  The op the original's graphs held, which the multiply-add count's
  convention counts as nothing (reference §11).
  """
  global _fused_at_inference  # pylint: disable=global-statement
  previous, _fused_at_inference = _fused_at_inference, True
  try:
    yield
  finally:
    _fused_at_inference = previous


def _sum_over_replicas(value):
  context = tf.distribute.get_replica_context()
  if context is None or context.num_replicas_in_sync == 1:
    return value
  return context.all_reduce(tf.distribute.ReduceOp.SUM, value)


@keras.saving.register_keras_serializable(package='deeplab')
class BatchNorm(keras.layers.BatchNormalization):
  """`keras.layers.BatchNormalization` over the channel axis, fused.

  Example:
    >>> bn = BatchNorm(momentum=0.9997, epsilon=1e-3)
    >>> bn(tf.ones([1, 4, 4, 8]), training=False).shape
    TensorShape([1, 4, 4, 8])
  """

  def call(self, inputs, training=None, mask=None):
    fusable = (mask is None and len(inputs.shape) == 4 and
               self.axis in (-1, 3) and self.center and self.scale and
               not self.renorm)
    if not fusable:
      return super().call(inputs, training=training, mask=mask)
    if not (training and self.trainable):
      if _fused_at_inference:
        outputs, _, _ = self._fused_kernel(inputs, is_training=False)
        return tf.cast(outputs, self.compute_dtype)
      # A per-channel scale and shift, which TensorFlow's remapper leaves
      # apart from the conv before it: oneDNN's kernel for a conv fused with
      # an inference batch norm is slow (BENCHMARKS.md). The fused kernel
      # takes epsilon as given at inference; so does this.
      scale = tf.cast(self.gamma, tf.float32) * tf.math.rsqrt(
          tf.cast(self.moving_variance, tf.float32) + self.epsilon)
      shift = tf.cast(self.beta, tf.float32) - tf.cast(
          self.moving_mean, tf.float32) * scale
      outputs = tf.cast(inputs, tf.float32) * scale + shift
      return tf.cast(outputs, self.compute_dtype)
    if self.synchronized:
      outputs, mean, variance = self._synchronized_batch_norm(inputs)
      # Python floats, as the fused kernel's factor below: no decay ops.
      mean = self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
      variance = (self.moving_variance * self.momentum +
                  variance * (1.0 - self.momentum))
    else:
      # The kernel also moves the averages, by the unbiased batch variance:
      # a few ops fewer per layer in the traced step.
      outputs, mean, variance = self._fused_kernel(
          inputs, is_training=True,
          exponential_avg_factor=1.0 - self.momentum)
    if not recompute.recomputing():
      self.moving_mean.assign(mean)
      self.moving_variance.assign(variance)
    return tf.cast(outputs, self.compute_dtype)

  def _fused_kernel(self, inputs, **mode):
    """TensorFlow's fused kernel on the layer's weights and statistics.

    `mode`: `is_training` and, in training, `exponential_avg_factor`.
    """
    return tf.compat.v1.nn.fused_batch_norm(
        inputs,
        scale=tf.cast(self.gamma, tf.float32),
        offset=tf.cast(self.beta, tf.float32),
        mean=tf.cast(self.moving_mean, tf.float32),
        variance=tf.cast(self.moving_variance, tf.float32),
        epsilon=self.epsilon,
        **mode)

  def _synchronized_batch_norm(self, inputs):
    """Outputs, batch mean and unbiased batch variance over all replicas.

    Keras' statistics (E[x^2] - E[x]^2 of the global batch) from one
    all-reduce of the sums, squared sums and pixel count, where Keras makes
    three. The gradient is batch norm's own formula, written out, with one
    all-reduce of two per-channel sums: differentiating the composed
    statistics traced about 50 more ops per layer and replica, and a
    third more time to trace and start a two-replica step (BENCHMARKS.md).
    """
    inputs = tf.cast(inputs, tf.float32)
    channels = inputs.shape[-1]
    if inputs.shape[:-1].is_fully_defined():
      # A training crop's static shape: a constant, not five ops per layer.
      local_count = tf.constant([inputs.shape[:-1].num_elements()],
                                tf.float32)
    else:
      local_count = tf.reshape(
          tf.cast(tf.size(inputs) // channels, tf.float32), [1])
    sums, squared_sums, count = tf.split(_sum_over_replicas(tf.concat([
        tf.reduce_sum(inputs, axis=[0, 1, 2]),
        tf.reduce_sum(tf.square(inputs), axis=[0, 1, 2]),
        local_count], axis=0)), [channels, channels, 1])
    mean = tf.math.divide_no_nan(sums, count)
    variance = tf.maximum(
        tf.math.divide_no_nan(squared_sums, count) - tf.square(mean), 0.0)
    inverse_std = tf.math.rsqrt(
        variance + max(self.epsilon, _MIN_FUSED_EPSILON))

    @tf.custom_gradient
    def normalize(x, gamma, beta):
      normalized = (x - mean) * inverse_std

      def gradient(upstream):
        # This replica's sums, for gamma and beta (the optimizer adds the
        # replicas' shares); all replicas' sums, for the inputs, which moved
        # every replica's statistics.
        local = tf.concat([tf.reduce_sum(upstream, axis=[0, 1, 2]),
                           tf.reduce_sum(upstream * normalized,
                                         axis=[0, 1, 2])], axis=0)
        beta_gradient, gamma_gradient = tf.split(local, 2)
        upstream_sums, weighted_sums = tf.split(
            tf.math.divide_no_nan(_sum_over_replicas(local), count), 2)
        input_gradient = (gamma * inverse_std) * (
            upstream - upstream_sums - normalized * weighted_sums)
        return input_gradient, gamma_gradient, beta_gradient

      return normalized * gamma + beta, gradient

    outputs = normalize(inputs, tf.cast(self.gamma, tf.float32),
                        tf.cast(self.beta, tf.float32))
    unbiased = variance * count / tf.maximum(count - 1.0, 1.0)
    return outputs, mean, unbiased
