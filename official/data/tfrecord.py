"""The TFRecord format of the converted datasets, and reading it back.

One `tf.train.Example` per image with the original DeepLab's features
(reference §8.1), sharded as '<split>-%05d-of-%05d.tfrecord':

  image/encoded                     the image file's bytes (JPEG or PNG)
  image/filename                    the image id, e.g. '2007_000032'
  image/format                      'jpeg' or 'png'
  image/height, image/width         the image size
  image/channels                    3
  image/segmentation/class/encoded  single-channel PNG of class indices;
                                    absent for unlabelled splits (test)
  image/segmentation/class/format   'png'

Files written by the original DeepLab scripts read the same way.
"""

import os

import gin
import tensorflow as tf

from official.data import decoding

_FEATURES = {
    'image/encoded': tf.io.FixedLenFeature((), tf.string, default_value=''),
    'image/filename': tf.io.FixedLenFeature((), tf.string, default_value=''),
    'image/format': tf.io.FixedLenFeature((), tf.string,
                                          default_value='jpeg'),
    'image/height': tf.io.FixedLenFeature((), tf.int64, default_value=0),
    'image/width': tf.io.FixedLenFeature((), tf.int64, default_value=0),
    'image/segmentation/class/encoded': tf.io.FixedLenFeature(
        (), tf.string, default_value=''),
    'image/segmentation/class/format': tf.io.FixedLenFeature(
        (), tf.string, default_value='png'),
}


def _bytes(value):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64(value):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def encode_example(image_data, image_format, filename, height, width,
                   label_png=None):
  """A serialized `tf.train.Example` of one image and its label.

  Args:
    image_data: the image file's bytes.
    image_format: 'jpeg' or 'png'.
    filename: the image id (str).
    height, width: the image size.
    label_png: PNG bytes of the [height, width] class indices, or None for
      an unlabelled image.

  Returns:
    bytes.
  """
  features = {
      'image/encoded': _bytes(image_data),
      'image/filename': _bytes(filename.encode('utf-8')),
      'image/format': _bytes(image_format.encode('utf-8')),
      'image/height': _int64(height),
      'image/width': _int64(width),
      'image/channels': _int64(3),
  }
  if label_png is not None:
    features['image/segmentation/class/encoded'] = _bytes(label_png)
    features['image/segmentation/class/format'] = _bytes(b'png')
  example = tf.train.Example(features=tf.train.Features(feature=features))
  return example.SerializeToString()


def parse_example(serialized):
  """The features of one serialized example, as a dict of scalar tensors."""
  return tf.io.parse_single_example(serialized, _FEATURES)


def shard_filename(split, index, num_shards):
  """'train-00001-of-00004.tfrecord' for split 'train', shard 1 of 4."""
  return f'{split}-{index:05d}-of-{num_shards:05d}.tfrecord'


def split_files(data_dir, split):
  """The sorted shard files of `split` in `data_dir`.

  Raises:
    FileNotFoundError: if there are none.
  """
  pattern = os.path.join(data_dir, f'{split}-*')
  files = sorted(tf.io.gfile.glob(pattern))
  if not files:
    raise FileNotFoundError(
        f'No TFRecord files {pattern} (split {split!r} in {data_dir}); '
        'convert the dataset with tools/build_voc_data.py or '
        'tools/build_cityscapes_data.py first.')
  return files


@gin.configurable
class TFRecordSource:
  """A split of TFRecords written by the converters, for `pipeline`.

  Example:
    >>> source = TFRecordSource('data/toy/tfrecords', 'val')
    >>> element = source.decode(next(iter(source.records())))
    >>> sorted(element)
    ['filename', 'image', 'label']
  """

  def __init__(self, data_dir, split, num_parallel_reads=4):
    """Finds the split's files.

    Args:
      data_dir: the folder of TFRecords.
      split: the split's name, e.g. 'train_aug'.
      num_parallel_reads: files read at once.

    Raises:
      FileNotFoundError: if the split has no files.
    """
    self.files = split_files(data_dir, split)
    self.num_parallel_reads = num_parallel_reads

  def records(self, input_context=None, shuffle=False, seed=None):
    """Serialized examples, this input pipeline's share of them.

    Args:
      input_context: a `tf.distribute.InputContext`, or None. Whole files
        are shared out when there are enough of them, else records are.
      shuffle: shuffle the order of the files.
      seed: seed of that shuffle.

    Returns:
      A `tf.data.Dataset` of scalar strings.
    """
    num_pipelines = input_context.num_input_pipelines if input_context else 1
    shard_by_file = len(self.files) >= num_pipelines
    files = tf.data.Dataset.from_tensor_slices(self.files)
    if num_pipelines > 1 and shard_by_file:
      files = files.shard(num_pipelines, input_context.input_pipeline_id)
    if shuffle:
      files = files.shuffle(len(self.files), seed=seed)
    records = files.interleave(
        tf.data.TFRecordDataset, cycle_length=self.num_parallel_reads,
        num_parallel_calls=tf.data.AUTOTUNE)
    if num_pipelines > 1 and not shard_by_file:
      records = records.shard(num_pipelines, input_context.input_pipeline_id)
    return records

  def decode(self, record):
    """{'image': uint8 [H, W, 3], 'label': int32 [H, W, 1], 'filename'}."""
    features = parse_example(record)
    return {
        'image': decoding.decode_image(features['image/encoded']),
        'label': decoding.decode_label(
            features['image/segmentation/class/encoded']),
        'filename': features['image/filename'],
    }
