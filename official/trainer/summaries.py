"""TensorBoard scalars and images, written with core TensorFlow alone.

`tf.summary.scalar` and `tf.summary.image` live in the tensorboard package,
which a training machine need not have; these write the same records
(`tf.summary.write` with the plugins' metadata), so TensorBoard shows them.
"""

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from official.data import colormap as colormap_lib

_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name='scalars'),
    data_class=summary_pb2.DATA_CLASS_SCALAR)
_IMAGE_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name='images'),
    data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE)


def write_scalars(scalars, step):
  """Writes {tag: number} to the default summary writer at `step`."""
  for tag, value in scalars.items():
    tf.summary.write(tag, tf.constant(value, tf.float32), step=step,
                     metadata=_SCALAR_METADATA)


def write_images(tag, images, step):
  """Writes uint8 images [N, H, W, 3] as one TensorBoard image summary.

  The image plugin's format: [width, height, PNG, PNG, ...] as strings.
  """
  images = np.asarray(images, np.uint8)
  height, width = images.shape[1:3]
  encoded = [tf.io.encode_png(image) for image in images]
  tensor = tf.stack([tf.as_string(width), tf.as_string(height)] + encoded)
  tf.summary.write(tag, tensor, step=step, metadata=_IMAGE_METADATA)


def colorize(labels, colormap='pascal'):
  """Label maps [N, H, W] as uint8 colour images [N, H, W, 3].

  Example:
    >>> colorize(np.array([[[0, 1]]]), 'pascal')[0, 0, 1]
    array([128,   0,   0], dtype=uint8)
  """
  return np.stack([colormap_lib.label_to_color_image(label, colormap)
                   for label in np.asarray(labels)])


def write_segmentation_images(images, labels, predictions, step,
                              colormap='pascal', max_images=3):
  """Input, ground truth and prediction images, coloured with `colormap`.

  Args:
    images: float [N, H, W, 3] in 0..255.
    labels: int [N, H, W, 1] or [N, H, W], with the ignore label.
    predictions: int [N, H, W].
    step: the global step.
    colormap: a name in `colormap.COLORMAPS` (the dataset's).
    max_images: write at most this many of each.
  """
  labels = np.asarray(labels)[:max_images]
  if labels.ndim == 4:
    labels = labels[..., 0]
  write_images('input', np.clip(np.asarray(images)[:max_images], 0, 255),
               step)
  write_images('ground_truth', colorize(labels, colormap), step)
  write_images('prediction',
               colorize(np.asarray(predictions)[:max_images], colormap), step)
