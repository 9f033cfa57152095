"""int8 RELU ops of a converted flatbuffer rewritten for the XNNPACK delegate.

A RELU whose input is used elsewhere too (Xception's pre-activation units:
the residual sum feeds both the next unit's ReLU and its shortcut) cannot be
fused into the op before it and stays a RELU op. XNNPACK takes RELU in float
only, so in an int8 model each one runs in TFLite's builtin kernel and cuts
the delegated graph in two: on Xception-65 SC at 513x513 its 20 RELUs
cost about 13% of the int8 run (BENCHMARKS.md). Rewritten as ADD(x, 0)
with a fused RELU, in x's own quantization (0 exact) and the RELU's output
quantization, the op computes the same int8 values and XNNPACK takes it.
"""

import numpy as np

from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

# The ADD version whose int8 kernel broadcasts a [1] operand (TFLite's
# op_version for int8 ADD), for a model that holds no ADD yet.
_INT8_ADD_VERSION = 2


def _builtin(code):
  # Codes above 127 live only in the newer field.
  return max(code.builtinCode, code.deprecatedBuiltinCode)


def _add_code(model):
  """Index of an ADD operator code in `model`, added if there is none."""
  for index, code in enumerate(model.operatorCodes):
    if _builtin(code) == schema.BuiltinOperator.ADD:
      return index
  code = schema.OperatorCodeT()
  code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ADD
  code.version = _INT8_ADD_VERSION
  model.operatorCodes.append(code)
  return len(model.operatorCodes) - 1


def _zero_like(model, subgraph, tensor):
  """Index of a new constant int8 [1] tensor holding 0 in `tensor`'s
  quantization."""
  quantization = schema.QuantizationParametersT()
  quantization.scale = np.array(tensor.quantization.scale, np.float32)
  quantization.zeroPoint = np.array(tensor.quantization.zeroPoint, np.int64)
  buffer = schema.BufferT()
  buffer.data = np.array(quantization.zeroPoint, np.int8).view(np.uint8)
  model.buffers.append(buffer)
  zero = schema.TensorT()
  zero.shape = np.array([1], np.int32)
  zero.type = schema.TensorType.INT8
  zero.name = (tensor.name or b'') + b'/relu_zero'
  zero.quantization = quantization
  zero.buffer = len(model.buffers) - 1
  subgraph.tensors.append(zero)
  return len(subgraph.tensors) - 1


def _is_per_tensor_int8(tensor):
  quantization = tensor.quantization
  return (tensor.type == schema.TensorType.INT8 and quantization is not None
          and quantization.scale is not None and len(quantization.scale) == 1)


def fuse_int8_relus(flatbuffer):
  """`flatbuffer` with every int8 RELU an ADD of 0 with a fused RELU.

  Args:
    flatbuffer: a converted .tflite model, bytes.

  Returns:
    (the rewritten flatbuffer, bytes; how many RELUs were rewritten). A
    model without int8 RELUs comes back as it was, with a count of 0.

  Example:
    >>> fused, count = fuse_int8_relus(int8_xception_65_flatbuffer)
    >>> count
    20
  """
  model = flatbuffer_utils.read_model_from_bytearray(bytearray(flatbuffer))
  relu_codes = {index for index, code in enumerate(model.operatorCodes)
                if _builtin(code) == schema.BuiltinOperator.RELU}
  count = 0
  for subgraph in model.subgraphs:
    for operator in subgraph.operators:
      if operator.opcodeIndex not in relu_codes:
        continue
      tensor = subgraph.tensors[operator.inputs[0]]
      if not _is_per_tensor_int8(tensor):
        continue
      operator.opcodeIndex = _add_code(model)
      operator.inputs = np.array(
          [operator.inputs[0], _zero_like(model, subgraph, tensor)], np.int32)
      options = schema.AddOptionsT()
      options.fusedActivationFunction = schema.ActivationFunctionType.RELU
      operator.builtinOptionsType = schema.BuiltinOptions.AddOptions
      operator.builtinOptions = options
      count += 1
  if not count:
    return flatbuffer, 0
  return flatbuffer_utils.convert_object_to_bytearray(model), count
