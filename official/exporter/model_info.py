"""What an export holds, as `assets.extra/model_info.json` records it.

Multiply-adds are counted as `python -m tools.count_madds` counts them, on
the unfolded model (folding batch norm changes no conv) at the export's crop
size, or at 513x513 when it has none: the paper's convention and the tool's
default, since such an export serves any size.
"""

from official.model import madds

# The size multiply-adds are counted at when an export has no crop size.
DEFAULT_INPUT_SIZE = (513, 513)


def model_info(model, class_names, input_size=None, eval_scales=(1.0,),
               add_flipped_images=False):
  """The export's summary: cost, classes and evaluation protocol.

  Args:
    model: the exported `DeepLab`, at its export output stride.
    class_names: one name per class.
    input_size: the export's crop size (height, width), or None.
    eval_scales: the export's input scales.
    add_flipped_images: whether the export also runs flipped inputs.

  Returns:
    A dict of JSON values: paper_madds_b, executed_madds_b, params,
    num_classes, class_names, input_size, output_stride, eval_scales,
    add_flipped_images.

  Raises:
    ValueError: if there is not one class name per class.
  """
  if len(class_names) != model.num_classes:
    raise ValueError(f'{len(class_names)} class names for a model of '
                     f'{model.num_classes} classes.')
  input_size = tuple(input_size or DEFAULT_INPUT_SIZE)
  cost = madds.eval_cost(model, input_size, eval_scales, add_flipped_images)
  return {
      'paper_madds_b': round(cost.paper_madds / 1e9, 4),
      'executed_madds_b': round(cost.executed_madds / 1e9, 4),
      'params': cost.params,
      'num_classes': model.num_classes,
      'class_names': list(class_names),
      'input_size': list(input_size),
      'output_stride': model.output_stride,
      'eval_scales': [float(scale) for scale in eval_scales],
      'add_flipped_images': bool(add_flipped_images),
  }
