"""The training loop: the original DeepLab recipe over tf.distribute.

A custom loop (Keras' `fit` does not run under MultiWorkerMirroredStrategy):
per step, each replica computes its share of the loss (`loss`), the
gradients with the recipe's multipliers (`gradient_multipliers`), and TF1's
momentum rule (`momentum`) applies their sum. Batch norm is synchronised across replicas
when there are several, so N replicas train as one replica with the same
global batch.

State lives in a `tf.train.Checkpoint` of model, optimizer, global step,
input iterator and dropout generator states, saved every N steps and at the
end; a run resumes from the newest checkpoint in model_dir by itself and
then continues exactly as an uninterrupted run would (with deterministic ops
and input). Under MultiWorkerMirroredStrategy every worker keeps its own
checkpoints (its iterator position differs): the chief's in model_dir, the
others' in model_dir/workers/. A NaN or infinite loss stops the run before
anything poisoned is saved. While a run trains, its chief holds
model_dir/train.lock (`model_dir_lock`): a second trainer on the same
model_dir refuses to start. What a crash leaves (an interrupted save, a
checkpoint cut short by a full disk) is dealt with on resume
(`checkpoint_recovery`).

TensorBoard events go to model_dir/train: loss, total_loss, weight_decay,
learning_rate, pixel_accuracy and miou of the training batches since the
previous summary, images_per_second, and images of the input, ground truth
and prediction in the dataset's colours. The gin config is written to
model_dir/operative_config.gin.
"""

import dataclasses
import math
import os
import time
from typing import Dict

from absl import logging
import gin
import keras
import numpy as np
import tensorflow as tf

from official.ops import setting_checks
from official.data import catalog
from official.data import pipeline
from official.ops import mean_iou
from official.model import builder
from official.model import batch_norm_warmup
from official.trainer import checkpoint_recovery
from official.trainer import gradient_multipliers as multipliers_lib
from official.model import checkpoint as checkpoint_lib
from official.trainer import learning_rate as learning_rate_lib
from official.trainer import loss as loss_lib
from official.trainer import model_dir_lock
from official.trainer import momentum as momentum_lib
from official.trainer import summaries

# Keras mixed precision policies; the logits and the loss stay float32.
MIXED_PRECISION_POLICIES = {
    None: 'float32',
    'bfloat16': 'mixed_bfloat16',
    'float16': 'mixed_float16',
}


class NonFiniteLossError(RuntimeError):
  """The loss became NaN or infinite; the run stopped without saving."""


@dataclasses.dataclass
class TrainingResult:
  """What `train` leaves behind besides model_dir.

  Attributes:
    model: the trained model.
    step: the global step reached.
    losses: {step: data loss of the global batch} of the steps this call
      ran (not those restored from a checkpoint).
  """
  model: keras.Model
  step: int
  losses: Dict[int, float]


