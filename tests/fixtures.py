"""What the tests share: the tiny model, toy data, strategies and binaries.

Whatever is written here is written once per test process, into temporary
folders removed at exit:

- the tiny DeepLab (`tiny_model`, `TINY_MODEL_BINDINGS`), weights like a
  trained model's (`trained_like`), and full-size Xception-65 models that
  tests only read (`xception_65`);
- toy datasets in their own layouts and as TFRecords (`voc_root`,
  `voc_tfrecords`, `cityscapes_root`, `cityscapes_tfrecords`), and hand-made
  splits (`write_split`: broken or empty ones, the small eval split);
- a MirroredStrategy over the two CPUs that conftest.py sets up
  (`two_cpu_strategy`), and a `StandInModel` for the evaluator;
- a training directory as the trainer leaves it (`shared_run`), and the
  binaries run in this process (`run_main`) or in a fresh one
  (`run_binary`, `start_binary`), with the one-line-error assertion, and
  the messages of an `assertLogs` capture (`log_messages`).
"""

import atexit
import contextlib
import functools
import importlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from unittest import mock

from absl import flags
import gin
import keras
import numpy as np
from PIL import Image
import tensorflow as tf
# Not exported as tf.config.experimental: undoes a run's deterministic ops.
from tensorflow.python.framework import config as tf_config

from official import cli
from official import operative_config
from official.data import cityscapes
from official.data import conversion
from official.data import tfrecord
from official.data import toy
from official.data import voc
from official.model import builder
from official.model import checkpoint
from official.model import deeplab
from official.ops import resize

FLAGS = flags.FLAGS
REPO_ROOT = cli.REPO_ROOT
QUICKSTART = os.path.join(REPO_ROOT, 'gin_configs/toy/quickstart.gin')


def temporary_dir(prefix='deeplab_test_'):
  """A fresh temporary folder, removed at exit."""
  path = tempfile.mkdtemp(prefix=prefix)
  atexit.register(shutil.rmtree, path, ignore_errors=True)
  return path


# The tiny model ------------------------------------------------------------

TINY_MODEL = dict(backbone='mobilenet_v2', depth_multiplier=0.25,
                  atrous_rates=(6,), aspp_filters=16, low_level_filters=8,
                  decoder_filters=16)

# The same as gin bindings, for `builder.build_model` and the binaries.
TINY_MODEL_BINDINGS = [
    "DeepLab.backbone = 'mobilenet_v2'",
    'DeepLab.depth_multiplier = 0.25',
    'DeepLab.atrous_rates = (6,)',
    'DeepLab.aspp_filters = 16',
    'DeepLab.low_level_filters = 8',
    'DeepLab.decoder_filters = 16',
]


def tiny_model(num_classes=4, **kwargs):
  """A built tiny `DeepLab`, small enough to train in seconds on a CPU."""
  model = deeplab.DeepLab(num_classes, **dict(TINY_MODEL, **kwargs))
  model.build()
  return model


def xception_65(**kwargs):
  """A full-size DeepLab on Xception-65 with 21 classes, built once per
  process for the given arguments: read it, never change its weights."""
  return _xception_65(tuple(sorted(kwargs.items())))


# Each takes seconds to build and about 200 MB: the five used last are kept.
@functools.lru_cache(maxsize=5)
def _xception_65(arguments):
  model = deeplab.DeepLab(21, **dict(arguments))
  model.build()
  return model


def randomize_batch_norm(layer, seed=0):
  """Random statistics and affine terms in every batch norm of `layer`."""
  rng = np.random.default_rng(seed)
  for sublayer in layer._flatten_layers():  # pylint: disable=protected-access
    if isinstance(sublayer, keras.layers.BatchNormalization):
      size = sublayer.gamma.shape[0]
      sublayer.gamma.assign(rng.uniform(0.5, 1.5, size))
      sublayer.beta.assign(rng.normal(0.0, 0.5, size))
      sublayer.moving_mean.assign(rng.normal(0.0, 0.5, size))
      sublayer.moving_variance.assign(rng.uniform(0.5, 2.0, size))


def trained_like(model, seed=0):
  """`model` with random batch norms and logits strong enough to decide.

  A fresh model's batch norms are identities, which any folding preserves,
  and its logits are nearly uniform, which makes every pixel a near-tie.
  """
  randomize_batch_norm(model, seed)
  model.logits.kernel.assign(model.logits.kernel * 300.0)
  return model


