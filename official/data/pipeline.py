"""The tf.data input pipelines for training and evaluation.

Both read a *source* (`tfrecord.TFRecordSource`, `tfds_source.TFDSSource`,
`folder.FolderSource`, or any object with the same two methods):

  records(input_context=None, shuffle=False, seed=None): a `tf.data.Dataset`
      of undecoded records (cheap to shuffle), already this input pipeline's
      share under `input_context`;
  decode(record): {'image': uint8 [H, W, 3], 'label': int32 [H, W, 1] (or
      [0, 0, 1] for an unlabelled image), 'filename': string}.

Training preprocessing is the original DeepLab's (reference §5): random scale
(image bilinear, label nearest neighbour, both with aligned corners), pad
bottom/right to the crop size with the mean pixel and the ignore label,
random crop, random left-right flip. Images stay in 0..255: the network
normalises them.

Elements:
  train_dataset: {'image': float32 [B, crop_h, crop_w, 3],
                  'label': int32 [B, crop_h, crop_w, 1]}
  eval_dataset:  {'image': float32 [B, H, W, 3], 'label': int32 [B, H, W, 1],
                  'height': int32 [B], 'width': int32 [B],
                  'filename': string [B]}
where the eval images are padded bottom/right and `height`, `width` are
their sizes before padding. Unlabelled images have labels all ignored.

Example, under a strategy (gin supplies the other arguments):
  >>> dataset = strategy.distribute_datasets_from_function(
  ...     lambda context: train_dataset(input_context=context))
"""

import gin
import numpy as np
import tensorflow as tf

from official.data import dataset_info
from official.ops import mean_pixel as mean_pixel_lib
from official.ops import resize


def scale_factors(min_scale_factor, max_scale_factor, scale_factor_step):
  """The scale factors drawn from: a list, or None for a continuous range.

  {0.5, 0.75, ..., 2.0} for (0.5, 2.0, 0.25); a step of 0 means every
  factor in [min, max); min == max means that one factor.
  """
  if min_scale_factor <= 0 or max_scale_factor < min_scale_factor:
    raise ValueError(
        f'Scale factors must satisfy 0 < min <= max, got min '
        f'{min_scale_factor} and max {max_scale_factor}.')
  if min_scale_factor == max_scale_factor:
    return [float(min_scale_factor)]
  if scale_factor_step == 0:
    return None
  if scale_factor_step < 0:
    raise ValueError(
        f'scale_factor_step must be >= 0, got {scale_factor_step}.')
  count = int((max_scale_factor - min_scale_factor) / scale_factor_step + 1)
  return np.linspace(min_scale_factor, max_scale_factor, count).tolist()


def _image_and_label(element, ignore_label):
  """The element's float32 image and its label, all ignored if it has none.

  Raises (when run) InvalidArgumentError naming the file if image and label
  sizes differ.
  """
  image = tf.cast(element['image'], tf.float32)
  label = element['label']
  image_size = tf.shape(image)[:2]
  label = tf.cond(
      tf.size(label) > 0, lambda: label,
      lambda: tf.fill(tf.concat([image_size, [1]], 0),
                      tf.constant(ignore_label, tf.int32)))
  label_size = tf.shape(label)[:2]
  check = tf.debugging.Assert(
      tf.reduce_all(tf.equal(image_size, label_size)),
      ['Image and label sizes differ (file, image size, label size follow):',
       element['filename'], image_size, label_size])
  with tf.control_dependencies([check]):
    return tf.identity(image), tf.identity(label)


def _pad_to_size(image, label, height, width, mean_pixel, ignore_label):
  """Pads bottom/right to at least height x width: mean pixel, ignore label."""
  padding = [[0, tf.maximum(height - tf.shape(image)[0], 0)],
             [0, tf.maximum(width - tf.shape(image)[1], 0)], [0, 0]]
  # Padding the centred image with 0 pads with a per-channel mean too.
  image = tf.pad(image - mean_pixel, padding) + mean_pixel
  label = tf.pad(label, padding, constant_values=ignore_label)
  return image, label


def _random_scale(image, label, seed, factors, min_scale_factor,
                  max_scale_factor):
  """Rescales both by one random factor; new size int(size * factor)."""
  if factors is None:
    factor = tf.random.stateless_uniform(
        [], seed, min_scale_factor, max_scale_factor)
  elif len(factors) == 1:
    factor = tf.constant(factors[0])
  else:
    index = tf.random.stateless_uniform([], seed, 0, len(factors), tf.int32)
    factor = tf.gather(tf.constant(factors, tf.float32), index)
  size = tf.maximum(
      tf.cast(tf.cast(tf.shape(image)[:2], tf.float32) * factor, tf.int32), 1)
  image = resize.resize_bilinear(image[tf.newaxis], size)[0]
  label = resize.resize_nearest(label[tf.newaxis], size)[0]
  return image, label


