"""`FFTBandFilter`: a radial low / high / band-pass filter as a Keras layer."""

import keras
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_choice
from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import check_layer_input


@keras.saving.register_keras_serializable(package="kfreqgan")
class FFTBandFilter(keras.layers.Layer):
    """Keeps one radial frequency band of each image channel.

    The layer multiplies the 2D spectrum of every channel by the radial mask
    of `kfreqgan.spectral.band_mask` and transforms back, so its output is an
    image of the input's shape holding only the chosen band: a low-pass with
    `low=0, high=fc`, a high-pass with `low=fc` (and `high=None`), a
    band-pass with both. Low- and high-pass at the same cut sum back to the
    input exactly. Use it to give a discriminator or generator band-filtered
    views of an image, or to split an image into bands.

    Two implementations give the same result (to ~1e-6):

    - `"fft"`: `tf.signal.rfft2d` / `irfft2d`; any, also dynamic, image size.
    - `"matmul"`: fixed real DFT matrices applied as matrix products (the
      approach of Keras's `STFTSpectrogram`). It needs a static image size and
      converts to TFLite with builtin ops only (`irfft2d` is not a TFLite
      builtin), so use it in models that go to phones.

    The layer has no weights; under mixed precision it computes in float32
    and returns the layer's compute dtype.

    Example:

    >>> x = keras.random.uniform((2, 32, 32, 3))
    >>> low = FFTBandFilter(high=0.1)(x)
    >>> high = FFTBandFilter(low=0.1)(x)
    >>> bool(keras.ops.all(keras.ops.abs(low + high - x) < 1e-5))
    True

    Args:
        low: lower cut-off in cycles/pixel (>= 0; 0 keeps the DC term).
        high: upper cut-off in cycles/pixel (> low), or None for no upper cut.
        kind: mask shape, `"ideal"`, `"gaussian"` or `"butterworth"`.
        order: Butterworth order (positive int).
        implementation: `"fft"` or `"matmul"`, see above.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Input shape:
        `(batch, height, width, channels)`.

    Output shape:
        Same as the input.
    """

    def __init__(self, low=0.0, high=None, kind="ideal", order=2, implementation="fft", **kwargs):
        super().__init__(**kwargs)
        self.low, self.high, self.kind, self.order = spectral.check_band(low, high, kind, order)
        self.implementation = check_choice(implementation, "implementation", spectral.BAND_FILTER_IMPLEMENTATIONS)

    def build(self, input_shape):
        shape = check_layer_input(self, input_shape)
        if self.implementation == "matmul" and (shape[1] is None or shape[2] is None):
            raise ValueError(
                "FFTBandFilter(implementation='matmul') needs a static height and "
                f"width. Received: input_shape={shape}"
            )
        if self.implementation == "matmul":  # DFT matrices of H x H and W x W
            for side in shape[1:3]:
                check_array_size((side, side), "FFTBandFilter(implementation='matmul')'s DFT matrix", f"input_shape={shape}")

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        images = tf.cast(inputs, tf.float32)
        filtered = spectral.band_filter_core(
            images, self.low, self.high, self.kind, self.order, self.implementation
        )
        return tf.cast(filtered, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = {
            "low": self.low,
            "high": self.high,
            "kind": self.kind,
            "order": self.order,
            "implementation": self.implementation,
        }
        return {**super().get_config(), **config}
