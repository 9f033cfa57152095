r"""Converts Cityscapes (fine annotations) into sharded TFRecords.

Writes train, val and test as <split>-%05d-of-%05d.tfrecord files in the
original DeepLab's format, with the masks' label ids mapped to the 19 train
ids (255 for every other id); test has images only. Every image and mask is
checked first; a bad one stops the conversion with an error naming the
file, or with --skip_bad is left out and reported.

    python -m tools.build_cityscapes_data --cityscapes_root=data/cityscapes \
        --output_dir=data/cityscapes/tfrecords
"""

from absl import flags

from official import cli
from official.data import cityscapes
from official.data import conversion

flags.DEFINE_string('cityscapes_root', None,
                    'The folder holding leftImg8bit/ and gtFine/.')
flags.DEFINE_string('output_dir', None, 'Where to write the TFRecords.')
flags.DEFINE_integer('num_shards', 10, 'Files per split.', lower_bound=1)
flags.DEFINE_bool('skip_bad', False,
                  'Leave out bad images and masks (each reported) instead of '
                  'stopping.')

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv, required=('cityscapes_root', 'output_dir'))
  cli.reject_gin()
  root = cityscapes.find_root(FLAGS.cityscapes_root)
  conversion.convert(
      {split: cityscapes.samples(root, split) for split in cityscapes.SPLITS},
      FLAGS.output_dir, cityscapes.load_label, FLAGS.num_shards,
      FLAGS.skip_bad)


if __name__ == '__main__':
  cli.run(main)
