"""Generators: an unconditional DCGAN generator and a U-Net image-to-image
generator with optional frequency-band inputs."""

import math

import keras

from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_image_channels
from kfreqgan._validation import check_image_shape
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_integer
from kfreqgan.layers import BilinearUpsampling2D
from kfreqgan.layers import CropToMatch
from kfreqgan.layers import FFTBandFilter
from kfreqgan.layers import InvertScattering
from kfreqgan.bands import DEFAULT_BANDS
from kfreqgan.bands import band_ranges
from kfreqgan.layers import ReflectPadToMultiple


def dcgan_generator(latent_dim=128, image_size=32, channels=3, filters=64, name="dcgan_generator"):
    """DCGAN-style generator: latent vector -> image in [0, 1].

    A dense layer makes a 4x4 map, then stride-2 transposed convolutions
    (each followed by batch normalisation, synchronised across replicas, and
    ReLU) double the size up to `image_size`; a final 3x3 convolution with a
    sigmoid gives the image. The filter count halves at each step, from
    `filters * image_size / 8` down to `filters`.

    Args:
        latent_dim: size of the latent vector.
        image_size: output side, a power of two >= 8.
        channels: output channels (1 or 3).
        filters: filters of the last upsampling block.

    Returns:
        A Functional `keras.Model` `(None, latent_dim) -> (None, S, S, C)`.
    """
    check_positive_int(latent_dim, "latent_dim")
    check_positive_int(filters, "filters")
    channels = check_image_channels(channels)
    if not is_integer(image_size) or image_size < 8 or image_size & (image_size - 1):
        raise ValueError(f"`image_size` must be a power of two >= 8. Received: image_size={image_size!r}")
    image_size = int(image_size)
    steps = int(math.log2(image_size)) - 2
    width = filters * 2 ** (steps - 1)
    # The dense layer's kernel, before Keras allocates it.
    check_array_size(
        (latent_dim, 4 * 4 * width), "The DCGAN generator's dense kernel",
        f"latent_dim={latent_dim}, image_size={image_size}, filters={filters}",
    )
    z = keras.Input((latent_dim,), name="latent")
    x = keras.layers.Dense(4 * 4 * width, use_bias=False)(z)
    x = keras.layers.Reshape((4, 4, width))(x)
    x = keras.layers.BatchNormalization(synchronized=True)(x)
    x = keras.layers.ReLU()(x)
    for step in range(steps):
        width = filters * 2 ** (steps - 1 - step)
        x = keras.layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(synchronized=True)(x)
        x = keras.layers.ReLU()(x)
    image = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid", dtype="float32", name="image")(x)
    return keras.Model(z, image, name=name)


def _conv(x, filters, kernel=3, strides=1, name=None):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", name=name)(x)
    return keras.layers.LeakyReLU(0.2)(x)


HEADS = ("scattering", "residual", "direct")


