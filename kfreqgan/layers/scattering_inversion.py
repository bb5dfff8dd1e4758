"""`InvertScattering`: a dehazing output head that inverts the haze model."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import is_real_number


@keras.saving.register_keras_serializable(package="kfreqgan")
class InvertScattering(keras.layers.Layer):
    """Recovers the clean image from a hazy one, a transmission and an airlight.

    Inverts the atmospheric scattering model `I = J t + A (1 - t)`:

        J = (I - A (1 - t)) / max(t, min_transmission)

    A dehazing generator that predicts `t` (per pixel) and `A` (per image)
    and lets this layer form `J` has the physics built in, as AOD-Net and
    DehazeNet do: it learns fast, cannot invent content the hazy image lacks,
    and applies to any image size.

    Args:
        min_transmission: floor on `t` (He et al. use 0.1), which bounds the
            amplification of noise in dense haze.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[hazy, transmission, airlight]` with shapes `(N, H, W, C)`,
            `(N, H, W, 1)` and `(N, 1, 1, C)` (or broadcastable).

    Output shape:
        `(N, H, W, C)`.
    """

    def __init__(self, min_transmission=0.1, **kwargs):
        super().__init__(**kwargs)
        if not is_real_number(min_transmission) or not 0 < min_transmission <= 1:
            raise ValueError(f"`min_transmission` must lie in (0, 1]. Received: min_transmission={min_transmission!r}")
        self.min_transmission = float(min_transmission)

    def build(self, input_shape):
        """Checks the static shapes: mismatched ones built a model that
        declared the hazy image's shape and failed on its first call with
        TensorFlow's "Incompatible shapes"."""
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3 or all(
            dim is None or isinstance(dim, int) for dim in input_shape
        ):
            return  # call names it
        hazy, transmission, airlight = (tuple(shape) for shape in input_shape)
        for name, shape in (("transmission", transmission), ("airlight", airlight)):
            # NumPy broadcasting onto the hazy image's shape, which is the output's.
            fits = len(shape) <= len(hazy) and all(
                None in (size, target) or size in (1, target) for size, target in zip(reversed(shape), reversed(hazy))
            )
            if not fits:
                raise ValueError(
                    f"InvertScattering: `{name}` must broadcast to the shape of `hazy` (each size equal to the "
                    f"hazy image's or 1). Received: hazy.shape={hazy}, {name}.shape={shape}"
                )

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 3:
            received = f"{len(inputs)} inputs" if isinstance(inputs, (list, tuple)) else f"one input of shape {tuple(inputs.shape)}"
            raise ValueError(f"InvertScattering expects [hazy, transmission, airlight]. Received: {received}")
        for tensor in inputs:
            check_layer_dtype(self, tensor)
        hazy, transmission, airlight = (tf.cast(x, tf.float32) for x in inputs)
        transmission = tf.maximum(transmission, self.min_transmission)
        clean = (hazy - airlight * (1.0 - transmission)) / transmission
        return tf.cast(clean, self.compute_dtype)

    def compute_output_shape(self, input_shapes):
        return tuple(input_shapes[0])

    def get_config(self):
        return {**super().get_config(), "min_transmission": self.min_transmission}
