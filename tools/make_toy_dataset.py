r"""Writes a small synthetic dataset in the VOC or Cityscapes folder layout.

VOC: VOCdevkit/VOC2012 and SBD's benchmark_RELEASE under --output_dir, four
classes (background, square, disc, triangle). Cityscapes: leftImg8bit/ and
gtFine/ with real label ids. The same --seed writes the same images.

    python -m tools.make_toy_dataset --output_dir=data/toy/voc --layout=voc
    python -m tools.build_voc_data --voc_root=data/toy/voc \
        --sbd_root=data/toy/voc --output_dir=data/toy/tfrecords
"""

from absl import flags

from official import cli
from official.data import toy

flags.DEFINE_string('output_dir', None, 'Where to write the dataset.')
flags.DEFINE_enum('layout', None, ['voc', 'cityscapes'],
                  'The folder layout and file formats to write.')
flags.DEFINE_integer('num_images', None,
                     'Number of images (default: 80 for voc, 40 for '
                     'cityscapes).', lower_bound=1)
flags.DEFINE_integer('seed', 0, 'Seed of everything drawn.')

FLAGS = flags.FLAGS

_WRITERS = {'voc': (toy.write_voc, 80), 'cityscapes': (toy.write_cityscapes,
                                                       40)}


def main(argv):
  cli.check_arguments(argv, required=('output_dir', 'layout'))
  cli.reject_gin()
  write, default_num_images = _WRITERS[FLAGS.layout]
  counts = write(FLAGS.output_dir, FLAGS.num_images or default_num_images,
                 FLAGS.seed)
  print(f'Wrote a toy {FLAGS.layout} dataset to {FLAGS.output_dir}: ' +
        ', '.join(f'{split} {count}' for split, count in counts.items()))


if __name__ == '__main__':
  cli.run(main)
