r"""Checks that imports follow the layers of WORKSPACE.md; prints each that does not.

    ops -> data -> model -> trainer | evaluator -> exporter -> binaries

A package may import its own modules and those of the layers `ALLOWED`
gives it: data knows nothing of the model, the model nothing of data or
training, trainer and evaluator not each other. The binaries (the modules at
the top of official/: train, eval, predict, export, cli, experiment,
operative_config) may import every package; tools/ and benchmarks/ sit on
top of them. The library packages read no flags (absl.flags, absl.app), and
only official/experiment.py parses, binds or queries gin's config.

    python -m tools.check_layers
    official/data/pipeline.py:40: official.data imports official.model.resize

Exits 1 if any import breaks a layer.
"""

import ast
import os
import sys

_LIBRARY = ('ops', 'data', 'model', 'trainer', 'evaluator', 'exporter')

# Layer -> the layers its modules may import (besides their own).
ALLOWED = {
    'ops': set(),
    'data': {'ops'},
    'model': {'ops'},
    'trainer': {'ops', 'data', 'model'},
    'evaluator': {'ops', 'data', 'model'},
    'exporter': {'ops', 'data', 'model', 'evaluator'},
    'binaries': set(_LIBRARY),
    'tools': set(_LIBRARY) | {'binaries'},
    'benchmarks': set(_LIBRARY) | {'binaries'},
}

# Modules of absl a library package must not import: flags are the
# binaries'.
_FLAG_MODULES = ('absl.flags', 'absl.app')

# gin functions that parse, bind or query the config: official/experiment.py
# alone calls them.
_GIN_CONFIG_FUNCTIONS = frozenset((
    'parse_config', 'parse_config_file', 'parse_config_files_and_bindings',
    'bind_parameter', 'query_parameter', 'finalize', 'unlock_config',
    'clear_config', 'add_config_file_search_path', 'enter_interactive_mode',
    'config_parser'))
_GIN_MODULE = os.path.join('official', 'experiment.py')

_ROOTS = ('official', 'tools', 'benchmarks')


def layer_of(module):
  """The layer of a dotted module name, or None if it is not ours.

  Example:
    >>> layer_of('official.data.pipeline'), layer_of('official.eval')
    ('data', 'binaries')
  """
  parts = module.split('.')
  if parts[0] in ('tools', 'benchmarks'):
    return parts[0]
  if parts[0] != 'official':
    return None
  if len(parts) > 1 and parts[1] in _LIBRARY:
    return parts[1]
  return 'binaries'


def _module_name(root, path):
  relative = os.path.relpath(path, root)[:-len('.py')]
  parts = relative.split(os.sep)
  if parts[-1] == '__init__':
    parts = parts[:-1]
  return '.'.join(parts)


def _imports(tree):
  """(line, dotted name) of every module or name a module imports."""
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      for alias in node.names:
        yield node.lineno, alias.name
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
      for alias in node.names:
        yield node.lineno, f'{node.module}.{alias.name}'


def _gin_config_calls(tree):
  """Lines where `gin.<function that parses, binds or queries>` appears."""
  for node in ast.walk(tree):
    if (isinstance(node, ast.Attribute) and
        node.attr in _GIN_CONFIG_FUNCTIONS and
        isinstance(node.value, ast.Name) and node.value.id == 'gin'):
      yield node.lineno, f'gin.{node.attr}'
    elif (isinstance(node, ast.ImportFrom) and node.module == 'gin' and
          any(alias.name in _GIN_CONFIG_FUNCTIONS for alias in node.names)):
      yield node.lineno, 'from gin import ...'


def _source_files(root):
  for top in _ROOTS:
    for folder, _, files in os.walk(os.path.join(root, top)):
      for name in sorted(files):
        if name.endswith('.py'):
          yield os.path.join(folder, name)


def violations(root):
  """Every import or gin call under `root` that breaks a layer, as text.

  Args:
    root: the repository's root folder.

  Returns:
    Sorted lines 'path:line: what is wrong'.
  """
  found = []
  for path in _source_files(root):
    with open(path, encoding='utf-8') as f:
      tree = ast.parse(f.read(), path)
    relative = os.path.relpath(path, root)
    module = _module_name(root, path)
    layer = layer_of(module)
    for line, name in _imports(tree):
      imported = layer_of(name)
      if imported is not None and imported != layer and (
          imported not in ALLOWED[layer]):
        found.append(f'{relative}:{line}: official.{layer} imports {name}'
                     if layer in _LIBRARY else
                     f'{relative}:{line}: {layer} imports {name}')
      if layer in _LIBRARY and (name in _FLAG_MODULES or any(
          name.startswith(flag + '.') for flag in _FLAG_MODULES)):
        found.append(f'{relative}:{line}: library module imports {name}; '
                     'flags belong to the binaries')
    if relative != _GIN_MODULE:
      for line, call in _gin_config_calls(tree):
        found.append(f'{relative}:{line}: {call} outside {_GIN_MODULE}')
  return sorted(found)


def main():
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  found = violations(root)
  for line in found:
    print(line)
  if found:
    print(f'{len(found)} import(s) against the layers of WORKSPACE.md.',
          file=sys.stderr)
    return 1
  print('Every import follows the layers of WORKSPACE.md.')
  return 0


if __name__ == '__main__':
  sys.exit(main())
