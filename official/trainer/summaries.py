"""TensorBoard output of training: scalars and coloured segmentation images."""

import numpy as np
import tensorflow as tf

from official.data import colormap as colormap_lib


def write_scalars(scalars, step):
  """Writes {tag: number} to the default summary writer at `step`."""
  for tag, value in scalars.items():
    tf.summary.scalar(tag, value, step=step)


def write_images(tag, images, step, max_images=3):
  """Writes up to `max_images` uint8 images [N, H, W, 3] under `tag`."""
  tf.summary.image(tag, np.asarray(images, np.uint8), step=step,
                   max_outputs=max_images)


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
