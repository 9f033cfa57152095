"""The original DeepLab's model zoo: what each checkpoint is and how it scores.

One row per tarball of research/deeplab's g3doc/model_zoo.md (protocols.md
§4): its file under `BASE_URL`, the experiment config that builds its
network, the evaluation settings the zoo reports and the mIoU it reports for
them. Rows whose network we do not build (dense prediction cell, MobileNetV3,
EdgeTPU-MobileNet, quantization-aware graphs) say why instead of a config.

Example:
  >>> entry = ENTRIES['xception65_coco_voc_trainaug']
  >>> entry.url(BASE_URL)
  'http://download.tensorflow.org/models/deeplabv3_pascal_train_aug_2018_01_04.tar.gz'
  >>> entry.evals[1].scales
  (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
"""

import dataclasses
import shlex
from typing import Optional, Tuple

BASE_URL = 'http://download.tensorflow.org/models'

# The zoo's scale ranges, [0.5:0.25:1.75] and [0.75:0.25:1.25].
_SCALES_VOC = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
_SCALES_CITYSCAPES = (0.75, 1.0, 1.25)

_DATASET_TITLES = {'pascal_voc_seg': 'PASCAL VOC 2012',
                   'cityscapes': 'Cityscapes', 'ade20k': 'ADE20K',
                   'imagenet': 'ImageNet'}


@dataclasses.dataclass(frozen=True)
class EvalSetting:
  """One evaluation the zoo reports for a checkpoint.

  Attributes:
    output_stride: eval output stride.
    scales: eval input scales.
    flip: whether left-right flipped inputs were added.
    miou: the reported mIoU, in percent.
    split: 'val', or 'test' for a test-server figure.
  """
  output_stride: int
  scales: Tuple[float, ...] = (1.0,)
  flip: bool = False
  miou: float = 0.0
  split: str = 'val'

  def describe(self):
    scales = ','.join(f'{scale:g}' for scale in self.scales)
    return (f'OS {self.output_stride}, scales {scales}'
            + (', flipped' if self.flip else ''))

  def flags(self):
    """The eval protocol flags of `official.eval` and `official.predict`."""
    flags = [f'--eval_output_stride={self.output_stride}']
    if self.scales != (1.0,):
      flags.append('--eval_scales=' +
                   ','.join(f'{scale:g}' for scale in self.scales))
    if self.flip:
      flags.append('--add_flipped_images')
    return flags


@dataclasses.dataclass(frozen=True)
class ZooEntry:
  """A model zoo checkpoint.

  Attributes:
    name: its name in the model zoo.
    dataset: 'pascal_voc_seg', 'cityscapes', 'ade20k' or 'imagenet'.
    network: the network, in words.
    tarball: file name under the zoo's base URL, without '.tar.gz'.
    gin_file: the experiment config that builds its network; None if not
      built.
    evals: the evaluations the zoo reports.
    not_built: why we cannot convert it, for rows without a gin_file.
  """
  name: str
  dataset: str
  network: str
  tarball: str
  gin_file: Optional[str] = None
  evals: Tuple[EvalSetting, ...] = ()
  not_built: Optional[str] = None

  @property
  def backbone_only(self):
    """ImageNet checkpoints hold a backbone and no head."""
    return self.dataset == 'imagenet'

  def url(self, base_url):
    return f'{base_url.rstrip("/")}/{self.tarball}.tar.gz'


def _voc(name, network, tarball, gin_file, *evals):
  return ZooEntry(name, 'pascal_voc_seg', network, tarball, gin_file, evals)


def _cityscapes(name, network, tarball, gin_file, *evals):
  return ZooEntry(name, 'cityscapes', network, tarball, gin_file, evals)


def _ade20k(name, network, tarball, gin_file, *evals):
  return ZooEntry(name, 'ade20k', network, tarball, gin_file, evals)


def _imagenet(name, network, tarball, gin_file):
  return ZooEntry(name, 'imagenet', network, tarball, gin_file)


def _not_built(name, dataset, network, tarball, reason):
  return ZooEntry(name, dataset, network, tarball, not_built=reason)


_MNV2_VOC = 'gin_configs/voc/mobilenetv2_os16.gin'
_MNV2_DM05_VOC = 'gin_configs/voc/mobilenetv2_dm05_os16.gin'
_X65_VOC = 'gin_configs/voc/xception65_decoder_sc_os16.gin'
_DPC = ('dense prediction cell head (meta_architecture/), which we do not '
        'build; its Xception-71 backbone converts with --backbone_only and '
        '--gin_file=gin_configs/cityscapes/xception71_decoder_sc_os16.gin')
_MNV3 = 'MobileNetV3 backbone with a squeeze-and-excitation LR-ASPP head'
_EDGETPU = 'EdgeTPU-MobileNet backbone'
_QUANTIZED = ('quantization-aware graph with fake-quant ranges; convert the '
              'float checkpoint {} and quantize at export '
              '(official.export --format=litert --quantize=int8)')

