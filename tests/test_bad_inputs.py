"""Bad inputs across the public surface (issue #7, "Reliability").

Every public entry point is fed what users get wrong: the wrong rank,
channel count or dtype, NaN and Inf, empty arrays and zero sizes, sizes so
large that they must be refused before anything is allocated, out-of-range
arguments, corrupt and missing files; the three programs get bad paths,
bad `--set` values and bad flags; the exported SavedModel gets bad tensors.
Each case asserts the exception type and that the message names the
argument and the received value (Keras's `... Received: name=value`), not
only that something failed.
"""

import contextlib
import io
import os
import re
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import dft
from kfreqgan import instance_noise
from kfreqgan import losses
from kfreqgan import metrics
from kfreqgan import spectral
from kfreqgan.analysis import spectrum_cli
from kfreqgan.atomic_files import write_atomically
from kfreqgan.data import carriers
from kfreqgan.data import folders
from kfreqgan.data import haze
from kfreqgan.data import photos
from kfreqgan.export import calibration
from kfreqgan.export import cli as export_cli
from kfreqgan.export import serving
from kfreqgan.layers import BilinearUpsampling2D
from kfreqgan.layers import ChannelMean
from kfreqgan.layers import CropToMatch
from kfreqgan.layers import DarkChannel
from kfreqgan.layers import DarkChannelAirlight
from kfreqgan.layers import EdgeAwareSmoothness
from kfreqgan.layers import FFTBandFilter
from kfreqgan.layers import FrequencyShift
from kfreqgan.layers import GuidedFilter
from kfreqgan.layers import InvertScattering
from kfreqgan.layers import Luminance
from kfreqgan.layers import MinibatchStdDev
from kfreqgan.layers import SpectralProfile
from kfreqgan.analysis import compare_image_sets
from kfreqgan.analysis import frequency_bias
from kfreqgan.analysis import set_spectrum
from kfreqgan.callbacks import GANMetricsMonitor
from kfreqgan.callbacks import SpectrumMonitor
from kfreqgan.callbacks import StopOnDivergence
from kfreqgan.models import FreqGAN
from kfreqgan.models import SpectralDiscriminator
from kfreqgan.models import coherent_dehazer
from kfreqgan.models import dcgan_discriminator
from kfreqgan.models import dcgan_generator
from kfreqgan.models import dehazing_discriminator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models import unet_generator
from kfreqgan.models.image_to_image import with_static_size
from kfreqgan.training import train

HUGE = 10**6  # a 10**6 x 10**6 request: 10**12 elements, refused before allocating
GOOD = np.random.default_rng(0).random((2, 16, 16, 3)).astype(np.float32)


_UINT8 = np.full((1, 8, 8, 3), 200, np.uint8)


def _critic(images):
    return tf.reduce_sum(images, axis=[1, 2, 3])


def _with(value, index=(0, 0, 0, 0), images=GOOD):
    images = images.copy()
    images[index] = value
    return images


# ---------------------------------------------------------------------------
# Image batches: every function that takes images funnels them through
# kfreqgan._validation.as_image_batch. (function, name of the checked argument)
# ---------------------------------------------------------------------------

IMAGE_FUNCTIONS = {
    "power_spectrum": (spectral.power_spectrum, "images"),
    "log_magnitude": (spectral.log_magnitude, "images"),
    "to_grayscale": (spectral.to_grayscale, "images"),
    "radial_profile": (spectral.radial_profile, "spectrum"),
    "radial_power_profile": (spectral.radial_power_profile, "images"),
    "radial_log_magnitude_profile": (spectral.radial_log_magnitude_profile, "images"),
    "band_filter": (lambda x: spectral.band_filter(x, 0.1), "images"),
    "band_energy": (lambda x: spectral.band_energy(x, [(0.0, 0.1), (0.1, None)]), "images"),
    "spectral_distance": (lambda x: spectral.spectral_distance(GOOD, x), "fake"),
    "modulate": (lambda x: carriers.modulate(x, (0.0, 0.25)), "images"),
    "psnr": (lambda x: metrics.psnr(GOOD, x), "b"),
    "ssim": (lambda x: metrics.ssim(GOOD, x, filter_size=3), "b"),
}

BAD_IMAGES = {
    "rank 3": (GOOD[0], r"must have rank 4 \(batch, height, width, channels\)\. Received: shape=\(16, 16, 3\)"),
    "rank 5": (GOOD[np.newaxis], r"must have rank 4 .*Received: shape=\(1, 2, 16, 16, 3\)"),
    "scalar": (0.5, r"must have rank 4 .*Received: shape=\(\)"),
    "uint8": ((GOOD * 255).astype(np.uint8), r"must be a floating tensor .*convert_image_dtype.*Received: dtype=uint8"),
    "int32": (np.zeros((2, 16, 16, 3), np.int32), r"must be a floating tensor .*Received: dtype=int32"),
    "bool": (GOOD > 0.5, r"must be a floating tensor .*Received: dtype=bool"),
    "string": (np.full((2, 16, 16, 3), "a"), r"must be a floating tensor .*Received: dtype=string"),
    "complex": (GOOD.astype(np.complex64), r"must be a floating tensor .*Received: dtype=complex64"),
    "NaN": (_with(np.nan), r"contains NaN or Inf values\. Received: 1 non-finite of 1536 values, shape=\(2, 16, 16, 3\)"),
    "Inf": (_with(-np.inf, (1, 3, 4, 2)), r"contains NaN or Inf values\. Received: 1 non-finite"),
    # It said "contains NaN or Inf values. Received: 0 non-finite".
    "float64 beyond float32": (_with(1e300, (1, 2, 3, 0), GOOD.astype(np.float64)),
                               r"holds values beyond float32's range \(\|x\| > 3\.4e38\), which the float32 maths would make infinite\. Received: 1 such of 1536 values, shape=\(2, 16, 16, 3\)"),
    "empty batch": (np.zeros((0, 16, 16, 3), np.float32), r"has a zero-size dimension\. Received: shape=\(0, 16, 16, 3\)"),
    "zero height": (np.zeros((2, 0, 16, 3), np.float32), r"has a zero-size dimension\. Received: shape=\(2, 0, 16, 3\)"),
    "ragged list": ([[0.1, 0.2], [0.3]], r"must be a numeric array or tensor .*Received: list that does not convert"),
    "None": (None, r"must be a numeric array or tensor .*Received: NoneType that does not convert"),
}


@pytest.mark.parametrize("bad", list(BAD_IMAGES))
@pytest.mark.parametrize("function", list(IMAGE_FUNCTIONS))
def test_image_batches_are_checked_everywhere(function, bad):
    call, name = IMAGE_FUNCTIONS[function]
    value, message = BAD_IMAGES[bad]
    with pytest.raises(ValueError, match=f"^`{name}` " + message):
        call(value)


# Values of 1e20 squared overflow float32: power_spectrum returned inf and
# band_energy NaN shares, with no error. The transforms refuse them instead.
# (too large, just inside the bound) for a 16x16 image: |x| <= 1.8e19 / (2 * 256)
# = 3.6e16 for a power, <= 3.4e38 / (2 * 256) = 6.6e35 for band_filter.
TRANSFORMS = {
    name: (1e37, 6e35) if name == "band_filter" else (1e20, 3.5e16)
    for name in IMAGE_FUNCTIONS if name not in ("to_grayscale", "radial_profile", "modulate", "psnr", "ssim")
}


@pytest.mark.parametrize("function", list(TRANSFORMS))
def test_values_that_overflow_the_float32_transform_are_refused(function):
    call, name = IMAGE_FUNCTIONS[function]
    huge, fine = TRANSFORMS[function]
    message = (
        rf"^`{name}` holds values too large for the float32 (power spectrum \|F\|\^2|Fourier transform) of a 16x16 "
        rf"image, which would overflow to inf: .*Received: max\(\|{name}\|\)={huge:.0e}, shape=\(2, 16, 16, 3\)$".replace("+", r"\+")
    )
    with pytest.raises(ValueError, match=message):
        call(_with(huge))
    result = call(GOOD * fine)
    assert all(np.isfinite(np.asarray(part)).all() for part in (result if isinstance(result, tuple) else (result,)))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: spectral.power_spectrum(x), r"needs `images` with 1 or 3 channels .*Received: shape=\(2, 16, 16, 4\)"),
        (lambda x: spectral.log_magnitude(x), r"needs `images` with 1 or 3 channels .*Received: shape=\(2, 16, 16, 4\)"),
        (lambda x: spectral.to_grayscale(x[..., :2]), r"needs `images` with 1 or 3 channels .*Received: shape=\(2, 16, 16, 2\)"),
        (lambda x: spectral.band_energy(x, [(0.0, None)]), r"needs `images` with 1 or 3 channels .*Received: shape=\(2, 16, 16, 4\)"),
        (lambda x: spectral.radial_power_profile(x), r"use mode='channels'.*Received: shape=\(2, 16, 16, 4\)"),
        (lambda x: spectral.spectral_distance(GOOD, x), r"same height, width and channels\. Received: real\.shape=\(2, 16, 16, 3\), fake\.shape=\(2, 16, 16, 4\)"),
        (lambda x: metrics.psnr(GOOD, x), r"`a` and `b` must have the same shape\. Received: a\.shape=\(2, 16, 16, 3\), b\.shape=\(2, 16, 16, 4\)"),
        (lambda x: SpectralProfile()(x), r"SpectralProfile expects 1 or 3 channels\. Received: input_shape=\(2, 16, 16, 4\)"),
        (lambda x: FrequencyShift((0.0, 0.25), quadrature=True)(x[..., :3]), r"even, static number of channels .*Received: input_shape=\(2, 16, 16, 3\)"),
    ],
)
def test_wrong_channel_counts_are_named(call, message):
    four = np.concatenate([GOOD, GOOD[..., :1]], axis=-1)
    with pytest.raises(ValueError, match=message):
        call(four)


# ---------------------------------------------------------------------------
# Out-of-range and mistyped arguments.
# ---------------------------------------------------------------------------

