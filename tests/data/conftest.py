"""Two logical CPUs, so that the pipeline can be tested under a
MirroredStrategy. This must run before TensorFlow initialises its devices.
"""

import tensorflow as tf

try:
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices('CPU')[0],
      [tf.config.LogicalDeviceConfiguration()] * 2)
except RuntimeError:
  # Already initialised by another conftest; the test that needs two
  # devices checks for them.
  pass
