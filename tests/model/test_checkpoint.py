import os
import shutil
import tempfile

from absl.testing import parameterized
import gin
import keras
import numpy as np
import tensorflow as tf

from official.model import checkpoint
from tests import fixtures


def _save_training_checkpoint(directory, model):
  """As the trainer saves: the optimizer files the trainable variables."""
  optimizer = keras.optimizers.SGD(0.01, momentum=0.9)
  optimizer.build(model.trainable_variables)
  checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer,
                                   step=tf.Variable(7, dtype=tf.int64))
  return tf.train.CheckpointManager(checkpoint, directory, 1).save()


def _equal_paths(model, other):
  return {ours.path for ours, theirs in zip(model.weights, other.weights)
          if np.array_equal(ours.numpy(), theirs.numpy())}


class InitializeFromCheckpointTest(tf.test.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    keras.utils.set_random_seed(1)
    cls.source = fixtures.tiny_model()
    temporary = tempfile.mkdtemp()
    cls.addClassCleanup(shutil.rmtree, temporary)
    cls.directory = os.path.join(temporary, 'source')
    cls.path = _save_training_checkpoint(cls.directory, cls.source)

  def _fresh_model(self, num_classes=4):
    keras.utils.set_random_seed(2)
    return fixtures.tiny_model(num_classes)

  def _logits_paths(self, model):
    return {v.path for v in model.logits.weights}

  def test_all(self):
    model = self._fresh_model()
    report = checkpoint.initialize_from_checkpoint(model, self.path, 'all')
    all_paths = {v.path for v in model.weights}
    self.assertEqual(_equal_paths(model, self.source), all_paths)
    self.assertEqual(set(report.restored), all_paths)
    self.assertEmpty(report.fresh)

  def test_all_but_logits(self):
    model = self._fresh_model()
    report = checkpoint.initialize_from_checkpoint(
        model, self.path, 'all_but_logits')
    logits = self._logits_paths(model)
    self.assertEqual(set(report.fresh), logits)
    # The logits biases start at zero either way.
    self.assertEqual(_equal_paths(model, self.source),
                     {v.path for v in model.weights} -
                     {'deeplab/logits.semantic/kernel'})
    self.assertNotAllEqual(model.logits.kernel, self.source.logits.kernel)

  def test_backbone(self):
    model = self._fresh_model()
    report = checkpoint.initialize_from_checkpoint(model, self.path,
                                                       'backbone')
    backbone = {v.path for v in model.backbone.weights}
    self.assertEqual(set(report.restored), backbone)
    self.assertEqual(set(report.fresh),
                     {v.path for v in model.weights} - backbone)
    self.assertNotAllEqual(model.aspp.weights[0], self.source.aspp.weights[0])
    self.assertIn('restored', str(report))

  def test_folder_means_its_newest_checkpoint(self):
    model = self._fresh_model()
    report = checkpoint.initialize_from_checkpoint(model, self.directory)
    self.assertEmpty(report.fresh)

  def test_class_count_mismatch(self):
    model = self._fresh_model(num_classes=3)
    with self.assertRaisesRegex(
        ValueError, "logits have 4 classes, the model 3: initialize with "
        "mode 'all_but_logits'"):
      checkpoint.initialize_from_checkpoint(model, self.path, 'all')
    report = checkpoint.initialize_from_checkpoint(
        model, self.path, 'all_but_logits')
    self.assertEqual(set(report.fresh), self._logits_paths(model))

  def test_missing_variables_stay_fresh(self):
    # A backbone-only checkpoint, as an ImageNet one.
    path = tf.train.Checkpoint(
        model=tf.train.Checkpoint(backbone=self.source.backbone)).write(
            os.path.join(self.get_temp_dir(), 'backbone_only'))
    model = self._fresh_model()
    report = checkpoint.initialize_from_checkpoint(model, path, 'all')
    self.assertEqual(set(report.restored),
                     {v.path for v in model.backbone.weights})

  def test_errors(self):
    model = self._fresh_model()
    with self.assertRaisesRegex(ValueError, 'Unknown initialization mode'):
      checkpoint.initialize_from_checkpoint(model, self.path, 'logits')
    with self.assertRaises(FileNotFoundError):
      checkpoint.initialize_from_checkpoint(
          model, os.path.join(self.get_temp_dir(), 'nothing'))
    with self.assertRaises(FileNotFoundError):
      checkpoint.initialize_from_checkpoint(model, self.get_temp_dir())
    no_model = tf.train.Checkpoint(step=tf.Variable(1)).write(
        os.path.join(self.get_temp_dir(), 'no_model'))
    with self.assertRaisesRegex(ValueError, 'holds no `model`'):
      checkpoint.initialize_from_checkpoint(model, no_model)


class RestoreModelTest(tf.test.TestCase, parameterized.TestCase):
  """`restore_model` builds the gin-configured model: tiny, 4 classes."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    keras.utils.set_random_seed(3)
    cls.source = fixtures.tiny_model()
    temporary = tempfile.mkdtemp()
    cls.addClassCleanup(shutil.rmtree, temporary)
    cls.path = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=cls.source), temporary, 1).save(
            checkpoint_number=40)

  def _configure(self, *bindings):
    gin.parse_config(fixtures.TINY_MODEL_BINDINGS +
                     ['DeepLab.num_classes = 4'] + list(bindings))
    self.addCleanup(gin.clear_config)

  def test_every_weight_at_another_output_stride(self):
    self._configure()
    model, path, step = checkpoint.restore_model(
        os.path.dirname(self.path), output_stride=8)
    self.assertEqual((path, step), (self.path, 40))
    self.assertEqual((model.output_stride, model.atrous_rates), (8, (12,)))
    self.assertEqual(_equal_paths(model, self.source),
                     {v.path for v in model.weights})

  @parameterized.named_parameters(
      ('class_count', 'DeepLab.num_classes = 3',
       'logits have 4 classes, the configured model 3'),
      ('width', 'DeepLab.depth_multiplier = 0.5',
       r'has shape \(3, 3, 3, 16\), the checkpoint\'s \(3, 3, 3, 8\): a '
       'different model configuration'),
  )
  def test_checkpoint_of_another_configuration(self, binding, message):
    self._configure(binding)
    with self.assertRaisesRegex(ValueError,
                                f'^{self.path}: .*{message}'):
      checkpoint.restore_model(self.path)

  def test_backbone_only_checkpoint(self):
    path = tf.train.Checkpoint(
        model=tf.train.Checkpoint(backbone=self.source.backbone)).write(
            os.path.join(self.get_temp_dir(), 'imagenet'))
    self._configure()
    # What an ImageNet backbone given to eval or export looks like.
    with self.assertRaisesRegex(
        ValueError,
        f'^{path} lacks 52 of the model\'s 307 weights \\(deeplab/aspp/'):
      checkpoint.restore_model(path)

  def test_missing_checkpoint(self):
    missing = os.path.join(self.get_temp_dir(), 'ckpt-5')
    with self.assertRaisesRegex(FileNotFoundError, f'No checkpoint {missing}'):
      checkpoint.restore_model(missing)


if __name__ == '__main__':
  tf.test.main()