BAD_ARGUMENTS = {
    "band_mask low > high": (lambda: spectral.band_mask((8, 8), 0.3, 0.1), r"`high` must be greater than `low` .*Received: low=0\.3, high=0\.1"),
    "band_mask negative low": (lambda: spectral.band_mask((8, 8), -0.1), r"`low` must be a finite frequency .*Received: low=-0\.1"),
    "band_mask NaN high": (lambda: spectral.band_mask((8, 8), 0.0, float("nan")), r"`high` must be a finite frequency .*Received: high=nan"),
    "band_mask Inf high": (lambda: spectral.band_mask((8, 8), 0.0, float("inf")), r"Received: high=inf"),
    "band_mask string low": (lambda: spectral.band_mask((8, 8), "0.1"), r"`low` must be a frequency .*Received: low='0\.1'"),
    "band_mask bool low": (lambda: spectral.band_mask((8, 8), True), r"Received: low=True"),
    "band_mask kind": (lambda: spectral.band_mask((8, 8), 0.1, kind="box"), r"`kind` must be one of 'ideal', 'gaussian', 'butterworth'\. Received: kind='box'"),
    "band_mask order 0": (lambda: spectral.band_mask((8, 8), 0.1, kind="butterworth", order=0), r"`order` must be a positive integer\. Received: order=0"),
    "band_mask order 1.5": (lambda: spectral.band_mask((8, 8), 0.1, order=1.5), r"Received: order=1\.5"),
    "band_mask negative size": (lambda: spectral.band_mask((-8, 8), 0.1), r"`height` must be a positive integer\. Received: height=-8"),
    "band_mask zero size": (lambda: spectral.band_mask((8, 0), 0.1), r"`width` must be a positive integer\. Received: width=0"),
    "band_mask float size": (lambda: spectral.band_mask((8.0, 8), 0.1), r"Received: height=8\.0"),
    "band_mask 3-D shape": (lambda: spectral.band_mask((8, 8, 3), 0.1), r"`shape` must be \(height, width\)\. Received: shape=\(8, 8, 3\)"),
    "band_mask unknown TensorShape": (lambda: spectral.band_mask(tf.TensorShape([None, 8]), 0.1), r"`height` must be a positive integer\. Received: height=None"),
    "band_filter implementation": (lambda: spectral.band_filter(GOOD, 0.1, implementation="dct"), r"Received: implementation='dct'"),
    "band_energy no bands": (lambda: spectral.band_energy(GOOD, []), r"`bands` must be a non-empty list .*Received: bands=\[\]"),
    "band_energy bad band": (lambda: spectral.band_energy(GOOD, [(0.1,)]), r"Each band must be a \(low, high\) pair\. Received: band=\(0\.1,\)"),
    "radial_profile num_bins 0": (lambda: spectral.radial_profile(GOOD, num_bins=0), r"`num_bins` must be None or a positive integer\. Received: num_bins=0"),
    "radial_profile num_bins True": (lambda: spectral.radial_profile(GOOD, num_bins=True), r"Received: num_bins=True"),
    "radial_profile num_bins too fine": (lambda: spectral.radial_profile(GOOD, num_bins=100), r"num_bins=100 is too fine for a 16x16 spectrum"),
    "radial_profile max_frequency 0": (lambda: spectral.radial_profile(GOOD, max_frequency=0), r"`max_frequency` must be > 0\. Received: max_frequency=0\.0"),
    "radial_profile binning": (lambda: spectral.radial_profile(GOOD, binning="log"), r"Received: binning='log'"),
    "radial_bins integer non-square": (lambda: spectral.radial_bins(16, 8, binning="integer"), r"non-square images.*Received: height=16, width=8"),
    "log_magnitude epsilon 0": (lambda: spectral.log_magnitude(GOOD, epsilon=0), r"`epsilon` must be a finite number > 0\. Received: epsilon=0"),
    "log_magnitude epsilon NaN": (lambda: spectral.log_magnitude(GOOD, epsilon=float("nan")), r"Received: epsilon=nan"),
    "power_spectrum mode": (lambda: spectral.power_spectrum(GOOD, mode="rgb"), r"`mode` must be one of 'gray', 'channels'\. Received: mode='rgb'"),
    "spectral_distance sizes": (lambda: spectral.spectral_distance(GOOD, GOOD[:, :8, :8]), r"Received: real\.shape=\(2, 16, 16, 3\), fake\.shape=\(2, 8, 8, 3\)"),
    "carrier beyond Nyquist": (lambda: spectral.carrier(8, 8, (0.0, 0.7)), r"in \[-0\.5, 0\.5\] cycles/pixel .*Received: frequency=\(0\.0, 0\.7\)"),
    # Checked before the cache, which answered 4.0 and True from the
    # matrices of 4 and 1 once those were built.
    "real_dft_matrices float n": (lambda: (dft.real_dft_matrices(4), dft.real_dft_matrices(4.0)), r"`n` must be a positive integer\. Received: n=4\.0"),
    "real_dft_matrices bool n": (lambda: (dft.real_dft_matrices(1), dft.real_dft_matrices(True)), r"`n` must be a positive integer\. Received: n=True"),
    "real_dft_matrices half string": (lambda: dft.real_dft_matrices(4, half="yes"), r"`half` must be True or False\. Received: half='yes'"),
    "SpectralDiscriminator spectral_weight string": (
        lambda: SpectralDiscriminator(_identity_model((16, 16, 3)), spectral_weight="0.5"),
        r"`spectral_weight` must be a number in \[0, 1\]\. Received: spectral_weight='0\.5'"),
    "SpectralDiscriminator spectral_weight None": (lambda: SpectralDiscriminator(_identity_model((16, 16, 3)), spectral_weight=None), r"Received: spectral_weight=None"),
    "SpectralDiscriminator profile list": (
        lambda: SpectralDiscriminator(_identity_model((16, 16, 3)), profile=[("binning", "normalized")]),
        r"`profile` must be None or a dict of SpectralProfile arguments\. Received: profile=\[\('binning', 'normalized'\)\]"),
    "SpectralDiscriminator spatial layer": (lambda: SpectralDiscriminator(keras.layers.Dense(1)), r"`spatial` must be a keras\.Model\. Received: spatial=<Dense"),
    # Model builders: each size is named (Keras said "Cannot convert ... to a
    # shape", or a TypeError, or took a bool as 1).
    "unet_generator float width": (lambda: unet_generator((32, 32.0, 3), filters=2, depth=2), r"`image_shape` must be \(height, width, channels\) of positive ints \(height and width may be None\)\. Received: image_shape=\(32, 32\.0, 3\)"),
    "unet_generator negative height": (lambda: unet_generator((-32, 32, 3), filters=2, depth=2), r"Received: image_shape=\(-32, 32, 3\)"),
    "unet_generator string height": (lambda: unet_generator(("32", 32, 3), filters=2, depth=2), r"Received: image_shape=\('32', 32, 3\)"),
    "unet_generator None channels": (lambda: unet_generator((32, 32, None), filters=2, depth=2), r"Received: image_shape=\(32, 32, None\)"),
    "unet_generator bool channels": (lambda: unet_generator((32, 32, True), filters=2, depth=2), r"Received: image_shape=\(32, 32, True\)"),
    "unet_generator bands string": (lambda: unet_generator((32, 32, 3), filters=2, depth=2, bands="low"), r"`bands` must be a \{name: \(low, high\)\} dict, a sequence of \(low, high\) pairs or None\. Received: bands='low'"),
    "unet_generator band not a pair": (lambda: unet_generator((32, 32, 3), filters=2, depth=2, bands=[0.1, 0.2]), r"Each band must be a \(low, high\) pair\. Received: band=0\.1"),
    "patchgan_discriminator condition_channels -1": (lambda: patchgan_discriminator((16, 16, 3), condition_channels=-1, filters=2), r"`condition_channels` must be an integer >= 0\. Received: condition_channels=-1"),
    "patchgan_discriminator condition_channels 1.5": (lambda: patchgan_discriminator((16, 16, 3), condition_channels=1.5, filters=2), r"Received: condition_channels=1\.5"),
    "dehazing_discriminator filters 0": (lambda: dehazing_discriminator((16, 16, 3), filters=0), r"`filters` must be a positive integer\. Received: filters=0"),
    "dehazing_discriminator num_layers 0": (lambda: dehazing_discriminator((16, 16, 3), filters=2, num_layers=0), r"`num_layers` must be a positive integer\. Received: num_layers=0"),
    "dcgan_discriminator bool height": (lambda: dcgan_discriminator((True, 16, 3), filters=2), r"Received: image_shape=\(True, 16, 3\)"),
    # The monitors check their arguments when made, not after the first
    # period of training (or never: a NaN high_frequency logged 0.0).
    "SpectrumMonitor high_frequency NaN": (lambda: SpectrumMonitor(GOOD, GOOD, high_frequency=float("nan")), r"`high_frequency` must be a finite frequency in cycles/pixel >= 0\. Received: high_frequency=nan"),
    "SpectrumMonitor high_frequency string": (lambda: SpectrumMonitor(GOOD, GOOD, high_frequency="x"), r"`high_frequency` must be a frequency .*Received: high_frequency='x'"),
    "SpectrumMonitor high_frequency None": (lambda: SpectrumMonitor(GOOD, GOOD, high_frequency=None), r"Received: high_frequency=None"),
    "SpectrumMonitor num_bins 0": (lambda: SpectrumMonitor(GOOD, GOOD, num_bins=0), r"`num_bins` must be None or a positive integer\. Received: num_bins=0"),
    "SpectrumMonitor num_bins too fine": (lambda: SpectrumMonitor(GOOD, GOOD, num_bins=100), r"num_bins=100 is too fine for a 16x16 spectrum"),
    "SpectrumMonitor max_images -1": (lambda: SpectrumMonitor(GOOD, GOOD, max_images=-1), r"`max_images` must be a positive integer\. Received: max_images=-1"),
    "SpectrumMonitor log_dir list": (lambda: SpectrumMonitor(GOOD, GOOD, log_dir=["logs"]), r"`log_dir` must be None or a folder path\. Received: log_dir=\['logs'\]"),
    "GANMetricsMonitor inputs None": (lambda: GANMetricsMonitor(GOOD, None, _flatten(), nearest_k=1), r"`inputs` must be a non-empty array or tensor of model inputs, batch first\. Received: inputs=None"),
    "GANMetricsMonitor inputs empty": (lambda: GANMetricsMonitor(GOOD, GOOD[:0], _flatten(), nearest_k=1), r"Received: inputs=array\(\[\]"),
    # The analysis of image sets: sizes, batch sizes and sets are named.
    "set_spectrum batch_size 0": (lambda: set_spectrum(GOOD, batch_size=0), r"`batch_size` must be a positive integer\. Received: batch_size=0"),
    "set_spectrum batch_size 2.5": (lambda: set_spectrum(GOOD, batch_size=2.5), r"Received: batch_size=2\.5"),
    "set_spectrum bands string": (lambda: set_spectrum(GOOD, bands="low"), r"`bands` must be a \{name: \(low, high\)\} dict.*Received: bands='low'"),
    "set_spectrum bands empty": (lambda: set_spectrum(GOOD, bands=[]), r"`bands` must hold at least one \(low, high\) band\. Received: bands=\[\]"),
    "frequency_bias batch_size -1": (lambda: frequency_bias(GOOD, GOOD, batch_size=-1), r"Received: batch_size=-1"),
    "frequency_bias sizes": (lambda: frequency_bias(GOOD, GOOD[:, :8, :8]), r"must have the same height and width\. Received: real\.shape=\(2, 16, 16, 3\), fake\.shape=\(2, 8, 8, 3\)"),
    "compare_image_sets channels": (lambda: compare_image_sets(GOOD, GOOD[..., :1]), r"Received: real\.shape=\(2, 16, 16, 3\), fake\.shape=\(2, 16, 16, 1\)"),
    "compare_image_sets scalar": (lambda: compare_image_sets(0.5, GOOD), r"`real` must have rank 4 .*Received: shape=\(\)"),
    "compare_image_sets None": (lambda: compare_image_sets(GOOD, None), r"`fake` must be a numeric array or tensor .*Received: NoneType"),
    "ChannelMean empty target_shape": (lambda: ChannelMean(target_shape=()), r"`target_shape` must be None or a non-empty tuple of positive ints\. Received: target_shape=\(\)"),
    # Shapes checked when the model is built (it declared a shape it did not return).
    "CropToMatch images smaller": (lambda: CropToMatch()([GOOD[:, :8, :8], GOOD]), r"`images` must be at least as large as `reference` in height and width\. Received: images\.shape=\(2, 8, 8, 3\), reference\.shape=\(2, 16, 16, 3\)"),
    "CropToMatch symbolic smaller": (lambda: CropToMatch()([keras.Input((8, 8, 3)), keras.Input((16, 16, 3))]), r"Received: images\.shape=\(None, 8, 8, 3\), reference\.shape=\(None, 16, 16, 3\)"),
    "CropToMatch one input": (lambda: CropToMatch()(tf.constant(GOOD)), r"CropToMatch expects \[images, reference\]\. Received: one input of shape \(2, 16, 16, 3\)"),
    "CropToMatch rank 3": (lambda: CropToMatch()([GOOD[0], GOOD[0]]), r"`images` must have rank 4 \(batch, height, width, channels\)\. Received: images\.shape=\(16, 16, 3\)"),
    "InvertScattering transmission size": (
        lambda: InvertScattering()([keras.Input((8, 8, 3)), keras.Input((16, 16, 1)), keras.Input((1, 1, 3))]),
        r"`transmission` must broadcast to the shape of `hazy` \(each size equal to the hazy image's or 1\)\. Received: hazy\.shape=\(None, 8, 8, 3\), transmission\.shape=\(None, 16, 16, 1\)"),
    "InvertScattering airlight channels": (lambda: InvertScattering()([GOOD, GOOD[..., :1], GOOD[:, :1, :1, :2]]), r"Received: hazy\.shape=\(2, 16, 16, 3\), airlight\.shape=\(2, 1, 1, 2\)"),
    "FFTBandFilter low > high": (lambda: FFTBandFilter(0.3, 0.1), r"Received: low=0\.3, high=0\.1"),
    "FFTBandFilter implementation": (lambda: FFTBandFilter(0.1, implementation="x"), r"Received: implementation='x'"),
    "SpectralProfile binning": (lambda: SpectralProfile(binning="log"), r"Received: binning='log'"),
    "SpectralProfile drop_highest": (lambda: SpectralProfile(drop_highest=-1), r"`drop_highest` must be an integer >= 0\. Received: drop_highest=-1"),
    "SpectralProfile min_frequency": (lambda: SpectralProfile(min_frequency=-0.1), r"Received: min_frequency=-0\.1"),
    "FrequencyShift scalar frequency": (lambda: FrequencyShift(0.25), r"`frequency` must be a pair \(fy, fx\) .*Received: frequency=0\.25"),
    "FrequencyShift beyond Nyquist": (lambda: FrequencyShift((0.0, -0.7)), r"Received: frequency=\(0\.0, -0\.7\)"),
    "FrequencyShift NaN phase": (lambda: FrequencyShift((0.0, 0.2), phase=float("nan")), r"`phase` must be a finite number .*Received: phase=nan"),
    "psnr out of [0, 1]": (lambda: metrics.psnr(GOOD, GOOD * 255), r"`b` must hold values in \[0, 1\] .*Received: values in \["),
    "ssim filter_size 0": (lambda: metrics.ssim(GOOD, GOOD, filter_size=0), r"Received: filter_size=0"),
    "ssim filter bigger than images": (lambda: metrics.ssim(GOOD[:, :8, :8], GOOD[:, :8, :8]), r"filter_size=11.*Received: shape=\(2, 8, 8, 3\)"),
    "ssim filter_sigma": (lambda: metrics.ssim(GOOD, GOOD, filter_sigma=-1.0), r"Received: filter_sigma=-1\.0"),
    "ssim k1 inf": (lambda: metrics.ssim(GOOD, GOOD, k1=float("inf")), r"`k1` must be a finite number > 0\. Received: k1=inf"),
    "ssim k2 bool": (lambda: metrics.ssim(GOOD, GOOD, k2=True), r"`k2` must be a finite number > 0\. Received: k2=True"),
    "GuidedFilter epsilon 0": (lambda: GuidedFilter(4, 0.0), r"`epsilon` must be a finite number > 0\. Received: epsilon=0\.0"),
    "focal_frequency_loss alpha string": (lambda: losses.focal_frequency_loss(GOOD, GOOD, alpha="2"), r"`alpha` must be a finite number > 0\. Received: alpha='2'"),
    "focal_frequency_loss alpha inf": (lambda: losses.focal_frequency_loss(GOOD, GOOD, alpha=float("inf")), r"`alpha` must be a finite number > 0\. Received: alpha=inf"),
    "focal_frequency_loss alpha None": (lambda: losses.focal_frequency_loss(GOOD, GOOD, alpha=None), r"Received: alpha=None"),
    "band_log_spectral_loss epsilon inf": (lambda: losses.band_log_spectral_loss(GOOD, GOOD, epsilon=float("inf")), r"`epsilon` must be a finite number > 0"),
    "radial_profile_loss epsilon -1": (lambda: losses.radial_profile_loss(GOOD, GOOD, epsilon=-1.0), r"`epsilon` must be a finite number > 0\. Received: epsilon=-1\.0"),
    "radial_profile_loss epsilon NaN": (lambda: losses.radial_profile_loss(GOOD, GOOD, epsilon=float("nan")), r"Received: epsilon=nan"),
    "spectrum_matching_loss epsilon True": (lambda: losses.spectrum_matching_loss(GOOD, GOOD, epsilon=True), r"Received: epsilon=True"),
    "gradient penalty target inf": (lambda: losses.wasserstein_gradient_penalty(_critic, GOOD, GOOD, target=float("inf")), r"`target` must be a finite number > 0"),
    "gradient penalty epsilon -1": (lambda: losses.wasserstein_gradient_penalty(_critic, GOOD, GOOD, epsilon=-1.0), r"`epsilon` must be a finite number >= 0"),
    "log_magnitude epsilon inf": (lambda: spectral.log_magnitude(GOOD, epsilon=float("inf")), r"`epsilon` must be a finite number > 0\. Received: epsilon=inf"),
    "add_instance_noise sigma NaN": (lambda: instance_noise.add_instance_noise(GOOD, float("nan")), r"`sigma` must be a finite number >= 0\. Received: sigma=nan"),
    "add_instance_noise sigma string": (lambda: instance_noise.add_instance_noise(GOOD, "0.1"), r"Received: sigma='0\.1'"),
    "InstanceNoiseSchedule final_fraction 1": (lambda: instance_noise.InstanceNoiseSchedule(0.1, 10, final_fraction=1.0), r"`final_fraction` must be a finite number > 0 and < 1\. Received: final_fraction=1\.0"),
    "l1_loss batch 2 vs 1": (lambda: losses.l1_loss(GOOD, GOOD[:1]), r"`target` and `prediction` must have the same shape\. Received: target\.shape=\(2, 16, 16, 3\), prediction\.shape=\(1, 16, 16, 3\)"),
    "l1_loss 3 channels vs 1": (lambda: losses.l1_loss(GOOD, GOOD[..., :1]), r"must have the same shape"),
    "l1_loss unbatched": (lambda: losses.l1_loss(GOOD[0], GOOD[0]), r"`target` must have rank 4"),
    "focal_frequency_loss sizes differ": (lambda: losses.focal_frequency_loss(GOOD, GOOD[:, :8, :8]), r"must have the same shape"),
    "band_log_spectral_loss batch 2 vs 1": (lambda: losses.band_log_spectral_loss(GOOD, GOOD[:1]), r"must have the same shape"),
    "radial_profile_loss channels differ": (lambda: losses.radial_profile_loss(GOOD, GOOD[..., :1]), r"must have the same shape"),
    "reduce_loss global batch 0": (lambda: losses.reduce_loss(tf.ones((2,)), global_batch_size=0), r"`global_batch_size` must be a positive integer\. Received: global_batch_size=0"),
    "dft_power unbatched": (lambda: spectral.dft_power(GOOD[0]), r"must have rank 4"),
    "ChannelMean uint8": (lambda: ChannelMean()(tf.constant(_UINT8)), r"ChannelMean expects floating images"),
    "DarkChannel uint8": (lambda: DarkChannel()(tf.constant(_UINT8)), r"DarkChannel expects floating images"),
    "Luminance uint8": (lambda: Luminance()(tf.constant(_UINT8)), r"Luminance expects floating images"),
    "GuidedFilter uint8": (lambda: GuidedFilter(2)([tf.constant(_UINT8[..., :1]), tf.constant(_UINT8)]), r"GuidedFilter expects floating images"),
    "GuidedFilter one input": (lambda: GuidedFilter(2)(tf.constant(GOOD)), r"Received: one input of shape \(2, 16, 16, 3\)"),
    "BilinearUpsampling2D uint8": (lambda: BilinearUpsampling2D(2)(tf.constant(_UINT8)), r"BilinearUpsampling2D expects floating images"),
    "EdgeAwareSmoothness uint8": (lambda: EdgeAwareSmoothness(1.0)([tf.constant(_UINT8[..., :1]), tf.constant(_UINT8)]), r"EdgeAwareSmoothness expects floating images"),
    "InvertScattering two inputs": (lambda: InvertScattering()([tf.constant(GOOD), tf.constant(GOOD)]), r"Received: 2 inputs"),
    "MinibatchStdDev epsilon inf": (lambda: MinibatchStdDev(epsilon=float("inf")), r"`epsilon` must be a finite number > 0\. Received: epsilon=inf"),
    "synthetic_depth relief -1": (lambda: haze.synthetic_depth(8, 8, 0, relief=-1), r"`relief` must be a finite number >= 0\. Received: relief=-1"),
    "layered_depth relief NaN": (lambda: haze.layered_depth(GOOD[0], 0, relief=float("nan")), r"`relief` must be a finite number >= 0\. Received: relief=nan"),
    "SpectralProfile drop_highest numpy bool": (lambda: SpectralProfile(drop_highest=np.bool_(True)), r"`drop_highest` must be an integer >= 0\. Received: drop_highest=.*True"),
    "SpectralProfile drop_highest float": (lambda: SpectralProfile(drop_highest=1.0), r"Received: drop_highest=1\.0"),
    "SpectralProfile drop_highest numpy -1": (lambda: SpectralProfile(drop_highest=np.int64(-1)), r"Received: drop_highest=.*-1"),
    "InstanceNoiseSchedule decay_steps numpy bool": (lambda: instance_noise.InstanceNoiseSchedule(0.1, np.bool_(True)), r"`decay_steps` must be a positive integer"),
    "InstanceNoiseSchedule decay_steps float": (lambda: instance_noise.InstanceNoiseSchedule(0.1, 10.0), r"Received: decay_steps=10\.0"),
    "focal_frequency_loss patch_factor bool": (lambda: losses.focal_frequency_loss(GOOD, GOOD, patch_factor=True), r"`patch_factor` must be a positive integer\. Received: patch_factor=True"),
    "focal_frequency_loss patch_factor numpy float": (lambda: losses.focal_frequency_loss(GOOD, GOOD, patch_factor=np.float32(2)), r"Received: patch_factor=.*2\.0"),
    "coherent_dehazer channels float": (lambda: coherent_dehazer(channels=3.0), r"`channels` must be 1 or 3\. Received: channels=3\.0"),
    # A generator makes grey or RGB images: dcgan_generator took channels=2
    # (its docstring says 1 or 3) and unet_generator a 2- or 4-channel image.
    "dcgan_generator channels 2": (lambda: dcgan_generator(4, 8, channels=2, filters=2), r"`channels` must be 1 or 3\. Received: channels=2"),
    "dcgan_generator channels numpy 4": (lambda: dcgan_generator(4, 8, channels=np.int64(4), filters=2), r"`channels` must be 1 or 3\. Received: channels=.*4"),
    "unet_generator 2 channels": (lambda: unet_generator((32, 32, 2), filters=2, depth=2), r"`image_shape` must have 1 or 3 channels \(grey or RGB\)\. Received: image_shape=\(32, 32, 2\)"),
    "unet_generator size-free 4 channels": (lambda: unet_generator((None, None, 4), filters=2, depth=2), r"Received: image_shape=\(None, None, 4\)"),
    "synthetic_depth numpy float height": (lambda: haze.synthetic_depth(np.float32(8), 8, 0), r"`height` must be an integer >= 2"),
    "make_hazy_pairs numpy bool seed": (lambda: haze.make_hazy_pairs(GOOD, np.bool_(True)), r"`seed` must be an int >= 0"),
    "FrequencyShift phase numpy bool": (lambda: FrequencyShift((0.0, 0.2), phase=np.bool_(True)), r"`phase` must be a finite number"),
    "FreqGAN l1_weight inf": (
        lambda: FreqGAN(keras.Sequential([keras.layers.Identity()]), keras.Sequential([keras.layers.Identity()]), l1_weight=float("inf")),
        r"`l1_weight` must be a finite number >= 0\. Received: l1_weight=inf",
    ),
}


