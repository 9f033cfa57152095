"""The pixel images are padded with, for training, evaluation and serving.

127.5, the middle of 0..255, becomes 0 after the [-1, 1] input
normalisation of Xception, MobileNetV2 and ResNet-beta (reference §5), so
padding adds nothing to the network's input.
"""

MEAN_PIXEL = 127.5