# Toy data ------------------------------------------------------------------

NUM_VOC_IMAGES = 20
NUM_CITYSCAPES_IMAGES = 10


@functools.lru_cache(maxsize=None)
def voc_root():
  """A toy VOC layout (with SBD): (folder, {split: count})."""
  root = temporary_dir('deeplab_voc_')
  return root, toy.write_voc(root, NUM_VOC_IMAGES, seed=0)


def _convert(samples_by_split, load_label):
  """The splits converted quietly, 2 shards each, into a new folder."""
  output_dir = temporary_dir('deeplab_tfrecords_')
  conversion.convert(samples_by_split, output_dir, load_label, num_shards=2,
                     stream=io.StringIO(), out=io.StringIO())
  return output_dir


@functools.lru_cache(maxsize=None)
def voc_tfrecords():
  """The toy VOC layout converted, all four splits in 2 shards each."""
  root, _ = voc_root()
  voc_dir, sbd_dir = voc.find_voc2012(root), voc.find_sbd(root)
  return _convert({split: voc.samples(voc_dir, split, sbd_dir)
                   for split in voc.VOC_SPLITS + (voc.TRAIN_AUG,)},
                  voc.load_label)


@functools.lru_cache(maxsize=None)
def cityscapes_root():
  """A toy Cityscapes layout: (folder, {split: count})."""
  root = temporary_dir('deeplab_cityscapes_')
  return root, toy.write_cityscapes(root, NUM_CITYSCAPES_IMAGES, seed=0)


@functools.lru_cache(maxsize=None)
def cityscapes_tfrecords():
  """The toy Cityscapes layout converted, 2 shards per split."""
  root, _ = cityscapes_root()
  return _convert({split: cityscapes.samples(root, split)
                   for split in cityscapes.SPLITS}, cityscapes.load_label)


# Every eval image of `shared_run` padded to one size: one trace of the
# evaluation step.
EVAL_SIZE = 65
# (height, width) of those eval images.
IMAGE_SIZES = ((33, 33), (40, 57), (65, 48))


def toy_images(seed=0):
  """[(uint8 image, uint8 labels with 255 on boundaries)] of IMAGE_SIZES."""
  rng = np.random.default_rng(seed)
  images = []
  for height, width in IMAGE_SIZES:
    image, _, labels = toy.shapes_scene(rng)
    images.append((image[:height, :width], labels[:height, :width]))
  return images


def png_bytes(pixels):
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format='PNG')
  return buffer.getvalue()


def write_split(data_dir, split, examples):
  """One shard of (name, image bytes, uint8 labels) examples."""
  tf.io.gfile.makedirs(data_dir)
  path = os.path.join(data_dir, tfrecord.shard_filename(split, 0, 1))
  with tf.io.TFRecordWriter(path) as writer:
    for name, image_data, labels in examples:
      writer.write(tfrecord.encode_example(
          image_data, 'png', name, labels.shape[0], labels.shape[1],
          png_bytes(labels)))


# Strategies and stand-ins --------------------------------------------------

def two_cpu_strategy(test_case):
  """A new MirroredStrategy over two logical CPUs, else a skip of the test.

  Strategies in one process number their collectives from the same keys, so
  a second one's all-reduces can meet the first one's and fail on a shape
  mismatch; each gets its own key range, as TensorFlow's own tests do.
  """
  devices = tf.config.list_logical_devices('CPU')
  if len(devices) < 2:
    test_case.skipTest('needs two logical CPUs, which conftest.py sets up '
                       'before TensorFlow starts')
  # pylint: disable-next=protected-access
  tf.distribute.MirroredStrategy._collective_key_base += 10000
  return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])


class StandInModel(keras.Model):
  """`head_logits` is `head_fn(images)`; `call` upsamples it like DeepLab.

  The interface the evaluator relies on, with outputs a test can predict.

  Args:
    head_fn: float32 [B, H, W, 3] -> float32 [B, ceil(H / s), ceil(W / s), C]
      for s = `logits_output_stride`.
    logits_output_stride: the head's stride.
  """

  def __init__(self, head_fn, logits_output_stride):
    super().__init__()
    self.head_fn = head_fn
    self.logits_output_stride = logits_output_stride

  def head_logits(self, images, training=False):
    del training  # No layer behaves differently in training.
    return self.head_fn(images)

  def call(self, images, training=False):
    return resize.resize_bilinear(self.head_logits(images, training),
                                  tf.shape(images)[1:3])


