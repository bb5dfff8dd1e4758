"""`FrequencyShift`: move what a generator learns at low frequencies to a band."""

import math

import keras
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan._validation import check_bool
from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import check_layer_input
from kfreqgan._validation import is_real_number
from kfreqgan._validation import spatial_size


@keras.saving.register_keras_serializable(package="kfreqgan")
class FrequencyShift(keras.layers.Layer):
    """Modulates images by a carrier so that low frequencies land on a band.

    Convolutional generators learn low spatial frequencies easily and high
    ones badly (Khayatkhoei & Elgammal, "Spatial Frequency Bias in
    Convolutional Generative Adversarial Networks", AAAI 2022). Their remedy,
    frequency shifting, lets a generator learn the content of a chosen band
    as a low-frequency (baseband) signal and moves it to the band afterwards
    by multiplying with a carrier of frequency `f0 = (fy, fx)`.

    The math. For a pixel position `p = (y, x)` let
    `theta(p) = 2 pi f0 . p + phase`. If the input `g` has spectrum `G(f)`,

        g(p) cos(theta(p))  has spectrum  1/2 [e^{i phase} G(f - f0)
                                               + e^{-i phase} G(f + f0)],

    i.e. the baseband content re-appears around `+f0` and `-f0`, as a real
    image must. A real band-pass signal is in general `Re{b(p) e^{i theta}}`
    for a *complex* baseband `b = I + iQ`; with `quadrature=True` the layer
    takes the in-phase and quadrature parts as the two halves of its channels
    and returns `I cos(theta) - Q sin(theta)`, which can represent any content
    of the band, not only content that is symmetric about `f0`.

    The carrier is exact for static image sizes (built in float64, whole
    cycles dropped before the angle is formed); for dynamic sizes it is built
    in the graph in float32.

    Example:

    >>> shift = FrequencyShift(frequency=(0.0, 0.25))
    >>> tuple(shift(keras.ops.ones((1, 8, 8, 3))).shape)
    (1, 8, 8, 3)

    Args:
        frequency: carrier `(fy, fx)` in cycles/pixel, each in [-0.5, 0.5].
        phase: carrier phase in radians.
        quadrature: if True the input has `2 C` channels, `C` in-phase then
            `C` quadrature, and the output `C`.
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, height, width, channels)` (`2 C` channels with quadrature).

    Output shape:
        `(batch, height, width, channels)` (`C` with quadrature).
    """

    def __init__(self, frequency, phase=0.0, quadrature=False, **kwargs):
        super().__init__(**kwargs)
        self.frequency = spectral.check_shift_frequency(frequency)
        if not is_real_number(phase) or not math.isfinite(phase):
            raise ValueError(f"`phase` must be a finite number (radians). Received: phase={phase!r}")
        self.phase = float(phase)
        self.quadrature = check_bool(quadrature, "quadrature")

    def build(self, input_shape):
        shape = check_layer_input(self, input_shape)
        if self.quadrature and (shape[-1] is None or shape[-1] % 2):
            raise ValueError(
                "FrequencyShift(quadrature=True) needs an even, static number of "
                "channels (in-phase then quadrature halves). "
                f"Received: input_shape={shape}"
            )

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        images = tf.cast(inputs, tf.float32)
        height, width = spatial_size(images)
        cos, sin = spectral.carrier(height, width, self.frequency, self.phase)
        cos, sin = cos[..., tf.newaxis], sin[..., tf.newaxis]
        if self.quadrature:
            in_phase, quadrature = tf.split(images, 2, axis=-1)
            shifted = in_phase * cos - quadrature * sin
        else:
            shifted = images * cos
        return tf.cast(shifted, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.quadrature and shape[-1] is not None:
            return shape[:-1] + (shape[-1] // 2,)
        return shape

    def get_config(self):
        config = {
            "frequency": list(self.frequency),
            "phase": self.phase,
            "quadrature": self.quadrature,
        }
        return {**super().get_config(), **config}
