"""The original DeepLab's prediction protocol, shared by eval, predict, export.

Single scale: head logits resized (bilinear, aligned corners) to the input
size. Multi-scale and flip (reference §6): per scale and flip, softmax of the
logits at full resolution, averaged. Sliding window (not in the original, for
images larger than the crop the model was trained at): any of the two on
windows of a fixed size, probabilities averaged where windows overlap.

Every function takes a model with `head_logits(images, training)` and
`logits_output_stride` (`official.model.deeplab.DeepLab`), float32 images in
0..255 of shape [B, H, W, 3], and traces in `tf.function` with H and W static
or unknown.
"""

import tensorflow as tf

from official.ops import mean_pixel
from official.ops import resize


def _spatial_size(images):
  """[height, width], each a Python int where static, else a scalar tensor."""
  dynamic = tf.shape(images)[1:3]
  return [images.shape[i + 1] if images.shape[i + 1] is not None else
          dynamic[i] for i in range(2)]


def upsampled_logits(model, images):
  """Head logits bilinearly resized to the input size: the single-scale path.

  Example:
    >>> logits = upsampled_logits(model, tf.zeros([1, 65, 65, 3]))
    >>> logits.shape[:3]
    TensorShape([1, 65, 65])
  """
  logits = model.head_logits(images, training=False)
  return resize.resize_bilinear(logits, _spatial_size(images))


def multi_scale_probabilities(model, images, eval_scales,
                              add_flipped_images=False):
  """Softmax probabilities averaged over scales and flips at full resolution.

  For each scale s the input is resized to scale_dimension(H, s) x
  scale_dimension(W, s); its head logits are resized to
  scale_dimension(H, max(1, s) / logits_output_stride) (and W), then to H x W,
  then go through a softmax. A flipped input is run at the same scale and
  its logits are flipped back before the resizes. Differences from the
  original: it returns the average itself (the original's probability output
  is a softmax of that average; the argmax is the same), and `[1.0]` with
  flips runs the flips (the original ignores flips at a single scale 1.0).

  Args:
    model: the segmentation model.
    images: float32 [B, H, W, 3].
    eval_scales: sequence of positive floats, e.g. (0.5, 0.75, 1.0, 1.25, 1.5,
      1.75) for PASCAL VOC.
    add_flipped_images: also run every scale on the left-right flip.

  Returns:
    float32 [B, H, W, C] probabilities.

  Example:
    >>> probabilities = multi_scale_probabilities(
    ...     model, tf.zeros([1, 65, 65, 3]), (0.5, 1.0, 1.5), True)
    >>> probabilities.shape[:3]
    TensorShape([1, 65, 65])
  """
  if not eval_scales or min(eval_scales) <= 0:
    raise ValueError(f'eval_scales must be positive numbers, got '
                     f'{eval_scales!r}.')
  height, width = _spatial_size(images)
  batch_size = tf.shape(images)[0]
  if add_flipped_images:
    # One model call per scale: the flip rides in the batch.
    images = tf.concat([images, tf.reverse(images, [2])], 0)
  probabilities = []
  for scale in eval_scales:
    scaled = images
    if scale != 1.0:
      scaled = resize.resize_bilinear(
          images, [resize.scale_dimension(height, scale),
                   resize.scale_dimension(width, scale)])
    logits = model.head_logits(scaled, training=False)
    logits_scale = max(1.0, scale) / model.logits_output_stride
    logits = resize.resize_bilinear(
        logits, [resize.scale_dimension(height, logits_scale),
                 resize.scale_dimension(width, logits_scale)])
    if add_flipped_images:
      logits, flipped = logits[:batch_size], logits[batch_size:]
      logits = tf.concat([logits, tf.reverse(flipped, [2])], 0)
    logits = resize.resize_bilinear(logits, [height, width])
    probabilities.append(tf.nn.softmax(logits))
  total = tf.add_n(probabilities)
  if add_flipped_images:
    total = total[:batch_size] + total[batch_size:]
    return total / (2 * len(eval_scales))
  return total / len(eval_scales)


def _maximum(size, other):
  """Larger of two sizes, a Python int when both are (static shapes)."""
  if isinstance(size, int) and isinstance(other, int):
    return max(size, other)
  return tf.maximum(size, other)


def _window_offsets(length, window, stride):
  """Window starts every `stride` pixels, the last one flush with the end."""
  last = length - window
  count = (last + stride - 1) // stride + 1
  return tf.minimum(tf.range(count) * stride, last)


def _coverage(offsets, window, length):
  """[length] float32: how many windows starting at `offsets` cover a pixel."""
  positions = tf.range(length)[tf.newaxis]
  starts = offsets[:, tf.newaxis]
  covered = (positions >= starts) & (positions < starts + window)
  return tf.reduce_sum(tf.cast(covered, tf.float32), 0)


