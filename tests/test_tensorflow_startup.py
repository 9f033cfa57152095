"""TensorFlow's start-up lines, dropped from what the binaries print."""

import tensorflow as tf

from official import tensorflow_startup

# As TensorFlow 2.21 writes them on a machine without a GPU, with
# TF_ENABLE_ONEDNN_OPTS=1.
_START_UP = (
    'WARNING: All log messages before absl::InitializeLog() is called are '
    'written to STDERR\n'
    'I0000 00:00:1796156050.334897   10439 port.cc:153] oneDNN custom '
    'operations are on. You may see slightly different numerical results due '
    'to floating-point round-off errors from different computation orders. '
    'To turn them off, set the environment variable '
    '`TF_ENABLE_ONEDNN_OPTS=0`.\n'
    'I0000 00:00:1796152591.874846   19218 cudart_stub.cc:31] Could not find '
    'cuda drivers on your machine, GPU will not be used.\n'
    'E0000 00:00:1796152594.016393   19218 cuda_platform.cc:52] failed call '
    'to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR '
    '(303)\n')


class FilterChatterTest(tf.test.TestCase):

  def test_drops_the_start_up_lines_and_keeps_the_rest(self):
    kept = ('error: --model_dir=/nowhere: no checkpoint there.\n'
            'W1201 19:37:12.837496 140356 port.cc:9] another port.cc line\n')
    self.assertEqual(tensorflow_startup.filter_chatter(_START_UP + kept),
                     kept)


if __name__ == '__main__':
  tf.test.main()
