import os
import shlex
import tarfile
import tempfile

import gin
import numpy as np
import tensorflow as tf

from official import cli
from official.model import reference_checkpoint
from official.model import builder
from official.model import checkpoint as checkpoint_lib
from official.zoo import model_zoo
from tests import fixtures
from tests import loopback_server
from tests import original_checkpoints

_GIN_FILE = os.path.join(fixtures.REPO_ROOT,
                         'gin_configs/voc/mobilenetv2_os16.gin')


def _run(*args):
  return fixtures.run_main('tools.convert_reference_checkpoint', *args)


def _error_lines(result):
  stderr = result if isinstance(result, str) else result.stderr
  return [line for line in stderr.splitlines() if line.startswith('error:')]


class ConvertReferenceCheckpointTest(tf.test.TestCase):

  def _write(self, num_classes=21, global_step=None):
    values = original_checkpoints.random_values(
        original_checkpoints.mobilenet_v2(num_classes))
    prefix = original_checkpoints.write(
        os.path.join(self.get_temp_dir(), 'original', 'model.ckpt'), values,
        global_step=global_step, slots=['aspp0/weights'])
    return prefix, values

  def test_converted_checkpoint_loads_into_the_configured_model(self):
    prefix, values = self._write(global_step=30000)
    output_dir = os.path.join(self.get_temp_dir(), 'converted')
    result = _run(f'--reference_checkpoint={os.path.dirname(prefix)}',
                  f'--gin_file={_GIN_FILE}', f'--output_dir={output_dir}')
    self.assertEqual(result.returncode, 0, result.stderr)
    path = os.path.join(output_dir, 'ckpt-30000')
    self.assertEqual(result.stdout.splitlines(), [
        f'Loaded 272 of 272 model variables (2,146,645 values) from {prefix}.',
        'Skipped 2 training-state variables: 1 Momentum slot, global_step.',
        'Left no model variable fresh.',
        f'Wrote {path}; pass it as --checkpoint.',
    ])
    self.assertEqual(tf.train.latest_checkpoint(output_dir), path)

    cli.parse_gin([_GIN_FILE], [])
    try:
      model = builder.build_model(output_stride=8)
    finally:
      gin.clear_config()
    tf.train.Checkpoint(model=model).read(path).assert_consumed()
    for name, variable in reference_checkpoint.reference_variables(
        model).items():
      self.assertAllEqual(variable, values[name], msg=name)
    # The trainer's warm start takes it as --checkpoint, folder or prefix.
    report = checkpoint_lib.initialize_from_checkpoint(model, output_dir)
    self.assertLen(report.restored, 272)

  def test_missing_checkpoint(self):
    result = _run('--reference_checkpoint=/nowhere/model.ckpt',
                  f'--gin_file={_GIN_FILE}', '--output_dir=/tmp/unused')
    self.assertEqual(result.returncode, 1)
    self.assertEqual(_error_lines(result), [
        'error: /nowhere/model.ckpt: no such checkpoint (expected '
        '/nowhere/model.ckpt.index and /nowhere/model.ckpt.data-*).'])
    self.assertNotIn('Traceback', result.stderr)

  def test_other_number_of_classes(self):
    prefix, _ = self._write(num_classes=19)
    output_dir = os.path.join(self.get_temp_dir(), 'converted')
    result = _run(f'--reference_checkpoint={prefix}', f'--gin_file={_GIN_FILE}',
                  f'--output_dir={output_dir}')
    self.assertEqual(result.returncode, 1)
    self.assertEqual(_error_lines(result), [
        f'error: {prefix} has logits for 19 classes, the configured model for '
        '21: set NUM_CLASSES = 19 (e.g. --gin_bindings="NUM_CLASSES = 19") to '
        'convert it as it is, or load all but the logits (--skip_logits) to '
        'fine-tune on 21 classes.'])
    self.assertNotIn('Traceback', result.stderr)
    self.assertFalse(tf.io.gfile.exists(output_dir))

    result = _run(f'--reference_checkpoint={prefix}', f'--gin_file={_GIN_FILE}',
                  f'--output_dir={output_dir}', '--gin_bindings=NUM_CLASSES=19')
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertIn('Left no model variable fresh.', result.stdout)
    self.assertTrue(tf.io.gfile.exists(os.path.join(output_dir,
                                                    'ckpt-0.index')))


_ZOO_NAME = 'mobilenetv2_coco_voc_trainaug'
_TARBALL = 'deeplabv3_mnv2_pascal_train_aug_2018_01_29.tar.gz'


