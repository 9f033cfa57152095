import tensorflow as tf

from official.data import catalog


class CatalogTest(tf.test.TestCase):

  def test_known(self):
    self.assertEqual(catalog.dataset_info('pascal_voc_seg').num_classes, 21)
    self.assertEqual(catalog.dataset_info('cityscapes').colormap,
                     'cityscapes')
    self.assertEqual(catalog.dataset_info('toy').class_names,
                     ('background', 'square', 'disc', 'triangle'))

  def test_custom(self):
    info = catalog.dataset_info('mine', num_classes=2, ignore_label=0)
    self.assertEqual(info.class_names, ('class_0', 'class_1'))
    self.assertEqual(info.ignore_label, 0)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, 'unknown dataset'):
      catalog.dataset_info('mine')
    with self.assertRaisesRegex(ValueError, '1 class names for 2 classes'):
      catalog.dataset_info(num_classes=2, class_names=['a'])


if __name__ == '__main__':
  tf.test.main()
