import os
import tempfile

from absl.testing import parameterized
import gin
import keras
import numpy as np
import tensorflow as tf

from official.model import builder
from official.model import deeplab
from tests import fixtures


def _count(variables):
  return sum(int(np.prod(v.shape)) for v in variables)


class ParameterCountTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      # Reference §10: trainable parameters of the original, 21 classes.
      ('plain_aspp', dict(aspp_separable=False, decoder_output_stride=None),
       53_407_813),
      ('plain_aspp_decoder', dict(aspp_separable=False,
                                  decoder_separable=False), 54_711_461),
      ('separable_aspp', dict(decoder_output_stride=None), 40_892_485),
      ('separable_aspp_decoder', dict(), 41_055_413),
  )
  def test_xception_65(self, kwargs, expected):
    model = fixtures.xception_65(**kwargs)
    self.assertEqual(_count(model.trainable_variables), expected)


class OutputStrideSwitchTest(tf.test.TestCase, parameterized.TestCase):

  def test_os8_model_loads_os16_checkpoint(self):
    trained = fixtures.xception_65()
    # 160 MB: removed as soon as the test ends.
    path = tf.train.Checkpoint(model=trained).write(os.path.join(
        self.enter_context(tempfile.TemporaryDirectory()), 'os16'))
    config = deeplab.config_at_output_stride(trained.get_config(), 8)
    self.assertEqual(config['atrous_rates'], (12, 24, 36))
    evaluated = deeplab.DeepLab.from_config(config)
    evaluated.build()
    tf.train.Checkpoint(model=evaluated).read(path).assert_consumed()
    for ours, theirs in zip(evaluated.weights, trained.weights):
      self.assertEqual(ours.path, theirs.path)
      self.assertAllEqual(ours, theirs)
    self.assertEqual(evaluated.head_logits(tf.zeros([1, 33, 33, 3])).shape,
                     (1, 9, 9, 21))

  @parameterized.parameters(
      dict(),
      dict(aspp_separable=False, decoder_separable=False),
      dict(backbone='xception_41', depth_multiplier=None,
           decoder_output_stride=None),
      dict(backbone='resnet_v1_50_beta', depth_multiplier=None),
  )
  def test_checkpoint_holds_every_variable(self, **kwargs):
    model = fixtures.tiny_model(3, **kwargs)
    path = tf.train.Checkpoint(model=model).write(
        os.path.join(self.get_temp_dir(), 'model'))
    saved = [name for name, _ in tf.train.list_variables(path)
             if name.startswith('model/')]
    self.assertLen(saved, len(model.weights))

  def test_indivisible_rate_raises(self):
    config = fixtures.tiny_model(3, atrous_rates=(3,)).get_config()
    with self.assertRaisesRegex(ValueError, 'no integer equivalent'):
      deeplab.config_at_output_stride(config, 32)


class DeepLabTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters((64, 64), (65, 65), (33, 47), (97, 129),
                            (300, 400))
  def test_any_input_size(self, height, width):
    model = fixtures.tiny_model(3)
    images = tf.random.stateless_uniform([2, height, width, 3], [0, 1], 0, 255)
    self.assertEqual(model(images).shape, (2, height, width, 3))
    self.assertEqual(model.head_logits(images).shape,
                     (2, -(-height // 4), -(-width // 4), 3))

  @parameterized.parameters((16, 4, 4), (16, None, 16), (8, None, 8))
  def test_logits_output_stride(self, output_stride, decoder_stride, expected):
    model = fixtures.tiny_model(3, output_stride=output_stride,
                                decoder_output_stride=decoder_stride)
    self.assertEqual(model.logits_output_stride, expected)
    self.assertEqual(model.head_logits(tf.zeros([1, 65, 65, 3])).shape[1],
                     -(-65 // expected))

  def test_upsampling_is_bilinear_with_aligned_corners(self):
    model = fixtures.tiny_model(3)
    images = tf.random.stateless_uniform([1, 33, 33, 3], [2, 3], 0, 255)
    head = model.head_logits(images).numpy()  # 9x9, stride 4 exactly.
    full = model(images).numpy()
    # With aligned corners, input pixel 4k sits on head pixel k.
    self.assertAllClose(full[:, ::4, ::4], head, atol=1e-5)

  def test_dropout_only_in_training(self):
    # No decoder: at random initialisation the low-level path would dwarf
    # the ASPP path (and its dropout) by orders of magnitude.
    model = fixtures.tiny_model(3, dropout_rate=0.5,
                                fine_tune_batch_norm=False,
                                decoder_output_stride=None)
    images = tf.random.stateless_uniform([1, 33, 33, 3], [4, 5], 0, 255)
    inference = model(images, training=False).numpy()
    self.assertAllEqual(inference, model(images, training=False))
    change = np.abs(model(images, training=True) - inference).max()
    self.assertGreater(change, 0.1 * np.abs(inference).max())

  def test_frozen_batch_norm_keeps_statistics(self):
    model = fixtures.tiny_model(3, dropout_rate=0.0,
                                fine_tune_batch_norm=False)
    before = [v.numpy() for v in model.non_trainable_variables]
    images = tf.random.stateless_uniform([2, 33, 33, 3], [6, 7], 0, 255)
    self.assertAllClose(model(images, training=True),
                        model(images, training=False), atol=1e-5)
    for old, new in zip(before, model.non_trainable_variables):
      self.assertAllEqual(old, new)

  def test_fine_tuned_batch_norm_updates_statistics(self):
    model = fixtures.tiny_model(3)
    before = [v.numpy() for v in model.non_trainable_variables]
    model(tf.random.stateless_uniform([2, 33, 33, 3], [8, 9], 0, 255),
          training=True)
    changed = [not np.array_equal(old, new.numpy()) for old, new in
               zip(before, model.non_trainable_variables)]
    self.assertTrue(all(changed))

  def test_regularized_weights_exclude_depthwise(self):
    model = fixtures.tiny_model(3)
    regularized = {v.path for v in model.regularized_weights()}
    depthwise = {v.path for v in model.kernels()} - regularized
    self.assertIn('deeplab/logits.semantic/kernel', regularized)
    self.assertTrue(depthwise)
    self.assertTrue(all('depthwise' in path for path in depthwise))

  def test_config_round_trip(self):
    model = fixtures.tiny_model(3, output_stride=8, atrous_rates=(12, 24, 36),
                                multi_grid=None, use_image_pooling=False)
    clone = deeplab.DeepLab.from_config(model.get_config())
    self.assertEqual(clone.get_config(), model.get_config())
    clone.build()
    self.assertEqual(_count(clone.weights), _count(model.weights))

  def test_serialization_round_trip(self):
    model = fixtures.tiny_model(3)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model))
    self.assertIsInstance(restored, deeplab.DeepLab)
    self.assertEqual(restored.get_config(), model.get_config())

  def test_without_image_pooling(self):
    with_pooling = fixtures.tiny_model(3)
    without = fixtures.tiny_model(3, use_image_pooling=False)
    self.assertLess(_count(without.weights), _count(with_pooling.weights))
    self.assertIsNone(without.aspp.image_pooling)

  def test_mixed_precision_keeps_float32_logits(self):
    keras.mixed_precision.set_global_policy('mixed_bfloat16')
    try:
      model = fixtures.tiny_model(3)
    finally:
      keras.mixed_precision.set_global_policy('float32')
    logits = model(tf.zeros([1, 33, 33, 3]))
    self.assertEqual(logits.dtype, tf.float32)
    self.assertEqual(model.backbone.get_layer('Conv').compute_dtype,
                     'bfloat16')

  @parameterized.parameters(
      dict(backbone='vgg16'),
      dict(decoder_output_stride=16, output_stride=16),
      dict(backbone='mobilenet_v2', multi_grid=(1, 2, 4)),
      dict(backbone='xception_41', depth_multiplier=0.5),
  )
  def test_bad_arguments_raise(self, **kwargs):
    with self.assertRaises(ValueError):
      deeplab.DeepLab(3, **kwargs)


class BuilderTest(tf.test.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  def test_gin_bindings_and_output_stride_override(self):
    gin.parse_config("""
        DeepLab.num_classes = 5
        DeepLab.backbone = 'mobilenet_v2'
        DeepLab.depth_multiplier = 0.25
    """)
    config = builder.model_config(output_stride=8)
    self.assertEqual((config['num_classes'], config['output_stride'],
                      config['atrous_rates']), (5, 8, (12, 24, 36)))
    model = builder.build_model(sync_batch_norm=True)
    self.assertEqual(model.output_stride, 16)
    self.assertTrue(model.sync_batch_norm)

  def test_unknown_parameter_raises(self):
    gin.parse_config('DeepLab.num_classes = 5\nDeepLab.atrous_rate = (1,)')
    with self.assertRaisesRegex(ValueError, 'DeepLab.atrous_rate'):
      builder.model_config()

  def test_missing_num_classes_raises(self):
    with self.assertRaisesRegex(ValueError, 'num_classes'):
      builder.model_config()


if __name__ == '__main__':
  tf.test.main()
