"""Decoding encoded images and label masks inside a tf.data pipeline."""

import tensorflow as tf


def decode_image(encoded):
  """uint8 [H, W, 3] from JPEG or PNG (or BMP, GIF) bytes."""
  return tf.io.decode_image(encoded, channels=3, dtype=tf.uint8,
                            expand_animations=False)


def decode_label(encoded):
  """int32 [H, W, 1] class indices from single-channel PNG bytes.

  Empty bytes (an unlabelled example, e.g. a test split) give an empty
  [0, 0, 1] label, which the pipeline fills with the ignore label.
  """
  return tf.cond(
      tf.strings.length(encoded) > 0,
      lambda: tf.cast(tf.io.decode_png(encoded, channels=1), tf.int32),
      lambda: tf.zeros([0, 0, 1], tf.int32))
