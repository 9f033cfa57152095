"""The datasets we know by name, and the gin-configurable `dataset_info`.

A trainer or evaluator asks `dataset_info()` for the number of classes,
ignore label and class names, and in a configured experiment the model and
the pipelines follow it (`official.experiment`); gin picks a known dataset
by name or describes a custom one:

  dataset_info.name = 'pascal_voc_seg'

  dataset_info.num_classes = 3
  dataset_info.class_names = ['background', 'road', 'car']
"""

import dataclasses

import gin

from official.data import cityscapes
from official.data import dataset_info as dataset_info_lib
from official.data import toy
from official.data import voc

def _default_class_names(num_classes):
  return tuple(f'class_{index}' for index in range(num_classes))


DATASETS = {info.name: info for info in (voc.INFO, cityscapes.INFO,
                                         toy.INFO)}


@gin.configurable
def dataset_info(name=None, num_classes=None, ignore_label=None,
                 class_names=None):
  """A known dataset's `DatasetInfo`, or a custom one.

  Args:
    name: a key of `DATASETS`, or the name of a custom dataset.
    num_classes: overrides the known dataset's; required for a custom one.
    ignore_label: overrides the known dataset's (default
      `dataset_info.IGNORE_LABEL`).
    class_names: overrides the known dataset's; default 'class_0', ...

  Returns:
    A `dataset_info.DatasetInfo`.

  Raises:
    ValueError: if neither a known name nor num_classes is given, or the
      class names do not match the number of classes.
  """
  if name in DATASETS:
    info = DATASETS[name]
  elif num_classes is None:
    raise ValueError(
        f'dataset_info: unknown dataset {name!r} (known: '
        f'{", ".join(sorted(DATASETS))}); give num_classes for a custom one.')
  else:
    info = dataset_info_lib.DatasetInfo(
        name=name or 'custom', num_classes=num_classes,
        ignore_label=dataset_info_lib.IGNORE_LABEL,
        class_names=_default_class_names(num_classes))
  if class_names is None and num_classes not in (None, info.num_classes):
    class_names = _default_class_names(num_classes)
  overrides = {'num_classes': num_classes, 'ignore_label': ignore_label,
               'class_names': None if class_names is None else
                              tuple(class_names)}
  return dataclasses.replace(
      info, **{key: value for key, value in overrides.items()
               if value is not None})
