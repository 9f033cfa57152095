"""DeepLabv3+: backbone -> ASPP -> (decoder) -> logits (paper §3; reference §1-3)."""

import functools
import inspect
import typing

import keras
import tensorflow as tf

from official.model import aspp as aspp_lib
from official.model import decoder as decoder_lib
from official.model import mobilenet_v2
from official.ops import resize
from official.model import resnet
from official.model import xception


class Backbone(typing.NamedTuple):
  """A backbone, by the original's `model_variant` name in `BACKBONES`.

  `build(output_stride=, sync_batch_norm=, name=, **options)` returns a
  `keras.Model` from float32 images in [0, 255] to {'features',
  'low_level_4', 'low_level_8', 'low_level_16'}; `options` are the arguments
  of that backbone alone (`multi_grid`, `depth_multiplier`,
  `recompute_max_stride`), with its defaults.
  """
  build: typing.Callable[..., keras.Model]
  scope: str  # Its variables' scope in the original's checkpoints.


BACKBONES = {
    'xception_41': Backbone(functools.partial(xception.xception, 41),
                            'xception_41'),
    'xception_65': Backbone(functools.partial(xception.xception, 65),
                            'xception_65'),
    'xception_71': Backbone(functools.partial(xception.xception, 71),
                            'xception_71'),
    'resnet_v1_50_beta': Backbone(functools.partial(resnet.resnet_beta, 50),
                                  'resnet_v1_50'),
    'resnet_v1_101_beta': Backbone(functools.partial(resnet.resnet_beta, 101),
                                   'resnet_v1_101'),
    'mobilenet_v2': Backbone(mobilenet_v2.mobilenet_v2, 'MobilenetV2'),
}


def _build_backbone(name, output_stride, sync_batch_norm, **options):
  """`BACKBONES[name]`'s model; an option it does not take is an error."""
  backbone = BACKBONES[name]
  unknown = sorted(set(options) -
                   set(inspect.signature(backbone.build).parameters))
  if unknown:
    raise ValueError(f'Backbone {name!r} takes no {", ".join(unknown)}.')
  return backbone.build(output_stride=output_stride,
                        sync_batch_norm=sync_batch_norm, name=backbone.scope,
                        **options)


