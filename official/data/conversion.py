"""Writing a split of image/mask files as sharded TFRecords.

Shared by the dataset converters (tools/build_*_data.py): every sample is
read and checked (`image_files`) before it is written; a bad sample stops
the conversion with an error naming its file, or, with `skip_bad`, is left
out and reported. Shards are written under hidden temporary names and
replace the split's previous shards once the whole split is written.
"""

import dataclasses
import os
import sys
from typing import List, Optional, Tuple

import tensorflow as tf
import tqdm

from official.data import image_files
from official.data import tfrecord


@dataclasses.dataclass(frozen=True)
class Sample:
  """One image to convert.

  Attributes:
    filename: the id stored as `image/filename`.
    image_path: the RGB JPEG or PNG.
    label_path: the mask file, or None for an unlabelled split.
  """
  filename: str
  image_path: str
  label_path: Optional[str] = None


@dataclasses.dataclass
class SplitSummary:
  """What `write_split` did.

  Attributes:
    split: the split's name.
    num_written: examples written.
    skipped: (path, reason) of each sample left out.
    files: the shard files written.
  """
  split: str
  num_written: int = 0
  skipped: List[Tuple[str, str]] = dataclasses.field(default_factory=list)
  files: List[str] = dataclasses.field(default_factory=list)

  def __str__(self):
    text = (f'{self.split}: {self.num_written} examples in '
            f'{len(self.files)} shards')
    if self.skipped:
      text += f', {len(self.skipped)} skipped'
    return text


def read_sample(sample, load_label, read_image=image_files.read_rgb_image):
  """A sample's checked image and labels.

  Args:
    sample: a `Sample`.
    load_label: reads a mask file into a uint8 array [H, W] of labels.
    read_image: reads an image file into an `image_files.RgbImage`.

  Returns:
    (`image_files.RgbImage`, uint8 labels [H, W] or None if unlabelled).

  Raises:
    image_files.BadSampleError: for a bad image or mask, or differing sizes.
  """
  image = read_image(sample.image_path)
  if sample.label_path is None:
    return image, None
  label = load_label(sample.label_path)
  if label.shape != (image.height, image.width):
    raise image_files.BadSampleError(
        f'{sample.label_path}: mask size {label.shape[1]}x{label.shape[0]} '
        f'differs from image {sample.image_path} size '
        f'{image.width}x{image.height}.')
  return image, label


def _serialize(sample, load_label, read_image):
  """The sample's serialized example, after checking image and label."""
  image, label = read_sample(sample, load_label, read_image)
  label_png = None if label is None else image_files.encode_png(label)
  return tfrecord.encode_example(image.data, image.format, sample.filename,
                                 image.height, image.width, label_png)


def write_split(samples, split, output_dir, load_label, num_shards,
                skip_bad=False, stream=None,
                read_image=image_files.read_rgb_image):
  """Converts `samples` into `num_shards` TFRecord files of `split`.

  Args:
    samples: a sequence of `Sample`, in the order to write them.
    split: the split's name, the shard files' prefix.
    output_dir: where to write (created if needed).
    load_label: reads a mask file into a uint8 array [H, W] of labels,
      raising `image_files.BadSampleError` for a bad one.
    num_shards: number of files; consecutive samples share a file.
    skip_bad: leave out bad samples (each reported to `stream`) instead of
      raising.
    stream: where the progress bar and skipped samples are reported
      (default: `sys.stderr` at the time of the call).
    read_image: reads an image file into an `image_files.RgbImage`,
      raising `image_files.BadSampleError` for a bad one.

  Returns:
    A `SplitSummary`.

  Raises:
    image_files.BadSampleError: for the first bad sample, unless
      `skip_bad`. The split's previous files are then left as they were.
  """
  stream = sys.stderr if stream is None else stream
  tf.io.gfile.makedirs(output_dir)
  summary = SplitSummary(split)
  paths = [os.path.join(output_dir, tfrecord.shard_filename(split, index,
                                                            num_shards))
           for index in range(num_shards)]
  per_shard = -(-len(samples) // num_shards)
  progress = tqdm.tqdm(total=len(samples), desc=split, unit='images',
                       file=stream, ascii=True)
  # Hidden names, which the readers' '<split>-*' pattern does not match.
  temporary_paths = [os.path.join(output_dir, f'.{os.path.basename(path)}')
                     for path in paths]
  writers = [tf.io.TFRecordWriter(path) for path in temporary_paths]
  try:
    for index, sample in enumerate(samples):
      try:
        example = _serialize(sample, load_label, read_image)
      except image_files.BadSampleError as error:
        if not skip_bad:
          raise
        summary.skipped.append((sample.image_path, str(error)))
        progress.write(f'skipped: {error}', file=stream)
      else:
        writers[index // per_shard].write(example)
        summary.num_written += 1
      progress.update()
  except BaseException:
    progress.close()
    for writer, path in zip(writers, temporary_paths):
      writer.close()
      tf.io.gfile.remove(path)
    raise
  progress.close()
  # Shards of an earlier run with another shard count would be read too.
  for stale in tf.io.gfile.glob(os.path.join(output_dir,
                                             f'{split}-*.tfrecord')):
    tf.io.gfile.remove(stale)
  for writer, temporary_path, path in zip(writers, temporary_paths, paths):
    writer.close()
    tf.io.gfile.rename(temporary_path, path, overwrite=True)
  summary.files = paths
  return summary


class EmptySplitError(ValueError):
  """A split to convert has no examples."""


def convert(samples_by_split, output_dir, load_label, num_shards,
            skip_bad=False, stream=None, out=None,
            read_image=image_files.read_rgb_image, allow_empty_splits=False):
  """`write_split` for each split, then a summary of each on `out`.

  Args:
    samples_by_split: {split: sequence of `Sample`}.
    output_dir, load_label, num_shards, skip_bad, stream, read_image: as
      `write_split`.
    out: where the summaries go (default: `sys.stdout` at the time of the
      call).
    allow_empty_splits: write splits without examples (empty shards)
      instead of raising.

  Returns:
    [`SplitSummary`] in the order of `samples_by_split`.

  Raises:
    EmptySplitError: naming the splits without examples, before anything is
      written, unless `allow_empty_splits`.
  """
  empty = [split for split, samples in samples_by_split.items()
           if not samples]
  if empty and not allow_empty_splits:
    raise EmptySplitError(
        f'No examples found for split(s) {", ".join(empty)} (a wrong or '
        'incomplete dataset folder?); nothing was written. Pass '
        '--allow_empty_splits to write them empty.')
  out = sys.stdout if out is None else out
  summaries = [write_split(samples, split, output_dir, load_label, num_shards,
                           skip_bad, stream, read_image)
               for split, samples in samples_by_split.items()]
  out.write(f'Wrote {output_dir}:\n')
  for summary in summaries:
    out.write(f'  {summary}\n')
    for path, reason in summary.skipped:
      out.write(f'    skipped {path}: {reason}\n')
  return summaries
