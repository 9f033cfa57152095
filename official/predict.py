r"""Segments images with a trained DeepLab: label maps, colours, overlays.

For each input image NAME.EXT, writes into --output_dir:

  NAME_label.png    the class of each pixel, 8-bit, the image's size
                    (Cityscapes label ids with --cityscapes_label_ids)
  NAME_color.png    the classes in the dataset's colours
  NAME_overlay.png  the colours blended over the image

The model is an exported SavedModel (--export_dir; its evaluation protocol
was fixed at export) or a checkpoint with its experiment's gin config
(--model_dir or --checkpoint, plus the eval protocol flags); a checkpoint's
images are padded as the eval split's are, so that its labels are the ones
`official.eval` scores.

    python -m official.predict --export_dir=exports/toy \
        --input='data/toy/voc/VOCdevkit/VOC2012/JPEGImages/*.jpg' \
        --output_dir=predictions/toy

    # The Cityscapes test server wants label ids, not train ids.
    python -m official.predict --model_dir=runs/cityscapes \
        --input='cityscapes/leftImg8bit/test/*/*_leftImg8bit.png' \
        --output_dir=predictions/cityscapes --eval_scales=0.75,1.0,1.25 \
        --add_flipped_images --cityscapes_label_ids
"""

import os

from absl import flags
import numpy as np
import tensorflow as tf

from official import cli
from official.data import catalog
from official.data import cityscapes
from official.data import colormap
from official.data import decoding
from official.evaluator import predictor as predictor_lib
from official.model import checkpoint

flags.DEFINE_string('input', None,
                    'An image file (JPEG, PNG, GIF or BMP), or a glob of them.')
flags.DEFINE_string('output_dir', None, 'Where the PNGs go.')
flags.DEFINE_string('export_dir', None,
                    'A SavedModel written by official.export.')
flags.DEFINE_string('model_dir', None,
                    'A training directory: its newest checkpoint, and its '
                    'operative config when no --gin_file is given.')
flags.DEFINE_string('checkpoint', None,
                    'A checkpoint prefix, or a folder for its newest.')
flags.DEFINE_enum('colormap', None, sorted(colormap.COLORMAPS),
                  'Palette of the colour masks; default: the dataset\'s with '
                  'a checkpoint, cityscapes with --cityscapes_label_ids, '
                  'else pascal.')
flags.DEFINE_bool('cityscapes_label_ids', False,
                  'Write Cityscapes label ids (7 road, ..., 33 bicycle) into '
                  'the label PNGs instead of train ids, as the Cityscapes '
                  'test server expects.')
flags.DEFINE_float('overlay_opacity', 0.5,
                   'Weight of the colours in the overlays.', lower_bound=0.0,
                   upper_bound=1.0)
cli.define_eval_protocol_flags()
cli.define_window_flags()

FLAGS = flags.FLAGS

# Flags that only apply to a checkpoint: a SavedModel has its protocol and
# config built in.
_CHECKPOINT_FLAGS = ('eval_output_stride', 'eval_scales', 'add_flipped_images',
                     'window_size', 'window_stride', 'gin_file',
                     'gin_bindings')


def _input_paths(pattern):
  """The sorted files `pattern` matches, checked for colliding outputs."""
  paths = sorted(tf.io.gfile.glob(pattern))
  if not paths:
    raise cli.UsageError(f'--input {pattern}: matches no file.')
  by_name = {}
  for path in paths:
    name = os.path.splitext(os.path.basename(path))[0]
    if name in by_name:
      raise cli.UsageError(f'--input: {by_name[name]} and {path} would write '
                           'the same outputs; predict them separately.')
    by_name[name] = path
  return paths


def _read_image(path):
  """uint8 [H, W, 3] pixels, grayscale made RGB and alpha dropped."""
  try:
    return decoding.decode_image(tf.io.read_file(path))
  except tf.errors.OpError:
    raise cli.UsageError(f'{path}: not a readable image file.') from None


def _checkpoint_predictor():
  """The model of --model_dir/--checkpoint under the eval protocol flags.

  Returns:
    (the predictor, the dataset's `DatasetInfo`).
  """
  path = checkpoint.resolve_checkpoint(FLAGS.checkpoint or FLAGS.model_dir)
  cli.parse_run_gin(FLAGS.model_dir, path)
  eval_scales = cli.eval_scales()
  window_size, window_stride = cli.window()
  model, _, _ = checkpoint.restore_model(path, FLAGS.eval_output_stride)
  return predictor_lib.ModelPredictor(
      model, eval_scales, FLAGS.add_flipped_images, window_size,
      window_stride), catalog.dataset_info()


def _raw_labels(labels, path):
  """The labels as written: train ids, or Cityscapes label ids."""
  if not FLAGS.cityscapes_label_ids:
    return labels.astype(np.uint8)
  try:
    return cityscapes.label_ids(labels)
  except ValueError as error:
    raise cli.UsageError(
        f'--cityscapes_label_ids needs a Cityscapes model: {path}: '
        f'{error}') from None


def _write_png(path, pixels):
  tf.io.write_file(path, tf.io.encode_png(pixels))


def main(argv):
  cli.check_arguments(argv, required=('input', 'output_dir'))
  from_checkpoint = bool(FLAGS.model_dir or FLAGS.checkpoint)
  if bool(FLAGS.export_dir) == from_checkpoint:
    raise cli.UsageError('Give either --export_dir or --model_dir/'
                         '--checkpoint.')
  if FLAGS.export_dir:
    for name in _CHECKPOINT_FLAGS:
      if FLAGS[name].present:
        raise cli.UsageError(f'--{name} applies to a checkpoint; a '
                             'SavedModel has its protocol built in.')
  paths = _input_paths(FLAGS.input)
  if from_checkpoint:
    predict, info = _checkpoint_predictor()
    default_colormap = info.colormap
  else:
    try:
      predict = predictor_lib.SavedModelPredictor(FLAGS.export_dir)
    except (FileNotFoundError, ValueError) as error:
      raise cli.UsageError(f'--export_dir {error}') from None
    default_colormap = ('cityscapes' if FLAGS.cityscapes_label_ids else
                        'pascal')
  colormap_name = FLAGS.colormap or default_colormap

  tf.io.gfile.makedirs(FLAGS.output_dir)
  for path in paths:
    image = _read_image(path)
    labels = predict(image).numpy()
    colors = colormap.label_to_color_image(labels, colormap_name)
    overlay = ((1 - FLAGS.overlay_opacity) * image.numpy() +
               FLAGS.overlay_opacity * colors)
    name = os.path.join(FLAGS.output_dir,
                        os.path.splitext(os.path.basename(path))[0])
    _write_png(f'{name}_label.png', _raw_labels(labels, path)[..., np.newaxis])
    _write_png(f'{name}_color.png', colors)
    _write_png(f'{name}_overlay.png', np.round(overlay).astype(np.uint8))
  print(f'Wrote NAME_label.png, NAME_color.png and NAME_overlay.png of '
        f'{len(paths)} images to {FLAGS.output_dir}.', flush=True)


if __name__ == '__main__':
  cli.run(main)
