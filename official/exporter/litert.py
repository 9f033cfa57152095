"""LiteRT (TFLite) export: one fixed-size `model.tflite` and its model_info.json.

The graph is the SavedModel's `serving_default` (reference §7) at one static
size: uint8 `image` [1, H, W, 3] in, normalisation, padding to the aligned
size and the evaluation protocol inside, `semantic_predictions` int32
[1, H, W] and `semantic_probabilities` float32 [1, H, W, C] out. A static
shape is what lets the converter keep every atrous convolution a dilated
DEPTHWISE_CONV_2D / CONV_2D (a dynamic one leaves SPACE_TO_BATCH_ND and
BATCH_TO_SPACE_ND around it) and take only builtin ops.

Batch norm is folded and the variables frozen into constants before
conversion: int8 calibration cannot run through VAR_HANDLE/READ_VARIABLE.
The converter works on a SavedModel of a `tf.Module` (it fails on Keras 3
models given directly), so the frozen function goes through a temporary one.

Quantization: 'none' (float32), 'float16' (weights stored as float16,
computed in float32) or 'int8' (full-integer post-training quantization,
activations calibrated on `calibration_images`; uint8 input and float
outputs stay as in float32), its standalone RELUs rewritten so that
XNNPACK runs them (`litert_relu`).
"""

import json
import os
import shutil
import tempfile

from absl import logging
import numpy as np
import tensorflow as tf
import tqdm

from tensorflow.python.framework import convert_to_constants

from official.exporter import batch_norm_folding
from official.exporter import litert_calibration
from official.exporter import litert_relu
from official.exporter import model_info as model_info_lib
from official.exporter import serving

FORMAT = 'litert'
MODEL_FILENAME = 'model.tflite'
INFO_FILENAME = 'model_info.json'
QUANTIZATIONS = ('none', 'float16', 'int8')
# A uint8 input cannot hold the mean pixel 127.5: smaller images are padded
# with the nearest value, 0.004 after the [-1, 1] normalisation.
PAD_VALUE = 128
OUTPUT_NAMES = ('semantic_predictions', 'semantic_probabilities')


def precision(quantization):
  """The arithmetic a `quantization` computes in: 'none' is 'float32'."""
  return 'float32' if quantization == 'none' else quantization


def fit_to_input(image, input_size):
  """`image` (uint8 [h, w, 3], h <= H and w <= W) padded bottom/right to H, W.

  Raises:
    ValueError: if the image is not [h, w, 3] or is larger than `input_size`.
  """
  image = np.asarray(image)
  height, width = input_size
  if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
    raise ValueError(f'image must be [height, width, 3] of at least 1x1 '
                     f'pixels, got shape {list(image.shape)}.')
  if image.shape[0] > height or image.shape[1] > width:
    raise ValueError(
        f'image of {image.shape[0]}x{image.shape[1]} pixels is larger than '
        f'the LiteRT export\'s fixed input {height}x{width}; export with a '
        'larger --crop_size.')
  return np.pad(image.astype(np.uint8),
                [[0, height - image.shape[0]], [0, width - image.shape[1]],
                 [0, 0]], constant_values=PAD_VALUE)


def serving_function(model, input_size, eval_scales=(1.0,),
                     add_flipped_images=False):
  """The fixed-size `serving_default`: uint8 [1, H, W, 3] -> both outputs.

  Padded, as the SavedModel pads, to the aligned size k * output_stride + 1
  that holds H, W (a crop of 512 runs at 513) and cropped back.
  """
  height, width = input_size
  padded_height = serving.padded_size(height, model.output_stride, height)
  padded_width = serving.padded_size(width, model.output_stride, width)

  def serve(image):
    return serving.padded_outputs(
        model, image, height, width, padded_height - height,
        padded_width - width, eval_scales, add_flipped_images)

  return serve


def _frozen_saved_model(function, spec, directory):
  """Writes `function` with its variables as constants as a SavedModel."""
  concrete = tf.function(function, autograph=False).get_concrete_function(
      spec)
  frozen = convert_to_constants.convert_variables_to_constants_v2(concrete)
  # The frozen function returns a flat list, in the sorted key order of the
  # dict it was traced from.
  names = sorted(concrete.structured_outputs)

  module = tf.Module()
  module.serve = tf.function(lambda image: dict(zip(names, frozen(image))),
                             input_signature=[spec])
  tf.saved_model.save(module, directory,
                      signatures={'serving_default': module.serve})


def _representative_dataset(calibration_images, input_size):
  """The converter's calibration inputs, with a progress bar."""

  def generate():
    for image in tqdm.tqdm(calibration_images,
                           desc='int8 calibration', unit='image'):
      yield {'image': fit_to_input(image, input_size)[np.newaxis]}

  return generate


