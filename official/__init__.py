"""DeepLabv3+ for TensorFlow 2 / Keras 3."""
