"""Converters refuse a split without examples unless asked to write it."""

import io
import os

import tensorflow as tf

from official.data import conversion
from official.data import voc


class EmptySplitTest(tf.test.TestCase):

  def test_empty_split_is_an_error_before_anything_is_written(self):
    output_dir = os.path.join(self.get_temp_dir(), 'tfrecords')
    with self.assertRaisesWithLiteralMatch(
        conversion.EmptySplitError,
        'No examples found for split(s) val (a wrong or incomplete dataset '
        'folder?); nothing was written. Pass --allow_empty_splits to write '
        'them empty.'):
      conversion.convert({'val': []},
                         output_dir, voc.load_label, 1, stream=io.StringIO(),
                         out=io.StringIO())
    self.assertFalse(os.path.exists(output_dir))
    [summary] = conversion.convert({'val': []}, output_dir, voc.load_label, 1,
                                   stream=io.StringIO(), out=io.StringIO(),
                                   allow_empty_splits=True)
    self.assertEqual(summary.num_written, 0)
    self.assertEqual(os.listdir(output_dir), ['val-00000-of-00001.tfrecord'])


if __name__ == '__main__':
  tf.test.main()
