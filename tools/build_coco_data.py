r"""Converts MS-COCO 2017 instances into VOC-class TFRecords (splits train, val).

For COCO pretraining before PASCAL VOC (DeepLabv3 §4.3, DeepLabv3+ §4.3):
the 20 VOC classes by the standard COCO name match (airplane -> aeroplane,
couch -> sofa, dining table -> diningtable, motorcycle -> motorbike,
potted plant -> pottedplant, tv -> tvmonitor, the rest by name); every
other COCO category is background. train2017 is the paper's "trainval minus
minival". An image is kept when more than --min_pixels pixels of its mask
hold a VOC class (about 60K of train2017 in the paper); the dropped ones
are counted per split.

Not published by the paper or the original, hence flags:
  --overlaps=ignore (default): pixels two VOC-class instances cover are
      ignore (255), as torchvision's COCO recipe; =last: the instance last
      in the annotation file wins.
  --crowd=ignore (default): crowd regions (iscrowd=1) are ignore (255)
      where no instance covers them (they mix the class with background);
      =class: those pixels take the crowd's class; =background: left out.

Same TFRecord schema and <split>-%05d-of-%05d.tfrecord shards as
tools/build_voc_data.py; a missing or corrupt image, or a broken annotation,
stops the conversion with an error naming the file (--skip_bad: left out
and reported). COCO's grayscale JPEGs are kept as they are.

    python -m tools.build_coco_data --coco_root=data/coco \
        --output_dir=data/coco/tfrecords
"""

from absl import flags

from official import cli
from official.data import coco
from official.data import conversion

flags.DEFINE_string('coco_root', None,
                    'The COCO 2017 folder: train2017/, val2017/ and '
                    'annotations/instances_{train,val}2017.json.')
flags.DEFINE_string('output_dir', None, 'Where to write the TFRecords.')
flags.DEFINE_integer('min_pixels', coco.MIN_PIXELS,
                     'Keep an image when more than this many pixels of its '
                     'mask hold a VOC class (DeepLabv3 §4.3: 1000).',
                     lower_bound=0)
flags.DEFINE_enum('overlaps', coco.OVERLAPS_IGNORE, coco.OVERLAPS,
                  'Pixels covered by two or more VOC-class instances: '
                  'ignore (255) or the last instance\'s class.')
flags.DEFINE_enum('crowd', coco.CROWD_IGNORE, coco.CROWDS,
                  'Crowd regions (iscrowd=1) of VOC classes: ignore (255) '
                  'where no instance covers them, their class, or '
                  'background.')
flags.DEFINE_integer('num_shards', 64, 'Files per split.', lower_bound=1)
flags.DEFINE_bool('skip_bad', False,
                  'Leave out bad images and annotations (each reported) '
                  'instead of stopping.')

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv, required=('coco_root', 'output_dir'))
  cli.parse_gin()
  coco_dir = coco.find_coco(FLAGS.coco_root)
  masks = coco.Masks(coco.MaskOptions(FLAGS.overlaps, FLAGS.crowd))
  selections = [coco.select(coco_dir, split, masks, FLAGS.min_pixels)
                for split in coco.SPLITS]
  for selection in selections:
    print(selection)
  conversion.convert(
      {selection.split: selection.samples for selection in selections},
      FLAGS.output_dir, masks, FLAGS.num_shards, FLAGS.skip_bad,
      read_image=coco.read_image)


if __name__ == '__main__':
  cli.run(main)
