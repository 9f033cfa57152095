"""The exported signatures: images or encoded files in, labels and probabilities out.

Both signatures run the original export's graph (reference §7) on a batch:
pad bottom/right with the mean pixel, predict with the evaluation protocol
(`inference.predict`: scales and flips merged at full resolution), crop the
padding off again. The padded size, per dimension, is the export's crop size
when the image fits in it, as the original's; otherwise (a larger image, or
no crop size given) the smallest `k * output_stride + 1` that holds it, the
size whose feature maps align corner to corner (reference §0).

Malformed inputs fail with an `InvalidArgumentError` that names the input:
a wrong rank or channel count, an empty batch, an image of zero height or
width, a string that is not a JPEG or PNG file or images of different sizes
in one `image_bytes` batch (naming the element, `image_bytes[i]`). A file
with a JPEG or PNG header but corrupt data is reported by TensorFlow's
decoder, which does not know the element. The signature itself rejects a
wrong dtype.
"""

import tensorflow as tf

from official.evaluator import inference
from official.ops import mean_pixel
from official.ops import resize

IMAGE_SPEC = tf.TensorSpec([None, None, None, 3], tf.uint8, name='image')
IMAGE_BYTES_SPEC = tf.TensorSpec([None], tf.string, name='image_bytes')

_JPEG_MAGIC = b'\xff\xd8\xff'
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def padded_size(size, output_stride, crop_size=None):
  """The size a dimension is padded to (tensors or Python ints).

  Args:
    size: the image's height or width.
    output_stride: the model's output stride.
    crop_size: the export's crop height or width, or None.

  Example:
    >>> padded_size(300, 16, crop_size=513), padded_size(600, 16, 513)
    (513, 609)
  """
  aligned = resize.aligned_size(size, output_stride)
  if crop_size is None:
    return aligned
  if isinstance(aligned, tf.Tensor):
    return tf.maximum(aligned, crop_size)
  return max(aligned, crop_size)


def padded_outputs(model, images, height, width, pad_height, pad_width,
                   eval_scales, add_flipped_images):
  """Both outputs of uint8 `images` padded with the mean pixel by
  (`pad_height`, `pad_width`), cropped back to `height` x `width`."""
  padded = tf.pad(tf.cast(images, tf.float32),
                  [[0, 0], [0, pad_height], [0, pad_width], [0, 0]],
                  constant_values=mean_pixel.MEAN_PIXEL)
  outputs = inference.predict(model, padded, eval_scales, add_flipped_images)
  return {
      'semantic_predictions': outputs['predictions'][:, :height, :width],
      'semantic_probabilities': outputs['probabilities'][:, :height, :width],
  }


def _check_shape(tensor, rank, last_dimension, message):
  """An assert that `tensor` has `rank` dimensions, all > 0, the last given.

  A loaded signature lets a tensor of any shape through, and TensorFlow
  folds checks against the static shape it declares (`tf.rank` is always 4
  there), so this reads the shape at run time, padded with -1 so that any
  rank can be indexed.
  """
  shape = tf.shape(tensor)
  padded = tf.concat([shape, [-1] * (rank + 1)], 0)
  valid = tf.reduce_all(padded[:rank] > 0) & tf.equal(padded[rank], -1)
  if last_dimension is not None:
    valid &= tf.equal(padded[rank - 1], last_dimension)
  return tf.debugging.Assert(valid, [f'{message}; its shape is', shape],
                             summarize=8)


def _decode(encoded, index):
  """One JPEG or PNG file as uint8 [H, W, 3] (gray and RGBA converted).

  `index`, the file's place in the batch, is named by the error.
  """
  is_image = tf.logical_or(
      tf.equal(tf.strings.substr(encoded, 0, len(_JPEG_MAGIC)), _JPEG_MAGIC),
      tf.equal(tf.strings.substr(encoded, 0, len(_PNG_MAGIC)), _PNG_MAGIC))
  check = tf.debugging.Assert(is_image, [tf.strings.format(
      'image_bytes[{}] is not a JPEG or PNG file (a string of {} bytes)',
      [index, tf.strings.length(encoded)])])
  with tf.control_dependencies([check]):
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
  image.set_shape([None, None, 3])
  return image


def decode_images(image_bytes):
  """A batch of JPEG or PNG files as uint8 [batch, H, W, 3], all one size."""
  with tf.control_dependencies([_check_shape(
      image_bytes, 1, None,
      'image_bytes must be a [batch] vector of at least one file')]):
    first = _decode(image_bytes[0], 0)
  count = tf.size(image_bytes)
  images = tf.TensorArray(tf.uint8, size=count, element_shape=[None, None, 3],
                          infer_shape=False).write(0, first)

  def decode_next(index, images):
    image = _decode(image_bytes[index], index)
    same_size = tf.debugging.Assert(
        tf.reduce_all(tf.equal(tf.shape(image), tf.shape(first))),
        [tf.strings.format(
            'image_bytes must hold images of one size to make a batch; '
            'image_bytes[{}] is {}, image_bytes[0] {}',
            [index, tf.shape(image), tf.shape(first)])])
    with tf.control_dependencies([same_size]):
      return index + 1, images.write(index, image)

  _, images = tf.while_loop(lambda index, _: index < count, decode_next,
                            [tf.constant(1), images])
  return images.stack()


def serving_functions(model, eval_scales=(1.0,), add_flipped_images=False,
                      crop_size=None, jit_compile=False):
  """The two signatures' functions, to trace with their input specs.

  Args:
    model: a `DeepLab` (or anything `inference.predict` takes that has an
      `output_stride`).
    eval_scales: input scales whose probabilities are averaged.
    add_flipped_images: also run every scale on the left-right flip.
    crop_size: (height, width) images are padded to, or None.
    jit_compile: compile the padded prediction with XLA (worth it on GPUs
      and TPUs; slower on CPUs, see BENCHMARKS.md).

  Returns:
    {signature name: (function, input spec)} for `serving_default` (input
    `image`) and `serving_bytes` (input `image_bytes`); each function
    returns {'semantic_predictions': int32 [batch, H, W],
    'semantic_probabilities': float32 [batch, H, W, num_classes]}.

  Example:
    >>> functions = serving_functions(model, crop_size=(65, 65))
    >>> function, spec = functions['serving_default']
    >>> outputs = tf.function(function, input_signature=[spec])(
    ...     tf.zeros([1, 40, 50, 3], tf.uint8))
    >>> outputs['semantic_predictions'].shape
    TensorShape([1, 40, 50])
  """
  crop_height, crop_width = crop_size or (None, None)
  eval_scales = tuple(eval_scales)

  @tf.function(jit_compile=jit_compile, autograph=False)
  def predict(images):
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    pad_height = padded_size(height, model.output_stride, crop_height) - height
    pad_width = padded_size(width, model.output_stride, crop_width) - width
    return padded_outputs(model, images, height, width, pad_height,
                          pad_width, eval_scales, add_flipped_images)

  def serve_images(image):
    with tf.control_dependencies([_check_shape(
        image, 4, 3, 'image must be [batch, height, width, 3], with at '
        'least one image of at least 1x1 pixels')]):
      return predict(tf.identity(image))

  def serve_image_bytes(image_bytes):
    return predict(decode_images(image_bytes))

  return {'serving_default': (serve_images, IMAGE_SPEC),
          'serving_bytes': (serve_image_bytes, IMAGE_BYTES_SPEC)}
