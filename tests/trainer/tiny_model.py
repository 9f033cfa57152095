"""A DeepLabv3+ small enough to train in seconds on a CPU."""

from official.model import deeplab

TINY_MODEL = dict(backbone='mobilenet_v2', depth_multiplier=0.25,
                  atrous_rates=(6,), aspp_filters=16, low_level_filters=8,
                  decoder_filters=16)

# The same as gin bindings, for `builder.build_model` and the binary.
TINY_MODEL_BINDINGS = [
    "DeepLab.backbone = 'mobilenet_v2'",
    'DeepLab.depth_multiplier = 0.25',
    'DeepLab.atrous_rates = (6,)',
    'DeepLab.aspp_filters = 16',
    'DeepLab.low_level_filters = 8',
    'DeepLab.decoder_filters = 16',
]


def tiny_model(num_classes=4, **kwargs):
  """A built tiny `DeepLab`."""
  model = deeplab.DeepLab(num_classes, **dict(TINY_MODEL, **kwargs))
  model.build()
  return model