# A training directory ------------------------------------------------------

def run_bindings(data_dir, train_steps):
  """The quick-start config with the tiny model on the split in data_dir."""
  return TINY_MODEL_BINDINGS + [
      f"DATA_DIR = '{data_dir}'",
      f'TRAIN_STEPS = {train_steps}',
      f'eval_dataset.crop_size = [{EVAL_SIZE}, {EVAL_SIZE}]',
  ]


def write_run(model_dir, data_dir, steps, train_steps):
  """model_dir/ckpt-STEP for each step and operative_config.gin.

  The weights are random (seeded) and differ per step; the config is
  written as the trainer writes it.
  """
  with gin.unlock_config():
    gin.parse_config_files_and_bindings(
        [QUICKSTART], run_bindings(data_dir, train_steps))
  try:
    keras.utils.set_random_seed(0)
    model = builder.build_model()
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model), model_dir, max_to_keep=None)
    for step in steps:
      # Large logit weights: predictions that vary within an image.
      model.logits.kernel.assign(tf.random.normal(model.logits.kernel.shape))
      manager.save(checkpoint_number=step)
    with tf.io.gfile.GFile(
        os.path.join(model_dir, operative_config.FILENAME), 'w') as f:
      f.write(gin.config_str())
  finally:
    gin.clear_config()


@functools.lru_cache(maxsize=None)
def shared_run():
  """(data_dir, model_dir) written once per process: a small eval split of
  toy images 33 to 65 pixels on a side, and ckpt-1 and ckpt-2 of a run of 2
  steps. Copy the run (`copy_run`) before writing to it."""
  root = temporary_dir('deeplab_tiny_run_')
  data_dir, model_dir = os.path.join(root, 'tfrecords'), os.path.join(
      root, 'run')
  write_split(data_dir, 'val', [
      (f'image_{index}', png_bytes(image), labels)
      for index, (image, labels) in enumerate(toy_images())])
  write_run(model_dir, data_dir, steps=[1, 2], train_steps=2)
  return data_dir, model_dir


def copy_run(model_dir, destination, step):
  """Copies a run's config and ckpt-STEP, the newest in `destination`."""
  tf.io.gfile.makedirs(destination)
  for path in tf.io.gfile.glob(os.path.join(model_dir, f'ckpt-{step}.*')) + [
      os.path.join(model_dir, operative_config.FILENAME)]:
    tf.io.gfile.copy(path, os.path.join(destination, os.path.basename(path)),
                     overwrite=True)
  tf.compat.v1.train.update_checkpoint_state(
      destination, os.path.join(destination, f'ckpt-{step}'))


def restored_model(model_dir, step, output_stride=None):
  """The binaries' model, restored in this process with the run's config."""
  with gin.unlock_config():
    gin.parse_config_file(os.path.join(model_dir, operative_config.FILENAME))
  try:
    model, _, _ = checkpoint.restore_model(
        os.path.join(model_dir, f'ckpt-{step}'), output_stride)
  finally:
    gin.clear_config()
  return model


# Binaries in this process --------------------------------------------------

# The binaries define flags of the same names (--model_dir, --output_dir,
# ...), which absl holds once per process: only the running binary's are
# registered; the others' wait here, by module name.
_registered = {}
_set_aside = {}


def _binary(module_name):
  """The binary's module, with its flags and no other binary's registered."""
  if module_name in _registered:
    return sys.modules[module_name]
  # A binary a test module imported directly (to call its functions).
  for name, module_flags in FLAGS.flags_by_module_dict().items():
    if name.startswith(('official.', 'tools.', 'benchmarks.')) and (
        name != cli.__name__ and name not in _set_aside):
      _registered.setdefault(name, {flag.name for flag in module_flags})
  for other, names in list(_registered.items()):
    _set_aside[other] = {name: FLAGS[name] for name in names}
    for name in names:
      delattr(FLAGS, name)
    del _registered[other]
  if module_name in _set_aside:
    for name, flag in _set_aside.pop(module_name).items():
      FLAGS[name] = flag
      _registered.setdefault(module_name, set()).add(name)
  else:
    before = set(FLAGS)
    importlib.import_module(module_name)
    _registered[module_name] = set(FLAGS) - before
  return sys.modules[module_name]


