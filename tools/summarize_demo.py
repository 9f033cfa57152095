r"""Prints what `make demo` produced: mIoU, multiply-adds and where things are.

Reads the newest metrics file of each evaluation folder, the export's
`assets.extra/model_info.json` and the prediction folder; fails with one line
if any of them is missing. With --litert_dir, also sets the LiteRT export
beside the SavedModel: file size, mIoU of each on the eval split (as
`official.eval --export_dir` wrote it into EXPORT/eval) and the median
latency of one image of the LiteRT input size, timed here.

    python -m tools.summarize_demo --model_dir=runs/toy \
        --eval_dirs=runs/toy/eval,runs/toy/eval_ms_flip \
        --export_dir=runs/toy/export --predictions_dir=runs/toy/predictions \
        --litert_dir=runs/toy/export_int8
"""

import json
import os
import re
import statistics
import time

from absl import flags
import numpy as np
import tensorflow as tf

from official import cli
from official.exporter import litert
from official.exporter import litert_inference

flags.DEFINE_string('model_dir', None, 'The training run (TensorBoard logs).')
flags.DEFINE_list('eval_dirs', None,
                  'Folders of metrics-STEP.json files, one per protocol.')
flags.DEFINE_string('export_dir', None, 'The SavedModel.')
flags.DEFINE_string('predictions_dir', None, 'Where predict wrote PNGs.')
flags.DEFINE_string('litert_dir', None,
                    'A LiteRT export to compare with the SavedModel.')

FLAGS = flags.FLAGS


def newest_metrics(eval_dir):
  """The metrics dict with the highest step in `eval_dir`."""
  steps = {}
  for path in tf.io.gfile.glob(os.path.join(eval_dir, 'metrics-*.json')):
    match = re.fullmatch(r'metrics-(\d+)\.json', os.path.basename(path))
    if match:
      steps[int(match.group(1))] = path
  if not steps:
    raise FileNotFoundError(f'No metrics-STEP.json in {eval_dir}.')
  with tf.io.gfile.GFile(steps[max(steps)]) as f:
    return json.load(f)


def _read_json(path):
  if not tf.io.gfile.exists(path):
    raise FileNotFoundError(f'No {path}.')
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def summary_lines(model_dir, eval_dirs, export_dir, predictions_dir):
  """The summary, one line per fact."""
  lines = []
  for eval_dir in eval_dirs:
    metrics = newest_metrics(eval_dir)
    lines.append(f'mIoU {metrics["miou"]:.4f} at step {metrics["step"]} '
                 f'({metrics["num_images"]} images, {eval_dir})')
  info = _read_json(os.path.join(export_dir, 'assets.extra',
                                 'model_info.json'))
  height, width = info['input_size']
  lines.append(
      f'Multiply-adds per {height}x{width} image: {info["paper_madds_b"]:.4f}B '
      f'(paper convention), {info["executed_madds_b"]:.4f}B executed; '
      f'{info["params"]:,} parameters')
  pngs = tf.io.gfile.glob(os.path.join(predictions_dir, '*.png'))
  if not pngs:
    raise FileNotFoundError(f'No prediction PNGs in {predictions_dir}.')
  lines += [
      f'TensorBoard logs: {model_dir}  (tensorboard --logdir={model_dir})',
      f'SavedModel:       {export_dir}',
      f'Predictions:      {predictions_dir} ({len(pngs)} PNGs)',
  ]
  return lines


def _folder_size(folder):
  return sum(os.path.getsize(os.path.join(root, name))
             for root, _, names in os.walk(folder) for name in names)


def median_latency(predictor, image, runs=5):
  """Median seconds of `predictor(image)` after one untimed call."""
  predictor(image)
  seconds = []
  for _ in range(runs):
    start = time.perf_counter()
    predictor(image)
    seconds.append(time.perf_counter() - start)
  return statistics.median(seconds)


def export_comparison_lines(export_dir, litert_dir, runs=5):
  """SavedModel and LiteRT side by side: size, mIoU, latency."""
  litert_predictor = litert_inference.load_predictor(litert_dir)
  height, width = litert_predictor.input_size
  image = np.full([height, width, 3], 128, np.uint8)
  lines = [f'Exports (mIoU on the eval split, latency per {height}x{width} '
           'image):']
  for name, folder, predictor in (
      ('SavedModel float32', export_dir,
       litert_inference.load_predictor(export_dir)),
      (f'LiteRT {litert.precision(litert_predictor.info["quantization"])}',
       litert_dir, litert_predictor)):
    miou = newest_metrics(os.path.join(folder, 'eval'))['miou']
    lines.append(
        f'  {name:<18} {_folder_size(folder) / 2**20:6.2f} MiB  mIoU '
        f'{miou:.4f}  {median_latency(predictor, image, runs) * 1000:6.1f} '
        f'ms  ({folder})')
  return lines


def main(argv):
  cli.check_arguments(argv, required=('model_dir', 'eval_dirs', 'export_dir',
                                      'predictions_dir'))
  lines = summary_lines(FLAGS.model_dir, FLAGS.eval_dirs, FLAGS.export_dir,
                        FLAGS.predictions_dir)
  if FLAGS.litert_dir:
    lines += export_comparison_lines(FLAGS.export_dir, FLAGS.litert_dir)
  print('\n'.join(['', 'DeepLabv3+ demo', *('  ' + line for line in lines)]))


if __name__ == '__main__':
  cli.run(main)
