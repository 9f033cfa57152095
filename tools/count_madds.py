r"""Counts the multiply-adds of evaluating a configured model, as the paper did.

Prints one JSON line: `paper_madds_b` in the paper's convention (Table 5),
`executed_madds_b` (conv multiply-adds our graph runs) and `params`.

    python -m tools.count_madds \
        --gin_file=gin_configs/voc/xception65_decoder_sc_os16.gin \
        --eval_output_stride=8 --eval_scales=0.5,0.75,1.0,1.25,1.5,1.75 \
        --add_flipped_images
    {"paper_madds_b": 3055.35, "executed_madds_b": ..., "params": 41055413}
"""

import json
import os

from absl import flags

from official import cli
from official.model import builder
from official.model import madds

_DEFAULT_GIN_FILE = os.path.join(
    cli.REPO_ROOT, 'gin_configs/voc/xception65_decoder_sc_os16.gin')

cli.define_eval_protocol_flags()
flags.DEFINE_list('input_size', ['513', '513'], 'Eval crop size H,W.')
flags.DEFINE_integer('num_classes', None,
                     'Override the configured number of classes.',
                     lower_bound=1)

FLAGS = flags.FLAGS


def main(argv):
  cli.check_arguments(argv)
  cli.parse_gin(FLAGS.gin_file or [_DEFAULT_GIN_FILE],
                overrides={'DeepLab.num_classes': FLAGS.num_classes}
                if FLAGS.num_classes else None)
  model = builder.build_model(FLAGS.eval_output_stride)
  cost = madds.eval_cost(model, cli.size_flag('input_size'), cli.eval_scales(),
                         FLAGS.add_flipped_images)
  print(json.dumps({
      'paper_madds_b': round(cost.paper_madds / 1e9, 4),
      'executed_madds_b': round(cost.executed_madds / 1e9, 4),
      'params': cost.params,
  }))


if __name__ == '__main__':
  cli.run(main)
