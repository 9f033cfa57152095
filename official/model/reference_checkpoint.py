"""Loads checkpoints of the original TF1 DeepLab into our models.

The original's checkpoints (the model zoo's and its ImageNet backbones) are
name-based: one tensor per variable scope path, e.g.
`xception_65/entry_flow/conv1_1/weights` or `aspp0/BatchNorm/gamma`. Our
layers carry those scopes as names with '/' written as '.' (reference §10),
so the mapping is mechanical: a `ConvBN` layer `<scope>` holds
`<scope>/weights` (or `depthwise_weights`) and `<scope>/BatchNorm/{gamma,
beta, moving_mean, moving_variance}`, backbone layers under the backbone's
scope (`xception_65`, `resnet_v1_101`, `MobilenetV2`), and the logits
`logits/semantic/{weights,biases}`. Kernel layouts (HWIO, depthwise
[kh, kw, C, 1]) are the same as Keras', so values are copied unchanged.

Example:
  >>> model = builder.build_model()
  >>> conversion = load_reference_checkpoint(
  ...     model, 'deeplabv3_pascal_train_aug/model.ckpt')
  >>> print(conversion.summary())
  Loaded 732 of 732 model variables (41,258,213 values) from ...
"""

import collections
import dataclasses
import os
import re

import numpy as np
import tensorflow as tf

from official.model import conv_bn
from official.model import deeplab

_BATCH_NORM_VARIABLES = ('gamma', 'beta', 'moving_mean', 'moving_variance')

# Top-level scopes of the original's head: its `get_extra_layer_scopes`,
# matched as prefixes there too (`aspp` covers aspp0, aspp1_depthwise, ...).
_HEAD_SCOPES = ('logits', 'image_pooling', 'aspp', 'concat_projection',
                'decoder', 'meta_architecture')

# Non-model variables of the original's training checkpoints. Optimizer and
# moving-average slots (`<variable>/Momentum`, `.../ExponentialMovingAverage`)
# are recognised by their parent variable instead.
_TRAINING_STATE = ('global_step', 'beta1_power', 'beta2_power')

# ImageNet classifiers in backbone checkpoints, which DeepLab does not build:
# Xception's and ResNet's `<scope>/logits`, MobileNetV2's last 1x1 conv
# (`Conv_1`, after `layer_18`) and `Logits`.
_CLASSIFIER_SCOPES = ('logits', 'Logits', 'Conv_1')

# How many names an error message lists before '... (N more)'.
_LISTED_NAMES = 6

# The original's `model_variant` for a backbone scope, for error messages.
_MODEL_VARIANTS = {backbone.scope: name
                   for name, backbone in deeplab.BACKBONES.items()}


def reference_variables(model):
  """Every variable of a `DeepLab` under its name in the original's checkpoints.

  Args:
    model: a built `official.model.deeplab.DeepLab`.

  Returns:
    An ordered dict from reference name (e.g.
    'xception_65/entry_flow/conv1_1/BatchNorm/gamma') to our variable, in
    the order of `model.weights`.

  Raises:
    ValueError: if the model has a variable this mapping does not name.

  Example:
    >>> names = reference_variables(builder.build_model())
    >>> names['logits/semantic/biases'].shape
    (21,)
  """
  backbone_layers = {id(layer) for layer in model.backbone._flatten_layers()}
  names = {}
  for layer in model._flatten_layers():
    if not isinstance(layer, conv_bn.ConvBN):
      continue
    scope = layer.name.replace('.', '/')
    if id(layer) in backbone_layers:
      scope = f'{model.backbone.name}/{scope}'
    kernel = 'depthwise_weights' if layer.depthwise else 'weights'
    names[f'{scope}/{kernel}'] = layer.conv.kernel
    for variable in _BATCH_NORM_VARIABLES:
      names[f'{scope}/BatchNorm/{variable}'] = getattr(layer.bn, variable)
  logits_scope = model.logits.name.replace('.', '/')
  names[f'{logits_scope}/weights'] = model.logits.kernel
  names[f'{logits_scope}/biases'] = model.logits.bias

  name_of = {id(variable): name for name, variable in names.items()}
  unnamed = [variable.path for variable in model.weights
             if id(variable) not in name_of]
  if unnamed:
    raise ValueError(f'No reference name for model variable(s) '
                     f'{_listing(unnamed)}.')
  return collections.OrderedDict(
      (name_of[id(variable)], variable) for variable in model.weights)


