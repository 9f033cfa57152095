"""Two logical CPUs for the whole suite, so that tests can run real
MirroredStrategy replicas. This must run before TensorFlow initialises its
devices, i.e. at collection, before any test module is imported. TensorFlow
loads as the binaries load it (`official.tensorflow_startup`: oneDNN's
kernels on).
"""

import official  # pylint: disable=unused-import
import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices('CPU')[0],
    [tf.config.LogicalDeviceConfiguration()] * 2)

# The slowest files first (`pytest --durations=0`, summed per file), run with
# `--dist loadfile --no-loadscope-reorder`: a worker that takes the last file
# then finishes soon after the other. The rest keep their collection order.
_SLOWEST_FILES = (
    'tests/trainer/test_train_binary.py',
    'tests/trainer/test_trainer.py',
    'tests/exporter/test_litert_int8.py',
    'tests/exporter/test_litert.py',
    'tests/model/test_madds.py',
    'tests/model/test_deeplab.py',
    'tests/test_export.py',
    'tests/model/test_backbones.py',
    'tests/trainer/test_recovery.py',
    'tests/test_eval.py',
)


def pytest_collection_modifyitems(items):
  rank = {path: index for index, path in enumerate(_SLOWEST_FILES)}
  items.sort(key=lambda item: rank.get(item.nodeid.split('::')[0],
                                       len(rank)))
