"""The DeepLabv3+ decoder (paper §3.1; reference §3)."""

import keras
import tensorflow as tf

from official.model import aspp as aspp_lib
from official.model import conv_bn
from official.ops import resize


@keras.saving.register_keras_serializable(package='deeplab')
class Decoder(keras.layers.Layer):
  """Fuses upsampled ASPP features with projected low-level features.

  `[upsample(aspp) (256), 1x1 proj(low_level) (48)] -> two 3x3 convs (256)`,
  at the low-level map's resolution (stride 4 for DeepLabv3+). Every
  resize is bilinear with aligned corners.

  Example:
    >>> decoder = Decoder()
    >>> decoder(tf.zeros([1, 5, 5, 256]), tf.zeros([1, 17, 17, 256])).shape
    TensorShape([1, 17, 17, 256])
  """

  def __init__(self,
               low_level_filters=48,
               filters=256,
               separable=True,
               sync_batch_norm=False,
               bn_momentum=0.9997,
               **kwargs):
    super().__init__(**kwargs)
    self.low_level_filters = low_level_filters
    self.filters = filters
    self.separable = separable
    self.sync_batch_norm = sync_batch_norm
    self.bn_momentum = bn_momentum

    args = dict(activation='relu', sync_batch_norm=sync_batch_norm,
                bn_momentum=bn_momentum)
    self.feature_projection = conv_bn.ConvBN(
        low_level_filters, 1, name='decoder.feature_projection0', **args)
    # Two attributes, not a list: tf.train.Checkpoint skips Keras lists.
    if separable:
      self.conv1, self.conv2 = (
          conv_bn.SeparableConvBN(filters, name=f'decoder.decoder_conv{i}',
                                  **aspp_lib.separable_initializers(), **args)
          for i in range(2))
    else:
      self.conv1, self.conv2 = (
          conv_bn.ConvBN(filters, 3,
                         name=f'decoder.decoder_conv0.decoder_conv0_{i}',
                         **args)
          for i in (1, 2))

  def build(self, features_shape, low_level_features_shape):
    low_level = conv_bn.build_in_sequence(low_level_features_shape,
                                          self.feature_projection)
    conv_bn.build_in_sequence(
        low_level[:3] + (features_shape[3] + low_level[3],), self.conv1,
        self.conv2)

  def compute_output_shape(self, features_shape, low_level_features_shape):
    return tuple(low_level_features_shape)[:3] + (self.filters,)

  def call(self, features, low_level_features, training=None):
    low_level = self.feature_projection(low_level_features, training=training)
    size = tf.shape(low_level)[1:3]
    x = tf.concat([resize.resize_bilinear(features, size), low_level], axis=-1)
    x = self.conv1(x, training=training)
    return self.conv2(x, training=training)

  def get_config(self):
    config = super().get_config()
    config.update({
        'low_level_filters': self.low_level_filters,
        'filters': self.filters,
        'separable': self.separable,
        'sync_batch_norm': self.sync_batch_norm,
        'bn_momentum': self.bn_momentum,
    })
    return config
