import functools
import os

from absl.testing import parameterized
import gin
import numpy as np
import tensorflow as tf

from official import cli
from official.model import reference_checkpoint
from official.model import builder
from official.model import conv_bn
from tests import fixtures
from tests import original_checkpoints


# gin config, the original's variables, and their numbers counted in the
# original graph built under TF 2.21 (Xception-65: reference §10.1): model
# variables (global_step excluded) and trainable parameters.
_CONFIGS = {
    'xception_65': ('voc/xception65_decoder_sc_os16.gin',
                    original_checkpoints.xception_65, 732, 41_055_413),
    'resnet_v1_101_beta': ('voc/resnet101_decoder_os16.gin',
                           original_checkpoints.resnet_v1_101_beta, 577,
                           59_468_085),
    'mobilenet_v2': ('voc/mobilenetv2_os16.gin',
                     original_checkpoints.mobilenet_v2, 272, 2_113_557),
}

# Batch norm epsilon of the original per scope (reference §1.4-1.6, §2, §10).
_EPSILONS = {'xception_65': 1e-3, 'MobilenetV2': 1e-3, 'resnet_v1_101': 1e-5}
_HEAD_EPSILON = 1e-5

_ACTIVATIONS = {None: tf.identity, 'relu': tf.nn.relu, 'relu6': tf.nn.relu6}


def _build(config):
  cli.parse_gin([os.path.join(cli.REPO_ROOT, 'gin_configs', _CONFIGS[config][0])],
                [])
  try:
    return builder.build_model()
  finally:
    gin.clear_config()


@functools.lru_cache(maxsize=None)
def _temporary_dir():
  # Checkpoints of 40-60 M parameters: removed at exit.
  return fixtures.temporary_dir('deeplab_reference_checkpoint_')


@functools.lru_cache(maxsize=None)
def _converted(config):
  """A model of `config` loaded from a random checkpoint of the original's.

  Returns (model, conversion, reader of the original checkpoint).
  """
  values = original_checkpoints.random_values(_CONFIGS[config][1]())
  slots = ['logits/semantic/weights', next(iter(values))]
  prefix = original_checkpoints.write(
      os.path.join(_temporary_dir(), config, 'model.ckpt'), values,
      global_step=30000, slots=slots)
  model = _build(config)
  conversion = reference_checkpoint.load_reference_checkpoint(model, prefix)
  return model, conversion, tf.train.load_checkpoint(prefix)


@functools.lru_cache(maxsize=None)
def _mobilenet_checkpoint(num_classes=21, head=True, seed=1):
  """A MobileNetV2 checkpoint prefix and its values (small: for error cases)."""
  values = original_checkpoints.random_values(
      original_checkpoints.mobilenet_v2(num_classes, head=head), seed)
  name = f'mobilenet_{num_classes}_{head}_{seed}'
  prefix = original_checkpoints.write(
      os.path.join(_temporary_dir(), name, 'model.ckpt'), values,
      global_step=5)
  return prefix, values


class ReferenceNamesTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(*_CONFIGS)
  def test_every_variable_has_the_originals_name_and_shape(self, config):
    model, _, _ = _converted(config)
    _, original, num_variables, num_parameters = _CONFIGS[config]
    names = reference_checkpoint.reference_variables(model)
    self.assertEqual({name: list(variable.shape)
                      for name, variable in names.items()}, original())
    self.assertLen(names, num_variables)
    self.assertLen(model.weights, num_variables)
    self.assertEqual(
        sum(int(np.prod(v.shape)) for name, v in names.items()
            if 'moving_' not in name), num_parameters)


class LoadTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(*_CONFIGS)
  def test_every_variable_lands(self, config):
    model, conversion, reader = _converted(config)
    names = reference_checkpoint.reference_variables(model)
    self.assertCountEqual(conversion.loaded, names)
    self.assertEmpty(conversion.fresh)
    self.assertEqual(conversion.global_step, 30000)
    self.assertEmpty(conversion.skipped)
    self.assertLen(conversion.training_state, 3)
    self.assertIn('logits/semantic/weights/Momentum',
                  conversion.training_state)
    for name, variable in names.items():
      self.assertAllEqual(variable, reader.get_tensor(name), msg=name)
    self.assertIn('Skipped 3 training-state variables: 2 Momentum slots, '
                  'global_step.', conversion.summary())

  @parameterized.parameters(*_CONFIGS)
  def test_layers_compute_the_originals_arithmetic(self, config):
    """Each conv -> BN -> activation on the converted weights, as the original.

    The expected output uses the checkpoint's tensors with tf.nn ops, the
    original's batch norm epsilon and its padding of strided convs (fixed
    padding, except MobileNetV2's SAME; reference §0).
    """
    model, _, reader = _converted(config)
    backbone = model.backbone.name
    backbone_layers = {id(layer) for layer in model.backbone._flatten_layers()}
    rng = np.random.default_rng(0)
    layers = [layer for layer in model._flatten_layers()
              if isinstance(layer, conv_bn.ConvBN)]
    for layer in layers:
      scope = layer.name.replace('.', '/')
      epsilon = _HEAD_EPSILON
      if id(layer) in backbone_layers:
        scope = f'{backbone}/{scope}'
        epsilon = _EPSILONS[backbone]
      kernel = reader.get_tensor(
          f'{scope}/{"depthwise_weights" if layer.depthwise else "weights"}')
      x = tf.constant(rng.normal(0, 1, [1, 9, 8, kernel.shape[2]]),
                      tf.float32)
      stride, rate = layer.strides, layer.dilation_rate
      padding = 'SAME'
      if stride > 1 and kernel.shape[0] > 1 and backbone != 'MobilenetV2':
        x_padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        padding = 'VALID'
      else:
        x_padded = x
      if layer.depthwise:
        y = tf.nn.depthwise_conv2d(x_padded, kernel, [1, stride, stride, 1],
                                   padding, dilations=[rate, rate])
      else:
        y = tf.nn.conv2d(x_padded, kernel, stride, padding, dilations=rate)
      bn = {name: reader.get_tensor(f'{scope}/BatchNorm/{name}')
            for name in ('gamma', 'beta', 'moving_mean', 'moving_variance')}
      y = (bn['gamma'] * (y - bn['moving_mean']) /
           np.sqrt(bn['moving_variance'] + epsilon) + bn['beta'])
      expected = _ACTIVATIONS[layer.activation](y)
      self.assertAllClose(layer(x, training=False), expected, atol=1e-4,
                          rtol=1e-4, msg=scope)
    self.assertLen(layers, (len(model.weights) - 2) // 5)

    x = tf.constant(rng.normal(0, 1, [1, 3, 4, 256]), tf.float32)
    expected = tf.nn.conv2d(x, reader.get_tensor('logits/semantic/weights'),
                            1, 'SAME') + reader.get_tensor(
                                'logits/semantic/biases')
    self.assertAllClose(model.logits(x), expected, atol=1e-5)


class PartialLoadTest(tf.test.TestCase):

  def test_imagenet_backbone_leaves_head_fresh(self):
    values = dict(_mobilenet_checkpoint(head=False)[1])
    # The ImageNet classifier DeepLab does not build, with moving averages.
    values['MobilenetV2/Conv_1/weights'] = np.zeros([1, 1, 320, 1280],
                                                    np.float32)
    values['MobilenetV2/Logits/Conv2d_1c_1x1/biases'] = np.zeros(
        [1001], np.float32)
    values['MobilenetV2/Conv/weights/ExponentialMovingAverage'] = values[
        'MobilenetV2/Conv/weights']
    prefix = original_checkpoints.write(
        os.path.join(self.get_temp_dir(), 'model.ckpt'), values)
    model = _build('mobilenet_v2')
    conversion = reference_checkpoint.load_reference_checkpoint(model, prefix)
    self.assertEqual(len(conversion.loaded), 255)
    self.assertEqual(
        [name.rsplit('/', 1)[0] for name in conversion.fresh[::5]],
        ['image_pooling', 'aspp0', 'concat_projection', 'logits/semantic'])
    self.assertEqual(conversion.skipped, [
        'MobilenetV2/Conv_1/weights',
        'MobilenetV2/Logits/Conv2d_1c_1x1/biases'])
    self.assertEqual(conversion.training_state,
                     ['MobilenetV2/Conv/weights/ExponentialMovingAverage'])
    self.assertIsNone(conversion.global_step)
    names = reference_checkpoint.reference_variables(model)
    for name in conversion.loaded:
      self.assertAllEqual(names[name], values[name])
    self.assertIn('Left 17 model variables fresh (train before evaluating): '
                  'image_pooling, aspp0, concat_projection, logits/semantic.',
                  conversion.summary())

  def test_backbone_only_skips_the_head_of_a_full_checkpoint(self):
    prefix, values = _mobilenet_checkpoint()
    model = _build('mobilenet_v2')
    conversion = reference_checkpoint.load_reference_checkpoint(
        model, prefix, backbone_only=True)
    self.assertEqual(len(conversion.loaded), 255)
    self.assertEqual(len(conversion.fresh), 17)
    self.assertCountEqual(conversion.skipped, conversion.fresh)
    self.assertEqual(conversion.training_state, ['global_step'])
    self.assertNotAllClose(model.logits.kernel,
                           values['logits/semantic/weights'])

  def test_other_number_of_classes(self):
    prefix, values = _mobilenet_checkpoint(num_classes=19)
    model = _build('mobilenet_v2')
    with self.assertRaisesRegex(
        ValueError, r'model.ckpt has logits for 19 classes, the configured '
        r'model for 21: set NUM_CLASSES = 19 .* or load all but the logits '
        r'\(--skip_logits\)'):
      reference_checkpoint.load_reference_checkpoint(model, prefix)
    conversion = reference_checkpoint.load_reference_checkpoint(
        model, prefix, skip_logits=True)
    self.assertEqual(conversion.fresh,
                     ['logits/semantic/weights', 'logits/semantic/biases'])
    self.assertAllEqual(model.aspp.concat_projection.conv.kernel,
                        values['concat_projection/weights'])
    self.assertEqual(model.logits.kernel.shape, (1, 1, 256, 21))


class ErrorTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.model = _build('mobilenet_v2')

  def _write(self, values):
    return original_checkpoints.write(
        os.path.join(self.get_temp_dir(), 'model.ckpt'), values)

  def test_missing_file(self):
    with self.assertRaisesRegex(
        FileNotFoundError, r'^/nowhere/model.ckpt: no such checkpoint '
        r'\(expected /nowhere/model.ckpt.index'):
      reference_checkpoint.load_reference_checkpoint(self.model,
                                                     '/nowhere/model.ckpt')

  def test_directory_and_index_file_name_the_checkpoint(self):
    prefix, _ = _mobilenet_checkpoint()
    for path in (os.path.dirname(prefix), prefix + '.index'):
      self.assertEqual(reference_checkpoint.checkpoint_prefix(path), prefix)

  def test_wrong_backbone(self):
    values = original_checkpoints.random_values({
        'resnet_v1_101/conv1_1/weights': [3, 3, 3, 64],
        'aspp0/weights': [1, 1, 2048, 256]})
    with self.assertRaisesRegex(
        ValueError, r'holds a resnet_v1_101_beta backbone, but the configured '
        r'model has mobilenet_v2 \(variables under MobilenetV2/\)'):
      reference_checkpoint.load_reference_checkpoint(self.model,
                                                     self._write(values))

  def test_shape_mismatch_names_the_variable(self):
    values = dict(_mobilenet_checkpoint()[1])
    values['aspp0/weights'] = np.zeros([1, 1, 320, 128], np.float32)
    with self.assertRaisesRegex(
        ValueError, r'1 variable\(s\) of other shapes in the checkpoint than '
        r'in the model \(checkpoint vs model\): aspp0/weights '
        r'\[1, 1, 320, 128\] vs \[1, 1, 320, 256\]\.$'):
      reference_checkpoint.load_reference_checkpoint(self.model,
                                                     self._write(values))

  def test_unmatched_variables_are_listed(self):
    values = dict(_mobilenet_checkpoint()[1])
    del values['aspp0/BatchNorm/gamma']
    values['aspp1/weights'] = np.zeros([3, 3, 320, 256], np.float32)
    with self.assertRaisesRegex(
        ValueError, r'does not match the configured model \(mobilenet_v2\): '
        r'1 model variable\(s\) not in the checkpoint: aspp0/BatchNorm/gamma; '
        r'1 checkpoint variable\(s\) not in the model: aspp1/weights\.$'):
      reference_checkpoint.load_reference_checkpoint(self.model,
                                                     self._write(values))

  def test_dense_prediction_cell(self):
    values = dict(_mobilenet_checkpoint()[1])
    values['meta_architecture/branch0/weights'] = np.zeros([1, 1, 320, 256],
                                                           np.float32)
    prefix = self._write(values)
    with self.assertRaisesRegex(ValueError, 'has a dense prediction cell head'):
      reference_checkpoint.load_reference_checkpoint(self.model, prefix)
    conversion = reference_checkpoint.load_reference_checkpoint(
        self.model, prefix, backbone_only=True)
    self.assertIn('meta_architecture/branch0/weights', conversion.skipped)

  def test_object_based_checkpoint(self):
    path = tf.train.Checkpoint(model=self.model).write(
        os.path.join(self.get_temp_dir(), 'ours'))
    with self.assertRaisesRegex(ValueError, 'is an object-based'):
      reference_checkpoint.load_reference_checkpoint(self.model, path)


if __name__ == '__main__':
  tf.test.main()
