"""Resizing with the original DeepLab's conventions.

Every bilinear and nearest-neighbour resize of the original uses TF1's
`align_corners=True`, and sizes derived from a crop follow `scale_dimension`.
"""

import tensorflow as tf


def scale_dimension(dim, scale):
  """Size of a dimension scaled by `scale`: `(dim - 1) * scale + 1`, truncated.

  Works on Python numbers and on scalar tensors alike (reference §0).
  """
  if isinstance(dim, tf.Tensor):
    return tf.cast((tf.cast(dim, tf.float32) - 1.0) * scale + 1.0, tf.int32)
  return int((float(dim) - 1.0) * scale + 1.0)


def resize_bilinear(images, size):
  """Bilinear resize with aligned corners, keeping the input dtype."""
  resized = tf.raw_ops.ResizeBilinear(
      images=images, size=size, align_corners=True, half_pixel_centers=False)
  return tf.cast(resized, images.dtype)


def resize_nearest(images, size):
  """Nearest-neighbour resize with aligned corners (labels, predictions)."""
  return tf.raw_ops.ResizeNearestNeighbor(
      images=images, size=size, align_corners=True, half_pixel_centers=False)


def aligned_size(size, output_stride):
  """The smallest k * output_stride + 1 >= size (tensors or Python ints).

  Feature maps of such a size align with the input corner to corner
  (reference §0), hence the eval and export padding.

  Example:
    >>> aligned_size(500, 16), aligned_size(513, 16), aligned_size(514, 8)
    (513, 513, 521)
  """
  return (size + output_stride - 2) // output_stride * output_stride + 1
