"""Reading a DeepLab's weights out of a checkpoint.

`restore_model` builds the configured model and restores every weight (for
evaluation, export and prediction). `initialize_from_checkpoint` is the warm
start of training (reference §4.4), separate from resuming a run: it reads the model's weights out of any
`tf.train.Checkpoint` that holds a `DeepLab` as `model` (a training run of
ours, or a converted reference checkpoint), in one of three modes, and says
which variables it restored and which it left freshly initialised.
Variables the checkpoint lacks (e.g. ASPP and decoder in a backbone-only
checkpoint) stay fresh, as the original's `ignore_missing_vars`.
"""

import dataclasses
import os
from typing import Tuple

import keras
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from official.model import builder

# backbone: the backbone's variables only; all_but_logits: everything but the
# logits (another number of classes); all: everything.
MODES = ('backbone', 'all_but_logits', 'all')


@dataclasses.dataclass(frozen=True)
class InitializationReport:
  """What `initialize_from_checkpoint` did, by variable path.

  Attributes:
    restored: variables given the checkpoint's values.
    fresh: variables left as initialised (excluded by the mode, or absent
      from the checkpoint).
  """
  restored: Tuple[str, ...]
  fresh: Tuple[str, ...]

  def __str__(self):
    fresh = ', '.join(self.fresh[:8]) + (', ...' if len(self.fresh) > 8
                                         else '')
    return (f'restored {len(self.restored)} variables, left '
            f'{len(self.fresh)} fresh' + (f' ({fresh})' if fresh else ''))


def _object_graph(reader):
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor('_CHECKPOINTABLE_OBJECT_GRAPH'))
  return graph


def _checkpoint_keys(model, graph):
  """{id(variable): checkpoint key} of the model's variables in the graph.

  Walks the checkpoint's object graph from its `model` node alongside the
  model's own trackable children, so keys are found wherever the saver
  filed them (an optimizer tracking the same variables moves their keys).
  """
  root_children = {child.local_name: child.node_id
                   for child in graph.nodes[0].children}
  if 'model' not in root_children:
    raise ValueError('The checkpoint holds no `model`: it is not a checkpoint '
                     'of a DeepLab training run or converter.')
  view = tf.train.TrackableView(model)
  keys = {}
  queue = [(model, root_children['model'])]
  visited = set()
  while queue:
    trackable, node_id = queue.pop()
    if id(trackable) in visited:
      continue
    visited.add(id(trackable))
    node = graph.nodes[node_id]
    if isinstance(trackable, (tf.Variable, keras.Variable)):
      for attribute in node.attributes:
        if attribute.name == 'VARIABLE_VALUE':
          keys[id(trackable)] = attribute.checkpoint_key
      continue
    saved_children = {child.local_name: child.node_id
                      for child in node.children}
    for name, child in view.children(trackable).items():
      if name in saved_children:
        queue.append((child, saved_children[name]))
  return keys


def _selected_variables(model, mode):
  if mode == 'backbone':
    return model.backbone.weights
  if mode == 'all_but_logits':
    logits = {id(variable) for variable in model.logits.weights}
    return [variable for variable in model.weights
            if id(variable) not in logits]
  if mode == 'all':
    return model.weights
  raise ValueError(f'Unknown initialization mode {mode!r}; choose one of '
                   f'{", ".join(MODES)}.')


class ClassCountError(ValueError):
  """The checkpoint's logits are for another number of classes.

  Attributes:
    saved_classes: the checkpoint's class count.
    model_classes: the model's.
  """

  def __init__(self, saved_classes, model_classes):
    super().__init__(
        f'The checkpoint\'s logits have {saved_classes} classes, the model '
        f'{model_classes}: initialize with mode \'all_but_logits\' (or '
        '\'backbone\') to train the logits afresh.')
    self.saved_classes = saved_classes
    self.model_classes = model_classes


