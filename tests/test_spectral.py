"""The spectral core against its meaning and against NumPy references."""

import math

import numpy as np
import pytest
import tensorflow as tf

import numpy_reference as ref
from kfreqgan import spectral

SHAPES = [(32, 32), (31, 31), (24, 40), (17, 30)]


def sinusoid(height, width, fy, fx, batch=1, channels=1):
    """0.5 + 0.4 cos(2 pi (fy y + fx x)), with fy, fx on the DFT grid."""
    y, x = np.indices((height, width))
    wave = 0.5 + 0.4 * np.cos(2 * np.pi * (fy * y + fx * x))
    return np.broadcast_to(wave[None, :, :, None], (batch, height, width, channels)).astype(np.float32)


# --- grids and basic transforms --------------------------------------------


@pytest.mark.parametrize("height,width", SHAPES)
def test_frequency_grid_matches_numpy_fftshift(height, width):
    grid = spectral.frequency_grid(height, width)
    fy = np.fft.fftshift(np.fft.fftfreq(height))
    fx = np.fft.fftshift(np.fft.fftfreq(width))
    np.testing.assert_allclose(grid.fy.numpy()[:, 0], fy, atol=1e-7)
    np.testing.assert_allclose(grid.fx.numpy()[0], fx, atol=1e-7)
    np.testing.assert_allclose(grid.radius.numpy(), ref.normalized_radius(height, width), atol=1e-7)
    assert grid.radius.numpy()[height // 2, width // 2] == 0.0


def test_to_grayscale_uses_itu_601_weights(rng):
    images = rng.random((2, 5, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(spectral.to_grayscale(images).numpy()[..., 0], ref.gray(images), atol=1e-6)
    single = images[..., :1]
    np.testing.assert_array_equal(spectral.to_grayscale(single).numpy(), single)


@pytest.mark.parametrize("shape", [(4, 1, 7, 3), (3, 1, 1, 3), (1, 1, 9, 3), (2, 6, 1, 3)])
def test_to_grayscale_one_row_or_column_batches(rng, shape):
    # One-row batches hit TF 2.21's oneDNN bug for rank-4 matmuls whose batch
    # shape holds a 1 (values of order 1e23 before the fix).
    images = rng.random(shape).astype(np.float32)
    gray = spectral.to_grayscale(images).numpy()
    assert gray.shape == shape[:-1] + (1,)
    np.testing.assert_allclose(gray[..., 0], ref.gray(images), atol=1e-6)


@pytest.mark.parametrize("height,width", SHAPES)
def test_parseval_holds_per_image_and_channel(height, width, rng):
    images = rng.random((3, height, width, 3)).astype(np.float32)
    power = spectral.power_spectrum(images, mode="channels").numpy()
    np.testing.assert_allclose(power.sum(axis=(1, 2)), (images.astype(np.float64) ** 2).sum(axis=(1, 2)), rtol=1e-5)


@pytest.mark.parametrize("height,width", SHAPES)
def test_power_and_log_magnitude_match_numpy(height, width, rng):
    images = rng.random((2, height, width, 3)).astype(np.float32)
    gray = ref.gray(images)
    expected = np.stack([np.abs(ref.centred_fft(g)) ** 2 / (height * width) for g in gray])
    np.testing.assert_allclose(spectral.power_spectrum(images).numpy()[..., 0], expected, rtol=1e-4, atol=1e-6)
    expected_log = np.stack([np.log(np.abs(ref.centred_fft(g)) + 1e-12) for g in gray])
    log_mag = spectral.log_magnitude(images).numpy()[..., 0]
    strong = np.exp(expected_log) > 1e-2
    np.testing.assert_allclose(log_mag[strong], expected_log[strong], atol=1e-4)


def test_sinusoid_power_sits_at_its_frequency():
    images = sinusoid(32, 32, 0.0, 8 / 32)
    power = spectral.power_spectrum(images).numpy()[0, ..., 0]
    peaks = {tuple(idx) for idx in np.argwhere(power > 1e-3)}
    # DC at (16, 16) and the pair of peaks at fx = +-0.25 -> columns 16 +- 8.
    assert peaks == {(16, 16), (16, 24), (16, 8)}


# --- radial profiles --------------------------------------------------------


@pytest.mark.parametrize("size", [32, 31, 64])
def test_integer_binning_reproduces_numpy_bincount(size, rng):
    spectrum = rng.random((3, size, size, 2)).astype(np.float32)
    profile = spectral.radial_profile(spectrum, binning="integer").numpy()
    radius = ref.pixel_radius(size, size)
    for n in range(3):
        for c in range(2):
            np.testing.assert_allclose(profile[n, :, c], ref.bincount_profile(spectrum[n, ..., c], radius), atol=1e-5)


@pytest.mark.parametrize("height,width", SHAPES)
def test_normalized_binning_matches_numpy_reference(height, width, rng):
    spectrum = rng.random((2, height, width, 1)).astype(np.float32)
    num_bins = min(height, width) // 2
    radius = ref.normalized_radius(height, width)
    index = np.minimum(np.floor(radius / 0.5 * num_bins + 1e-9), num_bins).astype(int)
    index[np.isclose(radius, 0.5)] = num_bins - 1
    inside = index < num_bins
    expected = np.bincount(index[inside], spectrum[0, ..., 0][inside]) / np.bincount(index[inside])
    profile = spectral.radial_profile(spectrum).numpy()
    np.testing.assert_allclose(profile[0, :, 0], expected, atol=1e-5)


def test_normalized_binning_treats_axes_alike_on_non_square_images():
    # A map equal to its own radius in cycles/pixel: every bin's mean must lie
    # inside that bin, which pixel-index binning on a 24x64 grid would break.
    height, width = 24, 64
    radius = ref.normalized_radius(height, width).astype(np.float32)
    profile = spectral.radial_profile(radius[None, :, :, None], num_bins=8).numpy()[0, :, 0]
    edges = np.linspace(0, 0.5, 9)
    assert np.all(profile >= edges[:-1] - 1e-6) and np.all(profile <= edges[1:] + 1e-6)
    with pytest.raises(ValueError, match="non-square"):
        spectral.radial_profile(radius[None, :, :, None], binning="integer")


@pytest.mark.parametrize("cycles", [3, 8, 13])
def test_sinusoid_lands_in_the_expected_radial_bin(cycles):
    size = 64
    edges = spectral.radial_bins(size, size).edges  # [lo, hi) per bin
    for fy, fx in [(cycles / size, 0.0), (cycles / size, cycles / size)]:
        power = spectral.radial_power_profile(sinusoid(size, size, fy, fx)).numpy()[0, :, 0]
        expected_bin = np.searchsorted(edges, math.hypot(fy, fx), side="right") - 1
        assert np.argmax(power[1:]) + 1 == expected_bin
        # Everything but DC and that bin is numerically zero.
        rest = np.delete(power, [0, expected_bin])
        assert rest.max() < 1e-6 * power[expected_bin]


@pytest.fixture(params=["uncompiled", "compiled"])
def profile_path(request, monkeypatch):
    """Runs a test on both paths of the radial profiles: plain ops (small
    batches) and the XLA-compiled kernel (large or unknown batches)."""
    monkeypatch.setattr(spectral, "COMPILE_MIN_VALUES", None if request.param == "uncompiled" else 0)
    return request.param


@pytest.mark.parametrize("height,width", SHAPES)
def test_half_spectrum_profiles_equal_full_spectrum_profiles(height, width, rng, profile_path):
    images = rng.random((2, height, width, 3)).astype(np.float32)
    full = spectral.radial_profile(spectral.power_spectrum(images)).numpy()
    half = spectral.radial_power_profile(images).numpy()
    np.testing.assert_allclose(half, full, rtol=1e-5, atol=1e-8)
    if height == width:
        full_log = spectral.radial_profile(spectral.log_magnitude(images), binning="integer").numpy()[..., 0]
        half_log = spectral.radial_log_magnitude_profile(images).numpy()
        np.testing.assert_allclose(half_log, full_log, atol=1e-5)


def test_bin_assignment_is_computed_once_per_shape():
    first = spectral.radial_bins(40, 40, None, 0.5, "normalized", "half")
    again = spectral.radial_bins(40, 40, None, 0.5, "normalized", "half")
    assert first is again
    assert not first.segment_ids.flags.writeable


def test_too_many_bins_is_a_clear_error():
    with pytest.raises(ValueError, match="too fine"):
        spectral.radial_profile(np.ones((1, 8, 8, 1), np.float32), num_bins=40)


# --- band masks, filters and energies ----------------------------------------


@pytest.mark.parametrize("kind", spectral.BAND_KINDS)
@pytest.mark.parametrize("height,width", SHAPES)
def test_masks_over_a_partition_sum_to_one(kind, height, width):
    cuts = [0.0, 0.07, 0.15, 0.3, None]
    masks = [spectral.band_mask((height, width), lo, hi, kind, order=3).numpy() for lo, hi in zip(cuts, cuts[1:])]
    for mask in masks:
        assert mask.min() >= -1e-7 and mask.max() <= 1 + 1e-7
    np.testing.assert_allclose(np.sum(masks, axis=0), 1.0, atol=1e-6)


def test_ideal_mask_selects_the_annulus():
    mask = spectral.band_mask((32, 32), 0.1, 0.25).numpy()
    radius = ref.normalized_radius(32, 32)
    np.testing.assert_array_equal(mask, ((radius >= 0.1) & (radius < 0.25)).astype(np.float32))
    # The spatial shape as a Keras user has it at hand, images.shape[1:3]
    # (a TensorShape, refused before as not "(height, width)").
    images = tf.zeros((2, 32, 32, 3))
    np.testing.assert_array_equal(spectral.band_mask(images.shape[1:3], 0.1, 0.25).numpy(), mask)


@pytest.mark.parametrize("kind", spectral.BAND_KINDS)
@pytest.mark.parametrize("height,width", SHAPES)
def test_band_filter_matches_numpy_and_matmul_matches_fft(kind, height, width, rng):
    images = rng.random((2, height, width, 3)).astype(np.float32)
    mask = spectral.band_mask((height, width), 0.08, 0.3, kind).numpy()
    expected = ref.band_filter(images, mask)
    fft = spectral.band_filter(images, 0.08, 0.3, kind).numpy()
    matmul = spectral.band_filter(images, 0.08, 0.3, kind, implementation="matmul").numpy()
    np.testing.assert_allclose(fft, expected, atol=1e-5)
    np.testing.assert_allclose(matmul, fft, atol=1e-5)


def test_low_plus_high_pass_reconstructs_real_photos(photos_64):
    for kind in spectral.BAND_KINDS:
        low = spectral.band_filter(photos_64, 0.0, 0.12, kind)
        high = spectral.band_filter(photos_64, 0.12, None, kind)
        np.testing.assert_allclose((low + high).numpy(), photos_64, atol=1e-5)


def test_band_filter_removes_a_sinusoid_outside_the_band_and_keeps_one_inside():
    inside = sinusoid(32, 32, 0.0, 6 / 32)  # 0.1875 cycles/pixel
    outside = sinusoid(32, 32, 12 / 32, 0.0)  # 0.375 cycles/pixel
    band = spectral.band_filter(inside - 0.5 + outside - 0.5, 0.1, 0.3).numpy()
    np.testing.assert_allclose(band, inside - 0.5, atol=1e-5)


def test_band_energy_finds_a_sinusoid_and_sums_to_one(photos_64):
    bands = [(0.0, 0.1), (0.1, 0.25), (0.25, None)]
    images = sinusoid(64, 64, 10 / 64, 0.0)  # 0.156 cycles/pixel: the middle band
    energy = spectral.band_energy(images, bands, include_dc=False).numpy()[0, :, 0]
    np.testing.assert_allclose(energy, [0.0, 1.0, 0.0], atol=1e-6)
    for kind in spectral.BAND_KINDS:
        energy = spectral.band_energy(photos_64, bands, kind=kind, mode="channels").numpy()
        np.testing.assert_allclose(energy.sum(axis=1), 1.0, atol=1e-5)


def test_blur_moves_energy_of_real_photos_out_of_the_high_band(photos_64):
    bands = [(0.0, 0.1), (0.1, None)]
    blurred = spectral.band_filter(photos_64, 0.0, 0.1, "gaussian")
    before = spectral.band_energy(photos_64, bands, include_dc=False).numpy()[:, 1, 0]
    after = spectral.band_energy(blurred, bands, include_dc=False).numpy()[:, 1, 0]
    assert np.all(after < 0.5 * before)


# --- spectral distance -------------------------------------------------------


def test_spectral_distance_is_zero_for_identical_sets_and_signed(photos_64):
    same = spectral.spectral_distance(photos_64, photos_64)
    assert float(same.distance) == 0.0
    assert same.per_bin.shape == (32,) and same.frequencies.shape == (32,)
    blurred = spectral.band_filter(photos_64, 0.0, 0.15, "gaussian")
    result = spectral.spectral_distance(photos_64, blurred)
    per_bin = result.per_bin.numpy()
    high = result.frequencies.numpy() > 0.25
    assert np.all(per_bin[high] < -3.0)  # blur lacks high-frequency power
    assert float(result.distance) > 3.0
    # Scaling the images by a scales their power by a^2: a uniform gap.
    scaled = spectral.spectral_distance(photos_64, 0.5 * photos_64)
    np.testing.assert_allclose(scaled.per_bin.numpy(), 20 * np.log10(0.5), atol=1e-3)


def test_radial_power_db_is_the_profile_in_decibels(photos_64):
    power = spectral.radial_power_profile(photos_64).numpy()
    np.testing.assert_allclose(spectral.radial_power_db(photos_64).numpy(), 10 * np.log10(power + 1e-10), atol=1e-4)
    np.testing.assert_allclose(spectral.decibels(np.array([1.0, 100.0]), 1e-12).numpy(), [0.0, 20.0], atol=1e-5)
    with pytest.raises(ValueError, match="epsilon"):
        spectral.decibels(np.ones(2), 0.0)


def test_spectral_distance_rejects_mismatched_sets(photos_64, photos_32):
    with pytest.raises(ValueError, match="same height, width"):
        spectral.spectral_distance(photos_64, photos_32)


# --- graph safety, dtypes, gradients ----------------------------------------


FUNCTIONS = {
    "power_spectrum": lambda x: spectral.power_spectrum(x),
    "log_magnitude": lambda x: spectral.log_magnitude(x, mode="channels"),
    "radial_profile": lambda x: spectral.radial_profile(spectral.log_magnitude(x), binning="integer"),
    "radial_power_profile": lambda x: spectral.radial_power_profile(x),
    "band_filter_fft": lambda x: spectral.band_filter(x, 0.05, 0.3, "butterworth"),
    "band_filter_matmul": lambda x: spectral.band_filter(x, 0.05, 0.3, "gaussian", implementation="matmul"),
    "band_energy": lambda x: spectral.band_energy(x, [(0, 0.1), (0.1, None)]),
    "spectral_distance": lambda x: spectral.spectral_distance(x, 0.9 * x[::-1]).per_bin,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_graph_xla_and_eager_agree_and_gradients_are_finite(name, photos_32, profile_path):
    function = FUNCTIONS[name]
    images = tf.constant(photos_32[:4])
    eager = function(images).numpy()
    graph = tf.function(function)(images).numpy()
    xla = tf.function(function, jit_compile=True)(images).numpy()
    np.testing.assert_allclose(graph, eager, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xla, eager, rtol=1e-4, atol=1e-4)
    weights = tf.random.stateless_uniform(eager.shape, seed=(1, 2))
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(function(images) * weights)
    gradient = tape.gradient(loss, images).numpy()
    assert np.all(np.isfinite(gradient)) and np.abs(gradient).max() > 0


@pytest.mark.parametrize("implementation", ["fft", "matmul"])
def test_band_filter_gradient_is_the_filter_itself(implementation, rng):
    # The filter is linear and self-adjoint (a real, symmetric mask), so the
    # gradient of <w, filter(x)> with respect to x is filter(w).
    images = tf.constant(rng.random((2, 16, 20, 3)), tf.float32)
    weights = tf.constant(rng.standard_normal((2, 16, 20, 3)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(weights * spectral.band_filter(images, 0.1, 0.3, "gaussian", implementation=implementation))
    expected = spectral.band_filter(weights, 0.1, 0.3, "gaussian").numpy()
    np.testing.assert_allclose(tape.gradient(loss, images).numpy(), expected, atol=1e-5)


def test_band_filter_accepts_dynamic_sizes_in_the_graph(photos_32):
    function = tf.function(
        lambda x: spectral.band_filter(x, 0.1, None, "gaussian"),
        input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)],
    )
    for images in (photos_32, photos_32[:, :31, :27]):
        np.testing.assert_allclose(
            function(images).numpy(), spectral.band_filter(images, 0.1, None, "gaussian").numpy(), atol=1e-6
        )


@pytest.mark.parametrize(
    "profile,sizes",
    [
        (lambda x: spectral.radial_power_profile(x, num_bins=10), [(32, 32), (31, 27), (20, 32)]),
        (lambda x: spectral.radial_power_profile(x, num_bins=6, max_frequency=0.3, mode="channels"), [(32, 32), (27, 31)]),
        (lambda x: spectral.radial_log_magnitude_profile(x, num_bins=12), [(32, 32), (27, 27)]),
        (lambda x: spectral.radial_log_magnitude_profile(x, num_bins=9, binning="normalized"), [(32, 32), (18, 31)]),
    ],
    ids=["power_gray", "power_channels", "log_integer", "log_normalized"],
)
def test_radial_profiles_with_num_bins_accept_dynamic_sizes_in_the_graph(profile, sizes, photos_32, profile_path):
    function = tf.function(profile, input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    for height, width in sizes:
        images = photos_32[:, :height, :width]
        np.testing.assert_allclose(function(images).numpy(), profile(images).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float64])
def test_low_precision_inputs_are_computed_in_float32(dtype, photos_32, profile_path):
    images = tf.constant(photos_32)
    low = tf.cast(images, dtype)
    result = spectral.radial_power_profile(low)
    assert result.dtype == tf.float32
    tolerance = {tf.float16: 2e-3, tf.bfloat16: 2e-2, tf.float64: 1e-6}[dtype]
    expected = spectral.radial_power_profile(tf.cast(low, tf.float32)).numpy()
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(expected, spectral.radial_power_profile(images).numpy(), rtol=tolerance * 50, atol=tolerance)


# --- bad input ---------------------------------------------------------------


BAD_IMAGES = {
    "rank 3": (np.zeros((8, 8, 3), np.float32), "rank 4"),
    "rank 5": (np.zeros((1, 2, 8, 8, 3), np.float32), "rank 4"),
    "zero size": (np.zeros((1, 0, 8, 3), np.float32), "zero-size"),
    "integer": (np.zeros((1, 8, 8, 3), np.uint8), "floating"),
    "nan": (np.full((1, 8, 8, 3), np.nan, np.float32), "NaN"),
    "inf": (np.full((1, 8, 8, 3), np.inf, np.float32), "NaN or Inf"),
    "string": (np.array([["a"]]), "rank 4"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
@pytest.mark.parametrize(
    "function",
    [
        spectral.to_grayscale,
        spectral.power_spectrum,
        spectral.log_magnitude,
        spectral.radial_profile,
        spectral.radial_power_profile,
        lambda x: spectral.band_filter(x, 0.1),
        lambda x: spectral.band_energy(x, [(0, None)]),
        lambda x: spectral.spectral_distance(x, x),
    ],
)
def test_bad_images_raise_a_clear_value_error(case, function):
    images, message = BAD_IMAGES[case]
    with pytest.raises(ValueError, match=message):
        function(images)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(low=0.3, high=0.1), "greater than `low`"),
        (dict(low=-0.1), "low"),
        (dict(low=float("nan")), "low"),
        (dict(high="0.2"), "high"),
        (dict(kind="box"), "kind"),
        (dict(kind="butterworth", order=0), "order"),
    ],
)
def test_bad_band_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spectral.band_mask((16, 16), **kwargs)


def test_other_bad_arguments_raise():
    images = np.zeros((1, 8, 8, 4), np.float32)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        spectral.power_spectrum(images)
    with pytest.raises(ValueError, match="mode"):
        spectral.power_spectrum(images, mode="grey")
    with pytest.raises(ValueError, match="shape"):
        spectral.band_mask((16,))
    with pytest.raises(ValueError, match="height"):
        spectral.frequency_grid(0, 4)
    with pytest.raises(ValueError, match="num_bins"):
        spectral.radial_profile(images, num_bins=0)
    with pytest.raises(ValueError, match=r"static height and width for `images` .*or `num_bins`"):
        tf.function(
            spectral.radial_power_profile, input_signature=[tf.TensorSpec((None, None, None, 1), tf.float32)]
        ).get_concrete_function()


@pytest.mark.parametrize("scalar", [np.float32, np.float64, np.float16])
def test_numpy_scalar_frequencies_are_numbers(scalar, photos_32):
    # Frequencies often come out of NumPy (np.linspace, an array of cut-offs);
    # a NumPy scalar gives the same result as the Python float it holds.
    from kfreqgan.layers import FFTBandFilter
    from kfreqgan.layers import FrequencyShift
    from kfreqgan.layers import SpectralProfile

    low, high, top = scalar(0.125), scalar(0.25), scalar(0.375)
    same = [
        (spectral.band_mask((16, 16), low, high), spectral.band_mask((16, 16), float(low), float(high))),
        (spectral.band_filter(photos_32, low, high), spectral.band_filter(photos_32, float(low), float(high))),
        (FFTBandFilter(low, high)(photos_32), FFTBandFilter(float(low), float(high))(photos_32)),
        (
            spectral.radial_power_profile(photos_32, max_frequency=top),
            spectral.radial_power_profile(photos_32, max_frequency=float(top)),
        ),
        (
            SpectralProfile(binning="normalized", min_frequency=low, epsilon=scalar(1e-3))(photos_32),
            SpectralProfile(binning="normalized", min_frequency=float(low), epsilon=float(scalar(1e-3)))(photos_32),
        ),
        (FrequencyShift((low, -high))(photos_32), FrequencyShift((float(low), -float(high)))(photos_32)),
        (spectral.band_energy(photos_32, [(np.int64(0), low), (low, None)]), spectral.band_energy(photos_32, [(0, float(low)), (float(low), None)])),
    ]
    for numpy_scalar, python_float in same:
        np.testing.assert_array_equal(np.asarray(numpy_scalar), np.asarray(python_float))
    # A NumPy bool is no more a frequency than a Python bool.
    with pytest.raises(ValueError, match="`low` must be a frequency"):
        spectral.band_mask((16, 16), np.bool_(True))


def test_large_batches_run_compiled_and_small_ones_plain(photos_32):
    # The same numbers either way; the path is chosen by the batch's size.
    assert photos_32.size < spectral.COMPILE_MIN_VALUES
    large = np.concatenate([photos_32] * (spectral.COMPILE_MIN_VALUES // photos_32.size + 1))
    profile = spectral.radial_power_profile(large).numpy()
    cache = spectral._compiled.cache_info().currsize
    assert cache >= 1
    np.testing.assert_allclose(profile[: len(photos_32)], spectral.radial_power_profile(photos_32).numpy(), rtol=1e-5, atol=1e-9)
    spectral.radial_power_profile(photos_32)
    assert spectral._compiled.cache_info().currsize == cache  # nothing new compiled
