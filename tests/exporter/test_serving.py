from absl.testing import parameterized
import tensorflow as tf

from official.exporter import serving


class PaddedSizeTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('aligned', 513, 16, None, 513),
      ('next_aligned', 500, 16, None, 513),
      ('just_above', 514, 16, None, 529),
      ('one_pixel', 1, 16, None, 1),
      ('output_stride_8', 60, 8, None, 65),
      ('fits_the_crop', 300, 16, 513, 513),
      ('crop_not_aligned', 40, 16, 50, 50),
      ('larger_than_the_crop', 600, 16, 513, 609),
  )
  def test_size(self, size, output_stride, crop_size, expected):
    self.assertEqual(serving.padded_size(size, output_stride, crop_size),
                     expected)
    self.assertEqual(
        int(serving.padded_size(tf.constant(size), output_stride, crop_size)),
        expected)


if __name__ == '__main__':
  tf.test.main()
