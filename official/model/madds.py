"""Counting multiply-adds the way the paper did (reference §11).

The paper's "Multiply-Adds" are the TensorFlow profiler's float-op count of the
original inference graph, halved. We trace our own inference graph once, at an
unknown image size, its batch norms as the fused kernel the original ran,
import it at each static size counted (TensorFlow's shape inference then
gives every op its static shape) and apply the profiler's per-op rules to it.
Our graph runs the same counted ops (convs, depthwise convs, residual adds,
input scaling, pooling, bias adds; fused batch norm and resizes count
nothing), atrous convs included, which TensorFlow executes as
SpaceToBatchND -> VALID conv -> BatchToSpaceND on a map padded to a multiple
of the rate. Ops of the original eval graph that lie outside the network are
added analytically: one L2Loss per regularized weight, the random initializer
of every kernel, the final ArgMax and the streaming mean-IoU's elementwise
ops. The Softmax and the mean over scales were not counted in 2018, so they
are left out.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from official.model import batch_norm
from official.ops import resize


def _elements(shape):
  if not shape.is_fully_defined():
    raise ValueError(f'Cannot count an op with unknown shape {shape}.')
  return int(np.prod(shape.as_list()))


def _conv_flops(op):
  kernel = op.inputs[1].shape.as_list()
  return 2 * _elements(op.outputs[0].shape) * kernel[0] * kernel[1] * kernel[2]


def _depthwise_flops(op):
  kernel = op.inputs[1].shape.as_list()
  return 2 * _elements(op.outputs[0].shape) * kernel[0] * kernel[1]


def _output_flops(op):
  return _elements(op.outputs[0].shape)


def _input_flops(op):
  return _elements(op.inputs[0].shape)


def _pool_flops(op):
  ksize = op.get_attr('ksize')
  return _elements(op.outputs[0].shape) * ksize[1] * ksize[2]


# The profiler's registered statistics for the ops an inference graph holds.
_FLOPS_RULES = {
    'Conv2D': _conv_flops,
    'DepthwiseConv2dNative': _depthwise_flops,
    'Add': _output_flops,
    'AddV2': _output_flops,
    'BiasAdd': _output_flops,
    'Sub': _output_flops,
    'Mul': _output_flops,
    'RealDiv': _output_flops,
    'Maximum': _output_flops,
    'Minimum': _output_flops,
    'Greater': _output_flops,
    'GreaterEqual': _output_flops,
    'Less': _output_flops,
    'LessEqual': _output_flops,
    'Equal': _output_flops,
    'NotEqual': _output_flops,
    'Rsqrt': _output_flops,
    'Mean': _input_flops,
    'Sum': _input_flops,
    'ArgMax': _input_flops,
    'AvgPool': _pool_flops,
    'MaxPool': _pool_flops,
}
_MULTIPLY_ADD_OPS = ('Conv2D', 'DepthwiseConv2dNative')


@dataclasses.dataclass(frozen=True)
class GraphCount:
  """Counts of one traced graph."""
  profiler_flops: int  # Float ops by the profiler's rules.
  multiply_adds: int  # Multiply-adds of the convs as executed.


def count_graph(graph):
  """Applies the profiler's rules to every op of `graph`, with static shapes."""
  flops, madds = 0, 0
  for op in graph.get_operations():
    rule = _FLOPS_RULES.get(op.type)
    if rule is None:
      continue
    # Shape arithmetic (scalars, integer vectors) costs nothing worth counting.
    output = op.outputs[0]
    if op.type not in _MULTIPLY_ADD_OPS and (
        output.shape.rank == 0 or
        (output.shape.rank == 1 and output.dtype.is_integer)):
      continue
    op_flops = rule(op)
    flops += op_flops
    if op.type in _MULTIPLY_ADD_OPS:
      madds += op_flops // 2
  return GraphCount(flops, madds)


def _make_placeholder(node, dtype, shape):
  """Turns the GraphDef `node` into a Placeholder of `dtype` and `shape`."""
  node.op = 'Placeholder'
  del node.input[:]
  node.attr.clear()
  node.attr['dtype'].type = dtype
  node.attr['shape'].shape.CopyFrom(shape.as_proto())


