"""Checks of configured values (train steps, batch and crop sizes, classes).

Each check raises a `SettingError` that names the gin parameter the value
is bound to; `official.cli` reports it in one line naming the macro too
when gin binds the parameter to one, e.g. "TRAIN_STEPS (train.train_steps)
must be a positive integer, got 'abc'.", the line to fix.
"""

import numbers


class SettingError(ValueError):
  """A configured value that cannot be used.

  Attributes:
    parameter: the gin parameter, e.g. 'train.train_steps'.
    problem: what is wrong, e.g. "must be a positive integer, got 'abc'.".
  """

  def __init__(self, parameter, problem):
    super().__init__(f'{parameter} {problem}')
    self.parameter = parameter
    self.problem = problem


def _is_int(value):
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(value, parameter):
  """`value` if it is an integer > 0, else a `SettingError`.

  Example:
    >>> positive_int('abc', 'train.train_steps')
    Traceback (most recent call last):
    ...
    official.ops.setting_checks.SettingError: train.train_steps must be a positive integer, got 'abc'.
  """
  if not _is_int(value) or value < 1:
    raise SettingError(parameter,
                       f'must be a positive integer, got {value!r}.')
  return int(value)


def non_negative_int(value, parameter):
  """`value` if it is an integer >= 0, else a `SettingError`."""
  if not _is_int(value) or value < 0:
    raise SettingError(parameter,
                       f'must be a non-negative integer, got {value!r}.')
  return int(value)


def size(value, parameter):
  """(height, width) of a [height, width] setting of positive ints."""
  try:
    height, width = value
  except (TypeError, ValueError):
    height = width = None
  if not (_is_int(height) and _is_int(width)) or min(height, width) < 1:
    raise SettingError(parameter, 'must be [height, width], two positive '
                       f'integers, got {value!r}.')
  return int(height), int(width)
