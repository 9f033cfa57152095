r"""Converts a checkpoint of the original TF1 DeepLab into one of ours.

Reads a name-based checkpoint of research/deeplab (the model zoo's trained
models or its ImageNet backbones), loads it into the model the gin config
builds and writes `OUTPUT_DIR/ckpt-STEP` (a `tf.train.Checkpoint(model=...)`,
STEP the original's global step, 0 if it has none), which `official.eval`,
`official.export` and `official.train` accept as `--checkpoint`.

    python -m tools.convert_reference_checkpoint \
        --reference_checkpoint=deeplabv3_pascal_train_aug/model.ckpt \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin \
        --output_dir=/tmp/xception65_voc
    Loaded 732 of 732 model variables (41,258,213 values) from ...
    Skipped 1 training-state variables: global_step.
    Left no model variable fresh.
    Wrote /tmp/xception65_voc/ckpt-30000; pass it as --checkpoint.

An ImageNet backbone checkpoint (no ASPP, decoder or logits in it), or any
checkpoint with `--backbone_only`, loads the backbone alone and reports the
rest as fresh; `--skip_logits` loads all but the logits, for fine-tuning on
another number of classes.
"""

import os

from absl import flags
import tensorflow as tf

from official import cli
from official.model import reference_checkpoint
from official.model import builder

flags.DEFINE_string('reference_checkpoint', None,
                    'Checkpoint of the original DeepLab: prefix (model.ckpt), '
                    'its .index file, or a directory holding one.')
flags.DEFINE_string('output_dir', None, 'Where to write the converted '
                    'checkpoint.')
flags.DEFINE_bool('backbone_only', False,
                  'Load only the backbone, leaving ASPP, decoder and logits '
                  'fresh (implied for ImageNet backbone checkpoints).')
flags.DEFINE_bool('skip_logits', False,
                  'Load all but the logits, leaving them fresh (another '
                  'number of classes).')

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv, required=('reference_checkpoint', 'output_dir'))
  if not FLAGS.gin_file:
    raise cli.UsageError(
        '--gin_file is required: the experiment config of the checkpoint\'s '
        'model, e.g. gin_configs/voc/xception65_decoder_sc_os16.gin.')
  cli.parse_gin()
  model = builder.build_model()
  conversion = reference_checkpoint.load_reference_checkpoint(
      model, FLAGS.reference_checkpoint, backbone_only=FLAGS.backbone_only,
      skip_logits=FLAGS.skip_logits)
  print(conversion.summary())
  try:
    path = tf.train.Checkpoint(model=model).write(os.path.join(
        FLAGS.output_dir, f'ckpt-{conversion.global_step or 0}'))
    # The state file lets `--model_dir=OUTPUT_DIR` find it too.
    tf.compat.v1.train.update_checkpoint_state(FLAGS.output_dir, path)
  except tf.errors.OpError as error:
    raise cli.UsageError(f'--output_dir={FLAGS.output_dir}: cannot write '
                         f'there ({error.message})') from error
  print(f'Wrote {path}; pass it as --checkpoint.')


if __name__ == '__main__':
  cli.run(main)
