"""What a crash can leave in a checkpoint folder, and resuming past it.

A kill during a save leaves the save's staging folder `ckpt-N_temp/`, and
a full disk can leave a newest checkpoint whose files are cut short. The
first is removed on resume; the second is renamed `unreadable-ckpt-N.*`
(kept, so nothing is lost), with a warning, and the run resumes from the
newest checkpoint before it.
"""

import os
import time

from absl import logging
import tensorflow as tf

UNREADABLE_PREFIX = 'unreadable-'


class NoReadableCheckpointError(RuntimeError):
  """Every checkpoint of a model_dir is unreadable."""


def remove_temp_folders(directory, prefix='ckpt'):
  """Deletes the staging folders of interrupted saves; returns their paths."""
  removed = []
  for path in sorted(tf.io.gfile.glob(os.path.join(directory,
                                                   f'{prefix}-*_temp'))):
    if tf.io.gfile.isdir(path):
      tf.io.gfile.rmtree(path)
      removed.append(path)
      logging.info('Removed %s, left by a save that was interrupted.', path)
  return removed


def is_readable(path):
  """Whether every tensor of checkpoint `path` can be read in full.

  Variant tensors (the input iterator's state) have no NumPy value to read;
  their bytes sit between the others'.
  """
  try:
    reader = tf.train.load_checkpoint(path)
    for key, dtype in reader.get_variable_to_dtype_map().items():
      if dtype != tf.variant:
        reader.get_tensor(key)
  except (tf.errors.OpError, ValueError, IndexError, OSError):
    return False
  return True


def _free_name(directory, name):
  """`name`, or name-TIME if a file of that name is already there."""
  if not tf.io.gfile.glob(os.path.join(directory, name + '.*')):
    return name
  return f'{name}-{int(time.time())}'


def set_aside(path, checkpoints):
  """Renames checkpoint `path`'s files to unreadable-NAME.* and forgets it.

  Args:
    path: the unreadable checkpoint.
    checkpoints: the folder's checkpoints, oldest first (a
      `tf.train.CheckpointManager`'s); the folder's state file is rewritten
      without `path`, so a new manager of the folder no longer lists it.

  Raises:
    NoReadableCheckpointError: if no checkpoint remains to resume from.
  """
  directory, name = os.path.split(path)
  new_name = _free_name(directory, UNREADABLE_PREFIX + name)
  for file in tf.io.gfile.glob(path + '.*'):
    suffix = file[len(path):]
    tf.io.gfile.rename(file, os.path.join(directory, new_name + suffix))
  remaining = [other for other in checkpoints if other != path]
  if not remaining:
    raise NoReadableCheckpointError(
        f'{path} is unreadable (truncated or corrupt, e.g. by a full disk; '
        f'kept as {os.path.join(directory, new_name)}.*) and {directory} '
        'has no earlier checkpoint: free space, then delete '
        f'{os.path.join(directory, "checkpoint")} to start afresh.')
  tf.compat.v1.train.update_checkpoint_state(directory, remaining[-1],
                                             remaining)
  logging.warning(
      '%s is unreadable (truncated or corrupt, e.g. by a full disk); kept '
      'as %s.* and resuming from %s instead.', path,
      os.path.join(directory, new_name), remaining[-1])
