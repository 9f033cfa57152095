"""Inference on an export, SavedModel or LiteRT, for `official.eval` and
`official.predict`.

Both predictors take one uint8 [h, w, 3] image and return its
`semantic_predictions` int32 [h, w] and `semantic_probabilities` float32
[h, w, C]. A SavedModel pads inside its graph to any size; a LiteRT model
has a fixed input, so its predictor pads smaller images bottom/right with
the export's `pad_value` and rejects larger ones with a one-line error,
as its model_info.json says (`larger_inputs: reject`). The LiteRT
interpreter is the `ai-edge-litert` package's, with its default XNNPACK
delegate.
"""

import json
import os

from ai_edge_litert import interpreter as litert_interpreter
import numpy as np
import tensorflow as tf

from official.evaluator import evaluate
from official.exporter import litert
from official.exporter import saved_model
from official.ops import mean_iou


def _read_json(path):
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


class LiteRTPredictor:
  """Runs export_dir/model.tflite's `serving_default` on single images.

  Example:
    >>> predictor = LiteRTPredictor('/tmp/litert')
    >>> predictor(np.zeros([40, 50, 3], np.uint8))['semantic_predictions'].shape
    (40, 50)
  """

  def __init__(self, export_dir, num_threads=None):
    self.info = _read_json(os.path.join(export_dir, litert.INFO_FILENAME))
    self.input_size = tuple(self.info['input_size'])
    if self.info.get('larger_inputs') != 'reject':
      raise ValueError(f'{export_dir}/{litert.INFO_FILENAME}: unknown '
                       f'larger_inputs {self.info.get("larger_inputs")!r}.')
    interpreter = litert_interpreter.Interpreter(
        model_path=os.path.join(export_dir, litert.MODEL_FILENAME),
        num_threads=num_threads)
    self.runner = interpreter.get_signature_runner('serving_default')

  def __call__(self, image):
    height, width = np.shape(image)[:2]
    outputs = self.runner(image=litert.fit_to_input(
        image, self.input_size)[np.newaxis])
    return {name: outputs[name][0, :height, :width]
            for name in litert.OUTPUT_NAMES}


class SavedModelPredictor:
  """Runs a SavedModel's `serving_default` on single images."""

  def __init__(self, export_dir):
    self.info = _read_json(os.path.join(export_dir,
                                        saved_model.MODEL_INFO_PATH))
    self.loaded = tf.saved_model.load(export_dir)

  def __call__(self, image):
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
      raise ValueError(f'image must be [height, width, 3], got shape '
                       f'{list(image.shape)}.')
    # Looked up through `loaded` on each call: the signature's variables
    # live only as long as the loaded object.
    outputs = self.loaded.signatures['serving_default'](
        image=tf.constant(image[np.newaxis], tf.uint8))
    return {name: outputs[name][0].numpy() for name in litert.OUTPUT_NAMES}


def is_litert_export(export_dir):
  return tf.io.gfile.exists(os.path.join(export_dir, litert.MODEL_FILENAME))


def load_predictor(export_dir, num_threads=None):
  """The predictor of the export in `export_dir`, LiteRT or SavedModel.

  Raises:
    ValueError: if the folder holds neither, or lacks its model_info.json.
  """
  if is_litert_export(export_dir):
    if not tf.io.gfile.exists(os.path.join(export_dir, litert.INFO_FILENAME)):
      raise ValueError(f'{export_dir}: a {litert.MODEL_FILENAME} '
                       f'without its {litert.INFO_FILENAME}.')
    return LiteRTPredictor(export_dir, num_threads)
  if not tf.saved_model.contains_saved_model(export_dir):
    raise ValueError(f'{export_dir}: neither a SavedModel nor a '
                     f'LiteRT {litert.MODEL_FILENAME} there.')
  if not tf.io.gfile.exists(os.path.join(export_dir,
                                         saved_model.MODEL_INFO_PATH)):
    raise ValueError(f'{export_dir}: the SavedModel has no '
                     f'{saved_model.MODEL_INFO_PATH}.')
  return SavedModelPredictor(export_dir)


def label_predictor(export_dir):
  """image -> int32 [h, w] labels of the export in `export_dir`."""
  predictor = load_predictor(export_dir)
  return lambda image: predictor(image)['semantic_predictions']


def evaluate_export(predictor, source, class_names, ignore_label=255):
  """mIoU, per-class IoU and pixel accuracy of an export over a split.

  Each image is predicted at its own size, as the export serves it (the
  export's crop size and protocol are built in).

  Args:
    predictor: from `load_predictor`.
    source: the eval split (`records()` and `decode()`).
    class_names: one name per class of the dataset.
    ignore_label: label of pixels that do not count.

  Returns:
    The dict `evaluate.evaluate` returns: {'miou', 'per_class_iou',
    'pixel_accuracy', 'num_images'}.

  Raises:
    ValueError: if the export and the dataset differ in classes, an image
      does not fit the export (naming it), or the split is empty.
  """
  if predictor.info['num_classes'] != len(class_names):
    raise ValueError(f'The export has {predictor.info["num_classes"]} '
                     f'classes, the dataset {len(class_names)}.')
  metric = mean_iou.MeanIoU(len(class_names), ignore_label)
  num_images = 0
  for record in source.records():
    element = source.decode(record)
    try:
      predictions = predictor(element['image'].numpy())
    except ValueError as error:
      name = element['filename'].numpy().decode('utf-8')
      raise ValueError(f'Eval image {name}: {error}') from None
    metric.update_state(element['label'][..., 0],
                        predictions['semantic_predictions'])
    num_images += 1
  if not num_images:
    raise ValueError('The evaluation split has no images.')
  return evaluate.metrics_dict(metric, class_names, num_images)
