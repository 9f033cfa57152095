"""Label maps of single images, from a model in memory or a SavedModel.

A predictor is called as `predictor(image)`: uint8 [H, W, 3] pixels in,
int32 [H, W] classes out. `ModelPredictor` pads each image as the eval split
is padded (`pipeline.eval_dataset`), so that its labels are the ones
`official.eval` scores; a SavedModel has its padding and protocol built in.
"""

import tensorflow as tf

from official.data import pipeline
from official.evaluator import inference


class _ImageSource:
  """One decoded, unlabelled image as a source for `pipeline.eval_dataset`."""

  def __init__(self, image):
    self.image = image

  def records(self, input_context=None, shuffle=False, seed=None):
    del input_context, shuffle, seed  # One image, one pipeline.
    return tf.data.Dataset.from_tensors(self.image)

  def decode(self, record):
    return {'image': record, 'label': tf.zeros([0, 0, 1], tf.int32),
            'filename': ''}


class ModelPredictor:
  """Labels of a built model under an evaluation protocol.

  Example:
    >>> predictor = ModelPredictor(model, eval_scales=(0.75, 1.0, 1.25))
    >>> predictor(tf.zeros([100, 120, 3], tf.uint8)).shape
    TensorShape([100, 120])
  """

  def __init__(self, model, eval_scales=(1.0,), add_flipped_images=False,
               window_size=None, window_stride=None):
    """See `inference.predict` for the protocol's arguments."""
    # Images of any size: a few traces, not one per size.
    @tf.function(reduce_retracing=True)
    def labels(images):
      return inference.predict(model, images, eval_scales, add_flipped_images,
                               window_size, window_stride)['predictions']

    self._labels = labels

  def __call__(self, image):
    # Larger images pass whole rather than failing the eval crop size.
    batch = next(iter(pipeline.eval_dataset(
        source=_ImageSource(image), batch_size=1, keep_larger_images=True)))
    height, width = image.shape[:2]
    return self._labels(batch['image'])[0, :height, :width]


class SavedModelPredictor:
  """Labels from the `serving_default` signature of an exported SavedModel."""

  def __init__(self, export_dir):
    """Loads the SavedModel.

    Raises:
      FileNotFoundError: if `export_dir` holds no SavedModel.
      ValueError: if it has no serving_default signature.
    """
    if not tf.saved_model.contains_saved_model(export_dir):
      raise FileNotFoundError(f'{export_dir}: no SavedModel there.')
    self._loaded = tf.saved_model.load(export_dir)
    if 'serving_default' not in self._loaded.signatures:
      raise ValueError(f'{export_dir}: the SavedModel has no '
                       'serving_default signature.')

  def __call__(self, image):
    # Looked up through the loaded object on each call: the signature's
    # variables live only as long as it does.
    serving = self._loaded.signatures['serving_default']
    return serving(image=image[tf.newaxis])['semantic_predictions'][0]
