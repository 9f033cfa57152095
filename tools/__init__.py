"""Command-line tools, run as `python -m tools.<name>`.

Importing `official` first loads TensorFlow as the binaries load it
(`official.tensorflow_startup`: oneDNN's kernels on, start-up lines dropped).
"""

import official  # pylint: disable=unused-import
