"""MirroredStrategies on the two logical CPUs that conftest.py sets up."""

import tensorflow as tf


def two_cpu_strategy():
  """A new MirroredStrategy over two logical CPUs, or None without them.

  Strategies in one process number their collectives from the same keys, so
  a second one's all-reduces can meet the first one's and fail on a shape
  mismatch; each gets its own key range, as TensorFlow's own tests do.
  """
  devices = tf.config.list_logical_devices('CPU')
  if len(devices) < 2:
    return None
  # pylint: disable-next=protected-access
  tf.distribute.MirroredStrategy._collective_key_base += 10000
  return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])