def _identity_model(shape=(None, None, 3)):
    inputs = keras.Input(shape)
    return keras.Model(inputs, keras.layers.Identity()(inputs))


# NumPy integers and floats are numbers: a count, size or weight taken from
# an array (np.arange, np.linspace, a config loaded with NumPy) is accepted
# where the Python number is, and kept as the Python number (configs and
# JSON records hold plain ints and floats). Each case returns what was kept.
NUMPY_SCALARS = {
    "SpectralProfile drop_highest": (lambda n: SpectralProfile(drop_highest=n(1)).get_config()["drop_highest"], 1),
    "InstanceNoiseSchedule decay_steps": (lambda n: instance_noise.InstanceNoiseSchedule(0.1, n(10)).decay_steps, 10),
    "SpectrumMonitor every_n_epochs": (lambda n: SpectrumMonitor(GOOD, GOOD, every_n_epochs=n(2)).every_n_epochs, 2),
    "FreqGAN gradient_penalty_interval": (
        lambda n: FreqGAN(_identity_model(), _identity_model(), gradient_penalty_interval=n(4)).get_config()["gradient_penalty_interval"], 4),
    "focal_frequency_loss patch_factor": (lambda n: tuple(losses.focal_frequency_loss(GOOD, GOOD, patch_factor=n(2)).shape), (2,)),
    "with_static_size height, width": (lambda n: tuple(with_static_size(_identity_model(), n(16), n(8)).input_shape), (None, 16, 8, 3)),
    "dcgan_discriminator image_shape": (lambda n: tuple(dcgan_discriminator((n(16), n(16), n(3)), filters=2).input_shape), (None, 16, 16, 3)),
    "dcgan_generator image_size": (lambda n: tuple(dcgan_generator(4, n(8), 3, filters=2).output_shape), (None, 8, 8, 3)),
    "SpectralDiscriminator image_channels": (
        lambda n: SpectralDiscriminator(_identity_model((16, 16, 3)), image_channels=n(3)).get_config()["image_channels"], 3),
    "coherent_dehazer channels": (lambda n: coherent_dehazer(coarse_size=32, filters=2, channels=n(1)).input_shape[-1], 1),
    "frequency_bias num_bands": (lambda n: len(frequency_bias(GOOD, GOOD, num_bands=n(4))["band_centres"]), 4),
    "synthetic_depth height, width": (lambda n: tuple(haze.synthetic_depth(n(8), n(6), (1, 2)).shape), (8, 6, 1)),
    "make_hazy_pairs seed": (lambda n: bool(np.array_equal(haze.make_hazy_pairs(GOOD, n(3))[0], haze.make_hazy_pairs(GOOD, 3)[0])), True),
    "ChannelMean target_shape": (lambda n: ChannelMean((n(1), n(1), n(3))).get_config()["target_shape"], (1, 1, 3)),
    "DarkChannelAirlight top_fraction": (lambda n: DarkChannelAirlight(n(1), top_fraction=n(1)).get_config()["top_fraction"], 1.0),
    "DarkChannelAirlight top_fraction float32": (
        lambda n: DarkChannelAirlight(n(1), top_fraction=np.float32(n(1)) / 4).get_config()["top_fraction"], 0.25),
    "SpectralProfile num_bins": (lambda n: SpectralProfile(binning="normalized", num_bins=n(6)).get_config()["num_bins"], 6),
    "FrequencyShift phase": (lambda n: FrequencyShift((0.0, 0.25), phase=n(1)).get_config()["phase"], 1.0),
    "InvertScattering min_transmission": (lambda n: InvertScattering(min_transmission=n(1)).get_config()["min_transmission"], 1.0),
    "FreqGAN instance_noise": (lambda n: FreqGAN(_identity_model(), _identity_model(), instance_noise=n(0)).instance_noise, 0.0),
    # A pair of them as one array: np.array([0, 1]) / 4 and the like.
    "FrequencyShift frequency array": (lambda n: FrequencyShift(np.array([n(0), n(1)]) / 4).get_config()["frequency"], [0.0, 0.25]),
    "carrier frequency array": (lambda n: spectral.carrier(4, 4, np.array([n(0), n(0)]))[0].shape.as_list(), [4, 4]),
    "unet_generator image_shape array": (lambda n: tuple(unet_generator(np.array([n(16), n(16), n(3)]), filters=2, depth=2, bands=None).input_shape), (None, 16, 16, 3)),
    "dcgan_discriminator image_shape array": (lambda n: tuple(dcgan_discriminator(np.array([n(16), n(16), n(3)]), filters=2).input_shape), (None, 16, 16, 3)),
    "unet_generator bands array": (lambda n: len(unet_generator((16, 16, 3), filters=2, depth=2, bands=np.array([[n(0), n(1)], [n(1), n(2)]]) / 8).inputs), 1),
}


