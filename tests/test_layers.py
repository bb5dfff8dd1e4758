"""The frequency layers: the common Keras checks, then what each one means."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import numpy_reference as ref
from kfreqgan import spectral
from kfreqgan.layers import BilinearUpsampling2D
from kfreqgan.layers import CropToMatch
from kfreqgan.layers import FFTBandFilter
from kfreqgan.layers import FrequencyShift
from kfreqgan.layers import ReflectPadToMultiple
from kfreqgan.layers import SpectralProfile
from layer_checks import check_layer

LAYERS = {
    "band_filter_fft": (lambda: FFTBandFilter(0.05, 0.3, kind="butterworth"), 3),
    "band_filter_matmul": (lambda: FFTBandFilter(0.1, None, kind="gaussian", implementation="matmul"), 3),
    "spectral_profile": (lambda: SpectralProfile(), 3),
    "spectral_profile_normalized": (lambda: SpectralProfile(binning="normalized", min_frequency=0.1), 1),
    "frequency_shift": (lambda: FrequencyShift((0.25, -0.125), phase=0.3), 3),
    "frequency_shift_quadrature": (lambda: FrequencyShift((0.0, 0.25), quadrature=True), 6),
    "reflect_pad_to_multiple": (lambda: ReflectPadToMultiple(24), 3),
    "bilinear_upsampling": (lambda: BilinearUpsampling2D(2), 3),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_survives_the_keras_checks(name, photos_32, tmp_path, mirrored_strategy):
    make_layer, channels = LAYERS[name]
    images = photos_32[:4]
    if channels == 1:
        images = images[..., :1]
    elif channels == 6:
        images = np.concatenate([images, images[::-1]], axis=-1)
    check_layer(make_layer, images, tmp_path, mirrored_strategy)


# --- FFTBandFilter -----------------------------------------------------------


def test_band_filter_layer_splits_real_photos_into_bands(photos_64):
    cuts = [0.0, 0.06, 0.18, None]
    parts = [FFTBandFilter(lo, hi, kind="gaussian")(photos_64).numpy() for lo, hi in zip(cuts, cuts[1:])]
    np.testing.assert_allclose(np.sum(parts, axis=0), photos_64, atol=1e-5)
    # Each part holds its band: the low part has almost no energy above 0.18.
    high_share = spectral.band_energy(parts[0], [(0, 0.18), (0.18, None)], include_dc=False).numpy()[:, 1, 0]
    assert np.all(high_share < 1e-3)


@pytest.mark.parametrize("shape", [(32, 32), (64, 64), (31, 45)])
def test_matmul_implementation_matches_fft_to_1e5_on_real_photos(shape, photos_64):
    images = tf.image.resize(photos_64, shape, antialias=True)
    for kind in spectral.BAND_KINDS:
        fft = FFTBandFilter(0.04, 0.35, kind=kind)(images).numpy()
        matmul = FFTBandFilter(0.04, 0.35, kind=kind, implementation="matmul")(images).numpy()
        np.testing.assert_allclose(matmul, fft, atol=1e-5)


def test_fft_band_filter_works_with_dynamic_sizes_and_matmul_refuses_them(photos_64):
    x = keras.Input((None, None, 3))
    model = keras.Model(x, FFTBandFilter(0.0, 0.2)(x))
    for size in (32, 48):
        images = photos_64[:, :size, :size]
        np.testing.assert_allclose(model(images).numpy(), spectral.band_filter(images, 0.0, 0.2).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="static height"):
        FFTBandFilter(0.0, 0.2, implementation="matmul")(x)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(low=0.2, high=0.1), "greater than `low`"),
        (dict(kind="box"), "kind"),
        (dict(implementation="cuda"), "implementation"),
        (dict(order=1.5, kind="butterworth"), "order"),
    ],
)
def test_band_filter_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FFTBandFilter(**kwargs)


def test_layers_reject_inputs_that_are_not_nhwc():
    for layer in (FFTBandFilter(0.1), SpectralProfile(), FrequencyShift((0.1, 0.1))):
        with pytest.raises(ValueError, match="batch, height, width, channels"):
            layer(tf.zeros((8, 8, 3)))


# --- SpectralProfile ---------------------------------------------------------


@pytest.mark.parametrize("size,length", [(32, 20), (64, 43)])
def test_spectral_profile_reproduces_the_ssd_gan_feature(size, length, photos_64):
    images = tf.image.resize(photos_64, (size, size), antialias=True).numpy()
    feature = SpectralProfile()(images).numpy()
    expected = ref.ssd_gan_feature(images)
    assert feature.shape == expected.shape == (len(images), length)
    np.testing.assert_allclose(feature, expected, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs,sizes",
    [
        # SSD-GAN's 23 rings of a 32x32 image; at 64x64 the inner 23 of 46.
        (dict(num_bins=23), [(32, 32), (64, 64)]),
        (dict(num_bins=12, exclude_dc=False, drop_highest=0, normalize=False), [(24, 24), (31, 31)]),
        (dict(binning="normalized", num_bins=12, min_frequency=0.1), [(32, 32), (24, 40), (31, 27)]),
        (dict(binning="normalized", num_bins=16, max_frequency=2**-0.5), [(64, 64), (40, 24)]),
    ],
    ids=["ssd_gan", "integer_all_rings", "normalized_high_pass", "normalized_corners"],
)
def test_spectral_profile_with_num_bins_takes_images_of_any_size(kwargs, sizes, photos_64):
    # With `num_bins` the output length does not depend on the image size:
    # the layer builds on (None, None, C) and equals, size by size, the same
    # layer built on the static shape (and SSD-GAN's NumPy feature).
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, SpectralProfile(**kwargs)(inputs))
    traced = tf.function(SpectralProfile(**kwargs), input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    for size in sizes:
        images = tf.image.resize(photos_64, size, antialias=True).numpy()
        static = SpectralProfile(**kwargs)(images).numpy()
        assert model.output.shape == (None, static.shape[1])
        for function in (model, traced):
            np.testing.assert_allclose(function(images).numpy(), static, atol=1e-6)
        if size == (32, 32) and "binning" not in kwargs:
            np.testing.assert_allclose(model(images).numpy(), ref.ssd_gan_feature(images), atol=1e-5)


def test_spectral_profile_of_dynamic_size_checks_what_the_size_decides():
    spec = [tf.TensorSpec((None, None, None, 1), tf.float32)]
    with pytest.raises(ValueError, match=r"or `num_bins`\. Received: input_shape=\(None, None, None, 1\), num_bins=None"):
        SpectralProfile()(keras.Input((None, None, 1)))
    with pytest.raises(ValueError, match=r"binning='integer' and `min_frequency` needs a static height and width"):
        SpectralProfile(num_bins=12, min_frequency=0.1)(keras.Input((None, None, 1)))
    with pytest.raises(ValueError, match=r"keeps 1 rings of the 4 of images of any size; .*or raise `num_bins`"):
        SpectralProfile(num_bins=4)(keras.Input((None, None, 1)))
    with pytest.raises(ValueError, match=r"`max_frequency` must be > 0"):
        SpectralProfile(binning="normalized", num_bins=8, max_frequency=0.0)(keras.Input((None, None, 1)))
    # What only the size rules out fails when the graph runs.
    for layer, images, message in [
        (SpectralProfile(num_bins=10), tf.zeros((1, 16, 24, 1)), "needs square images"),
        (SpectralProfile(num_bins=10), tf.zeros((1, 8, 8, 1)), "fewer rings than num_bins=10"),
        (SpectralProfile(binning="normalized", num_bins=20), tf.zeros((1, 8, 8, 1)), "a ring holds no frequency"),
    ]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            tf.function(layer, input_signature=spec)(images)


@pytest.mark.parametrize("compile_min_values", [None, 0], ids=["uncompiled", "compiled"])
def test_spectral_profile_equals_ssd_gan_on_full_size_rgb_photos(compile_min_values, monkeypatch):
    # SSD-GAN's 128x128 setting on two crops of every bundled photo, as RGB:
    # its grey weights (0.2989/0.5870/0.1140, not ITU-R 601's
    # 0.299/0.587/0.114) and its 88 rings.
    from kfreqgan.data import PHOTO_NAMES
    from kfreqgan.data import load_photo

    monkeypatch.setattr(spectral, "COMPILE_MIN_VALUES", compile_min_values)
    crops = []
    for name in PHOTO_NAMES:
        photo = load_photo(name)
        top, left = (photo.shape[0] - 128) // 2, (photo.shape[1] - 128) // 2
        crops.append(photo[top : top + 128, left : left + 128])
        crops.append(photo[:128, -128:])
    images = np.stack(crops)
    expected = ref.ssd_gan_feature(images)
    assert expected.shape == (len(images), 88)
    for function in (SpectralProfile(), tf.function(SpectralProfile())):
        np.testing.assert_allclose(function(images).numpy(), expected, atol=1e-5)
    itu = ref.ssd_gan_feature(ref.gray(images)[..., None])  # 601 grey first
    assert np.abs(itu - expected).max() > 2e-5  # the 601 weights would fail


@pytest.mark.parametrize("compile_min_values", [None, 0], ids=["uncompiled", "compiled"])
def test_spectral_profile_is_differentiable_unlike_the_reference(photos_32, compile_min_values, monkeypatch):
    monkeypatch.setattr(spectral, "COMPILE_MIN_VALUES", compile_min_values)
    images = tf.Variable(photos_32)
    with tf.GradientTape() as tape:
        feature = SpectralProfile()(images)
        loss = tf.reduce_sum(tf.square(feature - 0.5))
    gradient = tape.gradient(loss, images)
    assert gradient is not None
    assert np.all(np.isfinite(gradient.numpy())) and float(tf.reduce_max(tf.abs(gradient))) > 0
    # A small step against the gradient lowers the loss: the gradient is right.
    step = images - 1e-3 * gradient / tf.reduce_max(tf.abs(gradient))
    assert float(tf.reduce_sum(tf.square(SpectralProfile()(step) - 0.5))) < float(loss)


def test_spectral_profile_measures_the_log_magnitude_loss_of_a_blur(photos_64):
    # A Gaussian filter of scale s multiplies |F| by exp(-r^2 / (2 s^2)), so
    # every ring's mean log magnitude must drop by the ring's mean of
    # r^2 / (2 s^2) nats, computed here from the pixel radii.
    scale = 0.15
    layer = SpectralProfile(normalize=False, exclude_dc=False, drop_highest=0)
    sharp = layer(photos_64).numpy()
    blurred = layer(spectral.band_filter(photos_64, 0.0, scale, "gaussian")).numpy()
    rings = ref.pixel_radius(64, 64)
    drop = ref.bincount_profile(ref.normalized_radius(64, 64) ** 2 / (2 * scale**2), rings)
    # Up to 0.45 cycles/pixel; further out the blurred spectrum (below 1e-4 of
    # the original) reaches float32 round-off of the filtering.
    kept = slice(0, 29)
    np.testing.assert_allclose((sharp - blurred)[:, kept], np.broadcast_to(drop[kept], sharp[:, kept].shape), rtol=2e-3, atol=1e-3)
    # The normalised features (what a discriminator sees) differ clearly too.
    normalized = SpectralProfile()
    gap = normalized(photos_64).numpy() - normalized(spectral.band_filter(photos_64, 0.0, scale, "gaussian")).numpy()
    assert np.abs(gap).mean() > 0.05


def test_spectral_profile_high_pass_and_non_square(photos_64):
    full = SpectralProfile(binning="normalized", drop_highest=0)
    high = SpectralProfile(binning="normalized", drop_highest=0, min_frequency=0.25)
    assert full(photos_64).shape == (6, 31) and high(photos_64).shape == (6, 16)
    wide = photos_64[:, :24]
    assert SpectralProfile(binning="normalized")(wide).shape == (6, 9)
    with pytest.raises(ValueError, match="non-square"):
        SpectralProfile()(wide)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        SpectralProfile()(tf.zeros((1, 32, 32, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        SpectralProfile()(tf.zeros((1, 4, 4, 1)))


# --- FrequencyShift ----------------------------------------------------------


def test_frequency_shift_moves_dc_to_the_carrier_frequency():
    out = FrequencyShift((0.0, 0.25))(tf.ones((1, 32, 32, 1)))
    power = spectral.power_spectrum(out).numpy()[0, ..., 0]
    peaks = {tuple(i) for i in np.argwhere(power > 1e-6)}
    assert peaks == {(16, 8), (16, 24)}  # fx = -0.25 and +0.25, no DC left


def test_frequency_shift_moves_low_frequency_content_to_the_band(photos_64):
    low = spectral.band_filter(photos_64, 0.0, 0.05) - tf.reduce_mean(photos_64, axis=(1, 2), keepdims=True)
    shifted = FrequencyShift((0.25, 0.25))(low)
    # All energy now sits within 0.05 of the carrier radius 0.354.
    energy = spectral.band_energy(shifted, [(0.0, 0.30), (0.30, 0.41), (0.41, None)]).numpy()[:, :, 0]
    assert np.all(energy[:, 1] > 0.999)


def test_quadrature_shift_represents_any_content_of_the_band(photos_64):
    # A real photo's content in the two discs of radius w around +-f0 is
    # Re{b e^{i theta}} for a complex baseband b = I + iQ; demodulate it with
    # NumPy, and the layer must rebuild the band from (I, Q) exactly.
    f0, w = (8 / 64, 12 / 64), 0.1
    fy = np.fft.fftfreq(64)[:, None]
    fx = np.fft.fftfreq(64)[None, :]
    discs = (np.hypot(fy - f0[0], fx - f0[1]) < w) | (np.hypot(fy + f0[0], fx + f0[1]) < w)
    target = np.real(np.fft.ifft2(np.fft.fft2(photos_64, axes=(1, 2)) * discs[None, :, :, None], axes=(1, 2)))
    cos, sin = (t.numpy()[None, :, :, None] for t in spectral.carrier(64, 64, f0))
    in_phase = ref.band_filter(2 * target * cos, (ref.normalized_radius(64, 64) < w).astype(float))
    quadrature = ref.band_filter(-2 * target * sin, (ref.normalized_radius(64, 64) < w).astype(float))
    baseband = np.concatenate([in_phase, quadrature], axis=-1).astype(np.float32)
    rebuilt = FrequencyShift(f0, quadrature=True)(baseband).numpy()
    np.testing.assert_allclose(rebuilt, target, atol=1e-5)
    # Without quadrature (I only) the band cannot be rebuilt in general.
    assert np.abs(FrequencyShift(f0)(in_phase.astype(np.float32)).numpy() - target).max() > 0.01


def test_frequency_shift_carrier_is_exact_for_large_static_images():
    cos, _ = spectral.carrier(4000, 3000, (0.31, 0.17))
    y, x = 3999, 2999
    expected = np.cos(2 * np.pi * (0.31 * y + 0.17 * x))
    assert abs(float(cos[y, x]) - expected) < 1e-6


@pytest.mark.parametrize("phase", [0.3, -40.0, 1e10, 1e300])
def test_carrier_of_any_phase_is_the_same_at_static_and_dynamic_sizes(phase):
    # A dynamic size builds the angle in float32: a phase of 1e10 lost its
    # digits there (a different carrier) and 1e300 became NaN.
    frequency = (0.25, -0.125)
    static = spectral.carrier(8, 6, frequency, phase)
    dynamic = tf.function(lambda h, w: spectral.carrier(h, w, frequency, phase))(tf.constant(8), tf.constant(6))
    y, x = np.mgrid[:8, :6]
    angle = 2 * np.pi * (frequency[0] * y + frequency[1] * x) + math.remainder(phase, 2 * math.pi)
    for wave, expected in zip((0, 1), (np.cos(angle), np.sin(angle))):
        np.testing.assert_allclose(static[wave].numpy(), expected, atol=1e-5)
        np.testing.assert_allclose(dynamic[wave].numpy(), expected, atol=1e-5)
    images = np.random.default_rng(0).random((2, 8, 6, 3)).astype(np.float32)
    free = tf.function(FrequencyShift(frequency, phase=phase), input_signature=[tf.TensorSpec((None, None, None, 3))])
    np.testing.assert_allclose(free(images).numpy(), FrequencyShift(frequency, phase=phase)(images).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(phase=float("nan")), r"`phase` must be a finite number \(radians\)\. Received: phase=nan"),
        (dict(phase="1"), r"Received: phase='1'"),
        (dict(phase=True), r"Received: phase=True"),
        (dict(height=8.0), r"`height` must be a positive integer\. Received: height=8\.0"),
    ],
)
def test_carrier_names_a_bad_phase_or_size(kwargs, message):
    arguments = dict(height=8, width=6, frequency=(0.25, 0.0), phase=0.0) | kwargs
    with pytest.raises(ValueError, match=message):
        spectral.carrier(**arguments)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(frequency=(0.7, 0.0)), r"\[-0.5, 0.5\]"),
        (dict(frequency=0.25), "pair"),
        (dict(frequency=(0.1, 0.1), phase=float("nan")), "phase"),
    ],
)
def test_frequency_shift_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FrequencyShift(**kwargs)


def test_quadrature_needs_even_channels():
    with pytest.raises(ValueError, match="even"):
        FrequencyShift((0.1, 0.0), quadrature=True)(tf.zeros((1, 8, 8, 3)))


# --- any-size layers ----------------------------------------------------------


def test_reflect_pad_and_crop_round_trip_any_size(photos_64):
    images = photos_64[:2, :37, :50]
    padded = ReflectPadToMultiple(16)(images).numpy()
    assert padded.shape == (2, 48, 64, 3)
    np.testing.assert_array_equal(padded, np.pad(images, ((0, 0), (0, 11), (0, 14), (0, 0)), mode="reflect"))
    np.testing.assert_array_equal(CropToMatch()([padded, images]).numpy(), images)
    # Already a multiple: unchanged.
    np.testing.assert_array_equal(ReflectPadToMultiple(16)(photos_64[:1]).numpy(), photos_64[:1])


@pytest.mark.parametrize("height, width", [(1, 1), (1, 5), (3, 1000), (5, 7), (8, 8), (9, 9), (17, 3), (2, 31), (16, 16)])
def test_reflect_pad_any_side_mirrors_back_and_forth_like_numpy(photos_64, height, width):
    """Sides at most half the multiple (where `tf.pad` REFLECT fails) included,
    static and dynamic shapes alike; the crop gives the input back."""
    images = np.tile(photos_64[:1], (1, 1, 16, 1))[:, :height, :width]
    size = [-side % 16 for side in (height, width)]
    expected = np.pad(images, ((0, 0), (0, size[0]), (0, size[1]), (0, 0)), mode="reflect")
    layer = ReflectPadToMultiple(16)
    np.testing.assert_array_equal(layer(images).numpy(), expected)
    dynamic = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 3))])
    np.testing.assert_array_equal(dynamic(images).numpy(), expected)
    np.testing.assert_array_equal(CropToMatch()([expected, images]).numpy(), images)


def test_a_size_free_saved_model_serves_sides_of_any_length(tmp_path):
    from kfreqgan.export import serving
    from kfreqgan.models import unet_generator

    keras.utils.set_random_seed(3)
    model = unet_generator((None, None, 3), filters=4, depth=3)
    serving.save_serving_model(model, tmp_path / "1")
    function = tf.saved_model.load(str(tmp_path / "1")).signatures["serving_default"]
    rng = np.random.default_rng(0)
    for height, width in ((1, 1), (1, 5), (3, 1000), (5, 7), (8, 8), (9, 9), (17, 3)):
        images = rng.uniform(0, 1, (1, height, width, 3)).astype(np.float32)
        outputs = function(images=tf.constant(images))["outputs"].numpy()
        assert outputs.shape == images.shape
        expected = np.clip(model(images, training=False).numpy(), 0, 1)
        np.testing.assert_allclose(outputs, expected, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("height, width", [(1, 1), (1, 5), (3, 1000), (5, 7), (8, 8), (9, 9), (17, 3)])
def test_the_shipped_dehazer_takes_sides_of_any_length(height, width):
    from kfreqgan import pretrained

    model = pretrained.dehazer()
    images = np.random.default_rng(height * 1000 + width).uniform(0.3, 0.9, (1, height, width, 3)).astype(np.float32)
    outputs = model.predict(images, verbose=0)
    assert outputs.shape == images.shape and np.all(np.isfinite(outputs))
    assert outputs.min() >= 0 and outputs.max() <= 1
    # The whole image is resized to a fixed view, so no side is too short or odd;
    # and the same image gives the same output.
    np.testing.assert_array_equal(outputs, model.predict(images, verbose=0))


def test_bilinear_upsampling_matches_keras_and_traces_with_unknown_sizes(photos_32):
    expected = keras.layers.UpSampling2D(2, interpolation="bilinear")(photos_32[:2]).numpy()
    layer = BilinearUpsampling2D(2)
    np.testing.assert_allclose(layer(photos_32[:2]).numpy(), expected, atol=1e-6)
    traced = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 3))])
    np.testing.assert_allclose(traced(photos_32[:2]).numpy(), expected, atol=1e-6)
    assert traced(tf.zeros((1, 5, 7, 3))).shape == (1, 10, 14, 3)
    assert layer.compute_output_shape((None, None, 8, 3)) == (None, None, 16, 3)
