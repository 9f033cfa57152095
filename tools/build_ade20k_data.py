r"""Converts ADE20K (ADEChallengeData2016) into sharded TFRecords.

Writes train (images/training) and val (images/validation) as
<split>-%05d-of-%05d.tfrecord files in the original DeepLab's format, the
masks' class indices 0-150 unchanged (0, "other", is the ignore label).
Every image and mask is checked first; a bad one stops the conversion with
an error naming the file, or with --skip_bad is left out and reported.

    python -m tools.build_ade20k_data --ade20k_root=data/ade20k \
        --output_dir=data/ade20k/tfrecords
"""

from absl import flags

from official import cli
from official.data import ade20k
from official.data import conversion

flags.DEFINE_string('ade20k_root', None,
                    'The ADEChallengeData2016 folder, or a folder holding it.')
flags.DEFINE_string('output_dir', None, 'Where to write the TFRecords.')
flags.DEFINE_integer('num_shards', 4, 'Files per split.', lower_bound=1)
flags.DEFINE_bool('skip_bad', False,
                  'Leave out bad images and masks (each reported) instead of '
                  'stopping.')

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv, required=('ade20k_root', 'output_dir'))
  cli.parse_gin()
  root = ade20k.find_root(FLAGS.ade20k_root)
  conversion.convert(
      {split: ade20k.samples(root, split) for split in ade20k.SPLIT_FOLDERS},
      FLAGS.output_dir, ade20k.load_label, FLAGS.num_shards, FLAGS.skip_bad)


if __name__ == '__main__':
  cli.run(main)
