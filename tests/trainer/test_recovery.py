"""What a crash or a second trainer leaves in model_dir, and what train does.

The model_dir lock, interrupted saves (ckpt-N_temp/), a newest checkpoint cut
short, and the batch-norm warm-up warning at the end of training.
"""

import json
import os
import socket
import subprocess

import gin
import numpy as np
import tensorflow as tf

from official.model import batch_norm_warmup
from official.trainer import checkpoint_recovery
from official.trainer import model_dir_lock
from official.trainer import trainer
from tests import fixtures

_SIZE = 33


def _dataset_fn(input_context):
  rng = np.random.default_rng(0)
  images = rng.uniform(0, 255, (4, _SIZE, _SIZE, 3)).astype(np.float32)
  labels = rng.integers(0, 4, (4, _SIZE, _SIZE, 1)).astype(np.int32)
  return tf.data.Dataset.from_tensor_slices(
      {'image': images, 'label': labels}).repeat().batch(
          input_context.get_per_replica_batch_size(2), drop_remainder=True)


def _write_lock(model_dir, host, pid):
  tf.io.gfile.makedirs(model_dir)
  with open(os.path.join(model_dir, model_dir_lock.FILENAME), 'w') as f:
    json.dump({'host': host, 'pid': pid, 'started': 0}, f)


def _dead_pid():
  process = subprocess.Popen(['true'])
  process.wait()
  return process.pid


class RecoveryTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    gin.clear_config()
    gin.parse_config(fixtures.TINY_MODEL_BINDINGS + [
        'DeepLab.num_classes = 4', "dataset_info.name = 'toy'"])
    self.addCleanup(gin.clear_config)

  def _train(self, model_dir, train_steps, **kwargs):
    settings = dict(seed=1, checkpoint_every_n_steps=1,
                    summary_every_n_steps=100,
                    image_summary_every_n_steps=100)
    settings.update(kwargs)
    return trainer.train(model_dir, tf.distribute.OneDeviceStrategy('/cpu:0'),
                         train_steps=train_steps, dataset_fn=_dataset_fn,
                         **settings)

  def test_a_second_trainer_refuses_and_names_the_first(self):
    model_dir = os.path.join(self.get_temp_dir(), 'locked')
    # The parent of this process is alive and on this host.
    _write_lock(model_dir, socket.gethostname(), os.getppid())
    with self.assertRaisesRegex(
        model_dir_lock.ModelDirLockedError,
        f'^{model_dir} is in use by another trainer \\(process '
        f'{os.getppid()} on host {socket.gethostname()}, started .*\\); '
        'give this run another --model_dir'):
      self._train(model_dir, 1)
    self.assertEqual(tf.io.gfile.glob(os.path.join(model_dir, 'ckpt-*')), [])
    _write_lock(model_dir, 'another-host', _dead_pid())
    with self.assertRaisesRegex(model_dir_lock.ModelDirLockedError,
                                'on host another-host'):
      self._train(model_dir, 1)

  def test_a_stale_lock_is_taken_over_and_batch_norm_warned_about(self):
    model_dir = os.path.join(self.get_temp_dir(), 'stale')
    pid = _dead_pid()
    _write_lock(model_dir, socket.gethostname(), pid)
    gin.bind_parameter('DeepLab.head_bn_momentum', 0.9997)
    with self.assertLogs(level='WARNING') as logs:
      result = self._train(model_dir, 2, checkpoint_every_n_steps=2)
    self.assertEqual(result.step, 2)
    warnings = '\n'.join(logs.output)
    self.assertIn(f'from process {pid} on host', warnings)
    self.assertFalse(tf.io.gfile.exists(
        os.path.join(model_dir, model_dir_lock.FILENAME)))

    fractions = batch_norm_warmup.initial_fractions(result.model, 2)
    self.assertAllClose(fractions[('aspp', 0.9997)], 0.9997**2)
    self.assertAllClose(fractions[('backbone', 0.997)], 0.997**2)
    # ceil(log(0.1) / log(0.9997)) = 7675 steps leave 10%.
    self.assertIn('batch norm moving statistics of the aspp (decay 0.9997) '
                  'still hold 100% of their initial values after 2 steps, so '
                  'inference differs from training: train at least 7675 '
                  'steps, or lower DeepLab.head_bn_momentum (e.g. 0.99).',
                  warnings)
    self.assertIn('statistics of the backbone (decay 0.997) still hold 99%',
                  warnings)
    # Initialised from a checkpoint, the backbone's are not the defaults.
    self.assertNotIn(('backbone', 0.997), batch_norm_warmup.initial_fractions(
        result.model, 2, init_mode='backbone'))
    # 0.9997**8000 = 9%, 0.997**8000 ~ 0: no warning.
    self.assertEqual(batch_norm_warmup.warnings(result.model, 8000), [])

  def test_workers_take_no_lock(self):
    model_dir = os.path.join(self.get_temp_dir(), 'worker')
    with model_dir_lock.hold(model_dir, enabled=False) as path:
      self.assertIsNone(path)
      self.assertFalse(tf.io.gfile.exists(model_dir))
    with model_dir_lock.hold(model_dir) as path:
      with open(path) as f:
        self.assertEqual(json.load(f)['pid'], os.getpid())
    self.assertFalse(tf.io.gfile.exists(path))

  def test_interrupted_save_and_truncated_newest_checkpoint(self):
    model_dir = os.path.join(self.get_temp_dir(), 'crashed')
    self._train(model_dir, 3)
    second = tf.train.load_checkpoint(os.path.join(model_dir, 'ckpt-2'))
    weights_2 = {key: second.get_tensor(key)
                 for key, dtype in second.get_variable_to_dtype_map().items()
                 if dtype != tf.variant}
    # What a kill during a save of step 4 leaves, and a step 3 whose data
    # file a full disk cut short.
    temp = os.path.join(model_dir, 'ckpt-4_temp')
    tf.io.gfile.makedirs(temp)
    with open(os.path.join(temp, 'part-00000-of-00001.index'), 'wb') as f:
      f.write(b'\0' * 10)
    [data] = tf.io.gfile.glob(os.path.join(model_dir, 'ckpt-3.data-*'))
    size = os.path.getsize(data)
    with open(data, 'r+b') as f:
      f.truncate(size // 2)

    with self.assertLogs(level='WARNING') as logs:
      result = self._train(model_dir, 4)
    self.assertFalse(tf.io.gfile.exists(temp))
    warning = '\n'.join(logs.output)
    self.assertIn(f'{model_dir}/ckpt-3 is unreadable', warning)
    self.assertIn(f'resuming from {model_dir}/ckpt-2 instead', warning)
    # Resumed from step 2: steps 3 and 4 ran again.
    self.assertEqual(sorted(result.losses), [3, 4])
    self.assertEqual(result.step, 4)
    # The bad checkpoint is kept, byte for byte, beside the new ones.
    kept = os.path.join(model_dir,
                        'unreadable-ckpt-3' + data[len(model_dir) + 7:])
    self.assertEqual(os.path.getsize(kept), size // 2)
    self.assertEndsWith(tf.train.latest_checkpoint(model_dir), 'ckpt-4')
    self.assertTrue(checkpoint_recovery.is_readable(
        os.path.join(model_dir, 'ckpt-3')))
    reader = tf.train.load_checkpoint(os.path.join(model_dir, 'ckpt-2'))
    for key, value in weights_2.items():
      self.assertAllEqual(reader.get_tensor(key), value, msg=key)

  def test_only_checkpoint_unreadable_is_an_error_keeping_it(self):
    model_dir = os.path.join(self.get_temp_dir(), 'full_disk')
    # Any checkpoint: it is set aside before anything is matched.
    tf.train.CheckpointManager(tf.train.Checkpoint(step=tf.Variable(1)),
                               model_dir, max_to_keep=1).save(1)
    with open(os.path.join(model_dir, 'ckpt-1.index'), 'r+b') as f:
      f.truncate(10)
    with self.assertRaisesRegex(
        checkpoint_recovery.NoReadableCheckpointError,
        f'{model_dir}/ckpt-1 is unreadable .* kept as '
        f'{model_dir}/unreadable-ckpt-1'):
      self._train(model_dir, 2)
    self.assertEqual(os.path.getsize(
        os.path.join(model_dir, 'unreadable-ckpt-1.index')), 10)


if __name__ == '__main__':
  tf.test.main()
