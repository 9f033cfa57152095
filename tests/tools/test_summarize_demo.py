import json
import os

import tensorflow as tf

from tools import summarize_demo


def _write_json(path, value):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w') as f:
    json.dump(value, f)


class SummarizeDemoTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    root = self.get_temp_dir()
    self.eval_dir = os.path.join(root, 'run', 'eval')
    for step, miou in ((1000, 0.5), (4000, 0.9582)):
      _write_json(os.path.join(self.eval_dir, f'metrics-{step}.json'),
                  {'step': step, 'miou': miou, 'num_images': 16})
    self.export_dir = os.path.join(root, 'export')
    _write_json(os.path.join(self.export_dir, 'assets.extra',
                             'model_info.json'),
                {'paper_madds_b': 0.1234, 'executed_madds_b': 0.1201,
                 'params': 123456, 'input_size': [513, 513]})
    self.predictions_dir = os.path.join(root, 'predictions')
    os.makedirs(self.predictions_dir)
    for name in ('a_label.png', 'a_overlay.png'):
      open(os.path.join(self.predictions_dir, name), 'wb').close()

  def test_newest_step_and_every_fact(self):
    lines = summarize_demo.summary_lines('run', [self.eval_dir],
                                         self.export_dir, self.predictions_dir)
    self.assertEqual(lines[0],
                     f'mIoU 0.9582 at step 4000 (16 images, {self.eval_dir})')
    self.assertEqual(lines[1], 'Multiply-adds per 513x513 image: 0.1234B '
                     '(paper convention), 0.1201B executed; 123,456 parameters')
    self.assertIn('(2 PNGs)', lines[-1])

  def test_missing_metrics_name_the_folder(self):
    empty = os.path.join(self.get_temp_dir(), 'empty')
    os.makedirs(empty)
    with self.assertRaisesRegex(FileNotFoundError, empty):
      summarize_demo.summary_lines('run', [empty], self.export_dir,
                                   self.predictions_dir)


if __name__ == '__main__':
  tf.test.main()
