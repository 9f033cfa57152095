"""Batch normalization that runs TensorFlow's fused kernel at inference.

Keras 3 composes batch normalization from elementwise ops on TensorFlow; the
fused kernel (one op, as the original's slim `batch_norm(fused=True)`) is
about 25% faster on the Xception middle flow (BENCHMARKS.md). Training keeps
Keras' own path, which supports `synchronized=True` across replicas.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package='deeplab')
class BatchNorm(keras.layers.BatchNormalization):
  """`keras.layers.BatchNormalization` over the channel axis, fused at inference.

  Example:
    >>> bn = BatchNorm(momentum=0.9997, epsilon=1e-3)
    >>> bn(tf.ones([1, 4, 4, 8]), training=False).shape
    TensorShape([1, 4, 4, 8])
  """

  def call(self, inputs, training=None, mask=None):
    fusable = (not (training and self.trainable) and mask is None and
               len(inputs.shape) == 4 and self.axis in (-1, 3) and
               self.center and self.scale)
    if not fusable:
      return super().call(inputs, training=training, mask=mask)
    outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
        inputs,
        scale=tf.cast(self.gamma, tf.float32),
        offset=tf.cast(self.beta, tf.float32),
        mean=tf.cast(self.moving_mean, tf.float32),
        variance=tf.cast(self.moving_variance, tf.float32),
        epsilon=self.epsilon,
        is_training=False)
    return tf.cast(outputs, self.compute_dtype)
