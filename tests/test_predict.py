"""The predict binary: checkpoints, SavedModels, errors."""

import os
import shutil
import tempfile

import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import cityscapes
from official.data import colormap
from official.evaluator import inference
from official.ops import mean_pixel
from tests import fixtures


def _read_png(path):
  return np.asarray(Image.open(path))


def _write_images(folder):
  """The toy eval images as PNGs (lossless: the test sees what TF decodes)."""
  os.makedirs(folder)
  images = {}
  for index, (image, _) in enumerate(fixtures.toy_images()):
    images[f'image_{index}'] = image
    Image.fromarray(image).save(os.path.join(folder, f'image_{index}.png'))
  return images


class _StandInServing(tf.Module):
  """The contract's serving signature, labelling pixel (y, x) (y + 2x) % 19."""

  @tf.function(input_signature=[
      tf.TensorSpec([None, None, None, 3], tf.uint8, name='image')])
  def serve(self, image):
    shape = tf.shape(image)
    rows = tf.range(shape[1])[:, tf.newaxis]
    columns = tf.range(shape[2])[tf.newaxis, :]
    labels = tf.broadcast_to((rows + 2 * columns) % 19, shape[1:3])
    return {'semantic_predictions': tf.tile(labels[tf.newaxis],
                                            [shape[0], 1, 1]),
            'semantic_probabilities': tf.one_hot(labels[tf.newaxis], 19)}


def _stand_in_labels(height, width):
  rows, columns = np.mgrid[:height, :width]
  return (rows + 2 * columns) % 19


class PredictBinaryTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.stand_in_dir = tempfile.mkdtemp()
    cls.addClassCleanup(shutil.rmtree, cls.stand_in_dir)
    serving = _StandInServing()
    tf.saved_model.save(serving, cls.stand_in_dir,
                        signatures={'serving_default': serving.serve})

  def setUp(self):
    super().setUp()
    _, self.run_dir = fixtures.shared_run()
    self.input_dir = os.path.join(self.get_temp_dir(), 'images')
    self.images = _write_images(self.input_dir)

  def _predict(self, output_dir, *flags):
    return fixtures.run_main(
        'official.predict', f'--input={self.input_dir}/*.png',
        f'--output_dir={output_dir}', *flags)

  def _assert_predicted(self, result):
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('of 3 images', result.stdout)

  def _outputs(self, output_dir, name):
    return [_read_png(os.path.join(output_dir, f'{name}_{kind}.png'))
            for kind in ('label', 'color', 'overlay')]

  def test_checkpoint_and_its_export_label_as_evaluation_does(self):
    export_dir = os.path.join(self.get_temp_dir(), 'export')
    # At the eval crop size, and without batch norm folding, whose rounding
    # could flip near ties.
    exported = fixtures.run_main(
        'official.export', f'--model_dir={self.run_dir}',
        f'--export_dir={export_dir}',
        f'--crop_size={fixtures.EVAL_SIZE},{fixtures.EVAL_SIZE}',
        '--nofold_batch_norm')
    self.assertEqual(exported.returncode, 0, exported.stderr)
    from_checkpoint = os.path.join(self.get_temp_dir(), 'from_checkpoint')
    self._assert_predicted(
        self._predict(from_checkpoint, f'--model_dir={self.run_dir}'))
    from_export = os.path.join(self.get_temp_dir(), 'from_export')
    self._assert_predicted(self._predict(
        from_export, f'--export_dir={export_dir}', '--colormap=pascal'))
    # The labels through the library.
    model = fixtures.restored_model(self.run_dir, 2)
    expected = {}
    for name, image in self.images.items():
      height, width = image.shape[:2]
      padded = np.full((1, fixtures.EVAL_SIZE, fixtures.EVAL_SIZE, 3),
                       mean_pixel.MEAN_PIXEL, np.float32)
      padded[0, :height, :width] = image
      expected[name] = inference.predict(model, padded)['predictions'][
          0, :height, :width].numpy()

    for name, image in self.images.items():
      self.assertGreater(len(np.unique(expected[name])), 1)
      for output_dir in (from_checkpoint, from_export):
        with self.subTest(name=name, output_dir=output_dir):
          labels, colors, overlay = self._outputs(output_dir, name)
          self.assertEqual(labels.dtype, np.uint8)
          self.assertAllEqual(labels, expected[name])
          self.assertAllEqual(colors,
                              colormap.pascal_colormap()[expected[name]])
          self.assertAllClose(overlay, 0.5 * image + 0.5 * colors, atol=0.5)

  def test_saved_model_with_cityscapes_label_ids(self):
    output_dir = os.path.join(self.get_temp_dir(), 'predictions')
    self._assert_predicted(self._predict(
        output_dir, f'--export_dir={self.stand_in_dir}',
        '--cityscapes_label_ids', '--overlay_opacity=0.25'))
    for name, image in self.images.items():
      train_ids = _stand_in_labels(*image.shape[:2])
      labels, colors, overlay = self._outputs(output_dir, name)
      self.assertAllEqual(
          labels, np.array(cityscapes.TRAIN_ID_TO_LABEL_ID)[train_ids])
      self.assertEqual(labels.max(), 33)
      self.assertAllEqual(colors, colormap.cityscapes_colormap()[train_ids])
      self.assertAllClose(overlay, 0.75 * image + 0.25 * colors, atol=0.5)
    # The server's folder: the label ids alone, under each image's name.
    results = os.path.join(output_dir, cityscapes.RESULTS_FOLDER)
    self.assertEqual(sorted(os.listdir(results)),
                     sorted(f'{name}.png' for name in self.images))
    for name in self.images:
      labels, _, _ = self._outputs(output_dir, name)
      self.assertAllEqual(_read_png(os.path.join(results, f'{name}.png')),
                          labels)

  def test_bad_inputs_are_one_line_errors(self):
    unreadable = os.path.join(self.input_dir, 'broken.jpg')
    with open(unreadable, 'w') as f:
      f.write('not an image')
    output_dir = f'--output_dir={self.get_temp_dir()}'
    fixtures.assert_one_line_error(
        self, fixtures.run_main(
            'official.predict', f'--input={unreadable}',
            f'--export_dir={self.stand_in_dir}', output_dir),
        f'1 of 1 images are not readable image files ({unreadable})')
    fixtures.assert_one_line_error(
        self, fixtures.run_main(
            'official.predict', f'--input={self.input_dir}/*.bmp',
            f'--model_dir={self.run_dir}', output_dir),
        f'--input {self.input_dir}/*.bmp: matches no file.')

if __name__ == '__main__':
  tf.test.main()
