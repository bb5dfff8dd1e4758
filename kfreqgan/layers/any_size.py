"""Layers that let a fully convolutional network take images of any size:
`ReflectPadToMultiple`, `CropToMatch` and `BilinearUpsampling2D`."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import check_layer_input
from kfreqgan._validation import check_positive_int


def _reflected_indices(side, multiple):
    """Source index of each position of a side padded up to `multiple`,
    mirrored back and forth (period `2 * (side - 1)`; all 0 for one pixel)."""
    padded = side + tf.math.floormod(-side, multiple)
    period = tf.maximum(2 * (side - 1), 1)
    position = tf.math.floormod(tf.range(padded), period)
    return tf.where(position < side, position, period - position)


@keras.saving.register_keras_serializable(package="kfreqgan")
class ReflectPadToMultiple(keras.layers.Layer):
    """Reflect-pads height and width up to the next multiple of `multiple`.

    A U-Net that halves the resolution `depth` times needs sides divisible by
    `2 ** depth`. This layer pads the bottom and right edges by mirroring the
    image (no border seam, unlike zero padding), so any size goes in; pair it
    with `CropToMatch` on the output to get the input's size back. It works
    on static and dynamic (`None`) sizes alike, and on sides of any length:
    a pad longer than the side is mirrored back and forth as often as needed
    (NumPy's `np.pad(..., mode="reflect")`; a 1-pixel side is repeated).
    Where the pad is shorter than the side this is exactly `tf.pad(...,
    mode="REFLECT")`, which is what a static-size graph uses.

    Example:

    >>> x = keras.random.uniform((1, 30, 45, 3))
    >>> ReflectPadToMultiple(8)(x).shape
    TensorShape([1, 32, 48, 3])

    Args:
        multiple: positive int; the padded sides are divisible by it.
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, height, width, channels)`, any sides >= 1.

    Output shape:
        `(batch, ceil(height / multiple) * multiple, ceil(width / multiple) * multiple, channels)`.
    """

    def __init__(self, multiple, **kwargs):
        super().__init__(**kwargs)
        self.multiple = check_positive_int(multiple, "multiple")

    def build(self, input_shape):
        check_layer_input(self, input_shape)

    def _padding(self, side):
        return -side % self.multiple

    def call(self, inputs):
        static = inputs.shape[1:3]
        if None not in static and all(self._padding(side) < side for side in static):
            paddings = [[0, 0], [0, self._padding(static[0])], [0, self._padding(static[1])], [0, 0]]
            return tf.pad(inputs, paddings, mode="REFLECT")
        shape = tf.shape(inputs)
        outputs = tf.gather(inputs, _reflected_indices(shape[1], self.multiple), axis=1)
        return tf.gather(outputs, _reflected_indices(shape[2], self.multiple), axis=2)

    def compute_output_shape(self, input_shape):
        def padded(side):
            return None if side is None else side + self._padding(side)

        return (input_shape[0], padded(input_shape[1]), padded(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="kfreqgan")
class CropToMatch(keras.layers.Layer):
    """Crops an image to the height and width of a reference image.

    Keeps the top-left `(height, width)` of `inputs[0]`, where the sizes are
    those of `inputs[1]`: the inverse of `ReflectPadToMultiple`.

    Call arguments:
        inputs: `[images, reference]`, both NHWC; `images` at least as large
            as `reference` in height and width.

    Output shape:
        `(batch, reference height, reference width, images channels)`.
    """

    def _check_shapes(self, shapes):
        """`(images, reference)` shapes, checked where they are static: a
        smaller `images` was returned uncropped, smaller than the output
        shape the layer declares, and one tensor was unpacked along its
        batch."""
        if all(dim is None or isinstance(dim, int) for dim in shapes):  # one tensor's shape
            raise ValueError(f"CropToMatch expects [images, reference]. Received: one input of shape {tuple(shapes)}")
        if len(shapes) != 2:
            raise ValueError(f"CropToMatch expects [images, reference]. Received: {len(shapes)} inputs")
        images, reference = (tuple(shape) for shape in shapes)
        for name, shape in (("images", images), ("reference", reference)):
            if len(shape) != 4:
                raise ValueError(
                    f"CropToMatch: `{name}` must have rank 4 (batch, height, width, channels). Received: {name}.shape={shape}"
                )
        for axis in (1, 2):
            if None not in (images[axis], reference[axis]) and images[axis] < reference[axis]:
                raise ValueError(
                    "CropToMatch: `images` must be at least as large as `reference` in height and width. "
                    f"Received: images.shape={images}, reference.shape={reference}"
                )
        return images, reference

    def build(self, input_shape):
        self._check_shapes(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._check_shapes(tuple(inputs.shape))
        self._check_shapes([tuple(tensor.shape) for tensor in inputs])
        images, reference = inputs
        size = tf.shape(reference)
        return images[:, : size[1], : size[2], :]

    def compute_output_shape(self, input_shapes):
        images, reference = self._check_shapes(input_shapes)
        return (images[0], reference[1], reference[2], images[3])


@keras.saving.register_keras_serializable(package="kfreqgan")
class BilinearUpsampling2D(keras.layers.Layer):
    """Doubles (or multiplies by `factor`) height and width, bilinearly.

    The same as `keras.layers.UpSampling2D(factor, interpolation="bilinear")`
    (half-pixel centres, no antialiasing) but computed from the dynamic
    shape, so a model using it can be traced and exported with unknown
    spatial sizes (Keras's layer needs them known when traced).

    Args:
        factor: positive int upsampling factor.
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, height, width, channels)`.

    Output shape:
        `(batch, height * factor, width * factor, channels)`.
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        self.factor = check_positive_int(factor, "factor")

    def build(self, input_shape):
        check_layer_input(self, input_shape)

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        size = tf.shape(inputs)[1:3] * self.factor
        resized = tf.image.resize(inputs, size, method="bilinear")
        return tf.cast(resized, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        def scaled(side):
            return None if side is None else side * self.factor

        return (input_shape[0], scaled(input_shape[1]), scaled(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
