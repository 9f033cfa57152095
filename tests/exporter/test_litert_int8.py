"""int8 LiteRT of a toy-trained model, through the export, eval and predict
binaries: its mIoU beside float32's, calibration on the run's training split.
"""

import json
import os
import shutil
import tempfile

import gin
import keras
import numpy as np
import tensorflow as tf

from official import operative_config
from official.data import toy
from official.exporter import litert
from official.model import builder
from official.ops import resize
from tests import fixtures
from tests.exporter import litert_ops

_CROP = 33
_TRAIN_STEPS = 150
_NUM_TRAIN_IMAGES = 32


def _toy_examples(seed, count):
  """[(uint8 image, int32 labels)] of toy scenes cut to _CROP x _CROP."""
  rng = np.random.default_rng(seed)
  examples = []
  for _ in range(count):
    image, labels, _ = toy.shapes_scene(rng)
    examples.append((image[:_CROP, :_CROP], labels[:_CROP, :_CROP]))
  return examples


def _train(model, examples):
  """A brief Adam run on the examples, then batch norm statistics set to
  theirs (the moving averages would need thousands of steps)."""
  images = tf.constant(np.stack([image for image, _ in examples]), tf.float32)
  labels = tf.constant(np.stack([label for _, label in examples]), tf.int32)
  variables = [variable.value for variable in model.trainable_variables]
  moments = [(tf.Variable(tf.zeros_like(variable)),
              tf.Variable(tf.zeros_like(variable))) for variable in variables]
  beta_1, beta_2 = 0.9, 0.999

  # Keras' Adam rule as TensorFlow's kernel, one op per variable: Keras'
  # update traces a few dozen ops per variable, seconds for the whole model.
  @tf.function(autograph=False)
  def step(indices, step_number):
    with tf.GradientTape() as tape:
      logits = resize.resize_bilinear(
          model.head_logits(tf.gather(images, indices), training=True),
          [_CROP, _CROP])
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          tf.gather(labels, indices), logits))
    gradients = tape.gradient(loss, variables)
    for variable, (m, v), gradient in zip(variables, moments, gradients):
      tf.raw_ops.ResourceApplyAdam(
          var=variable.handle, m=m.handle, v=v.handle,
          beta1_power=beta_1 ** step_number, beta2_power=beta_2 ** step_number,
          lr=1e-2, beta1=beta_1, beta2=beta_2, epsilon=1e-7, grad=gradient)

  rng = np.random.default_rng(0)
  for step_number in range(1, _TRAIN_STEPS + 1):
    step(tf.constant(rng.integers(0, len(examples), 8)),
         tf.constant(step_number, tf.float32))
  for layer in model._flatten_layers():  # pylint: disable=protected-access
    if isinstance(layer, keras.layers.BatchNormalization):
      layer.momentum = 0.0
  model.head_logits(images, training=True)


def _write_trained_run(model_dir, data_dir):
  """model_dir/ckpt-150 of the toy-trained tiny model and its config."""
  with gin.unlock_config():
    gin.parse_config_files_and_bindings(
        [fixtures.QUICKSTART], fixtures.run_bindings(data_dir, _TRAIN_STEPS))
  try:
    keras.utils.set_random_seed(0)
    model = builder.build_model()
    _train(model, _toy_examples(0, _NUM_TRAIN_IMAGES))
    tf.train.CheckpointManager(tf.train.Checkpoint(model=model), model_dir,
                               max_to_keep=None).save(
                                   checkpoint_number=_TRAIN_STEPS)
    with tf.io.gfile.GFile(
        os.path.join(model_dir, operative_config.FILENAME), 'w') as f:
      f.write(gin.config_str())
  finally:
    gin.clear_config()


def _check(result):
  if result.returncode:
    raise AssertionError(f'{result.args} failed:\n{result.stderr}')
  return result


