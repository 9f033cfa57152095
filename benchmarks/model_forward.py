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
from unittest import mock

from absl import app
from absl import flags
import keras
import tensorflow as tf

from benchmarks import timing
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


_DEFAULT_GIN_FILE = os.path.join(
    cli.REPO_ROOT, 'gin_configs/voc/xception65_decoder_sc_os16.gin')


def main(argv):
  cli.check_arguments(argv)
  unknown = set(FLAGS.variants) - set(_VARIANTS)
  if unknown:
    raise cli.UsageError(f'--variants: unknown {", ".join(sorted(unknown))}; '
                         f'choose from {", ".join(_VARIANTS)}.')
  gin_files = FLAGS.gin_file or [_DEFAULT_GIN_FILE]
  cli.parse_gin(gin_files)
  model = builder.build_model()
  images = tf.random.stateless_uniform(
      [FLAGS.batch_size, FLAGS.input_size, FLAGS.input_size, 3], [0, 0], 0,
      255)
  print(f'{", ".join(gin_files)}: '
        f'{FLAGS.batch_size}x{FLAGS.input_size}x{FLAGS.input_size}, '
        f'{os.cpu_count()} CPUs, median of {FLAGS.runs} runs', flush=True)
  for name in FLAGS.variants:
    call, jit_compile = _VARIANTS[name]
    # Swapped in before tracing: the traced graph keeps the chosen ops.
    forward = tf.function(lambda x: model(x, training=False),
                          jit_compile=jit_compile)
    with mock.patch.object(batch_norm.BatchNorm, 'call', call):
      median, seconds = timing.median_seconds(
          lambda: forward(images).numpy(), FLAGS.warmup_runs, FLAGS.runs)
    print(timing.report(name, median, seconds), flush=True)


if __name__ == '__main__':
  cli.run(main)