def _worker_index(strategy):
  """This machine's index among the workers (0 without a cluster)."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or resolver.task_type in (None, 'chief'):
    return 0
  has_chief = 'chief' in resolver.cluster_spec().as_dict()
  return resolver.task_id + int(has_chief)


class _Input:
  """Per-replica training batches from a checkpointable tf.data iterator.

  Each worker runs one input pipeline and deals its consecutive batches to
  its replicas, as `distribute_datasets_from_function` does; unlike that
  function's iterators, this one's position can be checkpointed.
  """

  def __init__(self, strategy, dataset_fn):
    self._strategy = strategy
    self.num_local_replicas = len(strategy.extended.worker_devices)
    self.num_workers = (strategy.num_replicas_in_sync //
                        self.num_local_replicas)
    context = tf.distribute.InputContext(
        num_input_pipelines=self.num_workers,
        input_pipeline_id=_worker_index(strategy),
        num_replicas_in_sync=strategy.num_replicas_in_sync)
    self.iterator = iter(dataset_fn(context))

  def next(self):
    batches = [next(self.iterator) for _ in range(self.num_local_replicas)]
    return self._strategy.experimental_distribute_values_from_function(
        lambda context: batches[context.replica_id_in_sync_group %
                                self.num_local_replicas])


def _checkpoint_dir(model_dir, strategy):
  if strategy.extended.should_checkpoint:
    return model_dir
  resolver = strategy.cluster_resolver
  return os.path.join(model_dir, 'workers',
                      f'{resolver.task_type}_{resolver.task_id}')


def _checkpoint_number(path):
  return int(path.rsplit('-', 1)[1]) if path else 0


def _checkpoint_to_resume(manager, strategy, num_workers):
  """The newest checkpoint that every worker has, or None.

  Workers save at the same steps, but a kill can land between their saves;
  all must resume from the same step.
  """
  latest = manager.latest_checkpoint
  if num_workers == 1:
    return latest
  number = _checkpoint_number(latest)
  numbers = strategy.gather(
      strategy.run(lambda: tf.constant([number], tf.int64)), axis=0)
  common = int(tf.reduce_min(numbers))
  if common == number:
    return latest
  for path in manager.checkpoints:
    if _checkpoint_number(path) == common:
      return path
  raise ValueError(
      f'The workers\' newest checkpoints are at steps '
      f'{sorted(set(numbers.numpy().tolist()))} and {manager.directory} no '
      f'longer has step {common}; restart from a clean model_dir.')


def _check_crop_size(element_spec, output_stride):
  """Training crops must give features larger than 1x1 at the output stride.

  At 1x1 per image the atrous branches see only their zero padding, and
  training ends in NaN.
  """
  height, width = element_spec['image'].shape[1:3]
  minimum = output_stride + 1
  if None not in (height, width) and min(height, width) < minimum:
    raise setting_checks.SettingError(
        'train_dataset.crop_size',
        f'[{height}, {width}] is too small for output stride {output_stride}: '
        f'each side must be at least {minimum}.')


def _first_line(error):
  message = getattr(error, 'message', None) or str(error)
  return message.strip().splitlines()[0]


def _all_finite(variables):
  # On the host: an eager check per variable cost 0.5 ms each, a quarter
  # of a small model's checkpoint save.
  return all(np.isfinite(variable.numpy()).all() for variable in variables
             if tf.as_dtype(variable.dtype).is_floating)


def _write_operative_config(model_dir):
  with tf.io.gfile.GFile(os.path.join(model_dir, 'operative_config.gin'),
                         'w') as f:
    f.write(gin.config_str())


@gin.configurable(denylist=['model_dir', 'strategy', 'dataset_fn',
                            'after_checkpoint'])
def train(model_dir,
          strategy=None,
          train_steps=gin.REQUIRED,
          checkpoint_every_n_steps=1000,
          max_checkpoints_to_keep=5,
          summary_every_n_steps=100,
          image_summary_every_n_steps=1000,
          momentum=0.9,
          mixed_precision=None,
          jit_compile=False,
          sync_batch_norm=True,
          init_checkpoint=None,
          init_mode='all',
          seed=None,
          deterministic_ops=False,
          dataset_fn=None,
          after_checkpoint=None):
  """Trains the gin-configured model, resuming from model_dir if it can.

  Args:
    model_dir: where checkpoints, TensorBoard events and the config go.
    strategy: a `tf.distribute.Strategy`; None for the current one.
    train_steps: the length of the run in global steps (TRAIN_STEPS).
    checkpoint_every_n_steps: save every this many steps (and at the end).
    max_checkpoints_to_keep: older checkpoints are deleted.
    summary_every_n_steps: scalar summaries every this many steps.
    image_summary_every_n_steps: image summaries every this many steps.
    momentum: the momentum of `momentum.Momentum` (the original: 0.9).
    mixed_precision: None, 'bfloat16' or 'float16' (with loss scaling).
    jit_compile: compile the training step with XLA (TPUs always do).
    sync_batch_norm: synchronise batch statistics across replicas when
      there are several.
    init_checkpoint: a checkpoint (or folder) to initialise from when
      model_dir has none, e.g. an ImageNet backbone or another run.
    init_mode: 'backbone', 'all_but_logits' or 'all', see
      `checkpoint_lib.MODES`.
    seed: seeds weights, dropout and Python/NumPy randomness; None draws.
    deterministic_ops: make TensorFlow ops deterministic (with a seeded,
      deterministic input pipeline, a resumed run then ends exactly as an
      uninterrupted one).
    dataset_fn: `tf.distribute.InputContext` -> per-replica batches
      {'image': float32 [B, H, W, 3], 'label': int32 [B, H, W, 1]}; default
      the gin-configured `pipeline.train_dataset`.
    after_checkpoint: called as after_checkpoint(model, step) after each
      save, on every worker (e.g. to evaluate).

  Returns:
    A `TrainingResult`.

  Raises:
    NonFiniteLossError: if the loss becomes NaN or infinite.
    ValueError: if the model and dataset disagree on the number of classes,
      or a setting is unknown.

  Example:
    >>> gin.parse_config_files_and_bindings(
    ...     ['gin_configs/toy/quickstart.gin'], ['TRAIN_STEPS = 10'])
    >>> result = train('/tmp/toy_run',
    ...                tf.distribute.OneDeviceStrategy('/cpu:0'))
    >>> result.step
    10
  """
  if mixed_precision not in MIXED_PRECISION_POLICIES:
    raise ValueError(f'Unknown mixed_precision {mixed_precision!r}; choose '
                     'None, \'bfloat16\' or \'float16\'.')
  train_steps = setting_checks.positive_int(train_steps, 'train.train_steps')
  strategy = strategy or tf.distribute.get_strategy()
  with model_dir_lock.hold(model_dir, strategy.extended.should_checkpoint):
    info = catalog.dataset_info()
    if seed is not None:
      keras.utils.set_random_seed(seed)
    if deterministic_ops:
      tf.config.experimental.enable_op_determinism()
    previous_policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(
        MIXED_PRECISION_POLICIES[mixed_precision])
    try:
      with strategy.scope():
        model = builder.build_model(
            sync_batch_norm=sync_batch_norm and
            strategy.num_replicas_in_sync > 1)
    finally:
      keras.mixed_precision.set_global_policy(previous_policy)
    if model.num_classes != info.num_classes:
      raise ValueError(
          f'The model has {model.num_classes} classes, the dataset '
          f'{info.name!r} {info.num_classes}; set NUM_CLASSES to match.')
    loop = _TrainingLoop(model_dir, strategy, model, info, train_steps,
                         momentum, mixed_precision == 'float16', jit_compile,
                         dataset_fn or (lambda context: pipeline.train_dataset(
                             input_context=context)),
                         max_checkpoints_to_keep)
    loop.restore_or_initialize(init_checkpoint, init_mode)
    result = loop.run(checkpoint_every_n_steps, summary_every_n_steps,
                      image_summary_every_n_steps, after_checkpoint)
  for warning in batch_norm_warmup.warnings(
      model, result.step, init_mode if init_checkpoint else None):
    logging.warning('%s', warning)
  return result


class _TrainingLoop:
  """The state of one training run and its step function."""

  def __init__(self, model_dir, strategy, model, info, train_steps, momentum,
               loss_scaling, jit_compile, dataset_fn, max_checkpoints_to_keep):
    self.model_dir = model_dir
    self.strategy = strategy
    self.model = model
    self.info = info
    self.train_steps = train_steps
    self.is_chief = strategy.extended.should_checkpoint
    with strategy.scope():
      self.step = tf.Variable(0, dtype=tf.int64, trainable=False,
                              name='global_step')
      self.schedule = learning_rate_lib.learning_rate_schedule(train_steps)
      # The rate of the step before its increment, as the original's
      # polynomial_decay(global_step): step 1 runs at schedule(0).
      optimizer = momentum_lib.Momentum(
          learning_rate=lambda: self.schedule(self.step), momentum=momentum)
      if loss_scaling:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
      # Built here, in the scope: a first build inside the step would
      # create the slots in a replica context.
      optimizer.build(model.trainable_variables)
      self.optimizer = optimizer
      self.metric = mean_iou.MeanIoU(info.num_classes, info.ignore_label)
    self.multipliers = multipliers_lib.gradient_multipliers(model)
    self.input = _Input(strategy, dataset_fn)
    _check_crop_size(self.input.iterator.element_spec, model.output_stride)
    # Keras does not track the random generators' states (dropout) as
    # checkpoint dependencies; a resumed run needs them to draw as an
    # uninterrupted one.
    weights = {id(variable) for variable in model.weights}
    self.checkpoint = tf.train.Checkpoint(
        model=model, optimizer=optimizer, step=self.step,
        iterator=self.input.iterator,
        seed_states=[variable for variable in model.variables
                     if id(variable) not in weights])
    self.max_checkpoints_to_keep = max_checkpoints_to_keep
    self.manager = self._checkpoint_manager()
    # No tensor-dependent Python control flow: autograph would only add
    # its conversion to every trace.
    self.train_step = tf.function(self._train_step, jit_compile=jit_compile,
                                  autograph=False)

  def _replica_step(self, batch):
    images, labels = batch['image'], batch['label']
    variables = self.model.trainable_variables
    with tf.GradientTape() as tape:
      logits = self.model(images, training=True)
      data_loss = loss_lib.softmax_cross_entropy(
          logits, labels, ignore_label=self.info.ignore_label, step=self.step)
      regularization = loss_lib.weight_decay_loss(self.model)
      scaled_loss = self.optimizer.scale_loss(data_loss + regularization)
    gradients = tape.gradient(scaled_loss, variables)
    gradients = [gradient if multiplier == 1.0 else gradient * multiplier
                 for gradient, multiplier in zip(gradients, self.multipliers)]
    self.optimizer.apply_gradients(zip(gradients, variables))
    predictions = tf.argmax(logits, -1, output_type=tf.int32)
    self.metric.update_state(labels, predictions)
    return data_loss, regularization, predictions

  def _train_step(self, batch):
    data_loss, regularization, predictions = self.strategy.run(
        self._replica_step, args=(batch,))
    self.step.assign_add(1)
    # The replicas' shares add up to the global batch's values.
    return {'loss': self.strategy.reduce('SUM', data_loss, axis=None),
            'weight_decay': self.strategy.reduce('SUM', regularization,
                                                 axis=None),
            'predictions': predictions}

  def _checkpoint_manager(self):
    return tf.train.CheckpointManager(
        self.checkpoint, _checkpoint_dir(self.model_dir, self.strategy),
        max_to_keep=self.max_checkpoints_to_keep)

  def _restore(self, path):
    """Restores checkpoint `path`; False if its files are unreadable."""
    try:
      self.checkpoint.restore(path).assert_existing_objects_matched()
    except (tf.errors.OpError, AssertionError, ValueError,
            IndexError) as error:
      if self.input.num_workers == 1 and not (
          checkpoint_recovery.is_readable(path)):
        return False
      raise ValueError(
          f'Cannot resume from {path} (another configuration, or the data '
          f'moved?): {_first_line(error)}') from error
    return True

  def restore_or_initialize(self, init_checkpoint, init_mode):
    """Resumes from the newest checkpoint, else initialises from another.

    Unreadable checkpoints (a full disk) are set aside, see
    `checkpoint_recovery`; one worker alone falls back, since all workers
    must resume from the same step.
    """
    checkpoint_recovery.remove_temp_folders(self.manager.directory)
    path = _checkpoint_to_resume(self.manager, self.strategy,
                                 self.input.num_workers)
    while path and not self._restore(path):
      checkpoint_recovery.set_aside(path, self.manager.checkpoints)
      self.manager = self._checkpoint_manager()
      path = self.manager.latest_checkpoint
    if path:
      momentum_lib.restore_keras_sgd_velocities(
          self.optimizer, path, self.schedule(self.step - 1))
      logging.info('Resumed from %s at step %d.', path, int(self.step.numpy()))
    elif init_checkpoint:
      report = checkpoint_lib.initialize_from_checkpoint(
          self.model, init_checkpoint, init_mode)
      logging.info('Initialised from %s (mode %s): %s.', init_checkpoint,
                   init_mode, report)

  def _save(self, step, after_checkpoint):
    if not _all_finite(self.model.weights + self.optimizer.variables):
      raise NonFiniteLossError(
          f'A weight became NaN or infinite at step {step}; stopped without '
          f'saving (newest checkpoint: {self.manager.latest_checkpoint}).')
    self.manager.save(checkpoint_number=step)
    if after_checkpoint:
      after_checkpoint(self.model, step)

  def run(self, checkpoint_every_n_steps, summary_every_n_steps,
          image_summary_every_n_steps, after_checkpoint):
    step = int(self.step.numpy())
    if step >= self.train_steps:
      logging.info('Already trained to step %d of %d.', step,
                   self.train_steps)
      return TrainingResult(self.model, step, {})
    tf.io.gfile.makedirs(self.model_dir)
    if self.is_chief:
      _write_operative_config(self.model_dir)
      writer = tf.summary.create_file_writer(
          os.path.join(self.model_dir, 'train'))
    else:
      writer = tf.summary.create_noop_writer()
    losses = {}
    interval = _Interval(start=None)
    with writer.as_default():
      while step < self.train_steps:
        batch = self.input.next()
        outputs = self.train_step(batch)
        step += 1
        loss = float(outputs['loss'])
        if not math.isfinite(loss):
          raise NonFiniteLossError(
              f'The loss is {loss} at step {step}; stopped without saving '
              f'(newest checkpoint: {self.manager.latest_checkpoint}). Lower '
              'the learning rate or check the labels.')
        losses[step] = loss
        interval.add(loss, float(outputs['weight_decay']),
                     self._num_images(batch))
        last = step == self.train_steps
        if step % summary_every_n_steps == 0 or last:
          self._write_scalars(step, interval)
          interval = _Interval(start=time.perf_counter())
        if step % image_summary_every_n_steps == 0 or last:
          self._write_images(step, batch, outputs['predictions'])
        if step % checkpoint_every_n_steps == 0 or last:
          self._save(step, after_checkpoint)
      writer.flush()
    return TrainingResult(self.model, step, losses)

  def _num_images(self, batch):
    local = self.strategy.experimental_local_results(batch['image'])
    return sum(int(images.shape[0]) for images in local) * (
        self.input.num_workers)

  def _write_scalars(self, step, interval):
    metrics = self.metric.result()
    self.metric.reset_state()
    scalars = interval.means()
    scalars.update({
        # The rate of the next step.
        'learning_rate': float(self.schedule(step)),
        'pixel_accuracy': float(metrics['pixel_accuracy']),
        'miou': float(metrics['miou']),
    })
    summaries.write_scalars(scalars, step)
    logging.info('step %d/%d: loss %.4f, lr %.6f, train mIoU %.3f, '
                 '%.1f images/s', step, self.train_steps, scalars['loss'],
                 scalars['learning_rate'], scalars['miou'],
                 scalars.get('images_per_second', float('nan')))

  def _write_images(self, step, batch, predictions):
    if not self.is_chief:
      return
    # The first local replica's batch.
    local = self.strategy.experimental_local_results
    summaries.write_segmentation_images(
        local(batch['image'])[0].numpy(), local(batch['label'])[0].numpy(),
        local(predictions)[0].numpy(), step, self.info.colormap)


class _Interval:
  """Losses and throughput since the previous summary.

  Args:
    start: when the interval began; None for the run's first, whose clock
      starts after its first step (which includes tracing).
  """

  def __init__(self, start):
    self.start = start
    self.losses = []
    self.weight_decays = []
    self.num_images = 0

  def add(self, loss, weight_decay, num_images):
    if self.start is None:
      self.start = time.perf_counter()
    else:
      self.num_images += num_images
    self.losses.append(loss)
    self.weight_decays.append(weight_decay)

  def means(self):
    loss = float(np.mean(self.losses))
    weight_decay = float(np.mean(self.weight_decays))
    scalars = {'loss': loss, 'weight_decay': weight_decay,
               'total_loss': loss + weight_decay}
    elapsed = time.perf_counter() - self.start
    if self.num_images and elapsed > 0:
      scalars['images_per_second'] = self.num_images / elapsed
    return scalars
