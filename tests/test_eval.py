"""The eval binary in subprocesses, against the evaluator run in-process."""

import json
import os
import shutil
import tempfile
import time

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official.data import pipeline
from official.data import tfrecord
from official.data import toy
from official.evaluator import evaluate
from tests import tiny_run

_CLASS_NAMES = list(toy.INFO.class_names)


def _metrics(model_dir, step):
  with open(os.path.join(model_dir, 'eval', f'metrics-{step}.json')) as f:
    return json.load(f)


class EvalBinaryTest(tf.test.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp()
    cls.addClassCleanup(shutil.rmtree, cls.root)
    cls.data_dir = os.path.join(cls.root, 'tfrecords')
    tiny_run.write_toy_split(cls.data_dir)
    cls.model_dir = os.path.join(cls.root, 'run')
    tiny_run.write_run(cls.model_dir, cls.data_dir, steps=[5], train_steps=5)

  def _copy_of_run(self):
    model_dir = os.path.join(self.get_temp_dir(), 'run')
    shutil.copytree(self.model_dir, model_dir)
    return model_dir

  @parameterized.named_parameters(
      ('output_stride_16', None, (1.0,), False),
      ('output_stride_8_multi_scale_flipped', 8, (0.75, 1.0, 1.25), True),
  )
  def test_metrics_equal_evaluate_in_process(self, output_stride,
                                             eval_scales, flip):
    model_dir = self._copy_of_run()
    flags = [f'--model_dir={model_dir}',
             f'--eval_scales={",".join(map(str, eval_scales))}']
    if output_stride:
      flags.append(f'--eval_output_stride={output_stride}')
    if flip:
      flags.append('--add_flipped_images')
    result = tiny_run.run_binary('official.eval', *flags)
    self.assertEqual(result.returncode, 0, result.stderr)

    model = tiny_run.restored_model(model_dir, 5, output_stride)
    self.assertEqual(model.output_stride, output_stride or 16)
    dataset = pipeline.eval_dataset(
        tfrecord.TFRecordSource(self.data_dir, 'val'),
        crop_size=(tiny_run.EVAL_SIZE, tiny_run.EVAL_SIZE))
    expected = evaluate.evaluate(model, dataset, _CLASS_NAMES, eval_scales,
                                 flip)
    metrics = _metrics(model_dir, 5)
    self.assertEqual(sorted(metrics), ['miou', 'num_images', 'per_class_iou',
                                       'pixel_accuracy', 'step'])
    self.assertEqual(metrics['step'], 5)
    self.assertEqual(metrics['num_images'], 3)
    self.assertEqual(list(metrics['per_class_iou']), _CLASS_NAMES)
    self.assertAllClose(
        [metrics['miou'], metrics['pixel_accuracy']] +
        [np.nan if iou is None else iou
         for iou in metrics['per_class_iou'].values()],
        [expected['miou'], expected['pixel_accuracy']] +
        list(expected['per_class_iou'].values()), atol=1e-6)
    self.assertGreater(metrics['pixel_accuracy'], 0.0)
    self.assertIn(f'mIoU {metrics["miou"]:.4f}', result.stdout)
    self.assertNotEmpty(tf.io.gfile.glob(
        os.path.join(model_dir, 'eval', 'events.out.tfevents.*')))

  def test_continuous_evaluates_each_checkpoint_once_up_to_the_last(self):
    model_dir = os.path.join(self.get_temp_dir(), 'run')
    tiny_run.write_run(model_dir, self.data_dir, steps=[1], train_steps=2)
    process = tiny_run.run_binary(
        'official.eval', f'--model_dir={model_dir}', '--continuous',
        '--eval_timeout=120', wait=False)
    first = os.path.join(model_dir, 'eval', 'metrics-1.json')
    deadline = time.time() + 120
    while not os.path.exists(first) and process.poll() is None:
      self.assertLess(time.time(), deadline)
      time.sleep(0.2)
    # Training goes on: the final checkpoint comes after the first result.
    tiny_run.write_run(model_dir, self.data_dir, steps=[2], train_steps=2,
                       seed=1)
    stdout, stderr = process.communicate(timeout=120)
    self.assertEqual(process.returncode, 0, stderr)
    self.assertEqual(
        sorted(tf.io.gfile.glob(os.path.join(model_dir, 'eval', 'metrics-*'))),
        [os.path.join(model_dir, 'eval', f'metrics-{step}.json')
         for step in (1, 2)])
    self.assertEqual([line.split(':')[0] for line in stdout.splitlines()],
                     [os.path.join(model_dir, 'ckpt-1'),
                      os.path.join(model_dir, 'ckpt-2')])
    self.assertEqual(_metrics(model_dir, 2)['step'], 2)

  def test_bad_inputs_are_one_line_errors(self):
    tiny_run.write_split(self.data_dir, 'broken', [
        ('fine', tiny_run.png_bytes(np.zeros((33, 33, 3), np.uint8)),
         np.zeros((33, 33), np.uint8)),
        ('not_an_image', b'not an image', np.zeros((33, 33), np.uint8))])
    tiny_run.write_split(self.data_dir, 'empty', [])
    missing = os.path.join(self.get_temp_dir(), 'missing')
    cases = {
        'missing model_dir': (
            [f'--model_dir={missing}'], f'--model_dir {missing}: no such'),
        'class count': (
            [f'--model_dir={self.model_dir}', '--gin_bindings=NUM_CLASSES = 3'],
            'logits have 4 classes, the model 3'),
        'missing split': (
            [f'--model_dir={self.model_dir}',
             "--gin_bindings=eval/TFRecordSource.split = 'test'"],
            f'No TFRecord files {self.data_dir}/test-*'),
        'empty split': (
            [f'--model_dir={self.model_dir}',
             "--gin_bindings=eval/TFRecordSource.split = 'empty'"],
            "split='empty') has no images"),
        'unreadable image': (
            [f'--model_dir={self.model_dir}',
             "--gin_bindings=eval/TFRecordSource.split = 'broken'"],
            "split='broken'): image not_an_image does not decode"),
    }
    # All at once: each spends most of its time starting TensorFlow.
    processes = {case: tiny_run.run_binary('official.eval', *flags,
                                           wait=False)
                 for case, (flags, _) in cases.items()}
    for case, process in processes.items():
      _, stderr = process.communicate(timeout=300)
      with self.subTest(case):
        self.assertEqual(process.returncode, 1, stderr)
        self.assertNotIn('Traceback', stderr)
        lines = tiny_run.error_lines(stderr)
        self.assertLen(lines, 1, stderr)
        self.assertIn(cases[case][1], lines[0])


if __name__ == '__main__':
  tf.test.main()
