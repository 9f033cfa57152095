"""Any TFDS dataset with an image and a segmentation mask, for `pipeline`.

Images and masks are read undecoded and decoded in the pipeline's parallel
map, like the TFRecords. Our VOC layout is available as the builder
'voc_segmentation' (`voc_tfds`), and the registered 'cityscapes' builder
works with a label lookup to train ids. With gin, for example:

  TFDSSource.name = 'cityscapes/semantic_segmentation'
  TFDSSource.image_key = 'image_left'
  TFDSSource.label_key = 'segmentation_label'
  TFDSSource.filename_key = 'image_id'
  TFDSSource.label_lookup = @cityscapes.train_id_lookup()
  train/TFDSSource.split = 'train'
  train_dataset.source = @train/TFDSSource()
"""

import gin
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from official.data import cityscapes
from official.data import decoding
# Registers our 'voc_segmentation' builder with TFDS.
from official.data import voc_tfds  # pylint: disable=unused-import

gin.register(cityscapes.train_id_lookup, module='cityscapes')


@gin.configurable
class TFDSSource:
  """A split of a prepared TFDS dataset.

  Example:
    >>> source = TFDSSource('voc_segmentation', 'val', data_dir='/tmp/tfds',
    ...                     manual_dir='data/toy/voc')
    >>> sorted(source.decode(next(iter(source.records()))))
    ['filename', 'image', 'label']
  """

  def __init__(self, name, split, data_dir=None, image_key='image',
               label_key='segmentation_mask', filename_key='file_name',
               label_lookup=None, manual_dir=None):
    """Loads the builder.

    Args:
      name: the TFDS name, e.g. 'voc_segmentation' or
        'cityscapes/semantic_segmentation'.
      split: a TFDS split, e.g. 'train' or 'train[:90%]'.
      data_dir: TFDS's data folder; None for its default.
      image_key: the RGB image feature.
      label_key: the single-channel mask feature (class indices), or None
        for unlabelled images.
      filename_key: a text feature naming the image, or None.
      label_lookup: a sequence mapping each stored mask value to a label
        (e.g. Cityscapes label ids to train ids), or None.
      manual_dir: if given, prepare the dataset from this manual folder
        first (nothing is downloaded otherwise).

    Raises:
      ValueError: if the dataset is not prepared, or lacks the features.
    """
    self.builder = tfds.builder(name, data_dir=data_dir)
    if manual_dir is not None:
      self.builder.download_and_prepare(
          download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
    if not self.builder.is_prepared():
      raise ValueError(
          f'TFDS dataset {name} is not prepared in '
          f'{self.builder.data_dir}; prepare it (tfds build, or manual_dir=) '
          'first.')
    features = self.builder.info.features
    for key in (image_key, label_key, filename_key):
      if key is not None and key not in features:
        raise ValueError(f'TFDS dataset {name} has no feature {key!r}; it '
                         f'has {", ".join(sorted(features.keys()))}.')
    label_shape = features[label_key].shape if label_key else ()
    if len(label_shape) == 3 and label_shape[-1] != 1:
      raise ValueError(
          f'TFDS feature {label_key!r} has shape {label_shape}; expected '
          'single-channel class indices.')
    self.split = split
    self.image_key = image_key
    self.label_key = label_key
    self.filename_key = filename_key
    self.label_lookup = (None if label_lookup is None else
                         np.asarray(label_lookup, np.int32))

  def _decoders(self):
    """Leave image features encoded: the pipeline decodes in parallel."""
    features = self.builder.info.features
    return {key: tfds.decode.SkipDecoding()
            for key in (self.image_key, self.label_key)
            if key is not None and isinstance(features[key],
                                              tfds.features.Image)}

  def records(self, input_context=None, shuffle=False, seed=None):
    """Undecoded examples, this input pipeline's share."""
    num_pipelines = input_context.num_input_pipelines if input_context else 1
    num_shards = self.builder.info.splits[self.split].num_shards
    # TFDS shares out whole files; too few of them, and elements are.
    shard_by_file = num_pipelines > 1 and num_shards >= num_pipelines
    read_config = tfds.ReadConfig(
        shuffle_seed=seed,
        input_context=input_context if shard_by_file else None)
    records = self.builder.as_dataset(
        split=self.split, shuffle_files=shuffle, decoders=self._decoders(),
        read_config=read_config)
    if num_pipelines > 1 and not shard_by_file:
      records = records.shard(num_pipelines, input_context.input_pipeline_id)
    keys = [key for key in (self.image_key, self.label_key,
                            self.filename_key) if key is not None]
    return records.map(lambda example: {key: example[key] for key in keys})

  def decode(self, record):
    """{'image': uint8 [H, W, 3], 'label': int32 [H, W, 1], 'filename'}."""
    image = record[self.image_key]
    if image.dtype == tf.string:
      image = decoding.decode_image(image)
    if self.label_key is None:
      label = tf.zeros([0, 0, 1], tf.int32)
    else:
      label = record[self.label_key]
      if label.dtype == tf.string:
        label = tf.io.decode_image(label, channels=1, expand_animations=False)
      if label.shape.rank == 2:
        label = label[..., tf.newaxis]
      label = tf.cast(label, tf.int32)
      if self.label_lookup is not None:
        label = tf.gather(self.label_lookup, label)
    filename = (record[self.filename_key] if self.filename_key is not None
                else tf.constant(''))
    return {'image': image, 'label': label, 'filename': filename}
