import io

from absl.testing import parameterized
import gin
import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import decoding
from official.data import image_files
from official.data import pipeline
from official.data import tfrecord
from tests import fixtures

_CLASS_STEP = 40  # Red channel of class c: 40 * c + 20.


def _png(array):
  buffer = io.BytesIO()
  Image.fromarray(array).save(buffer, format='PNG')
  return buffer.getvalue()


class ArraySource:
  """Images and labels from arrays, PNG-encoded like the real sources."""

  def __init__(self, images, labels=None):
    self.images = [_png(image) for image in images]
    self.labels = ([image_files.encode_png(label) for label in labels]
                   if labels is not None else [b''] * len(images))

  def records(self, input_context=None, shuffle=False, seed=None):
    records = tf.data.Dataset.from_tensor_slices({
        'image': self.images, 'label': self.labels,
        'filename': [f'image_{i}' for i in range(len(self.images))]})
    if input_context is not None:
      records = records.shard(input_context.num_input_pipelines,
                              input_context.input_pipeline_id)
    if shuffle:
      records = records.shuffle(len(self.images), seed=seed)
    return records

  def decode(self, record):
    return {'image': decoding.decode_image(record['image']),
            'label': decoding.decode_label(record['label']),
            'filename': record['filename']}


def _block_labels(height, width, block=8, seed=0):
  """Labels 0-4 constant on block x block squares."""
  rng = np.random.default_rng(seed)
  blocks = rng.integers(0, 5, (height // block + 1, width // block + 1))
  return np.kron(blocks, np.ones((block, block), np.int64))[
      :height, :width].astype(np.uint8)


def _image_encoding(labels):
  """An image whose red channel is 40 * label + 20."""
  red = labels.astype(np.uint8) * _CLASS_STEP + 20
  return np.stack([red, 255 - red, np.full_like(red, 7)], axis=-1)


def _two_sizes_source():
  """A 17x18 image of class 1 and a 33x5 image of class 2."""
  return ArraySource(
      [np.full((17, 18, 3), 200, np.uint8), np.full((33, 5, 3), 100, np.uint8)],
      [np.ones((17, 18), np.uint8), np.full((33, 5), 2, np.uint8)])


def _batch(dataset):
  return {key: value.numpy() for key, value in next(iter(dataset)).items()}


class TrainDatasetTest(tf.test.TestCase, parameterized.TestCase):

  def test_element_spec(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train_aug')
    dataset = pipeline.train_dataset(source, batch_size=3, crop_size=(49, 65),
                                     seed=0)
    self.assertEqual(dataset.element_spec, {
        'image': tf.TensorSpec([3, 49, 65, 3], tf.float32),
        'label': tf.TensorSpec([3, 49, 65, 1], tf.int32)})
    batch = _batch(dataset)
    self.assertBetween(batch['image'].min(), 0.0, 255.0)
    self.assertBetween(batch['image'].max(), 0.0, 255.0)
    self.assertContainsSubset(np.unique(batch['label']), [0, 1, 2, 3, 255])

  @parameterized.parameters(0.5, 0.75, 1.0, 1.25, 2.0)
  def test_image_and_label_stay_aligned(self, scale):
    labels = _block_labels(40, 56)
    source = ArraySource([_image_encoding(labels)], [labels])
    dataset = pipeline.train_dataset(
        source, batch_size=8, crop_size=(49, 49), min_scale_factor=scale,
        max_scale_factor=scale, seed=1)
    batch = _batch(dataset)
    checked = 0
    for image, label in zip(batch['image'], batch['label'][..., 0]):
      self.assertContainsSubset(np.unique(label),
                                np.unique(labels).tolist() + [255])
      # Padding: exactly the mean pixel where the label is the ignore label.
      self.assertAllEqual(image[label == 255],
                          np.full(((label == 255).sum(), 3), 127.5))
      # Where a pixel's 3x3 neighbourhood has one label, bilinear and
      # nearest-neighbour resizing agree: the colour encodes that label.
      windows = np.lib.stride_tricks.sliding_window_view(label, (3, 3))
      uniform = (windows == windows[..., 1:2, 1:2]).all(axis=(-1, -2))
      inner = label[1:-1, 1:-1]
      mask = uniform & (inner != 255)
      self.assertAllClose(image[1:-1, 1:-1, 0][mask],
                          _CLASS_STEP * inner[mask] + 20.0, atol=1e-3)
      checked += mask.sum()
    self.assertGreater(checked, 0.3 * 8 * 47 * 47 * min(1.0, scale) ** 2)

  @parameterized.parameters(0.75, 1.25, 2.0)
  def test_resizes_with_aligned_corners(self, scale):
    rng = np.random.default_rng(0)
    height, width = 11, 17
    image = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
    labels = rng.integers(0, 5, (height, width)).astype(np.uint8)
    out_height, out_width = int(height * scale), int(width * scale)
    dataset = pipeline.train_dataset(
        ArraySource([image], [labels]), batch_size=4,
        crop_size=(out_height, out_width), min_scale_factor=scale,
        max_scale_factor=scale, seed=0)
    # align_corners: source coordinate = output index * (in - 1) / (out - 1).
    rows = np.arange(out_height) * (height - 1) / (out_height - 1)
    columns = np.arange(out_width) * (width - 1) / (out_width - 1)
    # Nearest rounds halves up, as TF's kernel does.
    expected_label = labels[np.floor(rows + 0.5).astype(int)][
        :, np.floor(columns + 0.5).astype(int)]
    top, left = np.floor(rows).astype(int), np.floor(columns).astype(int)
    bottom = np.minimum(top + 1, height - 1)
    right = np.minimum(left + 1, width - 1)
    row_weight = (rows - top)[:, None, None]
    column_weight = (columns - left)[None, :, None]
    pixels = image.astype(np.float64)
    upper = (pixels[top][:, left] * (1 - column_weight) +
             pixels[top][:, right] * column_weight)
    lower = (pixels[bottom][:, left] * (1 - column_weight) +
             pixels[bottom][:, right] * column_weight)
    expected_image = upper * (1 - row_weight) + lower * row_weight
    batch = _batch(dataset)
    for output, label in zip(batch['image'], batch['label'][..., 0]):
      if not np.array_equal(label, expected_label):  # Flipped.
        output, label = output[:, ::-1], label[:, ::-1]
      self.assertAllEqual(label, expected_label)
      self.assertAllClose(output, expected_image, atol=1e-3)

  def test_scaled_size_truncates(self):
    labels = np.zeros((41, 61), np.uint8)
    source = ArraySource([_image_encoding(labels)], [labels])
    dataset = pipeline.train_dataset(
        source, batch_size=2, crop_size=(64, 64), min_scale_factor=0.75,
        max_scale_factor=0.75, seed=0)
    label = _batch(dataset)['label'][..., 0]
    for sample in label:
      # int(41 * 0.75) = 30 rows and int(61 * 0.75) = 45 columns of image,
      # wherever the flip puts them.
      self.assertEqual((sample[:, 0] != 255).sum() +
                       (sample[:, -1] != 255).sum(), 30)
      self.assertEqual((sample[0] != 255).sum(), 45)

  def test_crop_is_one_window_of_both(self):
    rows, columns = np.mgrid[:60, :70]
    image = np.stack([rows, columns, np.zeros_like(rows)],
                     axis=-1).astype(np.uint8)
    labels = ((rows // 7 + columns // 5) % 4).astype(np.uint8)
    source = ArraySource([image], [labels])
    dataset = pipeline.train_dataset(
        source, batch_size=16, crop_size=(25, 33), min_scale_factor=1.0,
        max_scale_factor=1.0, seed=2)
    batch = _batch(dataset)
    tops, flips = set(), set()
    for crop, label in zip(batch['image'], batch['label'][..., 0]):
      top = int(crop[0, 0, 0])
      flipped = crop[0, 0, 1] > crop[0, -1, 1]
      left = int(crop[0, -1, 1] if flipped else crop[0, 0, 1])
      window = labels[top:top + 25, left:left + 33]
      self.assertAllEqual(label, window[:, ::-1] if flipped else window)
      expected = image[top:top + 25, left:left + 33]
      self.assertAllEqual(crop, expected[:, ::-1] if flipped else expected)
      tops.add(top)
      flips.add(bool(flipped))
    self.assertGreater(len(tops), 3)
    self.assertEqual(flips, {False, True})

  def test_padding_per_channel_mean(self):
    labels = np.ones((20, 30), np.uint8)
    source = ArraySource([_image_encoding(labels)], [labels])
    dataset = pipeline.train_dataset(
        source, batch_size=4, crop_size=(41, 41), min_scale_factor=1.0,
        max_scale_factor=1.0, mean_pixel=(10.0, 20.0, 30.0), ignore_label=9,
        seed=0)
    batch = _batch(dataset)
    for image, label in zip(batch['image'], batch['label'][..., 0]):
      self.assertEqual((label == 1).sum(), 20 * 30)
      self.assertAllEqual(label[20:], np.full((21, 41), 9))
      self.assertAllEqual(image[20:], np.broadcast_to([10.0, 20.0, 30.0],
                                                      (21, 41, 3)))

  def test_scale_factors(self):
    self.assertAllClose(pipeline.scale_factors(0.5, 2.0, 0.25),
                        [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    self.assertIsNone(pipeline.scale_factors(0.5, 2.0, 0))
    self.assertEqual(pipeline.scale_factors(1.0, 1.0, 0.25), [1.0])
    with self.assertRaisesRegex(ValueError, 'min <= max'):
      pipeline.scale_factors(2.0, 0.5, 0.25)

  def test_scales_drawn_from_the_set(self):
    labels = np.zeros((16, 16), np.uint8)
    source = ArraySource([_image_encoding(labels)], [labels])
    dataset = pipeline.train_dataset(
        source, batch_size=64, crop_size=(40, 40), min_scale_factor=0.5,
        max_scale_factor=2.0, scale_factor_step=0.5, seed=3)
    label = _batch(dataset)['label'][..., 0]
    rows = np.maximum((label[:, :, 0] != 255).sum(1),
                      (label[:, :, -1] != 255).sum(1))
    # int(16 * s) for s in {0.5, 1.0, 1.5, 2.0}.
    self.assertEqual(set(rows.tolist()), {8, 16, 24, 32})

  def test_deterministic_mode_repeats_batches(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train_aug')

    def batches(seed):
      dataset = pipeline.train_dataset(source, batch_size=4,
                                       crop_size=(33, 33), deterministic=True,
                                       seed=seed)
      return [batch['image'].numpy() for batch in dataset.take(3)]

    first, second, other = batches(5), batches(5), batches(6)
    self.assertAllEqual(first, second)
    self.assertNotAllClose(first, other)

  def test_deterministic_needs_seed(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train')
    with self.assertRaisesRegex(ValueError, 'seed'):
      pipeline.train_dataset(source, batch_size=2, deterministic=True)

  def test_per_replica_batch_under_input_context(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train')
    context = tf.distribute.InputContext(
        num_input_pipelines=2, input_pipeline_id=1, num_replicas_in_sync=4)
    dataset = pipeline.train_dataset(source, batch_size=8, crop_size=(17, 17),
                                     seed=0, input_context=context)
    self.assertEqual(dataset.element_spec['image'].shape, [2, 17, 17, 3])

  def test_mirrored_strategy(self):
    strategy = fixtures.two_cpu_strategy(self)
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'train')
    distributed = strategy.distribute_datasets_from_function(
        lambda context: pipeline.train_dataset(
            source, batch_size=6, crop_size=(17, 17), seed=0,
            input_context=context))
    batch = next(iter(distributed))
    images = strategy.experimental_local_results(batch['image'])
    self.assertLen(images, 2)
    for image in images:
      self.assertEqual(image.shape, (3, 17, 17, 3))

  def test_gin_configured_sources(self):
    with gin.unlock_config():
      gin.parse_config(f"""
          TFRecordSource.data_dir = '{fixtures.voc_tfrecords()}'
          train/TFRecordSource.split = 'train_aug'
          eval/TFRecordSource.split = 'val'
          train_dataset.source = @train/TFRecordSource()
          train_dataset.batch_size = 4
          train_dataset.crop_size = [33, 33]
          eval_dataset.source = @eval/TFRecordSource()
          eval_dataset.crop_size = [129, 129]
      """)
    try:
      train = pipeline.train_dataset(seed=0)
      evaluation = pipeline.eval_dataset()
    finally:
      gin.clear_config()
    self.assertEqual(train.element_spec['image'].shape, [4, 33, 33, 3])
    _, counts = fixtures.voc_root()
    self.assertEqual(sum(1 for _ in evaluation), counts['val'])

  def test_source_without_methods(self):
    with self.assertRaisesRegex(ValueError, 'not a data source'):
      pipeline.train_dataset('train', batch_size=2)


class EvalDatasetTest(tf.test.TestCase, parameterized.TestCase):

  def test_element_spec_and_padding_to_crop(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'val')
    dataset = pipeline.eval_dataset(source, batch_size=2,
                                    crop_size=(129, 129))
    self.assertEqual(dataset.element_spec, {
        'image': tf.TensorSpec([None, 129, 129, 3], tf.float32),
        'label': tf.TensorSpec([None, 129, 129, 1], tf.int32),
        'height': tf.TensorSpec([None], tf.int32),
        'width': tf.TensorSpec([None], tf.int32),
        'filename': tf.TensorSpec([None], tf.string)})
    _, counts = fixtures.voc_root()
    num_images, filenames = 0, set()
    for batch in dataset:
      for image, label, height, width in zip(
          batch['image'].numpy(), batch['label'].numpy(),
          batch['height'].numpy(), batch['width'].numpy()):
        self.assertAllEqual(image[height:], np.full_like(image[height:],
                                                         127.5))
        self.assertAllEqual(image[:, width:], np.full_like(image[:, width:],
                                                           127.5))
        self.assertAllEqual(label[height:], np.full_like(label[height:], 255))
        self.assertAllEqual(label[:, width:],
                            np.full_like(label[:, width:], 255))
        num_images += 1
      filenames.update(batch['filename'].numpy().tolist())
    self.assertEqual(num_images, counts['val'])
    self.assertLen(filenames, counts['val'])

  def test_pads_to_output_stride_multiple_plus_one(self):
    dataset = pipeline.eval_dataset(_two_sizes_source(), batch_size=1,
                                    output_stride=16)
    shapes = [batch['image'].shape[1:3] for batch in dataset]
    self.assertEqual(shapes, [(17, 33), (33, 17)])

  def test_batch_pads_to_its_largest(self):
    dataset = pipeline.eval_dataset(_two_sizes_source(), batch_size=2,
                                    output_stride=8)
    batch = _batch(dataset)
    self.assertEqual(batch['image'].shape, (2, 33, 25, 3))
    self.assertAllEqual(batch['height'], [17, 33])
    self.assertAllEqual(batch['width'], [18, 5])
    self.assertAllEqual(batch['filename'], [b'image_0', b'image_1'])
    self.assertAllEqual(batch['image'][0, :17, :18], np.full((17, 18, 3), 200))
    self.assertEqual((batch['image'][0] == 127.5).all(-1).sum(),
                     33 * 25 - 17 * 18)
    self.assertEqual((batch['label'][1] == 2).sum(), 33 * 5)
    self.assertEqual((batch['label'][1] == 255).sum(), 33 * 25 - 33 * 5)

  def test_image_larger_than_crop_is_an_error_naming_it(self):
    source = ArraySource([np.zeros((30, 20, 3), np.uint8)],
                         [np.zeros((30, 20), np.uint8)])
    dataset = pipeline.eval_dataset(source, crop_size=(25, 25))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                'larger than the eval crop size.*image_0'):
      next(iter(dataset))

  def test_keep_larger_images(self):
    source = ArraySource([np.zeros((30, 20, 3), np.uint8)],
                         [np.zeros((30, 20), np.uint8)])
    dataset = pipeline.eval_dataset(source, crop_size=(25, 25),
                                    keep_larger_images=True)
    batch = _batch(dataset)
    self.assertEqual(batch['image'].shape, (1, 30, 25, 3))
    self.assertEqual((batch['label'] == 255).sum(), 30 * 5)

  def test_unlabelled_split_is_all_ignored(self):
    source = tfrecord.TFRecordSource(fixtures.cityscapes_tfrecords(), 'test')
    batch = _batch(pipeline.eval_dataset(source, crop_size=(97, 193)))
    self.assertAllEqual(np.unique(batch['label']), [255])

  def test_image_label_size_mismatch_names_the_file(self):
    source = ArraySource([np.zeros((30, 20, 3), np.uint8)],
                         [np.zeros((20, 30), np.uint8)])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                'sizes differ.*image_0'):
      next(iter(pipeline.eval_dataset(source)))

  def test_sharding_splits_the_images(self):
    source = tfrecord.TFRecordSource(fixtures.voc_tfrecords(), 'val')
    filenames = []
    for pipeline_id in range(2):
      context = tf.distribute.InputContext(2, pipeline_id, 2)
      dataset = pipeline.eval_dataset(source, batch_size=4,
                                      crop_size=(129, 129),
                                      input_context=context)
      names = [name for batch in dataset
               for name in batch['filename'].numpy().tolist()]
      self.assertNotEmpty(names)
      filenames.append(set(names))
    _, counts = fixtures.voc_root()
    self.assertEmpty(filenames[0] & filenames[1])
    self.assertLen(filenames[0] | filenames[1], counts['val'])


if __name__ == '__main__':
  tf.test.main()
