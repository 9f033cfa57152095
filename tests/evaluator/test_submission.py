"""PASCAL VOC test-server submissions: palette PNGs in a tar.gz."""

import io
import os
import tarfile

import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import colormap
from official.data import toy
from official.evaluator import submission
from tests import fixtures

_PREFIX = 'results/VOC2012/Segmentation/comp6_test_cls/'


def _members(archive_path):
  """{member name: PIL image} of a submission archive."""
  with tarfile.open(archive_path, 'r:gz') as archive:
    return {member.name: Image.open(io.BytesIO(
        archive.extractfile(member).read())) for member in archive.getmembers()
            if member.isfile()}


class VocSubmissionTest(tf.test.TestCase):

  def test_palette_pngs_in_the_server_folder(self):
    output_dir = self.get_temp_dir()
    labels = np.arange(21 * 3, dtype=np.int32).reshape(7, 9) % 21
    upload = submission.VocSubmission(output_dir)
    upload.add('2008_000001', labels, (7, 9))
    upload.add('2008_000002', np.zeros((4, 5), np.int64), (4, 5))
    # A stale PNG of another run stays out of the archive.
    with open(os.path.join(upload.results_dir, 'old.png'), 'wb') as f:
      f.write(submission.palette_png(np.zeros((2, 2))))
    archive = upload.pack()
    self.assertEqual(archive, os.path.join(output_dir, 'results.tar.gz'))
    members = _members(archive)
    self.assertEqual(sorted(members), [f'{_PREFIX}2008_000001.png',
                                       f'{_PREFIX}2008_000002.png'])
    png = members[f'{_PREFIX}2008_000001.png']
    self.assertEqual((png.format, png.mode, png.size), ('PNG', 'P', (9, 7)))
    self.assertAllEqual(np.array(png), labels)
    self.assertEqual(png.getpalette()[:21 * 3],
                     colormap.pascal_colormap()[:21].flatten().tolist())

  def test_bad_labels_name_the_image(self):
    upload = submission.VocSubmission(self.get_temp_dir())
    with self.assertRaisesRegex(ValueError, r'^a: labels \(2, 2\) for an '
                                r'image of size \(2, 3\)'):
      upload.add('a', np.zeros((2, 2)), (2, 3))
    with self.assertRaisesRegex(ValueError, '^b: label values 0..255; the '
                                'VOC server takes 0..20'):
      upload.add('b', np.array([[0, 255]]), (1, 2))
    upload.add('c', np.zeros((1, 1)), (1, 1))
    with self.assertRaisesRegex(ValueError, '^c: predicted twice'):
      upload.add('c', np.zeros((1, 1)), (1, 1))

  def test_predict_binary_on_the_toy_test_split(self):
    root = fixtures.temporary_dir()
    toy.write_voc(root, num_images=5, seed=0)
    test_ids = toy.write_voc_test(root, num_images=3, seed=1)
    _, run_dir = fixtures.shared_run()
    output_dir = os.path.join(root, 'submission')
    result = fixtures.run_main('official.predict', f'--model_dir={run_dir}',
                               f'--input={root}', f'--output_dir={output_dir}',
                               '--voc_submission')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('Wrote 3 PNGs to', result.stdout)
    members = _members(os.path.join(output_dir, 'results.tar.gz'))
    self.assertEqual(sorted(members),
                     [f'{_PREFIX}{image_id}.png' for image_id in test_ids])
    for image_id in test_ids:
      png = members[f'{_PREFIX}{image_id}.png']
      image = Image.open(os.path.join(root, 'VOCdevkit', 'VOC2012',
                                      'JPEGImages', f'{image_id}.jpg'))
      self.assertEqual(png.mode, 'P')
      self.assertEqual(png.size, image.size)
      self.assertLessEqual(np.array(png).max(), 20)
      self.assertEqual(png.getpalette()[3:6], [128, 0, 0])


if __name__ == '__main__':
  tf.test.main()
