"""The model zoo table: every row's config exists and builds its network."""

import os

from absl.testing import parameterized
import gin
import tensorflow as tf

from official import cli
from official.data import catalog
from official.model import builder
from official.zoo import model_zoo

_BUILT = [name for name, entry in model_zoo.ENTRIES.items()
          if not entry.not_built]
# The backbone each network's config must bind.
_BACKBONES = {'MobileNetV2': 'mobilenet_v2', 'Xception-41': 'xception_41',
              'Xception-65': 'xception_65', 'Xception-71': 'xception_71',
              'ResNet-50 beta': 'resnet_v1_50_beta',
              'ResNet-101 beta': 'resnet_v1_101_beta'}


class ModelZooTest(tf.test.TestCase, parameterized.TestCase):

  def tearDown(self):
    gin.clear_config()
    super().tearDown()

  @parameterized.parameters(*_BUILT)
  def test_config_builds_the_network(self, name):
    entry = model_zoo.ENTRIES[name]
    cli.parse_gin([os.path.join(cli.REPO_ROOT, entry.gin_file)], [])
    config = builder.model_config()
    backbone = next(value for key, value in _BACKBONES.items()
                    if entry.network.startswith(key))
    self.assertEqual(config['backbone'], backbone)
    # None: the backbone's own width (MobileNetV2's 1.0; the others have none).
    self.assertEqual(config['depth_multiplier'],
                     0.5 if 'depth 0.5' in entry.network else None)
    if entry.dataset != 'imagenet':
      self.assertEqual(catalog.dataset_info().name, entry.dataset)
      self.assertNotEmpty(entry.evals)

  def test_rows_are_unique_and_say_what_they_are(self):
    tarballs = [entry.tarball for entry in model_zoo.ENTRIES.values()]
    self.assertLen(set(tarballs), len(tarballs))
    for entry in model_zoo.ENTRIES.values():
      self.assertNotEqual(entry.gin_file is None, entry.not_built is None,
                          entry.name)
      self.assertIs(model_zoo.by_tarball(f'/x/{entry.tarball}.tar.gz'), entry)

  def test_url_under_the_base(self):
    self.assertEqual(
        model_zoo.ENTRIES['xception65_cityscapes_trainfine'].url(
            'http://mirror/models/'),
        'http://mirror/models/deeplabv3_cityscapes_train_2018_02_06.tar.gz')

  def test_unknown_name(self):
    with self.assertRaisesRegex(ValueError, r'^--model_zoo=nope: no such '):
      model_zoo.entry('nope')


if __name__ == '__main__':
  tf.test.main()