def _random_crop(image, label, seed, crop_height, crop_width):
  """The same random crop_height x crop_width window of both."""
  seeds = tf.random.experimental.stateless_split(seed, 2)
  top = tf.random.stateless_uniform(
      [], seeds[0], 0, tf.shape(image)[0] - crop_height + 1, tf.int32)
  left = tf.random.stateless_uniform(
      [], seeds[1], 0, tf.shape(image)[1] - crop_width + 1, tf.int32)
  image = image[top:top + crop_height, left:left + crop_width]
  label = label[top:top + crop_height, left:left + crop_width]
  return image, label


def _random_flip(image, label, seed):
  """Flips both left-right with probability 1/2."""
  flip = tf.random.stateless_uniform([], seed) < 0.5
  return tf.cond(flip, lambda: (image[:, ::-1], label[:, ::-1]),
                 lambda: (image, label))


def preprocess_for_training(element, seed, crop_size, factors,
                            min_scale_factor, max_scale_factor, mean_pixel,
                            ignore_label):
  """Scale, pad, crop and flip one decoded element (reference §5).

  Args:
    element: a source's decoded element.
    seed: int [2], the stateless seed of this element's random choices.
    crop_size: (height, width) of the output.
    factors, min_scale_factor, max_scale_factor: from `scale_factors`.
    mean_pixel: float32 [] or [3], the image padding.
    ignore_label: the label padding.

  Returns:
    {'image': float32 [crop_h, crop_w, 3], 'label': int32 [crop_h, crop_w,
    1]}.
  """
  crop_height, crop_width = crop_size
  scale_seed, crop_seed, flip_seed = tf.unstack(
      tf.random.experimental.stateless_split(seed, 3))
  image, label = _image_and_label(element, ignore_label)
  image, label = _random_scale(image, label, scale_seed, factors,
                               min_scale_factor, max_scale_factor)
  image, label = _pad_to_size(image, label, crop_height, crop_width,
                              mean_pixel, ignore_label)
  image, label = _random_crop(image, label, crop_seed, crop_height,
                              crop_width)
  image, label = _random_flip(image, label, flip_seed)
  image.set_shape([crop_height, crop_width, 3])
  label.set_shape([crop_height, crop_width, 1])
  return {'image': image, 'label': label}


def _eval_size(height, width, crop_size, output_stride, keep_larger_images,
               filename):
  """The padded size of an eval image, checking it fits the crop size."""
  if crop_size is None:
    return (resize.aligned_size(height, output_stride),
            resize.aligned_size(width, output_stride))
  crop_height, crop_width = crop_size
  if keep_larger_images:
    return tf.maximum(height, crop_height), tf.maximum(width, crop_width)
  check = tf.debugging.Assert(
      (height <= crop_height) & (width <= crop_width),
      [f'Image larger than the eval crop size {crop_height}x{crop_width} '
       '(file, height, width follow); use a larger crop size, or let larger '
       'images through for sliding-window inference:',
       filename, height, width])
  with tf.control_dependencies([check]):
    return tf.identity(crop_height), tf.identity(crop_width)


def preprocess_for_eval(element, crop_size, output_stride, keep_larger_images,
                        mean_pixel, ignore_label):
  """Pads one decoded element for evaluation; keeps its size.

  Returns the image minus `mean_pixel`, so that batching can pad with 0;
  `eval_dataset` adds the mean back.
  """
  image, label = _image_and_label(element, ignore_label)
  height, width = tf.unstack(tf.shape(image)[:2])
  padded_height, padded_width = _eval_size(
      height, width, crop_size, output_stride, keep_larger_images,
      element['filename'])
  image, label = _pad_to_size(image, label, padded_height, padded_width,
                              mean_pixel, ignore_label)
  if crop_size is not None and not keep_larger_images:
    image.set_shape(list(crop_size) + [3])
    label.set_shape(list(crop_size) + [1])
  return {'image': image - mean_pixel, 'label': label, 'height': height,
          'width': width, 'filename': element['filename']}


def _check_source(source):
  if not (hasattr(source, 'records') and hasattr(source, 'decode')):
    raise ValueError(f'{source!r} is not a data source: it needs records() '
                     'and decode() (e.g. TFRecordSource).')


def _batch_size(batch_size, input_context):
  """The per-replica batch size of a global `batch_size`."""
  if input_context is None:
    return batch_size
  return input_context.get_per_replica_batch_size(batch_size)