class Int8ExportTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp(prefix='deeplab_litert_int8_test_')
    data_dir = os.path.join(cls.root, 'tfrecords')
    cls.model_dir = os.path.join(cls.root, 'run')
    fixtures.write_split(data_dir, 'val', [
        (f'image_{index}', fixtures.png_bytes(image), labels)
        for index, (image, labels) in enumerate(fixtures.toy_images())])
    # The quick-start config's training split, which int8 calibrates on.
    fixtures.write_split(data_dir, 'train_aug', [
        (f'train_{index}', fixtures.png_bytes(image), labels)
        for index, (image, labels) in enumerate(_toy_examples(0, 16))])
    _write_trained_run(cls.model_dir, data_dir)
    cls.exports = {name: os.path.join(cls.root, name)
                   for name in ('none', 'int8')}
    # The binaries in this process: a fresh one would only add TensorFlow's
    # start-up (the export's fresh-process load is test_litert's).
    cls.export_stderr = [_check(fixtures.run_main(
        'official.export', f'--model_dir={cls.model_dir}',
        f'--export_dir={export_dir}', '--format=litert',
        f'--quantize={quantize}', '--crop_size=65,65',
        *(['--num_calibration_images=16'] if quantize == 'int8' else [])
    )).stderr for quantize, export_dir in cls.exports.items()]
    # The checkpoint's own score, then each export's.
    _check(fixtures.run_main('official.eval', f'--model_dir={cls.model_dir}'))
    for export_dir in cls.exports.values():
      _check(fixtures.run_main('official.eval', f'--export_dir={export_dir}',
                               f'--model_dir={cls.model_dir}'))
    cls.metrics = {'checkpoint': cls._metrics(cls.model_dir)}
    cls.metrics.update({quantize: cls._metrics(export_dir)
                        for quantize, export_dir in cls.exports.items()})

  @classmethod
  def _metrics(cls, folder):
    with open(os.path.join(folder, 'eval',
                           f'metrics-{_TRAIN_STEPS}.json')) as f:
      return json.load(f)

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root, ignore_errors=True)
    super().tearDownClass()

  def test_int8_miou_within_3_points_of_float32(self):
    float32, int8 = self.metrics['none']['miou'], self.metrics['int8']['miou']
    # Measured: float32 0.4057, int8 0.4016 (background and squares
    # learnt in 150 steps; see README, LiteRT).
    self.assertGreater(float32, 0.3)
    self.assertGreater(int8, float32 - 0.03)
    self.assertEqual(self.metrics['int8']['num_images'], 3)

  def test_float32_scores_as_the_checkpoint(self):
    # Pads smaller images with 128 where eval pads with 127.5.
    self.assertAllClose(self.metrics['none']['miou'],
                        self.metrics['checkpoint']['miou'], atol=0.01)

  def test_full_integer_with_calibration_recorded(self):
    with open(os.path.join(self.exports['int8'], litert.MODEL_FILENAME),
              'rb') as f:
      ops = litert_ops.operators(f.read())
    int8 = litert_ops.schema.TensorType.INT8
    convs = [inputs[0].type for name, _, inputs, _ in ops
             if name in ('CONV_2D', 'DEPTHWISE_CONV_2D')]
    self.assertNotEmpty(convs)
    self.assertEqual(set(convs), {int8})
    with open(os.path.join(self.exports['int8'], litert.INFO_FILENAME)) as f:
      info = json.load(f)
    self.assertEqual(info['calibration'],
                     {'split': 'train_aug', 'num_images': 16})
    self.assertEqual(info['step'], _TRAIN_STEPS)
    self.assertIn('int8 calibration', self.export_stderr[1])

  def test_predict_on_the_int8_export(self):
    image_path = os.path.join(self.root, 'scene.png')
    image, _ = _toy_examples(5, 1)[0]
    with open(image_path, 'wb') as f:
      f.write(fixtures.png_bytes(image))
    output_dir = os.path.join(self.root, 'predictions')
    _check(fixtures.run_main(
        'official.predict', f'--export_dir={self.exports["int8"]}',
        f'--input={image_path}', f'--output_dir={output_dir}'))
    labels = tf.io.decode_png(tf.io.read_file(
        os.path.join(output_dir, 'scene_label.png'))).numpy()
    self.assertEqual(labels.shape, (_CROP, _CROP, 1))

  def test_one_line_errors(self):
    big = os.path.join(self.root, 'big.png')
    with open(big, 'wb') as f:
      f.write(fixtures.png_bytes(np.zeros([70, 40, 3], np.uint8)))
    export = (f'--model_dir={self.model_dir}',
              f'--export_dir={self.root}/bad')
    litert_int8 = (*export, '--format=litert', '--quantize=int8',
                   '--crop_size=65,65')
    cases = {
        'quantize_of_saved_model': (
            'official.export', [*export, '--quantize=int8'],
            '--quantize applies to --format=litert'),
        'too_many_calibration_images': (
            'official.export',
            [*litert_int8, '--num_calibration_images=17'],
            'has 16 images, fewer than the 17 asked for'),
        'unknown_calibration_split': (
            'official.export', [*litert_int8, '--calibration_split=nope'],
            "split 'nope'"),
        'no_experiment': (
            'official.eval', [f'--export_dir={self.exports["none"]}'],
            'give --gin_file or --model_dir'),
        'protocol_flag': (
            'official.eval', [f'--export_dir={self.exports["none"]}',
                              f'--model_dir={self.model_dir}',
                              '--eval_scales=0.5,1.0'],
            '--eval_scales does not apply to --export_dir'),
        'larger_image': (
            'official.predict', [f'--export_dir={self.exports["int8"]}',
                                 f'--input={big}',
                                 f'--output_dir={self.root}/p'],
            'larger than the LiteRT export\'s fixed input'),
    }
    for case, (module, flag_args, expected) in cases.items():
      with self.subTest(case):
        fixtures.assert_one_line_error(
            self, fixtures.run_main(module, *flag_args), expected)

if __name__ == '__main__':
  tf.test.main()
