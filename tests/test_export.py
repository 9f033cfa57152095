"""The export binary, and its SavedModel where only TF is."""

import json
import os
import shutil
import sys
import tempfile

import numpy as np
from PIL import Image
import tensorflow as tf

from official.evaluator import inference
from tests import fixtures

_FLAGS = ('--crop_size=65,65', '--eval_scales=0.75,1.0',
          '--add_flipped_images')
_SAVED_MODEL_CLI = os.path.join(os.path.dirname(sys.executable),
                                'saved_model_cli')

# Run with `python -c` from a folder outside the repository: the SavedModel
# must serve with TensorFlow alone.
_SERVE_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
export_dir, inputs_path, png_path, outputs_path = sys.argv[1:]
loaded = tf.saved_model.load(export_dir)
images = np.load(inputs_path)['images']
pixels = loaded.signatures['serving_default'](image=tf.constant(images))
with open(png_path, 'rb') as f:
  files = loaded.signatures['serving_bytes'](image_bytes=tf.constant([f.read()]))
assert not [name for name in sys.modules if name.split('.')[0] in ('official', 'tests')]
np.savez(outputs_path, **{'pixels_' + key: value.numpy() for key, value in pixels.items()},
         **{'files_' + key: value.numpy() for key, value in files.items()})
"""


def _run(*command):
  result = fixtures.run_command(command)
  if result.returncode:
    raise AssertionError(f'{command} failed:\n{result.stderr}')
  return result


class ExportBinaryTest(tf.test.TestCase):
  """One export of a run's newest checkpoint with its operative config."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp(prefix='deeplab_export_binary_test_')
    cls.model_dir = os.path.join(cls.root, 'run')
    fixtures.copy_run(fixtures.shared_run()[1], cls.model_dir, step=1)
    # A second checkpoint with batch norms like a trained model's, so that
    # folding them changes the graph's numbers.
    cls.model = fixtures.trained_like(
        fixtures.restored_model(cls.model_dir, 1))
    tf.train.CheckpointManager(
        tf.train.Checkpoint(model=cls.model), cls.model_dir,
        max_to_keep=None).save(checkpoint_number=2)
    cls.export_dir = os.path.join(cls.root, 'export')
    cls.result = fixtures.run_main(
        'official.export', f'--model_dir={cls.model_dir}',
        f'--export_dir={cls.export_dir}', *_FLAGS)
    # The count for the same config and settings.
    counted = fixtures.run_main(
        'tools.count_madds',
        f'--gin_file={cls.model_dir}/operative_config.gin',
        '--input_size=65,65', *_FLAGS[1:])
    cls.counted = counted.stdout
    if cls.result.returncode or counted.returncode:
      raise AssertionError(f'Export or count failed:\n{cls.result.stderr}\n'
                           f'{counted.stderr}')

    rng = np.random.default_rng(0)
    cls.images = rng.integers(0, 256, (2, 40, 57, 3), dtype=np.uint8)
    cls.png_path = os.path.join(cls.root, 'image.png')
    Image.fromarray(cls.images[0]).save(cls.png_path)
    padded = tf.pad(tf.cast(cls.images, tf.float32),
                    [[0, 0], [0, 25], [0, 8], [0, 0]], constant_values=127.5)
    cls.expected = inference.predict(cls.model, padded, (0.75, 1.0),
                                     True)['probabilities'][:, :40, :57]

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root, ignore_errors=True)
    super().tearDownClass()

  def _model_info(self):
    with open(os.path.join(self.export_dir, 'assets.extra',
                           'model_info.json')) as f:
      return json.load(f)

  def assert_labels(self, labels, expected_probabilities, atol=1e-3):
    """Labels are the expected argmax but where the top two are near-ties."""
    top_two = tf.math.top_k(expected_probabilities, 2).values
    decided = top_two[..., 0] - top_two[..., 1] > 2 * atol
    self.assertGreater(float(tf.reduce_mean(tf.cast(decided, tf.float32))),
                       0.9)
    self.assertAllEqual(
        tf.boolean_mask(labels, decided),
        tf.boolean_mask(tf.argmax(expected_probabilities, -1), decided))

  def test_prints_the_model_info_it_writes(self):
    lines = self.result.stdout.splitlines()
    self.assertEqual(json.loads(lines[-2]), self._model_info())
    self.assertEqual(
        lines[-1], f'Exported {self.model_dir}/ckpt-2 (step 2) to '
        f'{self.export_dir}.')

  def test_model_info_counts_as_count_madds(self):
    self.assertEqual(self._model_info(), dict(
        json.loads(self.counted.splitlines()[-1]),
        num_classes=4, class_names=['background', 'square', 'disc',
                                    'triangle'],
        input_size=[65, 65], output_stride=16, eval_scales=[0.75, 1.0],
        add_flipped_images=True))

  def test_serves_with_tensorflow_alone(self):
    inputs_path = os.path.join(self.root, 'inputs.npz')
    outputs_path = os.path.join(self.root, 'outputs.npz')
    np.savez(inputs_path, images=self.images)
    env = {key: value for key, value in os.environ.items()
           if key != 'PYTHONPATH'}
    result = fixtures.run_command(
        [sys.executable, '-c', _SERVE_SCRIPT, self.export_dir, inputs_path,
         self.png_path, outputs_path], cwd=self.root, env=env)
    self.assertEqual(result.returncode, 0, result.stderr)
    outputs = np.load(outputs_path)
    self.assertEqual(outputs['pixels_semantic_predictions'].dtype, np.int32)
    self.assertAllClose(outputs['pixels_semantic_probabilities'],
                        self.expected, atol=1e-3, rtol=0)
    self.assert_labels(outputs['pixels_semantic_predictions'], self.expected)
    # The PNG holds the first image's pixels exactly.
    self.assertAllClose(outputs['files_semantic_probabilities'],
                        self.expected[:1], atol=1e-3, rtol=0)
    self.assert_labels(outputs['files_semantic_predictions'],
                       self.expected[:1])

  def test_saved_model_cli_shows_both_signatures(self):
    shown = _run(_SAVED_MODEL_CLI, 'show', '--dir', self.export_dir,
                 '--all').stdout
    for expected in ("signature_def['serving_default']",
                     "signature_def['serving_bytes']", "inputs['image']",
                     "inputs['image_bytes']",
                     "outputs['semantic_predictions']",
                     "outputs['semantic_probabilities']"):
      self.assertIn(expected, shown)

  def test_saved_model_cli_runs_on_a_png_file(self):
    files_path = os.path.join(self.root, 'files.npy')
    with open(self.png_path, 'rb') as f:
      np.save(files_path, np.array([f.read()]))
    outdir = os.path.join(self.root, 'saved_model_cli')
    _run(_SAVED_MODEL_CLI, 'run', '--dir', self.export_dir, '--tag_set',
         'serve', '--signature_def', 'serving_bytes', '--inputs',
         f'image_bytes={files_path}', '--outdir', outdir)
    labels = np.load(os.path.join(outdir, 'semantic_predictions.npy'))
    self.assertEqual(labels.shape, (1, 40, 57))
    self.assert_labels(labels, self.expected[:1])


class ErrorsTest(tf.test.TestCase):
  """Bad invocations: each fails in one line."""

  def _assert_one_line_error(self, flags, expected):
    result = fixtures.run_main('official.export', *flags,
                               f'--export_dir={self.get_temp_dir()}/export')
    fixtures.assert_one_line_error(self, result, expected)

  def test_missing_checkpoint(self):
    self._assert_one_line_error(['--checkpoint=/nonexistent/ckpt-1'],
                                'No checkpoint /nonexistent/ckpt-1')

  def test_bad_crop_size(self):
    self._assert_one_line_error(
        ['--checkpoint=/nonexistent/ckpt-1', '--crop_size=65'], '--crop_size')

  def test_checkpoint_without_a_config(self):
    lone_checkpoint = tf.train.Checkpoint(step=tf.Variable(1)).write(
        os.path.join(self.get_temp_dir(), 'ckpt-1'))
    self._assert_one_line_error([f'--checkpoint={lone_checkpoint}'],
                                '--gin_file')

if __name__ == '__main__':
  tf.test.main()