@gin.configurable
def train_dataset(source=gin.REQUIRED, batch_size=gin.REQUIRED,
                  crop_size=(513, 513), min_scale_factor=0.5,
                  max_scale_factor=2.0, scale_factor_step=0.25,
                  mean_pixel=mean_pixel_lib.MEAN_PIXEL,
                  ignore_label=dataset_info.IGNORE_LABEL,
                  shuffle_buffer_size=500, deterministic=False, seed=None,
                  input_context=None):
  """Endless shuffled, augmented training batches.

  Args:
    source: where the examples come from (see the module docstring).
    batch_size: the global batch size; each of the input pipelines under
      `input_context` gives batch_size // num_replicas_in_sync.
    crop_size: (height, width) of the training crops.
    min_scale_factor, max_scale_factor, scale_factor_step: the random scale
      factors, see `scale_factors`.
    mean_pixel: image padding, a number or one per channel (see
      `mean_pixel.MEAN_PIXEL`).
    ignore_label: label padding; a configured experiment's follows its
      `dataset_info`.
    shuffle_buffer_size: records shuffled at once (undecoded, so cheap).
    deterministic: the same batches on every run with the same `seed`
      (element order kept, at some cost in speed).
    seed: seed of every random choice; None draws one.
    input_context: a `tf.distribute.InputContext` (from
      `strategy.distribute_datasets_from_function`), or None.

  Returns:
    A `tf.data.Dataset` of {'image': float32 [B, crop_h, crop_w, 3],
    'label': int32 [B, crop_h, crop_w, 1]}, B the per-replica batch size.
  """
  _check_source(source)
  if deterministic and seed is None:
    raise ValueError('A deterministic train_dataset needs a seed.')
  factors = scale_factors(min_scale_factor, max_scale_factor,
                          scale_factor_step)
  crop_size = tuple(int(size) for size in crop_size)
  mean_pixel = tf.constant(mean_pixel, tf.float32)
  if seed is not None and input_context is not None:
    # Each input pipeline draws its own random choices.
    seed += input_context.input_pipeline_id

  records = source.records(input_context, shuffle=True, seed=seed)
  records = records.shuffle(shuffle_buffer_size, seed=seed).repeat()
  seeds = tf.data.Dataset.random(seed=seed).batch(2)

  def preprocess(record, element_seed):
    return preprocess_for_training(
        source.decode(record), element_seed, crop_size, factors,
        min_scale_factor, max_scale_factor, mean_pixel, ignore_label)

  dataset = tf.data.Dataset.zip((records, seeds)).map(
      preprocess, num_parallel_calls=tf.data.AUTOTUNE)
  dataset = dataset.batch(_batch_size(batch_size, input_context),
                          drop_remainder=True)
  options = tf.data.Options()
  options.deterministic = deterministic
  return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


@gin.configurable
def eval_dataset(source=gin.REQUIRED, batch_size=1, crop_size=None,
                 output_stride=16, keep_larger_images=False,
                 mean_pixel=mean_pixel_lib.MEAN_PIXEL,
                 ignore_label=dataset_info.IGNORE_LABEL, input_context=None):
  """One pass over a split, padded for evaluation, in the source's order.

  Args:
    source: where the examples come from (see the module docstring).
    batch_size: the global batch size (the original evaluates one image at
      a time).
    crop_size: (height, width) every image is padded to (513x513 for VOC,
      1025x2049 for Cityscapes), or None to pad each to the smallest
      k * output_stride + 1 that holds it (then a batch pads to its
      largest).
    output_stride: see `crop_size`.
    keep_larger_images: let images larger than `crop_size` through, padded
      only where smaller, for sliding-window inference; if False they are
      an error naming the file.
    mean_pixel: image padding, a number or one per channel.
    ignore_label: label padding; a configured experiment's follows its
      `dataset_info`.
    input_context: a `tf.distribute.InputContext`, or None.

  Returns:
    A `tf.data.Dataset` of {'image': float32 [B, H, W, 3], 'label': int32
    [B, H, W, 1], 'height': int32 [B], 'width': int32 [B], 'filename':
    string [B]}; the last batch may be smaller.
  """
  _check_source(source)
  if crop_size is not None:
    crop_size = tuple(int(size) for size in crop_size)
  mean_pixel = tf.constant(mean_pixel, tf.float32)

  def preprocess(record):
    return preprocess_for_eval(source.decode(record), crop_size,
                               output_stride, keep_larger_images, mean_pixel,
                               ignore_label)

  dataset = source.records(input_context).map(
      preprocess, num_parallel_calls=tf.data.AUTOTUNE)
  # Images of different sizes pad to the batch's largest, in the centred
  # space where the image padding is 0.
  dataset = dataset.padded_batch(
      _batch_size(batch_size, input_context),
      padding_values={'image': 0.0, 'label': ignore_label, 'height': 0,
                      'width': 0, 'filename': ''})
  dataset = dataset.map(
      lambda batch: dict(batch, image=batch['image'] + mean_pixel))
  return dataset.prefetch(tf.data.AUTOTUNE)
