"""The experiment a gin config describes: parsed once, and what it configures.

The one module that reads and writes gin's config: the binaries parse their
--gin_file and --gin_bindings here (`parse`, or `parse_run` for a finished
run's operative config), and ask it for the configured objects the library
does not build itself (`eval_source`, `final_step`). Importing it registers
every configurable, so gin files need no imports.

The dataset's facts are bound once, in its `DatasetInfo` (or
`dataset_info.num_classes` / `ignore_label`, as NUM_CLASSES in every
experiment): when a config is finalised, the model's class count and the
pipelines' and `FolderSource`'s class count and ignore label follow it
unless the config binds them itself.
"""

import os
import tokenize

import gin
from gin import config_parser

# Registers the configurables (`DeepLab`, `dataset_info`, the pipelines and
# sources, `train` and its recipe) that experiments bind.
from official import operative_config
from official.data import catalog
from official.data import folder  # pylint: disable=unused-import
from official.data import pipeline  # pylint: disable=unused-import
from official.data import tfds_source  # pylint: disable=unused-import
from official.data import tfrecord  # pylint: disable=unused-import
from official.model import builder  # pylint: disable=unused-import
from official.trainer import trainer  # pylint: disable=unused-import

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Parameters that follow the dataset info's num_classes / ignore_label.
_FOLLOWERS = {
    'num_classes': ('DeepLab.num_classes', 'FolderSource.num_classes'),
    'ignore_label': ('train_dataset.ignore_label', 'eval_dataset.ignore_label',
                     'FolderSource.ignore_label'),
}


class ConfigError(ValueError):
  """A gin file or binding that cannot be used, named in one line."""


def _bound_value(binding_key):
  """The value (or macro reference) bound to `binding_key`, else None."""
  try:
    return gin.query_parameter(binding_key)
  except ValueError:
    return None


@gin.config.register_finalize_hook
def _dataset_facts(config):
  """Bindings that make the model and data follow the dataset info."""
  del config  # Read through `gin.query_parameter`.
  try:
    info = catalog.dataset_info()
  except ValueError:
    return None  # No dataset in this config (e.g. a model alone).
  bindings = {}
  for fact, followers in _FOLLOWERS.items():
    # A macro stays a macro, so that the operative config reads %NUM_CLASSES.
    source = _bound_value(f'dataset_info.{fact}')
    value = getattr(info, fact) if source is None else source
    for follower in followers:
      if _bound_value(follower) is None:
        bindings[follower] = value
  return bindings


def _first_line(error):
  message = str(error).strip()
  return message.splitlines()[0] if message else type(error).__name__


def _syntax_problem(error):
  """What is wrong in a gin statement, in words."""
  if isinstance(error, tokenize.TokenError):
    return 'unfinished statement (an open bracket or quote)'
  if isinstance(error, SyntaxError):
    problem = error.msg.split(' (line')[0].rstrip('.')
    if problem == 'Unable to parse value':
      problem = 'unable to parse the value (quote strings: NAME = \'text\')'
    return f'{problem} at line {error.lineno}: {(error.text or "").strip()}'
  return _first_line(error)


def _referenced_macros():
  """Names of the macros that some binding reads (`%NAME`)."""
  macro = gin.get_configurable(gin.config.macro)
  return {reference.scoped_selector.split('/')[0] for reference in
          gin.config.iterate_references(gin.config._CONFIG, to=macro)}  # pylint: disable=protected-access


def _defined_macros():
  return sorted(scope for (scope, selector) in gin.config._CONFIG  # pylint: disable=protected-access
                if selector == 'gin.macro')


def _check_macros_read(gin_bindings):
  """A macro bound on the command line must be read by some binding."""
  referenced = _referenced_macros()
  for binding in gin_bindings:
    parser = config_parser.ConfigParser(binding, gin.config.ParserDelegate())
    for statement in parser:
      if (isinstance(statement, config_parser.BindingStatement) and
          not statement.arg_name and statement.selector not in referenced):
        known = ', '.join(name for name in _defined_macros()
                          if name in referenced)
        raise ConfigError(
            f'--gin_bindings "{binding}": nothing in the config reads the '
            f'macro {statement.selector} (known macros: {known or "none"}).')


def parse(gin_files, gin_bindings=(), overrides=None):
  """Parses gin files, then bindings, then `overrides`, and locks the config.

  Includes inside gin files resolve against the repository root as well as
  the working directory.

  Args:
    gin_files: paths of gin files, parsed in order.
    gin_bindings: binding strings, e.g. "TRAIN_STEPS = 100", applied after
      the files; a macro bound here that nothing reads is an error.
    overrides: {binding key: value} set last, e.g. from a binary's flags.

  Raises:
    FileNotFoundError: naming a gin file that does not exist.
    ConfigError: naming the file or binding that does not parse, binds an
      unknown configurable or parameter, or a macro nothing reads.

  Example:
    >>> parse(['gin_configs/toy/quickstart.gin'], ['TRAIN_STEPS = 10'])
    >>> final_step()
    10
  """
  for path in gin_files:
    if not os.path.isfile(path):
      raise FileNotFoundError(f'--gin_file {path}: no such file.')
  gin.add_config_file_search_path(REPO_ROOT)
  for path in gin_files:
    try:
      gin.parse_config_file(path)
    except (SyntaxError, tokenize.TokenError, ValueError, OSError) as error:
      where = getattr(error, 'filename', None) or path
      raise ConfigError(
          f'--gin_file {where}: {_syntax_problem(error)}') from error
  for binding in gin_bindings:
    try:
      gin.parse_config(binding)
    except (SyntaxError, tokenize.TokenError, ValueError) as error:
      raise ConfigError(
          f'--gin_bindings "{binding}": {_syntax_problem(error)}') from error
  _check_macros_read(gin_bindings)
  for key, value in (overrides or {}).items():
    gin.bind_parameter(key, value)
  try:
    gin.finalize()
  except ValueError as error:
    raise ConfigError(f'gin config: {_first_line(error)}') from error


def parse_run(gin_files, gin_bindings=(), model_dir=None,
              checkpoint_path=None, overrides=None):
  """`parse`, by default of the run's operative config (`operative_config.find`)."""
  parse(gin_files or [operative_config.find(model_dir, checkpoint_path)],
        gin_bindings, overrides)


def config_text():
  """The whole config as gin text, as a run's operative_config.gin holds it."""
  return gin.config_str()


def eval_source():
  """The configured eval split's source and a description naming it.

  Returns:
    (source, e.g. "eval/TFRecordSource(data_dir='/data', split='val')").

  Raises:
    ConfigError: if the config binds no `eval_dataset.source`.
  """
  reference = _bound_value('eval_dataset.source')
  if reference is None:
    raise ConfigError('The gin config binds no eval_dataset.source: there is '
                      'no eval split.')
  bindings = gin.get_bindings(reference.scoped_selector)
  description = '{}({})'.format(reference.scoped_selector, ', '.join(
      f'{name}={value!r}' for name, value in sorted(bindings.items())))
  return reference.scoped_configurable_fn(), description


def final_step():
  """train.train_steps of the experiment, or None if it binds no training."""
  try:
    return gin.get_bindings('train').get('train_steps')
  except ValueError:
    return None
