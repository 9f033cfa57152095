"""The training loss of the original DeepLab (reference §4.3).

Softmax cross-entropy on logits upsampled to the label size, pixels labelled
`ignore_label` left out, normalised by the number of valid pixels of the
global batch; optional per-class weights and top-k hard pixel mining. Plus
the L2 weight decay of the conv kernels.

Under a `tf.distribute` strategy each replica returns its share: the shares
sum to the loss of the global batch, so N replicas compute what one replica
computes with the same global batch (the optimizer sums the gradients).
"""

import gin
import tensorflow as tf


def _sum_over_replicas(value):
  """`value` summed over the replicas in sync (itself outside a strategy)."""
  context = tf.distribute.get_replica_context()
  if context is None or context.num_replicas_in_sync == 1:
    return value
  return context.all_reduce(tf.distribute.ReduceOp.SUM, value)


def _num_replicas():
  context = tf.distribute.get_replica_context()
  return 1 if context is None else context.num_replicas_in_sync


def hard_pixel_fraction(top_k_percent_pixels, hard_example_mining_step,
                        step):
  """Fraction of pixels kept by hard mining at `step`.

  Annealed linearly from 1 at step 0 to `top_k_percent_pixels` at
  `hard_example_mining_step` (constant when that is 0), as the original.
  """
  if not hard_example_mining_step:
    return tf.constant(top_k_percent_pixels, tf.float32)
  ratio = tf.minimum(
      1.0, tf.cast(step, tf.float32) / float(hard_example_mining_step))
  return ratio * top_k_percent_pixels + (1.0 - ratio)


@gin.configurable(allowlist=['class_weights', 'top_k_percent_pixels',
                             'hard_example_mining_step'])
def softmax_cross_entropy(logits, labels, ignore_label=255, class_weights=None,
                          top_k_percent_pixels=1.0, hard_example_mining_step=0,
                          step=0):
  """This replica's share of the pixel-wise softmax cross-entropy.

  Loss = sum(weight * ce) / (number of valid pixels), both over the global
  batch; weight is 0 for ignored pixels, else `class_weights[label]` (1 by
  default); the normaliser counts valid pixels, not weights. With hard
  mining (`top_k_percent_pixels` < 1) each replica keeps the largest
  int(fraction * pixels) weighted losses of its batch (ignored pixels count
  as pixels with loss 0, as the original) and the normaliser is the number
  of non-zero kept losses; the original ran this over one batch, here it is
  per replica. No valid pixel anywhere gives 0.

  Args:
    logits: float [B, H, W, C] at the label resolution.
    labels: int [B, H, W, 1] or [B, H, W]; `ignore_label` or [0, C).
    ignore_label: label of pixels without a target.
    class_weights: None, or one loss weight per class.
    top_k_percent_pixels: fraction of pixels kept by hard mining; 1 keeps
      all.
    hard_example_mining_step: steps over which the fraction anneals from 1
      to `top_k_percent_pixels`; 0 uses it from the start.
    step: the global step (for the annealing).

  Returns:
    A float32 scalar.

  Example:
    >>> logits = tf.zeros([1, 2, 2, 3])
    >>> labels = tf.constant([[[0], [1]], [[2], [255]]])
    >>> float(softmax_cross_entropy(logits, labels))  # log(3)
    1.0986123...
  """
  logits = tf.cast(logits, tf.float32)
  labels = tf.cast(labels, tf.int32)
  if labels.shape.rank == 4:
    labels = labels[..., 0]
  valid = tf.not_equal(labels, ignore_label)
  # Ignored pixels get a harmless label; their weight is 0.
  targets = tf.where(valid, labels, tf.zeros_like(labels))
  pixel_losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=targets, logits=logits)
  weights = tf.cast(valid, tf.float32)
  if class_weights is not None:
    num_classes = logits.shape[-1]
    if len(class_weights) != num_classes:
      raise ValueError(f'{len(class_weights)} class weights for '
                       f'{num_classes} classes.')
    weights *= tf.gather(tf.constant(class_weights, tf.float32), targets)
  weighted_losses = tf.reshape(pixel_losses * weights, [-1])

  if top_k_percent_pixels == 1.0:
    total = tf.reduce_sum(weighted_losses)
    count = tf.reduce_sum(tf.cast(valid, tf.float32))
  else:
    if not 0.0 < top_k_percent_pixels < 1.0:
      raise ValueError(f'top_k_percent_pixels must be in (0, 1], got '
                       f'{top_k_percent_pixels}.')
    fraction = hard_pixel_fraction(top_k_percent_pixels,
                                   hard_example_mining_step, step)
    num_pixels = tf.cast(tf.size(weighted_losses), tf.float32)
    top_k = tf.cast(fraction * num_pixels, tf.int32)
    kept_losses = tf.math.top_k(weighted_losses, top_k).values
    total = tf.reduce_sum(kept_losses)
    count = tf.reduce_sum(tf.cast(kept_losses > 0.0, tf.float32))
  return tf.math.divide_no_nan(total, _sum_over_replicas(count))


@gin.configurable(allowlist=['weight_decay'])
def weight_decay_loss(model, weight_decay=4e-5):
  """This replica's share of the L2 weight decay (reference §1.4, §4.1).

  0.5 * weight_decay * sum(w ** 2) over `model.regularized_weights()` (every
  conv kernel but the depthwise ones), divided by the number of replicas so
  that it counts once per global step. The original's default is 4e-5; its
  ResNet models use 1e-4.

  Example:
    >>> float(weight_decay_loss(model, 0.0))
    0.0
  """
  if not weight_decay:
    return tf.constant(0.0)
  # slim's l2_regularizer, one L2Loss op per kernel: sum(w ** 2) / 2.
  losses = tf.add_n([tf.nn.l2_loss(tf.cast(kernel, tf.float32))
                     for kernel in model.regularized_weights()])
  return weight_decay * losses / _num_replicas()
