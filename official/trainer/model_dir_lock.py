"""One trainer per model_dir: a lock file naming the host and process.

Two trainers on one model_dir would overwrite each other's checkpoints. The
chief of a run holds model_dir/train.lock while it trains (the other workers
of a multi-worker run write under model_dir/workers/ and take no lock). A
lock left by a process that is gone (killed, preempted) on this host is
taken over with a warning; one from another host cannot be checked from
here and must be removed by hand once that trainer is known to be gone.
"""

import contextlib
import json
import os
import socket
import time

from absl import logging
import tensorflow as tf

FILENAME = 'train.lock'


class ModelDirLockedError(RuntimeError):
  """Another trainer holds the model_dir."""


def _start_time(pid):
  """The process's start time in clock ticks since boot (Linux), or None.

  With the pid it identifies a process even after the pid is reused.
  """
  try:
    with open(f'/proc/{pid}/stat') as f:
      # Field 22; the command name (field 2) may hold spaces but ends in ')'.
      return int(f.read().rsplit(')', 1)[1].split()[19])
  except (OSError, IndexError, ValueError):
    return None


def _is_running(owner):
  """Whether the lock's owner, a process on this host, still runs."""
  try:
    os.kill(owner['pid'], 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  recorded = owner.get('start_time')
  return recorded is None or _start_time(owner['pid']) in (None, recorded)


def _describe(owner):
  started = time.strftime('%Y-%m-%d %H:%M:%S',
                          time.localtime(owner.get('started', 0)))
  return (f'process {owner.get("pid")} on host {owner.get("host")}, started '
          f'{started}')


def _read(path):
  try:
    with tf.io.gfile.GFile(path) as f:
      return json.load(f)
  except (tf.errors.NotFoundError, FileNotFoundError):
    return None
  except ValueError:
    return {}


def _create(path, content):
  """Writes the lock if no file is there; False if one is."""
  if '://' in path:
    # Object stores have no exclusive create: check, then write.
    if tf.io.gfile.exists(path):
      return False
    with tf.io.gfile.GFile(path, 'w') as f:
      f.write(content)
    return True
  try:
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
  except FileExistsError:
    return False
  with os.fdopen(descriptor, 'w') as f:
    f.write(content)
  return True


def acquire(model_dir):
  """Takes model_dir's lock; returns its path.

  Raises:
    ModelDirLockedError: naming the trainer that holds it.
  """
  tf.io.gfile.makedirs(model_dir)
  path = os.path.join(model_dir, FILENAME)
  me = {'host': socket.gethostname(), 'pid': os.getpid(),
        'start_time': _start_time(os.getpid()), 'started': time.time()}
  content = json.dumps(me)
  while not _create(path, content):
    owner = _read(path)
    if owner is None:
      continue  # Released meanwhile.
    if owner.get('host') == me['host'] and owner.get('pid') == me['pid']:
      break  # This process's own lock (an earlier run that did not release).
    if owner.get('host') != me['host'] or not isinstance(
        owner.get('pid'), int) or _is_running(owner):
      raise ModelDirLockedError(
          f'{model_dir} is in use by another trainer ({_describe(owner)}, '
          f'lock {path}); give this run another --model_dir, or delete the '
          'lock if that trainer is gone.')
    logging.warning('Taking over %s from %s, which is no longer running.',
                    path, _describe(owner))
    tf.io.gfile.remove(path)
  return path


def release(path):
  """Removes the lock if this process still holds it."""
  owner = _read(path)
  if owner and owner.get('pid') == os.getpid() and (
      owner.get('host') == socket.gethostname()):
    tf.io.gfile.remove(path)


@contextlib.contextmanager
def hold(model_dir, enabled=True):
  """The lock of model_dir while in the block (nothing if not `enabled`)."""
  if not enabled:
    yield None
    return
  path = acquire(model_dir)
  try:
    yield path
  finally:
    release(path)
