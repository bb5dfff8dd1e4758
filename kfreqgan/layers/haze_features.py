"""Hand-made haze cues as layers: `Luminance`, `DarkChannel` and `ChannelMean`."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_layer_dtype
from kfreqgan.layers.guided_filter import check_window_radius
from kfreqgan._validation import is_integer
from kfreqgan.spectral import GRAY_WEIGHTS


@keras.saving.register_keras_serializable(package="kfreqgan")
class Luminance(keras.layers.Layer):
    """ITU-R BT.601 grey level of an RGB image: `0.299 R + 0.587 G + 0.114 B`
    (`kfreqgan.spectral.GRAY_WEIGHTS`, as `spectral.to_grayscale`).

    A one-channel image passes through unchanged. Multiplications and a sum
    over channels (no matmul), so it converts to TFLite `MUL` / `SUM`.

    Input shape:
        `(batch, height, width, 3 or 1)`.

    Output shape:
        `(batch, height, width, 1)`.
    """

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        if inputs.shape[-1] == 1:
            return inputs
        if inputs.shape[-1] != 3:
            raise ValueError(f"Luminance expects 1 or 3 channels. Received: shape={tuple(inputs.shape)}")
        weights = tf.constant(GRAY_WEIGHTS, inputs.dtype)
        return tf.reduce_sum(inputs * weights, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


@keras.saving.register_keras_serializable(package="kfreqgan")
class DarkChannel(keras.layers.Layer):
    """He et al.'s dark channel: the minimum over channels and over a window.

    `dark(I)(p) = min over c and over q in the (2 radius + 1)^2 window of p
    of I_c(q)`. In haze-free outdoor photos it is close to 0 almost
    everywhere; haze lifts it towards the airlight, so it is a direct cue
    to `1 - t` (the dark channel prior). Computed as `-max_pool(-x)` with
    `SAME` padding (TFLite `MAX_POOL_2D`), any size. Where a side's length
    `n` is static, a window past both of its borders is pooled with radius
    `n - 1` (the same minimum): a huge radius then costs the image size.

    Args:
        radius: window radius in pixels (int from 1 to 2**30 - 1, so that
            the window fits in an int32; He et al. use 7).
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, height, width, channels)`.

    Output shape:
        `(batch, height, width, 1)`.
    """

    def __init__(self, radius=7, **kwargs):
        super().__init__(**kwargs)
        # A window beyond int32 aborted the Python process (oneDNN's pooling
        # rewrite), at the first call.
        self.radius = check_window_radius(radius, "radius")

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        darkest = -tf.reduce_max(-inputs, axis=-1, keepdims=True)
        height, width = inputs.shape[1], inputs.shape[2]
        rows = self.radius if height is None else min(self.radius, height - 1)
        columns = self.radius if width is None else min(self.radius, width - 1)
        return -tf.nn.max_pool2d(-darkest, (2 * rows + 1, 2 * columns + 1), strides=1, padding="SAME")

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {**super().get_config(), "radius": self.radius}


@keras.saving.register_keras_serializable(package="kfreqgan")
class ChannelMean(keras.layers.Layer):
    """Replaces every channel by the mean over channels: a colour made grey;
    then, with `target_shape`, reshapes each example as
    `keras.layers.Reshape(target_shape)` does.

    A dehazer's airlight head can use it to predict a grey airlight from a
    per-channel estimate (`coherent_dehazer(grey_airlight=True)`): the
    inversion `J = (I - A (1 - t)) / t` divides `I - A` by a small `t` in
    a distant sky, so a tint of `A` that the photo's haze does not have
    becomes a strong colour cast there. Weightless, so weights trained
    without it load with it; and with `target_shape` it can stand in for a
    `Reshape` layer, so that a Functional model's branch keeps its length:
    a longer branch reorders the model's layers, and Keras restores an
    optimizer's state (a backup's) by position in that order. A mean over
    channels and a broadcast (TFLite `MEAN`, `MUL`, `RESHAPE`).

    Args:
        target_shape: `None` (keep the shape) or the shape of each example
            after the mean, a tuple of ints as for `keras.layers.Reshape`.
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, ..., channels)`.

    Output shape:
        The same, or `(batch, *target_shape)`.

    Example:

    >>> ChannelMean()(np.array([[0.6, 0.9, 0.9]], "float32")).numpy()
    array([[0.8, 0.8, 0.8]], dtype=float32)
    """

    def __init__(self, target_shape=None, **kwargs):
        super().__init__(**kwargs)
        if target_shape is not None:
            # () would reshape the whole batch into one flat row.
            if not isinstance(target_shape, (tuple, list)) or not target_shape or not all(
                is_integer(size) and size > 0 for size in target_shape
            ):
                raise ValueError(f"`target_shape` must be None or a non-empty tuple of positive ints. Received: target_shape={target_shape!r}")
            target_shape = tuple(int(size) for size in target_shape)
        self.target_shape = target_shape

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        grey = tf.reduce_mean(inputs, axis=-1, keepdims=True) * tf.ones_like(inputs)
        if self.target_shape is None:
            return grey
        return tf.reshape(grey, (-1, *self.target_shape))

    def compute_output_shape(self, input_shape):
        if self.target_shape is None:
            return tuple(input_shape)
        return (input_shape[0], *self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
