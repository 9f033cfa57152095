"""Evaluation: the original's prediction protocol, mIoU over a split, and
the label maps of single images."""
