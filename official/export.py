r"""Exports a trained DeepLab as a SavedModel that serves with TensorFlow alone.

The model comes from the newest checkpoint in --model_dir (or --checkpoint),
configured by --gin_file, by default the run's DIR/operative_config.gin.
The evaluation protocol (output stride, scales, flips) and the crop size
inputs are padded to are baked into the graph; batch norm is folded into
the convs.

    python -m official.export --model_dir=runs/toy --export_dir=runs/toy/export

    python -m official.export \
        --checkpoint=/tmp/xception65_voc/ckpt-30000 \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin \
        --export_dir=/tmp/xception65_voc/export --eval_output_stride=8 \
        --eval_scales=0.5,0.75,1.0,1.25,1.5,1.75 --add_flipped_images \
        --crop_size=513,513
    {"paper_madds_b": 3055.35, "executed_madds_b": ..., "params": 41055413, ...}
    Exported /tmp/xception65_voc/ckpt-30000 (step 30000) to
    /tmp/xception65_voc/export.

Signatures: `serving_default` takes `image`, uint8 [batch, H, W, 3];
`serving_bytes` takes `image_bytes`, string [batch] of JPEG or PNG files.
Both return `semantic_predictions` (int32 [batch, H, W]) and
`semantic_probabilities` (float32 [batch, H, W, classes]). The printed JSON
line is also EXPORT_DIR/assets.extra/model_info.json; multiply-adds are
counted at the crop size, or at 513x513 without one.

With TensorFlow's own CLI, on a PNG or JPEG file:

    python -c "import numpy; numpy.save('image.npy', [open('image.png', 'rb').read()])"
    saved_model_cli run --dir=runs/toy/export --tag_set=serve \
        --signature_def=serving_bytes --inputs=image_bytes=image.npy
"""

import json

from absl import flags

from official import cli
from official.data import catalog
from official.exporter import saved_model
from official.model import checkpoint as checkpoint_lib

flags.DEFINE_string('export_dir', None, 'Where to write the SavedModel.')
flags.DEFINE_string('model_dir', None,
                    'A training run: its newest checkpoint is exported and '
                    'its operative_config.gin is the default --gin_file.')
flags.DEFINE_string('checkpoint', None,
                    'A checkpoint prefix to export (instead of the newest '
                    'in --model_dir).')
cli.define_eval_protocol_flags()
flags.DEFINE_list('crop_size', None,
                  'Pad inputs to this H,W as the original export does '
                  '(larger inputs to the next k * output_stride + 1); '
                  'default: each input to its own next k * output_stride + 1.')
flags.DEFINE_bool('fold_batch_norm', True,
                  'Fold batch norm into the convs of the served graph.')
flags.DEFINE_bool('jit_compile', False,
                  'Compile the served graph with XLA (for GPUs and TPUs; '
                  'slower on CPUs).')

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv, required=('export_dir',))
  if not (FLAGS.model_dir or FLAGS.checkpoint):
    raise cli.UsageError('Give --model_dir or --checkpoint.')
  crop_size = cli.size_flag('crop_size')
  eval_scales = cli.eval_scales()
  checkpoint_path = checkpoint_lib.resolve_checkpoint(
      FLAGS.checkpoint or FLAGS.model_dir)
  cli.parse_run_gin(FLAGS.model_dir, checkpoint_path)
  model, _, step = checkpoint_lib.restore_model(checkpoint_path,
                                                FLAGS.eval_output_stride)
  class_names = catalog.dataset_info(num_classes=model.num_classes).class_names
  info = saved_model.export_saved_model(
      model, FLAGS.export_dir, class_names, eval_scales=eval_scales,
      add_flipped_images=FLAGS.add_flipped_images, crop_size=crop_size,
      fold_batch_norm=FLAGS.fold_batch_norm, jit_compile=FLAGS.jit_compile)
  print(json.dumps(info))
  print(f'Exported {checkpoint_path} (step {step}) to {FLAGS.export_dir}.')


if __name__ == '__main__':
  cli.run(main)
