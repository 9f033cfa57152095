"""What the model benchmarks share: flags, the configured model, timing.

Each benchmark times variants of one gin-configured model (default: the
Xception-65 SC decoder of the paper) on random images, reporting the median
of `--runs` runs after a first call and `--warmup_runs` more.
"""

import os
import statistics
import time

from absl import flags
import tensorflow as tf

from official import cli
from official.model import builder

flags.DEFINE_integer('input_size', 513, 'Square input size.')
flags.DEFINE_integer('batch_size', 1, 'Images per run.')
flags.DEFINE_integer('warmup_runs', 2, 'Untimed runs after the first call.')
flags.DEFINE_integer('runs', 5, 'Timed runs per variant.')

FLAGS = flags.FLAGS

DEFAULT_GIN_FILE = os.path.join(
    cli.REPO_ROOT, 'gin_configs/voc/xception65_decoder_sc_os16.gin')


def check_variants(known):
  """`--variants`, each one of `known`."""
  unknown = set(FLAGS.variants) - set(known)
  if unknown:
    raise cli.UsageError(f'--variants: unknown {", ".join(sorted(unknown))}; '
                         f'choose from {", ".join(known)}.')
  return FLAGS.variants


def model_and_images():
  """The configured model and a random batch; prints what is timed.

  The images hold whole numbers in 0..255, so that their uint8 cast (for a
  SavedModel) is the same input.
  """
  gin_files = FLAGS.gin_file or [DEFAULT_GIN_FILE]
  cli.parse_gin(gin_files)
  model = builder.build_model()
  images = tf.round(tf.random.stateless_uniform(
      [FLAGS.batch_size, FLAGS.input_size, FLAGS.input_size, 3], [0, 0], 0,
      255))
  print(f'{", ".join(gin_files)}: {FLAGS.batch_size}x{FLAGS.input_size}x'
        f'{FLAGS.input_size}, {os.cpu_count()} CPUs, median of {FLAGS.runs} '
        'runs', flush=True)
  return model, images


def time_and_report(name, run):
  """Times `run()` (after a first call and the warm-up) and prints a line."""
  for _ in range(1 + FLAGS.warmup_runs):
    run()
  seconds = []
  for _ in range(FLAGS.runs):
    start = time.perf_counter()
    run()
    seconds.append(time.perf_counter() - start)
  print(f'  {name:>17}: {statistics.median(seconds) * 1000:7.0f} ms  '
        f'(runs: {", ".join(f"{s * 1000:.0f}" for s in seconds)})',
        flush=True)
