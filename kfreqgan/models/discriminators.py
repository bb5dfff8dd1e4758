"""Spatial and frequency-domain discriminators (Functional models)."""

import keras
import numpy as np

from kfreqgan._validation import check_image_shape
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_integer
from kfreqgan.layers import FFTBandFilter
from kfreqgan.layers import MinibatchStdDev
from kfreqgan.bands import DEFAULT_BANDS
from kfreqgan.bands import band_ranges


def _maybe_sn(layer, spectral_norm):
    if not spectral_norm:
        return layer
    # The wrapper takes the wrapped layer's dtype policy, so that a float32
    # output layer stays float32 under mixed precision.
    return keras.layers.SpectralNormalization(layer, dtype=layer.dtype_policy)


def _maybe_minibatch_std(x, minibatch_std, name):
    """`MinibatchStdDev` (StyleGAN's defaults) when `minibatch_std` is on."""
    if not isinstance(minibatch_std, (bool, np.bool_, dict)):
        raise ValueError(
            "`minibatch_std` must be True, False or a dict of MinibatchStdDev arguments. "
            f"Received: minibatch_std={minibatch_std!r}"
        )
    if not minibatch_std:
        return x
    options = dict(minibatch_std) if isinstance(minibatch_std, dict) else {}
    return MinibatchStdDev(**options, name=name)(x)


def dcgan_discriminator(
    image_shape=(32, 32, 3), filters=64, spectral_norm=True, minibatch_std=False, name="dcgan_discriminator"
):
    """DCGAN / SNGAN-style discriminator: image -> one logit.

    Stride-2 4x4 convolutions with LeakyReLU(0.2) halve the image down to
    4x4 (doubling the filters), then a dense layer gives the logit. With
    `spectral_norm` every convolution and the dense layer are wrapped in
    `keras.layers.SpectralNormalization` (Miyato et al. 2018). With
    `minibatch_std` a `MinibatchStdDev` layer (Karras et al. 2018) adds the
    batch's spread as a feature map at 4x4, before the dense layer: True for
    `group_size=4, num_features=1`, or a dict of its arguments.

    Returns:
        A Functional `keras.Model` `(None, H, W, C) -> (None, 1)`.
    """
    image_shape = check_image_shape(image_shape)
    height, width, _ = image_shape
    check_positive_int(filters, "filters")
    inputs = keras.Input(image_shape, name="image")
    x, size, width_now = inputs, min(height, width), filters
    while size > 4:
        x = _maybe_sn(keras.layers.Conv2D(width_now, 4, strides=2, padding="same"), spectral_norm)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        size //= 2
        width_now = min(width_now * 2, filters * 8)
    x = _maybe_minibatch_std(x, minibatch_std, "minibatch_std")
    x = keras.layers.Flatten()(x)
    logit = _maybe_sn(keras.layers.Dense(1, dtype="float32"), spectral_norm)(x)
    return keras.Model(inputs, logit, name=name)


def _patch_stack(x, filters, num_layers, spectral_norm, minibatch_std=False, std_name="minibatch_std"):
    width = filters
    for layer in range(num_layers):
        x = _maybe_sn(keras.layers.Conv2D(width, 4, strides=2, padding="same"), spectral_norm)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        width = min(width * 2, filters * 8)
    x = _maybe_minibatch_std(x, minibatch_std, std_name)
    x = _maybe_sn(keras.layers.Conv2D(width, 3, padding="same"), spectral_norm)(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    return _maybe_sn(keras.layers.Conv2D(1, 3, padding="same", dtype="float32"), spectral_norm)(x)


def patchgan_discriminator(
    image_shape=(64, 64, 3),
    condition_channels=0,
    filters=32,
    num_layers=3,
    spectral_norm=True,
    minibatch_std=False,
    name="patchgan_discriminator",
):
    """PatchGAN discriminator (Isola et al. 2017): one logit per image patch.

    For image-to-image training the input is the condition (e.g. the hazy
    image) and the candidate concatenated along channels: shape
    `(H, W, condition_channels + C)`. `minibatch_std` (True or a dict of
    `MinibatchStdDev` arguments) adds the batch's spread as a feature map
    after the strided layers, as in `dcgan_discriminator`.

    Returns:
        A Functional `keras.Model` `(None, H, W, cc + C) -> (None, H/2^L, W/2^L, 1)`.
    """
    height, width, channels = check_image_shape(image_shape)
    check_positive_int(filters, "filters")
    check_positive_int(num_layers, "num_layers")
    if not is_integer(condition_channels) or condition_channels < 0:
        raise ValueError(f"`condition_channels` must be an integer >= 0. Received: condition_channels={condition_channels!r}")
    condition_channels = int(condition_channels)
    inputs = keras.Input((height, width, condition_channels + channels), name="condition_and_image")
    return keras.Model(inputs, _patch_stack(inputs, filters, num_layers, spectral_norm, minibatch_std), name=name)


def dehazing_discriminator(
    image_shape=(64, 64, 3),
    filters=32,
    num_layers=3,
    bands=DEFAULT_BANDS,
    spectral_norm=True,
    minibatch_std=False,
    name="dehazing_discriminator",
):
    """Two-branch conditional discriminator: spatial and frequency content.

    Input: the hazy image and a candidate clean image concatenated along
    channels, `(H, W, 2C)`. Outputs a list of two patch-logit maps:

    1. *spatial*: a PatchGAN on `[hazy, candidate]`;
    2. *frequency*: a PatchGAN on the candidate's band-filtered copies
       (`FFTBandFilter` with Gaussian masks, one copy per band, plus the same
       for the hazy image). Band-filtered images keep the phase and are dense,
       unlike masked magnitude spectra, which are mostly zeros and lose where
       things are; this branch judges whether each band looks right.

    `minibatch_std` (True or a dict of `MinibatchStdDev` arguments) adds the
    batch's spread to both branches, as in `patchgan_discriminator`.

    Returns:
        A Functional `keras.Model` with two outputs.
    """
    height, width, channels = check_image_shape(image_shape)
    # Checked here, not by Keras inside the stack (filters=0 named Conv2D's
    # argument; num_layers=0 built a discriminator without strided layers).
    check_positive_int(filters, "filters")
    check_positive_int(num_layers, "num_layers")
    ranges = band_ranges(bands)
    if not ranges:
        raise ValueError(f"`bands` must list at least one (low, high) band. Received: bands={bands!r}")
    inputs = keras.Input((height, width, 2 * channels), name="hazy_and_image")
    spatial = _patch_stack(inputs, filters, num_layers, spectral_norm, minibatch_std, "minibatch_std")
    copies = [
        FFTBandFilter(low, high, kind="gaussian", name=f"d_band_{i}")(inputs) for i, (low, high) in enumerate(ranges)
    ]
    frequency = _patch_stack(keras.layers.Concatenate()(copies), filters, num_layers, spectral_norm, minibatch_std, "frequency_minibatch_std")
    return keras.Model(inputs, [spatial, frequency], name=name)
