"""PASCAL VOC 2012 segmentation as a TFDS builder reading a manual folder.

The manual folder holds the published VOCdevkit/VOC2012 (and optionally
SBD's benchmark_RELEASE, which adds the `train_aug` split), laid out as
`voc` describes; nothing is downloaded. Every image and mask is checked as
the converters check them.

Example:
  >>> builder = VocSegmentation(data_dir='/tmp/tfds')
  >>> builder.download_and_prepare(download_config=tfds.download.
  ...     DownloadConfig(manual_dir='/data/voc'))
  >>> dataset = builder.as_dataset(split='val')
"""

import os

import tensorflow_datasets as tfds

from official.data import conversion
from official.data import voc


class VocSegmentation(tfds.core.GeneratorBasedBuilder):
  """PASCAL VOC 2012 semantic segmentation (21 classes, 255 ignored)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'VOC 2012 segmentation splits, SBD train_aug.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      'Put VOCdevkit/ (with VOC2012/) in the manual folder, and SBD\'s '
      'benchmark_RELEASE/ beside it for the train_aug split.')

  def _info(self):
    return self.dataset_info_from_configs(
        features=tfds.features.FeaturesDict({
            'image': tfds.features.Image(encoding_format='jpeg'),
            'segmentation_mask': tfds.features.Image(
                shape=(None, None, 1), encoding_format='png'),
            'file_name': tfds.features.Text(),
        }),
        supervised_keys=('image', 'segmentation_mask'))

  def _split_generators(self, dl_manager):
    manual_dir = os.fspath(dl_manager.manual_dir)
    voc_dir = voc.find_voc2012(manual_dir, flag='manual_dir')
    splits = {split: self._generate_examples(voc.samples(voc_dir, split))
              for split in voc.VOC_SPLITS}
    try:
      sbd_dir = voc.find_sbd(manual_dir, flag='manual_dir')
    except FileNotFoundError:
      return splits
    splits[voc.TRAIN_AUG] = self._generate_examples(
        voc.samples(voc_dir, voc.TRAIN_AUG, sbd_dir))
    return splits

  def _generate_examples(self, samples):
    for sample in samples:
      _, label = conversion.read_sample(sample, voc.load_label)
      yield sample.filename, {
          'image': sample.image_path,
          'segmentation_mask': label[..., None],
          'file_name': sample.filename,
      }
