"""official.predict on a folder with unreadable files: nothing good is lost."""

import os

import numpy as np
import tensorflow as tf

from tests import fixtures


class PredictBadImagesTest(tf.test.TestCase):

  def test_every_good_image_written_every_bad_one_reported(self):
    _, run_dir = fixtures.shared_run()
    inputs = os.path.join(self.get_temp_dir(), 'inputs')
    os.makedirs(inputs)
    for name in ('a_good', 'c_good'):
      with open(os.path.join(inputs, f'{name}.png'), 'wb') as f:
        f.write(fixtures.png_bytes(np.full((33, 40, 3), 90, np.uint8)))
    bad = [os.path.join(inputs, 'b_bad.png'), os.path.join(inputs, 'd_bad.jpg')]
    for path in bad:
      with open(path, 'wb') as f:
        f.write(b'not an image')
    outputs = {flag: os.path.join(self.get_temp_dir(), flag or 'strict')
               for flag in ('', '--skip_bad')}
    results = {
        flag: fixtures.run_main(
            'official.predict', f'--model_dir={run_dir}',
            f'--input={inputs}/*', f'--output_dir={output_dir}',
            *([flag] if flag else []))
        for flag, output_dir in outputs.items()}

    strict = results['']
    self.assertEqual(strict.returncode, 1, strict.stderr)
    self.assertEqual(fixtures.error_lines(strict.stderr), [
        f'error: 2 of 4 images are not readable image files ({bad[0]}, '
        f'{bad[1]}); the others were written. --skip_bad exits 0.'])
    for path in bad:
      self.assertIn(f'bad image: {path}: not a readable image file.',
                    strict.stderr)
    self.assertEqual(results['--skip_bad'].returncode, 0,
                     results['--skip_bad'].stderr)
    self.assertIn(f'warning: {bad[1]}: not a readable image file.',
                  results['--skip_bad'].stderr)
    expected = sorted(f'{name}_{kind}.png' for name in ('a_good', 'c_good')
                      for kind in ('label', 'color', 'overlay'))
    for output_dir in outputs.values():
      self.assertEqual(sorted(os.listdir(output_dir)), expected)
    self.assertIn('of 2 images', strict.stdout)


if __name__ == '__main__':
  tf.test.main()
