"""Learning rate policies of the original DeepLab (reference §4.2).

`poly`: base * (1 - step / decay_steps) ** power down to `end_learning_rate`
(the paper: base 0.007, power 0.9, end 0). `step`: base * factor **
floor(step / decay_step). Either may start slowly: for the first
`slow_start_step` steps the rate is `slow_start_learning_rate` (or rises
linearly from it to the policy's first value with 'linear' burn-in), and the
policy starts counting after them.
"""

import gin
import tensorflow as tf

POLICIES = ('poly', 'step')
BURNIN_TYPES = ('none', 'linear')


class PolynomialDecay:
  """base * (1 - min(step, decay_steps) / decay_steps) ** power, plus end.

  As TF's `polynomial_decay` without cycling: the rate falls from
  `base_learning_rate` to `end_learning_rate` at `decay_steps` and stays.

  Example:
    >>> schedule = PolynomialDecay(0.007, 30000)
    >>> float(schedule(15000))
    0.00375...
  """

  def __init__(self, base_learning_rate, decay_steps, power=0.9,
               end_learning_rate=0.0):
    if decay_steps < 1:
      raise ValueError(f'decay_steps must be positive, got {decay_steps}.')
    self.base_learning_rate = base_learning_rate
    self.decay_steps = decay_steps
    self.power = power
    self.end_learning_rate = end_learning_rate

  def __call__(self, step):
    progress = tf.minimum(tf.cast(step, tf.float32),
                          float(self.decay_steps)) / self.decay_steps
    return ((self.base_learning_rate - self.end_learning_rate) *
            (1.0 - progress) ** self.power + self.end_learning_rate)


class StepDecay:
  """base * decay_factor ** floor(step / decay_step) (a staircase).

  Example:
    >>> round(float(StepDecay(0.01, 0.1, 2000)(4500)), 6)
    0.0001
  """

  def __init__(self, base_learning_rate, decay_factor=0.1, decay_step=2000):
    if decay_step < 1:
      raise ValueError(f'decay_step must be positive, got {decay_step}.')
    self.base_learning_rate = base_learning_rate
    self.decay_factor = decay_factor
    self.decay_step = decay_step

  def __call__(self, step):
    stairs = tf.floor(tf.cast(step, tf.float32) / self.decay_step)
    return self.base_learning_rate * self.decay_factor ** stairs


class SlowStart:
  """A schedule preceded by `slow_start_step` steps of a small rate.

  During them the rate is `slow_start_learning_rate` ('none' burn-in, the
  original's default) or rises linearly from it towards the schedule's
  first value ('linear'); then `schedule` runs from its own step 0.

  Example:
    >>> schedule = SlowStart(PolynomialDecay(0.007, 1000), 100, 1e-4)
    >>> round(float(schedule(50)), 6), round(float(schedule(100)), 6)
    (0.0001, 0.007)
  """

  def __init__(self, schedule, slow_start_step, slow_start_learning_rate=1e-4,
               burnin_type='none'):
    if burnin_type not in BURNIN_TYPES:
      raise ValueError(f'Unknown burnin_type {burnin_type!r}; choose one of '
                       f'{", ".join(BURNIN_TYPES)}.')
    self.schedule = schedule
    self.slow_start_step = slow_start_step
    self.slow_start_learning_rate = slow_start_learning_rate
    self.burnin_type = burnin_type

  def __call__(self, step):
    step = tf.cast(step, tf.float32)
    learning_rate = self.schedule(tf.maximum(step - self.slow_start_step, 0.0))
    slow_rate = tf.constant(self.slow_start_learning_rate, tf.float32)
    if self.burnin_type == 'linear':
      slow_rate += (self.schedule(0) - slow_rate) * step / self.slow_start_step
    return tf.where(step < self.slow_start_step, slow_rate, learning_rate)


@gin.configurable(denylist=['train_steps'])
def learning_rate_schedule(train_steps, policy='poly', base_learning_rate=0.007,
                           learning_power=0.9, end_learning_rate=0.0,
                           decay_steps=0, learning_rate_decay_factor=0.1,
                           learning_rate_decay_step=2000, slow_start_step=0,
                           slow_start_learning_rate=1e-4,
                           slow_start_burnin_type='none'):
  """The configured schedule, a function of the global step.

  Argument names and defaults are the original train.py's flags, except
  `base_learning_rate`, whose default here is the paper's 0.007 (the
  original's 1e-4 is its fine-tuning rate).

  Args:
    train_steps: the length of the run.
    policy: 'poly' or 'step'.
    base_learning_rate: the rate at the start of the policy.
    learning_power: the poly policy's power.
    end_learning_rate: the poly policy's final rate.
    decay_steps: the poly policy's length; 0 means train_steps -
      slow_start_step.
    learning_rate_decay_factor, learning_rate_decay_step: the step policy.
    slow_start_step, slow_start_learning_rate, slow_start_burnin_type: see
      `SlowStart`; no slow start when slow_start_step is 0.

  Returns:
    A callable from the step (a scalar tensor) to a float32 rate.

  Example:
    >>> schedule = learning_rate_schedule(30000)
    >>> float(schedule(0))
    0.007...
  """
  if policy == 'poly':
    schedule = PolynomialDecay(
        base_learning_rate, decay_steps or train_steps - slow_start_step,
        learning_power, end_learning_rate)
  elif policy == 'step':
    schedule = StepDecay(base_learning_rate, learning_rate_decay_factor,
                         learning_rate_decay_step)
  else:
    raise ValueError(f'Unknown learning rate policy {policy!r}; choose one '
                     f'of {", ".join(POLICIES)}.')
  if slow_start_step:
    schedule = SlowStart(schedule, slow_start_step, slow_start_learning_rate,
                         slow_start_burnin_type)
  return schedule
