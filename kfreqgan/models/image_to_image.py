"""Image-to-image generators: the check, a fixed-size clone, the clipped model.

What the dehazer, the analysis and the exports share about a trained
image-to-image generator (a dehazer): `check_image_to_image` (one image
input, an output of the same shape), `with_static_size` (a clone with a
fixed input size, which TFLite needs for a U-Net) and the function every
use and every export computes, the one `FreqGAN.predict` computes:

    outputs = clip(generator(images), 0, 1)

with `images` and `outputs` float32 NHWC in [0, 1]. The clip matters for a
dehazer with the scattering head, whose inverted image can leave [0, 1]
where the predicted transmission is small; it also bounds the range that
int8 quantization has to cover.
"""

import keras
import tensorflow as tf

from kfreqgan._validation import check_nonempty_batch
from kfreqgan._validation import check_positive_int
from kfreqgan.layers import InvertScattering
from kfreqgan.models.loading import INPUT_NAME


def check_image_to_image(model):
    """Checks that `model` maps images to images of the same shape.

    Args:
        model: a built `keras.Model`.

    Returns:
        `(height, width, channels)` of the input; height and width may be
        None for a fully convolutional model built without a fixed size.

    Raises:
        ValueError: if the model does not have one rank-4 input and one
            output of the same shape, or its channel count is unknown.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: model={type(model).__name__}")
    inputs, outputs = model.inputs, model.outputs
    if not inputs or not outputs or len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            "Only image-to-image generators with one input and one output can be exported. "
            f"Received: len(model.inputs)={len(inputs or ())}, len(model.outputs)={len(outputs or ())}"
        )
    in_shape, out_shape = tuple(inputs[0].shape), tuple(outputs[0].shape)
    if len(in_shape) != 4 or in_shape[-1] is None:
        raise ValueError(
            "Only image-to-image generators with input (batch, height, width, channels) and a known "
            f"channel count can be exported (an unconditional generator takes latent vectors). "
            f"Received: input_shape={in_shape}"
        )
    if in_shape[1:] != out_shape[1:]:
        raise ValueError(
            f"The generator's output must have its input's shape. Received: input_shape={in_shape}, output_shape={out_shape}"
        )
    if None in in_shape[1:3]:
        # A size-free model's symbolic shapes are all None, so None == None
        # says nothing: infer the output shape of a concrete (unpadded,
        # non-square) size symbolically, without running the model. A
        # stride-2 layer that is never undone, for example, halves it.
        probe = (1, in_shape[1] or 128, in_shape[2] or 192, in_shape[3])
        try:
            probed = tuple(model.compute_output_spec(keras.KerasTensor(probe)).shape)
        except Exception:  # noqa: BLE001 - a model that cannot infer shapes symbolically is checked when it runs
            probed = None
        if probed is not None and len(probed) == 4 and tuple(probed[1:]) != probe[1:]:
            raise ValueError(
                "The generator's output must have its input's size. "
                f"Received: input_shape={probe}, output_shape={probed}"
            )
    return in_shape[1:]


def is_dehazer(model):
    """True if `model` contains an `InvertScattering` layer (a dehazing head)."""
    return any(isinstance(layer, InvertScattering) for layer in _all_layers(model))


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def with_static_size(model, height, width):
    """The same network with a fixed input height and width.

    TFLite needs static spatial sizes for a U-Net (only a whole-image
    dehazer converts at any size, `kfreqgan.export.tflite`) and
    `FFTBandFilter(implementation="matmul")` builds its DFT matrices for one
    size, so a fully convolutional generator built with
    `image_shape=(None, None, C)` is cloned here with a fixed size; the
    weights are shared values.

    Args:
        model: an image-to-image `keras.Model`.
        height, width: positive ints.

    Returns:
        A Functional `keras.Model` `(None, height, width, C) -> (None, height, width, C)`.

    Raises:
        ValueError: for bad sizes, or a model built for another fixed size.
    """
    shape = check_image_to_image(model)
    height, width = check_positive_int(height, "height"), check_positive_int(width, "width")
    if shape[:2] == (height, width):
        return model
    if any(size is not None for size in shape[:2]):
        raise ValueError(
            f"The model was built for {shape[0]}x{shape[1]} images and cannot be resized. "
            f"Received: height={height}, width={width}"
        )
    inputs = keras.Input((height, width, shape[2]), name=model.inputs[0].name)
    clone = keras.models.clone_model(model, input_tensors=inputs)
    clone.set_weights(model.get_weights())
    return clone


def unit_range_outputs(model, images):
    """`clip(model(images), 0, 1)` as float32: what every export computes.

    Args:
        model: the generator.
        images: float32 `(N, H, W, C)` tensor in [0, 1].

    Returns:
        float32 tensor `(N, H, W, C)` in [0, 1].

    Raises:
        ValueError: for a batch known to be empty (N = 0), which failed
            deep inside TensorFlow (a convolution's `InvalidArgumentError`).
    """
    check_nonempty_batch(images)
    outputs = model(images, training=False)
    return tf.clip_by_value(tf.cast(outputs, tf.float32), 0.0, 1.0)


def clipped_model(model):
    """A Functional model `images -> clip(model(images), 0, 1)`.

    This is the model that goes to TFLite (see `unit_range_outputs`); its
    input is named `images` (`kfreqgan.models.loading.INPUT_NAME`).

    Args:
        model: an image-to-image `keras.Model`.

    Returns:
        A Functional `keras.Model` wrapping `model`.
    """
    shape = check_image_to_image(model)
    images = keras.Input(shape, name=INPUT_NAME)
    outputs = keras.ops.clip(keras.ops.cast(model(images), "float32"), 0.0, 1.0)
    return keras.Model(images, outputs, name=f"{model.name}_clipped")
