r"""Evaluates DeepLab checkpoints: mIoU over the eval split of the experiment.

Writes DIR/eval/metrics-STEP.json (or --eval_dir) ({"step", "miou", "per_class_iou",
"pixel_accuracy", "num_images"}) and TensorBoard scalars under DIR/eval,
and prints one line per checkpoint. The experiment (model, eval split,
classes) comes from --gin_file, or else from the operative_config.gin that
training wrote into DIR.

    python -m official.eval --model_dir=runs/toy

    # The paper's best PASCAL VOC protocol: output stride 8, six scales, flips.
    python -m official.eval --model_dir=runs/voc --eval_output_stride=8 \
        --eval_scales=0.5,0.75,1.0,1.25,1.5,1.75 --add_flipped_images

    # Beside training: each new checkpoint once, up to train.train_steps.
    python -m official.eval --model_dir=runs/voc --continuous

    # A converted reference checkpoint; metrics go to runs/zoo/eval.
    python -m official.eval --model_dir=runs/zoo --checkpoint=/ckpt/converted \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin
"""

import os

from absl import flags
from absl import logging
import tensorflow as tf

from official import cli
from official import experiment
from official.data import catalog
from official.evaluator import evaluator as evaluator_lib
from official.model import checkpoint

flags.DEFINE_string('model_dir', None,
                    'The training directory: its newest checkpoint is '
                    'evaluated and the metrics go to DIR/eval.')
flags.DEFINE_string('checkpoint', None,
                    'Evaluate this checkpoint (a prefix, or a folder for its '
                    'newest) instead of the newest in --model_dir.')
flags.DEFINE_bool('continuous', False,
                  'Evaluate each new checkpoint in --model_dir once as '
                  'training writes it, until the final step '
                  '(train.train_steps) or --eval_timeout.')
flags.DEFINE_integer('eval_timeout', 3600,
                     'With --continuous: stop when no new checkpoint has '
                     'appeared for this many seconds.', lower_bound=1)
flags.DEFINE_string('eval_dir', None,
                    'Where the metrics files and summaries go; default '
                    'DIR/eval. Give each protocol its own (e.g. DIR/eval_ms) '
                    'to keep their results apart.')
cli.define_eval_protocol_flags()
cli.define_window_flags()

FLAGS = flags.FLAGS


def _evaluator():
  """The configured eval split under the protocol of the flags."""
  source, split_name = experiment.eval_source()
  window_size, window_stride = cli.window()
  return evaluator_lib.Evaluator(
      source, catalog.dataset_info(),
      FLAGS.eval_dir or os.path.join(FLAGS.model_dir, 'eval'), split_name,
      cli.eval_scales(), FLAGS.add_flipped_images, window_size, window_stride)


def main(argv):
  cli.check_arguments(argv, required=('model_dir',))
  if FLAGS.continuous:
    if FLAGS.checkpoint:
      raise cli.UsageError('--continuous evaluates the checkpoints of '
                           '--model_dir; it takes no --checkpoint.')
    # Training creates the folder and writes its config before the first
    # checkpoint: both are awaited.
    checkpoints = tf.train.checkpoints_iterator(FLAGS.model_dir,
                                                timeout=FLAGS.eval_timeout)
  else:
    if not FLAGS.checkpoint and not tf.io.gfile.isdir(FLAGS.model_dir):
      raise cli.UsageError(f'--model_dir {FLAGS.model_dir}: no such folder.')
    checkpoints = [checkpoint.resolve_checkpoint(FLAGS.checkpoint or
                                                 FLAGS.model_dir)]
  evaluator, step = None, None
  if FLAGS.gin_file:
    cli.parse_gin()
    evaluator, final_step = _evaluator(), experiment.final_step()
  for checkpoint_path in checkpoints:
    if evaluator is None:
      cli.parse_run_gin(FLAGS.model_dir, checkpoint_path)
      evaluator, final_step = _evaluator(), experiment.final_step()
    evaluation = evaluator.evaluate_checkpoint(checkpoint_path,
                                               FLAGS.eval_output_stride)
    metrics, step = evaluation.metrics, evaluation.step
    print(f'{evaluation.checkpoint_path}: mIoU {metrics["miou"]:.4f}, pixel '
          f'accuracy {metrics["pixel_accuracy"]:.4f} on '
          f'{metrics["num_images"]} images; wrote {evaluation.metrics_path}',
          flush=True)
    if FLAGS.continuous and final_step is not None and step >= final_step:
      logging.info('Evaluated the final step %d.', step)
      break
  if step is None:
    raise cli.UsageError(f'No checkpoint appeared in {FLAGS.model_dir} '
                         f'within {FLAGS.eval_timeout} s.')


if __name__ == '__main__':
  cli.run(main)