def unet_generator(image_shape=(64, 64, 3), filters=32, depth=3, bands=DEFAULT_BANDS, head="scattering", name="unet_generator"):
    """U-Net image-to-image generator (e.g. hazy -> clean), frequency-aware.

    The encoder halves the resolution `depth` times with stride-2
    convolutions (no max-pooling, which discards the phase of fine detail),
    the decoder doubles it back with bilinear upsampling and convolutions,
    concatenating the encoder's features at each scale. There is no batch
    normalisation, so results do not depend on how a batch is split across
    replicas.

    With `bands`, the input is given to the network together with its
    band-filtered copies (`FFTBandFilter`, Gaussian masks): the network sees
    the low, mid and high frequency content of the image as separate
    channels, complete with phase (they are images, not magnitude spectra).
    The output head says what the network predicts:

    - `"scattering"` (for dehazing): a per-pixel transmission `t` (sigmoid)
      and, from the deepest features, one airlight `A` per image and channel
      (sigmoid); `InvertScattering` then forms `J = (I - A (1 - t)) / t`.
      The physics of haze is built in, which makes training fast and the
      result valid at any image size.
    - `"residual"`: a correction added to the input (starts near identity).
    - `"direct"`: the image itself (sigmoid).

    Args:
        image_shape: `(H, W, C)`, C 1 (grey) or 3 (RGB); H and W
            divisible by `2 ** depth`, or
            None for a network that takes images of any size and aspect
            ratio: it reflect-pads them to a multiple of `2 ** depth`
            (`ReflectPadToMultiple`) and crops the output back
            (`CropToMatch`), so `predict` and exports work on any size. The
            same weights work at every size: the network is fully
            convolutional. For very large images use
            `kfreqgan.dehazing.dehaze`, which tiles.
        filters: filters at full resolution (doubling per level).
        depth: number of down/up-sampling levels.
        bands: `(low, high)` bands in cycles/pixel: a `{name: (low, high)}`
            dict (default `kfreqgan.bands.DEFAULT_BANDS`), a sequence of
            pairs, or None.
        head: `"scattering"`, `"residual"` or `"direct"`, see above.

    Returns:
        A Functional `keras.Model` `(None, H, W, C) -> (None, H, W, C)`.
    """
    image_shape = check_image_shape(image_shape, allow_any_size=True, image_channels=True)
    check_positive_int(filters, "filters")
    check_positive_int(depth, "depth")
    # The deepest strided convolution's kernel, before Keras allocates it.
    check_array_size(
        (4, 4, filters * 2 ** (depth - 1), filters * 2**depth), "The U-Net's deepest convolution kernel",
        f"filters={filters}, depth={depth}",
    )
    if head not in HEADS:
        raise ValueError(f"`head` must be one of {HEADS}. Received: head={head!r}")
    height, width, channels = image_shape
    if any(size is not None and size % 2**depth for size in (height, width)):
        raise ValueError(
            f"Image height and width must be divisible by 2 ** depth = {2 ** depth}. "
            f"Received: image_shape={image_shape}, depth={depth}"
        )
    inputs = keras.Input(image_shape, name="image")
    any_size = height is None or width is None
    padded = ReflectPadToMultiple(2**depth, name="pad_to_multiple")(inputs) if any_size else inputs

    def crop(tensor, name=None):
        return CropToMatch(name=name)([tensor, inputs]) if any_size else tensor

    x = padded
    ranges = band_ranges(bands)  # checked; `if bands` is ambiguous for an array of bands
    if ranges:
        copies = [FFTBandFilter(low, high, kind="gaussian", name=f"band_{i}")(padded) for i, (low, high) in enumerate(ranges)]
        x = keras.layers.Concatenate(name="with_bands")([padded, *copies])
    # Weighted layers have fixed names, so that weights can be copied by name
    # between the fixed-size network used in training and a size-free one
    # (`copy_weights_by_name`).
    x = _conv(x, filters, name="stem")
    skips = []
    for level in range(depth):
        skips.append(x)
        x = _conv(x, filters * 2 ** (level + 1), kernel=4, strides=2, name=f"down{level}")
        x = _conv(x, filters * 2 ** (level + 1), name=f"down{level}_conv")
    bottleneck = x
    for level in reversed(range(depth)):
        x = BilinearUpsampling2D(2)(x)
        x = _conv(x, filters * 2**level, name=f"up{level}")
        x = keras.layers.Concatenate()([x, skips[level]])
        x = _conv(x, filters * 2**level, name=f"up{level}_conv")
    if head == "scattering":
        transmission = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid", dtype="float32", name="transmission")(x)
        transmission = crop(transmission, "transmission_cropped")
        pooled = keras.layers.GlobalAveragePooling2D()(bottleneck)
        airlight = keras.layers.Dense(channels, activation="sigmoid", dtype="float32", name="airlight")(pooled)
        airlight = keras.layers.Reshape((1, 1, channels))(airlight)
        out = InvertScattering(dtype="float32", name="output")([inputs, transmission, airlight])
    elif head == "residual":
        out = crop(keras.layers.Conv2D(channels, 3, padding="same", dtype="float32", name="residual")(x))
        out = keras.layers.Add(dtype="float32", name="output")([inputs, out])
    else:
        conv_name = "output_padded" if any_size else "output"
        out = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid", dtype="float32", name=conv_name)(x)
        out = crop(out, "output")
    return keras.Model(inputs, out, name=name)


def copy_weights_by_name(source, target):
    """Copies the weights of `source`'s layers into `target`'s same-named layers.

    Use it to move trained weights between two builds of one architecture
    whose layer order differs, e.g. the fixed-size `unet_generator` used in
    training and its size-free build (`image_shape=(None, None, C)`, which
    adds weightless padding and cropping layers).

    Args:
        source, target: `keras.Model`s; every weighted layer of `target` must
            have a same-named layer with same-shaped weights in `source`.

    Returns:
        `target`.

    Raises:
        ValueError: naming the first layer that is missing or does not match.
    """
    names = {layer.name for layer in source.layers}
    for layer in target.layers:
        if not layer.weights:
            continue
        if layer.name not in names:
            raise ValueError(
                f"`source` must have a layer named {layer.name!r} to copy its weights from, as `target` has one. "
                f"Received: source={source.name!r}"
            )
        weights = source.get_layer(layer.name).get_weights()
        shapes = [tuple(w.shape) for w in layer.weights]
        if [w.shape for w in weights] != shapes:
            raise ValueError(
                f"`source`'s layer {layer.name!r} must have the weight shapes of `target`'s, {shapes}. "
                f"Received: shapes={[w.shape for w in weights]}"
            )
        layer.set_weights(weights)
    return target
