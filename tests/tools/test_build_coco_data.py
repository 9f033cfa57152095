"""tools/make_toy_dataset --layout=coco and tools/build_coco_data, through
the binaries' main."""

import os

import tensorflow as tf

from official.data import coco
from official.data import toy
from tests import fixtures


class BuildCocoDataTest(tf.test.TestCase):

  def test_toy_layout_converts_with_a_summary_per_split(self):
    root = fixtures.temporary_dir()
    result = fixtures.run_main('tools.make_toy_dataset',
                               f'--output_dir={root}', '--layout=coco',
                               '--num_images=9')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('train 6, val 3', result.stdout)
    output_dir = os.path.join(root, 'tfrecords')
    result = fixtures.run_main('tools.build_coco_data', f'--coco_root={root}',
                               f'--output_dir={output_dir}', '--num_shards=2')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('train: kept 5 of 6 images, dropped 1 with at most 1000 '
                  'VOC-class pixels', result.stdout)
    self.assertIn('val: kept 3 of 3 images, dropped 0', result.stdout)
    self.assertIn('train: 5 examples in 2 shards', result.stdout)
    self.assertIn('val: 3 examples in 2 shards', result.stdout)
    self.assertRegex(result.stderr, r'train: 100%\|#+\| 5/5 ')
    self.assertEqual(
        sum(1 for _ in tf.data.TFRecordDataset(tf.io.gfile.glob(
            os.path.join(output_dir, 'train-*-of-00002.tfrecord')))), 5)

  def test_broken_annotation_file_is_a_one_line_error(self):
    root = fixtures.temporary_dir()
    toy.write_coco(root, num_images=6)
    path = coco.annotation_file(root, 'train')
    with open(path, 'w') as f:
      f.write('{"images": [')
    result = fixtures.run_main('tools.build_coco_data', f'--coco_root={root}',
                               f'--output_dir={root}/out', '--min_pixels=10')
    self.assertEqual(result.returncode, 1)
    error_lines = [line for line in result.stderr.splitlines()
                   if line.startswith('error:')]
    self.assertLen(error_lines, 1)
    self.assertStartsWith(error_lines[0], f'error: {path}: not a JSON file')
    self.assertNotIn('Traceback', result.stderr)


if __name__ == '__main__':
  tf.test.main()