@pytest.mark.parametrize("kind", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("case", list(NUMPY_SCALARS))
def test_numpy_integers_are_numbers(case, kind):
    call, expected = NUMPY_SCALARS[case]
    kept = call(kind)
    assert kept == expected and type(kept) is type(expected)


def _flatten():
    return keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten()])


# Flags are True or False, a Python or NumPy bool: `bool(value)` made the
# string "False" or "no" True and None False, the opposite of what was
# asked for, silently. Each case returns what was kept.
FLAGS = {
    "FrequencyShift quadrature": (lambda v: FrequencyShift((0.0, 0.25), quadrature=v).get_config()["quadrature"], "quadrature"),
    "SpectralProfile exclude_dc": (lambda v: SpectralProfile(exclude_dc=v).get_config()["exclude_dc"], "exclude_dc"),
    "SpectralProfile normalize": (lambda v: SpectralProfile(normalize=v).get_config()["normalize"], "normalize"),
    "SpectralDiscriminator stop_generator_gradient": (
        lambda v: SpectralDiscriminator(_identity_model((16, 16, 3)), stop_generator_gradient=v).get_config()["stop_generator_gradient"],
        "stop_generator_gradient"),
    "GANMetricsMonitor fid": (lambda v: GANMetricsMonitor(GOOD, GOOD, _flatten(), nearest_k=1, fid=v).fid, "fid"),
    "GANMetricsMonitor prd": (lambda v: GANMetricsMonitor(GOOD, GOOD, _flatten(), nearest_k=1, prd=v).prd, "prd"),
    "StopOnDivergence check_weights": (lambda v: StopOnDivergence(check_weights=v).check_weights, "check_weights"),
    "coherent_dehazer grey_airlight": (
        lambda v: any(isinstance(layer, ChannelMean) for layer in coherent_dehazer(coarse_size=32, filters=2, grey_airlight=v).layers),
        "grey_airlight"),
    "real_dft_matrices half": (lambda v: dft.real_dft_matrices(4, half=v)[0].shape == (4, 3), "half"),
}


@pytest.mark.parametrize("value", ["False", None, 1])
@pytest.mark.parametrize("case", list(FLAGS))
def test_flags_must_be_bools(case, value):
    call, name = FLAGS[case]
    with pytest.raises(ValueError, match=rf"`{name}` must be True or False\. Received: {name}={re.escape(repr(value))}"):
        call(value)


@pytest.mark.parametrize("case", list(FLAGS))
def test_numpy_bools_are_bools(case):
    call, _ = FLAGS[case]
    assert call(np.True_) is True


def test_minibatch_std_takes_a_numpy_bool():
    # True, False or a dict of MinibatchStdDev arguments; np.True_ was refused.
    layers = [type(layer).__name__ for layer in dcgan_discriminator((16, 16, 3), filters=2, minibatch_std=np.True_).layers]
    assert "MinibatchStdDev" in layers


@pytest.mark.parametrize("where", ["file", "under a file"])
@pytest.mark.parametrize("monitor", ["SpectrumMonitor", "GANMetricsMonitor"])
def test_a_monitor_log_dir_that_is_a_file_is_refused_when_made(monitor, where, tmp_path):
    # TensorFlow's summary writer failed (FailedPreconditionError: Not a
    # directory) only at the end of the first measured epoch.
    (tmp_path / "logs").write_text("not a folder")
    log_dir = tmp_path / "logs" if where == "file" else tmp_path / "logs" / "run1"
    make = {
        "SpectrumMonitor": lambda: SpectrumMonitor(GOOD, GOOD, log_dir=log_dir),
        "GANMetricsMonitor": lambda: GANMetricsMonitor(GOOD, GOOD, _flatten(), nearest_k=1, log_dir=log_dir),
    }[monitor]
    with pytest.raises(ValueError, match=rf"cannot write into log_dir {re.escape(str(log_dir))}: Not a directory\. Received: log_dir="):
        make()


def test_loss_shapes_known_only_in_the_graph_are_checked_there():
    l1 = tf.function(losses.l1_loss, input_signature=[tf.TensorSpec((None, None, None, 3))] * 2)
    assert l1(GOOD, GOOD).shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`target` and `prediction` must have the same shape"):
        l1(GOOD, GOOD[:, :8, :8])
    focal = tf.function(losses.focal_frequency_loss, input_signature=[tf.TensorSpec((None, None, None, 3))] * 2)
    with pytest.raises(ValueError, match=r"focal_frequency_loss needs a static height and width"):
        focal(GOOD, GOOD)


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_named(case):
    call, message = BAD_ARGUMENTS[case]
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------
# Huge requests fail at once, before anything of that size is allocated.
# ---------------------------------------------------------------------------

TOO_MANY = r"more than the 2147483647 \(2\*\*31 - 1\) that one array may have\. Received: "

