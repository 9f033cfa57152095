import io
import json
import os
import re
import shutil
import tempfile

from absl.testing import parameterized
import numpy as np
from PIL import Image
import tensorflow as tf

from official.exporter import saved_model
from official.exporter import serving
from official.model import madds
from tests import fixtures

_CLASS_NAMES = ('background', 'left', 'right')
# (signature, input name) of the bad-input cases.
_PIXELS = ('serving_default', serving.IMAGE_SPEC.name)
_FILES = ('serving_bytes', serving.IMAGE_BYTES_SPEC.name)


def _images(batch_size, height, width, seed=0):
  rng = np.random.default_rng(seed)
  return tf.constant(rng.integers(0, 256, (batch_size, height, width, 3)),
                     tf.uint8)


def _encoded(pixels, image_format):
  buffer = io.BytesIO()
  Image.fromarray(np.asarray(pixels)).save(buffer, format=image_format)
  return buffer.getvalue()


def _png(height, width):
  return _encoded(_images(1, height, width)[0], 'PNG')


def _mean_padded(images, height, width):
  """As the original's eval preprocessing pads: bottom/right, mean pixel."""
  return tf.pad(tf.cast(images, tf.float32),
                [[0, 0], [0, height - images.shape[1]],
                 [0, width - images.shape[2]], [0, 0]],
                constant_values=127.5)


class SavedModelTest(tf.test.TestCase, parameterized.TestCase):
  """A tiny model exported unfolded with a crop size; loaded in-process.

  tests/test_export.py exports with folded batch norm, scales and flips.
  """

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.model = fixtures.trained_like(fixtures.tiny_model(3))
    cls.export_dir = tempfile.mkdtemp(prefix='deeplab_export_test_')
    cls.info = saved_model.export_saved_model(
        cls.model, cls.export_dir, _CLASS_NAMES, crop_size=(49, 65),
        fold_batch_norm=False)
    cls.loaded = tf.saved_model.load(cls.export_dir)

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.export_dir, ignore_errors=True)
    super().tearDownClass()

  def serve(self, images):
    return self.loaded.signatures['serving_default'](image=images)

  @parameterized.named_parameters(
      ('smaller_than_the_crop', 40, 50, 49, 65),
      ('taller_than_the_crop', 70, 30, 81, 65),
  )
  def test_equals_the_model_on_the_mean_padded_input(
      self, height, width, padded_height, padded_width):
    images = _images(2, height, width)
    expected = tf.nn.softmax(self.model(
        _mean_padded(images, padded_height, padded_width), training=False))
    outputs = self.serve(images)
    self.assertEqual(outputs['semantic_predictions'].dtype, tf.int32)
    self.assertAllClose(outputs['semantic_probabilities'],
                        expected[:, :height, :width], atol=1e-5, rtol=0)
    self.assertAllEqual(
        outputs['semantic_predictions'],
        tf.argmax(expected[:, :height, :width], -1, output_type=tf.int32))

  @parameterized.named_parameters(('png', 'PNG'), ('jpeg', 'JPEG'))
  def test_files_serve_as_their_pixels(self, image_format):
    images = _images(2, 40, 50)
    files = tf.constant([_encoded(image, image_format) for image in images])
    pixels = tf.stack([tf.io.decode_image(encoded) for encoded in files])
    outputs = self.loaded.signatures['serving_bytes'](image_bytes=files)
    expected = self.serve(pixels)
    self.assertAllEqual(outputs['semantic_predictions'],
                        expected['semantic_predictions'])
    self.assertAllClose(outputs['semantic_probabilities'],
                        expected['semantic_probabilities'], atol=1e-6)

  def test_gray_and_rgba_pngs_serve_as_rgb(self):
    gray = Image.fromarray(_images(1, 40, 50)[0].numpy()).convert('L')
    files = tf.constant([_encoded(gray, 'PNG'),
                         _encoded(gray.convert('RGBA'), 'PNG')])
    outputs = self.loaded.signatures['serving_bytes'](image_bytes=files)
    expected = self.serve(tf.constant(np.stack(
        [np.asarray(gray.convert('RGB'))] * 2)))
    self.assertAllEqual(outputs['semantic_predictions'],
                        expected['semantic_predictions'])

  def test_holds_each_weight_once(self):
    reader = tf.train.load_checkpoint(
        os.path.join(self.export_dir, 'variables', 'variables'))
    stored = sum(int(np.prod(shape)) for key, shape in
                 reader.get_variable_to_shape_map().items()
                 if key != '_CHECKPOINTABLE_OBJECT_GRAPH')
    self.assertEqual(stored, sum(int(np.prod(weight.shape))
                                 for weight in self.model.weights))

  def test_model_info(self):
    with open(os.path.join(self.export_dir, 'assets.extra',
                           'model_info.json')) as f:
      info = json.load(f)
    cost = madds.eval_cost(self.model, (49, 65))
    self.assertEqual(info, {
        'paper_madds_b': round(cost.paper_madds / 1e9, 4),
        'executed_madds_b': round(cost.executed_madds / 1e9, 4),
        'params': cost.params,
        'num_classes': 3,
        'class_names': list(_CLASS_NAMES),
        'input_size': [49, 65],
        'output_stride': 16,
        'eval_scales': [1.0],
        'add_flipped_images': False,
    })
    self.assertEqual(info, self.info)

  @parameterized.named_parameters(
      ('float', _PIXELS, lambda: tf.zeros([1, 5, 5, 3]), 'uint8'),
      ('rank_3', _PIXELS, lambda: tf.zeros([5, 5, 3], tf.uint8),
       'image must be [batch, height, width, 3]'),
      ('four_channels', _PIXELS, lambda: tf.zeros([1, 5, 5, 4], tf.uint8),
       'image must be'),
      ('one_channel', _PIXELS, lambda: tf.zeros([1, 5, 5, 1], tf.uint8),
       'image must be'),
      ('zero_height', _PIXELS, lambda: tf.zeros([1, 0, 5, 3], tf.uint8),
       'image must be'),
      ('no_image', _PIXELS, lambda: tf.zeros([0, 5, 5, 3], tf.uint8),
       'image must be'),
      ('empty_string', _FILES, lambda: tf.constant([b'']),
       'image_bytes[0] is not a JPEG or PNG file (a string of 0 bytes)'),
      ('not_an_image', _FILES,
       lambda: tf.constant([_png(40, 50), _png(40, 50), b'GIF89a...']),
       'image_bytes[2] is not a JPEG or PNG file (a string of 9 bytes)'),
      # A PNG header then garbage: TensorFlow's decoder reports it.
      ('truncated_png', _FILES, lambda: tf.constant([_png(40, 50)[:100]]),
       'PNG'),
      ('no_file', _FILES, lambda: tf.constant([], tf.string),
       'image_bytes must be a [batch] vector'),
      ('scalar', _FILES, lambda: tf.constant(_png(40, 50)),
       'image_bytes must be a [batch] vector'),
      ('sizes_differ', _FILES,
       lambda: tf.constant([_png(40, 50), _png(40, 50), _png(30, 50)]),
       'image_bytes must hold images of one size to make a batch; '
       'image_bytes[2] is [30 50 3], image_bytes[0] [40 50 3]'),
  )
  def test_invalid_argument_error(self, endpoint, make_input, message):
    signature, argument = endpoint
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                re.escape(message)):
      self.loaded.signatures[signature](**{argument: make_input()})


if __name__ == '__main__':
  tf.test.main()
