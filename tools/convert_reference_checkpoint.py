r"""Converts a checkpoint of the original TF1 DeepLab into one of ours.

Reads a name-based checkpoint of research/deeplab (the model zoo's trained
models or its ImageNet backbones), loads it into the model the gin config
builds and writes `OUTPUT_DIR/ckpt-STEP` (a `tf.train.Checkpoint(model=...)`,
STEP the original's global step, 0 if it has none), which `official.eval`,
`official.export` and `official.train` accept as `--checkpoint`.

    python -m tools.convert_reference_checkpoint \
        --reference_checkpoint=deeplabv3_pascal_train_aug/model.ckpt \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin \
        --output_dir=/tmp/xception65_voc
    Loaded 732 of 732 model variables (41,258,213 values) from ...
    Skipped 1 training-state variables: global_step.
    Left no model variable fresh.
    Wrote /tmp/xception65_voc/ckpt-30000; pass it as --checkpoint.

By its model zoo name (`--model_zoo=list` shows them), the tarball is
downloaded (resumed if cut; kept with --download_dir), unpacked, converted
with the zoo row's config, and the commands that evaluate it with the zoo's
protocols are printed with the mIoU they should give. A tarball already on
disk converts the same way, its row found by its file name:

    python -m tools.convert_reference_checkpoint \
        --model_zoo=xception65_coco_voc_trainaug --output_dir=/tmp/x65_voc
    python -m tools.convert_reference_checkpoint --output_dir=/tmp/x65_voc \
        --reference_checkpoint=deeplabv3_pascal_train_aug_2018_01_04.tar.gz

An ImageNet backbone checkpoint (no ASPP, decoder or logits in it), or any
checkpoint with `--backbone_only`, loads the backbone alone and reports the
rest as fresh; `--skip_logits` loads all but the logits, for fine-tuning on
another number of classes.
"""

import os
import shutil
import tempfile

from absl import flags
import tensorflow as tf

from official import cli
from official.model import reference_checkpoint
from official.model import builder
from official.zoo import download
from official.zoo import model_zoo

flags.DEFINE_string('reference_checkpoint', None,
                    'Checkpoint of the original DeepLab: prefix (model.ckpt), '
                    'its .index file, a directory holding one, or a model zoo '
                    'tarball (.tar.gz).')
flags.DEFINE_string('model_zoo', None,
                    'A model zoo checkpoint by name, downloaded and converted '
                    'with its config; "list" prints the zoo.')
flags.DEFINE_string('model_zoo_base_url', model_zoo.BASE_URL,
                    'Where the model zoo\'s tarballs are (a mirror, or a '
                    'file:// folder).')
flags.DEFINE_string('download_dir', None,
                    'Keep the downloaded tarball here (and resume a partial '
                    'one); default: a temporary folder.')
flags.DEFINE_string('output_dir', None, 'Where to write the converted '
                    'checkpoint.')
flags.DEFINE_bool('backbone_only', False,
                  'Load only the backbone, leaving ASPP, decoder and logits '
                  'fresh (implied for ImageNet backbone checkpoints).')
flags.DEFINE_bool('skip_logits', False,
                  'Load all but the logits, leaving them fresh (another '
                  'number of classes).')

FLAGS = flags.FLAGS

_TARBALL_SUFFIXES = ('.tar.gz', '.tgz')


def _zoo_entry():
  """The model zoo row of --model_zoo or of a --reference_checkpoint tarball."""
  if FLAGS.model_zoo:
    return model_zoo.entry(FLAGS.model_zoo)
  if (FLAGS.reference_checkpoint or '').endswith(_TARBALL_SUFFIXES):
    return model_zoo.by_tarball(FLAGS.reference_checkpoint)
  return None


