"""DeepLabv3+ for TensorFlow 2 / Keras 3."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing on CPU machines) is noise for
# the binaries' users; TF_CPP_MIN_LOG_LEVEL set by the caller still wins.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
