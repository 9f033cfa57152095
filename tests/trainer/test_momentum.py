import os

from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from official.trainer import gradient_multipliers
from official.trainer import learning_rate
from official.trainer import loss
from official.trainer import momentum
from tests import fixtures

_BASE_RATE = 0.5
_WEIGHT_DECAY = 0.05
_LAST_LAYER_MULTIPLIER = 3.0
_STEPS = 3
_CLASSES = 3


class _LogitsOnly(keras.Model):
  """A DeepLab reduced to its logits: a 1x1 conv with a bias."""

  def __init__(self):
    super().__init__(name='logits_only')
    self.aspp = None
    self.decoder = None
    self.logits = keras.layers.Conv2D(
        _CLASSES, 1, kernel_initializer=keras.initializers.RandomNormal(
            stddev=0.5, seed=1),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=2),
        name='logits.semantic')

  def call(self, images):
    return self.logits(images)

  def regularized_weights(self):
    return [self.logits.kernel]


def _batch():
  rng = np.random.default_rng(0)
  images = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
  labels = rng.integers(0, _CLASSES, size=(4, 3, 3, 1)).astype(np.int32)
  labels[0, 0] = 255
  labels[3, :, 1] = 255
  return images, labels


def _reference_run(images, labels, kernel, bias, keras_rule=False):
  """The original's recipe in NumPy: losses and weights after each step.

  polynomial_decay at the step before its increment; softmax cross-entropy
  summed over valid pixels over their count; slim's l2_regularizer
  wd * sum(w^2) / 2 on the kernel only; gradients of the last layers times
  the multiplier, of biases twice more; tf.train.MomentumOptimizer (or, with
  `keras_rule`, Keras' SGD: v = 0.9 v - lr g, w += v).
  """
  kernel, bias = kernel.astype(np.float64), bias.astype(np.float64)
  labels = labels[..., 0]
  valid = labels != 255
  one_hot = np.eye(_CLASSES)[np.where(valid, labels, 0)] * valid[..., None]
  count = valid.sum()
  kernel_accumulator = np.zeros_like(kernel)
  bias_accumulator = np.zeros_like(bias)
  losses, kernels, biases = [], [], []
  for step in range(_STEPS):
    rate = _BASE_RATE * (1.0 - step / _STEPS) ** 0.9
    logits = images.astype(np.float64) @ kernel[0, 0] + bias
    shifted = logits - logits.max(-1, keepdims=True)
    probabilities = np.exp(shifted) / np.exp(shifted).sum(-1, keepdims=True)
    losses.append(-(np.log(probabilities) * one_hot).sum() / count)
    logits_gradient = (probabilities - one_hot) * valid[..., None] / count
    kernel_gradient = (np.einsum('bhwi,bhwc->ic', images, logits_gradient)
                       [None, None] + _WEIGHT_DECAY * kernel)
    bias_gradient = logits_gradient.sum((0, 1, 2))
    kernel_gradient *= _LAST_LAYER_MULTIPLIER
    bias_gradient *= 2 * _LAST_LAYER_MULTIPLIER
    if keras_rule:
      kernel_gradient *= rate
      bias_gradient *= rate
    kernel_accumulator = 0.9 * kernel_accumulator + kernel_gradient
    bias_accumulator = 0.9 * bias_accumulator + bias_gradient
    if keras_rule:
      kernel = kernel - kernel_accumulator
      bias = bias - bias_accumulator
    else:
      kernel = kernel - rate * kernel_accumulator
      bias = bias - rate * bias_accumulator
    kernels.append(kernel)
    biases.append(bias)
  return losses, kernels, biases