def resolve_checkpoint(checkpoint_path):
  """A checkpoint prefix, given a prefix or a folder (its newest checkpoint).

  Raises:
    FileNotFoundError: naming the path, if there is no such checkpoint.
  """
  if tf.io.gfile.isdir(checkpoint_path):
    latest = tf.train.latest_checkpoint(checkpoint_path)
    if latest is None:
      raise FileNotFoundError(f'No checkpoint in {checkpoint_path}.')
    return latest
  if not tf.io.gfile.exists(checkpoint_path + '.index'):
    raise FileNotFoundError(f'No checkpoint {checkpoint_path}.')
  return checkpoint_path


def checkpoint_step(checkpoint_path):
  """The training step of a `ckpt-STEP` prefix (0 when it has no number)."""
  suffix = os.path.basename(checkpoint_path).rsplit('-', 1)[-1]
  return int(suffix) if suffix.isdigit() else 0


def restore_model(checkpoint_path, output_stride=None):
  """The gin-configured `DeepLab` with every weight from a checkpoint.

  Args:
    checkpoint_path: a checkpoint prefix, or a folder (its newest
      checkpoint): a training run of ours or a converted reference one.
    output_stride: build at this output stride instead of the configured
      one (the weights do not depend on it).

  Returns:
    (model, checkpoint prefix, step).

  Raises:
    FileNotFoundError: if there is no such checkpoint.
    ValueError: naming the checkpoint and the variable, when the checkpoint
      is of another configuration (class count, backbone, widths) or lacks
      some of the model's weights.
  """
  path = resolve_checkpoint(checkpoint_path)
  model = builder.build_model(output_stride)
  try:
    report = initialize_from_checkpoint(model, path, 'all')
  except ClassCountError as error:
    raise ValueError(
        f'{path}: its logits have {error.saved_classes} classes, the '
        f'configured model {error.model_classes}: pass the gin file (or '
        'NUM_CLASSES) it was trained with.') from error
  except ValueError as error:
    raise ValueError(f'{path}: {error} Pass the gin file it was trained '
                     'with (backbone, widths).') from error
  if report.fresh:
    missing = ', '.join(report.fresh[:4])
    raise ValueError(
        f'{path} lacks {len(report.fresh)} of the model\'s '
        f'{len(model.weights)} weights ({missing}, ...): it was written for '
        'another model configuration (backbone?); pass the gin file it was '
        'trained with.')
  return model, path, checkpoint_step(path)


def initialize_from_checkpoint(model, checkpoint_path, mode='all'):
  """Copies the selected variables' values from a checkpoint into `model`.

  Args:
    model: a built `DeepLab` (under a strategy's scope if any).
    checkpoint_path: a checkpoint prefix, or a folder (its newest
      checkpoint).
    mode: one of `MODES`.

  Returns:
    An `InitializationReport`.

  Raises:
    FileNotFoundError: if there is no such checkpoint.
    ClassCountError: for a class count mismatch (mode 'all').
    ValueError: for an unknown mode, a checkpoint without a model, or any
      other shape mismatch.

  Example:
    >>> report = initialize_from_checkpoint(model, 'runs/voc', 'all_but_logits')
    >>> report.fresh
    ('deeplab/logits.semantic/kernel', 'deeplab/logits.semantic/bias')
  """
  selected = _selected_variables(model, mode)
  checkpoint_path = resolve_checkpoint(checkpoint_path)
  reader = tf.train.load_checkpoint(checkpoint_path)
  keys = _checkpoint_keys(model, _object_graph(reader))
  shapes = reader.get_variable_to_shape_map()
  logits_key = keys.get(id(model.logits.kernel))
  if mode == 'all' and logits_key is not None and (
      shapes[logits_key][-1] != model.num_classes):
    raise ClassCountError(shapes[logits_key][-1], model.num_classes)
  restored = set()
  for variable in selected:
    key = keys.get(id(variable))
    if key is None:
      continue
    if tuple(shapes[key]) != tuple(variable.shape):
      raise ValueError(
          f'{variable.path} has shape {tuple(variable.shape)}, the '
          f'checkpoint\'s {tuple(shapes[key])}: a different model '
          'configuration.')
    variable.assign(reader.get_tensor(key))
    restored.add(id(variable))
  return InitializationReport(
      restored=tuple(v.path for v in model.weights if id(v) in restored),
      fresh=tuple(v.path for v in model.weights if id(v) not in restored))
