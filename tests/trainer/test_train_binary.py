"""The train binary: errors, preemption, several workers."""

import json
import os
import re
import signal
import socket
import time

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import fixtures

_LOSS_LINE = re.compile(r'step (\d+)/\d+: loss ([0-9.]+)')


def _train_flags(model_dir, *bindings, flags=()):
  """The binary's flags: the toy data, the tiny model and 33x33 crops."""
  bindings = fixtures.TINY_MODEL_BINDINGS + [
      f"DATA_DIR = '{fixtures.voc_tfrecords()}'",
      'CROP_SIZE = [33, 33]',
      'BATCH_SIZE = 2',
      'train.image_summary_every_n_steps = 1000',
  ] + list(bindings)
  return ([f'--model_dir={model_dir}', f'--gin_file={fixtures.QUICKSTART}'] +
          [f'--gin_bindings={binding}' for binding in bindings] + list(flags))


def _model_tensors(checkpoint_path):
  """{key: value} of a checkpoint's tensors but the input iterator's."""
  reader = tf.train.load_checkpoint(checkpoint_path)
  return {key: reader.get_tensor(key)
          for key in reader.get_variable_to_shape_map()
          if not key.startswith(('iterator', '_CHECKPOINTABLE_OBJECT_GRAPH'))}


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(('localhost', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


class ErrorsTest(tf.test.TestCase, parameterized.TestCase):

  def test_bad_flag_value(self):
    # In a process of its own: the exit status and what absl prints.
    result = fixtures.run_binary(
        'official.train',
        *_train_flags(self.get_temp_dir(), flags=['--strategy=bogus']))
    fixtures.assert_one_line_error(self, result, '--strategy')

  def test_unknown_gin_parameter(self):
    result = fixtures.run_main(
        'official.train', *_train_flags(self.get_temp_dir(), 'train.bogus = 1'))
    fixtures.assert_one_line_error(self, result, 'bogus')

  @parameterized.named_parameters(
      ('gin_file', ['--gin_file=gin_configs/none.gin'], [],
       'gin_configs/none.gin'),
      ('data_dir', [], ["DATA_DIR = '/nonexistent/tfrecords'"],
       '/nonexistent/tfrecords'),
  )
  def test_missing_file(self, flags, bindings, expected):
    result = fixtures.run_main(
        'official.train',
        *_train_flags(self.get_temp_dir(), *bindings, flags=flags))
    fixtures.assert_one_line_error(self, result, expected)


class CheckpointFlagTest(tf.test.TestCase):

  def test_initialises_from_the_checkpoint_and_evaluates(self):
    _, run_dir = fixtures.shared_run()
    init_checkpoint = os.path.join(run_dir, 'ckpt-2')
    model_dir = os.path.join(self.get_temp_dir(), 'from_checkpoint')
    with self.assertLogs('absl', 'INFO') as logs:
      result = fixtures.run_main('official.train', *_train_flags(
          model_dir, 'TRAIN_STEPS = 1',
          flags=[f'--checkpoint={init_checkpoint}', '--mode=train_and_eval']))
    self.assertEqual(result.returncode, 0, result.stderr)
    messages = fixtures.log_messages(logs)
    self.assertLen(fixtures.log_messages(
        logs, f'Initialised from {init_checkpoint} (mode all)'), 1, messages)
    self.assertTrue(tf.io.gfile.exists(os.path.join(model_dir,
                                                    'ckpt-1.index')))
    with open(os.path.join(model_dir, 'eval', 'metrics-1.json')) as f:
      metrics = json.load(f)
    val_files = tf.io.gfile.glob(
        os.path.join(fixtures.voc_tfrecords(), 'val-*'))
    num_images = sum(1 for _ in tf.data.TFRecordDataset(val_files))
    self.assertEqual(metrics['num_images'], num_images)
    self.assertIn(f'step 1: eval mIoU {metrics["miou"]:.4f} on {num_images} '
                  'images.', messages)


class PreemptionTest(tf.test.TestCase):

  def test_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(self):
    bindings = ['TRAIN_STEPS = 20', 'train.checkpoint_every_n_steps = 5',
                'train.summary_every_n_steps = 10', 'train.seed = 3',
                'train.deterministic_ops = True',
                'train_dataset.deterministic = True', 'train_dataset.seed = 3']
    uninterrupted_dir = os.path.join(self.get_temp_dir(), 'uninterrupted')
    killed_dir = os.path.join(self.get_temp_dir(), 'killed')
    # The run to kill needs a process of its own; the other two, the same
    # kernels in this one.
    killed = fixtures.start_binary('official.train',
                                   *_train_flags(killed_dir, *bindings))
    deadline = time.time() + 200
    while not tf.io.gfile.exists(os.path.join(killed_dir, 'ckpt-10.index')):
      if killed.poll() is not None:
        self.fail(f'Finished before the kill: {killed.wait().stderr}')
      self.assertLess(time.time(), deadline)
      time.sleep(0.01)
    # Between checkpoints, so that the resumed run redoes some steps.
    time.sleep(0.1)
    self.assertEqual(killed.kill(), -signal.SIGKILL)
    newest = tf.train.latest_checkpoint(killed_dir)
    self.assertLess(int(newest.rsplit('-', 1)[1]), 20)
    result = fixtures.run_main('official.train',
                               *_train_flags(uninterrupted_dir, *bindings))
    self.assertEqual(result.returncode, 0, result.stderr)

    with self.assertLogs('absl', 'INFO') as logs:
      resumed = fixtures.run_main('official.train',
                                  *_train_flags(killed_dir, *bindings))
    self.assertEqual(resumed.returncode, 0, resumed.stderr)
    self.assertLen(fixtures.log_messages(logs, f'Resumed from {newest} at step'),
                   1, fixtures.log_messages(logs))
    expected = _model_tensors(os.path.join(uninterrupted_dir, 'ckpt-20'))
    actual = _model_tensors(os.path.join(killed_dir, 'ckpt-20'))
    self.assertEqual(sorted(actual), sorted(expected))
    for key, value in expected.items():
      np.testing.assert_array_equal(actual[key], value, err_msg=key)


class MultiWorkerTest(tf.test.TestCase):

  def test_two_workers_on_loopback(self):
    model_dir = self.get_temp_dir()
    ports = _free_ports(2)
    cluster = {'worker': [f'localhost:{port}' for port in ports]}
    workers = [
        fixtures.start_binary(
            'official.train', *_train_flags(
                model_dir, 'TRAIN_STEPS = 4',
                'train.summary_every_n_steps = 1',
                'train.checkpoint_every_n_steps = 2',
                flags=['--strategy=multi_worker_mirrored']),
            env={'TF_CONFIG': json.dumps(
                {'cluster': cluster,
                 'task': {'type': 'worker', 'index': index}})})
        for index in range(2)]
    losses = []
    for worker in workers:
      result = worker.wait()
      self.assertEqual(result.returncode, 0, result.stderr)
      losses.append([(int(step), float(loss))
                     for step, loss in _LOSS_LINE.findall(result.stderr)])
    self.assertEqual([step for step, _ in losses[0]], [1, 2, 3, 4])
    self.assertEqual(losses[0], losses[1])
    chief = _model_tensors(os.path.join(model_dir, 'ckpt-4'))
    worker = _model_tensors(os.path.join(model_dir, 'workers', 'worker_1',
                                         'ckpt-4'))
    self.assertEqual(sorted(chief), sorted(worker))
    for key, value in chief.items():
      np.testing.assert_array_equal(worker[key], value, err_msg=key)
    self.assertNotEmpty(tf.io.gfile.glob(
        os.path.join(model_dir, 'train', 'events*')))
    self.assertEmpty(tf.io.gfile.glob(
        os.path.join(model_dir, 'workers', '*', 'train')))


if __name__ == '__main__':
  tf.test.main()
