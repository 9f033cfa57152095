from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.evaluator import inference
from tests import fixtures

_NUM_CLASSES = 3
# A fixed 1x1 "conv" from RGB to classes, small so that softmaxes stay soft.
_KERNEL = np.random.default_rng(0).normal(
    size=(3, _NUM_CLASSES)).astype(np.float32) / 100
_BIAS = np.array([0.1, -0.2, 0.05], np.float32)


def _images(height, width, batch_size=2, seed=1):
  rng = np.random.default_rng(seed)
  return rng.uniform(0, 255, (batch_size, height, width, 3)).astype(np.float32)


def _subsampling_model(stride):
  """Head = 1x1 conv on every stride-th pixel: ceil(H / stride) rows."""
  return fixtures.StandInModel(
      lambda images: images[:, ::stride, ::stride] @ _KERNEL + _BIAS, stride)


def _mirror_symmetric_model():
  """Flip-equivariant by construction, stride 4 on (4k+1)-sized inputs.

  A 3x3 conv whose kernel is its own mirror image, plus the global mean (a
  mirror-invariant term), then a 1x1 conv, sampled every 4th pixel (the
  same pixels from either side when the width is 4k+1).
  """
  rng = np.random.default_rng(2)
  kernel = rng.normal(size=(3, 3, 3, 4)).astype(np.float32) / 100
  kernel = (kernel + kernel[:, ::-1]) / 2
  projection = rng.normal(size=(4, _NUM_CLASSES)).astype(np.float32)

  def head_fn(images):
    features = tf.nn.relu(tf.nn.conv2d(images, kernel, 1, 'SAME'))
    features += tf.reduce_mean(features, [1, 2], keepdims=True)
    return features[:, ::4, ::4] @ projection

  return fixtures.StandInModel(head_fn, 4)


def _pointwise_model():
  """Logits at each pixel depend on that pixel only."""
  return fixtures.StandInModel(
      lambda images: images @ _KERNEL + _BIAS, 1)


def _window_position_model():
  """Logits are the pixel's row and column inside the input, over 10."""

  def head_fn(images):
    shape = tf.shape(images)
    rows = tf.cast(tf.range(shape[1]), tf.float32)[:, tf.newaxis]
    columns = tf.cast(tf.range(shape[2]), tf.float32)[tf.newaxis, :]
    positions = tf.stack([rows + 0 * columns, 0 * rows + columns], -1) / 10
    return tf.tile(positions[tf.newaxis], [shape[0], 1, 1, 1])

  return fixtures.StandInModel(head_fn, 1)


def _global_mean_model():
  """Logits see the mean of the whole input, padding included."""
  return fixtures.StandInModel(
      lambda images: (images + tf.reduce_mean(images, [1, 2], keepdims=True))
      @ _KERNEL, 1)


def _scale_dimension(dim, scale):
  return int((dim - 1) * scale + 1)


def _numpy_resize_bilinear(images, height, width):
  """TF1 resize_bilinear with align_corners=True, in float64."""

  def source(out_size, in_size):
    position = (np.arange(out_size) * (in_size - 1) / (out_size - 1)
                if out_size > 1 else np.zeros(1))
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, in_size - 1)
    return low, high, position - low

  top, bottom, y_fraction = source(height, images.shape[1])
  left, right, x_fraction = source(width, images.shape[2])
  y_fraction = y_fraction[:, None, None]
  x_fraction = x_fraction[None, :, None]
  upper = (images[:, top][:, :, left] * (1 - x_fraction) +
           images[:, top][:, :, right] * x_fraction)
  lower = (images[:, bottom][:, :, left] * (1 - x_fraction) +
           images[:, bottom][:, :, right] * x_fraction)
  return upper * (1 - y_fraction) + lower * y_fraction


def _numpy_softmax(logits):
  exp = np.exp(logits - logits.max(-1, keepdims=True))
  return exp / exp.sum(-1, keepdims=True)


def _numpy_multi_scale(images, stride, scales, flip):
  """Reference §6, written out for `_subsampling_model(stride)`."""
  images = images.astype(np.float64)
  _, height, width, _ = images.shape
  probabilities = []
  for scale in scales:
    for flipped in ([False, True] if flip else [False]):
      inputs = images[:, :, ::-1] if flipped else images
      inputs = _numpy_resize_bilinear(inputs,
                                      _scale_dimension(height, scale),
                                      _scale_dimension(width, scale))
      logits = inputs[:, ::stride, ::stride] @ _KERNEL + _BIAS
      logits_scale = max(1.0, scale) / stride
      logits = _numpy_resize_bilinear(
          logits, _scale_dimension(height, logits_scale),
          _scale_dimension(width, logits_scale))
      if flipped:
        logits = logits[:, :, ::-1]
      logits = _numpy_resize_bilinear(logits, height, width)
      probabilities.append(_numpy_softmax(logits))
  return np.mean(probabilities, 0)


