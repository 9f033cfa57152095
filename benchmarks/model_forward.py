r"""Seconds per 513x513 forward pass of a configured DeepLab on this machine.

Times `model(images, training=False)` in a `tf.function` (batch 1 by
default, random weights) in three variants: our batch norm (a per-channel
scale and shift at inference), Keras 3's own composed batch norm, and ours
under XLA (`jit_compile=True`). Prints the median of several runs after a
warm-up for each.

    python -m benchmarks.model_forward \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin
"""

from unittest import mock

from absl import flags
import keras
import tensorflow as tf

from benchmarks import timing
from official import cli
from official.model import batch_norm

flags.DEFINE_list('variants', ['fused_bn', 'keras_bn', 'fused_bn_xla'],
                  'Variants to time.')

_VARIANTS = {
    # name: (BatchNorm.call at inference, jit_compile)
    'fused_bn': (batch_norm.BatchNorm.call, False),
    'keras_bn': (keras.layers.BatchNormalization.call, False),
    'fused_bn_xla': (batch_norm.BatchNorm.call, True),
}


def main(argv):
  cli.check_arguments(argv)
  variants = timing.check_variants(list(_VARIANTS))
  model, images = timing.model_and_images()
  for name in variants:
    call, jit_compile = _VARIANTS[name]
    forward = tf.function(lambda x: model(x, training=False),
                          jit_compile=jit_compile)
    # Swapped in before tracing: the traced graph keeps the chosen ops.
    with mock.patch.object(batch_norm.BatchNorm, 'call', call):
      timing.time_and_report(name, lambda: forward(images).numpy())

if __name__ == '__main__':
  cli.run(main)
