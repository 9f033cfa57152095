"""Training examples that hold hard classes, seen more than once per epoch.

DeepLabv3 §4.3 duplicated, for its PASCAL VOC test-server model, the
training images that contain the hard classes (bicycle, chair, dining
table, potted plant, sofa). `DuplicatedHardClasses` wraps any source of
`pipeline` so that the experiment's gin file states the classes and the
number of copies:

  train_dataset.source = @train/DuplicatedHardClasses()
  train/DuplicatedHardClasses.source = @train/TFRecordSource()
  train/DuplicatedHardClasses.class_names = ['bicycle', 'chair']
  train/DuplicatedHardClasses.copies = 2
"""

import gin
import tensorflow as tf

from official.data import catalog


@gin.configurable
class DuplicatedHardClasses:
  """A source whose examples with any of `class_names` come `copies` times.

  Example:
    >>> source = DuplicatedHardClasses(
    ...     TFRecordSource('data/toy/tfrecords', 'train_aug'), ['disc'], 2)
    >>> element = source.decode(next(iter(source.records())))
  """

  def __init__(self, source=gin.REQUIRED, class_names=gin.REQUIRED, copies=2):
    """Resolves the class names against the dataset's.

    Args:
      source: a source with records() and decode() (e.g. TFRecordSource).
      class_names: names of the hard classes, as `catalog.dataset_info()`
        spells them.
      copies: how many times each example holding one of them is read per
        pass (1 leaves the source as it is).

    Raises:
      ValueError: for a class name the dataset does not have, or fewer than
        one copy.
    """
    names = catalog.dataset_info().class_names
    unknown = [name for name in class_names if name not in names]
    if unknown:
      raise ValueError(
          f'DuplicatedHardClasses.class_names: {", ".join(unknown)} not '
          f'among the dataset\'s classes ({", ".join(names)}).')
    if copies < 1:
      raise ValueError(
          f'DuplicatedHardClasses.copies must be at least 1, got {copies}.')
    self.source = source
    self.class_indices = [names.index(name) for name in class_names]
    self.copies = int(copies)

  def records(self, input_context=None, shuffle=False, seed=None):
    """The source's records, those holding a hard class repeated."""
    hard = tf.constant(self.class_indices, tf.int32)

    def repeated(record):
      label = tf.reshape(self.source.decode(record)['label'], [-1, 1])
      has_hard_class = tf.reduce_any(tf.equal(label, hard[tf.newaxis]))
      count = tf.where(has_hard_class, self.copies, 1)
      return tf.data.Dataset.from_tensors(record).repeat(
          tf.cast(count, tf.int64))

    records = self.source.records(input_context, shuffle=shuffle, seed=seed)
    return records.flat_map(repeated)

  def decode(self, record):
    return self.source.decode(record)
