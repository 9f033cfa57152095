r"""Seconds per training step of `official.train`, and its peak memory.

Runs the trainer itself (`trainer.train`: model, loss, gradients, momentum,
batch norm updates, the per-step loss check) on random images and labels of
the gin-configured model (default: the paper's Xception-65 SC decoder), one
step more than `--warmup_steps + --steps`. The step times are the trainer's
own: the intervals between its per-step summaries (TensorBoard
`images_per_second`), the first step (tracing) excluded. Prints the median
of the last `--steps`, and as the last line

    {"step_s": ..., "images_per_s": ..., "peak_rss_mb": ...}

where peak_rss_mb is the process's peak resident memory. With
`--profile_dir`, the run is traced by `tf.profiler` into that folder (for
TensorBoard's profile tab) and the `--top_ops` op types taking the most
time in the timed steps are printed before the JSON line, with their
seconds per step and share of all ops' time (`op_profile`).

    python -m benchmarks.train_step --batch_size=2 --crop_size=513 --steps=5
    python -m benchmarks.train_step --steps=2 --profile_dir=/tmp/train_step
"""

import json
import os
import resource
import statistics
import tempfile

from absl import flags
import tensorflow as tf

from benchmarks import op_profile
from official import cli
from official.data import catalog
from official.trainer import distribution
from official.trainer import trainer

flags.DEFINE_integer('batch_size', 2, 'Images per step.', lower_bound=1)
flags.DEFINE_integer('crop_size', 513, 'Square crop size.', lower_bound=1)
flags.DEFINE_integer('steps', 5, 'Timed steps.', lower_bound=1)
flags.DEFINE_integer('warmup_steps', 1, 'Untimed steps after the first.',
                     lower_bound=0)
flags.DEFINE_string('profile_dir', None,
                    'Trace the run with tf.profiler into this folder and '
                    'print the op types taking the most time.')
flags.DEFINE_integer('top_ops', 15, 'Op types printed with --profile_dir.',
                     lower_bound=1)

FLAGS = flags.FLAGS

DEFAULT_GIN_FILE = os.path.join(
    cli.REPO_ROOT, 'gin_configs/voc/xception65_decoder_sc_os16.gin')


def _random_batches(num_classes):
  shape = [FLAGS.batch_size, FLAGS.crop_size, FLAGS.crop_size]
  batch = {
      'image': tf.random.stateless_uniform(shape + [3], [0, 0], 0, 255),
      'label': tf.random.stateless_uniform(shape + [1], [0, 1], 0,
                                           num_classes, dtype=tf.int32),
  }
  return lambda context: tf.data.Dataset.from_tensors(batch).repeat()


def _step_seconds(train_dir):
  """Seconds of each step but the first, from the images_per_second events."""
  rates = {}
  for path in tf.io.gfile.glob(os.path.join(train_dir, 'events*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        if value.tag == 'images_per_second':
          rates[event.step] = float(tf.make_ndarray(value.tensor))
  return [FLAGS.batch_size / rates[step] for step in sorted(rates)]


def _print_top_ops():
  num_steps, totals = op_profile.op_seconds(
      FLAGS.profile_dir, '_train_step', skip_calls=1 + FLAGS.warmup_steps)
  overall = sum(totals.values())
  print(f'  ops of the {num_steps} timed steps (profiled), '
        f'{overall / num_steps:.2f} s of op time per step:')
  top = sorted(totals.items(), key=lambda item: -item[1])[:FLAGS.top_ops]
  for op_type, seconds in top:
    print(f'    {op_type:<36} {seconds / num_steps:7.3f} s  '
          f'{100 * seconds / overall:5.1f} %')


def main(argv):
  cli.check_arguments(argv)
  gin_files = FLAGS.gin_file or [DEFAULT_GIN_FILE]
  cli.parse_gin(gin_files)
  train_steps = 1 + FLAGS.warmup_steps + FLAGS.steps
  print(f'{", ".join(gin_files)}: training step, batch {FLAGS.batch_size} '
        f'of {FLAGS.crop_size}x{FLAGS.crop_size}, {os.cpu_count()} CPUs, '
        f'median of {FLAGS.steps} steps', flush=True)
  with tempfile.TemporaryDirectory() as model_dir:
    if FLAGS.profile_dir:
      tf.profiler.experimental.start(FLAGS.profile_dir)
    trainer.train(model_dir, distribution.create_strategy('one_device', None,
                                                          None),
                  train_steps=train_steps,
                  summary_every_n_steps=1,
                  image_summary_every_n_steps=train_steps + 1,
                  checkpoint_every_n_steps=train_steps,
                  max_checkpoints_to_keep=1,
                  dataset_fn=_random_batches(catalog.dataset_info().num_classes))
    if FLAGS.profile_dir:
      tf.profiler.experimental.stop()
    seconds = _step_seconds(os.path.join(model_dir, 'train'))[-FLAGS.steps:]
  step_s = statistics.median(seconds)
  print(f'  steps: {", ".join(f"{s:.3f}" for s in seconds)} s', flush=True)
  if FLAGS.profile_dir:
    _print_top_ops()
  print(json.dumps({
      'step_s': round(step_s, 4),
      'images_per_s': round(FLAGS.batch_size / step_s, 3),
      'peak_rss_mb': round(
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
  }))


if __name__ == '__main__':
  cli.run(main)
