from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.trainer import loss
from tests import fixtures


def _reference_loss(logits, labels, ignore_label=255, class_weights=None,
                    top_k_fraction=1.0):
  """The original's loss in NumPy (reference §4.3)."""
  logits = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
  labels = labels.reshape(-1)
  valid = labels != ignore_label
  targets = np.where(valid, labels, 0)
  shifted = logits - logits.max(-1, keepdims=True)
  log_probabilities = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
  pixel_losses = -log_probabilities[np.arange(len(targets)), targets]
  weights = valid.astype(np.float64)
  if class_weights is not None:
    weights *= np.asarray(class_weights)[targets]
  weighted = pixel_losses * weights
  if top_k_fraction == 1.0:
    count = valid.sum()
    return weighted.sum() / count if count else 0.0
  kept = np.sort(weighted)[::-1][:int(np.float32(top_k_fraction) *
                                      np.float32(weighted.size))]
  count = np.count_nonzero(kept)
  return kept.sum() / count if count else 0.0


def _batch(seed=0, batch_size=2, size=5, num_classes=3, ignore_fraction=0.2):
  rng = np.random.default_rng(seed)
  logits = rng.normal(0, 2, (batch_size, size, size, num_classes))
  labels = rng.integers(0, num_classes, (batch_size, size, size, 1))
  labels[rng.uniform(size=labels.shape) < ignore_fraction] = 255
  return logits.astype(np.float32), labels.astype(np.int32)


class SoftmaxCrossEntropyTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('plain', {}),
      ('class_weights', dict(class_weights=[0.5, 2.0, 1.0])),
      ('top_k', dict(top_k_percent_pixels=0.3)),
      ('top_k_and_weights', dict(top_k_percent_pixels=0.5,
                                 class_weights=[0.0, 1.0, 3.0])),
  )
  def test_matches_numpy_reference(self, kwargs):
    logits, labels = _batch()
    expected = _reference_loss(
        logits, labels, class_weights=kwargs.get('class_weights'),
        top_k_fraction=kwargs.get('top_k_percent_pixels', 1.0))
    self.assertAllClose(loss.softmax_cross_entropy(logits, labels, **kwargs),
                        expected, rtol=1e-5)

  def test_ignored_pixels_do_not_count(self):
    logits, labels = _batch(ignore_fraction=0.0)
    labels_with_ignored = np.concatenate(
        [labels, np.full_like(labels, 255)], axis=2)
    logits_with_ignored = np.concatenate(
        [logits, 100 * np.ones_like(logits)], axis=2)
    self.assertAllClose(
        loss.softmax_cross_entropy(logits_with_ignored, labels_with_ignored),
        loss.softmax_cross_entropy(logits, labels))

  def test_normaliser_counts_pixels_not_weights(self):
    logits, labels = _batch(ignore_fraction=0.0)
    plain = loss.softmax_cross_entropy(logits, labels)
    doubled = loss.softmax_cross_entropy(logits, labels,
                                         class_weights=[2.0, 2.0, 2.0])
    self.assertAllClose(doubled, 2 * plain)

  def test_no_valid_pixel_gives_zero(self):
    logits, labels = _batch(ignore_fraction=1.0)
    self.assertEqual(float(loss.softmax_cross_entropy(logits, labels)), 0.0)
    self.assertEqual(float(loss.softmax_cross_entropy(
        logits, labels, top_k_percent_pixels=0.5)), 0.0)

  def test_other_ignore_label(self):
    logits, labels = _batch(ignore_fraction=0.0)
    expected = _reference_loss(logits, labels, ignore_label=0)
    self.assertAllClose(
        loss.softmax_cross_entropy(logits, labels, ignore_label=0), expected,
        rtol=1e-5)

  @parameterized.parameters((0, 1.0), (500, 0.625), (1000, 0.25),
                            (5000, 0.25))
  def test_hard_mining_anneals(self, step, fraction):
    self.assertAllClose(loss.hard_pixel_fraction(0.25, 1000, step), fraction)
    logits, labels = _batch(seed=3)
    expected = _reference_loss(logits, labels, top_k_fraction=fraction)
    self.assertAllClose(
        loss.softmax_cross_entropy(logits, labels, top_k_percent_pixels=0.25,
                                   hard_example_mining_step=1000, step=step),
        expected, rtol=1e-5)

  def test_wrong_number_of_class_weights_raises(self):
    logits, labels = _batch()
    with self.assertRaisesRegex(ValueError, '2 class weights for 3 classes'):
      loss.softmax_cross_entropy(logits, labels, class_weights=[1.0, 1.0])

  def test_replica_shares_sum_to_the_global_batch_loss(self):
    strategy = fixtures.two_cpu_strategy(self)
    logits, labels = _batch(batch_size=2)
    # Replica 0 has many more valid pixels than replica 1.
    labels[1, 1:] = 255
    shares = strategy.run(
        lambda context_logits, context_labels: loss.softmax_cross_entropy(
            context_logits, context_labels),
        args=(strategy.experimental_distribute_values_from_function(
            lambda context: logits[context.replica_id_in_sync_group][None]),
              strategy.experimental_distribute_values_from_function(
                  lambda context: labels[context.replica_id_in_sync_group][
                      None])))
    total = strategy.reduce(tf.distribute.ReduceOp.SUM, shares, axis=None)
    self.assertAllClose(total, _reference_loss(logits, labels), rtol=1e-5)


class WeightDecayTest(tf.test.TestCase):

  def test_value_is_half_decay_times_sum_of_squares(self):
    model = fixtures.tiny_model()
    squares = sum(float(np.sum(np.square(kernel)))
                  for kernel in model.regularized_weights())
    self.assertAllClose(loss.weight_decay_loss(model, 4e-5),
                        0.5 * 4e-5 * squares, rtol=1e-5)

  def test_depthwise_kernels_are_excluded(self):
    model = fixtures.tiny_model()
    before = float(loss.weight_decay_loss(model, 1e-4))
    regularized = {id(kernel) for kernel in model.regularized_weights()}
    depthwise = [kernel for kernel in model.kernels()
                 if id(kernel) not in regularized]
    self.assertNotEmpty(depthwise)
    self.assertEqual({kernel.shape[-1] for kernel in depthwise}, {1})
    for kernel in depthwise:
      kernel.assign(100 * tf.ones_like(kernel))
    self.assertAllClose(loss.weight_decay_loss(model, 1e-4), before)
    logits_kernel = model.logits.kernel
    logits_kernel.assign(logits_kernel + 1.0)
    self.assertGreater(float(loss.weight_decay_loss(model, 1e-4)), before)

  def test_zero_decay(self):
    self.assertEqual(float(loss.weight_decay_loss(fixtures.tiny_model(),
                                                  0.0)), 0.0)


if __name__ == '__main__':
  tf.test.main()