HUGE_REQUESTS = {
    "frequency_grid": (lambda: spectral.frequency_grid(HUGE, HUGE), r"A frequency grid would have shape \(1000000, 1000000\), 1e\+12 elements, " + TOO_MANY + "height=1000000, width=1000000"),
    "band_mask": (lambda: spectral.band_mask((HUGE, HUGE), 0.1), TOO_MANY + "height=1000000"),
    "radial_bins": (lambda: spectral.radial_bins(HUGE, HUGE), TOO_MANY + "height=1000000"),
    "carrier": (lambda: spectral.carrier(HUGE, HUGE, (0.0, 0.25)), TOO_MANY + "height=1000000"),
    "radial_profile num_bins": (lambda: spectral.radial_profile(GOOD, num_bins=10**12), r"it has only 256 frequencies\. Use fewer bins\. Received: num_bins=1000000000000"),
    "real_dft_matrices": (lambda: dft.real_dft_matrices(HUGE), r"A DFT matrix would have shape \(1000000, 1000000\).*Received: n=1000000"),
    "FFTBandFilter input": (lambda: FFTBandFilter(0.1)(keras.Input((HUGE, HUGE, 1))), r"FFTBandFilter's image plane would have shape \(1000000, 1000000\).*Received: input_shape=\(None, 1000000, 1000000, 1\)"),
    "FFTBandFilter matmul input": (lambda: FFTBandFilter(0.1, implementation="matmul")(keras.Input((HUGE, 8, 1))), r"FFTBandFilter\(implementation='matmul'\)'s DFT matrix would have shape \(1000000, 1000000\).*Received: input_shape=\(None, 1000000, 8, 1\)"),
    "FrequencyShift input": (lambda: FrequencyShift((0.0, 0.25))(keras.Input((HUGE, HUGE, 3))), r"FrequencyShift's image plane.*Received: input_shape="),
    "SpectralProfile input": (lambda: SpectralProfile()(keras.Input((HUGE, HUGE, 3))), r"SpectralProfile's image plane.*Received: input_shape="),
    "synthetic_depth": (lambda: haze.synthetic_depth(HUGE, HUGE, (1, 2)), r"The depth map would have shape .*Received: height=1000000, width=1000000"),
    "photo_patches size": (lambda: photos.photo_patches(["coffee"], HUGE, 1), r"The patches would have shape \(1, 1000000, 1000000, 3\).*Received: size=1000000, per_photo=1"),
    "photo_patches per_photo": (lambda: photos.photo_patches(["coffee"], 8, 10**9), r"The patches would have shape \(1000000000, 8, 8, 3\).*per_photo=1000000000"),
    "photo_patches short_side": (lambda: photos.photo_patches(["coffee"], 8, 1, short_side=HUGE), r"Photo 'coffee' resized would have shape \(1000000, 1500000, 3\).*Received: short_side=1000000"),
    "center_crop": (lambda: photos.center_crop(GOOD[0], HUGE), r"The cropped image would have shape \(1000000, 1000000, 3\).*Received: size=1000000"),
    "carrier_dataset": (lambda: carriers.carrier_dataset((0.0, 0.25), size=HUGE), r"The patches would have shape \(384, 1000000, 1000000, 3\).*size=1000000"),
    "unet_generator depth": (lambda: unet_generator((None, None, 3), filters=4, depth=30), r"The U-Net's deepest convolution kernel would have shape \(4, 4, 2147483648, 4294967296\).*Received: filters=4, depth=30"),
    "dcgan_generator image_size": (lambda: dcgan_generator(8, 2**40, filters=4), r"The DCGAN generator's dense kernel would have shape \(8, 8796093022208\).*Received: latent_dim=8, image_size=1099511627776, filters=4"),
    "calibration count": (lambda: calibration.representative_images((32, 32, 3), count=10**9), r"The calibration images would have shape \(1000000000, 32, 32, 3\).*Received: count=1000000000"),
}


@pytest.mark.parametrize("case", list(HUGE_REQUESTS))
def test_huge_requests_fail_fast(case):
    call, message = HUGE_REQUESTS[case]
    started = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        call()
    assert time.perf_counter() - started < 5.0  # refused, not attempted


# ---------------------------------------------------------------------------
# Layers: inputs checked in build (shape) and call (dtype). Keras wraps an
# error raised in `call` ("Exception encountered when calling ..."); the
# layer's own message is inside it.
# ---------------------------------------------------------------------------

LAYERS = {
    "FFTBandFilter": lambda: FFTBandFilter(high=0.1),
    "FFTBandFilter matmul": lambda: FFTBandFilter(high=0.1, implementation="matmul"),
    "SpectralProfile": lambda: SpectralProfile(),
    "FrequencyShift": lambda: FrequencyShift((0.0, 0.25)),
}

BAD_LAYER_INPUTS = {
    "rank 3": (GOOD[0], r"expects images of shape \(batch, height, width, channels\)\. Received: input_shape=\(16, 16, 3\)"),
    "rank 5": (GOOD[np.newaxis], r"expects images of shape .*Received: input_shape=\(1, 2, 16, 16, 3\)"),
    "None": (None, r"expects images of shape .*Received: input_shape=None"),
    "empty batch": (np.zeros((0, 16, 16, 3), np.float32), r"received a zero-size dimension\. Received: input_shape=\(0, 16, 16, 3\)"),
    "uint8": ((GOOD * 255).astype(np.uint8), r"expects floating images .*convert_image_dtype.*Received: dtype=uint8"),
    "int32": (tf.zeros((2, 16, 16, 3), tf.int32), r"expects floating images .*Received: dtype=int32"),
    "bool": (tf.constant(GOOD > 0.5), r"expects floating images .*Received: dtype=bool"),
    "complex": (tf.constant(GOOD.astype(np.complex64)), r"expects floating images .*Received: dtype=complex64"),
}


@pytest.mark.parametrize("bad", list(BAD_LAYER_INPUTS))
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_inputs_are_checked(layer, bad):
    value, message = BAD_LAYER_INPUTS[bad]
    with pytest.raises(ValueError, match=f"{layer.split()[0]} " + message):
        LAYERS[layer]()(value)


def test_layer_inputs_in_a_functional_model():
    # The dtype is checked when the layer runs: a model built on an integer
    # Input (Keras infers its output shape without running `call`) fails on
    # its first call, with the layer's message.
    images = keras.Input((16, 16, 3), dtype="int32")
    model = keras.Model(images, FFTBandFilter(high=0.1)(images))
    with pytest.raises(ValueError, match="FFTBandFilter expects floating images .*Received: dtype=int32"):
        model(np.zeros((1, 16, 16, 3), np.int32))
    # Shapes are checked when the model is built.
    with pytest.raises(ValueError, match=r"needs a static height and width\. Received: input_shape=\(None, None, None, 3\)"):
        FFTBandFilter(high=0.1, implementation="matmul")(keras.Input((None, None, 3)))
    with pytest.raises(ValueError, match=r"SpectralProfile needs a static height and width .*Received: input_shape=\(None, None, 16, 3\)"):
        SpectralProfile()(keras.Input((None, 16, 3)))
    with pytest.raises(ValueError, match=r"SpectralProfile keeps 0 rings of the 3 of a 4x4 image"):
        SpectralProfile()(keras.Input((4, 4, 3)))


# ---------------------------------------------------------------------------
# Data: synthetic haze, photo patches, carriers.
# ---------------------------------------------------------------------------

DEPTH = GOOD[..., :1]

BAD_DATA_ARGUMENTS = {
    "add_haze depth with 3 channels": (lambda: haze.add_haze(GOOD, GOOD, 1.0, 0.8), r"`depth` must have one channel\. Received: depth\.shape=\(2, 16, 16, 3\)"),
    "add_haze sizes differ": (lambda: haze.add_haze(GOOD, DEPTH[:, :8], 1.0, 0.8), r"same height and width\. Received: clean\.shape=\(2, 16, 16, 3\), depth\.shape=\(2, 8, 16, 1\)"),
    "add_haze rank 5": (lambda: haze.add_haze(GOOD[np.newaxis], DEPTH, 1.0, 0.8), r"`clean` must have rank 3 or 4 .*Received: shape=\(1, 2, 16, 16, 3\)"),
    "add_haze uint8 clean": (lambda: haze.add_haze((GOOD * 255).astype(np.uint8), DEPTH, 1.0, 0.8), r"`clean` must be a floating tensor .*Received: dtype=uint8"),
    "add_haze empty": (lambda: haze.add_haze(GOOD[:0], DEPTH[:0], 1.0, 0.8), r"`clean` has a zero-size dimension\. Received: shape=\(0, 16, 16, 3\)"),
    "add_haze NaN clean": (lambda: haze.add_haze(_with(np.nan), DEPTH, 1.0, 0.8), r"`clean` contains NaN or Inf values"),
    "add_haze clean beyond 1": (lambda: haze.add_haze(GOOD * 2, DEPTH, 1.0, 0.8), r"`clean` must have values in \[0, 1\]\. Received: min=.*, max=1\.9"),
    "add_haze negative depth": (lambda: haze.add_haze(GOOD, -DEPTH, 1.0, 0.8), r"`depth` must be >= 0\. Received: min=-"),
    "add_haze negative beta": (lambda: haze.add_haze(GOOD, DEPTH, -1.0, 0.8), r"`beta` must be finite and >= 0\. Received: beta=\[-1\.\]"),
    "add_haze NaN beta": (lambda: haze.add_haze(GOOD, DEPTH, float("nan"), 0.8), r"Received: beta=\[nan\]"),
    "add_haze string beta": (lambda: haze.add_haze(GOOD, DEPTH, "strong", 0.8), r"`beta` must be a number or a numeric array\. Received: dtype=string"),
    "add_haze beta per image, wrong count": (lambda: haze.add_haze(GOOD, DEPTH, np.ones(5), 0.8), r"`beta` must have one value per image \(2\)\. Received: shape=\(5,\)"),
    "add_haze airlight above 1": (lambda: haze.add_haze(GOOD, DEPTH, 1.0, 2.0), r"`airlight` must lie in \[0, 1\]\. Received: airlight=\[2\.\]"),
    "add_haze airlight per channel, wrong count": (lambda: haze.add_haze(GOOD, DEPTH, 1.0, np.ones((2, 2))), r"`airlight` must be a scalar, one value per image .*Received: shape=\(2, 2\)"),
    "random_haze scalar seed": (lambda: haze.random_haze(GOOD, DEPTH, 3), r"`seed` must be a shape \(2,\) integer tensor\. Received: shape=\(\), dtype=int32"),
    "random_haze float seed": (lambda: haze.random_haze(GOOD, DEPTH, (1.0, 2.0)), r"Received: shape=\(2,\), dtype=float32"),
    "random_haze reversed beta_range": (lambda: haze.random_haze(GOOD, DEPTH, (1, 2), beta_range=(2, 1)), r"`beta_range` must satisfy min <= max .*Received: beta_range=\(2, 1\)"),
    "random_haze string beta_range": (lambda: haze.random_haze(GOOD, DEPTH, (1, 2), beta_range=("a", "b")), r"`beta_range` must be a \(min, max\) pair of numbers\. Received: beta_range=\('a', 'b'\)"),
    "random_haze airlight_range above 1": (lambda: haze.random_haze(GOOD, DEPTH, (1, 2), airlight_range=(0.5, 1.5)), r"within \[0\.0, 1\.0\]\. Received: airlight_range=\(0\.5, 1\.5\)"),
    "synthetic_depth height 1": (lambda: haze.synthetic_depth(1, 8, (1, 2)), r"`height` must be >= 2\. Received: height=1"),
    "synthetic_depth float width": (lambda: haze.synthetic_depth(8, 8.5, (1, 2)), r"`width` must be an integer >= 2\. Received: width=8\.5"),
    "synthetic_depth negative relief": (lambda: haze.synthetic_depth(8, 8, (1, 2), relief=-1), r"Received: relief=-1"),
    "photo_patches one name as a string": (lambda: photos.photo_patches("coffee", 8, 1), r"`names` must be a non-empty sequence of photo names\. Received: names='coffee'"),
    "photo_patches no names": (lambda: photos.photo_patches([], 8, 1), r"Received: names=\[\]"),
    "photo_patches unknown name": (lambda: photos.photo_patches(["lena"], 8, 1), r"Unknown photos \['lena'\]"),
    "photo_patches size 0": (lambda: photos.photo_patches(["coffee"], 0, 1), r"`size` must be a positive integer\. Received: size=0"),
    "photo_patches negative per_photo": (lambda: photos.photo_patches(["coffee"], 8, -1), r"Received: per_photo=-1"),
    "photo_patches short_side 0": (lambda: photos.photo_patches(["coffee"], 8, 1, short_side=0), r"`short_side` must be None or a positive integer\. Received: short_side=0"),
    "photo_patches string seed": (lambda: photos.photo_patches(["coffee"], 8, 1, seed="x"), r"`seed` must be an integer\. Received: seed='x'"),
    "photo_patches bigger than the photo": (lambda: photos.photo_patches(["coffee"], 64, 1, short_side=32), r"Photo 'coffee' is 32x48 pixels, smaller than the patch size 64"),
    "center_crop rank 2": (lambda: photos.center_crop(GOOD[0, ..., 0], 8), r"`image` must have shape \(H, W, C\)\. Received: shape=\(16, 16\)"),
    "load_photo unknown": (lambda: photos.load_photo("lena"), r"Unknown photo\. .*Received: name='lena'"),
    "carrier_dataset string bandwidth": (lambda: carriers.carrier_dataset((0.0, 0.25), bandwidth="wide"), r"`bandwidth` must be a frequency .*Received: bandwidth='wide'"),
    "carrier_dataset negative bandwidth": (lambda: carriers.carrier_dataset((0.0, 0.25), bandwidth=-0.1), r"Received: bandwidth=-0\.1"),
    "carrier_dataset zero bandwidth": (lambda: carriers.carrier_dataset((0.0, 0.25), bandwidth=0), r"`bandwidth` must be > 0 .*Received: bandwidth=0\.0"),
    "carrier_dataset overlapping copies": (lambda: carriers.carrier_dataset((0.0, 0.1), bandwidth=0.2), r"shifted copies overlap\. Received: bandwidth=0\.2, frequency=\(0\.0, 0\.1\)"),
    "carrier_dataset beyond Nyquist": (lambda: carriers.carrier_dataset((0.6, 0.0)), r"Received: frequency=\(0\.6, 0\.0\)"),
}


