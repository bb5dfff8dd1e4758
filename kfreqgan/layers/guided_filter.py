"""`GuidedFilter`: He, Sun & Tang's edge-aware filter from box means only."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import check_positive_int


def box_mean(images, radius):
    """Mean of each pixel's `(2 radius + 1)^2` window, clipped at the borders.

    Near a border the window holds fewer pixels and the mean is over those
    only (He et al.'s `N = box(ones)` normalisation). Computed as two
    separable average pools with `SAME` padding, which TensorFlow and
    TFLite normalise by the count of in-image pixels: `AVERAGE_POOL_2D`
    builtins, any image size.

    A window that reaches past both borders of a side of static length `n`
    (`radius >= n - 1`) holds the whole side whatever its radius, so it is
    pooled with radius `n - 1`: the same means, at the cost of the image
    size instead of the radius (a radius of 2**30 - 1 took 40 s on 8x8
    images).

    Args:
        images: `(N, H, W, C)` float tensor.
        radius: window radius in pixels (int >= 0).

    Returns:
        A tensor shaped like `images`.
    """
    height, width = images.shape[1], images.shape[2]
    rows = radius if height is None else min(radius, height - 1)
    columns = radius if width is None else min(radius, width - 1)
    if rows:
        images = pool_along(images, 1, rows, "avg")
    if columns:
        images = pool_along(images, 2, columns, "avg")
    return images


def pool_along(images, axis, radius, kind):
    """A stride-1, `SAME`-padded pool of `2 radius + 1` pixels along one
    axis of NHWC images: their mean (`kind="avg"`, over the in-image
    pixels) or maximum (`"max"`).

    The same values as `tf.nn.avg_pool2d` / `max_pool2d` with a window of
    `(2 radius + 1, 1)` or `(1, 2 radius + 1)`, laid out so that the pool
    runs fast: the pooled axis becomes the pool's height and the other
    image axis, times the channels, its channels. TensorFlow's CPU pooling
    vectorises over channels; one-channel images (a guide, a transmission,
    a dark channel) pooled as they are ran 16-44x slower on an AVX-512
    Xeon (BENCHMARKS.md, "Pooling along one axis"). The reshapes are free
    for rows; columns cost two transposes. TFLite: `RESHAPE`, `TRANSPOSE`
    and the pool's builtin, any image size.

    Args:
        images: `(N, H, W, C)` tensor.
        axis: 1 (along the height) or 2 (along the width).
        radius: window radius in pixels (int >= 0).
        kind: `"avg"` or `"max"`.

    Returns:
        A tensor shaped like `images`.

    Raises:
        ValueError: for another rank, axis or kind, or a radius that is not
            an integer >= 0.
    """
    from kfreqgan._validation import check_choice
    from kfreqgan._validation import is_integer

    check_choice(axis, "axis", (1, 2))
    check_choice(kind, "kind", ("avg", "max"))
    if not is_integer(radius) or radius < 0:
        raise ValueError(f"`radius` must be an integer >= 0. Received: radius={radius!r}")
    if images.shape.rank != 4:
        raise ValueError(f"pool_along expects NHWC images of rank 4. Received: shape={tuple(images.shape)}")
    pool = {"avg": tf.nn.avg_pool2d, "max": tf.nn.max_pool2d}[kind]
    static = images.shape
    if axis == 2:
        images = tf.transpose(images, (0, 2, 1, 3))
    dynamic = tf.shape(images)
    sides = [images.shape[i] if images.shape[i] is not None else dynamic[i] for i in range(4)]
    flat = tf.reshape(images, _shape([sides[0], sides[1], 1, sides[2] * sides[3]]))
    pooled = tf.reshape(pool(flat, (2 * radius + 1, 1), strides=1, padding="SAME"), _shape(sides))
    if axis == 2:
        pooled = tf.transpose(pooled, (0, 2, 1, 3))
    pooled.set_shape(static)
    return pooled


def _shape(sides):
    """A shape for `tf.reshape`: a list of ints where every side is static,
    else a stacked int32 tensor."""
    if all(isinstance(side, int) for side in sides):
        return sides
    return tf.stack([tf.cast(side, tf.int32) for side in sides])


MAX_WINDOW_RADIUS = 2**30 - 1
"""The largest window radius of the pooling layers: the window's side,
`2 radius + 1`, must fit in an int32 (TensorFlow's pooling attribute); a
larger one failed deep inside TensorFlow, and a max pool's aborted the
Python process (oneDNN's pooling rewrite)."""


def check_window_radius(radius, name="radius"):
    """Checks a pooling window's radius: an integer in [1, `MAX_WINDOW_RADIUS`]."""
    radius = check_positive_int(radius, name)
    if radius > MAX_WINDOW_RADIUS:
        raise ValueError(
            f"`{name}` must be at most {MAX_WINDOW_RADIUS} (2**30 - 1: the window, 2 * {name} + 1 "
            f"pixels, must fit in an int32). Received: {name}={radius}"
        )
    return radius


@keras.saving.register_keras_serializable(package="kfreqgan")
class GuidedFilter(keras.layers.Layer):
    """Edge-preserving smoothing of `source`, following the edges of `guide`.

    The guided filter (He, Sun & Tang, ECCV 2010 / TPAMI 2013) models the
    output as a local linear function of the guide, `q = a I + b` in every
    `(2 radius + 1)^2` window, with `a` and `b` the ridge-regularised least
    squares fit of the source `p` in that window:

        a = cov(I, p) / (var(I) + epsilon),   b = mean(p) - a mean(I),
        q = mean(a) I + mean(b)

    so `q` is a smoothed `p` whose edges are where the guide has edges. It
    needs box means only (`box_mean`: separable `AVERAGE_POOL_2D`), so it
    runs in the graph, at any image size, differentiably, and converts to
    TFLite builtins. `epsilon` sets what counts as an edge: guide variance
    well above `epsilon` is kept, well below it is smoothed away (with
    guide values in [0, 1], 1e-3 keeps edges of contrast above ~0.03).

    With a third input, `full_guide`, the layer is the *fast* guided filter
    (He & Sun, 2015): `a` and `b` are computed at the resolution of `guide`
    and `source` (e.g. a downscaled photo), bilinearly upsampled to the size
    of `full_guide` (the photo itself), and the output is
    `a_up * full_guide + b_up`. The box filtering then costs the same for a
    12-megapixel photo as for a thumbnail, and the output still follows the
    full-resolution edges. `radius` is in pixels of `guide`.

    The guide has either one channel (a grey guide for every source
    channel) or as many channels as the source (channel `c` guides source
    channel `c`). A colour guide with a 3x3 covariance per pixel is not
    implemented. Internally float32 (the variance is a difference of
    means); the output has the layer's compute dtype.

    Example:

    >>> guide = keras.random.uniform((1, 64, 64, 1))
    >>> noisy = guide + 0.1 * keras.random.normal((1, 64, 64, 1))
    >>> GuidedFilter(radius=4, epsilon=1e-2)([guide, noisy]).shape
    TensorShape([1, 64, 64, 1])

    Args:
        radius: window radius in pixels of `guide` (int >= 1).
        epsilon: regularisation (> 0), in squared guide units.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[guide, source]` or `[guide, source, full_guide]`.

    Input shape:
        guide `(N, H, W, 1 or C)`, source `(N, H, W, C)`, full_guide
        `(N, H2, W2, channels of guide)`.

    Output shape:
        `(N, H, W, C)`, or `(N, H2, W2, C)` with `full_guide`.
    """

    def __init__(self, radius=8, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.radius = check_window_radius(radius, "radius")
        check_at_least(epsilon, "epsilon", strict=True)
        self.epsilon = float(epsilon)

    def _check_shapes(self, shapes):
        single = isinstance(shapes, (list, tuple)) and all(dim is None or isinstance(dim, int) for dim in shapes)
        if single or not isinstance(shapes, (list, tuple)) or len(shapes) not in (2, 3):
            if single:
                raise ValueError(
                    f"{type(self).__name__} expects [guide, source] or [guide, source, full_guide]. "
                    f"Received: one input of shape {tuple(shapes)}"
                )
            raise ValueError(
                f"{type(self).__name__} expects [guide, source] or [guide, source, full_guide]. "
                f"Received: {type(shapes).__name__} of {len(shapes) if isinstance(shapes, (list, tuple)) else 1} input(s)"
            )
        shapes = [tuple(shape) for shape in shapes]
        for name, shape in zip(("guide", "source", "full_guide"), shapes):
            if len(shape) != 4:
                raise ValueError(
                    f"{type(self).__name__}: `{name}` must have rank 4 (batch, height, width, channels). "
                    f"Received: {name}.shape={shape}"
                )
        guide, source = shapes[0], shapes[1]
        if guide[-1] not in (1, source[-1]) and None not in (guide[-1], source[-1]):
            raise ValueError(
                f"{type(self).__name__}: `guide` must have 1 channel or as many as `source`. "
                f"Received: guide.shape={guide}, source.shape={source}"
            )
        for axis in (1, 2):
            if None not in (guide[axis], source[axis]) and guide[axis] != source[axis]:
                raise ValueError(
                    f"{type(self).__name__}: `guide` and `source` must have the same height and width. "
                    f"Received: guide.shape={guide}, source.shape={source}"
                )
        if len(shapes) == 3 and None not in (shapes[2][-1], guide[-1]) and shapes[2][-1] != guide[-1]:
            raise ValueError(
                f"{type(self).__name__}: `full_guide` must have the channels of `guide`. "
                f"Received: guide.shape={guide}, full_guide.shape={shapes[2]}"
            )
        return shapes

    def build(self, input_shape):
        self._check_shapes(input_shape)

    def coefficients(self, guide, source):
        """The smoothed linear coefficients `(mean(a), mean(b))`, shaped like `source`."""
        guide = tf.cast(guide, tf.float32)
        source = tf.cast(source, tf.float32)
        mean_guide = box_mean(guide, self.radius)
        mean_source = box_mean(source, self.radius)
        covariance = box_mean(guide * source, self.radius) - mean_guide * mean_source
        variance = box_mean(guide * guide, self.radius) - mean_guide * mean_guide
        # Round-off can make a flat window's variance slightly negative.
        a = covariance / (tf.maximum(variance, 0.0) + self.epsilon)
        b = mean_source - a * mean_guide
        return box_mean(a, self.radius), box_mean(b, self.radius)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._check_shapes(tuple(inputs.shape))
        self._check_shapes([x.shape for x in inputs])
        for tensor in inputs:
            check_layer_dtype(self, tensor)
        guide, source = inputs[0], inputs[1]
        mean_a, mean_b = self.coefficients(guide, source)
        if len(inputs) == 2:
            output = mean_a * tf.cast(guide, tf.float32) + mean_b
        else:
            full_guide = tf.cast(inputs[2], tf.float32)
            size = tf.shape(full_guide)[1:3]
            mean_a = tf.image.resize(mean_a, size, method="bilinear")
            mean_b = tf.image.resize(mean_b, size, method="bilinear")
            output = mean_a * full_guide + mean_b
        return tf.cast(output, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        shapes = self._check_shapes(input_shape)
        source = shapes[1]
        spatial = shapes[2][1:3] if len(shapes) == 3 else source[1:3]
        return (source[0], *spatial, source[3])

    def get_config(self):
        return {**super().get_config(), "radius": self.radius, "epsilon": self.epsilon}
