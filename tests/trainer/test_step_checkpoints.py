"""The train binary set up to compare its steps with the original's.

Dropout 0, no random scaling, crops the size of the images, left-right
symmetric images (the random flip changes nothing), all weights from
--checkpoint, deterministic ops and input, a checkpoint per step: ckpt-N
then holds the weights after step N of a known batch.
"""

import os

import gin
import numpy as np
import tensorflow as tf

from official.data import pipeline
from official.model import builder
from official.trainer import gradient_multipliers
from official.trainer import loss
from official.trainer import momentum
from tests import fixtures

_SIZE = 33
_BASE_RATE = 0.05
_WEIGHT_DECAY = 4e-5


def _symmetric_examples():
  """Two (image, labels) pairs equal to their mirror images."""
  rng = np.random.default_rng(0)
  examples = []
  for index in range(2):
    half = _SIZE // 2 + 1
    image = rng.integers(0, 256, (_SIZE, half, 3), dtype=np.uint8)
    labels = rng.integers(0, 4, (_SIZE, half), dtype=np.uint8)
    labels[index::5] = 255
    examples.append(tuple(np.concatenate([a, a[:, -2::-1]], axis=1)
                          for a in (image, labels)))
  return examples


def _bindings(data_dir):
  return fixtures.TINY_MODEL_BINDINGS + [
      f"DATA_DIR = '{data_dir}'",
      f'CROP_SIZE = [{_SIZE}, {_SIZE}]',
      'BATCH_SIZE = 2',
      'TRAIN_STEPS = 2',
      f'learning_rate_schedule.base_learning_rate = {_BASE_RATE}',
      f'weight_decay_loss.weight_decay = {_WEIGHT_DECAY}',
      'DeepLab.dropout_rate = 0.0',
      'train_dataset.min_scale_factor = 1.0',
      'train_dataset.max_scale_factor = 1.0',
      "train.init_mode = 'all'",
      'train.deterministic_ops = True',
      'train_dataset.deterministic = True',
      'train_dataset.seed = 0',
      'train.checkpoint_every_n_steps = 1',
  ]


def _moving_statistics(model):
  return [variable for variable in model.non_trainable_variables
          if variable.name in ('moving_mean', 'moving_variance')]


class StepCheckpointsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    gin.clear_config()
    self.addCleanup(gin.clear_config)

  def _restore(self, model, optimizer, path):
    tf.train.Checkpoint(model=model, optimizer=optimizer).read(
        path).assert_existing_objects_matched().expect_partial()
    return ([variable.numpy() for variable in model.trainable_variables],
            [variable.numpy() for variable in optimizer.accumulators],
            [variable.numpy() for variable in _moving_statistics(model)])

  def test_checkpoints_hold_the_weights_after_each_step(self):
    root = self.get_temp_dir()
    examples = _symmetric_examples()
    data_dir = os.path.join(root, 'tfrecords')
    fixtures.write_split(data_dir, 'train_aug', [
        (f'image{index}', fixtures.png_bytes(image), labels)
        for index, (image, labels) in enumerate(examples)])
    gin.parse_config_files_and_bindings([fixtures.QUICKSTART],
                                        _bindings(data_dir))
    # The batch is the two images as they are.
    batch = next(iter(pipeline.train_dataset()))
    images = np.stack([image for image, _ in examples]).astype(np.float32)
    labels = np.stack([labels for _, labels in examples])[..., None]
    order = np.argsort(batch['image'].numpy()[:, 0, 0, 0])
    self.assertAllEqual(batch['image'].numpy()[order],
                        images[np.argsort(images[:, 0, 0, 0])])
    self.assertAllEqual(batch['label'].numpy()[order],
                        labels[np.argsort(images[:, 0, 0, 0])])

    model = builder.build_model()
    init_path = tf.train.Checkpoint(model=model).write(
        os.path.join(root, 'init', 'ckpt'))
    initial = [variable.numpy() for variable in model.trainable_variables]
    initial_statistics = [variable.numpy()
                          for variable in _moving_statistics(model)]
    model_dir = os.path.join(root, 'run')
    gin.clear_config()
    result = fixtures.run_main(
        'official.train', f'--model_dir={model_dir}',
        f'--gin_file={fixtures.QUICKSTART}', f'--checkpoint={init_path}',
        *[f'--gin_bindings={binding}' for binding in _bindings(data_dir)])
    self.assertEqual(result.returncode, 0, result.stderr)

    # As the trainer's: a rate from a callable, no variable of its own.
    optimizer = momentum.Momentum(learning_rate=lambda: 0.0)
    optimizer.build(model.trainable_variables)
    first, first_accumulators, first_statistics = self._restore(
        model, optimizer, os.path.join(model_dir, 'ckpt-1'))
    second, second_accumulators, second_statistics = self._restore(
        model, optimizer, os.path.join(model_dir, 'ckpt-2'))
    # w_n = w_{n-1} - lr(n - 1) * a_n, lr(n) = base (1 - n / 2)^0.9.
    for rate, before, after, accumulators in (
        (_BASE_RATE, initial, first, first_accumulators),
        (_BASE_RATE * 0.5 ** 0.9, first, second, second_accumulators)):
      for old, new, accumulator in zip(before, after, accumulators):
        self.assertAllClose(new, old - rate * accumulator, rtol=1e-6,
                            atol=1e-7)
    for old, new, newer in zip(initial_statistics, first_statistics,
                               second_statistics):
      self.assertNotAllEqual(old, new)
      self.assertNotAllEqual(new, newer)

    # a_1 is the first gradient (with the recipe's multipliers) of the
    # initial weights on that batch: the run started from them, saw the
    # images unchanged and dropped nothing out.
    tf.train.Checkpoint(model=model).read(init_path).expect_partial()
    with tf.GradientTape() as tape:
      logits = model(images, training=True)
      total = (loss.softmax_cross_entropy(logits, labels) +
               loss.weight_decay_loss(model, _WEIGHT_DECAY))
    gradients = tape.gradient(total, model.trainable_variables)
    multipliers = gradient_multipliers.gradient_multipliers(model)
    for gradient, multiplier, accumulator, variable in zip(
        gradients, multipliers, first_accumulators,
        model.trainable_variables):
      self.assertAllClose(gradient * multiplier, accumulator, rtol=1e-3,
                          atol=1e-6, msg=variable.path)


if __name__ == '__main__':
  tf.test.main()