def _run_in_process(*args):
  """(exit status, stdout, stderr) of the tool's main() in this process."""
  result = _run(*args)
  return result.returncode, result.stdout, result.stderr


def _outputs(checkpoint_paths, images):
  """The configured model's logits on `images` under each checkpoint."""
  cli.parse_gin([_GIN_FILE], [])
  try:
    model = builder.build_model()
  finally:
    gin.clear_config()
  outputs = []
  for path in checkpoint_paths:
    tf.train.Checkpoint(model=model).read(path).assert_consumed()
    outputs.append(model(images, training=False).numpy())
  return outputs


class ModelZooTest(tf.test.TestCase):
  """--model_zoo=NAME against a loopback server holding a zoo-style tarball."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = tf.test.TestCase().get_temp_dir()
    cls.root = os.path.join(root, 'zoo')
    values = original_checkpoints.random_values(
        original_checkpoints.mobilenet_v2())
    # The zoo's layout: one folder, the checkpoint named by its step.
    os.makedirs(os.path.join(cls.root, 'original',
                             'deeplabv3_mnv2_pascal_train_aug'))
    cls.prefix = original_checkpoints.write(
        os.path.join(cls.root, 'original', 'deeplabv3_mnv2_pascal_train_aug',
                     'model.ckpt-30000'), values, global_step=30000)
    cls.tarball = os.path.join(cls.root, _TARBALL)
    with tarfile.open(cls.tarball, 'w:gz') as archive:
      archive.add(os.path.dirname(cls.prefix),
                  arcname='deeplabv3_mnv2_pascal_train_aug')
    with open(cls.tarball, 'rb') as f:
      cls.data = f.read()

  def _output_dir(self):
    return os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()),
                        'converted')

  def test_downloads_resumes_converts_and_prints_the_eval_commands(self):
    output_dir = self._output_dir()
    download_dir = os.path.join(self.get_temp_dir(), 'downloads')
    with loopback_server.serve({f'/models/{_TARBALL}': self.data},
                               cut={1: len(self.data) // 3}) as (url, server):
      status, stdout, stderr = _run_in_process(
          f'--model_zoo={_ZOO_NAME}', f'--output_dir={output_dir}',
          f'--model_zoo_base_url={url}/models',
          f'--download_dir={download_dir}')
    self.assertEqual(status, 0, stderr)
    self.assertEqual([request.get('Range') for request in server.requests],
                     [None, f'bytes={len(self.data) // 3}-'])
    # The tarball is kept, whole.
    with open(os.path.join(download_dir, _TARBALL), 'rb') as f:
      self.assertEqual(f.read(), self.data)
    path = os.path.join(output_dir, 'ckpt-30000')
    self.assertEqual(tf.train.latest_checkpoint(output_dir), path)
    lines = stdout.splitlines()
    self.assertIn('Left no model variable fresh.', lines)
    self.assertIn(f'Wrote {path}; pass it as --checkpoint.', lines)
    gin_file = model_zoo.ENTRIES[_ZOO_NAME].gin_file
    # Shell-quoted: temporary folders may hold characters a shell reads.
    self.assertEqual(lines[-4:], [
        'The model zoo reports 75.32% mIoU on PASCAL VOC 2012 val (OS 16, '
        'scales 1):',
        '  ' + shlex.join([
            'python', '-m', 'official.eval', f'--model_dir={output_dir}',
            f'--checkpoint={path}', f'--gin_file={gin_file}',
            '--eval_output_stride=16', f'--eval_dir={output_dir}/eval_os16']),
        'The model zoo reports 77.33% mIoU on PASCAL VOC 2012 val (OS 8, '
        'scales 0.5,0.75,1,1.25,1.5,1.75, flipped):',
        '  ' + shlex.join([
            'python', '-m', 'official.eval', f'--model_dir={output_dir}',
            f'--checkpoint={path}', f'--gin_file={gin_file}',
            '--eval_output_stride=8', '--eval_scales=0.5,0.75,1,1.25,1.5,1.75',
            '--add_flipped_images',
            f'--eval_dir={output_dir}/eval_os8_ms_flip'])])
    self.assertEqual(sorted(os.listdir(output_dir)), [
        'checkpoint', 'ckpt-30000.data-00000-of-00001', 'ckpt-30000.index'])

    # The same as converting the checkpoint itself.
    direct_dir = self._output_dir()
    status, _, stderr = _run_in_process(
        f'--reference_checkpoint={self.prefix}', f'--gin_file={_GIN_FILE}',
        f'--output_dir={direct_dir}')
    self.assertEqual(status, 0, stderr)
    images = tf.constant(np.random.default_rng(1).uniform(
        0, 255, [1, 65, 65, 3]), tf.float32)
    from_zoo, direct = _outputs(
        [path, os.path.join(direct_dir, 'ckpt-30000')], images)
    self.assertAllEqual(from_zoo, direct)
    self.assertGreater(np.std(from_zoo), 0.0)

  def test_local_tarball_converts_without_a_download(self):
    output_dir = self._output_dir()
    status, stdout, stderr = _run_in_process(
        f'--reference_checkpoint={self.tarball}', f'--output_dir={output_dir}')
    self.assertEqual(status, 0, stderr)
    self.assertIn('The model zoo reports 75.32% mIoU', stdout)
    self.assertTrue(tf.io.gfile.exists(os.path.join(output_dir,
                                                    'ckpt-30000.index')))

  def test_truncated_download_is_one_line_and_writes_nothing(self):
    output_dir = self._output_dir()
    cuts = {number: 100 for number in range(1, 6)}
    with loopback_server.serve({f'/{_TARBALL}': self.data},
                               cut=cuts) as (url, _):
      status, _, stderr = _run_in_process(
          f'--model_zoo={_ZOO_NAME}', f'--output_dir={output_dir}',
          f'--model_zoo_base_url={url}')
    self.assertEqual(status, 1)
    self.assertEqual(_error_lines(stderr), [
        f'error: {url}/{_TARBALL}: download truncated at 500 of '
        f'{len(self.data):,} bytes after 5 attempts. Give --download_dir to '
        'keep partial downloads and resume them.'])
    self.assertFalse(os.path.exists(output_dir))

  def test_wrong_size_is_one_line_and_writes_nothing(self):
    output_dir = self._output_dir()
    with loopback_server.serve({f'/{_TARBALL}': self.data}, cut={1: 100},
                               size_change_on={2: 1}) as (url, _):
      status, _, stderr = _run_in_process(
          f'--model_zoo={_ZOO_NAME}', f'--output_dir={output_dir}',
          f'--model_zoo_base_url={url}')
    self.assertEqual(status, 1)
    self.assertEqual(_error_lines(stderr), [
        f'error: {url}/{_TARBALL}: the size changed from {len(self.data):,} '
        f'to {len(self.data) + 1:,} bytes while downloading; removed the '
        'partial file.'])
    self.assertFalse(os.path.exists(output_dir))

  def test_truncated_tarball_is_one_line_and_writes_nothing(self):
    tarball = os.path.join(self.get_temp_dir(), 'cut', _TARBALL)
    os.makedirs(os.path.dirname(tarball), exist_ok=True)
    with open(tarball, 'wb') as f:
      f.write(self.data[:len(self.data) // 2])
    output_dir = self._output_dir()
    status, _, stderr = _run_in_process(f'--reference_checkpoint={tarball}',
                                        f'--output_dir={output_dir}')
    self.assertEqual(status, 1)
    [line] = _error_lines(stderr)
    self.assertRegex(line,
                     rf'^error: {tarball}: not a readable \.tar\.gz \(.*\)\.$')
    self.assertFalse(os.path.exists(output_dir))

  def test_list_prints_the_table(self):
    status, stdout, _ = _run_in_process('--model_zoo=list')
    self.assertEqual(status, 0)
    lines = stdout.splitlines()
    self.assertLen(lines, len(model_zoo.ENTRIES) + 1)
    self.assertRegex(lines[0], r'^name +dataset +network +config +reported')
    row = next(line for line in lines if line.startswith(_ZOO_NAME + ' '))
    self.assertIn('gin_configs/voc/mobilenetv2_os16.gin', row)
    self.assertIn('75.32 val (OS 16, scales 1); 77.33 val (OS 8', row)
    dpc = next(line for line in lines
               if line.startswith('xception71_dpc_cityscapes_trainfine'))
    self.assertIn('not built', dpc)

  def test_not_built_entry_says_why(self):
    status, _, stderr = _run_in_process(
        '--model_zoo=mobilenetv3_large_cityscapes_trainfine',
        '--output_dir=/tmp/unused')
    self.assertEqual(status, 1)
    self.assertEqual(_error_lines(stderr), [
        'error: --model_zoo=mobilenetv3_large_cityscapes_trainfine: not '
        'convertible: MobileNetV3 backbone with a squeeze-and-excitation '
        'LR-ASPP head.'])


if __name__ == '__main__':
  tf.test.main()