def _our_run(images, labels, strategy, loss_scaling):
  """Our recipe's pieces composed as the trainer composes them."""
  with strategy.scope():
    model = _LogitsOnly()
    model(images[:1])
    initial = [variable.numpy() for variable in model.logits.weights]
    step = tf.Variable(0, dtype=tf.int64, trainable=False)
    schedule = learning_rate.learning_rate_schedule(
        _STEPS, base_learning_rate=_BASE_RATE)
    optimizer = momentum.Momentum(learning_rate=lambda: schedule(step),
                                  momentum=0.9)
    if loss_scaling:
      optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(model.trainable_variables)
  multipliers = gradient_multipliers.gradient_multipliers(
      model, last_layer_gradient_multiplier=_LAST_LAYER_MULTIPLIER)
  dataset = strategy.experimental_distribute_dataset(
      tf.data.Dataset.from_tensor_slices((images, labels)).batch(4))
  batch = next(iter(dataset))

  def replica_step(images, labels):
    with tf.GradientTape() as tape:
      data_loss = loss.softmax_cross_entropy(model(images), labels)
      total = data_loss + loss.weight_decay_loss(model, _WEIGHT_DECAY)
      scaled = optimizer.scale_loss(total)
    gradients = tape.gradient(scaled, model.trainable_variables)
    optimizer.apply_gradients(
        [(gradient * multiplier, variable) for gradient, multiplier, variable
         in zip(gradients, multipliers, model.trainable_variables)])
    return data_loss

  @tf.function
  def train_step(batch):
    data_loss = strategy.run(replica_step, args=batch)
    step.assign_add(1)
    return strategy.reduce('SUM', data_loss, axis=None)

  losses, kernels, biases = [], [], []
  for _ in range(_STEPS):
    losses.append(float(train_step(batch)))
    kernels.append(model.logits.kernel.numpy())
    biases.append(model.logits.bias.numpy())
  return initial, losses, kernels, biases


class MomentumTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('one_device', False, False),
      ('two_replicas', True, False),
      ('loss_scaling', False, True),
  )
  def test_three_steps_equal_the_originals_recipe_in_numpy(
      self, two_replicas, loss_scaling):
    strategy = tf.distribute.OneDeviceStrategy('/cpu:0')
    if two_replicas:
      strategy = fixtures.two_cpu_strategy(self)
    images, labels = _batch()
    (kernel, bias), losses, kernels, biases = _our_run(
        images, labels, strategy, loss_scaling)
    expected = _reference_run(images, labels, kernel, bias)
    self.assertAllClose(losses, expected[0], rtol=1e-5)
    for step in range(_STEPS):
      self.assertAllClose(kernels[step], expected[1][step], rtol=1e-5,
                          atol=1e-6, msg=f'kernel after step {step + 1}')
      self.assertAllClose(biases[step], expected[2][step], rtol=1e-5,
                          atol=1e-6, msg=f'bias after step {step + 1}')
    # Keras' rule agrees at step 1 and lands elsewhere once the rate moves.
    keras_kernels = _reference_run(images, labels, kernel, bias,
                                   keras_rule=True)[1]
    self.assertAllClose(keras_kernels[0], expected[1][0])
    self.assertGreater(np.abs(keras_kernels[2] - expected[1][2]).max(), 1e-2)

  def test_keras_sgd_velocities_are_converted_on_restore(self):
    variable = tf.Variable([1.0, 2.0])
    sgd = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    for _ in range(2):
      sgd.apply_gradients([(tf.constant([1.0, -1.0]), variable)])
    path = tf.train.Checkpoint(optimizer=sgd, variable=variable).write(
        os.path.join(self.get_temp_dir(), 'sgd'))

    restored = tf.Variable([0.0, 0.0])
    optimizer = momentum.Momentum(learning_rate=0.1, momentum=0.9)
    optimizer.build([restored])
    tf.train.Checkpoint(optimizer=optimizer, variable=restored).read(
        path).assert_existing_objects_matched()
    self.assertTrue(
        momentum.restore_keras_sgd_velocities(optimizer, path, 0.1))
    # Two gradients of [1, -1]: a = 0.9 * g + g.
    self.assertAllClose(optimizer.accumulators[0], [1.9, -1.9])

    own = tf.train.Checkpoint(optimizer=optimizer).write(
        os.path.join(self.get_temp_dir(), 'own'))
    self.assertFalse(
        momentum.restore_keras_sgd_velocities(optimizer, own, 0.1))
    with self.assertRaisesRegex(ValueError, 'learning rate 0'):
      momentum.restore_keras_sgd_velocities(optimizer, path, 0.0)


if __name__ == '__main__':
  tf.test.main()
