"""Hiding what TensorFlow's and LiteRT's C++ code print on stderr.

Some native code prints whatever `TF_CPP_MIN_LOG_LEVEL` says: LiteRT's
`INFO: Created TensorFlow Lite XNNPACK delegate for CPU.` (when an
interpreter allocates its tensors), the TFLite quantizer's `fully_quantize:
0, inference_type: 6, ...`. `native_output_quiet` silences it where the user
asked TensorFlow to be quiet. It lives in the core because the core opens
`.tflite` files too (`kfreqgan.models.loading.TFLiteGenerator`);
`kfreqgan.export.tflite` uses the same function.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def native_output_quiet():
    """Hides what the converter's and LiteRT's C++ code print on stderr.

    With `TF_CPP_MIN_LOG_LEVEL` at 2 or more (the kfreqgan commands set 3
    unless `--debug`) stderr's file descriptor points at /dev/null inside
    this block; Python errors still propagate. Otherwise (and where stderr
    has no file descriptor) nothing changes.

    Example:

        with native_output_quiet():
            interpreter.allocate_tensors()  # no XNNPACK INFO line
    """
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    saved = None
    if level >= 2:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            saved = None
    try:
        if saved is not None:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
        yield
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
