"""The model as a gin experiment configures it.

Gin binds `DeepLab.<argument>` in the experiment files (`num_classes`
follows the experiment's dataset, see `official.experiment`); the binaries
and the trainer build the model here, optionally at another output stride
than the one it was trained at (`--eval_output_stride`).
"""

import inspect

import gin

from official.model import deeplab

gin.external_configurable(deeplab.DeepLab, 'DeepLab')


def model_config(output_stride=None):
  """Constructor arguments of the configured `DeepLab`.

  Args:
    output_stride: if given, the config moved to this output stride, the
      atrous rates following.

  Raises:
    ValueError: if the experiment binds an argument `DeepLab` does not have,
      or gives it no class count.
  """
  parameters = inspect.signature(deeplab.DeepLab.__init__).parameters
  config = {name: parameter.default for name, parameter in parameters.items()
            if parameter.default is not inspect.Parameter.empty}
  bindings = gin.get_bindings('DeepLab')
  unknown = sorted(set(bindings) - set(parameters))
  if unknown:
    raise ValueError(f'Unknown gin parameter(s) DeepLab.{", DeepLab.".join(unknown)}.')
  config.update(bindings)
  if 'num_classes' not in config:
    raise ValueError('The gin config gives the model no class count: bind '
                     'NUM_CLASSES (dataset_info.num_classes) or '
                     'DeepLab.num_classes.')
  if output_stride and output_stride != config['output_stride']:
    config = deeplab.config_at_output_stride(config, output_stride)
  return config


def build_model(output_stride=None, **overrides):
  """Builds the configured `DeepLab` with its variables created.

  Args:
    output_stride: evaluate at this output stride instead of the configured
      one; the variables are the same, so checkpoints load either way.
    **overrides: constructor arguments that win over the gin bindings (e.g.
      `sync_batch_norm` chosen by the trainer from its strategy).
  """
  model = deeplab.DeepLab(**dict(model_config(output_stride), **overrides))
  model.build()
  return model
