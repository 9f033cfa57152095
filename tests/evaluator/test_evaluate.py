import json
import os

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.evaluator import evaluate
from tests import fixtures

_CLASS_NAMES = ('background', 'cat', 'dog', 'bird')
_EVAL_SIZE = 9
# (height, width) of the three images before padding.
_SIZES = ((5, 7), (9, 4), (9, 9))


def _oracle_model():
  """Predicts, at each pixel, the class written in the image's red channel.

  Pixel-wise and stride 1, so every protocol (flip, sliding window) gives
  the same predictions. The padding (127.5) is predicted as the last class.
  """
  def head_fn(images):
    classes = tf.minimum(tf.cast(images[..., 0], tf.int32),
                         len(_CLASS_NAMES) - 1)
    return 10.0 * tf.one_hot(classes, len(_CLASS_NAMES))

  return fixtures.StandInModel(head_fn, 1)


def _split():
  """Padded eval elements and the valid (labels, predictions) of each.

  The labels of the padding are a real class, not 255, so that only the
  explicit crop to height x width keeps them out. Class 'bird' (3) is in
  no label and predicted only in the padding, so its IoU is undefined.
  """
  rng = np.random.default_rng(0)
  elements, valid = [], []
  for index, (height, width) in enumerate(_SIZES):
    predictions = rng.integers(0, 3, (height, width))
    labels = np.where(rng.random((height, width)) < 0.7, predictions,
                      rng.integers(0, 3, (height, width)))
    labels[0, :2] = 255
    image = np.full((_EVAL_SIZE, _EVAL_SIZE, 3), 127.5, np.float32)
    image[:height, :width] = predictions[..., None]
    label = np.full((_EVAL_SIZE, _EVAL_SIZE, 1), 1, np.int32)
    label[:height, :width, 0] = labels
    elements.append({'image': image, 'label': label,
                     'height': np.int32(height), 'width': np.int32(width),
                     'filename': f'image_{index}.jpg'})
    valid.append((labels, predictions))
  return elements, valid


def _dataset(elements, batch_size=2):
  stacked = {key: np.stack([element[key] for element in elements])
             for key in elements[0]}
  return tf.data.Dataset.from_tensor_slices(stacked).batch(batch_size)


def _expected_metrics(valid):
  labels = np.concatenate([labels.ravel() for labels, _ in valid])
  predictions = np.concatenate(
      [predictions.ravel() for _, predictions in valid])
  keep = labels != 255
  num_classes = len(_CLASS_NAMES)
  matrix = np.bincount(num_classes * labels[keep] + predictions[keep],
                       minlength=num_classes**2).reshape(num_classes, -1)
  true_positives = np.diag(matrix)
  with np.errstate(invalid='ignore'):
    iou = true_positives / (matrix.sum(0) + matrix.sum(1) - true_positives)
  return {'miou': np.nanmean(iou),
          'per_class_iou': dict(zip(_CLASS_NAMES, iou)),
          'pixel_accuracy': true_positives.sum() / matrix.sum(),
          'num_images': len(valid)}


class EvaluateTest(tf.test.TestCase, parameterized.TestCase):

  def assert_metrics_equal(self, metrics, expected):
    self.assertEqual(sorted(metrics), sorted(expected))
    self.assertAllClose(metrics['miou'], expected['miou'], rtol=1e-15, atol=0)
    self.assertEqual(list(metrics['per_class_iou']), list(_CLASS_NAMES))
    self.assertAllEqual(list(metrics['per_class_iou'].values()),
                        list(expected['per_class_iou'].values()))
    self.assertEqual(metrics['pixel_accuracy'], expected['pixel_accuracy'])
    self.assertEqual(metrics['num_images'], expected['num_images'])

  @parameterized.named_parameters(
      ('single_scale', {}),
      ('flipped', dict(eval_scales=(1.0,), add_flipped_images=True)),
      ('sliding_window', dict(window_size=(4, 5), window_stride=(3, 3))),
  )
  def test_known_predictions(self, protocol):
    elements, valid = _split()
    metrics = evaluate.evaluate(_oracle_model(), _dataset(elements),
                                _CLASS_NAMES, **protocol)
    expected = _expected_metrics(valid)
    self.assertTrue(np.isnan(expected['per_class_iou']['bird']))
    self.assert_metrics_equal(metrics, expected)

  def test_batches_of_one_equal_one_batch(self):
    elements, _ = _split()
    model = _oracle_model()
    self.assertEqual(
        str(evaluate.evaluate(model, _dataset(elements, 1), _CLASS_NAMES)),
        str(evaluate.evaluate(model, _dataset(elements, 3), _CLASS_NAMES)))

  def test_mirrored_strategy(self):
    strategy = fixtures.two_cpu_strategy(self)
    with strategy.scope():
      model = _oracle_model()
    elements, valid = _split()
    # Three images in global batches of two: the last replica batch is empty.
    metrics = evaluate.evaluate(model, _dataset(elements), _CLASS_NAMES,
                                strategy=strategy)
    self.assert_metrics_equal(metrics, _expected_metrics(valid))

  def test_empty_dataset_raises(self):
    elements, _ = _split()
    with self.assertRaisesRegex(ValueError, 'no images'):
      evaluate.evaluate(_oracle_model(), _dataset(elements).take(0),
                        _CLASS_NAMES)


class WriteMetricsTest(tf.test.TestCase):

  def test_json_and_summaries(self):
    model_dir = self.get_temp_dir()
    metrics = {'miou': 0.5,
               'per_class_iou': {'background': 0.75, 'cat': 0.25,
                                 'dog': float('nan')},
               'pixel_accuracy': 0.875, 'num_images': 3}
    path = evaluate.write_metrics(os.path.join(model_dir, 'eval'), 1200,
                                  metrics)

    self.assertEqual(path, os.path.join(model_dir, 'eval', 'metrics-1200.json'))
    with open(path) as f:
      self.assertEqual(json.load(f), {
          'step': 1200, 'miou': 0.5,
          'per_class_iou': {'background': 0.75, 'cat': 0.25, 'dog': None},
          'pixel_accuracy': 0.875, 'num_images': 3})
    scalars = {}
    for events in tf.io.gfile.glob(os.path.join(model_dir, 'eval', 'events*')):
      for event in tf.compat.v1.train.summary_iterator(events):
        for value in event.summary.value:
          self.assertEqual(event.step, 1200)
          scalars[value.tag] = float(tf.make_ndarray(value.tensor))
    self.assertEqual(scalars, {'miou': 0.5, 'pixel_accuracy': 0.875,
                               'iou/background': 0.75, 'iou/cat': 0.25})


if __name__ == '__main__':
  tf.test.main()
