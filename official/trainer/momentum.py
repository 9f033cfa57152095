"""SGD with momentum by the rule of TF1's `MomentumOptimizer` (reference §4.1).

The original trains with `tf.train.MomentumOptimizer`: it accumulates raw
gradients, a = momentum * a + g, and steps by the current learning rate,
w -= lr * a. Keras' SGD keeps the rates inside its velocity,
v = momentum * v - lr * g, w += v, so that past steps' rates weigh on the
present one: the two agree only while the rate is constant, and the poly
schedule changes it every step.

Checkpoints of runs trained with Keras' SGD hold velocities where this
optimizer keeps accumulators; `restore_keras_sgd_velocities` converts them.
"""

from absl import logging
import keras
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2


@keras.saving.register_keras_serializable(package='deeplab')
class Momentum(keras.optimizers.Optimizer):
  """a = momentum * a + g; w -= learning_rate * a (not Nesterov).

  Works as any Keras optimizer: under `tf.distribute` strategies (the
  gradients are summed over replicas first), inside
  `keras.optimizers.LossScaleOptimizer`, in `tf.train.Checkpoint` (one
  accumulator per variable, `accumulators`).

  Example:
    >>> variable = keras.Variable([1.0])
    >>> optimizer = Momentum(learning_rate=0.1, momentum=0.9)
    >>> optimizer.apply_gradients([(tf.constant([1.0]), variable)])
    >>> optimizer.apply_gradients([(tf.constant([1.0]), variable)])
    >>> round(float(variable[0]), 4)  # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    0.71
  """

  def __init__(self, learning_rate=0.01, momentum=0.9, name='momentum',
               **kwargs):
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    if not 0.0 <= momentum <= 1.0:
      raise ValueError(f'momentum must be in [0, 1], got {momentum}.')
    self.momentum = momentum

  def build(self, variables):
    if self.built:
      return
    super().build(variables)
    self.accumulators = self.add_optimizer_variables(variables, 'accumulator')

  def update_step(self, gradient, variable, learning_rate):
    # `variable` is a tf.Variable here (one replica's copy under a
    # strategy), and so is the accumulator's `value` inside the strategy's
    # update. The original's kernel, one op per variable: the rule exactly,
    # and a traced step of a few hundred ops fewer.
    accumulator = self.accumulators[self._get_variable_index(variable)].value
    tf.raw_ops.ResourceApplyMomentum(
        var=variable.handle, accum=accumulator.handle,
        lr=tf.cast(learning_rate, variable.dtype),
        grad=tf.cast(tf.convert_to_tensor(gradient), variable.dtype),
        momentum=tf.cast(self.momentum, variable.dtype), use_locking=False,
        use_nesterov=False)

  def get_config(self):
    config = super().get_config()
    config['momentum'] = self.momentum
    return config


def _holds_keras_sgd_velocities(checkpoint_path):
  """Whether the checkpoint's `optimizer` is a Keras SGD with velocities."""
  reader = tf.train.load_checkpoint(checkpoint_path)
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor('_CHECKPOINTABLE_OBJECT_GRAPH'))

  def child(node_id, name):
    for reference in graph.nodes[node_id].children:
      if reference.local_name == name:
        return reference.node_id
    return None

  optimizer = child(0, 'optimizer')
  if optimizer is None:
    return False
  inner = child(optimizer, 'inner_optimizer')  # LossScaleOptimizer
  if inner is not None:
    optimizer = inner
  return (child(optimizer, 'momentums') is not None and
          child(optimizer, 'accumulators') is None)


def restore_keras_sgd_velocities(optimizer, checkpoint_path, learning_rate):
  """Turns restored Keras SGD velocities into `Momentum` accumulators.

  A `tf.train.Checkpoint` restore matches optimizer variables by position,
  so a checkpoint written with `keras.optimizers.SGD` fills `Momentum`'s
  accumulators with its velocities v = -sum(momentum^k * lr_k * g_k).
  Dividing by -lr of the step that wrote them gives the accumulators
  exactly if the rate was constant over the last few dozen steps (the
  momentum's memory), and within the rate's relative change over them
  otherwise (a fraction of a percent for poly schedules of thousands of
  steps).

  Args:
    optimizer: a built `Momentum`, or a `LossScaleOptimizer` around one,
      just restored from `checkpoint_path`.
    checkpoint_path: the checkpoint it was restored from.
    learning_rate: the learning rate of the checkpoint's last step.

  Returns:
    Whether the checkpoint held Keras SGD velocities (and they were
    converted).

  Raises:
    ValueError: if they were written at a learning rate of 0, from which
      the accumulators cannot be recovered.
  """
  if not _holds_keras_sgd_velocities(checkpoint_path):
    return False
  learning_rate = float(learning_rate)
  if learning_rate == 0.0:
    raise ValueError(
        f'{checkpoint_path} holds Keras SGD velocities written at learning '
        'rate 0, which cannot be converted to Momentum accumulators; resume '
        'from an earlier checkpoint.')
  optimizer = getattr(optimizer, 'inner_optimizer', optimizer)
  for accumulator in optimizer.accumulators:
    accumulator.assign(accumulator / -learning_rate)
  logging.warning(
      'Converted the Keras SGD velocities of %s into Momentum accumulators '
      '(dividing by -%g, the rate of its last step).', checkpoint_path,
      learning_rate)
  return True
