"""Hand-made haze cues as layers: `Luminance`, `DarkChannel`, `ChannelMean`,
`DarkChannelAirlight`, and `GatedBlend` to mix two estimates."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_layer_dtype
from kfreqgan.layers.guided_filter import check_window_radius
from kfreqgan._validation import is_integer
from kfreqgan._validation import is_real_number
from kfreqgan.spectral import GRAY_WEIGHTS


@keras.saving.register_keras_serializable(package="kfreqgan")
class Luminance(keras.layers.Layer):
    """ITU-R BT.601 grey level of an RGB image: `0.299 R + 0.587 G + 0.114 B`
    (`kfreqgan.spectral.GRAY_WEIGHTS`, as `spectral.to_grayscale`).

    A one-channel image passes through unchanged. Multiplications and a sum
    over channels (no matmul), so it converts to TFLite `MUL` / `SUM`. A
    channel count unknown until run time (a `tf.function` signature of
    `(None, None, None, None)`) is checked when the graph runs.

    Input shape:
        `(batch, height, width, 3 or 1)`.

    Output shape:
        `(batch, height, width, 1)`.
    """

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        if inputs.shape[-1] == 1:
            return inputs
        weights = tf.constant(GRAY_WEIGHTS, inputs.dtype)
        if inputs.shape[-1] is None:
            channels = tf.shape(inputs)[-1]
            check = tf.debugging.Assert(
                tf.logical_or(tf.equal(channels, 1), tf.equal(channels, 3)),
                ["Luminance expects 1 or 3 channels. Received: channels=", channels],
            )
            with tf.control_dependencies([check]):
                # A one-channel image's weight is 1: it passes unchanged.
                weights = tf.cond(tf.equal(channels, 1), lambda: tf.ones([1], inputs.dtype), lambda: weights)
        elif inputs.shape[-1] != 3:
            raise ValueError(f"Luminance expects 1 or 3 channels. Received: shape={tuple(inputs.shape)}")
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
    Where a side is known only in the graph, the two axes are pooled one
    after the other, a side that the window passes taken as its minimum.

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
        # One axis at a time (the minimum filter is separable): a square
        # window's pool costs its area per pixel, and ran 6-7x slower on an
        # AVX-512 Xeon. Pooled as laid out (not `pool_along`'s channel
        # layout, which is faster still but which the TFLite converter
        # mis-converted inside the coherent dehazer). Where a side is known
        # only in the graph and the window passes both its borders, the
        # side's minimum: a pool of the full window padded the image by it
        # (radius 2**29 on a 5x7 image of unknown size was killed for memory).
        return self._minimum_along(self._minimum_along(darkest, 1), 2)

    def _minimum_along(self, values, axis):
        def pool(radius):
            window = [1, 1]
            window[axis - 1] = 2 * radius + 1
            return -tf.nn.max_pool2d(-values, window, strides=1, padding="SAME")

        if values.shape[axis] is not None:
            radius = min(self.radius, values.shape[axis] - 1)
            return pool(radius) if radius else values  # a one-pixel side: its own minimum
        side = tf.shape(values)[axis]
        return tf.cond(
            side - 1 <= self.radius,
            lambda: tf.broadcast_to(tf.reduce_min(values, axis=axis, keepdims=True), tf.shape(values)),
            lambda: pool(self.radius),
        )

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


@keras.saving.register_keras_serializable(package="kfreqgan")
class DarkChannelAirlight(keras.layers.Layer):
    """He et al.'s airlight candidate: the colour of the haze-opaque pixels.

    Takes the `top_fraction` of pixels with the highest dark channel
    (`DarkChannel(radius)`: where the haze is thickest, or the scene is
    bright in every channel) and returns their mean colour and their mean
    dark-channel value. In dense haze those pixels
    are nearly all airlight, so the colour is a close estimate of it; in
    thin haze a white wall or a lamp can win, and the dark-channel value
    (how opaque the candidates are) says how far to trust it. He et al.
    take the brightest candidate; the mean of the candidates is steadier.
    A learned airlight head can take it as a feature
    (`coherent_dehazer(airlight_prior=True)`). TFLite builtins: `MAX_POOL_2D`,
    `TOPK_V2`, `GATHER`, `MEAN`.

    Args:
        radius: the dark channel's window radius in pixels (int >= 1; 7:
            He et al.'s 15-pixel window).
        top_fraction: the share of pixels taken, in (0, 1]; at least one
            pixel (He et al.: 0.001).
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, height, width, channels)`, values in [0, 1].

    Output shape:
        `[colour, opacity]`: the candidates' mean colour `(batch,
        channels)` and their mean dark channel `(batch, 1)`.

    Example:

    >>> hazy = np.full((2, 64, 64, 3), 0.25, "float32")
    >>> hazy[:, :8, :8] = 0.75  # an opaque patch of haze
    >>> colour, opacity = DarkChannelAirlight(radius=2, top_fraction=0.002)(hazy)  # 8 pixels
    >>> colour.numpy()[0], opacity.numpy()[0]
    (array([0.75, 0.75, 0.75], dtype=float32), array([0.75], dtype=float32))
    """

    def __init__(self, radius=7, top_fraction=0.001, **kwargs):
        super().__init__(**kwargs)
        self.radius = check_window_radius(radius, "radius")
        if not is_real_number(top_fraction) or not 0 < top_fraction <= 1:
            raise ValueError(f"`top_fraction` must be a number in (0, 1]. Received: top_fraction={top_fraction!r}")
        self.top_fraction = float(top_fraction)
        self.dark_channel = DarkChannel(radius, dtype=self.dtype_policy, name="dark_channel")

    def build(self, input_shape):
        # Builds the weightless sublayer: Keras warned on every build from a
        # config (each load of a model that holds this layer) that the layer
        # "has unbuilt state" without it.
        self.dark_channel.build(input_shape)

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        if inputs.shape.rank != 4:
            raise ValueError(f"DarkChannelAirlight expects (batch, height, width, channels). Received: shape={tuple(inputs.shape)}")
        channels = inputs.shape[-1] if inputs.shape[-1] is not None else tf.shape(inputs)[-1]
        dark = tf.reshape(self.dark_channel(inputs), (tf.shape(inputs)[0], -1))
        pixels = tf.reshape(inputs, (tf.shape(inputs)[0], -1, channels))
        # One count whether the size is known now or only in the graph:
        # `top_fraction` times the pixels, in float64, rounded half to even
        # (Python's `round` and `tf.round` alike). `fraction * height *
        # width` and a float32 product each rounded some sizes the other way.
        height, width = inputs.shape[1], inputs.shape[2]
        if height is not None and width is not None:
            count = max(1, round(self.top_fraction * (height * width)))
        else:
            size = tf.cast(tf.shape(dark)[1], tf.float64)
            count = tf.maximum(1, tf.cast(tf.round(self.top_fraction * size), tf.int32))
        values, indices = tf.math.top_k(dark, k=count)
        colour = tf.reduce_mean(tf.gather(pixels, indices, batch_dims=1), axis=1)
        return colour, tf.reduce_mean(values, axis=1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1]), (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "radius": self.radius, "top_fraction": self.top_fraction}


