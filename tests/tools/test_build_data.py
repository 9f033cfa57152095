import os

from PIL import Image
import tensorflow as tf

from official.data import toy
from tests import fixtures


def _count(files):
  return sum(1 for _ in tf.data.TFRecordDataset(files))


class BuildVocDataTest(tf.test.TestCase):

  def test_converts_every_split(self):
    root, counts = fixtures.voc_root()
    output_dir = fixtures.temporary_dir()
    result = fixtures.run_main('tools.build_voc_data', f'--voc_root={root}',
                                 f'--sbd_root={root}',
                                 f'--output_dir={output_dir}')
    self.assertEqual(result.returncode, 0, result.stderr)
    for split in ('train', 'val', 'trainval', 'train_aug'):
      self.assertIn(f'{split}: {counts[split]} examples in 4 shards',
                    result.stdout)
      files = [os.path.join(output_dir,
                            f'{split}-{index:05d}-of-00004.tfrecord')
               for index in range(4)]
      self.assertEqual(_count(files), counts[split])
    self.assertRegex(result.stderr, r'train_aug: 100%\|#+\| \d+/\d+ ')

  def test_bad_image_is_a_one_line_error_unless_skipped(self):
    root = fixtures.temporary_dir()
    toy.write_voc(root, num_images=5, seed=0)
    voc_dir = os.path.join(root, 'VOCdevkit', 'VOC2012')
    image_id = open(os.path.join(voc_dir, 'ImageSets', 'Segmentation',
                                 'val.txt')).read().split()[0]
    path = os.path.join(voc_dir, 'JPEGImages', f'{image_id}.jpg')
    Image.open(path).convert('L').save(path)
    output_dir = os.path.join(root, 'out')

    result = fixtures.run_main('tools.build_voc_data', f'--voc_root={root}',
                               f'--output_dir={output_dir}')
    self.assertEqual(result.returncode, 1)
    error_lines = [line for line in result.stderr.splitlines()
                   if line.startswith('error:')]
    self.assertEqual(error_lines,
                     [f'error: {path}: image mode L; expected an RGB image '
                      '(convert grayscale, CMYK, RGBA or palette images to '
                      'RGB).'])
    self.assertNotIn('Traceback', result.stderr)

    result = fixtures.run_main('tools.build_voc_data', f'--voc_root={root}',
                                 f'--output_dir={output_dir}', '--skip_bad')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('val: 0 examples in 4 shards, 1 skipped', result.stdout)
    self.assertIn(f'skipped {path}: ', result.stdout)
    self.assertIn(f'skipped: {path}', result.stderr)

  def test_missing_root(self):
    result = fixtures.run_main('tools.build_voc_data', '--voc_root=/nowhere',
                               '--output_dir=/tmp/out')
    self.assertEqual(result.returncode, 1)
    self.assertIn('error: --voc_root=/nowhere: found no '
                  'ImageSets/Segmentation', result.stderr)
    self.assertNotIn('Traceback', result.stderr)


class BuildCityscapesDataTest(tf.test.TestCase):

  def test_converts_every_split(self):
    root, counts = fixtures.cityscapes_root()
    output_dir = fixtures.temporary_dir()
    result = fixtures.run_main(
        'tools.build_cityscapes_data', f'--cityscapes_root={root}',
        f'--output_dir={output_dir}', '--num_shards=3')
    self.assertEqual(result.returncode, 0, result.stderr)
    for split in ('train', 'val', 'test'):
      self.assertIn(f'{split}: {counts[split]} examples in 3 shards',
                    result.stdout)
    # The original's coarse splits: fine train (and val) plus train_extra.
    extra = counts['train_extra']
    self.assertIn(f'train_coarse: {counts["train"] + extra} examples in 3 '
                  'shards', result.stdout)
    self.assertIn(f'trainval_coarse: {counts["train"] + counts["val"] + extra}'
                  ' examples in 3 shards', result.stdout)

  def test_ade20k(self):
    root = fixtures.temporary_dir()
    counts = toy.write_ade20k(root, num_images=5, seed=0)
    output_dir = fixtures.temporary_dir()
    result = fixtures.run_main('tools.build_ade20k_data',
                                 f'--ade20k_root={root}',
                                 f'--output_dir={output_dir}', '--num_shards=2')
    self.assertEqual(result.returncode, 0, result.stderr)
    for split in ('train', 'val'):
      self.assertIn(f'{split}: {counts[split]} examples in 2 shards',
                    result.stdout)

  def test_missing_flag(self):
    result = fixtures.run_main('tools.build_cityscapes_data',
                               '--output_dir=/tmp/out')
    self.assertEqual(result.returncode, 1)
    self.assertIn('error: --cityscapes_root is required.', result.stderr)


class GinFlagsTest(tf.test.TestCase):

  def test_a_converter_refuses_a_gin_config_it_would_ignore(self):
    result = fixtures.run_main('tools.build_voc_data', '--voc_root=/voc',
                               '--output_dir=/out',
                               '--gin_bindings=TRAIN_STEPS = 1')
    self.assertEqual(fixtures.error_lines(result.stderr), [
        'error: --gin_bindings: this binary runs nothing that gin '
        'configures.'])


if __name__ == '__main__':
  tf.test.main()
