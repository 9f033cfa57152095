import os

import numpy as np
from PIL import Image
import tensorflow as tf

from official.data import ade20k
from official.data import catalog
from official.data import image_files
from official.data import toy
from official.ops import mean_iou
from official.trainer import loss
from tests import fixtures


def _toy_root():
  root = fixtures.temporary_dir()
  return root, toy.write_ade20k(root, num_images=8, seed=0)


class Ade20kTest(tf.test.TestCase):

  def test_descriptor(self):
    info = catalog.DATASETS['ade20k']
    self.assertEqual(info.num_classes, 151)
    self.assertEqual(info.ignore_label, 0)
    self.assertEqual(info.class_names[:3], ('other', 'wall', 'building'))
    self.assertEqual(info.class_names[150], 'flag')
    self.assertEqual(info.split_sizes, {'train': 20210, 'val': 2000})
    self.assertEqual(info.colormap, 'ade20k')

  def test_samples_of_the_release_layout(self):
    root, counts = _toy_root()
    found = ade20k.find_root(root)
    self.assertEqual(found, os.path.join(root, 'ADEChallengeData2016'))
    self.assertEqual(counts, {'train': 6, 'val': 2})
    for split, folder in ade20k.SPLIT_FOLDERS.items():
      samples = ade20k.samples(found, split)
      self.assertLen(samples, counts[split])
      for sample in samples:
        self.assertEqual(sample.image_path, os.path.join(
            found, 'images', folder, f'{sample.filename}.jpg'))
        label = ade20k.load_label(sample.label_path)
        # Indices unchanged: the toy's classes and 0 on boundaries.
        self.assertAllEqual(label, np.array(Image.open(sample.label_path)))
        self.assertContainsSubset(np.unique(label), [0, 1, 13, 20, 21])
        self.assertIn(0, label)

  def test_rejects_values_above_150(self):
    path = os.path.join(fixtures.temporary_dir(), 'ADE_train_00000001.png')
    Image.fromarray(np.array([[0, 150, 151]], np.uint8)).save(path)
    with self.assertRaisesRegex(image_files.BadSampleError,
                                f'^{path}: mask values 151 '):
      ade20k.load_label(path)

  def test_missing_root(self):
    with self.assertRaisesRegex(FileNotFoundError,
                                r'^--ade20k_root=/nowhere: found no images/'):
      ade20k.find_root('/nowhere')

  def test_label_0_is_ignored_in_loss_and_miou(self):
    info = catalog.DATASETS['ade20k']
    labels = np.array([[[0], [1]], [[2], [2]]], np.int32)[np.newaxis]
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 2, 2, info.num_classes)).astype(np.float32)
    other_logits = logits.copy()
    other_logits[0, 0, 0] = rng.normal(size=info.num_classes) * 10
    # Cross-entropy of the three labelled pixels alone, whatever the
    # logits of the "other" pixel.
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.mean([log_softmax[0, 0, 1, 1], log_softmax[0, 1, 0, 2],
                         log_softmax[0, 1, 1, 2]])
    for values in (logits, other_logits):
      self.assertAllClose(
          loss.softmax_cross_entropy(values, labels,
                                     ignore_label=info.ignore_label),
          expected, rtol=1e-5)
    # Predictions 1, 2, 0 on labels 1, 2, 2 (the "other" pixel does not
    # count): IoU 1 for class 1, 1/2 for class 2, 0 for class 0, which is
    # predicted without being labelled, as the original counts it.
    metric = mean_iou.MeanIoU(info.num_classes, info.ignore_label)
    metric.update_state(labels, np.array([[[[5], [1]], [[2], [0]]]]))
    self.assertAllClose(metric.result()['miou'], 0.5)


if __name__ == '__main__':
  tf.test.main()
