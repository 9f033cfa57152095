r"""Converts PASCAL VOC 2012 (and SBD, for train_aug) into sharded TFRecords.

Writes train, val and trainval, and train_aug (10,582 images on the real
data) when --sbd_root is given, as <split>-%05d-of-%05d.tfrecord files in
the original DeepLab's format. Every image and mask is checked first; a bad
one stops the conversion with an error naming the file, or with --skip_bad
is left out and reported.

    python -m tools.build_voc_data --voc_root=data/VOCdevkit \
        --sbd_root=data/benchmark_RELEASE --output_dir=data/voc/tfrecords
"""

from absl import flags

from official import cli
from official.data import conversion
from official.data import voc

flags.DEFINE_string('voc_root', None,
                    'The VOC2012 folder, or a folder holding VOCdevkit/.')
flags.DEFINE_string('sbd_root', None,
                    'SBD\'s benchmark_RELEASE folder (or its parent), to '
                    'build train_aug.')
flags.DEFINE_string('output_dir', None, 'Where to write the TFRecords.')
flags.DEFINE_integer('num_shards', 4, 'Files per split.', lower_bound=1)
flags.DEFINE_bool('skip_bad', False,
                  'Leave out bad images and masks (each reported) instead of '
                  'stopping.')

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv, required=('voc_root', 'output_dir'))
  cli.reject_gin()
  voc_dir = voc.find_voc2012(FLAGS.voc_root)
  splits = list(voc.VOC_SPLITS)
  sbd_dir = None
  if FLAGS.sbd_root:
    sbd_dir = voc.find_sbd(FLAGS.sbd_root)
    splits.append(voc.TRAIN_AUG)
  conversion.convert(
      {split: voc.samples(voc_dir, split, sbd_dir) for split in splits},
      FLAGS.output_dir, voc.load_label, FLAGS.num_shards, FLAGS.skip_bad)


if __name__ == '__main__':
  cli.run(main)
