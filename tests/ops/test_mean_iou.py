from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.ops import mean_iou
from tests import fixtures

_IGNORE = 255


def _numpy_metrics(labels, predictions, num_classes, ignore_label=_IGNORE):
  """The reference: np.bincount of label * C + prediction over kept pixels."""
  labels = np.asarray(labels).ravel()
  predictions = np.asarray(predictions).ravel()
  keep = labels != ignore_label
  matrix = np.bincount(num_classes * labels[keep] + predictions[keep],
                       minlength=num_classes**2).reshape(num_classes, -1)
  true_positives = np.diag(matrix).astype(np.float64)
  denominator = matrix.sum(0) + matrix.sum(1) - true_positives
  present = denominator > 0
  per_class_iou = np.full(num_classes, np.nan)
  per_class_iou[present] = true_positives[present] / denominator[present]
  miou = per_class_iou[present].mean() if present.any() else np.nan
  pixel_accuracy = (true_positives.sum() / matrix.sum() if matrix.sum() else
                    np.nan)
  return matrix, miou, per_class_iou, pixel_accuracy


def _random_case(seed, num_classes, shape=(3, 7, 9), ignore_fraction=0.2):
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, num_classes, shape)
  labels[rng.random(shape) < ignore_fraction] = _IGNORE
  predictions = rng.integers(0, num_classes, shape)
  return labels.astype(np.int32), predictions.astype(np.int32)


class MeanIoUTest(tf.test.TestCase, parameterized.TestCase):

  def assert_matches_numpy(self, result, labels, predictions, num_classes,
                           ignore_label=_IGNORE):
    _, miou, per_class_iou, pixel_accuracy = _numpy_metrics(
        labels, predictions, num_classes, ignore_label)
    self.assertAllEqual(result['per_class_iou'], per_class_iou)
    self.assertAllEqual(result['pixel_accuracy'], pixel_accuracy)
    # The mean's summation order may differ from NumPy's by a rounding.
    self.assertAllClose(result['miou'], miou, rtol=1e-15, atol=0)

  @parameterized.parameters(
      dict(seed=0, num_classes=2),
      dict(seed=1, num_classes=5),
      dict(seed=2, num_classes=21),
      dict(seed=3, num_classes=19, ignore_fraction=0.0),
  )
  def test_random_matches_numpy(self, seed, num_classes, ignore_fraction=0.2):
    labels, predictions = _random_case(seed, num_classes,
                                       ignore_fraction=ignore_fraction)
    matrix = mean_iou.confusion_matrix(labels, predictions, num_classes)
    self.assertEqual(matrix.dtype, tf.int64)
    self.assertAllEqual(
        matrix, _numpy_metrics(labels, predictions, num_classes)[0])
    self.assert_matches_numpy(mean_iou.iou_metrics(matrix), labels,
                              predictions, num_classes)

  def test_absent_classes(self):
    # Class 2 is in neither: NaN, left out of the mean. Class 3 is predicted
    # but not in the ground truth: IoU 0, counted.
    labels = np.array([[0, 0, 1, 1, 255, 255]])
    predictions = np.array([[0, 3, 1, 1, 2, 2]])
    result = mean_iou.iou_metrics(
        mean_iou.confusion_matrix(labels, predictions, 4))
    self.assertAllEqual(result['per_class_iou'], [0.5, 1.0, np.nan, 0.0])
    self.assertEqual(result['miou'], 0.5)
    self.assertEqual(result['pixel_accuracy'], 0.75)
    self.assert_matches_numpy(result, labels, predictions, 4)

  def test_all_ignore_image_counts_nothing(self):
    labels, predictions = _random_case(4, 6, shape=(2, 5, 5))
    metric = mean_iou.MeanIoU(6)
    metric.update_state(labels, predictions)
    before = metric.confusion_matrix.numpy()
    metric.update_state(np.full((1, 5, 5), _IGNORE), np.zeros((1, 5, 5)))
    self.assertAllEqual(metric.confusion_matrix, before)

  def test_only_ignore_is_undefined(self):
    result = mean_iou.iou_metrics(mean_iou.confusion_matrix(
        np.full((4, 4), _IGNORE), np.zeros((4, 4)), 3))
    self.assertAllEqual(result['per_class_iou'], [np.nan] * 3)
    self.assertTrue(np.isnan(result['miou']))
    self.assertTrue(np.isnan(result['pixel_accuracy']))

  def test_single_class(self):
    result = mean_iou.iou_metrics(
        mean_iou.confusion_matrix(np.zeros((3, 3)), np.zeros((3, 3)), 1))
    self.assertEqual(result['miou'], 1.0)
    self.assertEqual(result['pixel_accuracy'], 1.0)

  def test_ignore_label_inside_class_range(self):
    # ADE20K: label 0 is ignored but stays a logit channel, so predicting it
    # on a valid pixel is a false positive of a class with IoU 0.
    labels = np.array([0, 0, 1, 2, 2])
    predictions = np.array([1, 0, 1, 0, 2])
    result = mean_iou.iou_metrics(
        mean_iou.confusion_matrix(labels, predictions, 3, ignore_label=0))
    self.assertAllEqual(result['per_class_iou'], [0.0, 1.0, 0.5])
    self.assert_matches_numpy(result, labels, predictions, 3, ignore_label=0)

  def test_label_out_of_range_raises(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, 'out of bound'):
      mean_iou.confusion_matrix([0, 3], [0, 0], 3)

  def test_streaming_equals_one_shot(self):
    labels, predictions = _random_case(5, 7, shape=(6, 8, 8))
    metric = mean_iou.MeanIoU(7)
    for start in range(0, 6, 2):
      metric.update_state(labels[start:start + 2], predictions[start:start + 2])
    self.assertAllEqual(metric.confusion_matrix,
                        mean_iou.confusion_matrix(labels, predictions, 7))
    self.assert_matches_numpy(metric.result(), labels, predictions, 7)

  def test_reset_state(self):
    labels, predictions = _random_case(6, 3)
    metric = mean_iou.MeanIoU(3)
    metric.update_state(labels, predictions)
    metric.reset_state()
    self.assertAllEqual(metric.confusion_matrix, np.zeros((3, 3)))

  def test_in_tf_function_with_unknown_shapes(self):
    metric = mean_iou.MeanIoU(5)
    spec = tf.TensorSpec([None, None, None], tf.int32)

    @tf.function(input_signature=[spec, spec])
    def update(labels, predictions):
      metric.update_state(labels, predictions)

    cases = [_random_case(seed, 5, shape=(2, 4 + seed, 9 - seed))
             for seed in range(3)]
    for labels, predictions in cases:
      update(labels, predictions)
    self.assert_matches_numpy(
        metric.result(),
        np.concatenate([labels.ravel() for labels, _ in cases]),
        np.concatenate([predictions.ravel() for _, predictions in cases]), 5)

  def test_mirrored_strategy_sums_replicas(self):
    strategy = fixtures.two_cpu_strategy(self)
    with strategy.scope():
      metric = mean_iou.MeanIoU(4)
    labels, predictions = _random_case(7, 4, shape=(2, 6, 6))

    @tf.function
    def update():
      def replica_fn():
        # Each replica counts its own image.
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        metric.update_state(tf.gather(labels, replica),
                            tf.gather(predictions, replica))
      strategy.run(replica_fn)

    update()
    self.assert_matches_numpy(metric.result(), labels, predictions, 4)


if __name__ == '__main__':
  tf.test.main()
