"""Atrous Spatial Pyramid Pooling with image-level features (reference §2)."""

import keras
import tensorflow as tf

from official.model import conv_bn

# Initializers of the original's separable ASPP/decoder convs (reference §2).
DEPTHWISE_STDDEV = 0.33
POINTWISE_STDDEV = 0.06


def separable_initializers():
  return dict(
      depthwise_initializer=keras.initializers.TruncatedNormal(
          stddev=DEPTHWISE_STDDEV),
      pointwise_initializer=keras.initializers.TruncatedNormal(
          stddev=POINTWISE_STDDEV))


@keras.saving.register_keras_serializable(package='deeplab')
class ASPP(keras.layers.Layer):
  """Concatenates [image pooling, 1x1, atrous 3x3 ...] and projects with 1x1.

  The image-level branch averages the whole feature map (the original's
  AvgPool over the full crop), applies 1x1 conv + BN + ReLU and broadcasts
  back. Concatenation order and names follow the original. Dropout after the
  projection belongs to the model, which knows whether it is training.

  Example:
    >>> aspp = ASPP(atrous_rates=(6, 12, 18))
    >>> aspp(tf.zeros([1, 33, 33, 2048])).shape
    TensorShape([1, 33, 33, 256])
  """

  def __init__(self,
               filters=256,
               atrous_rates=(6, 12, 18),
               use_image_pooling=True,
               separable=True,
               sync_batch_norm=False,
               bn_momentum=0.9997,
               **kwargs):
    super().__init__(**kwargs)
    self.filters = filters
    self.atrous_rates = tuple(atrous_rates or ())
    self.use_image_pooling = use_image_pooling
    self.separable = separable
    self.sync_batch_norm = sync_batch_norm
    self.bn_momentum = bn_momentum

    args = dict(activation='relu', sync_batch_norm=sync_batch_norm,
                bn_momentum=bn_momentum)
    self.image_pooling = None
    if use_image_pooling:
      self.image_pooling = conv_bn.ConvBN(filters, 1, name='image_pooling',
                                          **args)
    self.aspp0 = conv_bn.ConvBN(filters, 1, name='aspp0', **args)
    # Branches as attributes `aspp1`, `aspp2`, ...: tf.train.Checkpoint skips
    # layers held in Keras lists.
    for i, rate in enumerate(self.atrous_rates, 1):
      if separable:
        branch = conv_bn.SeparableConvBN(
            filters, dilation_rate=rate, name=f'aspp{i}',
            **separable_initializers(), **args)
      else:
        branch = conv_bn.ConvBN(filters, 3, dilation_rate=rate,
                                name=f'aspp{i}', **args)
      setattr(self, f'aspp{i}', branch)
    self.concat_projection = conv_bn.ConvBN(filters, 1,
                                            name='concat_projection', **args)

  def _branches(self):
    return [self.aspp0] + [getattr(self, f'aspp{i}')
                           for i in range(1, len(self.atrous_rates) + 1)]

  def build(self, input_shape):
    input_shape = tuple(input_shape)
    if self.image_pooling is not None:
      self.image_pooling.build((input_shape[0], 1, 1, input_shape[3]))
    branches = self._branches()
    for branch in branches:
      branch.build(input_shape)
    num_branches = len(branches) + (self.image_pooling is not None)
    self.concat_projection.build(
        input_shape[:3] + (num_branches * self.filters,))

  def compute_output_shape(self, input_shape):
    return tuple(input_shape)[:3] + (self.filters,)

  def call(self, features, training=None):
    branches = []
    if self.image_pooling is not None:
      pooled = tf.reduce_mean(features, axis=[1, 2], keepdims=True)
      pooled = self.image_pooling(pooled, training=training)
      # Bilinear upsampling of a 1x1 map with aligned corners is a broadcast.
      branches.append(tf.broadcast_to(
          pooled, tf.concat([tf.shape(features)[:3], [self.filters]], 0)))
    for branch in self._branches():
      branches.append(branch(features, training=training))
    x = tf.concat(branches, axis=-1)
    return self.concat_projection(x, training=training)

  def get_config(self):
    config = super().get_config()
    config.update({
        'filters': self.filters,
        'atrous_rates': self.atrous_rates,
        'use_image_pooling': self.use_image_pooling,
        'separable': self.separable,
        'sync_batch_norm': self.sync_batch_norm,
        'bn_momentum': self.bn_momentum,
    })
    return config