def _exit_status(code, stderr):
  """The status Python exits with on `sys.exit(code)`, printing a message."""
  if code is None:
    return 0
  if isinstance(code, int):
    return code
  print(code, file=stderr)
  return 1


def run_main(module_name, *flag_args):
  """`python -m module_name flags` in this process, through `cli.run`.

  The binary's flags are parsed from `flag_args` alone and unparsed after,
  its gin config cleared and deterministic ops (`train.deterministic_ops`,
  process-wide) switched off again.

  Returns:
    A `subprocess.CompletedProcess` with the exit status and what the binary
    printed (absl log lines go to the real stderr).
  """
  module = _binary(module_name)
  argv = [module_name, *flag_args]
  stdout, stderr = io.StringIO(), io.StringIO()
  was_parsed = FLAGS.is_parsed()
  was_deterministic = tf_config.is_op_determinism_enabled()
  try:
    with mock.patch.object(sys, 'argv', argv), contextlib.redirect_stdout(
        stdout), contextlib.redirect_stderr(stderr):
      try:
        cli.run(module.main)
        returncode = 0
      except SystemExit as exit_:
        returncode = _exit_status(exit_.code, stderr)
  finally:
    gin.clear_config()
    if not was_deterministic:
      tf_config.disable_op_determinism()
    FLAGS.unparse_flags()
    if was_parsed:
      FLAGS.mark_as_parsed()
  return subprocess.CompletedProcess(argv, returncode, stdout.getvalue(),
                                     stderr.getvalue())


# Binaries in fresh processes -----------------------------------------------

class Process:
  """A command in the background, its output in files (a pipe nobody reads
  would fill up and stall it, and with it a collective of all workers)."""

  def __init__(self, command, env=None, cwd=REPO_ROOT):
    self.args = command
    self._result = None
    self._output = tempfile.TemporaryDirectory(prefix='deeplab_process_')
    self._paths = [os.path.join(self._output.name, name)
                   for name in ('stdout', 'stderr')]
    with open(self._paths[0], 'w') as stdout, open(self._paths[1],
                                                   'w') as stderr:
      self.process = subprocess.Popen(
          command, cwd=cwd, env=dict(os.environ, **(env or {})),
          stdout=stdout, stderr=stderr, text=True)

  def poll(self):
    return self.process.poll()

  def kill(self):
    """SIGKILL, as a preempted machine would; waits for the exit."""
    self.process.kill()
    return self.process.wait()

  def wait(self, timeout=300):
    """Its `subprocess.CompletedProcess` once it exits."""
    if self._result is None:
      returncode = self.process.wait(timeout)
      with self._output:
        outputs = []
        for path in self._paths:
          with open(path) as f:
            outputs.append(f.read())
      self._result = subprocess.CompletedProcess(self.args, returncode,
                                                 *outputs)
    return self._result


def start_binary(module_name, *flag_args, env=None):
  """`python -m module_name flags` from the repository root, in the
  background: a `Process`."""
  return Process([sys.executable, '-m', module_name, *flag_args], env=env)


def run_binary(module_name, *flag_args, env=None, timeout=300):
  """`python -m module_name flags` in a fresh process, waited for."""
  return start_binary(module_name, *flag_args, env=env).wait(timeout)


def run_command(command, cwd=REPO_ROOT, env=None, timeout=300):
  """Any command, waited for: its `subprocess.CompletedProcess`."""
  return Process(command, env=env, cwd=cwd).wait(timeout)


def log_messages(logs, prefix=''):
  """The messages of an `assertLogs` capture that start with `prefix`."""
  messages = [record.getMessage() for record in logs.records]
  return [message for message in messages if message.startswith(prefix)]


def error_lines(stderr):
  """The lines of a binary's one-line error report."""
  return [line for line in stderr.splitlines()
          if line.startswith(('error:', 'FATAL'))]


def assert_one_line_error(test_case, result, expected):
  """`result` (of `run_main` or `run_binary`) failed in one line.

  Exit status 1, no traceback, one error line containing `expected`.
  """
  test_case.assertEqual(result.returncode, 1, result.stderr)
  test_case.assertNotIn('Traceback', result.stderr)
  lines = error_lines(result.stderr)
  test_case.assertLen(lines, 1, result.stderr)
  test_case.assertIn(expected, lines[0])