@dataclasses.dataclass
class Conversion:
  """What `load_reference_checkpoint` did.

  Attributes:
    path: the checkpoint read.
    loaded: reference names of the model variables set from the checkpoint.
    num_values: how many numbers they hold together.
    skipped: checkpoint model variables not loaded (in a partial load: the
      head, the logits or the ImageNet classifier).
    training_state: checkpoint variables that are not the model's:
      `global_step` and optimizer or moving-average slots.
    fresh: reference names of the model variables left as initialised.
    global_step: the checkpoint's `global_step`, or None.
    num_model_variables: how many variables the model has.
  """
  path: str
  loaded: list
  num_values: int
  skipped: list
  training_state: list
  fresh: list
  global_step: int = None
  num_model_variables: int = 0

  def summary(self):
    """A few lines for people: loaded, skipped and fresh variables."""
    lines = [f'Loaded {len(self.loaded)} of {self.num_model_variables} model '
             f'variables ({self.num_values:,} values) from {self.path}.']
    if self.training_state:
      lines.append(f'Skipped {len(self.training_state)} training-state '
                   f'variables: {_describe(self.training_state)}.')
    if self.skipped:
      lines.append(f'Skipped {len(self.skipped)} checkpoint variables the '
                   f'model does not load: '
                   f'{_listing(_layer_scopes(self.skipped))}.')
    if self.fresh:
      scopes = ', '.join(_layer_scopes(self.fresh))
      lines.append(f'Left {len(self.fresh)} model variables fresh (train '
                   f'before evaluating): {scopes}.')
    else:
      lines.append('Left no model variable fresh.')
    return '\n'.join(lines)


def checkpoint_prefix(path):
  """The prefix of a name-based checkpoint given as prefix, file or directory.

  Accepts `model.ckpt`, `model.ckpt.index`, `model.ckpt.data-00000-of-00001`
  or a directory holding one checkpoint (as the model zoo's tarballs unpack).

  Raises:
    FileNotFoundError: if there is no checkpoint there.

  Example:
    >>> checkpoint_prefix('deeplabv3_pascal_train_aug')
    'deeplabv3_pascal_train_aug/model.ckpt'
  """
  prefix = re.sub(r'\.(index|data-\d+-of-\d+)$', '', path)
  if tf.io.gfile.isdir(path):
    prefix = tf.train.latest_checkpoint(path)
    if prefix is None:
      indexes = tf.io.gfile.glob(os.path.join(path, '*.index'))
      if len(indexes) != 1:
        raise FileNotFoundError(
            f'{path}: found {len(indexes)} checkpoints (*.index) in this '
            f'directory; give the checkpoint prefix, e.g. {path}/model.ckpt.')
      prefix = indexes[0][:-len('.index')]
  # A prefix with an index file is TF's V2 format; an existing plain file is
  # the older V1 format of some ImageNet checkpoints.
  if not (tf.io.gfile.exists(prefix + '.index') or
          (tf.io.gfile.exists(prefix) and not tf.io.gfile.isdir(prefix))):
    raise FileNotFoundError(f'{path}: no such checkpoint (expected '
                            f'{prefix}.index and {prefix}.data-*).')
  return prefix


