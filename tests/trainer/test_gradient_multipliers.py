from absl.testing import parameterized
import tensorflow as tf

from official.trainer import gradient_multipliers
from tests import fixtures


def _multipliers_by_path(model, *args):
  return dict(zip((v.path for v in model.trainable_variables),
                  gradient_multipliers.gradient_multipliers(model, *args)))


class GradientMultipliersTest(tf.test.TestCase, parameterized.TestCase):

  def test_default_doubles_biases_only(self):
    multipliers = _multipliers_by_path(fixtures.tiny_model())
    self.assertEqual(multipliers['deeplab/logits.semantic/bias'], 2.0)
    self.assertEqual(
        {path for path, value in multipliers.items() if value != 1.0},
        {'deeplab/logits.semantic/bias'})

  def test_last_layers(self):
    model = fixtures.tiny_model()
    multipliers = _multipliers_by_path(model, 10.0)
    self.assertEqual(multipliers['deeplab/logits.semantic/kernel'], 10.0)
    self.assertEqual(multipliers['deeplab/logits.semantic/bias'], 20.0)
    for scope in ('image_pooling', 'aspp0', 'aspp1', 'concat_projection',
                  'decoder'):
      scoped = [value for path, value in multipliers.items()
                if f'/{scope}' in path]
      self.assertNotEmpty(scoped, scope)
      self.assertEqual(set(scoped), {10.0}, scope)
    backbone = {id(v) for v in model.backbone.trainable_variables}
    self.assertEqual(
        {value for variable, value in zip(
            model.trainable_variables,
            gradient_multipliers.gradient_multipliers(model, 10.0))
         if id(variable) in backbone}, {1.0})

  def test_logits_only(self):
    multipliers = _multipliers_by_path(fixtures.tiny_model(), 10.0, True)
    self.assertEqual(
        {path: value for path, value in multipliers.items() if value != 1.0},
        {'deeplab/logits.semantic/kernel': 10.0,
         'deeplab/logits.semantic/bias': 20.0})

  def test_no_decoder(self):
    model = fixtures.tiny_model(decoder_output_stride=None)
    multipliers = gradient_multipliers.gradient_multipliers(model, 3.0)
    self.assertLen(multipliers, len(model.trainable_variables))
    self.assertEqual(multipliers[-1], 6.0)


if __name__ == '__main__':
  tf.test.main()