@pytest.mark.parametrize("case", list(BAD_DATA_ARGUMENTS))
def test_data_builders_name_the_bad_argument(case):
    call, message = BAD_DATA_ARGUMENTS[case]
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------
# Files and folders: missing, empty, corrupt, oversized.
# ---------------------------------------------------------------------------


def _png(path, size=8):
    pixels = tf.cast(tf.random.stateless_uniform((size, size, 3), (1, 2), 0, 255), tf.uint8)
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


def _oversized_png(path, side=100_000):
    """A valid PNG header that claims side x side pixels, in about 1 KB."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * side) * 2)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Folders of good, corrupt, empty and oversized images, shared by the file tests."""
    root = tmp_path_factory.mktemp("files")
    for name in ("good", "good_clear", "empty", "corrupt", "stray", "oversized/hazy", "oversized/clear", "pairs/hazy", "pairs/clear"):
        (root / name).mkdir(parents=True)
    for index in range(3):
        _png(root / "good" / f"{index}.png")
        _png(root / "good_clear" / f"{index}.png")
    (root / "corrupt" / "0001.png").write_bytes(os.urandom(256))  # garbage bytes named .png
    (root / "corrupt" / "empty.png").write_bytes(b"")
    _png(root / "stray" / "0001.png")
    (root / "stray" / "notes.txt").write_text("not an image")
    _oversized_png(root / "oversized" / "hazy" / "0001.png")
    _oversized_png(root / "oversized" / "clear" / "0001.png")
    _png(root / "pairs" / "hazy" / "0001_0.8.png")
    (root / "pairs" / "clear" / "0001.png").write_bytes(os.urandom(256))
    (root / "file.png").write_bytes(b"")
    (root / "garbage.keras").write_bytes(b"garbage")
    return root


CORRUPT = r"\(corrupt, or not an image\): "

