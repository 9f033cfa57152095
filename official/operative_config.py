"""The gin config a training run leaves beside its checkpoints.

The trainer writes the complete config it ran with to
model_dir/operative_config.gin; the binaries that read a run (eval, predict,
export) use it when given no --gin_file (`experiment.parse_run`).
"""

import os

import tensorflow as tf

FILENAME = 'operative_config.gin'


def find(model_dir=None, checkpoint_path=None):
  """The operative config of a run: in `model_dir`, else beside the checkpoint.

  Args:
    model_dir: the run's folder, or None.
    checkpoint_path: a checkpoint prefix of the run, or None.

  Returns:
    The path of the config.

  Raises:
    FileNotFoundError: naming the folders looked in, if neither has one.

  Example:
    >>> find('runs/toy')
    'runs/toy/operative_config.gin'
  """
  folders = [folder for folder in dict.fromkeys(
      (model_dir, checkpoint_path and os.path.dirname(checkpoint_path)))
             if folder]
  for folder in folders:
    path = os.path.join(folder, FILENAME)
    if tf.io.gfile.exists(path):
      return path
  raise FileNotFoundError(
      f'No --gin_file given and no {FILENAME} in {" or ".join(folders)}: '
      'pass the experiment\'s gin file.')
