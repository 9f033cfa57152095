"""mIoU of a model over an eval split, and the metrics file and summaries.

Predictions are made on the padded eval image, as the original does (padding
takes part in image pooling and in the multi-scale sizes), and only each
image's valid top-left `height` x `width` region counts.
"""

import json
import math
import os

import tensorflow as tf

from official.evaluator import inference
from official.ops import mean_iou

# Keys of the dataset elements used here ('filename', a string, stays on the
# host: it is not distributed to the replicas).
_KEYS = ('image', 'label', 'height', 'width')


def _valid_labels(batch, ignore_label):
  """[B, Hp, Wp] labels with everything outside each image's size ignored."""
  labels = batch['label'][..., 0]
  rows = tf.range(tf.shape(labels)[1])[tf.newaxis, :, tf.newaxis]
  columns = tf.range(tf.shape(labels)[2])[tf.newaxis, tf.newaxis, :]
  valid = ((rows < batch['height'][:, tf.newaxis, tf.newaxis]) &
           (columns < batch['width'][:, tf.newaxis, tf.newaxis]))
  return tf.where(valid, labels, tf.cast(ignore_label, labels.dtype))


def evaluate(model, dataset, class_names, eval_scales=(1.0,),
             add_flipped_images=False, window_size=None, window_stride=None,
             ignore_label=255, strategy=None):
  """mIoU, per-class IoU and pixel accuracy of `model` over `dataset`.

  One confusion matrix accumulates over the whole split (`mean_iou.MeanIoU`);
  under a strategy each replica keeps its own and they are summed at the end.

  Args:
    model: a built model with `head_logits` and `logits_output_stride`
      (created under `strategy.scope()` when a strategy is given).
    dataset: a `tf.data.Dataset` of batches {'image': float32 [B, Hp, Wp, 3],
      'label': int32 [B, Hp, Wp, 1], 'height': int32 [B], 'width': int32 [B],
      ...}: images padded bottom/right to the eval size, `height` and `width`
      the original sizes.
    class_names: one name per class, in class order.
    eval_scales, add_flipped_images, window_size, window_stride: the
      prediction protocol, see `inference.predict`.
    ignore_label: label of pixels that do not count.
    strategy: a `tf.distribute.Strategy`, or None for the current one.

  Returns:
    {'miou': float, 'per_class_iou': {name: float}, 'pixel_accuracy': float,
    'num_images': int}; a class absent from both labels and predictions has
    IoU NaN (see `mean_iou.iou_metrics`).

  Raises:
    ValueError: if the dataset is empty.

  Example:
    >>> metrics = evaluate(model, dataset, ['background', 'cat'],
    ...                    eval_scales=(0.75, 1.0, 1.25),
    ...                    add_flipped_images=True)
    >>> sorted(metrics)
    ['miou', 'num_images', 'per_class_iou', 'pixel_accuracy']
  """
  strategy = strategy or tf.distribute.get_strategy()
  with strategy.scope():
    metric = mean_iou.MeanIoU(len(class_names), ignore_label)

  def replica_step(batch):
    predictions = inference.predict(
        model, batch['image'], eval_scales, add_flipped_images, window_size,
        window_stride)['predictions']
    metric.update_state(_valid_labels(batch, ignore_label), predictions)
    return tf.shape(predictions)[0]

  # Unpadded splits of varying image sizes: a few traces, not one per size.
  @tf.function(reduce_retracing=True)
  def step(batch):
    batch_size = strategy.run(replica_step, args=(batch,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, batch_size, axis=None)

  dataset = dataset.map(lambda element: {key: element[key] for key in _KEYS})
  num_images = 0
  for batch in strategy.experimental_distribute_dataset(dataset):
    num_images += int(step(batch))
  if not num_images:
    raise ValueError('The evaluation dataset has no images.')
  return metrics_dict(metric, class_names, num_images)


def _finite_or_none(value):
  """JSON has no NaN: an undefined IoU is written as null."""
  return None if math.isnan(value) else value


def metrics_path(eval_dir, step):
  """eval_dir/metrics-STEP.json."""
  return os.path.join(eval_dir, f'metrics-{int(step)}.json')


def write_metrics(eval_dir, step, metrics, protocol=None):
  """Writes eval_dir/metrics-STEP.json and TensorBoard scalars.

  The JSON is the contract's {"step", "miou", "per_class_iou",
  "pixel_accuracy", "num_images"}, strict JSON (NaN becomes null), written
  atomically so that a reader never sees half a file. Summaries go to
  eval_dir too: `miou`, `pixel_accuracy` and `iou/NAME` per class; NaN
  values are left out.

  Args:
    eval_dir: the folder, model_dir/eval by convention (local or any
      `tf.io.gfile` path).
    step: the checkpoint's global step.
    metrics: the dict `evaluate` returns.
    protocol: `protocol.describe(...)` of the evaluation, recorded as the
      file's "protocol".

  Returns:
    The path of the JSON file.

  Example:
    >>> write_metrics('/tmp/run/eval', 30000, evaluate(model, dataset, names))
    '/tmp/run/eval/metrics-30000.json'
  """
  tf.io.gfile.makedirs(eval_dir)
  record = {
      'step': int(step),
      'miou': _finite_or_none(metrics['miou']),
      'per_class_iou': {name: _finite_or_none(iou)
                        for name, iou in metrics['per_class_iou'].items()},
      'pixel_accuracy': _finite_or_none(metrics['pixel_accuracy']),
      'num_images': int(metrics['num_images']),
  }
  if protocol is not None:
    record['protocol'] = protocol
  path = metrics_path(eval_dir, step)
  with tf.io.gfile.GFile(path + '.tmp', 'w') as f:
    json.dump(record, f, indent=2, allow_nan=False)
  tf.io.gfile.rename(path + '.tmp', path, overwrite=True)

  scalars = {'miou': metrics['miou'],
             'pixel_accuracy': metrics['pixel_accuracy']}
  scalars.update({f'iou/{name}': iou
                  for name, iou in metrics['per_class_iou'].items()})
  writer = tf.summary.create_file_writer(eval_dir)
  with writer.as_default(step=int(step)):
    for tag, value in scalars.items():
      if not math.isnan(value):
        tf.summary.scalar(tag, value)
  writer.close()
  return path


def metrics_dict(metric, class_names, num_images):
  """The metrics file's fields of a mean-IoU metric that saw `num_images`."""
  result = metric.result()
  return {
      'miou': float(result['miou']),
      'per_class_iou': dict(zip(class_names,
                                result['per_class_iou'].numpy().tolist())),
      'pixel_accuracy': float(result['pixel_accuracy']),
      'num_images': num_images,
  }
