from absl.testing import parameterized
import tensorflow as tf

from official.ops import resize


class AlignedSizeTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters((1, 16, 1), (2, 16, 17), (17, 16, 17),
                            (18, 16, 33), (500, 16, 513), (513, 16, 513),
                            (514, 8, 521), (1024, 16, 1025))
  def test_smallest_stride_multiple_plus_one(self, size, stride, expected):
    self.assertEqual(resize.aligned_size(size, stride), expected)
    self.assertEqual(int(resize.aligned_size(tf.constant(size), stride)),
                     expected)


if __name__ == '__main__':
  tf.test.main()
