r"""Prints what `make demo` produced: mIoU, multiply-adds and where things are.

Reads the newest metrics file of each evaluation folder, the export's
`assets.extra/model_info.json` and the prediction folder; fails with one line
if any of them is missing.

    python -m tools.summarize_demo --model_dir=runs/toy \
        --eval_dirs=runs/toy/eval,runs/toy/eval_ms_flip \
        --export_dir=runs/toy/export --predictions_dir=runs/toy/predictions
"""

import json
import os
import re

from absl import flags
import tensorflow as tf

from official import cli

flags.DEFINE_string('model_dir', None, 'The training run (TensorBoard logs).')
flags.DEFINE_list('eval_dirs', None,
                  'Folders of metrics-STEP.json files, one per protocol.')
flags.DEFINE_string('export_dir', None, 'The SavedModel.')
flags.DEFINE_string('predictions_dir', None, 'Where predict wrote PNGs.')

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


def main(argv):
  cli.check_arguments(argv, required=('model_dir', 'eval_dirs', 'export_dir',
                                      'predictions_dir'))
  lines = summary_lines(FLAGS.model_dir, FLAGS.eval_dirs, FLAGS.export_dir,
                        FLAGS.predictions_dir)
  print('\n'.join(['', 'DeepLabv3+ demo', *('  ' + line for line in lines)]))


if __name__ == '__main__':
  cli.run(main)