BAD_FILES = {
    "load_image missing": (lambda r: folders.load_image(r / "missing.png"), FileNotFoundError, r"Image file does not exist\. Received: path='.*missing\.png'"),
    "load_image folder": (lambda r: folders.load_image(r / "good"), ValueError, r"Expected an image file, got a folder\. Received: path='.*good'"),
    "load_image garbage bytes": (lambda r: folders.load_image(r / "corrupt" / "0001.png"), ValueError, r"Could not decode the image file '.*0001\.png' " + CORRUPT + r"not a PNG, JPEG, BMP, TIFF or WebP image$"),
    "load_image empty file": (lambda r: folders.load_image(r / "corrupt" / "empty.png"), ValueError, r"Could not decode the image file '.*empty\.png' " + CORRUPT + r"the file is empty\.$"),
    "load_image oversized header": (lambda r: folders.load_image(r / "oversized" / "hazy" / "0001.png"), ValueError, r"Could not decode the image file '.*0001\.png' .*too large"),
    "load_image None": (lambda r: folders.load_image(None), ValueError, r"`path` must be a path to an image file\. Received: path=None"),
    "load_image_pair garbage": (lambda r: folders.load_image_pair(r / "good" / "0.png", r / "corrupt" / "0001.png"), ValueError, r"Could not decode the image file '.*corrupt/0001\.png'"),
    "image_pair_dataset missing folder": (lambda r: folders.image_pair_dataset(r / "nope", r / "good"), FileNotFoundError, r"`hazy_dir` does not exist\. Received: hazy_dir='.*nope'"),
    "image_pair_dataset empty folder": (lambda r: folders.image_pair_dataset(r / "empty", r / "good"), ValueError, r"`hazy_dir` contains no images .*Received: hazy_dir='.*empty'"),
    "image_pair_dataset file, not folder": (lambda r: folders.image_pair_dataset(r / "good", r / "file.png"), ValueError, r"`clear_dir` must be a folder, not a file\. Received: clear_dir='.*file\.png'"),
    "image_pair_dataset stray file": (lambda r: folders.image_pair_dataset(r / "stray", r / "stray"), ValueError, r"contains a file that is not an image: '.*notes\.txt'"),
    "image_pair_dataset unmatched": (lambda r: folders.image_pair_dataset(r / "pairs" / "hazy", r / "good"), ValueError, r"The hazy image '.*0001_0\.8\.png' has no clear partner"),
    "image_pair_dataset corrupt header": (lambda r: folders.image_pair_dataset(r / "pairs" / "hazy", r / "pairs" / "clear"), ValueError, r"Could not decode the image file '.*clear/0001\.png' " + CORRUPT),
    "image_pair_dataset oversized header": (lambda r: folders.image_pair_dataset(r / "oversized" / "hazy", r / "oversized" / "clear"), ValueError, r"The image file '.*0001\.png' is too large to read: Image size \(10000000000 pixels\)"),
    "image_pair_dataset one folder twice": (lambda r: folders.image_pair_dataset(r / "good", r / "good"), ValueError, r"same folder"),
    "image_pair_dataset crop_size 0": (lambda r: folders.image_pair_dataset(r / "good", r / "good_clear", crop_size=0), ValueError, r"`crop_size` must be None or a positive integer\. Received: crop_size=0"),
    "image_pair_dataset crop bigger than images": (lambda r: folders.image_pair_dataset(r / "good", r / "good_clear", crop_size=HUGE), ValueError, r"smaller than the crop\. .*Received: crop_size=1000000"),
    "image_pair_dataset shuffle string": (lambda r: folders.image_pair_dataset(r / "good", r / "good_clear", shuffle="yes"), ValueError, r"Received: shuffle='yes'"),
    "image_pair_dataset float seed": (lambda r: folders.image_pair_dataset(r / "good", r / "good_clear", seed=1.5), ValueError, r"`seed` must be an integer\. Received: seed=1\.5"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_and_folders_are_named(files, case):
    call, error, message = BAD_FILES[case]
    with pytest.raises(error, match=message):
        call(files)


# ---------------------------------------------------------------------------
# Metrics on feature statistics (NumPy).
# ---------------------------------------------------------------------------

EYE = np.eye(3)
ZERO = np.zeros(3)

BAD_STATISTICS = {
    "different d": ((ZERO, EYE, np.zeros(4), np.eye(4)), r"same number of features\. Received: mu1\.shape=\(3,\), mu2\.shape=\(4,\)"),
    "sigma does not match mu": ((ZERO, np.eye(2), ZERO, EYE), r"`sigma1` must be a \(d, d\) covariance matching `mu1` \(d=3\)\. Received: sigma1\.shape=\(2, 2\)"),
    "mu is 2-D": ((EYE, EYE, ZERO, EYE), r"`mu1` must be a non-empty vector \(d,\)\. Received: mu1\.shape=\(3, 3\)"),
    "empty": ((np.zeros(0), np.zeros((0, 0)), ZERO, EYE), r"Received: mu1\.shape=\(0,\)"),
    "strings": ((["a", "b", "c"], EYE, ZERO, EYE), r"`mu1` must hold real numbers \(integers or floats\)\. Received: dtype=<U1"),
    "bool": ((ZERO, EYE, ZERO, EYE.astype(bool)), r"`sigma2` must hold real numbers .*Received: dtype=bool"),
    "complex": ((ZERO.astype(complex), EYE, ZERO, EYE), r"Received: dtype=complex128"),
    "ragged": ((ZERO, [[1, 0], [0]], ZERO, EYE), r"`sigma1` must be a numeric \(d, d\) covariance\. Received: list"),
    "NaN": ((ZERO, EYE * np.nan, ZERO, EYE), r"`mu1` or `sigma1` contains NaN or Inf values"),
    "not symmetric": ((ZERO, np.triu(np.ones((3, 3))), ZERO, EYE), r"`sigma1` must be a symmetric covariance matrix\. Received: max \|sigma1 - sigma1\.T\| = 1"),
    "not PSD": ((ZERO, EYE, ZERO, -EYE), r"`sigma2` must be positive semi-definite .*Received: smallest eigenvalue -1"),
}


@pytest.mark.parametrize("case", list(BAD_STATISTICS))
def test_frechet_distance_names_the_bad_statistic(case):
    arguments, message = BAD_STATISTICS[case]
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(*arguments)


@pytest.mark.parametrize(
    "features, message",
    [
        (np.zeros((1, 3)), r"at least 2 samples .*Received: shape=\(1, 3\)"),
        (np.zeros((2, 3, 4)), r"shape \(num_samples, num_features\) with both > 0\. Received: shape=\(2, 3, 4\)"),
        (np.zeros((4, 3), bool), r"`features` must hold real numbers .*Received: dtype=bool"),
        (np.full((4, 3), np.inf), r"`features` contains NaN or Inf values"),
    ],
)
def test_feature_statistics_name_the_bad_features(features, message):
    with pytest.raises(ValueError, match=message):
        metrics.feature_statistics(features)


# ---------------------------------------------------------------------------
# Atomic writes: a failing write leaves the previous file and nothing else.
# ---------------------------------------------------------------------------


def test_a_failing_write_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("previous")

    def half_then_fail(temporary):
        with open(temporary, "w") as handle:
            handle.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(str(target), half_then_fail)
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["report.json"]  # no temporary file left


# ---------------------------------------------------------------------------
# The programs, in-process: exit status 2, ONE line on stderr naming the
# problem, no traceback (unless --debug), nothing written.
# ---------------------------------------------------------------------------


def _run(main, argv):
    """(exit status, stderr lines) of `main(argv)`; argparse's exit counts as a status."""
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
    return status, [line for line in stderr.getvalue().splitlines() if line.strip()]


def _assert_one_error_line(status, lines, prog, message):
    assert status == 2
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    assert message in lines[0], lines[0]


TRAIN_ERRORS = [
    (["--set", "foo=1"], "Config 'dehaze-demo' has no key 'foo'"),
    (["--set", "epochs"], "--set expects key=value. Received: 'epochs'"),
    (["--set", "epochs=-1"], "`epochs` must be a positive integer. Received: epochs=-1"),
    (["--set", "epochs=True"], "Config key 'epochs' expects int, got bool. Received: epochs=True"),
    (["--set", "channels=True"], "Config key 'channels' expects int, got bool. Received: channels=True"),
    (["--set", "frequency_aware=None"], "Config key 'frequency_aware' cannot be None (its default is True). Received: frequency_aware=None"),
    (["--set", "epochs=2", "--set", "epochs=3"], "--set gives 'epochs' twice; give each key once. Received: 'epochs=3'"),
    (["--set", "epochs=2", "--epochs", "3"], "--epochs and --set epochs=... both give the epochs; give one. Received: --epochs 3"),
    (["--set", "seed=4294967296"], "`seed` must be an integer in [0, 2**32 - 1]. Received: seed=4294967296"),
    (["--set", "image_size=15"], "`image_size` must be divisible by 2 ** generator_depth = 2 ** 2"),
    (["--set", "generator_head='bogus'"], "`generator_head` must be one of 'scattering', 'residual', 'direct'. Received: generator_head='bogus'"),
    (["--set", "adversarial_loss='bogus'"], "`adversarial_loss` must be one of"),
    (["--set", "frequency_loss='bogus'"], "`frequency_loss` must be one of"),
    (["--set", "photo_short_side=8"], "`photo_short_side` must be at least `image_size` (32)"),
    (["--set", "spectrum_matching_max_frequency=50.0"], "`spectrum_matching_max_frequency` must be at most 2 ** -0.5"),
    (["--set", "instance_noise=1e308"], "`instance_noise` must be a finite number >= 0. Received: instance_noise=1e+308"),
    (["--set", "train_photos=['flower','flower']"], "`train_photos` names a photo twice"),
    (["--config", "dcgan-32", "--set", "image_size=24"], "`image_size` must be a power of two >= 8 for an unconditional GAN"),
    (["--config", "dehaze-v2", "--set", "airlight_tint=5.0"], "`airlight_tint` must be a number in [0, 0.5]. Received: airlight_tint=5.0"),
    (["--config", "dehaze-v2", "--set", "crop_range=[0.0, 0.0]"], "`crop_range` must start above 0"),
    (["--config", "dehaze-v2", "--set", "coarse_size=1000"], "`coarse_size` must be a multiple of 16, at least 32. Received: coarse_size=1000"),
    (["--config", "dehaze-v2", "--set", "validation_photos=['motorcycle']", "--set", "keep_best='psnr'", "--set", "train_photos=['chelsea','rocket','flower']",
      "--set", "validation_patches_per_photo=100000"], "`validation_patches_per_photo` x 1 photos at image_size 256 would hold"),
    (["--set", "epochs=1.5"], "Config key 'epochs' expects int, got float. Received: epochs=1.5"),
    (["--set", "epochs='many'"], "Config key 'epochs' expects int, got str. Received: epochs='many'"),
    (["--set", "image_size=0"], "`image_size` must be a positive integer. Received: image_size=0"),
    (["--set", "batch_size=100000"], "`batch_size` must not exceed the number of training patches"),
    (["--set", "generator_lr=-1.0"], "`generator_lr` must be a finite number > 0. Received: generator_lr=-1.0"),
    (["--set", "l1_weight=-1.0"], "`l1_weight` must be a finite number >= 0. Received: l1_weight=-1.0"),
    (["--set", "channels=2"], "`channels` must be one of 1, 3. Received: channels=2"),
    (["--set", "mixed_precision='float8'"], "`mixed_precision` must be one of None, 'mixed_float16', 'mixed_bfloat16'. Received: mixed_precision='float8'"),
    (["--set", "beta_range=[2.0, 1.0]"], "`beta_range` must satisfy min <= max within >= 0.0. Received: beta_range=(2.0, 1.0)"),
    (["--set", "train_photos=['lena']"], "`train_photos`: Unknown photos ['lena']"),
    (["--set", "eval_photos=['flower']"], "`train_photos` and `eval_photos` must not share a photo"),
    (["--config", "dehaze-9000"], "Unknown config 'dehaze-9000'"),
    (["--epochs", "x"], "argument --epochs: invalid int value: 'x'"),
    (["--strategy", "tpu"], "argument --strategy: invalid choice: 'tpu'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize("argv, message", TRAIN_ERRORS, ids=[" ".join(argv) for argv, _ in TRAIN_ERRORS])
def test_train_cli_errors(tmp_path, argv, message):
    status, lines = _run(train.main, argv + ["--out", str(tmp_path / "run")])
    _assert_one_error_line(status, lines, "kfreqgan-train", message)
    assert not (tmp_path / "run").exists()  # failed before writing anything


def test_train_cli_refuses_a_file_as_out(tmp_path):
    (tmp_path / "run").write_text("a file")
    status, lines = _run(train.main, ["--out", str(tmp_path / "run")])
    _assert_one_error_line(status, lines, "kfreqgan-train", f"argument --out: must be a folder, not a file or a path under one ({tmp_path / 'run'} is not a folder). Received: {str(tmp_path / 'run')!r}")
    assert (tmp_path / "run").read_text() == "a file"


@pytest.fixture
def restore_traceback_filtering():
    enabled = keras.config.is_traceback_filtering_enabled()
    yield
    (keras.config.enable_traceback_filtering if enabled else keras.config.disable_traceback_filtering)()


@pytest.mark.usefixtures("restore_traceback_filtering")
def test_debug_raises_the_error_instead_of_one_line(tmp_path, capsys):
    # Run as a console script, the exception that main() lets through is
    # printed with its traceback.
    with pytest.raises(ValueError, match="`epochs` must be a positive integer. Received: epochs=-1"):
        train.main(["--set", "epochs=-1", "--debug", "--out", str(tmp_path / "run")])
    with pytest.raises(FileNotFoundError, match="`real` does not exist"):
        spectrum_cli.main([str(tmp_path / "missing"), str(tmp_path), "--out", str(tmp_path / "out"), "--debug"])
    with pytest.raises(FileNotFoundError, match="Model file not found"):
        export_cli.main([str(tmp_path / "missing.keras"), "--out", str(tmp_path / "out"), "--debug"])
    assert "error:" not in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def generator_file(generator, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "generator.keras"
    generator.save(path)
    return path


SPECTRUM_ERRORS = {
    "missing folder": (lambda r: [r / "nope", r / "good"], "`real` does not exist. Received: real="),
    "empty folder": (lambda r: [r / "good", r / "empty"], "`fake` contains no images"),
    "corrupt file": (lambda r: [r / "good", r / "corrupt"], "Could not decode the image file"),
    "stray file": (lambda r: [r / "stray", r / "good"], "`real` contains a file that is not an image"),
    "garbage .keras": (lambda r: [r / "good", r / "garbage.keras"], "Not a Keras model file (a .keras file is a zip archive with config.json). Received: path="),
    "an image as the model": (lambda r: [r / "good", r / "good" / "0.png"], "must be a folder of images or a model (a .keras file, a SavedModel folder or a .tflite file). Received:"),
    "--resize huge": (lambda r: [r / "good", r / "good", "--resize", str(HUGE)], "The cropped image would have shape (1000000, 1000000, 3)"),
    "--resize 0": (lambda r: [r / "good", r / "good", "--resize", "0"], "argument --resize: must be an integer >= 8. Received: '0'"),
    "--num-bins 0": (lambda r: [r / "good", r / "good", "--num-bins", "0"], "argument --num-bins: must be an integer >= 1. Received: '0'"),
    "--num-bins huge": (lambda r: [r / "good", r / "good", "--num-bins", str(10**12)], "is too fine for a 8x8 spectrum"),
    "--num-samples 1": (lambda r: [r / "good", r / "good", "--num-samples", "1"], "argument --num-samples: must be an integer >= 2. Received: '1'"),
    "--num-samples x": (lambda r: [r / "good", r / "good", "--num-samples", "x"], "argument --num-samples: must be an integer >= 2. Received: 'x'"),
    "missing argument": (lambda r: [r / "good"], "the following arguments are required: fake"),
    "--bogus": (lambda r: [r / "good", r / "good", "--bogus"], "unrecognized arguments: --bogus"),
    "--out is a file": (lambda r: [r / "good", r / "good", "--out", r / "file.png"], "argument --out: must be a folder, not a file or a path under one"),
}


@pytest.mark.parametrize("case", list(SPECTRUM_ERRORS))
def test_spectrum_cli_errors(files, tmp_path, case):
    make_argv, message = SPECTRUM_ERRORS[case]
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.json").write_text("previous")  # a report from an earlier run
    argv = [str(arg) for arg in make_argv(files)]
    status, lines = _run(spectrum_cli.main, argv if "--out" in argv else argv + ["--out", str(out)])
    _assert_one_error_line(status, lines, "kfreqgan-spectrum", message)
    assert os.listdir(out) == ["report.json"] and (out / "report.json").read_text() == "previous"


EXPORT_ERRORS = {
    "missing model": (lambda r, m: [r / "missing.keras"], "Model file not found. Received: path="),
    "garbage model": (lambda r, m: [r / "corrupt" / "0001.png"], "A model must be a .keras file. Received: path="),
    "a folder as the model": (lambda r, m: [r / "good"], "A model must be a .keras file, not a folder. Received: path="),
    "--version -1": (lambda r, m: [m, "--version", "-1"], "argument --version: must be an integer >= 0. Received: '-1'"),
    "--version x": (lambda r, m: [m, "--version", "x"], "argument --version: must be an integer >= 0. Received: 'x'"),
    "--calibration-count 0": (lambda r, m: [m, "--calibration-count", "0"], "argument --calibration-count: must be an integer >= 1. Received: '0'"),
    "--calibration-count huge": (lambda r, m: [m, "--variants", "int8", "--calibration-count", str(10**9)], "The calibration images would have shape (1000000000, 32, 32, 3)"),
    "--calibration empty folder": (lambda r, m: [m, "--variants", "int8", "--calibration", r / "empty"], "`calibration folder` contains no images"),
    "--formats empty": (lambda r, m: [m, "--formats", ","], "--formats takes a comma-separated subset of saved_model,tflite. Received: --formats=','"),
    "--image-size x": (lambda r, m: [m, "--image-size", "big"], "--image-size takes HxW or one positive number. Received: --image-size='big'"),
    "--out is a file": (lambda r, m: [m, "--out", r / "file.png"], "argument --out: must be a folder, not a file or a path under one"),
    "--bogus": (lambda r, m: [m, "--bogus"], "unrecognized arguments: --bogus"),
}


@pytest.mark.parametrize("case", list(EXPORT_ERRORS))
def test_export_cli_errors(files, generator_file, tmp_path, case):
    make_argv, message = EXPORT_ERRORS[case]
    argv = [str(arg) for arg in make_argv(files, generator_file)]
    out = tmp_path / "exported"
    status, lines = _run(export_cli.main, argv if "--out" in argv else argv + ["--out", str(out)])
    _assert_one_error_line(status, lines, "kfreqgan-export", message)
    assert not out.exists()


def test_a_failed_export_keeps_the_previous_version(generator_file, tmp_path, monkeypatch):
    out = tmp_path / "exported"
    (out / "dehazer" / "1").mkdir(parents=True)
    (out / "dehazer" / "1" / "saved_model.pb").write_text("version 1")
    (out / "models.config").write_text("previous config")

    def half_written(generator, directory):
        with open(os.path.join(directory, "saved_model.pb"), "w") as handle:
            handle.write("half")
        raise ValueError("conversion failed halfway")

    monkeypatch.setattr(serving, "save_serving_model", half_written)
    argv = [str(generator_file), "--out", str(out), "--name", "dehazer", "--version", "1", "--overwrite"]
    status, lines = _run(export_cli.main, argv + ["--formats", "saved_model", "--no-verify"])
    _assert_one_error_line(status, lines, "kfreqgan-export", "conversion failed halfway")
    assert os.listdir(out / "dehazer") == ["1"]  # no temporary or set-aside folder left
    assert os.listdir(out / "dehazer" / "1") == ["saved_model.pb"]
    assert (out / "dehazer" / "1" / "saved_model.pb").read_text() == "version 1"
    assert (out / "models.config").read_text() == "previous config"


# ---------------------------------------------------------------------------
# The exported SavedModel's signatures.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(generator, tmp_path_factory):
    """The tiny generator's SavedModel, exported once for the module."""
    directory = tmp_path_factory.mktemp("bad_inputs_serving") / "dehazer" / "1"
    serving.save_serving_model(generator, directory)
    return tf.saved_model.load(str(directory))


@pytest.mark.parametrize("signature", ["serving_default", "serving_uint8"])
@pytest.mark.parametrize(
    "shape, message",
    [
        ((2, 32, 32), r"Shape of tensor images \[2,32,32\] is not compatible with expected shape \[\?,32,32,3\]"),
        ((2, 32, 32, 3, 1), r"\[2,32,32,3,1\] is not compatible"),
        ((2, 16, 16, 3), r"\[2,16,16,3\] is not compatible"),
        ((2, 32, 32, 4), r"\[2,32,32,4\] is not compatible"),
        ((0, 32, 32, 3), r"`images` must hold at least one image\. Received: shape=\] \[0 32 32 3\]"),
    ],
)
def test_signatures_refuse_wrong_shapes(loaded, signature, shape, message):
    dtype = tf.float32 if signature == "serving_default" else tf.uint8
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures[signature](images=tf.zeros(shape, dtype))


@pytest.mark.parametrize(
    "signature, images, message",
    [
        ("serving_default", tf.zeros((1, 32, 32, 3), tf.uint8), "expected to be a float tensor but is a uint8 tensor"),
        ("serving_default", tf.zeros((1, 32, 32, 3), tf.bool), "expected to be a float tensor but is a bool tensor"),
        ("serving_default", tf.fill((1, 32, 32, 3), "a"), "expected to be a float tensor but is a string tensor"),
        ("serving_uint8", tf.zeros((1, 32, 32, 3), tf.int32), "expected to be a uint8 tensor but is a int32 tensor"),
        ("serving_uint8", tf.zeros((1, 32, 32, 3)), "expected to be a uint8 tensor but is a float tensor"),
        ("serving_default", tf.tensor_scatter_nd_update(tf.fill((1, 32, 32, 3), 0.5), [[0, 3, 4, 1]], [np.nan]), r"`images` must not contain NaN or Inf values : Tensor had NaN values"),
        ("serving_default", tf.fill((1, 32, 32, 3), np.inf), r"`images` must not contain NaN or Inf values : Tensor had Inf values"),
        # 0-255 pixels sent as floats came back as a confident wrong image.
        ("serving_default", tf.fill((1, 32, 32, 3), 255.0), r"`images` must hold values in \[0, 1\] \(send 0-255 pixels as uint8 to `serving_uint8`\)\. Received: min=\] \[255\] \[max=\] \[255\]"),
        ("serving_default", tf.tensor_scatter_nd_update(tf.fill((2, 32, 32, 3), 0.5), [[1, 0, 0, 0]], [-0.01]), r"must hold values in \[0, 1\].*min=\] \[-0\.01"),
    ],
)
def test_signatures_refuse_wrong_dtypes_and_values(loaded, signature, images, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures[signature](images=images)


def test_signatures_name_a_wrong_argument(loaded):
    function = loaded.signatures["serving_default"]
    with pytest.raises(TypeError, match=r"missing a required argument: 'images'.*kwargs: \{'image'"):
        function(image=tf.zeros((1, 32, 32, 3)))
    with pytest.raises(TypeError, match=r"missing a required argument: 'images'"):
        function()


# ---------------------------------------------------------------------------
# The console scripts themselves (a fresh process each: slow).
# ---------------------------------------------------------------------------


def _script(name, module):
    path = os.path.join(os.path.dirname(sys.executable), name)
    return [path] if os.path.exists(path) else [sys.executable, "-m", module]


@pytest.mark.slow
def test_console_script_prints_one_error_line(tmp_path):
    # One fresh process (~15 s: it imports TensorFlow); --debug's traceback
    # is checked in-process above (main re-raises; the interpreter prints it).
    command = _script("kfreqgan-train", "kfreqgan.training.train") + ["--set", "epochs=-1", "--out", str(tmp_path / "run")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    # TensorFlow may log its start-up on stderr; the error is the last line.
    assert result.stderr.strip().splitlines()[-1] == "kfreqgan-train: error: `epochs` must be a positive integer. Received: epochs=-1"
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------------------
# Outputs never land on inputs (kfreqgan.paths), for every command that
# writes: any spelling of an input folder or file is refused in one line
# before any work, and the originals stay byte-identical.
# ---------------------------------------------------------------------------


def _tree_hashes(root):
    import hashlib

    return {
        os.path.join(folder, name): hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
        for folder, _, names in os.walk(root)
        for name in names
    }


OUTPUT_SPELLINGS = {
    "the real folder": lambda t, p: p,
    "real/../real": lambda t, p: p / ".." / p.name,
    "a symlink to it": lambda t, p: _symlink(t / "link", p),
    "with a trailing dot": lambda t, p: p / ".",
}


def _symlink(link, target):
    link.symlink_to(target)
    return link


@pytest.mark.parametrize("case", list(OUTPUT_SPELLINGS))
@pytest.mark.parametrize("command", ["spectrum", "dehaze"])
def test_no_command_writes_into_its_input_folder(command, case, tmp_path):
    from kfreqgan import dehaze_cli

    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(2):
        _png(photos / f"{index}.png")
    (photos / "radial.png").write_bytes((photos / "0.png").read_bytes())  # an input with an output's name
    before = _tree_hashes(photos)
    out = OUTPUT_SPELLINGS[case](tmp_path, photos)
    if command == "spectrum":
        status, lines = _run(spectrum_cli.main, [str(photos), str(photos), "--out", str(out)])
        _assert_one_error_line(status, lines, "kfreqgan-spectrum", "is the input folder")
    else:
        status, lines = _run(dehaze_cli.main, [str(photos), "--out", str(out), "--quiet"])
        _assert_one_error_line(status, lines, "kfreqgan-dehaze", "is the input folder")
    assert _tree_hashes(photos) == before


def test_spectrum_never_replaces_an_input_file_through_a_link(tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    out.mkdir()
    for index in range(2):
        _png(photos / f"{index}.png")
    os.link(photos / "0.png", out / "radial.png")  # a hard link in --out to an original
    before = _tree_hashes(photos)
    status, lines = _run(spectrum_cli.main, [str(photos), str(photos), "--out", str(out)])
    _assert_one_error_line(status, lines, "kfreqgan-spectrum", "would overwrite the input file")
    assert _tree_hashes(photos) == before


# ---------------------------------------------------------------------------
# One image-mode policy for every reader (kfreqgan.data.image_files): a mode
# that cannot round-trip, and anything that is not a regular image file, is
# refused in one line that names the file, never read half-right.
# ---------------------------------------------------------------------------


def _write_with_pil(path, make):
    from PIL import Image

    rng = np.random.default_rng(0)
    make(Image, rng.integers(0, 256, (6, 7, 4), dtype=np.uint8), path)


REFUSED_IMAGES = {
    "float tiff": ("x.tif", lambda I, a, p: I.fromarray(a[..., 0].astype(np.float32)).save(p), r"32-bit floating-point \(mode F\)"),
    "int32 tiff": ("x.tif", lambda I, a, p: I.fromarray(a[..., 0].astype(np.int32)).save(p), r"32-bit integer \(mode I\)"),
    "cmyk without profile": ("x.jpg", lambda I, a, p: I.fromarray(a, "CMYK").save(p), r"CMYK without an ICC profile"),
    "animated png": ("x.png", lambda I, a, p: I.fromarray(a[..., :3]).save(p, save_all=True, append_images=[I.fromarray(a[..., 1:])]), r"animated or multi-page PNG"),
    "gif": ("x.png", lambda I, a, p: I.fromarray(a[..., :3]).convert("P").save(p, "GIF"), r"a GIF file"),
    "fifo": ("x.png", lambda I, a, p: os.mkfifo(p), r"Expected an image file, got a FIFO"),
}


@pytest.mark.parametrize("reader", ["load_image", "read_image", "load_image_pair"])
@pytest.mark.parametrize("case", list(REFUSED_IMAGES))
def test_every_reader_refuses_what_cannot_round_trip(tmp_path, case, reader):
    from kfreqgan.data import image_files

    name, make, message = REFUSED_IMAGES[case]
    _write_with_pil(tmp_path / name, make)
    _png(tmp_path / "good.png", size=6)
    call = {
        "load_image": lambda: folders.load_image(tmp_path / name),
        "read_image": lambda: image_files.read_image(tmp_path / name),
        "load_image_pair": lambda: folders.load_image_pair(tmp_path / "good.png", tmp_path / name),
    }[reader]
    with pytest.raises(ValueError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value) and name in str(caught.value)


@pytest.mark.parametrize("spelling", ["same", "dot-dot", "symlink"])
def test_export_never_writes_into_its_calibration_folder(files, generator_file, tmp_path, spelling):
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    for index in range(2):
        _png(calibration / f"{index}.png", size=32)
    before = _tree_hashes(calibration)
    out = {"same": calibration, "dot-dot": calibration / ".." / "calibration", "symlink": _symlink(tmp_path / "link", calibration)}[spelling]
    argv = [str(generator_file), "--variants", "int8", "--calibration", str(calibration), "--out", str(out)]
    status, lines = _run(export_cli.main, argv)
    _assert_one_error_line(status, lines, "kfreqgan-export", "is the input folder")
    assert _tree_hashes(calibration) == before
