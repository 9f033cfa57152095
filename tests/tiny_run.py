"""A training directory as the trainer leaves it, for the eval and predict
binaries: tiny-model checkpoints, operative_config.gin and a small eval
split of toy images 33 to 65 pixels on a side."""

import atexit
import functools
import io
import os
import shutil
import subprocess
import sys
import tempfile

import gin
import keras
import numpy as np
from PIL import Image
import tensorflow as tf

from official import cli
from official import operative_config
from official.data import tfrecord
from official.data import toy
from official.model import builder
from official.model import checkpoint
from tests.trainer import tiny_model

QUICKSTART = os.path.join(cli.REPO_ROOT, 'gin_configs/toy/quickstart.gin')
# Every eval image padded to one size: one trace of the evaluation step.
EVAL_SIZE = 65
# (height, width) of the eval images.
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


def write_toy_split(data_dir, split='val'):
  write_split(data_dir, split, [
      (f'image_{index}', png_bytes(image), labels)
      for index, (image, labels) in enumerate(toy_images())])


def bindings(data_dir, train_steps):
  """The quick-start config with the tiny model on the split in data_dir."""
  return tiny_model.TINY_MODEL_BINDINGS + [
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
        [QUICKSTART], bindings(data_dir, train_steps))
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
  """(data_dir, model_dir) written once per process: the toy split, and
  ckpt-1 and ckpt-2 of a run of 2 steps. Copy the run before writing to it."""
  root = tempfile.mkdtemp(prefix='deeplab_tiny_run_')
  atexit.register(shutil.rmtree, root, ignore_errors=True)
  data_dir, model_dir = os.path.join(root, 'tfrecords'), os.path.join(
      root, 'run')
  write_toy_split(data_dir)
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


def run_binary(module, *flags, wait=True):
  """`python -m module flags` from the repository root.

  Returns:
    The `subprocess.CompletedProcess`, or with wait=False the running
    `subprocess.Popen` (its output in pipes).
  """
  command = [sys.executable, '-m', module, *flags]
  if not wait:
    return subprocess.Popen(command, cwd=cli.REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
  return subprocess.run(command, cwd=cli.REPO_ROOT, capture_output=True,
                        text=True, timeout=300)


def finish(process, timeout=300):
  """Waits for a `run_binary(..., wait=False)` process; its result."""
  stdout, stderr = process.communicate(timeout=timeout)
  return subprocess.CompletedProcess(process.args, process.returncode, stdout,
                                     stderr)


def error_lines(stderr):
  """The lines of a binary's one-line error report."""
  return [line for line in stderr.splitlines()
          if line.startswith(('error:', 'FATAL'))]


def assert_one_line_errors(test_case, module, cases):
  """Runs `module` on each case's flags and checks its one-line error.

  Args:
    test_case: the `tf.test.TestCase` asserting.
    module: the binary, e.g. 'official.eval'.
    cases: {case name: (flags, text the error line contains)}.
  """
  # All at once: each spends most of its time starting TensorFlow.
  processes = {case: run_binary(module, *flags, wait=False)
               for case, (flags, _) in cases.items()}
  for case, process in processes.items():
    result = finish(process)
    with test_case.subTest(case):
      test_case.assertEqual(result.returncode, 1, result.stderr)
      test_case.assertNotIn('Traceback', result.stderr)
      lines = error_lines(result.stderr)
      test_case.assertLen(lines, 1, result.stderr)
      test_case.assertIn(cases[case][1], lines[0])
