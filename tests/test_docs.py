"""The documentation's examples: docstrings run, README flags exist.

Docstring examples of the modules whose examples stand alone run as
doctests; every `python -m official.X` / `tools.X` command line of the
README uses only flags the binary defines.
"""

import doctest
import importlib
import os
import re

from absl.testing import parameterized
import gin
import tensorflow as tf

from official import cli

# Modules whose docstring examples need no model or dataset.
_DOCTESTED = ('official.ops.setting_checks', 'official.tensorflow_startup',
              'official.evaluator.protocol', 'official.model.recompute')
# Flags every binary has: cli's and absl's.
_COMMON_FLAGS = {'gin_file', 'gin_bindings', 'helpfull', 'help', 'verbosity'}
_DEFINE = re.compile(r"DEFINE_\w+\(\s*'(\w+)'")


def _readme_commands():
  """[(module, [flag names])] of the README's command lines."""
  with open(os.path.join(cli.REPO_ROOT, 'README.md')) as f:
    text = f.read().replace('\\\n', ' ')
  commands = []
  for line in text.splitlines():
    match = re.search(r'-m ((?:official|tools)\.\w+)(.*)', line)
    if match:
      commands.append((match.group(1),
                       re.findall(r'(?<!\w)--(\w+)', match.group(2))))
  return commands


def _defined_flags(module):
  """Flag names a binary's source (and the cli helpers it calls) defines."""
  path = os.path.join(cli.REPO_ROOT, *module.split('.')) + '.py'
  with open(path) as f:
    source = f.read()
  names = set(_DEFINE.findall(source))
  with open(os.path.join(cli.REPO_ROOT, 'official', 'cli.py')) as f:
    cli_source = f.read()
  for helper in re.findall(r'cli\.(define_\w+)\(\)', source):
    body = cli_source.split(f'def {helper}(')[1].split('\ndef ')[0]
    names |= set(_DEFINE.findall(body))
  return names | _COMMON_FLAGS


class DocsTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(*_DOCTESTED)
  def test_docstring_examples(self, module_name):
    gin.clear_config()
    self.addCleanup(gin.clear_config)
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    self.assertGreater(result.attempted, 0)
    self.assertEqual(result.failed, 0)

  def test_readme_flags_exist(self):
    commands = _readme_commands()
    self.assertGreater(len(commands), 10)
    for module, flags in commands:
      with self.subTest(module):
        unknown = set(flags) - _defined_flags(module)
        self.assertEqual(unknown, set(), f'{module} {flags}')


if __name__ == '__main__':
  tf.test.main()
