"""Activations recomputed in the backward pass instead of kept: memory for time.

A training step keeps every intermediate activation of the forward pass for
the backward one. High-resolution layers hold much of that memory for a
small share of the time: Xception-65's entry flow at 513x513 keeps about
1.1 GB of a batch of 2's activations, 15 % of the forward multiply-adds.
Wrapped in `recompute_in_backward`, such a block keeps only its input and
outputs, and its gradient runs it again (BENCHMARKS.md: 4 % more time).
"""

import contextlib
import threading

import tensorflow as tf

# Per thread: a MirroredStrategy traces each replica's step in its own
# thread, and the replicas' gradients interleave.
_state = threading.local()


def recomputing():
  """True while a gradient re-runs a forward pass (in this thread).

  Layers with side effects in training (batch norm moving its averages)
  skip them then: the forward pass had them already.
  """
  return getattr(_state, 'recomputing', False)


@contextlib.contextmanager
def _recomputation():
  previous, _state.recomputing = recomputing(), True
  try:
    yield
  finally:
    _state.recomputing = previous


def recompute_in_backward(forward, inputs):
  """`forward(inputs)`, a tuple of tensors, rerun by its gradient.

  The values and gradients are `forward`'s own; the activations inside it are
  freed after the forward pass and computed again when the gradient of its
  outputs arrives. `forward` must be deterministic apart from the side
  effects that `recomputing()` turns off.

  Example:
    >>> kernel = tf.Variable([[2.0, -1.0]])
    >>> with tf.GradientTape() as tape:
    ...   y, = recompute_in_backward(lambda x: (tf.nn.relu(x @ kernel),),
    ...                              tf.constant([[3.0]]))
    >>> tape.gradient(y, kernel).numpy()
    array([[3., 0.]], dtype=float32)
  """

  @tf.custom_gradient
  def run(x):
    outputs = tuple(forward(x))

    def gradient(*upstream, variables=()):
      connected = [i for i, grad in enumerate(upstream) if grad is not None]
      # The rerun waits for the gradient: without this dependency the
      # executor may run it beside the forward pass and keep its
      # activations until the backward pass after all.
      with tf.control_dependencies([upstream[i] for i in connected]):
        x_again = tf.identity(x)
      with _recomputation(), tf.GradientTape() as tape:
        tape.watch(x_again)
        again = tuple(forward(x_again))
      grads = tape.gradient([again[i] for i in connected],
                            [x_again] + list(variables),
                            output_gradients=[upstream[i] for i in connected])
      return grads[0], grads[1:]

    return outputs, gradient

  return run(inputs)
