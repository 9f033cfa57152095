import os
import tempfile

from absl.testing import parameterized
import tensorflow as tf

from tools import check_layers

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class CheckLayersTest(tf.test.TestCase, parameterized.TestCase):

  def _tree(self, files):
    """A repository of {path: source} in a temp folder."""
    root = tempfile.mkdtemp(dir=self.get_temp_dir())
    for path, source in files.items():
      os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
      with open(os.path.join(root, path), 'w') as f:
        f.write(source)
    return root

  def test_repository_follows_the_layers(self):
    self.assertEqual(check_layers.violations(_REPO_ROOT), [])
    self.assertEqual(check_layers.main(), 0)

  @parameterized.named_parameters(
      ('data_imports_model', 'official/data/pipeline.py',
       'import os\nfrom official.model import deeplab\n',
       'official/data/pipeline.py:2: official.data imports '
       'official.model.deeplab'),
      ('model_imports_data', 'official/model/builder.py',
       'import official.data.catalog\n',
       'official/model/builder.py:1: official.model imports '
       'official.data.catalog'),
      ('trainer_imports_evaluator', 'official/trainer/trainer.py',
       'from official.evaluator import evaluate\n',
       'official/trainer/trainer.py:1: official.trainer imports '
       'official.evaluator.evaluate'),
      ('evaluator_imports_trainer', 'official/evaluator/evaluate.py',
       'from official.trainer import loss\n',
       'official/evaluator/evaluate.py:1: official.evaluator imports '
       'official.trainer.loss'),
      ('ops_imports_data', 'official/ops/resize.py',
       'from official.data import decoding\n',
       'official/ops/resize.py:1: official.ops imports '
       'official.data.decoding'),
      ('library_imports_binary', 'official/exporter/serving.py',
       'from official import cli\n',
       'official/exporter/serving.py:1: official.exporter imports '
       'official.cli'),
      ('library_reads_flags', 'official/data/folder.py',
       'from absl import flags\n',
       'official/data/folder.py:1: library module imports absl.flags; flags '
       'belong to the binaries'),
      ('tool_imports_benchmark', 'tools/count_madds.py',
       'from benchmarks import timing\n',
       'tools/count_madds.py:1: tools imports benchmarks.timing'),
      ('gin_parsed_outside_experiment', 'official/eval.py',
       'import gin\n\ngin.query_parameter("train.train_steps")\n',
       'official/eval.py:3: gin.query_parameter outside '
       'official/experiment.py'),
  )
  def test_import_against_the_layers(self, path, source, expected):
    self.assertEqual(check_layers.violations(self._tree({path: source})),
                     [expected])

  def test_allowed_imports(self):
    root = self._tree({
        'official/exporter/serving.py':
            'from official.evaluator import inference\n'
            'from official.ops import resize\n',
        'official/trainer/trainer.py':
            'from official.data import pipeline\n'
            'from official.model import builder\n'
            'from official.trainer import loss\n',
        'official/eval.py': 'from absl import flags\n'
                            'from official.evaluator import evaluator\n',
        'official/experiment.py': 'import gin\ngin.parse_config("")\n',
        'tools/count_madds.py': 'from official import cli\n'
                                'from official.model import madds\n',
    })
    self.assertEqual(check_layers.violations(root), [])


if __name__ == '__main__':
  tf.test.main()
