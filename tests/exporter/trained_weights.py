"""Weights like a trained model's, so that folding and argmaxes mean something.

A fresh model's batch norms are identities (mean 0, variance 1, gamma 1,
beta 0), which any folding preserves, and its logits are nearly uniform,
which makes every pixel a near-tie.
"""

import keras
import numpy as np


def randomize_batch_norm(layer, seed=0):
  """Random statistics and affine terms in every batch norm of `layer`."""
  rng = np.random.default_rng(seed)
  for sublayer in layer._flatten_layers():  # pylint: disable=protected-access
    if isinstance(sublayer, keras.layers.BatchNormalization):
      size = sublayer.gamma.shape[0]
      sublayer.gamma.assign(rng.uniform(0.5, 1.5, size))
      sublayer.beta.assign(rng.normal(0.0, 0.5, size))
      sublayer.moving_mean.assign(rng.normal(0.0, 0.5, size))
      sublayer.moving_variance.assign(rng.uniform(0.5, 2.0, size))


def trained_like(model, seed=0):
  """`model` with random batch norms and logits strong enough to decide."""
  randomize_batch_norm(model, seed)
  model.logits.kernel.assign(model.logits.kernel * 300.0)
  return model
