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


def _selection(model, mode):
  """What `mode` restores of `model`, standing in the model's place."""
  if mode == 'backbone':
    return tf.train.Checkpoint(backbone=model.backbone)
  if mode == 'all_but_logits':
    children = tf.train.TrackableView(model).children(model)
    return tf.train.Checkpoint(**{name: child
                                  for name, child in children.items()
                                  if child is not model.logits})
  if mode == 'all':
    return model
  raise ValueError(f'Unknown initialization mode {mode!r}; choose one of '
                   f'{", ".join(MODES)}.')


def _saved_shapes(selection, checkpoint_path):
  """{id(variable): shape in the checkpoint} of the selected variables it holds.

  `tf.train.CheckpointView.match` pairs the checkpoint's `model` with
  `selection` by object path, as restoring does; the shapes are read under
  the checkpoint keys of the matched nodes, wherever the saver filed them (an
  optimizer tracking the same variables moves their keys).
  """
  view = tf.train.CheckpointView(checkpoint_path)
  if 'model' not in view.children(0):
    raise ValueError('The checkpoint holds no `model`: it is not a checkpoint '
                     'of a DeepLab training run or converter.')
  reader = tf.train.load_checkpoint(checkpoint_path)
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor('_CHECKPOINTABLE_OBJECT_GRAPH'))
  shapes = reader.get_variable_to_shape_map()
  matched = view.match(tf.train.Checkpoint(model=selection))
  return {id(trackable): tuple(shapes[attribute.checkpoint_key])
          for node_id, trackable in matched.items()
          for attribute in graph.nodes[node_id].attributes
          if attribute.name == 'VARIABLE_VALUE'}


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
  selection = _selection(model, mode)
  checkpoint_path = resolve_checkpoint(checkpoint_path)
  saved = _saved_shapes(selection, checkpoint_path)
  logits_shape = saved.get(id(model.logits.kernel))
  if logits_shape and logits_shape[-1] != model.num_classes:
    raise ClassCountError(logits_shape[-1], model.num_classes)
  for variable in model.weights:
    shape = saved.get(id(variable))
    if shape is not None and shape != tuple(variable.shape):
      raise ValueError(
          f'{variable.path} has shape {tuple(variable.shape)}, the '
          f'checkpoint\'s {shape}: a different model configuration.')
  # The variables the checkpoint lacks stay as initialised.
  tf.train.Checkpoint(model=selection).read(checkpoint_path).expect_partial()
  return InitializationReport(
      restored=tuple(v.path for v in model.weights if id(v) in saved),
      fresh=tuple(v.path for v in model.weights if id(v) not in saved))