def _tarball(entry, work_dir):
  """The local tarball: --reference_checkpoint, or the zoo's, downloaded."""
  if FLAGS.reference_checkpoint:
    if not os.path.isfile(FLAGS.reference_checkpoint):
      raise cli.UsageError(f'--reference_checkpoint={FLAGS.reference_checkpoint}'
                           ': no such file.')
    return FLAGS.reference_checkpoint
  url = entry.url(FLAGS.model_zoo_base_url)
  path = os.path.join(FLAGS.download_dir or work_dir, f'{entry.tarball}.tar.gz')
  print(f'Downloading {url} to {path}.', flush=True)
  try:
    return download.download(url, path, kept=bool(FLAGS.download_dir))
  except download.TruncatedDownloadError as error:
    if FLAGS.download_dir:
      raise
    raise download.TruncatedDownloadError(
        f'{error} Give --download_dir to keep partial downloads and resume '
        'them.') from None


def _write(model, step):
  """Writes OUTPUT_DIR/ckpt-STEP whole or not at all; returns its prefix."""
  output_dir = FLAGS.output_dir
  path = os.path.join(output_dir, f'ckpt-{step}')
  if tf.io.gfile.exists(path + '.index'):
    raise cli.UsageError(f'--output_dir={output_dir} already holds ckpt-{step}; '
                         'remove it or choose another --output_dir.')
  try:
    tf.io.gfile.makedirs(output_dir)
    staging = tempfile.mkdtemp(prefix='.converting-', dir=output_dir)
    try:
      tf.train.Checkpoint(model=model).write(os.path.join(staging,
                                                          f'ckpt-{step}'))
      # The index last: readers take a checkpoint to exist by its index.
      names = sorted(os.listdir(staging), key=lambda name: name.endswith(
          '.index'))
      for name in names:
        os.replace(os.path.join(staging, name), os.path.join(output_dir, name))
    finally:
      shutil.rmtree(staging, ignore_errors=True)
    # The state file lets `--model_dir=OUTPUT_DIR` find it too.
    tf.compat.v1.train.update_checkpoint_state(output_dir, path)
  except (tf.errors.OpError, OSError) as error:
    reason = getattr(error, 'message', None) or error
    raise cli.UsageError(f'--output_dir={output_dir}: cannot write there '
                         f'({reason})') from error
  return path


def main(argv):
  cli.check_arguments(argv)
  if FLAGS.model_zoo == 'list':
    print(model_zoo.table())
    return
  cli.check_arguments(argv, required=('output_dir',))
  if not (FLAGS.reference_checkpoint or FLAGS.model_zoo):
    raise cli.UsageError('Give --reference_checkpoint or --model_zoo.')
  entry = _zoo_entry()
  gin_files = FLAGS.gin_file or ([entry.gin_file] if entry else [])
  if not gin_files:
    raise cli.UsageError(
        '--gin_file is required: the experiment config of the checkpoint\'s '
        'model, e.g. gin_configs/voc/xception65_decoder_sc_os16.gin.')
  cli.parse_gin([os.path.join(cli.REPO_ROOT, path)
                 if not os.path.isabs(path) and not os.path.exists(path)
                 else path for path in gin_files])
  with tempfile.TemporaryDirectory(prefix='deeplab_zoo_') as work_dir:
    if entry or FLAGS.reference_checkpoint.endswith(_TARBALL_SUFFIXES):
      tarball = _tarball(entry, work_dir)
      prefix = download.find_checkpoint(
          download.unpack(tarball, os.path.join(work_dir, 'unpacked')))
    else:
      prefix = FLAGS.reference_checkpoint
    model = builder.build_model()
    conversion = reference_checkpoint.load_reference_checkpoint(
        model, prefix,
        backbone_only=FLAGS.backbone_only or bool(entry and
                                                  entry.backbone_only),
        skip_logits=FLAGS.skip_logits)
    print(conversion.summary())
  path = _write(model, conversion.global_step or 0)
  print(f'Wrote {path}; pass it as --checkpoint.')
  if entry:
    print('\n'.join(model_zoo.next_steps(entry, path, FLAGS.output_dir,
                                         gin_files[0], FLAGS.gin_bindings)))


if __name__ == '__main__':
  cli.run(main)
