"""TensorFlow op times from a `tf.profiler` trace, by op type.

Reads the XSpace (`*.xplane.pb`) that `tf.profiler.experimental.stop()`
writes and adds up the wall time of each op kernel (as TensorFlow's executor
runs it on its threads) per op type, over the calls of one `tf.function`
chosen by name (e.g. the trainer's `_train_step`), skipping the first calls.

    totals = op_profile.op_seconds(profile_dir, '_train_step', skip_calls=2)
"""

import collections
import glob
import os
import re

from tensorflow.tsl.profiler.protobuf import xplane_pb2


def _latest_xspace(profile_dir):
  paths = glob.glob(os.path.join(profile_dir, '**', '*.xplane.pb'),
                    recursive=True)
  if not paths:
    raise FileNotFoundError(f'{profile_dir}: no *.xplane.pb trace in it.')
  xspace = xplane_pb2.XSpace()
  with open(max(paths, key=os.path.getmtime), 'rb') as f:
    xspace.ParseFromString(f.read())
  return xspace


def _host_plane(xspace):
  for plane in xspace.planes:
    if plane.name == '/host:CPU':
      return plane
  raise ValueError('The trace has no /host:CPU plane.')


def _events(plane):
  """(name, display_name, start_ps, end_ps) of every event in the plane."""
  for line in plane.lines:
    line_ps = line.timestamp_ns * 1000
    for event in line.events:
      metadata = plane.event_metadata[event.metadata_id]
      start = line_ps + event.offset_ps
      yield metadata.name, metadata.display_name, start, (
          start + event.duration_ps)


# oneDNN's graph rewrite renames the kernels it takes over.
_ONEDNN_PREFIX = re.compile(r'^_Mkl(Native)?')


def op_seconds(profile_dir, function_name, skip_calls=0):
  """Seconds per op type inside the calls of `function_name`.

  Args:
    profile_dir: the folder given to `tf.profiler.experimental.start`.
    function_name: the Python name of the `tf.function` (its trace events
      carry it).
    skip_calls: leave out this many first calls (tracing, warm-up).

  Returns:
    (number of calls counted, {op type: seconds summed over them}); an op
    type is the kernel's name, e.g. 'Conv2DBackpropFilter', oneDNN's under
    the name of the op it replaces ('_MklNativeConv2D' as 'Conv2D').
  """
  plane = _host_plane(_latest_xspace(profile_dir))
  events = list(_events(plane))
  calls = sorted((start, end) for name, _, start, end in events
                 if name == function_name)[skip_calls:]
  if not calls:
    raise ValueError(f'{profile_dir}: no call of {function_name} beyond the '
                     f'first {skip_calls}.')
  totals = collections.Counter()
  for name, op_type, start, end in events:
    # Op kernels are named 'node_name:OpType'.
    if not op_type or not name.endswith(':' + op_type):
      continue
    if any(call_start <= start and end <= call_end
           for call_start, call_end in calls):
      totals[_ONEDNN_PREFIX.sub('', op_type)] += (end - start) / 1e12
  return len(calls), dict(totals)
