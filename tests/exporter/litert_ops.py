"""The operators of a .tflite flatbuffer, read with TFLite's own schema."""

from tensorflow.lite.python import schema_py_generated as schema

_OPERATOR_NAMES = {code: name for name, code in vars(
    schema.BuiltinOperator).items() if not name.startswith('_')}


def operators(flatbuffer):
  """[(op name, options object or None, input tensors, output tensors)] of
  the main subgraph; tensors are `schema.TensorT` (their `type` is a
  `schema.TensorType` code)."""
  model = schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)
  subgraph = model.subgraphs[0]
  result = []
  for operator in subgraph.operators:
    code = model.operatorCodes[operator.opcodeIndex]
    # Codes above 127 live only in the newer field.
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    name = _OPERATOR_NAMES.get(builtin, f'UNKNOWN_{builtin}')
    if builtin == schema.BuiltinOperator.CUSTOM:
      name = f'CUSTOM:{code.customCode.decode()}'
    tensors = lambda indices: [subgraph.tensors[i] for i in indices if i >= 0]
    result.append((name, operator.builtinOptions,
                   tensors(operator.inputs), tensors(operator.outputs)))
  return result


def dilation_rates(flatbuffer):
  """The set of (op name, dilation h, dilation w) of every conv."""
  rates = set()
  for name, options, _, _ in operators(flatbuffer):
    if name in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
      rates.add((name, options.dilationHFactor, options.dilationWFactor))
  return rates
