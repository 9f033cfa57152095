"""Two logical CPUs, so that the trainer can run under a MirroredStrategy.

This must run before TensorFlow initialises its devices, i.e. at collection.
"""

import tensorflow as tf

try:
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices('CPU')[0],
      [tf.config.LogicalDeviceConfiguration()] * 2)
except RuntimeError:
  # Already initialised (e.g. by an earlier conftest); tests that need two
  # devices check for them.
  pass
