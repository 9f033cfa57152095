r"""Seconds per 513x513 forward pass of a configured DeepLab on this machine.

Times `model(images, training=False)` in a `tf.function` (batch 1 by
default, random weights) in three variants: our batch norm (TensorFlow's
fused kernel at inference), Keras 3's own composed batch norm, and ours
under XLA (`jit_compile=True`). Prints the median of several runs after a
warm-up for each.

    python -m benchmarks.model_forward \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin
"""

import os
import statistics
import time
from unittest import mock

from absl import app
from absl import flags
import keras
import tensorflow as tf

from official import cli
from official.model import batch_norm
from official.model import builder

flags.DEFINE_integer('input_size', 513, 'Square input size.')
flags.DEFINE_integer('batch_size', 1, 'Images per forward pass.')
flags.DEFINE_integer('warmup_runs', 2, 'Untimed runs after tracing.')
flags.DEFINE_integer('runs', 5, 'Timed runs per variant.')
flags.DEFINE_list('variants', ['fused_bn', 'keras_bn', 'fused_bn_xla'],
                  'Variants to time.')

FLAGS = flags.FLAGS

_VARIANTS = {
    # name: (BatchNorm.call at inference, jit_compile)
    'fused_bn': (batch_norm.BatchNorm.call, False),
    'keras_bn': (keras.layers.BatchNormalization.call, False),
    'fused_bn_xla': (batch_norm.BatchNorm.call, True),
}


def _median_seconds(model, images, jit_compile):
  forward = tf.function(lambda x: model(x, training=False),
                        jit_compile=jit_compile)
  for _ in range(1 + FLAGS.warmup_runs):
    forward(images).numpy()
  seconds = []
  for _ in range(FLAGS.runs):
    start = time.perf_counter()
    forward(images).numpy()
    seconds.append(time.perf_counter() - start)
  return statistics.median(seconds), seconds


def main(argv):
  if len(argv) > 1:
    raise cli.UsageError(f'Unexpected arguments: {" ".join(argv[1:])}')
  unknown = set(FLAGS.variants) - set(_VARIANTS)
  if unknown:
    raise cli.UsageError(f'--variants: unknown {", ".join(sorted(unknown))}; '
                         f'choose from {", ".join(_VARIANTS)}.')
  cli.parse_gin()
  model = builder.build_model()
  images = tf.random.stateless_uniform(
      [FLAGS.batch_size, FLAGS.input_size, FLAGS.input_size, 3], [0, 0], 0,
      255)
  print(f'{", ".join(FLAGS.gin_file) or "default model"}: '
        f'{FLAGS.batch_size}x{FLAGS.input_size}x{FLAGS.input_size}, '
        f'{os.cpu_count()} CPUs, median of {FLAGS.runs} runs')
  for name in FLAGS.variants:
    call, jit_compile = _VARIANTS[name]
    # Swapped in before tracing: the traced graph keeps the chosen ops.
    with mock.patch.object(batch_norm.BatchNorm, 'call', call):
      median, seconds = _median_seconds(model, images, jit_compile)
    print(f'  {name:>13}: {median * 1000:7.0f} ms  '
          f'(runs: {", ".join(f"{s * 1000:.0f}" for s in seconds)})')


if __name__ == '__main__':
  cli.run(main)
