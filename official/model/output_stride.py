"""From a requested output stride to per-unit strides and atrous rates.

The original's `stack_blocks_dense` rule (reference §1.3): once the running
stride reaches the target, each later unit runs with stride 1 and the current
rate, and the rate is multiplied by the stride the unit gave up. The unit that
gives up its stride still runs with the old rate.
"""


def strides_and_rates(unit_strides, output_stride):
  """Returns one `(stride, rate)` pair per unit.

  Args:
    unit_strides: the nominal stride of each unit, in order.
    output_stride: the stride wanted at the end of these units, or None to
      keep every unit's nominal stride.

  Raises:
    ValueError: if `output_stride` cannot be reached exactly.

  Example:
    >>> strides_and_rates([2, 1, 2, 1], 2)
    [(2, 1), (1, 1), (1, 1), (1, 2)]
  """
  if output_stride is None:
    return [(stride, 1) for stride in unit_strides]
  current_stride, rate = 1, 1
  schedule = []
  for stride in unit_strides:
    if current_stride == output_stride:
      schedule.append((1, rate))
      rate *= stride
    else:
      schedule.append((stride, 1))
      current_stride *= stride
      if current_stride > output_stride:
        break
  if current_stride != output_stride:
    raise ValueError(
        f'output_stride {output_stride} cannot be reached with unit strides '
        f'{list(unit_strides)}.')
  return schedule
