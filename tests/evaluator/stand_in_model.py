"""A stand-in for `DeepLab` with the interface the evaluator relies on."""

import keras
import tensorflow as tf

from official.ops import resize


class StandInModel(keras.Model):
  """`head_logits` is `head_fn(images)`; `call` upsamples it like DeepLab.

  Args:
    head_fn: float32 [B, H, W, 3] -> float32 [B, ceil(H / s), ceil(W / s), C]
      for s = `logits_output_stride`.
    logits_output_stride: the head's stride.
  """

  def __init__(self, head_fn, logits_output_stride):
    super().__init__()
    self.head_fn = head_fn
    self.logits_output_stride = logits_output_stride

  def head_logits(self, images, training=False):
    del training  # No layer behaves differently in training.
    return self.head_fn(images)

  def call(self, images, training=False):
    return resize.resize_bilinear(self.head_logits(images, training),
                                  tf.shape(images)[1:3])


def mirrored_strategy(test_case):
  """A MirroredStrategy over the two CPUs of conftest.py, else a skip."""
  devices = tf.config.list_logical_devices('CPU')
  if len(devices) < 2:
    test_case.skipTest('needs two logical CPUs, which conftest.py sets up '
                       'before TensorFlow starts')
  return tf.distribute.MirroredStrategy([device.name for device in devices[:2]])
