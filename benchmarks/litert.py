r"""Milliseconds per image and file size: SavedModel float32 against LiteRT.

Builds the configured DeepLab (random weights), exports it as a SavedModel
(batch norm folded, crop size --input_size) and as LiteRT float32, float16
and int8 at --input_size (int8 calibrated on --num_calibration_images random
images: enough for timing, not for accuracy), and times each on one random
uint8 image: the SavedModel's `serving_default`, the LiteRT models through
the ai-edge-litert interpreter with its XNNPACK delegate on --num_threads
threads, all in turns (one run of each per round) so that a shared
machine's changing load weighs on every variant alike. Also checks that
every LiteRT model holds builtin ops only, none of them SPACE_TO_BATCH_ND
or BATCH_TO_SPACE_ND, and prints how many partitions XNNPACK cut it into
(1 where it takes every op; each op it leaves to a builtin kernel adds a
cut).

    python -m benchmarks.litert --gin_file=gin_configs/voc/mobilenetv2_os16.gin
    python -m benchmarks.litert \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin
"""

import os
import statistics
import tempfile
import time

from absl import flags
from ai_edge_litert import interpreter as litert_interpreter
import numpy as np
import tensorflow as tf

from benchmarks import timing
from official import cli
from official.exporter import litert
from official.exporter import saved_model

flags.DEFINE_list('variants', ['saved_model', 'none', 'float16', 'int8'],
                  'Variants to time: saved_model and LiteRT quantizations '
                  'none, float16, int8.')
flags.DEFINE_integer('num_threads', 2, 'LiteRT interpreter threads.',
                     lower_bound=1)
flags.DEFINE_integer('num_calibration_images', 4,
                     'Random images calibrating int8.', lower_bound=1)

FLAGS = flags.FLAGS

_FORBIDDEN_OPS = ('SPACE_TO_BATCH_ND', 'BATCH_TO_SPACE_ND')


def _directory_size(folder):
  return sum(os.path.getsize(os.path.join(root, name))
             for root, _, names in os.walk(folder) for name in names)


def _saved_model_runner(model, image, export_dir, class_names):
  saved_model.export_saved_model(model, export_dir, class_names,
                                 crop_size=image.shape[1:3])
  serving = tf.saved_model.load(export_dir).signatures['serving_default']
  image = tf.constant(image)
  return lambda: serving(image=image)['semantic_predictions'].numpy()


def _litert_runner(model, image, export_dir, class_names, quantize):
  calibration = None
  if quantize == 'int8':
    rng = np.random.default_rng(1)
    calibration = [rng.integers(0, 256, image.shape[1:], np.uint8)
                   for _ in range(FLAGS.num_calibration_images)]
  litert.export_litert(model, export_dir, class_names, image.shape[1:3],
                       quantize=quantize, calibration_images=calibration)
  interpreter = litert_interpreter.Interpreter(
      model_path=os.path.join(export_dir, litert.MODEL_FILENAME),
      num_threads=FLAGS.num_threads)
  ops = {op['op_name'] for op in interpreter._get_ops_details()}  # pylint: disable=protected-access
  bad = sorted(op for op in ops if op in _FORBIDDEN_OPS or
               op.startswith(('Flex', 'CUSTOM')))
  if bad:
    raise ValueError(f'LiteRT {quantize}: unwanted ops {", ".join(bad)}.')
  runner = interpreter.get_signature_runner('serving_default')
  runner(image=image)
  # The delegate applies on the first run; ops it cannot take split the
  # graph into several partitions, each run between builtin kernels.
  partitions = sum(op['op_name'] == 'DELEGATE'
                   for op in interpreter._get_ops_details())  # pylint: disable=protected-access
  return lambda: runner(image=image)['semantic_predictions'], partitions


def _time_alternating(runs):
  """Times every {label: run} in turns, one run of each per round, so that a
  change in the machine's load weighs on all alike; prints their medians."""
  for _ in range(1 + FLAGS.warmup_runs):
    for run in runs.values():
      run()
  seconds = {label: [] for label in runs}
  for _ in range(FLAGS.runs):
    for label, run in runs.items():
      start = time.perf_counter()
      run()
      seconds[label].append(time.perf_counter() - start)
  print(f'Medians of {FLAGS.runs} alternating rounds, load average '
        f'{os.getloadavg()[0]:.1f}:', flush=True)
  for label, values in seconds.items():
    print(f'  {label:>18}: {statistics.median(values) * 1000:7.0f} ms  '
          f'(runs: {", ".join(f"{s * 1000:.0f}" for s in values)})',
          flush=True)


def main(argv):
  cli.check_arguments(argv)
  variants = timing.check_variants(['saved_model', *litert.QUANTIZATIONS])
  model, images = timing.model_and_images()
  if FLAGS.batch_size != 1:
    raise cli.UsageError('--batch_size: LiteRT exports take one image.')
  image = tf.cast(images, tf.uint8).numpy()
  class_names = [f'class_{index}' for index in range(model.num_classes)]
  runs = {}
  with tempfile.TemporaryDirectory() as root:
    for name in variants:
      export_dir = os.path.join(root, name)
      if name == 'saved_model':
        run = _saved_model_runner(model, image, export_dir, class_names)
        label, partitions = 'SavedModel float32', ''
      else:
        run, count = _litert_runner(model, image, export_dir, class_names,
                                    name)
        label = f'LiteRT {litert.precision(name)}'
        partitions = f', XNNPACK partitions: {count}'
      print(f'  {label:>18}: {_directory_size(export_dir) / 2**20:6.1f} MiB'
            f'{partitions}', flush=True)
      runs[label] = run
    _time_alternating(runs)

if __name__ == '__main__':
  cli.run(main)
