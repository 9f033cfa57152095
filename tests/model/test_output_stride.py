from absl.testing import parameterized
import tensorflow as tf

from official.model import output_stride

# Xception-65's unit strides after the stride-2 stem: entry b1-b3, 16 middle
# units, exit b1, exit b2.
_XCEPTION_65 = [2, 2, 2] + [1] * 16 + [2, 1]


class StridesAndRatesTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(
      # Reference §1.3: OS32 keeps every stride.
      (32, [(2, 1)] * 3 + [(1, 1)] * 16 + [(2, 1), (1, 1)]),
      # OS16: exit b1 loses its stride at rate 1, exit b2 runs at rate 2.
      (16, [(2, 1)] * 3 + [(1, 1)] * 16 + [(1, 1), (1, 2)]),
      # OS8: entry b3 at rate 1, middle flow and exit b1 at 2, exit b2 at 4.
      (8, [(2, 1)] * 2 + [(1, 1)] + [(1, 2)] * 16 + [(1, 2), (1, 4)]),
  )
  def test_xception_65(self, stride, expected):
    self.assertEqual(
        output_stride.strides_and_rates(_XCEPTION_65, stride // 2), expected)

  def test_none_keeps_strides(self):
    self.assertEqual(output_stride.strides_and_rates([2, 1, 2], None),
                     [(2, 1), (1, 1), (2, 1)])

  @parameterized.parameters(3, 64)
  def test_unreachable_stride_raises(self, stride):
    with self.assertRaisesRegex(ValueError, 'cannot be reached'):
      output_stride.strides_and_rates([2, 2, 2, 1], stride)


if __name__ == '__main__':
  tf.test.main()
