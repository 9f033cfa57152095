"""Checks of configured values, whose errors name the setting a user wrote.

A value bound through a macro (`train.train_steps = %TRAIN_STEPS`) is named
by both, e.g. "TRAIN_STEPS (train.train_steps) must be a positive integer,
got 'abc'.", so that the message points at the line to fix.
"""

import numbers

import gin


def setting_name(parameter):
  """'MACRO (parameter)' if gin binds `parameter` to a macro, else parameter.

  Example:
    >>> _ = gin.parse_config(['STEPS = 5', 'train.train_steps = %STEPS'])
    >>> setting_name('train.train_steps')
    'STEPS (train.train_steps)'
  """
  try:
    value = gin.query_parameter(parameter)
  except ValueError:
    return parameter
  if isinstance(value, gin.config.ConfigurableReference) and (
      value.configurable.name == 'macro'):
    return f'{value.scoped_selector.rsplit("/", 1)[0]} ({parameter})'
  return parameter


def _is_int(value):
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(value, parameter):
  """`value` if it is an integer > 0, else a ValueError naming the setting."""
  if not _is_int(value) or value < 1:
    raise ValueError(f'{setting_name(parameter)} must be a positive integer, '
                     f'got {value!r}.')
  return int(value)


def size(value, parameter):
  """(height, width) of a [height, width] setting of positive ints."""
  try:
    height, width = value
  except (TypeError, ValueError):
    height = width = None
  if not (_is_int(height) and _is_int(width)) or min(height, width) < 1:
    raise ValueError(f'{setting_name(parameter)} must be [height, width], '
                     f'two positive integers, got {value!r}.')
  return int(height), int(width)
