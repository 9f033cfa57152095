"""Calibration images for int8 LiteRT export, from the experiment's own data.

Full-integer quantization fixes each activation's range from the float
model's activations on these images, so they should look like what the
model will serve: real images of the dataset, by default its training
split (`train_dataset.source` of the gin config), shuffled with a fixed seed
so that one export calibrates as the next.
"""

import numpy as np
import tqdm

DEFAULT_NUM_IMAGES = 100
# Records shuffled at once before the first images are taken (undecoded).
_SHUFFLE_BUFFER_SIZE = 1000


def calibration_images(source, num_images, input_size, split_name=None,
                       seed=0):
  """`num_images` uint8 images of `source`, each cut to fit `input_size`.

  Images larger than the input keep their top-left `input_size` corner (the
  export rejects larger inputs, so the model never serves beyond it).

  Args:
    source: a data source (`records()` and `decode()`, e.g. TFRecordSource).
    num_images: how many, at least 1.
    input_size: (H, W) of the export's fixed input.
    split_name: the split's name, for errors.
    seed: seed of the shuffle that picks the images.

  Returns:
    A list of uint8 numpy arrays [h, w, 3], h <= H and w <= W.

  Raises:
    ValueError: if `num_images` < 1 or the split has fewer images.
  """
  if num_images < 1:
    raise ValueError(f'num_calibration_images must be at least 1, got '
                     f'{num_images}.')
  height, width = input_size
  records = source.records(shuffle=True, seed=seed).shuffle(
      _SHUFFLE_BUFFER_SIZE, seed=seed).take(num_images)
  images = []
  for record in tqdm.tqdm(records, total=num_images,
                          desc='reading calibration images', unit='image'):
    image = source.decode(record)['image']
    images.append(np.asarray(image)[:height, :width])
  if len(images) < num_images:
    raise ValueError(
        f'The calibration split {split_name or source!r} has {len(images)} '
        f'images, fewer than the {num_images} asked for: lower '
        '--num_calibration_images.')
  return images
