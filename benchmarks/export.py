r"""Seconds per 513x513 image: the exported SavedModel against the Keras model.

Builds the configured DeepLab (random weights), times `model(images,
training=False)` in a `tf.function`, then exports it with
`export_saved_model` (single scale, no flips, no crop size) with and without
batch norm folding, and optionally with XLA, loads each export back and
times its `serving_default` signature on the same image as uint8. Prints
the median of several runs after a warm-up for each.

    python -m benchmarks.export \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin
"""

import os
import tempfile

from absl import flags
import tensorflow as tf

from benchmarks import timing
from official import cli
from official.exporter import saved_model

flags.DEFINE_list('variants', ['keras', 'export', 'export_folded'],
                  'Variants to time, of keras, export, export_folded, '
                  'export_folded_xla.')

# Export variants: (fold_batch_norm, jit_compile).
_EXPORTS = {
    'export': (False, False),
    'export_folded': (True, False),
    'export_folded_xla': (True, True),
}


def _keras_runner(model, images):
  forward = tf.function(lambda x: model(x, training=False))
  return lambda: forward(images).numpy()


def _export_runner(model, images, export_dir, fold_batch_norm, jit_compile):
  class_names = [f'class_{index}' for index in range(model.num_classes)]
  saved_model.export_saved_model(model, export_dir, class_names,
                                 fold_batch_norm=fold_batch_norm,
                                 jit_compile=jit_compile)
  serving = tf.saved_model.load(export_dir).signatures['serving_default']
  uint8_images = tf.cast(images, tf.uint8)
  return lambda: serving(
      image=uint8_images)['semantic_probabilities'].numpy()


def main(argv):
  cli.check_arguments(argv)
  variants = timing.check_variants(['keras'] + list(_EXPORTS))
  model, images = timing.model_and_images()
  with tempfile.TemporaryDirectory() as root:
    for name in variants:
      if name == 'keras':
        run = _keras_runner(model, images)
      else:
        run = _export_runner(model, images, os.path.join(root, name),
                             *_EXPORTS[name])
      timing.time_and_report(name, run)

if __name__ == '__main__':
  cli.run(main)