def load_reference_checkpoint(model, path, backbone_only=False,
                              skip_logits=False):
  """Sets a `DeepLab`'s variables from a checkpoint of the original DeepLab.

  Every model variable must be in the checkpoint, and every checkpoint
  variable in the model, except: training state (`global_step`, optimizer
  and moving-average slots such as `.../Momentum`) is skipped; a backbone-only
  checkpoint (no ASPP, decoder or logits in it, or `backbone_only=True`)
  loads the backbone and leaves the head fresh, skipping any head and
  ImageNet classifier variables of the file; `skip_logits=True` leaves the
  logits fresh (fine-tuning on another number of classes).

  Args:
    model: a built `official.model.deeplab.DeepLab`, configured as the
      checkpoint's model (backbone, separable or plain ASPP and decoder,
      number of classes); the output stride does not matter.
    path: checkpoint prefix, index or data file, or a directory holding one.
    backbone_only: load only the backbone.
    skip_logits: load everything but the logits.

  Returns:
    A `Conversion` report.

  Raises:
    FileNotFoundError: no checkpoint at `path`.
    ValueError: a checkpoint of another backbone, of another number of
      classes, variables missing on either side or of other shapes; the
      message names them.

  Example:
    >>> model = builder.build_model()
    >>> load_reference_checkpoint(model, 'xception_65/model.ckpt').fresh[:2]
    ['image_pooling/weights', 'image_pooling/BatchNorm/gamma']
  """
  prefix, reader = _open_name_based(path)
  shapes = reader.get_variable_to_shape_map()
  training_state = _training_state(shapes)
  stored = {name: shape for name, shape in shapes.items()
            if name not in training_state}
  backbone = model.backbone.name
  _check_backbone(stored, backbone, model.backbone_name, path)

  expected = reference_variables(model)
  backbone_only = backbone_only or not any(_is_head(name) for name in stored)
  wanted = _wanted_variables(expected, stored, model.num_classes, path,
                             backbone_only, skip_logits)
  _check_names(wanted, expected, stored, path, model.backbone_name,
               _ignored_scopes(backbone, backbone_only, skip_logits))
  _check_shapes(wanted, expected, stored, path)

  for name in wanted:
    variable = expected[name]
    variable.assign(np.asarray(reader.get_tensor(name), variable.dtype))
  return Conversion(
      path=prefix,
      loaded=wanted,
      num_values=sum(int(np.prod(stored[name], dtype=np.int64))
                     for name in wanted),
      skipped=sorted(set(stored) - set(wanted)),
      training_state=sorted(training_state),
      fresh=[name for name in expected if name not in wanted],
      global_step=(int(reader.get_tensor('global_step'))
                   if 'global_step' in shapes else None),
      num_model_variables=len(expected))


def _open_name_based(path):
  """(prefix, reader) of the name-based checkpoint at `path`."""
  prefix = checkpoint_prefix(path)
  try:
    reader = tf.train.load_checkpoint(prefix)
  except (tf.errors.OpError, ValueError) as error:
    raise ValueError(f'{path}: not a readable checkpoint '
                     f'({str(error).splitlines()[0]}).') from error
  if reader.has_tensor('_CHECKPOINTABLE_OBJECT_GRAPH'):
    raise ValueError(
        f'{path} is an object-based (TF2) checkpoint, not one of the '
        f'original DeepLab\'s name-based TF1 checkpoints; ours load directly '
        f'with --checkpoint.')
  return prefix, reader


def _training_state(shapes):
  """Checkpoint names that are no model variable: counters and slots."""
  return {name for name in shapes
          if name in _TRAINING_STATE or name.rpartition('/')[0] in shapes}


def _wanted_variables(expected, stored, num_classes, path, backbone_only,
                      skip_logits):
  """Reference names of the model variables to load, in model order."""
  if backbone_only:
    return [name for name in expected if not _is_head(name)]
  if any(name.startswith('meta_architecture/') for name in stored):
    raise ValueError(
        f'{path} has a dense prediction cell head (meta_architecture/), '
        f'which our models do not build; load its backbone alone '
        f'(--backbone_only).')
  if skip_logits:
    return [name for name in expected if not name.startswith('logits/')]
  _check_num_classes(stored, num_classes, path)
  return list(expected)


