"""The train binary in subprocesses: errors, preemption, several workers."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from official import cli
from tests import tiny_run
from tests.trainer import tiny_model
from tests.trainer import toy_tfrecords

_QUICKSTART = os.path.join(cli.REPO_ROOT, 'gin_configs/toy/quickstart.gin')
_LOSS_LINE = re.compile(r'step (\d+)/\d+: loss ([0-9.]+)')


def _train_command(model_dir, *bindings, flags=()):
  """The binary on the toy data with the tiny model and 33x33 crops."""
  bindings = tiny_model.TINY_MODEL_BINDINGS + [
      f"DATA_DIR = '{toy_tfrecords.toy_tfrecords()}'",
      'CROP_SIZE = [33, 33]',
      'BATCH_SIZE = 2',
      'train.image_summary_every_n_steps = 1000',
  ] + list(bindings)
  return ([sys.executable, '-m', 'official.train', f'--model_dir={model_dir}',
           f'--gin_file={_QUICKSTART}'] +
          [f'--gin_bindings={binding}' for binding in bindings] + list(flags))


class _Process:
  """The binary in the background, its output in a file (a pipe nobody reads
  would fill up and stall it, and with it a collective of all workers)."""

  def __init__(self, command, log_path, env=None):
    self.log_path = log_path
    with open(log_path, 'w') as log:
      self.process = subprocess.Popen(
          command, cwd=cli.REPO_ROOT, env=dict(os.environ, **(env or {})),
          stdout=log, stderr=subprocess.STDOUT)

  def wait(self, timeout=300):
    """The exit status and the output."""
    returncode = self.process.wait(timeout)
    with open(self.log_path) as log:
      return returncode, log.read()


def _run(command):
  return subprocess.run(command, cwd=cli.REPO_ROOT, capture_output=True,
                        text=True, timeout=300)


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

  def _assert_one_line_error(self, result, expected):
    self.assertNotEqual(result.returncode, 0)
    self.assertNotIn('Traceback', result.stderr)
    lines = [line for line in result.stderr.splitlines()
             if line.startswith(('error:', 'FATAL'))]
    self.assertLen(lines, 1, result.stderr)
    self.assertIn(expected, lines[0])

  def test_bad_flag_value(self):
    model_dir = self.get_temp_dir()
    result = _run(_train_command(model_dir, flags=['--strategy=bogus']))
    self._assert_one_line_error(result, '--strategy')

  def test_unknown_gin_parameter(self):
    result = _run(_train_command(self.get_temp_dir(), 'train.bogus = 1'))
    self._assert_one_line_error(result, 'bogus')

  @parameterized.named_parameters(
      ('gin_file', ['--gin_file=gin_configs/none.gin'], [],
       'gin_configs/none.gin'),
      ('data_dir', [], ["DATA_DIR = '/nonexistent/tfrecords'"],
       '/nonexistent/tfrecords'),
  )
  def test_missing_file(self, flags, bindings, expected):
    result = _run(_train_command(self.get_temp_dir(), *bindings, flags=flags))
    self._assert_one_line_error(result, expected)


class CheckpointFlagTest(tf.test.TestCase):

  def test_initialises_from_the_checkpoint_and_evaluates(self):
    _, run_dir = tiny_run.shared_run()
    init_checkpoint = os.path.join(run_dir, 'ckpt-2')
    model_dir = os.path.join(self.get_temp_dir(), 'from_checkpoint')
    result = _run(_train_command(
        model_dir, 'TRAIN_STEPS = 1',
        flags=[f'--checkpoint={init_checkpoint}', '--mode=train_and_eval']))
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn(f'Initialised from {init_checkpoint} (mode all)',
                  result.stderr)
    self.assertTrue(tf.io.gfile.exists(os.path.join(model_dir,
                                                    'ckpt-1.index')))
    with open(os.path.join(model_dir, 'eval', 'metrics-1.json')) as f:
      metrics = json.load(f)
    val_files = tf.io.gfile.glob(
        os.path.join(toy_tfrecords.toy_tfrecords(), 'val-*'))
    num_images = sum(1 for _ in tf.data.TFRecordDataset(val_files))
    self.assertEqual(metrics['num_images'], num_images)
    self.assertIn(f'step 1: eval mIoU {metrics["miou"]:.4f} on {num_images} '
                  'images.', result.stderr)


class PreemptionTest(tf.test.TestCase):

  def test_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(self):
    bindings = ['TRAIN_STEPS = 100', 'train.checkpoint_every_n_steps = 10',
                'train.summary_every_n_steps = 50', 'train.seed = 3',
                'train.deterministic_ops = True',
                'train_dataset.deterministic = True', 'train_dataset.seed = 3']
    uninterrupted_dir = os.path.join(self.get_temp_dir(), 'uninterrupted')
    killed_dir = os.path.join(self.get_temp_dir(), 'killed')
    uninterrupted = _Process(_train_command(uninterrupted_dir, *bindings),
                             uninterrupted_dir + '.log')
    killed = _Process(_train_command(killed_dir, *bindings),
                      killed_dir + '.log')
    deadline = time.time() + 200
    while not tf.io.gfile.exists(os.path.join(killed_dir, 'ckpt-20.index')):
      if killed.process.poll() is not None:
        self.fail(f'Finished before the kill: {killed.wait()[1]}')
      self.assertLess(time.time(), deadline)
      time.sleep(0.01)
    # Between checkpoints, so that the resumed run redoes some steps.
    time.sleep(0.1)
    killed.process.send_signal(signal.SIGKILL)
    self.assertEqual(killed.wait()[0], -signal.SIGKILL)
    returncode, output = uninterrupted.wait()
    self.assertEqual(returncode, 0, output)
    newest = tf.train.latest_checkpoint(killed_dir)
    self.assertLess(int(newest.rsplit('-', 1)[1]), 100)

    resumed = _run(_train_command(killed_dir, *bindings))
    self.assertEqual(resumed.returncode, 0, resumed.stderr)
    self.assertIn(f'Resumed from {newest}', resumed.stderr)
    expected = _model_tensors(os.path.join(uninterrupted_dir, 'ckpt-100'))
    actual = _model_tensors(os.path.join(killed_dir, 'ckpt-100'))
    self.assertEqual(sorted(actual), sorted(expected))
    for key, value in expected.items():
      np.testing.assert_array_equal(actual[key], value, err_msg=key)


class MultiWorkerTest(tf.test.TestCase):

  def test_two_workers_on_loopback(self):
    model_dir = self.get_temp_dir()
    ports = _free_ports(2)
    cluster = {'worker': [f'localhost:{port}' for port in ports]}
    workers = [
        _Process(_train_command(
            model_dir, 'TRAIN_STEPS = 4', 'train.summary_every_n_steps = 1',
            'train.checkpoint_every_n_steps = 2',
            flags=['--strategy=multi_worker_mirrored']),
                 os.path.join(model_dir, f'worker_{index}.log'),
                 env={'TF_CONFIG': json.dumps(
                     {'cluster': cluster,
                      'task': {'type': 'worker', 'index': index}})})
        for index in range(2)]
    losses = []
    for worker in workers:
      returncode, output = worker.wait()
      self.assertEqual(returncode, 0, output)
      losses.append([(int(step), float(loss))
                     for step, loss in _LOSS_LINE.findall(output)])
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
