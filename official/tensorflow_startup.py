"""Imports TensorFlow, with oneDNN's kernels, without its start-up chatter.

On a machine without a GPU, importing TensorFlow and first touching its
devices writes four or five lines from C++ ("All log messages before
absl::InitializeLog() is called are written to STDERR", "Could not find cuda
drivers", "failed call to cuInit", ...) straight to file descriptor 2,
whatever TF_CPP_MIN_LOG_LEVEL says. They would precede every binary's
output, one-line errors included. `import_quietly` captures descriptor 2
while TensorFlow loads and finds its devices, then writes back every line
but those. TF_CPP_MIN_LOG_LEVEL=0 set by the user keeps them all.

TensorFlow turns its oneDNN kernels on by default on Intel CPUs only; they
take a quarter off the training step on the AMD CPUs of our benchmarks
(BENCHMARKS.md), so they are on unless the user sets TF_ENABLE_ONEDNN_OPTS
before TensorFlow loads. They round differently from TensorFlow's own
kernels, in the last bits.
"""

import os
import re
import sys
import tempfile

# The start-up lines dropped: absl's notice before its initialisation, and
# the CUDA probes, CPU-feature notice and oneDNN notice TensorFlow logs while
# loading.
_CHATTER = re.compile(
    r'WARNING: All log messages before absl::InitializeLog\(\) is called are '
    r'written to STDERR'
    r'|^[IWE]\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on'
    r'|^[IWE]\d{4} [\d:. ]+\d+ (cudart_stub|cuda_platform|cuda_dnn|cuda_fft|'
    r'cuda_blas|cpu_feature_guard)\.cc:\d+\] ')


def filter_chatter(text):
  """`text` without TensorFlow's start-up lines.

  Example:
    >>> filter_chatter('I0000 00:00:1.5   42 cudart_stub.cc:31] No GPU.\\n'
    ...                'kept\\n')
    'kept\\n'
  """
  return ''.join(line for line in text.splitlines(keepends=True)
                 if not _CHATTER.search(line))


def import_quietly():
  """Imports TensorFlow (and finds its devices) with the chatter dropped."""
  # TensorFlow's own C++ logs below errors are noise for the binaries'
  # users; a TF_CPP_MIN_LOG_LEVEL set by the caller wins.
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')
  if 'tensorflow' in sys.modules or os.environ['TF_CPP_MIN_LOG_LEVEL'] == '0':
    return
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as capture:
    os.dup2(capture.fileno(), 2)
    try:
      import tensorflow as tf  # pylint: disable=import-outside-toplevel
      tf.config.list_physical_devices('GPU')
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      capture.seek(0)
      sys.stderr.write(filter_chatter(
          capture.read().decode('utf-8', errors='replace')))
      sys.stderr.flush()
