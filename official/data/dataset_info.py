"""What a trainer and an evaluator need to know about a dataset."""

import dataclasses
from typing import Mapping, Tuple

# The label of pixels that take no part, in every dataset we know (the
# converters write it into the masks).
IGNORE_LABEL = 255


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """A segmentation dataset's classes and splits.

  Attributes:
    name: a short name, e.g. 'pascal_voc_seg'.
    num_classes: number of logit channels.
    ignore_label: label of pixels that take no part in loss or metrics.
    class_names: one name per class, in class order.
    split_sizes: number of images of each split of the full dataset.
    colormap: name of its palette in `colormap.COLORMAPS`.
  """
  name: str
  num_classes: int
  ignore_label: int
  class_names: Tuple[str, ...]
  split_sizes: Mapping[str, int] = dataclasses.field(default_factory=dict)
  colormap: str = 'pascal'

  def __post_init__(self):
    if len(self.class_names) != self.num_classes:
      raise ValueError(
          f'Dataset {self.name!r}: {len(self.class_names)} class names for '
          f'{self.num_classes} classes.')