def _ignored_scopes(backbone, backbone_only, skip_logits):
  """Scopes of checkpoint variables a partial load leaves out."""
  if backbone_only:
    return _HEAD_SCOPES + tuple(f'{backbone}/{scope}/'
                                for scope in _CLASSIFIER_SCOPES)
  return ('logits/',) if skip_logits else ()


def _check_names(wanted, expected, stored, path, model_variant, ignored):
  """Raises unless the wanted and the checkpoint's variables pair up."""
  missing = [name for name in wanted if name not in stored]
  unexpected = sorted(name for name in stored
                      if name not in expected and not name.startswith(ignored))
  parts = []
  if missing:
    parts.append(f'{len(missing)} model variable(s) not in the checkpoint: '
                 f'{_listing(missing)}')
  if unexpected:
    parts.append(f'{len(unexpected)} checkpoint variable(s) not in the '
                 f'model: {_listing(unexpected)}')
  if parts:
    raise ValueError(f'{path} does not match the configured model '
                     f'({model_variant}): {"; ".join(parts)}.')


def _check_shapes(wanted, expected, stored, path):
  """Raises for wanted variables of other shapes in the checkpoint."""
  mismatched = [f'{name} {stored[name]} vs {list(expected[name].shape)}'
                for name in wanted
                if list(stored[name]) != list(expected[name].shape)]
  if mismatched:
    raise ValueError(f'{path}: {len(mismatched)} variable(s) of other shapes '
                     f'in the checkpoint than in the model (checkpoint vs '
                     f'model): {_listing(mismatched)}.')


def _is_head(name):
  return name.startswith(_HEAD_SCOPES)


def _check_backbone(stored, backbone, model_variant, path):
  """Raises if the checkpoint's backbone scope is not the model's."""
  scopes = {name.split('/')[0] for name in stored
            if '/' in name and not _is_head(name)}
  if backbone in scopes:
    return
  held = ', '.join(_MODEL_VARIANTS.get(scope, scope)
                   for scope in sorted(scopes))
  raise ValueError(
      f'{path} holds {f"a {held}" if held else "no"} backbone, but the '
      f'configured model has {model_variant} (variables under {backbone}/); '
      f'use the gin config of the checkpoint\'s backbone.')


def _check_num_classes(stored, num_classes, path):
  """Raises a class-count error before the generic shape check would."""
  shape = stored.get('logits/semantic/weights')
  if shape and shape[-1] != num_classes:
    raise ValueError(
        f'{path} has logits for {shape[-1]} classes, the configured model '
        f'for {num_classes}: set NUM_CLASSES = {shape[-1]} (e.g. '
        f'--gin_bindings="NUM_CLASSES = {shape[-1]}") to convert it as it '
        f'is, or load all but the logits (--skip_logits) to fine-tune on '
        f'{num_classes} classes.')


def _listing(names):
  """Names, comma-separated, the first few only."""
  shown = ', '.join(names[:_LISTED_NAMES])
  if len(names) > _LISTED_NAMES:
    shown += f', ... ({len(names) - _LISTED_NAMES} more)'
  return shown


def _layer_scopes(names):
  """Layer scopes of variable names, in order, each once."""
  scopes = (re.sub(r'(/BatchNorm)?/[^/]+$', '', name) for name in names)
  return list(dict.fromkeys(scopes))


def _describe(training_state):
  """Training-state variables counted by kind, e.g. '732 Momentum slots'."""
  kinds = collections.Counter(
      name if name in _TRAINING_STATE else name.rpartition('/')[2]
      for name in training_state)
  return ', '.join(
      kind if kind in _TRAINING_STATE else
      f'{count} {kind} slot{"s" if count > 1 else ""}'
      for kind, count in sorted(kinds.items()))
