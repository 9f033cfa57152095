"""One eval split under one protocol, applied to models and checkpoints.

`official.eval` scores checkpoints with it and `official.train
--mode=train_and_eval` the model it trains; both leave
eval_dir/metrics-STEP.json and TensorBoard scalars (`evaluate.write_metrics`).
"""

import dataclasses
import re
from typing import Any, Dict

import tensorflow as tf

from official.data import pipeline
from official.data import tfrecord
from official.evaluator import evaluate
from official.model import checkpoint

# '{{function_node ...}} Error in user-defined function passed to ...
# transformation with iterator: Iterator::...: ' before the message itself.
_TF_ERROR_PREAMBLE = re.compile(
    r'^(\{\{[^}]*\}\}\s*)?(Error in user-defined function.*?Iterator::\S+: )?')


@dataclasses.dataclass
class Evaluation:
  """The result of evaluating one model.

  Attributes:
    step: the model's global step.
    metrics: what `evaluate.evaluate` returns.
    metrics_path: the metrics-STEP.json written, or None on a worker that
      does not write.
    checkpoint_path: the checkpoint evaluated, or None for a model in memory.
  """
  step: int
  metrics: Dict[str, Any]
  metrics_path: str = None
  checkpoint_path: str = None


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


class Evaluator:
  """mIoU of models over one eval split, written to `eval_dir` per step.

  Example:
    >>> evaluator = Evaluator(source, catalog.dataset_info(), 'runs/toy/eval')
    >>> evaluator.evaluate_checkpoint('runs/toy').metrics['miou']
    0.62
  """

  def __init__(self, source, info, eval_dir, split_name='eval split',
               eval_scales=(1.0,), add_flipped_images=False, window_size=None,
               window_stride=None, strategy=None):
    """Checks that the split has images.

    Args:
      source: the eval split (see `pipeline`).
      info: the dataset's `DatasetInfo` (classes, ignore label).
      eval_dir: where metrics-STEP.json and the summaries go.
      split_name: how errors name the split.
      eval_scales, add_flipped_images, window_size, window_stride: the
        prediction protocol, see `inference.predict`; with a window, images
        larger than the eval crop size are let through.
      strategy: a `tf.distribute.Strategy`, or None for the current one;
        only the chief writes.

    Raises:
      ValueError: if the split has no images.
    """
    if not list(source.records().take(1)):
      raise ValueError(f'The eval split {split_name} has no images.')
    self.source = source
    self.info = info
    self.eval_dir = eval_dir
    self.split_name = split_name
    self.eval_scales = eval_scales
    self.add_flipped_images = add_flipped_images
    self.window_size = window_size
    self.window_stride = window_stride
    self.strategy = strategy or tf.distribute.get_strategy()

  def _unreadable_image(self):
    """Name of the first image of the split that does not decode, or None."""
    for record in self.source.records():
      try:
        self.source.decode(record)
      except tf.errors.OpError:
        return _record_name(record)
    return None

  def evaluate_model(self, model, step):
    """Evaluates a built model and writes its metrics as step `step`.

    Raises:
      ValueError: if the model's and dataset's class counts differ, or the
        split cannot be read (naming the image that does not decode).
    """
    if model.num_classes != self.info.num_classes:
      raise ValueError(
          f'The model has {model.num_classes} classes, the dataset '
          f'{self.info.name!r} {self.info.num_classes}.')
    dataset = pipeline.eval_dataset(
        source=self.source, keep_larger_images=bool(self.window_size))
    try:
      metrics = evaluate.evaluate(
          model, dataset, self.info.class_names, self.eval_scales,
          self.add_flipped_images, self.window_size, self.window_stride,
          self.info.ignore_label, self.strategy)
    except tf.errors.InvalidArgumentError as error:
      name = self._unreadable_image()
      problem = (f'image {name} does not decode' if name else
                 _error_summary(error))
      raise ValueError(
          f'Reading the eval split {self.split_name}: {problem}.') from error
    path = None
    if self.strategy.extended.should_checkpoint:
      path = evaluate.write_metrics(self.eval_dir, step, metrics)
    return Evaluation(step, metrics, path)

  def evaluate_checkpoint(self, checkpoint_path, output_stride=None):
    """Restores the configured model from a checkpoint and evaluates it.

    Args:
      checkpoint_path: a checkpoint prefix, or a folder for its newest.
      output_stride: evaluate at this output stride instead of the
        configured one.
    """
    model, checkpoint_path, step = checkpoint.restore_model(checkpoint_path,
                                                            output_stride)
    evaluation = self.evaluate_model(model, step)
    evaluation.checkpoint_path = checkpoint_path
    return evaluation
