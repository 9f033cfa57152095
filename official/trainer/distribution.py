"""The tf.distribute strategies the trainer runs under, by name.

  one_device              one GPU if there is one, else the CPU
  mirrored                the GPUs of this machine (all, or --num_gpus)
  multi_worker_mirrored   several machines, cluster from TF_CONFIG
  tpu                     a TPU (--tpu: its name or grpc:// address)

Example:
  >>> strategy = create_strategy('mirrored', num_gpus=2)
  >>> strategy.num_replicas_in_sync
  2
"""

import json
import os

import tensorflow as tf

STRATEGIES = ('one_device', 'mirrored', 'multi_worker_mirrored', 'tpu')


def _gpus(num_gpus):
  """Names of the first `num_gpus` GPUs (all of them when None)."""
  gpus = tf.config.list_logical_devices('GPU')
  if num_gpus is None:
    return [gpu.name for gpu in gpus]
  if num_gpus > len(gpus):
    raise ValueError(f'--num_gpus={num_gpus}, but this machine has '
                     f'{len(gpus)} GPU(s).')
  return [gpu.name for gpu in gpus[:num_gpus]]


def _check_tf_config():
  try:
    cluster = json.loads(os.environ.get('TF_CONFIG', '{}')).get('cluster')
  except json.JSONDecodeError as error:
    raise ValueError(f'TF_CONFIG is not valid JSON: {error}') from error
  if not cluster:
    raise ValueError('multi_worker_mirrored needs the cluster in the '
                     'TF_CONFIG environment variable.')


def create_strategy(name, num_gpus=None, tpu=None):
  """A `tf.distribute.Strategy` by name.

  Args:
    name: one of `STRATEGIES`.
    num_gpus: GPUs to use per machine: None for all, 0 for the CPU.
    tpu: the TPU's name or address, for 'tpu' ('' for a local TPU VM).

  Raises:
    ValueError: for an unknown name, too many GPUs, or no TF_CONFIG cluster
      for multi_worker_mirrored.
  """
  if name == 'one_device':
    gpus = _gpus(None if num_gpus is None else min(num_gpus, 1))
    return tf.distribute.OneDeviceStrategy(gpus[0] if gpus else '/cpu:0')
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy(_gpus(num_gpus) or ['/cpu:0'])
  if name == 'multi_worker_mirrored':
    _check_tf_config()
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == 'tpu':
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or '')
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
  raise ValueError(f'Unknown strategy {name!r}; choose one of '
                   f'{", ".join(STRATEGIES)}.')
