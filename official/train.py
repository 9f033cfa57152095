r"""Trains a gin-configured DeepLab model, resuming from --model_dir.

Model, data, schedule and recipe come from the gin files (see gin_configs/);
the flags choose where and how to run. Rerunning the same command after a
crash or preemption continues from the newest checkpoint in --model_dir.
TensorBoard events go to DIR/train (and DIR/eval with train_and_eval), the
config to DIR/operative_config.gin.

    python -m official.train --model_dir=runs/toy \
        --gin_file=gin_configs/toy/quickstart.gin

    python -m official.train --model_dir=runs/voc \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin \
        --gin_bindings="DATA_DIR = '/data/voc/tfrecords'" \
        --checkpoint=/ckpt/xception65_imagenet --strategy=mirrored

Several machines: the same command on each, with the cluster in TF_CONFIG
and --strategy=multi_worker_mirrored.
"""

import os
import sys

from absl import flags
from absl import logging

from official import cli
from official import experiment
from official.data import catalog
from official.evaluator import evaluator as evaluator_lib
from official.trainer import distribution
from official.trainer import trainer

flags.DEFINE_string('model_dir', None,
                    'Where checkpoints, summaries and the config go.')
flags.DEFINE_enum('strategy', 'one_device', distribution.STRATEGIES,
                  'How to distribute the training.')
flags.DEFINE_string('tpu', None,
                    'The TPU\'s name or grpc:// address (--strategy=tpu).')
flags.DEFINE_integer('num_gpus', None,
                     'GPUs to use (one_device, mirrored); default all, 0 for '
                     'the CPU.', lower_bound=0)
flags.DEFINE_enum('mode', 'train', ['train', 'train_and_eval'],
                  'train_and_eval also evaluates on the eval split at each '
                  'checkpoint (DIR/eval/metrics-STEP.json).')
flags.DEFINE_string('checkpoint', None,
                    'Initialise from this checkpoint when --model_dir has '
                    'none (see train.init_mode); overrides '
                    'train.init_checkpoint.')

FLAGS = flags.FLAGS


def _evaluator(model_dir, strategy):
  """after_checkpoint for train_and_eval: mIoU of the eval split."""
  source, split_name = experiment.eval_source()
  evaluator = evaluator_lib.Evaluator(
      source, catalog.dataset_info(), os.path.join(model_dir, 'eval'),
      split_name, strategy=strategy)

  def evaluate_checkpoint(model, step):
    metrics = evaluator.evaluate_model(model, step).metrics
    logging.info('step %d: eval mIoU %.4f on %d images.', step,
                 metrics['miou'], metrics['num_images'])

  return evaluate_checkpoint


def main(argv):
  cli.check_arguments(argv, required=('model_dir',))
  if FLAGS.tpu is not None and FLAGS.strategy != 'tpu':
    raise cli.UsageError('--tpu needs --strategy=tpu.')
  cli.parse_gin(overrides={'train.init_checkpoint': FLAGS.checkpoint}
                if FLAGS.checkpoint else None)
  strategy = distribution.create_strategy(FLAGS.strategy, FLAGS.num_gpus,
                                          FLAGS.tpu)
  after_checkpoint = None
  if FLAGS.mode == 'train_and_eval':
    after_checkpoint = _evaluator(FLAGS.model_dir, strategy)
  try:
    result = trainer.train(FLAGS.model_dir, strategy,
                           after_checkpoint=after_checkpoint)
  except trainer.NonFiniteLossError as error:
    sys.exit(f'error: {error}')
  logging.info('Trained to step %d; checkpoints and TensorBoard logs in %s.',
               result.step, FLAGS.model_dir)


if __name__ == '__main__':
  cli.run(main)
