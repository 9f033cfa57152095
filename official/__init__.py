"""DeepLabv3+ for TensorFlow 2 / Keras 3."""

from official import tensorflow_startup

tensorflow_startup.import_quietly()
