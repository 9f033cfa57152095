"""Per-variable gradient multipliers of the original DeepLab (reference §4.3).

Variables of the "last layers" (logits, image pooling, ASPP, concat
projection, decoder; or the logits alone) learn `last_layer_gradient_multiplier`
times faster, and biases (only the logits have any) twice as fast, as the
original's `get_model_gradient_multipliers`.
"""

import gin


def last_layers(model, last_layers_contain_logits_only=False):
  """The layers of `model` the original calls its last layers.

  The ASPP layer holds the image pooling, ASPP branches and concat
  projection; no decoder means none.
  """
  if last_layers_contain_logits_only:
    return [model.logits]
  return [layer for layer in (model.aspp, model.decoder, model.logits)
          if layer is not None]


@gin.configurable(allowlist=['last_layer_gradient_multiplier',
                             'last_layers_contain_logits_only'])
def gradient_multipliers(model, last_layer_gradient_multiplier=1.0,
                         last_layers_contain_logits_only=False):
  """One multiplier per `model.trainable_variables`, in that order.

  Args:
    model: a `DeepLab`.
    last_layer_gradient_multiplier: the last layers' multiplier.
    last_layers_contain_logits_only: only the logits are last layers.

  Returns:
    A list of floats.

  Example:
    >>> multipliers = gradient_multipliers(model, 10.0)
    >>> multipliers[-2:]  # logits kernel and bias
    [10.0, 20.0]
  """
  last = {id(variable)
          for layer in last_layers(model, last_layers_contain_logits_only)
          for variable in layer.trainable_variables}
  multipliers = []
  for variable in model.trainable_variables:
    multiplier = 1.0
    if id(variable) in last:
      multiplier *= last_layer_gradient_multiplier
    if variable.name == 'bias':
      multiplier *= 2.0
    multipliers.append(multiplier)
  return multipliers
