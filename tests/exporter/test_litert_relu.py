import os
import shutil
import tempfile

from ai_edge_litert import interpreter as litert_interpreter
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.exporter import litert_relu
from tests.exporter import litert_ops

_SHAPE = [1, 9, 9, 8]
_RESOLVER_TYPES = litert_interpreter.OpResolverType
_RESOLVERS = {
    'xnnpack': _RESOLVER_TYPES.AUTO,
    'builtin': _RESOLVER_TYPES.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
}


def _weights(seed):
  rng = np.random.default_rng(seed)
  pointwise = rng.standard_normal([1, 1, 8, 8]).astype(np.float32) / 3
  depthwise = rng.standard_normal([3, 3, 8, 1]).astype(np.float32) / 3
  return tf.constant(pointwise), tf.constant(depthwise)


def _pre_activation_units(x):
  """Two Xception-like units: y + separable(relu(y)); relu(y) cannot fuse
  into the sum, which the shortcut needs too."""
  pointwise, depthwise = _weights(0)
  y = tf.nn.conv2d(x, pointwise, 1, 'SAME')
  for _ in range(2):
    z = tf.nn.depthwise_conv2d(tf.nn.relu(y), depthwise, [1, 1, 1, 1],
                               'SAME')
    y = y + tf.nn.conv2d(z, pointwise, 1, 'SAME')
  return {'y': y}


def _relu_beside_its_input(x):
  """A RELU in a graph without any ADD."""
  pointwise, _ = _weights(1)
  y = tf.nn.conv2d(x, pointwise, 1, 'SAME')
  return {'y': y, 'relu': tf.nn.relu(y)}


def _inputs(count, seed=0):
  rng = np.random.default_rng(seed)
  return [rng.standard_normal(_SHAPE).astype(np.float32) * 2
          for _ in range(count)]


def _convert(function, quantize):
  """`function` of a float32 [1, 9, 9, 8] `x` as a .tflite, int8 calibrated
  on random inputs, through a SavedModel as the exporter converts."""
  module = tf.Module()
  module.serve = tf.function(function, input_signature=[
      tf.TensorSpec(_SHAPE, tf.float32, name='x')])
  directory = tempfile.mkdtemp(prefix='deeplab_litert_relu_test_')
  try:
    tf.saved_model.save(module, directory,
                        signatures={'serving_default': module.serve})
    converter = tf.lite.TFLiteConverter.from_saved_model(directory)
    if quantize == 'int8':
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      converter.representative_dataset = lambda: (
          {'x': x} for x in _inputs(4, seed=1))
      converter.target_spec.supported_ops = [
          tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()
  finally:
    shutil.rmtree(directory, ignore_errors=True)


def _run(flatbuffer, resolver, x):
  """(outputs, number of XNNPACK partitions) of one run."""
  interpreter = litert_interpreter.Interpreter(
      model_content=flatbuffer, num_threads=1,
      experimental_op_resolver_type=_RESOLVERS[resolver])
  outputs = interpreter.get_signature_runner('serving_default')(x=x)
  partitions = sum(op['op_name'] == 'DELEGATE'
                   for op in interpreter._get_ops_details())  # pylint: disable=protected-access
  return outputs, partitions


def _op_names(flatbuffer):
  return [name for name, _, _, _ in litert_ops.operators(flatbuffer)]


def _fused_relu_adds(flatbuffer):
  relu = litert_ops.schema.ActivationFunctionType.RELU
  return sum(name == 'ADD' and options.fusedActivationFunction == relu
             for name, options, _, _ in litert_ops.operators(flatbuffer))


class FuseInt8RelusTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('pre_activation_units', _pre_activation_units, 2),
      ('no_add_in_the_graph', _relu_beside_its_input, 1))
  def test_same_int8_values_without_relu_ops(self, function, num_relus):
    original = _convert(function, 'int8')
    self.assertEqual(_op_names(original).count('RELU'), num_relus)
    fused, count = litert_relu.fuse_int8_relus(original)
    self.assertEqual(count, num_relus)
    self.assertNotIn('RELU', _op_names(fused))
    self.assertEqual(_fused_relu_adds(fused),
                     _fused_relu_adds(original) + num_relus)
    for x in _inputs(2, seed=2):
      for resolver in _RESOLVERS:
        with self.subTest(resolver):
          expected, _ = _run(original, resolver, x)
          outputs, _ = _run(fused, resolver, x)
          self.assertEqual(sorted(outputs), sorted(expected))
          for name, value in expected.items():
            self.assertAllEqual(outputs[name], value)

  def test_xnnpack_takes_the_whole_graph(self):
    original = _convert(_pre_activation_units, 'int8')
    x = _inputs(1)[0]
    # A partition before, between and after the two RELUs.
    self.assertEqual(_run(original, 'xnnpack', x)[1], 3)
    fused, _ = litert_relu.fuse_int8_relus(original)
    self.assertEqual(_run(fused, 'xnnpack', x)[1], 1)

  def test_float_models_come_back_unchanged(self):
    flatbuffer = _convert(_pre_activation_units, 'none')
    self.assertIn('RELU', _op_names(flatbuffer))
    self.assertEqual(litert_relu.fuse_int8_relus(flatbuffer),
                     (flatbuffer, 0))


if __name__ == '__main__':
  tf.test.main()