ENTRIES = {entry.name: entry for entry in (
    _voc('mobilenetv2_dm05_coco_voc_trainaug', 'MobileNetV2 depth 0.5',
         'deeplabv3_mnv2_dm05_pascal_trainaug_2018_10_01', _MNV2_DM05_VOC,
         EvalSetting(16, miou=70.19)),
    _voc('mobilenetv2_dm05_coco_voc_trainval', 'MobileNetV2 depth 0.5',
         'deeplabv3_mnv2_dm05_pascal_trainval_2018_10_01', _MNV2_DM05_VOC,
         EvalSetting(8, miou=71.83, split='test')),
    _voc('mobilenetv2_coco_voc_trainaug', 'MobileNetV2',
         'deeplabv3_mnv2_pascal_train_aug_2018_01_29', _MNV2_VOC,
         EvalSetting(16, miou=75.32),
         EvalSetting(8, _SCALES_VOC, True, miou=77.33)),
    _voc('mobilenetv2_coco_voc_trainval', 'MobileNetV2',
         'deeplabv3_mnv2_pascal_trainval_2018_01_29', _MNV2_VOC,
         EvalSetting(8, _SCALES_VOC, True, miou=80.25, split='test')),
    _voc('xception65_coco_voc_trainaug', 'Xception-65, SC ASPP + decoder',
         'deeplabv3_pascal_train_aug_2018_01_04', _X65_VOC,
         EvalSetting(16, miou=82.20),
         EvalSetting(8, _SCALES_VOC, True, miou=83.58)),
    _voc('xception65_coco_voc_trainval', 'Xception-65, SC ASPP + decoder',
         'deeplabv3_pascal_trainval_2018_01_04', _X65_VOC,
         EvalSetting(8, _SCALES_VOC, True, miou=87.80, split='test')),
    _not_built('mobilenetv2_coco_voc_trainaug_8bit', 'pascal_voc_seg',
               'MobileNetV2, 8-bit',
               'deeplabv3_mnv2_pascal_train_aug_8bit_2019_04_26',
               _QUANTIZED.format('mobilenetv2_coco_voc_trainaug')),
    _not_built('mobilenetv2_dm05_coco_voc_trainaug_8bit', 'pascal_voc_seg',
               'MobileNetV2 depth 0.5, 8-bit',
               'deeplabv3_mnv2_dm05_pascal_train_aug_8bit_2019_04_26',
               _QUANTIZED.format('mobilenetv2_dm05_coco_voc_trainaug')),
    _cityscapes('mobilenetv2_coco_cityscapes_trainfine', 'MobileNetV2',
                'deeplabv3_mnv2_cityscapes_train_2018_02_05',
                'gin_configs/cityscapes/mobilenetv2_os16.gin',
                EvalSetting(16, miou=70.71),
                EvalSetting(8, _SCALES_CITYSCAPES, True, miou=73.57)),
    _cityscapes('xception65_cityscapes_trainfine',
                'Xception-65, SC ASPP + decoder',
                'deeplabv3_cityscapes_train_2018_02_06',
                'gin_configs/cityscapes/xception65_decoder_sc_os16.gin',
                EvalSetting(16, miou=78.79),
                EvalSetting(8, _SCALES_CITYSCAPES, True, miou=80.42)),
    _not_built('mobilenetv3_large_cityscapes_trainfine', 'cityscapes',
               'MobileNetV3 large',
               'deeplab_mnv3_large_cityscapes_trainfine_2019_11_15', _MNV3),
    _not_built('mobilenetv3_small_cityscapes_trainfine', 'cityscapes',
               'MobileNetV3 small',
               'deeplab_mnv3_small_cityscapes_trainfine_2019_11_15', _MNV3),
    _not_built('xception71_dpc_cityscapes_trainfine', 'cityscapes',
               'Xception-71, DPC',
               'deeplab_cityscapes_xception71_trainfine_2018_09_08', _DPC),
    _not_built('xception71_dpc_cityscapes_trainval', 'cityscapes',
               'Xception-71, DPC',
               'deeplab_cityscapes_xception71_trainvalfine_2018_09_08', _DPC),
    _not_built('edgetpu_deeplab', 'cityscapes', 'EdgeTPU-MobileNet',
               'edgetpu-deeplab_2020_03_09', _EDGETPU),
    _not_built('edgetpu_deeplab_slim', 'cityscapes', 'EdgeTPU-MobileNet 0.75',
               'edgetpu-deeplab-slim_2020_03_09', _EDGETPU),
    _ade20k('mobilenetv2_ade20k_train', 'MobileNetV2, decoder',
            'deeplabv3_mnv2_ade20k_train_2018_12_03',
            'gin_configs/ade20k/mobilenetv2_decoder_os16.gin',
            EvalSetting(16, miou=32.04)),
    _ade20k('xception65_ade20k_train', 'Xception-65, SC ASPP + decoder',
            'deeplabv3_xception_ade20k_train_2018_05_29',
            'gin_configs/ade20k/xception65_decoder_sc_os8.gin',
            EvalSetting(8, _SCALES_VOC, True, miou=45.65)),
    _imagenet('xception_41_imagenet', 'Xception-41', 'xception_41_2018_05_09',
              'gin_configs/voc/xception41_decoder_sc_os16.gin'),
    _imagenet('xception_65_imagenet', 'Xception-65',
              'deeplabv3_xception_2018_01_04', _X65_VOC),
    _imagenet('xception_65_imagenet_coco', 'Xception-65 (ImageNet + COCO)',
              'xception_65_coco_pretrained_2018_10_02', _X65_VOC),
    _imagenet('xception_71_imagenet', 'Xception-71', 'xception_71_2018_05_09',
              'gin_configs/cityscapes/xception71_decoder_sc_os16.gin'),
    _imagenet('resnet_v1_50_beta_imagenet', 'ResNet-50 beta',
              'resnet_v1_50_2018_05_04',
              'gin_configs/voc/resnet50_decoder_os16.gin'),
    _imagenet('resnet_v1_101_beta_imagenet', 'ResNet-101 beta',
              'resnet_v1_101_2018_05_04',
              'gin_configs/voc/resnet101_decoder_os16.gin'),
)}


