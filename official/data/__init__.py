"""Datasets and input pipelines.

Raw layouts (`voc`, `cityscapes`, `toy`) are converted by tools/build_*_data
(`conversion`, `image_files`) into TFRecords (`tfrecord`); `pipeline` turns a
source (`tfrecord`, `tfds_source`, `folder`) into training or evaluation
batches. `catalog.dataset_info` describes the classes, `colormap` colours
them.
"""
