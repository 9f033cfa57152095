import io
import os

from absl.testing import parameterized
import gin
import keras
import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import colormap
from official.model import builder
from official.trainer import trainer
from tests import fixtures

_SIZE = 33
_NUM_CLASSES = 4


def _examples(num_examples=8, seed=0, nan_from=None):
  """Images with a bright square of class 1-3 on class 0, an edge ignored."""
  rng = np.random.default_rng(seed)
  images = rng.uniform(0, 60, (num_examples, _SIZE, _SIZE, 3))
  labels = np.zeros((num_examples, _SIZE, _SIZE, 1), np.int32)
  for index in range(num_examples):
    top, left = rng.integers(0, _SIZE // 2, 2)
    label = index % (_NUM_CLASSES - 1) + 1
    images[index, top:top + 12, left:left + 12] += 60 * label
    labels[index, top:top + 12, left:left + 12] = label
    labels[index, top, left:left + 12] = 255
  if nan_from is not None:
    images[nan_from:] = np.nan
  return images.astype(np.float32), labels


def _dataset_fn(images, labels, global_batch_size):
  def dataset_fn(input_context):
    dataset = tf.data.Dataset.from_tensor_slices(
        {'image': images, 'label': labels})
    return dataset.repeat().batch(
        input_context.get_per_replica_batch_size(global_batch_size),
        drop_remainder=True)
  return dataset_fn


def _events(directory):
  """{tag: [(step, plugin name, tensor proto)]} of the event files."""
  events = {}
  for path in tf.io.gfile.glob(os.path.join(directory, 'events*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        events.setdefault(value.tag, []).append(
            (event.step, value.metadata.plugin_data.plugin_name,
             value.tensor))
  return events


class TrainerTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    gin.clear_config()
    gin.parse_config(fixtures.TINY_MODEL_BINDINGS + [
        f'DeepLab.num_classes = {_NUM_CLASSES}',
        "dataset_info.name = 'toy'",
    ])
    self.addCleanup(gin.clear_config)

  def _train(self, name, train_steps, dataset_fn=None, strategy=None,
             **kwargs):
    images, labels = _examples()
    settings = dict(seed=1, summary_every_n_steps=100,
                    image_summary_every_n_steps=100,
                    checkpoint_every_n_steps=100)
    settings.update(kwargs)
    return trainer.train(
        os.path.join(self.get_temp_dir(), name),
        strategy or tf.distribute.OneDeviceStrategy('/cpu:0'),
        train_steps=train_steps,
        dataset_fn=dataset_fn or _dataset_fn(images, labels, 4), **settings)

  def test_two_replicas_train_as_one_with_the_same_global_batch(self):
    strategy = fixtures.two_cpu_strategy(self)
    # Dropout masks would differ between the two; everything else should not.
    gin.bind_parameter('DeepLab.dropout_rate', 0.0)
    # Training batch norm over a few pixels amplifies round-off (and the
    # synchronised statistics' E[x^2] - E[x]^2) from step to step: a small
    # rate and two steps (the second with momentum) keep it below tolerance.
    gin.bind_parameter('learning_rate_schedule.base_learning_rate', 0.001)
    one = self._train('one', 2)
    two = self._train('two', 2, strategy=strategy)
    self.assertEqual(list(two.losses), [1, 2])
    self.assertAllClose(list(one.losses.values()), list(two.losses.values()),
                        rtol=1e-5)
    self.assertFalse(one.model.sync_batch_norm)
    self.assertTrue(two.model.sync_batch_norm)
    for ours, theirs in zip(one.model.weights, two.model.weights):
      self.assertAllClose(ours, theirs, atol=5e-5, msg=ours.path)

  def test_nan_loss_stops_without_saving(self):
    images, labels = _examples(nan_from=4)
    model_dir = os.path.join(self.get_temp_dir(), 'nan')
    # oneDNN's fused conv + ReLU6 kernels map NaN inputs to 0 (TensorFlow's
    # own keep NaN): the loss can stay finite while the gradients turn the
    # weights NaN, which the check before saving catches at the same step.
    with self.assertRaisesRegex(
        trainer.NonFiniteLossError,
        r'(The loss is nan|A weight became NaN or infinite) at step 3; '
        r'stopped without saving \(newest checkpoint: .*ckpt-2\)'):
      self._train('nan', 6, _dataset_fn(images, labels, 2),
                  checkpoint_every_n_steps=1)
    self.assertEndsWith(tf.train.latest_checkpoint(model_dir), 'ckpt-2')

  def test_tensorboard_events_and_operative_config(self):
    result = self._train('events', 4, summary_every_n_steps=2,
                         image_summary_every_n_steps=2)
    model_dir = os.path.join(self.get_temp_dir(), 'events')
    events = _events(os.path.join(model_dir, 'train'))
    for tag in ('loss', 'total_loss', 'weight_decay', 'learning_rate',
                'pixel_accuracy', 'miou', 'images_per_second'):
      self.assertIn(tag, events)
      self.assertEqual({plugin for _, plugin, _ in events[tag]}, {'scalars'})
    self.assertEqual([step for step, _, _ in events['loss']], [2, 4])
    self.assertAllClose(
        tf.make_ndarray(events['loss'][-1][2]),
        np.mean([result.losses[3], result.losses[4]]))
    self.assertAllClose(tf.make_ndarray(events['learning_rate'][0][2]),
                        0.007 * 0.5 ** 0.9)

    palette = {tuple(color) for color in colormap.pascal_colormap()}
    for tag in ('input', 'ground_truth', 'prediction'):
      self.assertEqual([step for step, _, _ in events[tag]], [2, 4])
      step, plugin, tensor = events[tag][-1]
      self.assertEqual(plugin, 'images')
      width, height, *pngs = tf.make_ndarray(tensor)
      self.assertEqual((int(width), int(height)), (_SIZE, _SIZE))
      self.assertLen(pngs, 3)
      image = np.asarray(Image.open(io.BytesIO(pngs[0])))
      self.assertEqual(image.shape, (_SIZE, _SIZE, 3))
      if tag != 'input':
        self.assertContainsSubset(
            {tuple(color) for color in image.reshape(-1, 3)}, palette)
    with open(os.path.join(model_dir, 'operative_config.gin')) as f:
      config = f.read()
    self.assertIn('DeepLab.num_classes = 4', config)
    self.assertIn("dataset_info.name = 'toy'", config)

  def test_init_checkpoint_when_model_dir_is_empty(self):
    keras.utils.set_random_seed(1)
    source = builder.build_model()
    source_dir = os.path.join(self.get_temp_dir(), 'source')
    tf.train.CheckpointManager(tf.train.Checkpoint(model=source), source_dir,
                               max_to_keep=1).save()
    # A step that leaves the trainable weights as initialised.
    gin.bind_parameter('learning_rate_schedule.base_learning_rate', 0.0)
    gin.bind_parameter('weight_decay_loss.weight_decay', 0.0)
    result = self._train('initialised', 1, init_checkpoint=source_dir,
                         init_mode='backbone', seed=2)
    for ours, theirs in zip(result.model.backbone.trainable_variables,
                            source.backbone.trainable_variables):
      self.assertAllEqual(ours, theirs)
    self.assertNotAllEqual(result.model.logits.kernel, source.logits.kernel)

  @parameterized.parameters('bfloat16', 'float16')
  def test_mixed_precision(self, mixed_precision):
    result = self._train(mixed_precision, 2, mixed_precision=mixed_precision)
    self.assertTrue(all(np.isfinite(list(result.losses.values()))))
    self.assertEqual(result.model.backbone.layers[1].compute_dtype,
                     mixed_precision)
    self.assertEqual(result.model.logits.compute_dtype, 'float32')
    self.assertEqual(keras.mixed_precision.global_policy().name, 'float32')

  def test_class_count_mismatch(self):
    gin.bind_parameter('dataset_info.name', 'pascal_voc_seg')
    with self.assertRaisesRegex(ValueError,
                                "4 classes, the dataset 'pascal_voc_seg' 21"):
      self._train('mismatch', 1)


if __name__ == '__main__':
  tf.test.main()
