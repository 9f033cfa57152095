import hashlib

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.data import colormap


class ColormapTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('pascal', 'pascal', 512, 'd4ee12d4fa4aa856fc282c47517d626b'),
      ('cityscapes', 'cityscapes', 256, '25c083873f7a0b6e6a8f003dfacbf449'),
      ('ade20k', 'ade20k', 151, '5917f150368ac068ef2a38265829178a'),
  )
  def test_table_matches_reference_checksum(self, name, size, md5):
    table = colormap.COLORMAPS[name]()
    self.assertEqual(table.shape, (size, 3))
    self.assertEqual(table.dtype, np.uint8)
    self.assertEqual(hashlib.md5(table.tobytes()).hexdigest(), md5)

  def test_pascal_entries(self):
    table = colormap.pascal_colormap()
    self.assertAllEqual(table[[0, 1, 2, 3, 4, 5, 21, 255]],
                        [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
                         [0, 0, 128], [128, 0, 128], [128, 64, 128],
                         [224, 224, 192]])

  def test_cityscapes_entries(self):
    table = colormap.cityscapes_colormap()
    self.assertAllEqual(table[0], [128, 64, 128])
    self.assertAllEqual(table[18], [119, 11, 32])
    self.assertAllEqual(table[19:], np.zeros((237, 3)))

  def test_ade20k_entries(self):
    table = colormap.ade20k_colormap()
    self.assertAllEqual(table[[0, 1, 5, 149, 150]],
                        [[0, 0, 0], [120, 120, 120], [4, 200, 3],
                         [102, 255, 0], [92, 0, 255]])

  def test_label_to_color_image(self):
    image = colormap.label_to_color_image(np.array([[0, 1], [21, 255]]))
    self.assertEqual(image.shape, (2, 2, 3))
    self.assertAllEqual(image[1], [[128, 64, 128], [224, 224, 192]])

  @parameterized.named_parameters(
      ('beyond_ade20k', np.array([[151]]), 'ade20k', 'in \\[0, 151\\)'),
      ('beyond_pascal', np.array([[512]]), 'pascal', 'in \\[0, 512\\)'),
      ('negative', np.array([[-1]]), 'cityscapes', 'in \\[0, 256\\)'),
      ('not_2d', np.zeros((1, 2, 2), np.int32), 'pascal', '2-D'),
      ('unknown_name', np.zeros((2, 2), np.int32), 'voc', 'Unknown colormap'),
  )
  def test_rejects(self, label, name, message):
    with self.assertRaisesRegex(ValueError, message):
      colormap.label_to_color_image(label, name)


if __name__ == '__main__':
  tf.test.main()
