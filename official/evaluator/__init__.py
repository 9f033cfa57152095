"""Evaluation: the original's prediction protocol and mIoU over a split."""