@dataclasses.dataclass(frozen=True)
class ModelCost:
  paper_madds: float  # The paper's convention (reference §11).
  executed_madds: float  # Conv and depthwise multiply-adds our graph runs.
  params: int  # Trainable parameters.


class Counter:
  """Counts a built `DeepLab`: one trace, imported at each input size.

  Example:
    >>> counter = Counter(model)
    >>> counter.eval_cost((513, 513)).paper_madds / 1e9  # Xception-65 SC.
    54.17...
  """

  def __init__(self, model):
    self._model = model
    self._graph_def = None  # Traced at the first count.
    self._image_node = None
    self._counts = {}

  def _trace(self):
    """The inference graph at an unknown image size, as a GraphDef."""
    forward = tf.function(
        lambda images: self._model.head_logits(images, training=False),
        autograph=False)
    with batch_norm.fused_kernel_at_inference():
      graph = forward.get_concrete_function(
          tf.TensorSpec([1, None, None, 3], tf.float32)).graph
    self._image_node = graph.inputs[0].op.name
    self._graph_def = graph.as_graph_def()
    # An imported graph knows nothing of the variables' shapes: their reads
    # become inputs of the read shapes.
    shapes = {op.name: op.outputs[0].shape for op in graph.get_operations()
              if op.type == 'ReadVariableOp'}
    for node in self._graph_def.node:
      if node.op == 'ReadVariableOp':
        _make_placeholder(node, node.attr['dtype'].type, shapes[node.name])

  def forward(self, height, width):
    """Counts one inference pass of `head_logits` on a [1, H, W, 3] image."""
    if (height, width) not in self._counts:
      if self._graph_def is None:
        self._trace()
      graph_def = tf.compat.v1.GraphDef()
      graph_def.CopyFrom(self._graph_def)
      for node in graph_def.node:
        if node.name == self._image_node:
          _make_placeholder(node, tf.float32.as_datatype_enum,
                            tf.TensorShape([1, height, width, 3]))
      graph = tf.Graph()
      with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name='')
      self._counts[height, width] = count_graph(graph)
    return self._counts[height, width]

  def eval_cost(self, input_size, eval_scales=(1.0,),
                add_flipped_images=False):
    """Multiply-adds of evaluating one image of `input_size` as the paper did.

    Args:
      input_size: (height, width) of the eval crop, e.g. (513, 513).
      eval_scales: input scales whose softmax outputs are averaged.
      add_flipped_images: also run every scale on the flipped input.

    Returns:
      A `ModelCost`.
    """
    height, width = input_size
    passes = 2 if add_flipped_images else 1
    profiler_flops, executed = 0, 0
    for scale in eval_scales:
      count = self.forward(resize.scale_dimension(height, scale),
                           resize.scale_dimension(width, scale))
      profiler_flops += passes * count.profiler_flops
      executed += passes * count.multiply_adds
    pixels = height * width
    # ArgMax over the class axis of the full-resolution output.
    profiler_flops += pixels * self._model.num_classes
    # Streaming mean-IoU: the ignore mask (NotEqual) and its relabelling
    # (Equal) of the labels, and range checks (Less, LessEqual) on labels and
    # predictions.
    profiler_flops += 6 * pixels
    # One L2Loss per regularized weight: 3N - 1 float ops.
    for weight in self._model.regularized_weights():
      profiler_flops += 3 * int(np.prod(weight.shape)) - 1
    # The random initializer of every conv kernel (`Mul` by the scale, then
    # `Add` of the offset) stays in a TF1 graph: 2N float ops.
    for kernel in self._model.kernels():
      profiler_flops += 2 * int(np.prod(kernel.shape))
    params = sum(int(np.prod(v.shape))
                 for v in self._model.trainable_variables)
    return ModelCost(paper_madds=profiler_flops / 2, executed_madds=executed,
                     params=params)


def eval_cost(model, input_size, eval_scales=(1.0,), add_flipped_images=False):
  """`Counter(model).eval_cost(...)` for a single count."""
  return Counter(model).eval_cost(input_size, eval_scales, add_flipped_images)
