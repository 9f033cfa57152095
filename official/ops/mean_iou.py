"""Mean intersection-over-union from one confusion matrix over a whole split.

As the original's `tf.metrics.mean_iou` (reference §6): pixels labelled
`ignore_label` do not count, IoU_c = TP / (TP + FP + FN), and the mean runs
over the classes whose denominator is positive. Counts are int64, so they stay
exact at any split size (a float32 matrix stops counting at 2**24 pixels).
"""

import tensorflow as tf


def confusion_matrix(labels, predictions, num_classes, ignore_label=255):
  """Counts of (ground truth, prediction) pairs, ignored pixels left out.

  Args:
    labels: integer ground truth of any shape, values in [0, num_classes) or
      `ignore_label`; any other value fails with "labels out of bound".
    predictions: integer predictions with as many elements as `labels`.
    num_classes: number of classes.
    ignore_label: label of pixels that do not count.

  Returns:
    int64 [num_classes, num_classes]; rows are ground truth, columns
    predictions.

  Example:
    >>> confusion_matrix([[0, 1], [255, 1]], [[0, 0], [1, 1]], 2).numpy()
    array([[1, 0],
           [1, 1]])
  """
  labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
  predictions = tf.reshape(tf.cast(predictions, tf.int64), [-1])
  valid = tf.not_equal(labels, ignore_label)
  # Weight 0 instead of dropping pixels keeps shapes static (XLA, TPU); the
  # ignored pixels' labels only need to be in range.
  labels = tf.where(valid, labels, tf.zeros_like(labels))
  return tf.math.confusion_matrix(
      labels, predictions, num_classes, weights=tf.cast(valid, tf.int64),
      dtype=tf.int64)


def iou_metrics(matrix):
  """mIoU, per-class IoU and pixel accuracy of a confusion matrix.

  A class absent from both ground truth and predictions (TP + FP + FN = 0)
  has no IoU: it is NaN and left out of the mean. A class absent from the
  ground truth but predicted somewhere has IoU 0, and counts in the mean, as
  in the original's mIoU; so `miou` is always the NaN-ignoring mean of
  `per_class_iou`. (The original's per-class summaries used NaN whenever
  TP + FN = 0, disagreeing with its own mean.)

  Args:
    matrix: [C, C] counts, rows ground truth, columns predictions.

  Returns:
    A dict of float64 tensors: `miou` (scalar, NaN when no class has a
    denominator), `per_class_iou` ([C]) and `pixel_accuracy` (scalar, NaN
    when nothing counted).

  Example:
    >>> metrics = iou_metrics([[3, 1], [0, 4]])
    >>> float(metrics['miou']), float(metrics['pixel_accuracy'])
    (0.775, 0.875)
  """
  matrix = tf.cast(matrix, tf.float64)
  true_positives = tf.linalg.diag_part(matrix)
  denominator = (tf.reduce_sum(matrix, 0) + tf.reduce_sum(matrix, 1) -
                 true_positives)
  present = denominator > 0
  per_class_iou = tf.where(present, true_positives / denominator,
                           tf.constant(float('nan'), tf.float64))
  miou = (tf.reduce_sum(tf.where(present, per_class_iou, 0.0)) /
          tf.reduce_sum(tf.cast(present, tf.float64)))
  pixel_accuracy = tf.reduce_sum(true_positives) / tf.reduce_sum(matrix)
  return {'miou': miou, 'per_class_iou': per_class_iou,
          'pixel_accuracy': pixel_accuracy}


class MeanIoU(tf.Module):
  """A streaming confusion matrix over a split, mergeable across replicas.

  The matrix is a replica-local variable (ON_READ, aggregation SUM), as
  Keras metrics keep theirs: `update_state` adds to the local copy inside
  `strategy.run` without communication, and reading it in cross-replica
  context (`result`) sums the copies. Create the metric under
  `strategy.scope()` when a strategy is used. Works eagerly and inside
  `tf.function`.

  Args:
    num_classes: number of classes.
    ignore_label: label of pixels that do not count.

  Example:
    >>> metric = MeanIoU(num_classes=2)
    >>> metric.update_state([[0, 1]], [[0, 0]])
    >>> metric.update_state([[1, 255]], [[1, 0]])
    >>> float(metric.result()['miou'])
    0.5
  """

  def __init__(self, num_classes, ignore_label=255, name='mean_iou'):
    super().__init__(name=name)
    self.num_classes = num_classes
    self.ignore_label = ignore_label
    self.confusion_matrix = tf.Variable(
        tf.zeros([num_classes, num_classes], tf.int64), trainable=False,
        synchronization=tf.VariableSynchronization.ON_READ,
        aggregation=tf.VariableAggregation.SUM, name='confusion_matrix')

  def update_state(self, labels, predictions):
    """Adds a batch of labels and predictions (same number of elements)."""
    self.confusion_matrix.assign_add(confusion_matrix(
        labels, predictions, self.num_classes, self.ignore_label))

  def result(self):
    """`iou_metrics` of the matrix summed over replicas."""
    return iou_metrics(self.confusion_matrix.read_value())

  def reset_state(self):
    self.confusion_matrix.assign(tf.zeros_like(self.confusion_matrix))
