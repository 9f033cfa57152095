"""Writing the SavedModel: both signatures and `assets.extra/model_info.json`.

The SavedModel holds traced graphs and weights only, so it loads with
`tf.saved_model.load` where nothing of this package is installed.
"""

import json
import os

from absl import logging
import tensorflow as tf

from official.exporter import batch_norm_folding
from official.exporter import model_info as model_info_lib
from official.exporter import serving

MODEL_INFO_PATH = os.path.join('assets.extra', 'model_info.json')


def export_saved_model(model, export_dir, class_names, eval_scales=(1.0,),
                       add_flipped_images=False, crop_size=None,
                       fold_batch_norm=True, jit_compile=False):
  """Exports `model` with the `serving_default` and `serving_bytes` signatures.

  Args:
    model: a built `DeepLab` at the output stride to serve at.
    export_dir: the SavedModel's folder; a SavedModel there is overwritten.
    class_names: one name per class, for model_info.json.
    eval_scales: input scales whose probabilities are averaged.
    add_flipped_images: also run every scale on the left-right flip.
    crop_size: (height, width) inputs are padded to, or None (see
      `serving`); also the size model_info.json counts multiply-adds at.
    fold_batch_norm: serve a copy with batch norm folded into the convs.
    jit_compile: compile the prediction with XLA.

  Returns:
    The model_info dict written to `export_dir/assets.extra/model_info.json`.

  Example:
    >>> export_saved_model(model, '/tmp/export', ['background', 'object'],
    ...                    crop_size=(65, 65))['input_size']
    [65, 65]
    >>> served = tf.saved_model.load('/tmp/export')
    >>> served.signatures['serving_default'](
    ...     image=tf.zeros([1, 40, 50, 3], tf.uint8))['semantic_predictions']
    <tf.Tensor: shape=(1, 40, 50), dtype=int32, ...>
  """
  info = model_info_lib.model_info(model, class_names, crop_size, eval_scales,
                                   add_flipped_images)
  if fold_batch_norm:
    model = batch_norm_folding.fold_batch_norm(model)
  functions = serving.serving_functions(model, eval_scales, add_flipped_images,
                                        crop_size, jit_compile)
  # Each traced once, here. Keras' ExportArchive traces them again inside
  # the save, and the model's own default signature too, looking for lookup
  # tables, which this model does not hold.
  signatures = {
      name: tf.function(function, autograph=False).get_concrete_function(spec)
      for name, (function, spec) in functions.items()}
  root = tf.Module()
  # The variables the signatures read, tracked by the root itself: TF1
  # loaders (`saved_model_cli run`) find them there.
  root.signature_variables = _captured_variables(signatures.values())
  for name, function in signatures.items():
    setattr(root, name, function)
  # Saving logs the generated names of hundreds of captured variables at
  # INFO level.
  verbosity = logging.get_verbosity()
  logging.set_verbosity(logging.WARNING)
  try:
    tf.saved_model.save(root, export_dir, signatures=signatures)
  finally:
    logging.set_verbosity(verbosity)
  path = os.path.join(export_dir, MODEL_INFO_PATH)
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.gfile.GFile(path, 'w') as f:
    json.dump(info, f, indent=2)
  return info


def _captured_variables(functions):
  """The variables `functions` read, each once, in order of first use."""
  variables = {}
  for function in functions:
    for variable in function.variables:
      variables.setdefault(id(variable), variable)
  return list(variables.values())
