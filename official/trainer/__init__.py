"""Training: the original DeepLab recipe in a custom loop over tf.distribute.

`trainer.train` runs it (the `official.train` binary calls it); `loss`,
`learning_rate` and `gradient_multipliers` hold the recipe's pieces,
`distribution` the strategies and `summaries` the TensorBoard output. The
warm start from another checkpoint is `official.model.checkpoint`.
"""
