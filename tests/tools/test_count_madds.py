"""tools.count_madds in-process: --num_classes and bad gin bindings."""

import contextlib
import io
import json

from absl import flags
from absl.testing import flagsaver
import gin
import tensorflow as tf

from official import experiment
from tests import fixtures
from tools import count_madds

def _count(*argv):
  """The JSON line main() prints for these flags."""
  flags.FLAGS(['count_madds', f'--gin_file={fixtures.QUICKSTART}',
               '--input_size=33,33'] +
              [f'--gin_bindings={binding}'
               for binding in fixtures.TINY_MODEL_BINDINGS] + list(argv))
  output = io.StringIO()
  try:
    with contextlib.redirect_stdout(output):
      count_madds.main(['count_madds'])
  finally:
    gin.clear_config()
  return json.loads(output.getvalue())


class CountMaddsTest(tf.test.TestCase):

  @flagsaver.flagsaver
  def test_num_classes_overrides_the_config(self):
    configured = _count()
    with flagsaver.flagsaver():
      overridden = _count('--num_classes=21')
    # Only the 1x1 logits layer grows: (21 - 4) * (16 decoder filters + 1).
    self.assertEqual(overridden['params'] - configured['params'], 17 * 17)

  @flagsaver.flagsaver
  def test_misspelt_macro_is_an_error_before_any_work(self):
    with self.assertRaisesRegex(
        experiment.ConfigError,
        r'^--gin_bindings "TRAIN_STEP=5": nothing in the config reads the '
        r'macro TRAIN_STEP \(known macros: BATCH_SIZE, CROP_SIZE, DATA_DIR, '
        r'NUM_CLASSES, TRAIN_STEPS\)\.$'):
      _count('--gin_bindings=TRAIN_STEP=5')


if __name__ == '__main__':
  tf.test.main()
