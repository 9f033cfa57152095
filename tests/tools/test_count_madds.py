"""tools.count_madds in-process: --num_classes and bad gin bindings."""

import json

import tensorflow as tf

from tests import fixtures


def _run(*argv):
  return fixtures.run_main(
      'tools.count_madds', f'--gin_file={fixtures.QUICKSTART}',
      '--input_size=33,33',
      *[f'--gin_bindings={binding}'
        for binding in fixtures.TINY_MODEL_BINDINGS], *argv)


def _count(*argv):
  """The JSON line the tool prints for these flags."""
  result = _run(*argv)
  if result.returncode:
    raise AssertionError(result.stderr)
  return json.loads(result.stdout)


class CountMaddsTest(tf.test.TestCase):

  def test_num_classes_overrides_the_config(self):
    configured = _count()
    overridden = _count('--num_classes=21')
    # Only the 1x1 logits layer grows: (21 - 4) * (16 decoder filters + 1).
    self.assertEqual(overridden['params'] - configured['params'], 17 * 17)

  def test_misspelt_macro_is_an_error_before_any_work(self):
    result = _run('--gin_bindings=TRAIN_STEP=5')
    self.assertEqual(fixtures.error_lines(result.stderr), [
        'error: --gin_bindings "TRAIN_STEP=5": nothing in the config reads '
        'the macro TRAIN_STEP (known macros: BATCH_SIZE, CROP_SIZE, '
        'DATA_DIR, NUM_CLASSES, TRAIN_STEPS).'])
    self.assertEqual(result.stdout, '')


if __name__ == '__main__':
  tf.test.main()