def entry(name):
  """The entry called `name`.

  Raises:
    ValueError: for an unknown name, or one whose network we do not build.
  """
  if name not in ENTRIES:
    raise ValueError(f'--model_zoo={name}: no such model zoo checkpoint; '
                     '--model_zoo=list shows them.')
  found = ENTRIES[name]
  if found.not_built:
    raise ValueError(f'--model_zoo={name}: not convertible: {found.not_built}.')
  return found


def by_tarball(path):
  """The entry whose tarball has `path`'s file name, or None."""
  name = path.rstrip('/').rpartition('/')[2]
  for candidate in ENTRIES.values():
    if name == f'{candidate.tarball}.tar.gz':
      return candidate
  return None


def table():
  """The zoo as text, one row per entry, for `--model_zoo=list`."""
  rows = [('name', 'dataset', 'network', 'config', 'reported mIoU')]
  for item in ENTRIES.values():
    if item.not_built:
      config, reported = 'not built', item.not_built
    elif not item.evals:
      config, reported = item.gin_file, 'backbone init (--backbone_only)'
    else:
      config = item.gin_file
      reported = '; '.join(f'{setting.miou:.2f} {setting.split} '
                           f'({setting.describe()})'
                           for setting in item.evals)
    rows.append((item.name, _DATASET_TITLES[item.dataset], item.network,
                 config, reported))
  widths = [max(len(row[column]) for row in rows) for column in range(4)]
  return '\n'.join(
      '  '.join(cell.ljust(width) for cell, width in zip(row, widths))
      + '  ' + row[4] for row in rows)


def _command(binary, arguments):
  return ' '.join(['python', '-m', binary] +
                  [shlex.quote(argument) for argument in arguments])


def next_steps(item, checkpoint_path, output_dir, gin_file, gin_bindings=()):
  """Lines telling how to evaluate (or train from) a converted checkpoint.

  Args:
    item: the `ZooEntry`.
    checkpoint_path: the converted checkpoint's prefix.
    output_dir: the folder it is in.
    gin_file: the config it was converted with.
    gin_bindings: the bindings it was converted with.

  Returns:
    A list of lines: for each reported evaluation, the reported figure and
    the `official.eval` command (`official.predict` for test-server figures)
    of that protocol; for an ImageNet backbone, the `official.train`
    command that starts from it.
  """
  common = [f'--checkpoint={checkpoint_path}', f'--gin_file={gin_file}'] + [
      f'--gin_bindings={binding}' for binding in gin_bindings]
  if item.backbone_only:
    return ['Train from it (the backbone loads, the head starts fresh):',
            '  ' + _command('official.train', [
                f'--model_dir=runs/{item.name}', *common,
                "--gin_bindings=train.init_mode = 'backbone'"])]
  title = _DATASET_TITLES[item.dataset]
  lines = []
  for setting in item.evals:
    name = (f'os{setting.output_stride}' +
            ('_ms' if len(setting.scales) > 1 else '') +
            ('_flip' if setting.flip else ''))
    if setting.split == 'test':
      lines.append(
          f'The model zoo reports {setting.miou:.2f}% mIoU on the {title} '
          f'test server ({setting.describe()}); its training data include '
          'val. Predict the test images with that protocol and submit them:')
      extra = (['--cityscapes_label_ids'] if item.dataset == 'cityscapes'
               else [])
      lines.append('  ' + _command('official.predict', [
          *common, *setting.flags(), *extra, '--input=TEST_IMAGES',
          f'--output_dir={output_dir}/test_{name}']))
    else:
      lines.append(f'The model zoo reports {setting.miou:.2f}% mIoU on '
                   f'{title} val ({setting.describe()}):')
      lines.append('  ' + _command('official.eval', [
          f'--model_dir={output_dir}', *common, *setting.flags(),
          f'--eval_dir={output_dir}/eval_{name}']))
  return lines
