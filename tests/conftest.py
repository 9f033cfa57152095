"""Two logical CPUs for the whole suite, so that tests can run real
MirroredStrategy replicas. This must run before TensorFlow initialises its
devices, i.e. at collection, before any test module is imported.
"""

import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices('CPU')[0],
    [tf.config.LogicalDeviceConfiguration()] * 2)
