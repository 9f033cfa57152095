"""Whether batch norm's moving statistics have left their initial values.

Each training step moves the moving mean and variance by (1 - decay) towards
the batch's, so after N steps a fraction decay**N of the initial values
(mean 0, variance 1) remains. With the original's 0.9997 that is 30% after
4,000 steps: inference, which uses the moving statistics, then differs from
training, which uses the batch's (train mIoU high, eval mIoU low). Layers
initialised from a checkpoint start from its statistics, which are not a
problem; without `fine_tune_batch_norm` nothing is updated at all.
"""

import collections
import math

import keras

# Warn when more than this fraction of the initial statistics remains.
MAX_INITIAL_FRACTION = 0.1

_GROUPS = ('backbone', 'aspp', 'decoder')
# The groups each `checkpoint.MODES` initialises from the checkpoint.
_INITIALISED = {'backbone': ('backbone',),
                'all_but_logits': _GROUPS,
                'all': _GROUPS}


def initial_fractions(model, steps, init_mode=None):
  """{(group, decay): fraction of the initial statistics left} of a DeepLab.

  Args:
    model: a `DeepLab`.
    steps: the training steps its statistics have seen (the global step).
    init_mode: the `checkpoint.MODES` entry the run was initialised with,
      None if it started from scratch.

  Returns:
    The fraction decay**steps (1.0 without `fine_tune_batch_norm`) per group
    of batch norm layers ('backbone', 'aspp', 'decoder') and decay, for the
    groups that started from the initial values.

  Example:
    >>> initial_fractions(model, 4000)[('aspp', 0.9997)]
    0.301...
  """
  initialised = _INITIALISED.get(init_mode, ()) if init_mode else ()
  fractions = collections.OrderedDict()
  for group in _GROUPS:
    layer = getattr(model, group, None)
    if layer is None or group in initialised:
      continue
    for sublayer in layer._flatten_layers():  # pylint: disable=protected-access
      if isinstance(sublayer, keras.layers.BatchNormalization):
        decay = float(sublayer.momentum)
        fractions[(group, decay)] = (
            decay**steps if model.fine_tune_batch_norm else 1.0)
  return dict(fractions)


def warnings(model, steps, init_mode=None):
  """One sentence per batch norm group still mostly at its initial values.

  A checkpoint of step 0 (e.g. a converted reference checkpoint) has an
  unknown history and gets none.
  """
  messages = []
  if not steps:
    return messages
  for (group, decay), fraction in initial_fractions(
      model, steps, init_mode).items():
    if fraction <= MAX_INITIAL_FRACTION:
      continue
    if not model.fine_tune_batch_norm:
      advice = ('they are never updated without DeepLab.fine_tune_batch_norm'
                ' = True; initialise this part from a checkpoint or train '
                'its batch norm')
    else:
      option = ('lower DeepLab.head_bn_momentum (e.g. 0.99)'
                if group != 'backbone' else 'initialise the backbone from a '
                'checkpoint (train.init_checkpoint)')
      needed = _steps_to_reach(decay, MAX_INITIAL_FRACTION)
      advice = f'train at least {needed} steps, or {option}'
    messages.append(
        f'batch norm moving statistics of the {group} (decay {decay}) still '
        f'hold {fraction:.0%} of their initial values after {steps} steps, '
        f'so inference differs from training: {advice}.')
  return messages


def _steps_to_reach(decay, fraction):
  return math.ceil(math.log(fraction) / math.log(decay))
