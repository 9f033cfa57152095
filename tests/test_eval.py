"""The eval binary, against the evaluator run in-process."""

import json
import os
import threading
import time

import numpy as np
import tensorflow as tf

from official.data import pipeline
from official.data import tfrecord
from official.data import toy
from official.evaluator import evaluate
from tests import fixtures

_CLASS_NAMES = list(toy.INFO.class_names)


def _metrics(model_dir, step, eval_dir='eval'):
  with open(os.path.join(model_dir, eval_dir, f'metrics-{step}.json')) as f:
    return json.load(f)


class EvalBinaryTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.data_dir, self.run_dir = fixtures.shared_run()

  def test_output_stride_8_multi_scale_flipped_equals_evaluate(self):
    model_dir = os.path.join(self.get_temp_dir(), 'run')
    fixtures.copy_run(self.run_dir, model_dir, step=2)
    eval_scales = (0.75, 1.0, 1.25)
    result = fixtures.run_main(
        'official.eval', f'--model_dir={model_dir}', '--eval_output_stride=8',
        f'--eval_scales={",".join(map(str, eval_scales))}',
        '--add_flipped_images', f'--eval_dir={model_dir}/eval_ms_flip')
    self.assertEqual(result.returncode, 0, result.stderr)
    # The same evaluation through the library.
    model = fixtures.restored_model(model_dir, 2, output_stride=8)
    self.assertEqual(model.atrous_rates, (12,))
    dataset = pipeline.eval_dataset(
        tfrecord.TFRecordSource(self.data_dir, 'val'),
        crop_size=(fixtures.EVAL_SIZE, fixtures.EVAL_SIZE))
    expected = evaluate.evaluate(model, dataset, _CLASS_NAMES, eval_scales,
                                 add_flipped_images=True)

    metrics = _metrics(model_dir, 2, 'eval_ms_flip')
    self.assertEqual(sorted(metrics), ['miou', 'num_images', 'per_class_iou',
                                       'pixel_accuracy', 'protocol', 'step'])
    self.assertEqual((metrics['step'], metrics['num_images']), (2, 3))
    self.assertEqual(list(metrics['per_class_iou']), _CLASS_NAMES)
    self.assertGreater(metrics['pixel_accuracy'], 0.0)
    self.assertAllClose(
        [metrics['miou'], metrics['pixel_accuracy']] +
        [np.nan if iou is None else iou
         for iou in metrics['per_class_iou'].values()],
        [expected['miou'], expected['pixel_accuracy']] +
        list(expected['per_class_iou'].values()), atol=1e-6)
    self.assertEqual(result.stdout.splitlines(), [
        f'{model_dir}/ckpt-2: mIoU {metrics["miou"]:.4f}, pixel accuracy '
        f'{metrics["pixel_accuracy"]:.4f} on 3 images; wrote '
        f'{model_dir}/eval_ms_flip/metrics-2.json'])
    self.assertNotEmpty(tf.io.gfile.glob(
        os.path.join(model_dir, 'eval_ms_flip', 'events.out.tfevents.*')))

  def test_continuous_evaluates_each_checkpoint_once_up_to_the_last(self):
    model_dir = os.path.join(self.get_temp_dir(), 'run')
    fixtures.copy_run(self.run_dir, model_dir, step=1)
    first_metrics = os.path.join(model_dir, 'eval', 'metrics-1.json')
    stopped = threading.Event()

    def train_on():
      # Training goes on: the final checkpoint comes after the first result.
      deadline = time.time() + 120
      while not (os.path.exists(first_metrics) or stopped.is_set() or
                 time.time() > deadline):
        time.sleep(0.2)
      if os.path.exists(first_metrics):
        fixtures.copy_run(self.run_dir, model_dir, step=2)

    trainer = threading.Thread(target=train_on)
    trainer.start()
    try:
      result = fixtures.run_main('official.eval', f'--model_dir={model_dir}',
                                 '--continuous', '--eval_timeout=120')
    finally:
      stopped.set()
      trainer.join()
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertEqual(
        sorted(tf.io.gfile.glob(os.path.join(model_dir, 'eval', 'metrics-*'))),
        [os.path.join(model_dir, 'eval', f'metrics-{step}.json')
         for step in (1, 2)])
    evaluated = [line.split(':')[0] for line in result.stdout.splitlines()]
    self.assertEqual(evaluated, [f'{model_dir}/ckpt-1', f'{model_dir}/ckpt-2'])
    first, last = _metrics(model_dir, 1), _metrics(model_dir, 2)
    self.assertEqual((first['step'], last['step']), (1, 2))
    self.assertNotEqual(first['miou'], last['miou'])

  def test_bad_inputs_are_one_line_errors(self):
    data_dir = os.path.join(self.get_temp_dir(), 'tfrecords')
    fixtures.write_split(data_dir, 'broken', [
        ('fine', fixtures.png_bytes(np.zeros((33, 33, 3), np.uint8)),
         np.zeros((33, 33), np.uint8)),
        ('not_an_image', b'not an image', np.zeros((33, 33), np.uint8))])
    fixtures.write_split(data_dir, 'empty', [])
    missing = os.path.join(self.get_temp_dir(), 'missing')

    def flags(split):
      return [f'--model_dir={self.run_dir}',
              f"--gin_bindings=DATA_DIR = '{data_dir}'",
              f"--gin_bindings=eval/TFRecordSource.split = '{split}'"]

    cases = {
        'missing model_dir': ([f'--model_dir={missing}'],
                              f'--model_dir {missing}: no such folder.'),
        'empty split': (flags('empty'), "split='empty') has no images."),
        'unreadable image': (flags('broken'),
                             "split='broken'): image not_an_image does not "
                             'decode.'),
    }
    for case, (case_flags, expected) in cases.items():
      with self.subTest(case):
        fixtures.assert_one_line_error(
            self, fixtures.run_main('official.eval', *case_flags), expected)


if __name__ == '__main__':
  tf.test.main()
