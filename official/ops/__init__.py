"""Tensor operations below every layer: resizes, sizes, the confusion matrix."""