def sliding_window_probabilities(predict_fn, images, window_size,
                                 window_stride=None):
  """Probabilities of windows averaged per pixel over the windows covering it.

  Windows of `window_size` start every `window_stride` pixels, the last one
  flush with the bottom/right border. An image smaller than a window is
  padded bottom/right with `mean_pixel.MEAN_PIXEL`, as the eval input is, and the
  prediction cropped back. Probabilities (not logits) are averaged, as the
  multi-scale merge does, so `predict_fn` may itself be multi-scale.

  Args:
    predict_fn: float32 [B, h, w, 3] -> float32 [B, h, w, C] probabilities.
    images: float32 [B, H, W, 3].
    window_size: (h, w) Python ints, e.g. the training crop (769, 769).
    window_stride: (h, w) Python ints, at most `window_size`; defaults to
      `window_size` (no overlap except the flush last window).

  Returns:
    float32 [B, H, W, C] probabilities.

  Example:
    >>> predict_fn = lambda x: tf.nn.softmax(upsampled_logits(model, x))
    >>> probabilities = sliding_window_probabilities(
    ...     predict_fn, tf.zeros([1, 100, 200, 3]), (65, 65), (48, 48))
    >>> probabilities.shape[:3]
    TensorShape([1, 100, 200])
  """
  window_height, window_width = window_size
  stride_height, stride_width = window_stride or window_size
  if not (0 < stride_height <= window_height and
          0 < stride_width <= window_width):
    raise ValueError(f'window_stride {window_stride} must be positive and at '
                     f'most window_size {window_size}.')
  height, width = _spatial_size(images)
  padded_height = _maximum(height, window_height)
  padded_width = _maximum(width, window_width)
  images = tf.pad(
      images, [[0, 0], [0, padded_height - height], [0, padded_width - width],
               [0, 0]], constant_values=mean_pixel.MEAN_PIXEL)
  row_offsets = _window_offsets(padded_height, window_height, stride_height)
  column_offsets = _window_offsets(padded_width, window_width, stride_width)
  num_columns = tf.size(column_offsets)

  def add_window(index, total):
    top = row_offsets[index // num_columns]
    left = column_offsets[index % num_columns]
    window = tf.slice(images, [0, top, left, 0],
                      [-1, window_height, window_width, -1])
    probabilities = predict_fn(window)
    placed = tf.pad(probabilities, [
        [0, 0], [top, padded_height - top - window_height],
        [left, padded_width - left - window_width], [0, 0]])
    return index + 1, total + placed

  # The number of classes is only known from predict_fn's output, so the sum
  # starts as a single zero channel that broadcasts on the first addition.
  # One window at a time: memory stays that of one whole-window prediction.
  total = tf.zeros([tf.shape(images)[0], padded_height, padded_width, 1])
  _, total = tf.while_loop(
      lambda index, _: index < tf.size(row_offsets) * num_columns,
      add_window, [tf.constant(0), total],
      shape_invariants=[tf.TensorShape([]),
                        tf.TensorShape(total.shape[:3] + [None])],
      parallel_iterations=1)
  coverage = (
      _coverage(row_offsets, window_height, padded_height)[:, tf.newaxis] *
      _coverage(column_offsets, window_width, padded_width)[tf.newaxis, :])
  return (total / coverage[tf.newaxis, :, :, tf.newaxis])[:, :height, :width]


def predict(model, images, eval_scales=(1.0,), add_flipped_images=False,
            window_size=None, window_stride=None):
  """Probabilities and labels of `images` under the configured protocol.

  Single scale (`eval_scales` (1.0,), no flips) labels are the argmax of the
  upsampled logits, as the original; otherwise the argmax of the averaged
  probabilities. Whole-image inference unless `window_size` is given.

  Args:
    model: the segmentation model.
    images: float32 [B, H, W, 3] in 0..255.
    eval_scales: see `multi_scale_probabilities`.
    add_flipped_images: see `multi_scale_probabilities`.
    window_size: (h, w) for sliding-window inference, or None.
    window_stride: see `sliding_window_probabilities`.

  Returns:
    {'probabilities': float32 [B, H, W, C], 'predictions': int32 [B, H, W]}.

  Example:
    >>> outputs = predict(model, tf.zeros([2, 65, 65, 3]), (0.75, 1.0), True)
    >>> outputs['predictions'].shape
    TensorShape([2, 65, 65])
  """
  single_scale = tuple(eval_scales) == (1.0,) and not add_flipped_images
  if single_scale and window_size is None:
    logits = upsampled_logits(model, images)
    return {'probabilities': tf.nn.softmax(logits),
            'predictions': tf.argmax(logits, -1, output_type=tf.int32)}

  def predict_fn(inputs):
    if single_scale:
      return tf.nn.softmax(upsampled_logits(model, inputs))
    return multi_scale_probabilities(model, inputs, eval_scales,
                                     add_flipped_images)

  if window_size is None:
    probabilities = predict_fn(images)
  else:
    probabilities = sliding_window_probabilities(
        predict_fn, images, window_size, window_stride)
  return {'probabilities': probabilities,
          'predictions': tf.argmax(probabilities, -1, output_type=tf.int32)}
