r"""Evaluates DeepLab checkpoints: mIoU over the eval split of the experiment.

Writes DIR/eval/metrics-STEP.json (or --eval_dir) ({"step", "miou", "per_class_iou",
"pixel_accuracy", "num_images", "protocol"}) and TensorBoard scalars under
DIR/eval, and prints one line per checkpoint (and on stderr a warning when
batch norm's moving statistics have seen too few steps). A metrics file of
another protocol (output stride, scales, flips, window, checkpoint) is never
overwritten: give each protocol its own --eval_dir. The experiment (model, eval split,
classes) comes from --gin_file, or else from the operative_config.gin that
training wrote into DIR.

    python -m official.eval --model_dir=runs/toy

    # The paper's best PASCAL VOC protocol: output stride 8, six scales, flips.
    python -m official.eval --model_dir=runs/voc --eval_output_stride=8 \
        --eval_scales=0.5,0.75,1.0,1.25,1.5,1.75 --add_flipped_images

    # Beside training: each new checkpoint once, up to train.train_steps.
    python -m official.eval --model_dir=runs/voc --continuous

    # A converted reference checkpoint; metrics go to /ckpt/converted/eval.
    python -m official.eval --checkpoint=/ckpt/converted \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin
"""

import os
import re
import sys

from absl import flags
from absl import logging
import gin
import tensorflow as tf

from official import cli
from official import operative_config
from official.data import catalog
from official.data import pipeline
from official.data import tfrecord
from official.evaluator import evaluate
from official.evaluator import protocol
from official.model import checkpoint
from official.trainer import batch_norm_warmup

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
                    'DIR/eval, or with --checkpoint alone the eval folder '
                    'beside the checkpoint. Each protocol needs its own (e.g. '
                    'DIR/eval_ms): a metrics file of another protocol is '
                    'never overwritten.')
cli.define_eval_protocol_flags()
cli.define_window_flags()

FLAGS = flags.FLAGS

# '{{function_node ...}} Error in user-defined function passed to ...
# transformation with iterator: Iterator::...: ' before the message itself.
_TF_ERROR_PREAMBLE = re.compile(
    r'^(\{\{[^}]*\}\}\s*)?(Error in user-defined function.*?Iterator::\S+: )?')

def _final_step():
  """train.train_steps of the experiment, or None if it has no training."""
  try:
    return gin.get_bindings('train').get('train_steps')
  except ValueError:
    return None


def _error_summary(error):
  """A TensorFlow error's first line without the graph and tf.data preamble."""
  line = error.message.strip().splitlines()[0]
  return _TF_ERROR_PREAMBLE.sub('', line)


def _record_name(record):
  """The image name of a source's undecoded record."""
  if isinstance(record, dict):
    return record['filename'].numpy().decode('utf-8')
  return tfrecord.parse_example(record)['image/filename'].numpy().decode(
      'utf-8')


class _Evaluation:
  """The configured eval split and protocol, applied to checkpoints."""

  def __init__(self):
    self.info = catalog.dataset_info()
    try:
      reference = gin.query_parameter('eval_dataset.source')
    except ValueError:
      raise cli.UsageError('The gin config binds no eval_dataset.source: '
                           'there is no eval split.') from None
    bindings = gin.get_bindings(reference.scoped_selector)
    self.split = '{}({})'.format(reference.scoped_selector, ', '.join(
        f'{name}={value!r}' for name, value in sorted(bindings.items())))
    self.source = reference.scoped_configurable_fn()
    if not list(self.source.records().take(1)):
      raise cli.UsageError(f'The eval split {self.split} has no images.')
    self.eval_scales = cli.eval_scales()
    self.window_size, self.window_stride = cli.window()
    self.final_step = _final_step()

  def _dataset(self):
    if self.window_size:
      return pipeline.eval_dataset(source=self.source,
                                   num_classes=self.info.num_classes,
                                   keep_larger_images=True)
    return pipeline.eval_dataset(source=self.source,
                                 num_classes=self.info.num_classes)

  def _unreadable_image(self):
    """Name of the first image of the split that does not decode, or None."""
    for record in self.source.records():
      try:
        self.source.decode(record)
      except tf.errors.OpError:
        return _record_name(record)
    return None

  def __call__(self, checkpoint_path, eval_dir):
    """Evaluates one checkpoint, writes its metrics; returns its step."""
    model, checkpoint_path, step = checkpoint.restore_model(
        checkpoint_path, FLAGS.eval_output_stride)
    if model.num_classes != self.info.num_classes:
      raise ValueError(
          f'The model has {model.num_classes} classes, the dataset '
          f'{self.info.name!r} {self.info.num_classes}.')
    eval_protocol = protocol.describe(
        model.output_stride, self.eval_scales, FLAGS.add_flipped_images,
        self.window_size, self.window_stride, checkpoint_path)
    protocol.check_can_write(evaluate.metrics_path(eval_dir, step),
                             eval_protocol)
    try:
      metrics = evaluate.evaluate(
          model, self._dataset(), self.info.class_names, self.eval_scales,
          FLAGS.add_flipped_images, self.window_size, self.window_stride,
          self.info.ignore_label)
    except tf.errors.InvalidArgumentError as error:
      name = self._unreadable_image()
      problem = (f'image {name} does not decode' if name else
                 _error_summary(error))
      raise cli.UsageError(
          f'Reading the eval split {self.split}: {problem}.') from error
    path = evaluate.write_metrics(eval_dir, step, metrics, eval_protocol)
    print(f'{checkpoint_path}: mIoU {metrics["miou"]:.4f}, pixel accuracy '
          f'{metrics["pixel_accuracy"]:.4f} on {metrics["num_images"]} '
          f'images; wrote {path}', flush=True)
    for warning in batch_norm_warmup.warnings(
        model, step, batch_norm_warmup.configured_init_mode()):
      print(f'warning: {warning}', file=sys.stderr, flush=True)
    return step


def _eval_dir():
  """--eval_dir, else DIR/eval, else the eval folder beside --checkpoint."""
  if FLAGS.eval_dir:
    return FLAGS.eval_dir
  if FLAGS.model_dir:
    return os.path.join(FLAGS.model_dir, 'eval')
  return os.path.join(
      os.path.dirname(checkpoint.resolve_checkpoint(FLAGS.checkpoint)), 'eval')


def main(argv):
  cli.check_arguments(argv)
  if not (FLAGS.model_dir or FLAGS.checkpoint):
    raise cli.UsageError('Give --model_dir, or --checkpoint (with its '
                         '--gin_file).')
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
  eval_dir = cli.check_output_dir('eval_dir', _eval_dir())
  evaluation, step = None, None
  if FLAGS.gin_file:
    cli.parse_gin()
    evaluation = _Evaluation()
  for checkpoint_path in checkpoints:
    if evaluation is None:
      operative_config.parse_gin(FLAGS.model_dir, checkpoint_path)
      evaluation = _Evaluation()
    step = evaluation(checkpoint_path, eval_dir)
    if FLAGS.continuous and evaluation.final_step is not None and (
        step >= evaluation.final_step):
      logging.info('Evaluated the final step %d.', step)
      break
  if step is None:
    raise cli.UsageError(f'No checkpoint appeared in {FLAGS.model_dir} '
                         f'within {FLAGS.eval_timeout} s.')


if __name__ == '__main__':
  cli.run(main)
