"""What every binary shares: the gin flags and one-line errors.

Usage in a binary:

    from official import cli

    def main(argv):
      cli.parse_gin()
      ...

    if __name__ == '__main__':
      cli.run(main)
"""

import sys

from absl import app
from absl import flags
from absl import logging

from official import experiment

REPO_ROOT = experiment.REPO_ROOT

flags.DEFINE_multi_string(
    'gin_file', [], 'Gin config files, parsed in order (repeatable).')
flags.DEFINE_multi_string(
    'gin_bindings', [],
    'Gin bindings applied after the files, e.g. "TRAIN_STEPS = 100" '
    '(repeatable).')

FLAGS = flags.FLAGS


class UsageError(Exception):
  """A bad flag, file or config: reported in one line, exit status 1."""


def parse_gin(gin_files=None, gin_bindings=None, overrides=None):
  """`experiment.parse` of `--gin_file` and `--gin_bindings` (or the lists)."""
  experiment.parse(FLAGS.gin_file if gin_files is None else gin_files,
                   FLAGS.gin_bindings if gin_bindings is None else
                   gin_bindings, overrides)


def parse_run_gin(model_dir=None, checkpoint_path=None):
  """`experiment.parse_run`: --gin_file, else the run's operative config."""
  experiment.parse_run(FLAGS.gin_file, FLAGS.gin_bindings, model_dir,
                       checkpoint_path)


def reject_gin():
  """For binaries that run nothing configurable: --gin_* would be ignored."""
  for name in ('gin_file', 'gin_bindings'):
    if FLAGS[name].value:
      raise UsageError(f'--{name}: this binary runs nothing that gin '
                       'configures.')


def run(main):
  """`absl.app.run(main)`, turning expected errors into one line and exit 1."""

  def main_with_errors(argv):
    try:
      return main(argv)
    except (UsageError, ValueError, FileNotFoundError) as error:
      logging.debug('Details of the error below.', exc_info=True)
      message = str(error).splitlines()[0] if str(error) else repr(error)
      print(f'error: {message}', file=sys.stderr)
      sys.exit(1)

  app.run(main_with_errors)


def check_arguments(argv, required=()):
  """No positional arguments, and every flag named in `required` set."""
  if len(argv) > 1:
    raise UsageError(f'Unexpected arguments: {" ".join(argv[1:])}')
  for name in required:
    if not FLAGS[name].value:
      raise UsageError(f'--{name} is required.')


def define_eval_protocol_flags():
  """Flags of the evaluation protocol shared by eval, export, predict, count."""
  flags.DEFINE_integer(
      'eval_output_stride', None,
      'Evaluate at this output stride (atrous rates follow); default: the '
      'configured one.', lower_bound=1)
  flags.DEFINE_list('eval_scales', ['1.0'],
                    'Input scales whose softmax outputs are averaged.')
  flags.DEFINE_bool('add_flipped_images', False,
                    'Also evaluate left-right flipped inputs.')


def define_window_flags():
  """Sliding-window inference flags shared by eval and predict."""
  flags.DEFINE_list(
      'window_size', None,
      'H,W: sliding-window inference with windows of this size (e.g. the '
      'training crop); images larger than the eval crop size are then let '
      'through.')
  flags.DEFINE_list('window_stride', None,
                    'H,W: the step between windows; default --window_size.')


def window():
  """(`--window_size`, `--window_stride`) as (H, W) pairs or None."""
  window_size = size_flag('window_size')
  window_stride = size_flag('window_stride')
  if window_stride and not window_size:
    raise UsageError('--window_stride needs --window_size.')
  return window_size, window_stride


def eval_scales():
  """`--eval_scales` as positive floats."""
  try:
    scales = [float(scale) for scale in FLAGS.eval_scales]
  except ValueError as error:
    raise UsageError(f'--eval_scales: {error}') from error
  if not scales or any(scale <= 0 for scale in scales):
    raise UsageError(f'--eval_scales must be positive numbers, got '
                     f'{",".join(FLAGS.eval_scales)}.')
  return scales


def size_flag(name):
  """A 'H,W' flag (absl list) as a pair of positive ints, or None if unset."""
  value = FLAGS[name].value
  if not value:
    return None
  try:
    size = tuple(int(v) for v in value)
  except ValueError as error:
    raise UsageError(f'--{name}: {error}') from error
  if len(size) != 2 or min(size) < 1:
    raise UsageError(f'--{name} must be two positive integers H,W, got '
                     f'{",".join(value)}.')
  return size