@keras.saving.register_keras_serializable(package='deeplab')
class DeepLab(keras.Model):
  """DeepLabv3 (no decoder) or DeepLabv3+ (with decoder) for any input size.

  `call` returns float32 logits at the input resolution (bilinear, aligned
  corners); `head_logits` returns them at the head's own resolution, as the
  original's multi-scale evaluation needs. Variables do not depend on the
  output stride, so weights trained at one stride evaluate at another.

  Args:
    num_classes: logits channels.
    backbone: a key of `BACKBONES`.
    output_stride: input size / final feature map size: 8, 16 or 32.
    atrous_rates: rates of the ASPP's 3x3 branches at this output stride
      (6, 12, 18 at 16; 12, 24, 36 at 8); empty for none (MobileNetV2 zoo).
    multi_grid: atrous multipliers inside the last block (Xception, ResNet);
      None for the backbone's own ((1, 1, 1) Xception, (1, 2, 4) ResNet).
    depth_multiplier: MobileNetV2 width; None for its own (1.0).
    recompute_max_stride: Xception units whose input is at most this stride
      recompute their activations in the backward pass instead of keeping
      them (less memory in training, a little more time); None for its own
      (8, the entry flow), 0 for none.
    aspp_filters: channels of every ASPP branch and of its projection.
    use_image_pooling: add the image-level branch to ASPP.
    aspp_separable: depthwise-separable ASPP branches ("SC" in the paper).
    decoder_output_stride: 4 for DeepLabv3+, None for no decoder.
    decoder_separable: depthwise-separable decoder convs.
    low_level_filters: channels of the projected low-level features.
    decoder_filters: channels of the decoder convs.
    dropout_rate: dropout after the ASPP projection, in training only.
    fine_tune_batch_norm: if False, batch norm uses its moving statistics
      even in training (gamma and beta still train), as the original.
    sync_batch_norm: synchronise batch statistics across replicas.
    head_bn_momentum: moving-average decay of the ASPP's and the decoder's
      batch norm (the original's 0.9997; the backbones keep their own).

  Example:
    >>> model = DeepLab(num_classes=21, backbone='mobilenet_v2',
    ...                 atrous_rates=(), decoder_output_stride=None)
    >>> model(tf.zeros([1, 65, 65, 3])).shape
    TensorShape([1, 65, 65, 21])
  """

  def __init__(self,
               num_classes,
               backbone='xception_65',
               output_stride=16,
               atrous_rates=(6, 12, 18),
               multi_grid=None,
               depth_multiplier=None,
               recompute_max_stride=None,
               aspp_filters=256,
               use_image_pooling=True,
               aspp_separable=True,
               decoder_output_stride=4,
               decoder_separable=True,
               low_level_filters=48,
               decoder_filters=256,
               dropout_rate=0.1,
               fine_tune_batch_norm=True,
               sync_batch_norm=False,
               head_bn_momentum=0.9997,
               **kwargs):
    arguments = _constructor_arguments(locals())
    kwargs.setdefault('name', 'deeplab')
    super().__init__(**kwargs)
    if backbone not in BACKBONES:
      raise ValueError(f'Unknown backbone {backbone!r}; choose one of '
                       f'{sorted(BACKBONES)}.')
    if decoder_output_stride is not None and not (
        decoder_output_stride in (4, 8, 16) and
        decoder_output_stride < output_stride):
      raise ValueError(
          f'decoder_output_stride must be 4, 8 or 16 and below output_stride '
          f'{output_stride}, got {decoder_output_stride}.')
    # The constructor arguments, as `get_config` returns them and as
    # attributes read them (`model.num_classes`; the backbone's name is
    # `backbone_name`, `backbone` being the layer).
    self._arguments = dict(
        arguments, atrous_rates=tuple(atrous_rates or ()),
        multi_grid=tuple(multi_grid) if multi_grid else None)

    # Backbone options left None take the backbone's own defaults.
    options = {name: self._arguments[name]
               for name in ('multi_grid', 'depth_multiplier',
                            'recompute_max_stride')
               if self._arguments[name] is not None}
    self.backbone = _build_backbone(backbone, output_stride, sync_batch_norm,
                                    **options)
    self.aspp = aspp_lib.ASPP(
        aspp_filters, self.atrous_rates, use_image_pooling=use_image_pooling,
        separable=aspp_separable, sync_batch_norm=sync_batch_norm,
        bn_momentum=head_bn_momentum, name='aspp')
    self.dropout = keras.layers.Dropout(dropout_rate,
                                        name='concat_projection_dropout')
    self.decoder = None
    if decoder_output_stride is not None:
      self.decoder = decoder_lib.Decoder(
          low_level_filters, decoder_filters, separable=decoder_separable,
          sync_batch_norm=sync_batch_norm, bn_momentum=head_bn_momentum,
          name='decoder')
    # Logits stay float32 under mixed precision.
    self.logits = keras.layers.Conv2D(
        num_classes, 1,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.01),
        name='logits.semantic', dtype='float32')

  @property
  def logits_output_stride(self):
    """Stride of `head_logits` relative to the input."""
    return self.decoder_output_stride or self.output_stride

  def head_logits(self, images, training=False):
    """Logits at the head's resolution: ceil(H / logits_output_stride)."""
    bn_training = training if self.fine_tune_batch_norm else False
    endpoints = self.backbone(images, training=bn_training)
    x = self.aspp(endpoints['features'], training=bn_training)
    x = self.dropout(x, training=training)
    if self.decoder is not None:
      low_level = endpoints[f'low_level_{self.decoder_output_stride}']
      x = self.decoder(x, low_level, training=bn_training)
    return self.logits(x)

  def call(self, images, training=False):
    logits = self.head_logits(images, training=training)
    return resize.resize_bilinear(logits, tf.shape(images)[1:3])

  def build(self, input_shape=(None, None, None, 3)):
    if not self.built:
      self.head_logits(keras.KerasTensor(input_shape))
    super().build(input_shape)

  def kernels(self):
    """Every conv and depthwise conv kernel, in layer order."""
    return [layer.kernel for layer in self._flatten_layers()
            if isinstance(layer, (keras.layers.Conv2D,
                                  keras.layers.DepthwiseConv2D))]

  def regularized_weights(self):
    """Kernels under L2 weight decay: every conv but the depthwise ones (§1.4)."""
    return [layer.kernel for layer in self._flatten_layers()
            if isinstance(layer, keras.layers.Conv2D)]

  def get_config(self):
    return dict(super().get_config(), **self._arguments)

  def __getattr__(self, name):
    # Only reached when no attribute has this name.
    arguments = self.__dict__.get('_arguments', {})
    if name in arguments:
      return arguments[name]
    raise AttributeError(
        f'{type(self).__name__!r} object has no attribute {name!r}')

  @property
  def backbone_name(self):
    """The `BACKBONES` key of the backbone."""
    return self._arguments['backbone']


def _constructor_arguments(local_variables):
  """`DeepLab.__init__`'s named arguments, from its `locals()`."""
  parameters = inspect.signature(DeepLab.__init__).parameters.values()
  return {parameter.name: local_variables[parameter.name]
          for parameter in parameters
          if parameter.name != 'self' and parameter.kind is not
          inspect.Parameter.VAR_KEYWORD}


def config_at_output_stride(config, output_stride):
  """A model config moved to another output stride, atrous rates following.

  ASPP rates scale inversely with the stride (6, 12, 18 at 16 become
  12, 24, 36 at 8), so the same weights see the same context.
  """
  old = config['output_stride']
  rates = []
  for rate in config['atrous_rates']:
    if (rate * old) % output_stride:
      raise ValueError(f'Atrous rate {rate} at output stride {old} has no '
                       f'integer equivalent at output stride {output_stride}.')
    rates.append(rate * old // output_stride)
  return dict(config, output_stride=output_stride, atrous_rates=tuple(rates))
