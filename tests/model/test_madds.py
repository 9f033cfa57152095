"""The paper's Table 5 multiply-adds, reproduced by counting our graphs."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.model import batch_norm
from official.model import conv_bn
from official.model import deeplab
from official.model import madds
from tests import fixtures

_MS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
_PLAIN = dict(aspp_separable=False, decoder_output_stride=None)
_DECODER = dict(aspp_separable=False, decoder_separable=False)
_SEPARABLE = dict()

# (model, eval output stride, scales, flip, Table 5 multiply-adds in billions).
_TABLE_5 = (
    ('plain', 16, (1.0,), False, 68.00),
    ('plain', 16, _MS, False, 601.74),
    ('plain', 16, _MS, True, 1203.34),
    ('plain', 8, (1.0,), False, 240.85),
    ('plain', 8, _MS, False, 2149.91),
    ('plain', 8, _MS, True, 4299.68),
    ('decoder', 16, (1.0,), False, 89.76),
    ('decoder', 16, _MS, False, 790.12),
    ('decoder', 16, _MS, True, 1580.10),
    ('decoder', 8, (1.0,), False, 262.59),
    ('decoder', 8, _MS, False, 2338.15),
    ('decoder', 8, _MS, True, 4676.16),
    ('separable', 16, (1.0,), False, 54.17),
    ('separable', 16, _MS, True, 928.81),
    ('separable', 8, (1.0,), False, 177.10),
    ('separable', 8, _MS, True, 3055.35),
)
_MODELS = {'plain': _PLAIN, 'decoder': _DECODER, 'separable': _SEPARABLE}


class Table5Test(tf.test.TestCase, parameterized.TestCase):

  # One test per counted model, so that they can run in parallel.
  @parameterized.parameters(*sorted({(name, output_stride)
                                     for name, output_stride, *_ in _TABLE_5}))
  def test_every_row_to_the_printed_two_decimals(self, name, output_stride):
    at_8 = dict(output_stride=8, atrous_rates=(12, 24, 36))
    counter = madds.Counter(fixtures.xception_65(
        **_MODELS[name], **(at_8 if output_stride == 8 else {})))
    rows = [row for row in _TABLE_5 if row[:2] == (name, output_stride)]
    self.assertNotEmpty(rows)
    for _, _, scales, flip, expected in rows:
      cost = counter.eval_cost((513, 513), scales, flip)
      with self.subTest(scales=len(scales), flip=flip):
        self.assertEqual(round(cost.paper_madds / 1e9, 2), expected)


class CountGraphTest(tf.test.TestCase, parameterized.TestCase):

  def test_conv_and_depthwise(self):
    @tf.function(autograph=False)
    def graph(images):
      x = tf.nn.conv2d(images, tf.ones([3, 3, 3, 8]), 1, 'SAME')
      return tf.nn.depthwise_conv2d(x, tf.ones([3, 3, 8, 1]), [1, 1, 1, 1],
                                    'SAME')

    count = madds.count_graph(graph.get_concrete_function(
        tf.TensorSpec([1, 10, 10, 3])).graph)
    conv = 10 * 10 * 8 * 3 * 3 * 3
    depthwise = 10 * 10 * 8 * 3 * 3
    self.assertEqual(count.multiply_adds, conv + depthwise)
    self.assertEqual(count.profiler_flops, 2 * (conv + depthwise))

  @parameterized.parameters((6, 33, 36), (2, 33, 34), (12, 65, 72))
  def test_atrous_conv_counts_space_to_batch_padding(self, rate, size, padded):
    # Our atrous layers run, as the original's did, SpaceToBatchND -> conv
    # on a map padded to a multiple of the rate: rate^2 * ceil(size / rate)^2
    # output positions instead of size^2 (reference §11).
    layer = conv_bn.ConvBN(2, 3, dilation_rate=rate)
    graph = tf.function(lambda images: layer(images, training=False))

    count = madds.count_graph(graph.get_concrete_function(
        tf.TensorSpec([1, size, size, 4])).graph)
    self.assertEqual(count.multiply_adds, padded * padded * 2 * 9 * 4)

  def test_unknown_shape_raises(self):
    @tf.function(autograph=False)
    def graph(images):
      return images + 1.0

    with self.assertRaisesRegex(ValueError, 'unknown shape'):
      madds.count_graph(graph.get_concrete_function(
          tf.TensorSpec([None, 4])).graph)


class CounterTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters((33, 33), (50, 71), (97, 65))
  def test_one_trace_counts_as_a_trace_at_the_size(self, height, width):
    # Atrous backbone blocks and ASPP (space-to-batch padding), image
    # pooling and the decoder's resize, at aligned and unaligned sizes.
    model = fixtures.tiny_model(output_stride=8)
    with batch_norm.fused_kernel_at_inference():
      graph = tf.function(lambda images: model.head_logits(images),
                          autograph=False).get_concrete_function(
                              tf.TensorSpec([1, height, width, 3])).graph
    expected = madds.count_graph(graph)
    self.assertGreater(expected.multiply_adds, 0)
    self.assertEqual(madds.Counter(model).forward(height, width), expected)


class EvalCostTest(tf.test.TestCase):

  def test_parameters_and_scaling(self):
    model = deeplab.DeepLab(3, backbone='mobilenet_v2', atrous_rates=(),
                            decoder_output_stride=None)
    model.build()
    counter = madds.Counter(model)
    single = counter.eval_cost((65, 65))
    flipped = counter.eval_cost((65, 65), add_flipped_images=True)
    self.assertEqual(single.params,
                     sum(int(np.prod(v.shape))
                         for v in model.trainable_variables))
    # Flipping doubles the network passes, not the per-image terms.
    self.assertEqual(flipped.executed_madds, 2 * single.executed_madds)
    self.assertEqual(flipped.paper_madds - single.paper_madds,
                     counter.forward(65, 65).profiler_flops / 2)


if __name__ == '__main__':
  tf.test.main()
