import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.exporter import litert
from official.exporter import litert_inference
from official.exporter import saved_model
from tests import fixtures
from tests.exporter import litert_ops

_CLASS_NAMES = ('background', 'left', 'right')
# Not aligned in width: the graph pads 60 to 65 (4 * 16 + 1) inside.
_INPUT_SIZE = (49, 60)


def _images(count, height, width, seed=0):
  return np.random.default_rng(seed).integers(
      0, 256, (count, height, width, 3)).astype(np.uint8)


def _label_agreement(predictor, reference, images):
  """Fraction of pixels labelled alike, and the largest probability gap."""
  agreeing, total, gap = 0, 0, 0.0
  for image in images:
    ours, theirs = predictor(image), reference(image)
    agreeing += np.sum(ours['semantic_predictions'] ==
                       theirs['semantic_predictions'])
    total += ours['semantic_predictions'].size
    gap = max(gap, float(np.max(np.abs(ours['semantic_probabilities'] -
                                       theirs['semantic_probabilities']))))
  return agreeing / total, gap


class LiteRTExportTest(tf.test.TestCase):
  """A tiny trained-like model as a SavedModel and LiteRT float32/float16."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp(prefix='deeplab_litert_test_')
    cls.model = model = fixtures.trained_like(
        fixtures.tiny_model(3))
    saved_model.export_saved_model(model, os.path.join(cls.root, 'saved'),
                                   _CLASS_NAMES, crop_size=_INPUT_SIZE)
    cls.infos = {
        quantize: litert.export_litert(
            model, os.path.join(cls.root, quantize), _CLASS_NAMES,
            _INPUT_SIZE, quantize=quantize, step=7)
        for quantize in ('none', 'float16')}
    cls.saved = litert_inference.load_predictor(os.path.join(cls.root,
                                                             'saved'))
    cls.predictors = {quantize: litert_inference.load_predictor(
        os.path.join(cls.root, quantize)) for quantize in cls.infos}

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root, ignore_errors=True)
    super().tearDownClass()

  def test_float32_equals_the_saved_model(self):
    agreement, gap = _label_agreement(self.predictors['none'], self.saved,
                                      _images(2, *_INPUT_SIZE))
    self.assertGreaterEqual(agreement, 0.999)
    self.assertLess(gap, 1e-4)

  def test_float16_labels_match_the_saved_model(self):
    agreement, _ = _label_agreement(self.predictors['float16'], self.saved,
                                    _images(2, *_INPUT_SIZE))
    self.assertGreaterEqual(agreement, 0.995)
    # Half the weights' bytes; the graph itself stays.
    self.assertLess(self.infos['float16']['file_size_bytes'],
                    0.65 * self.infos['none']['file_size_bytes'])

  def test_smaller_images_are_padded_and_cropped_back(self):
    images = _images(2, 40, 50, seed=1)
    outputs = self.predictors['none'](images[0])
    self.assertEqual(outputs['semantic_predictions'].shape, (40, 50))
    self.assertEqual(outputs['semantic_predictions'].dtype, np.int32)
    self.assertEqual(outputs['semantic_probabilities'].shape, (40, 50, 3))
    # Padded with 128, not the SavedModel's 127.5: a few pixels may differ.
    agreement, _ = _label_agreement(self.predictors['none'], self.saved,
                                    images)
    self.assertGreaterEqual(agreement, 0.99)

  def test_one_fixed_size_signature(self):
    with open(os.path.join(self.root, 'none', litert.MODEL_FILENAME),
              'rb') as f:
      flatbuffer = f.read()
    ops = litert_ops.operators(flatbuffer)
    self.assertEqual(ops[0][2][0].shape.tolist(), [1, *_INPUT_SIZE, 3])
    runner = self.predictors['none'].runner
    self.assertEqual(runner.get_input_details()['image']['dtype'], np.uint8)
    outputs = runner.get_output_details()
    self.assertEqual(sorted(outputs), sorted(litert.OUTPUT_NAMES))
    self.assertEqual(outputs['semantic_predictions']['shape'].tolist(),
                     [1, *_INPUT_SIZE])
    self.assertEqual(outputs['semantic_predictions']['dtype'], np.int32)
    self.assertEqual(outputs['semantic_probabilities']['shape'].tolist(),
                     [1, *_INPUT_SIZE, 3])

  def test_model_info(self):
    with open(os.path.join(self.root, 'float16', litert.INFO_FILENAME)) as f:
      info = json.load(f)
    self.assertEqual(info, self.infos['float16'])
    with open(os.path.join(self.root, 'saved',
                           saved_model.MODEL_INFO_PATH)) as f:
      saved_info = json.load(f)
    self.assertEqual({key: info[key] for key in saved_info}, saved_info)
    self.assertEqual(info['format'], 'litert')
    self.assertEqual(info['quantization'], 'float16')
    self.assertEqual(info['input_size'], list(_INPUT_SIZE))
    self.assertEqual(info['step'], 7)
    self.assertEqual(info['file_size_bytes'], os.path.getsize(
        os.path.join(self.root, 'float16', litert.MODEL_FILENAME)))

  def test_runs_in_a_process_with_only_litert_and_numpy(self):
    image = _images(1, *_INPUT_SIZE, seed=2)
    np.save(os.path.join(self.root, 'image.npy'), image)
    script = textwrap.dedent(f'''
        import sys
        import numpy as np
        from ai_edge_litert import interpreter
        runner = interpreter.Interpreter(
            model_path={os.path.join(self.root, 'none', 'model.tflite')!r}
        ).get_signature_runner('serving_default')
        outputs = runner(image=np.load({os.path.join(self.root, 'image.npy')!r}))
        np.save({os.path.join(self.root, 'labels.npy')!r},
                outputs['semantic_predictions'])
        assert 'tensorflow' not in sys.modules and 'official' not in sys.modules
        ''')
    result = subprocess.run([sys.executable, '-c', script], cwd=self.root,
                            capture_output=True, text=True, timeout=120)
    self.assertEqual(result.returncode, 0, result.stderr)
    labels = np.load(os.path.join(self.root, 'labels.npy'))
    self.assertAllEqual(
        labels[0], self.predictors['none'](image[0])['semantic_predictions'])

  def test_bad_inputs_are_one_line_errors(self):
    cases = {
        'larger than the LiteRT export\'s fixed input 49x60':
            np.zeros([50, 60, 3], np.uint8),
        r'must be \[height, width, 3\].*\[49, 60\]':
            np.zeros([49, 60], np.uint8),
        r'must be \[height, width, 3\].*\[0, 60, 3\]':
            np.zeros([0, 60, 3], np.uint8),
    }
    for message, image in cases.items():
      with self.subTest(message):
        with self.assertRaisesRegex(ValueError, message) as context:
          self.predictors['none'](image)
        self.assertLen(str(context.exception).splitlines(), 1)

  def test_folders_without_an_export(self):
    empty = tempfile.mkdtemp(dir=self.root)
    with self.assertRaisesRegex(ValueError, 'neither a SavedModel nor'):
      litert_inference.load_predictor(empty)
    shutil.copy(os.path.join(self.root, 'none', litert.MODEL_FILENAME), empty)
    with self.assertRaisesRegex(ValueError, 'without its model_info.json'):
      litert_inference.load_predictor(empty)

  def test_calibration_images_only_with_int8(self):
    with self.assertRaisesRegex(ValueError, 'needs calibration images'):
      litert.convert(self.model, (33, 33), quantize='int8')
    with self.assertRaisesRegex(ValueError, 'quantize must be one of'):
      litert.convert(self.model, (33, 33), quantize='int4')


class BuiltinOpsTest(tf.test.TestCase, parameterized.TestCase):
  """Atrous backbones and ASPP at output stride 8 reach LiteRT as dilated
  convolutions, in builtin ops only."""

  @parameterized.named_parameters(
      ('mobilenet_v2', dict(backbone='mobilenet_v2', atrous_rates=(6,))),
      # Full width (depth_multiplier is MobileNet's): the shallowest of
      # each family. Xception in int8, whose pre-activation RELUs the export
      # rewrites (litert_relu).
      ('xception_41_int8', dict(backbone='xception_41', depth_multiplier=None,
                                atrous_rates=(6,), decoder_output_stride=None),
       'int8'),
      ('resnet_50_beta', dict(backbone='resnet_v1_50_beta',
                              depth_multiplier=None, atrous_rates=(6,),
                              aspp_separable=False,
                              decoder_output_stride=None)),
  )
  def test_builtin_dilated_ops_and_int32_argmax(self, config,
                                                quantize='none'):
    model = fixtures.trained_like(fixtures.tiny_model(
        3, output_stride=8, **config))
    calibration_images = None
    if quantize == 'int8':
      calibration_images = list(_images(2, 33, 33))
    flatbuffer = litert.convert(model, (33, 33), quantize=quantize,
                                calibration_images=calibration_images)
    ops = litert_ops.operators(flatbuffer)
    names = {name for name, _, _, _ in ops}
    if quantize == 'int8':
      # XNNPACK takes RELU in float only.
      self.assertNotIn('RELU', names)
    self.assertEmpty({name for name in names
                      if name.startswith(('CUSTOM', 'UNKNOWN'))})
    self.assertNoCommonElements(names, {'SPACE_TO_BATCH_ND',
                                        'BATCH_TO_SPACE_ND'})
    # The folded ReLU6s, minimum(relu(x), 6), fuse into their convs, and
    # Xception's folded pre-activations, maximum(x, 0), become RELUs.
    self.assertNoCommonElements(names, {'MINIMUM', 'MAXIMUM'})
    argmaxes = [outputs for name, _, _, outputs in ops if name == 'ARG_MAX']
    self.assertLen(argmaxes, 1)
    self.assertEqual(argmaxes[0][0].type,
                     litert_ops.schema.TensorType.INT32)
    rates = {rate for _, rate, _ in litert_ops.dilation_rates(flatbuffer)}
    # The backbone's last block at rate 2 and the ASPP's 6.
    self.assertContainsSubset({2, 6}, rates)


if __name__ == '__main__':
  tf.test.main()
