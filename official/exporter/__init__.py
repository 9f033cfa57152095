"""Export: the trained model as a SavedModel that serves with TensorFlow alone."""
