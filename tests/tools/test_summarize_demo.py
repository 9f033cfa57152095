import json
import os
import re

import tensorflow as tf

from official.exporter import litert
from official.exporter import saved_model
from tests import fixtures
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


class ExportComparisonTest(tf.test.TestCase):
  """The demo's SavedModel-beside-LiteRT lines, on real exports."""

  def test_size_miou_and_latency_of_each_export(self):
    model = fixtures.tiny_model(3)
    names = ['background', 'square', 'disc']
    root = self.get_temp_dir()
    folders = {'saved_model': os.path.join(root, 'saved_model'),
               'litert': os.path.join(root, 'litert')}
    saved_model.export_saved_model(model, folders['saved_model'], names,
                                   crop_size=(33, 33))
    litert.export_litert(model, folders['litert'], names, (33, 33))
    for (name, folder), miou in zip(folders.items(), (0.8125, 0.8117)):
      _write_json(os.path.join(folder, 'eval', 'metrics-4000.json'),
                  {'step': 4000, 'miou': miou, 'num_images': 16})

    lines = summarize_demo.export_comparison_lines(
        folders['saved_model'], folders['litert'], runs=1)
    self.assertEqual(lines[0], 'Exports (mIoU on the eval split, latency per '
                     '33x33 image):')
    self.assertLen(lines, 3)
    pattern = (r'  (?P<name>.+?) +(?P<mib>[0-9.]+) MiB  mIoU (?P<miou>[0-9.]+)'
               r' +(?P<ms>[0-9.]+) ms  \((?P<folder>.+)\)$')
    rows = [re.match(pattern, line) for line in lines[1:]]
    self.assertNotIn(None, rows, lines)
    self.assertEqual([row['name'] for row in rows],
                     ['SavedModel float32', 'LiteRT float32'])
    self.assertEqual([row['miou'] for row in rows], ['0.8125', '0.8117'])
    self.assertEqual([row['folder'] for row in rows], list(folders.values()))
    litert_mib = os.path.getsize(
        os.path.join(folders['litert'], litert.MODEL_FILENAME)) / 2**20
    # The folder's size: the .tflite, its model_info.json and the metrics.
    self.assertAllClose(float(rows[1]['mib']), litert_mib, atol=0.01)
    for row in rows:
      self.assertGreater(float(row['ms']), 0.0)


if __name__ == '__main__':
  tf.test.main()