@keras.saving.register_keras_serializable(package="kfreqgan")
class GatedBlend(keras.layers.Layer):
    """`a + gate (b - a)`: a learned choice between two estimates, per example.

    Weightless; the gate comes from elsewhere (e.g. a sigmoid `Dense(1)`).
    `coherent_dehazer(airlight_prior=True)` blends its learned airlight
    with `DarkChannelAirlight`'s colour by a gate it learns from the same
    features, starting at 0.5 (the two averaged).

    Input shape:
        `[gate, a, b]`: `gate` `(batch, 1)` (or `a`'s shape), `a` and `b`
        `(batch, channels)`.

    Output shape:
        `(batch, channels)`.
    """

    def build(self, input_shape):
        """Checks the static shapes (there is nothing to create). Mismatched
        ones broadcast: a grey `a` took `b`'s three channels while the layer
        declared `a`'s shape, and a gate of another rank blended every
        example with every other."""
        if not (isinstance(input_shape, (list, tuple)) and len(input_shape) == 3 and all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError(f"GatedBlend takes a list [gate, a, b] of three tensors. Received: input_shape={input_shape}")
        gate, a, b = (tuple(shape) for shape in input_shape)

        def fits(shape, target, last_may_be_one=False):
            return len(shape) == len(target) and all(
                None in (size, goal) or size == goal or (last_may_be_one and axis == len(shape) - 1 and size == 1)
                for axis, (size, goal) in enumerate(zip(shape, target))
            )

        if not fits(b, a):
            raise ValueError(f"GatedBlend blends two estimates of one shape: `a` and `b` differ. Received: a.shape={a}, b.shape={b}")
        if not fits(gate, a, last_may_be_one=True):
            raise ValueError(
                f"GatedBlend's gate must have the shape of `a` or one channel, (batch, 1). Received: gate.shape={gate}, a.shape={a}"
            )

    def call(self, inputs):
        gate, a, b = inputs
        for value in inputs:
            check_layer_dtype(self, value)
        return a + gate * (b - a)

    def compute_output_shape(self, input_shape):
        return input_shape[1]
