"""Batch normalization on TensorFlow's fused kernel, as the original's slim.

Keras 3 composes batch normalization from elementwise ops on TensorFlow; the
fused kernel (one op, as the original's slim `batch_norm(fused=True)`) is
faster in inference and in training (BENCHMARKS.md). In training, the moving
variance follows the unbiased (Bessel-corrected) batch variance, as the
fused kernel reports it and as the original's update ops used it; Keras
would take the biased one. Batch statistics synchronised across replicas
(`synchronized=True`) are computed as Keras does, with the same unbiased
moving variance over the global batch.
"""

import keras
import tensorflow as tf

# The fused kernel's smallest epsilon: TensorFlow raises smaller ones to it
# (so the original's 1e-5 ran as this); the synchronised path does too.
_MIN_FUSED_EPSILON = 1.001e-5


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
      outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
          inputs,
          scale=tf.cast(self.gamma, tf.float32),
          offset=tf.cast(self.beta, tf.float32),
          mean=tf.cast(self.moving_mean, tf.float32),
          variance=tf.cast(self.moving_variance, tf.float32),
          epsilon=self.epsilon,
          is_training=False)
      return tf.cast(outputs, self.compute_dtype)
    if self.synchronized:
      outputs, mean, variance = self._synchronized_batch_norm(inputs)
    else:
      # The batch variance it returns is the unbiased one.
      outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
          inputs,
          scale=tf.cast(self.gamma, tf.float32),
          offset=tf.cast(self.beta, tf.float32),
          epsilon=self.epsilon,
          is_training=True)
    decay = tf.constant(self.momentum, tf.float32)
    self.moving_mean.assign(self.moving_mean * decay + mean * (1.0 - decay))
    self.moving_variance.assign(
        self.moving_variance * decay + variance * (1.0 - decay))
    return tf.cast(outputs, self.compute_dtype)

  def _synchronized_batch_norm(self, inputs):
    """Outputs, batch mean and unbiased batch variance over all replicas."""
    inputs = tf.cast(inputs, tf.float32)
    mean, variance = keras.ops.moments(inputs, axes=[0, 1, 2],
                                       synchronized=True)
    count = _sum_over_replicas(
        tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], tf.float32))
    outputs = tf.nn.batch_normalization(
        inputs, mean, variance, offset=tf.cast(self.beta, tf.float32),
        scale=tf.cast(self.gamma, tf.float32),
        variance_epsilon=max(self.epsilon, _MIN_FUSED_EPSILON))
    unbiased = variance * count / tf.maximum(count - 1.0, 1.0)
    return outputs, mean, unbiased
