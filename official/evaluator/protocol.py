"""The evaluation protocol a metrics file records, and the overwrite guard.

Metrics of one checkpoint under two protocols (output stride 16 single
scale, output stride 8 multi-scale + flip, ...) are different results. Each
metrics-STEP.json records its protocol, and a file holding another
protocol's results is never replaced: that evaluation needs its own eval dir.
"""

import json
import os

from absl import logging
import tensorflow as tf


class ProtocolMismatchError(ValueError):
  """An eval dir already holds this step's results under another protocol."""


def describe(output_stride, eval_scales=(1.0,), add_flipped_images=False,
             window_size=None, window_stride=None, checkpoint_path=None):
  """The protocol as the JSON-ready dict a metrics file records.

  Example:
    >>> describe(16, checkpoint_path='runs/toy/ckpt-4000')['eval_scales']
    [1.0]
  """
  window_size = list(window_size) if window_size else None
  return {
      'output_stride': int(output_stride),
      'eval_scales': [float(scale) for scale in eval_scales],
      'add_flipped_images': bool(add_flipped_images),
      'window_size': window_size,
      'window_stride': list(window_stride) if window_stride else window_size,
      'checkpoint': checkpoint_path,
  }


def _differences(recorded, protocol):
  return ', '.join(f'{key} {recorded.get(key)!r} there, {value!r} now'
                   for key, value in protocol.items()
                   if recorded.get(key) != value)


def check_can_write(metrics_path, protocol):
  """Raises unless `metrics_path` is absent or holds the same protocol.

  A file written before metrics recorded their protocol is overwritten with
  a warning.

  Raises:
    ProtocolMismatchError: naming the file and what differs.
  """
  if not tf.io.gfile.exists(metrics_path):
    return
  with tf.io.gfile.GFile(metrics_path) as f:
    try:
      recorded = json.load(f).get('protocol')
    except (ValueError, AttributeError):
      recorded = None
  if recorded is None:
    logging.warning('%s records no evaluation protocol; overwriting it.',
                    metrics_path)
    return
  differences = _differences(recorded, protocol)
  if differences:
    raise ProtocolMismatchError(
        f'{metrics_path} holds results of another evaluation protocol '
        f'({differences}); pass --eval_dir to keep both, e.g. '
        f'{os.path.dirname(metrics_path)}_os{protocol["output_stride"]}.')
