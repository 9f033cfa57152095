from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.model import conv_bn
from official.model import mobilenet_v2
from official.model import resnet
from official.model import xception
from tests import fixtures


def _xception_65(output_stride):
  """The backbone of the shared full-size DeepLab at `output_stride`."""
  if output_stride == 16:
    return fixtures.xception_65().backbone
  return fixtures.xception_65(output_stride=output_stride,
                              atrous_rates=(12, 24, 36)).backbone


def _ceil_div(size, stride):
  return -(-size // stride)


def _dilation_rates(backbone, suffix):
  return [layer.conv.dilation_rate[0] for layer in backbone._flatten_layers()
          if isinstance(layer, conv_bn.ConvBN) and layer.name.endswith(suffix)]


class BackboneShapesTest(tf.test.TestCase, parameterized.TestCase):
  """Endpoints at odd and even sizes: every map is ceil(size / stride)."""

  @parameterized.product(
      build=[('xception_41', lambda os: xception.xception(41, os), 2048),
             ('resnet_v1_50', lambda os: resnet.resnet_beta(50, os), 2048),
             ('mobilenet_v2', mobilenet_v2.mobilenet_v2, 320)],
      output_stride=[8, 16, 32])
  def test_endpoint_shapes(self, build, output_stride):
    _, builder, channels = build
    backbone = builder(output_stride)
    for size in (33, 32):
      endpoints = backbone(tf.zeros([1, size, size + 8, 3]))
      self.assertEqual(
          endpoints['features'].shape,
          (1, _ceil_div(size, output_stride),
           _ceil_div(size + 8, output_stride), channels))
      self.assertEqual(endpoints['low_level_4'].shape[1:3],
                       (_ceil_div(size, 4), _ceil_div(size + 8, 4)))

  def test_xception_71_shapes(self):
    endpoints = xception.xception(71, 16)(tf.zeros([1, 65, 65, 3]))
    self.assertEqual(endpoints['features'].shape, (1, 5, 5, 2048))
    self.assertEqual(endpoints['low_level_4'].shape, (1, 17, 17, 256))
    self.assertEqual(endpoints['low_level_8'].shape, (1, 9, 9, 728))


class XceptionTest(tf.test.TestCase, parameterized.TestCase):

  def test_xception_65_parameters(self):
    # Reference §1.2: 37.87 M trainable backbone parameters.
    backbone = _xception_65(16)
    self.assertEqual(
        sum(int(np.prod(v.shape)) for v in backbone.trainable_variables),
        37_867_312)

  @parameterized.parameters(
      (16, [1] * 16, [1], [2, 2, 2]),
      (8, [2] * 16, [2], [4, 4, 4]),
  )
  def test_atrous_rates(self, output_stride, middle, exit1, exit2):
    backbone = _xception_65(output_stride)
    rates = _dilation_rates(backbone, 'separable_conv1_depthwise')
    self.assertEqual(rates[3:19], middle)
    self.assertEqual(rates[19:20], exit1)
    self.assertEqual(_dilation_rates(backbone, '_depthwise')[-3:], exit2)

  def test_multi_grid_applies_to_exit_block2(self):
    backbone = xception.xception(41, 16, multi_grid=(1, 2, 4))
    module = backbone.get_layer('exit_flow.block2.unit_1.xception_module')
    self.assertEqual(
        [conv.depthwise.conv.dilation_rate[0] for conv in
         (module.separable_conv1, module.separable_conv2,
          module.separable_conv3)], [2, 4, 8])

  def test_low_level_tap_is_before_relu(self):
    # The decoder tap is a BN output: it has negative values.
    backbone = xception.xception(41, 16)
    images = tf.random.stateless_uniform([1, 33, 33, 3], [1, 2], 0, 255)
    self.assertLess(float(tf.reduce_min(backbone(images)['low_level_4'])), 0)

  def test_reference_layer_names(self):
    names = {layer.name for layer in
             _xception_65(16)._flatten_layers()}
    self.assertContainsSubset(
        ['entry_flow.conv1_1',
         'entry_flow.block1.unit_1.xception_module.shortcut',
         'middle_flow.block1.unit_16.xception_module.separable_conv3_pointwise',
         'exit_flow.block2.unit_1.xception_module.separable_conv3_depthwise'],
        names)

  def test_odd_output_stride_raises(self):
    with self.assertRaisesRegex(ValueError, 'even'):
      xception.xception(65, 15)


class ResNetTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters((16, [2, 4, 8], 1), (8, [4, 8, 16], 2),
                            (32, [1, 2, 4], 1))
  def test_multi_grid_rates(self, output_stride, block4, block3):
    backbone = resnet.resnet_beta(50, output_stride, multi_grid=(1, 2, 4))
    rates = _dilation_rates(backbone, 'conv2')
    self.assertEqual(rates[-3:], block4)
    self.assertEqual(rates[-4], block3)

  def test_tap_is_block1_unit2_conv3(self):
    backbone = resnet.resnet_beta(50, 16)
    self.assertEqual(backbone(tf.zeros([1, 65, 65, 3]))['low_level_4'].shape,
                     (1, 17, 17, 256))

  def test_output_stride_must_be_multiple_of_four(self):
    with self.assertRaisesRegex(ValueError, 'multiple of 4'):
      resnet.resnet_beta(50, 6)


class MobileNetV2Test(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters((1.0, 32, 320, 144), (0.5, 16, 160, 72))
  def test_depth_multiplier(self, multiplier, stem, features, tap):
    backbone = mobilenet_v2.mobilenet_v2(16, depth_multiplier=multiplier)
    endpoints = backbone(tf.zeros([1, 33, 33, 3]))
    self.assertEqual(backbone.get_layer('Conv').filters, stem)
    self.assertEqual(endpoints['features'].shape[-1], features)
    # layer_4 is expanded_conv_2: 6x its 24 (12) input channels.
    self.assertEqual(endpoints['low_level_4'].shape[-1], tap)

  def test_first_block_has_no_expansion(self):
    backbone = mobilenet_v2.mobilenet_v2(16)
    self.assertIsNone(backbone.get_layer('expanded_conv').expand)
    self.assertIsNotNone(backbone.get_layer('expanded_conv_1').expand)

  @parameterized.parameters((10, 8, 8, 16), (33.6, 8, 8, 32), (7.5, 1, 1, 8))
  def test_make_divisible(self, value, divisor, min_value, expected):
    self.assertEqual(mobilenet_v2.make_divisible(value, divisor, min_value),
                     expected)


if __name__ == '__main__':
  tf.test.main()