def convert(model, input_size, eval_scales=(1.0,), add_flipped_images=False,
            quantize='none', calibration_images=None):
  """The model as .tflite bytes with one `serving_default` signature.

  Args:
    model: a built `DeepLab` at the output stride to serve at; its batch
      norm is folded on a copy.
    input_size: (H, W) of the fixed input.
    eval_scales, add_flipped_images: the protocol baked in (see
      `inference.predict`).
    quantize: one of `QUANTIZATIONS`.
    calibration_images: for 'int8' (and only then), a sequence of uint8
      [h, w, 3] images no larger than `input_size`, e.g.
      `litert_calibration.calibration_images`.

  Returns:
    The flatbuffer, bytes.

  Raises:
    ValueError: for an unknown `quantize`, calibration images without
      'int8' or 'int8' without them, or a graph the converter cannot express
      in builtin ops.
  """
  if quantize not in QUANTIZATIONS:
    raise ValueError(f'quantize must be one of {", ".join(QUANTIZATIONS)}, '
                     f'got {quantize!r}.')
  if (quantize == 'int8') != (calibration_images is not None):
    raise ValueError('int8 quantization needs calibration images, and only '
                     'it takes them.')
  input_size = tuple(int(size) for size in input_size)
  folded = batch_norm_folding.fold_batch_norm(model)
  spec = tf.TensorSpec([1, *input_size, 3], tf.uint8, name='image')
  directory = tempfile.mkdtemp(prefix='deeplab_litert_')
  try:
    _frozen_saved_model(serving_function(folded, input_size, eval_scales,
                                         add_flipped_images),
                        spec, directory)
    converter = tf.lite.TFLiteConverter.from_saved_model(directory)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == 'float16':
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      converter.target_spec.supported_types = [tf.float16]
    elif quantize == 'int8':
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      converter.representative_dataset = _representative_dataset(
          calibration_images, input_size)
      # Every op in int8, or the conversion fails: no silent float islands.
      converter.target_spec.supported_ops = [
          tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
      flatbuffer = converter.convert()
    except Exception as error:  # The converter raises its own error types.
      first_line = (str(error).strip().splitlines() or [repr(error)])[0]
      raise ValueError(
          f'The LiteRT converter failed ({quantize}, scales '
          f'{list(eval_scales)}, flips {add_flipped_images}): '
          f'{first_line}') from error
  finally:
    shutil.rmtree(directory, ignore_errors=True)
  if quantize == 'int8':
    flatbuffer, count = litert_relu.fuse_int8_relus(flatbuffer)
    logging.info('%d int8 RELUs rewritten for XNNPACK.', count)
  return flatbuffer


def export_litert(model, export_dir, class_names, input_size,
                  eval_scales=(1.0,), add_flipped_images=False,
                  quantize='none', calibration_images=None,
                  calibration_split=None, step=None):
  """Writes export_dir/model.tflite and export_dir/model_info.json.

  Args:
    model, input_size, eval_scales, add_flipped_images, quantize,
      calibration_images: see `convert`.
    export_dir: the folder; a model.tflite there is overwritten.
    class_names: one name per class.
    calibration_split: the name of the split the calibration images come
      from, recorded in model_info.json.
    step: the checkpoint's training step, recorded for `official.eval`.

  Returns:
    The model_info dict: the SavedModel's fields plus `format`,
    `quantization`, `file_size_bytes`, `pad_value`, `larger_inputs`
    ('reject'), `step` when given and, for int8, `calibration`
    ({'split', 'num_images'}).

  Example:
    >>> export_litert(model, '/tmp/litert', ['background', 'object'],
    ...               (65, 65))['file_size_bytes']
    610600
  """
  info = model_info_lib.model_info(model, class_names, input_size,
                                   eval_scales, add_flipped_images)
  flatbuffer = convert(model, input_size, eval_scales, add_flipped_images,
                       quantize, calibration_images)
  tf.io.gfile.makedirs(export_dir)
  with tf.io.gfile.GFile(os.path.join(export_dir, MODEL_FILENAME), 'wb') as f:
    f.write(flatbuffer)
  info.update(format=FORMAT, quantization=quantize,
              file_size_bytes=len(flatbuffer), pad_value=PAD_VALUE,
              larger_inputs='reject')
  if step is not None:
    info['step'] = int(step)
  if quantize == 'int8':
    info['calibration'] = {'split': calibration_split,
                           'num_images': len(calibration_images)}
  with tf.io.gfile.GFile(os.path.join(export_dir, INFO_FILENAME), 'w') as f:
    json.dump(info, f, indent=2)
  logging.info('Wrote %s (%d bytes).', MODEL_FILENAME, len(flatbuffer))
  return info


def export_experiment(model, export_dir, class_names, input_size,
                      eval_scales=(1.0,), add_flipped_images=False,
                      quantize='none', calibration_data=None,
                      num_calibration_images=(
                          litert_calibration.DEFAULT_NUM_IMAGES),
                      step=None):
  """`export_litert`, calibrating int8 on images of a data source.

  Args:
    input_size: (H, W), or None if the experiment gives none.
    calibration_data: for int8, (source, split name) of the images to
      calibrate on (the experiment's training split by default).
    num_calibration_images: for int8, how many images calibrate.
    Others: see `export_litert`.

  Returns:
    The model_info dict.

  Raises:
    ValueError: without an input size, or int8 without calibration data.
  """
  if input_size is None:
    raise ValueError('The experiment binds no eval_dataset.crop_size: give '
                     'the LiteRT input size with --crop_size=H,W.')
  if quantize != 'int8':
    return export_litert(model, export_dir, class_names, input_size,
                         eval_scales, add_flipped_images, quantize,
                         step=step)
  if calibration_data is None:
    raise ValueError('int8 quantization needs calibration images.')
  source, split = calibration_data
  images = litert_calibration.calibration_images(
      source, num_calibration_images, input_size, split)
  return export_litert(model, export_dir, class_names, input_size,
                       eval_scales, add_flipped_images, quantize, images,
                       split, step)