class SingleScaleTest(tf.test.TestCase):

  def test_upsampled_logits_match_model_call(self):
    model = _subsampling_model(4)
    images = _images(17, 13)
    # The same ops, possibly in another order: float rounding only.
    self.assertAllClose(inference.upsampled_logits(model, images),
                        model(images), rtol=1e-6, atol=1e-6)

  def test_predictions_are_argmax_of_logits(self):
    model = _subsampling_model(4)
    images = _images(17, 13)
    outputs = inference.predict(model, images)
    logits = model(images)
    self.assertAllEqual(outputs['predictions'], tf.argmax(logits, -1))
    self.assertAllClose(outputs['probabilities'], tf.nn.softmax(logits),
                        rtol=1e-6, atol=1e-6)
    self.assertEqual(outputs['predictions'].dtype, tf.int32)


class MultiScaleTest(tf.test.TestCase, parameterized.TestCase):

  def test_scale_one_equals_single_scale(self):
    model = _subsampling_model(4)
    images = _images(17, 13)
    self.assertAllEqual(
        inference.multi_scale_probabilities(model, images, [1.0]),
        tf.nn.softmax(inference.upsampled_logits(model, images)))

  @parameterized.parameters(
      dict(scales=(1.0,), flip=True),
      dict(scales=(0.5, 1.0, 1.5), flip=False),
      dict(scales=(0.5, 0.75, 1.0, 1.25, 1.5, 1.75), flip=True),
  )
  def test_matches_numpy_reference(self, scales, flip):
    # Odd, unequal sizes: the scaled heads go from 3 to 8 rows and columns
    # and are resized both up and down to the intermediate size.
    images = _images(17, 13)
    probabilities = inference.multi_scale_probabilities(
        _subsampling_model(4), images, scales, flip)
    self.assertAllClose(probabilities,
                        _numpy_multi_scale(images, 4, scales, flip),
                        atol=2e-6, rtol=0)

  def test_flip_is_a_no_op_on_a_mirror_symmetric_model(self):
    model = _mirror_symmetric_model()
    images = _images(17, 33)
    scales = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
    flip_free = inference.multi_scale_probabilities(model, images, scales)
    self.assertAllClose(
        inference.multi_scale_probabilities(model, images, scales, True),
        flip_free, atol=1e-6, rtol=0)
    # The images are not symmetric, so neither is the answer.
    self.assertNotAllClose(flip_free, flip_free[:, :, ::-1], atol=1e-3)

  def test_flip_matters_on_an_asymmetric_model(self):
    model = _subsampling_model(4)
    images = _images(17, 15)
    self.assertNotAllClose(
        inference.multi_scale_probabilities(model, images, [1.0], True),
        inference.multi_scale_probabilities(model, images, [1.0]),
        atol=1e-4)

  def test_predictions_are_argmax_of_mean(self):
    model = _subsampling_model(4)
    images = _images(17, 13)
    outputs = inference.predict(model, images, (0.5, 1.5), True)
    self.assertAllEqual(
        outputs['probabilities'],
        inference.multi_scale_probabilities(model, images, (0.5, 1.5), True))
    self.assertAllEqual(outputs['predictions'],
                        tf.argmax(outputs['probabilities'], -1))

  @parameterized.parameters([()], [(1.0, 0.0)])
  def test_bad_scales_raise(self, scales):
    with self.assertRaisesRegex(ValueError, 'eval_scales'):
      inference.multi_scale_probabilities(_subsampling_model(4), _images(5, 5),
                                          scales)


class SlidingWindowTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(
      # Windows tile the image exactly once.
      dict(window_size=(4, 6), window_stride=None),
      # Overlaps, and last windows flush with the border.
      dict(window_size=(5, 7), window_stride=(3, 4)),
      # Taller than the image: padded, then cropped back.
      dict(window_size=(16, 5), window_stride=(16, 2)),
  )
  def test_pointwise_model_equals_whole_image(self, window_size,
                                              window_stride):
    model = _pointwise_model()
    images = _images(12, 18)
    whole = inference.predict(model, images)
    windowed = inference.predict(model, images, window_size=window_size,
                                 window_stride=window_stride)
    self.assertAllClose(windowed['probabilities'], whole['probabilities'],
                        atol=1e-6, rtol=0)
    self.assertAllEqual(windowed['predictions'], whole['predictions'])

  def test_overlapping_windows_are_averaged(self):
    # 12x18 image, 5x7 windows every 3x4 pixels: rows start at 0, 3, 6 and
    # flush at 7; columns at 0, 4, 8 and flush at 11.
    images = _images(12, 18)
    expected_sum = np.zeros((12, 18, 2))
    coverage = np.zeros((12, 18, 1))
    window_probabilities = _numpy_softmax(np.stack(
        np.meshgrid(np.arange(5), np.arange(7), indexing='ij'), -1) / 10)
    for top in (0, 3, 6, 7):
      for left in (0, 4, 8, 11):
        expected_sum[top:top + 5, left:left + 7] += window_probabilities
        coverage[top:top + 5, left:left + 7] += 1
    probabilities = inference.sliding_window_probabilities(
        lambda window: tf.nn.softmax(inference.upsampled_logits(
            _window_position_model(), window)), images, (5, 7), (3, 4))
    self.assertAllClose(
        probabilities, np.broadcast_to(expected_sum / coverage, (2, 12, 18, 2)),
        atol=1e-6, rtol=0)

  @parameterized.parameters(
      # Smaller than the window both ways, or in height only.
      dict(height=5, width=6, window_size=(8, 8)),
      dict(height=6, width=20, window_size=(8, 20)),
  )
  def test_small_image_is_padded_with_mean_pixel(self, height, width,
                                                 window_size):
    model = _global_mean_model()
    images = _images(height, width)
    padded = tf.pad(images, [[0, 0], [0, window_size[0] - height],
                             [0, window_size[1] - width], [0, 0]],
                    constant_values=127.5)
    expected = inference.predict(model, padded)['probabilities']
    self.assertAllClose(
        inference.predict(model, images,
                          window_size=window_size)['probabilities'],
        expected[:, :height, :width], atol=1e-6, rtol=0)

  def test_composes_with_multi_scale_and_flip(self):
    model = _subsampling_model(4)
    images = _images(9, 17)
    # One 9x9 window starting at 0 and one flush at 8: column 8 is covered
    # by both.
    outputs = inference.predict(model, images, (0.5, 1.0), True,
                                window_size=(9, 9), window_stride=(9, 8))
    left = _numpy_multi_scale(images[:, :, :9], 4, (0.5, 1.0), True)
    right = _numpy_multi_scale(images[:, :, 8:], 4, (0.5, 1.0), True)
    expected = np.concatenate(
        [left[:, :, :8], (left[:, :, 8:] + right[:, :, :1]) / 2,
         right[:, :, 1:]], 2)
    self.assertAllClose(outputs['probabilities'], expected, atol=2e-6,
                        rtol=0)

  def test_stride_above_window_raises(self):
    with self.assertRaisesRegex(ValueError, 'window_stride'):
      inference.sliding_window_probabilities(
          tf.nn.softmax, _images(8, 8), (4, 4), (5, 4))


class TracingTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(
      dict(scales=(1.0,), flip=False, window_size=None),
      dict(scales=(0.5, 1.25), flip=True, window_size=None),
      dict(scales=(1.0,), flip=False, window_size=(9, 9)),
      dict(scales=(0.75, 1.0), flip=True, window_size=(9, 9)),
  )
  def test_unknown_and_static_shapes(self, scales, flip, window_size):
    model = _subsampling_model(4)
    images = _images(13, 21)
    eager = inference.predict(model, images, scales, flip, window_size)

    def run(inputs):
      return inference.predict(model, inputs, scales, flip, window_size)

    dynamic = tf.function(run, input_signature=[
        tf.TensorSpec([None, None, None, 3], tf.float32)])
    static = tf.function(run)
    static_outputs = static(images)
    for outputs in (dynamic(images), static_outputs):
      self.assertAllClose(outputs['probabilities'], eager['probabilities'],
                          atol=1e-6, rtol=0)
      self.assertAllEqual(outputs['predictions'], eager['predictions'])
    self.assertEqual(
        static.get_concrete_function(images).structured_outputs[
            'predictions'].shape, [2, 13, 21])
    self.assertAllEqual(dynamic(_images(6, 10))['predictions'].shape,
                        [2, 6, 10])


if __name__ == '__main__':
  tf.test.main()
