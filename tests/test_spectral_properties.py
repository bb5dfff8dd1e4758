"""Laws of the spectral core, checked on random images, sizes and bands.

Each test states a property the maths promises (linearity of the band filter,
Parseval, shift and rotation invariance, the range and complementarity of the
band masks) and lets `hypothesis` look for a counter-example. Tolerances are
derived from error bounds stated next to them, not read off observed errors:
the float32 ones below sit about 100x above the errors seen, the bound for
rotations by arbitrary angles (a discretisation error) about 4x.

Float32 error model, used throughout (Higham, "Accuracy and Stability of
Numerical Algorithms", 2nd ed., theorem 24.2 and section 3.5): a float32
radix-2 FFT over `N = H W` points has `||fl(F) - F|| <= c u log2(N) ||F||`
with unit roundoff `u = 2**-24` and `c` about 6.7 (`eta / u`, with
`eta = mu + gamma_4 (sqrt(2) + mu)` and twiddle factors accurate to
`mu ~ u`). An n-term dot product errs by `gamma_n ~ n u` relative to its
terms' magnitudes, so a DFT done as dense matmuls (`implementation="matmul"`)
gets `u (H + W)` in place of `u log2(N)`. `K = 14 ~ 2 c` covers the two
transforms of a filter (forward and inverse) or the square in `|F|^2`.
Non-power-of-two sizes (Bluestein's algorithm) behave alike in practice.
"""

import math

import numpy as np
import scipy.ndimage
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import numpy_reference as ref
from kfreqgan import spectral
from kfreqgan.layers import FFTBandFilter

U = 2.0**-24  # float32 unit roundoff
K = 14  # constant of the norm-wise float32 error bounds (module docstring)

SIZES = st.one_of(st.sampled_from([8, 16, 32, 64]), st.integers(8, 64))
PATTERNS = ("uniform", "normal", "waves", "smooth", "spikes", "constant")
# Coefficients of linear combinations: 0 or magnitudes in [1e-3, 4], so that
# a x + b y does not underflow in float32.
COEFFICIENTS = st.one_of(st.just(0.0), st.floats(1e-3, 4.0), st.floats(-4.0, -1e-3))


# --- strategies ----------------------------------------------------------------


def _pattern(rng, pattern, shape):
    batch, height, width, channels = shape
    if pattern == "uniform":  # like photos: values in [0, 1]
        return rng.random(shape)
    if pattern == "normal":
        return rng.standard_normal(shape)
    if pattern == "constant":  # only a DC term
        return np.broadcast_to(rng.random((batch, 1, 1, channels)), shape)
    if pattern == "spikes":  # a flat spectrum with random phases
        image = np.zeros(shape)
        count = rng.integers(1, 5)
        index = tuple(rng.integers(0, dim, count) for dim in shape)
        image[index] = rng.standard_normal(count)
        return image
    if pattern == "smooth":  # a steep, correlated spectrum
        sigma = rng.uniform(0.5, 3.0)
        return scipy.ndimage.gaussian_filter(rng.standard_normal(shape), (0, sigma, sigma, 0), mode="wrap")
    # "waves": a few sinusoids on the DFT grid, a sparse spectrum.
    y, x = np.indices((height, width))
    image = np.zeros(shape)
    for _ in range(rng.integers(1, 5)):
        ky, kx = rng.integers(0, height), rng.integers(0, width)
        phase = rng.uniform(0, 2 * np.pi, (batch, 1, 1, channels))
        amplitude = rng.standard_normal((batch, 1, 1, channels))
        image += amplitude * np.cos(2 * np.pi * (ky * y / height + kx * x / width)[None, :, :, None] + phase)
    return image


@st.composite
def images(draw, shape=None, channels=st.integers(1, 3), square=False):
    """float32 NHWC batches: a random pattern, scaled and offset.

    The pixels come from NumPy with a drawn seed: arrays of up to 64x64x3
    values are too large to draw value by value.
    """
    if shape is None:
        height = draw(SIZES)
        width = height if square else draw(SIZES)
        shape = (draw(st.integers(1, 2)), height, width, draw(channels))
    pattern = draw(st.sampled_from(PATTERNS))
    scale = draw(st.sampled_from([1.0, 1e-3, 1e3]))
    offset = draw(st.sampled_from([0.0, 0.5, -2.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (offset + scale * _pattern(rng, pattern, shape)).astype(np.float32)


def cuts(height=8, width=8):
    """Cut-offs in cycles/pixel, up to and past the spectrum's corner (0.707).

    Half of them are frequencies k / height or k / width of the DFT grid,
    where ideal masks switch; hypothesis also tries 0, the bounds and
    subnormal numbers.
    """
    return st.one_of(
        st.floats(0.0, 0.75),
        st.integers(0, height // 2).map(lambda k: k / height),
        st.integers(0, width // 2).map(lambda k: k / width),
    )


@st.composite
def bands(draw, height=8, width=8):
    """Keyword arguments of a valid band: `high > low`, or `high=None`."""
    low, high = draw(cuts(height, width)), draw(st.one_of(st.none(), cuts(height, width)))
    if high is not None:
        low, high = min(low, high), max(low, high)
        if high == low:
            high = None
    return {
        "low": low,
        "high": high,
        "kind": draw(st.sampled_from(spectral.BAND_KINDS)),
        "order": draw(st.integers(1, 8)),
    }


def _band_filter(band, implementation, via):
    """The band filter as a NumPy function, through the function or the layer."""
    if via == "layer":
        layer = FFTBandFilter(**band, implementation=implementation, dtype="float32")
        return lambda images: np.asarray(layer(images), np.float64)
    return lambda images: spectral.band_filter(images, **band, implementation=implementation).numpy().astype(np.float64)


def _filter_tolerance(implementation, height, width):
    """Relative norm-wise error bound of one float32 band filter (docstring)."""
    growth = math.log2(height * width) if implementation == "fft" else height + width
    return K * U * growth


def _norm(array):
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


# --- the band filter -------------------------------------------------------------


@settings(deadline=None, max_examples=40)
@given(
    data=st.data(),
    band=bands(),
    a=COEFFICIENTS,
    b=COEFFICIENTS,
    implementation=st.sampled_from(["fft", "matmul"]),
    via=st.sampled_from(["function", "layer"]),
)
def test_band_filter_is_linear(data, band, a, b, implementation, via):
    x = data.draw(images(), label="x")
    y = data.draw(images(shape=x.shape), label="y")
    apply = _band_filter(band, implementation, via)
    mixed = (a * x.astype(np.float64) + b * y).astype(np.float32)
    difference = apply(mixed) - (a * apply(x) + b * apply(y))
    # Each of the three filters errs by at most tol * ||its input|| (the mask
    # lies in [0, 1], so the filter does not amplify); forming `mixed` in
    # float32 adds u * ||a x + b y||.
    height, width = x.shape[1:3]
    tolerance = _filter_tolerance(implementation, height, width)
    bound = (tolerance + U) * _norm(mixed) + tolerance * (abs(a) * _norm(x) + abs(b) * _norm(y))
    assert _norm(difference) <= bound


@settings(deadline=None, max_examples=20)
@given(
    x=images(),
    band=bands(),
    shift=st.tuples(st.integers(-64, 64), st.integers(-64, 64)),
    implementation=st.sampled_from(["fft", "matmul"]),
)
def test_band_filter_commutes_with_circular_shifts(x, band, shift, implementation):
    # The filter is a circular convolution, so it commutes with np.roll.
    apply = _band_filter(band, implementation, "function")
    difference = apply(np.roll(x, shift, axis=(1, 2))) - np.roll(apply(x), shift, axis=(1, 2))
    tolerance = _filter_tolerance(implementation, *x.shape[1:3])
    assert _norm(difference) <= 2 * tolerance * _norm(x)


@settings(deadline=None, max_examples=20)
@given(
    data=st.data(),
    kind=st.sampled_from(spectral.BAND_KINDS),
    order=st.integers(1, 8),
    implementation=st.sampled_from(["fft", "matmul"]),
    via=st.sampled_from(["function", "layer"]),
)
def test_low_pass_plus_high_pass_is_the_identity(data, kind, order, implementation, via):
    # FFTBandFilter's docstring: "Low- and high-pass at the same cut sum back
    # to the input exactly" (up to float32 round-off).
    x = data.draw(images(), label="x")
    cut = data.draw(cuts(*x.shape[1:3]).filter(lambda cut: cut > 0), label="cut")
    low = _band_filter({"low": 0.0, "high": cut, "kind": kind, "order": order}, implementation, via)
    high = _band_filter({"low": cut, "high": None, "kind": kind, "order": order}, implementation, via)
    tolerance = _filter_tolerance(implementation, *x.shape[1:3])
    assert _norm(low(x) + high(x) - x) <= 2 * tolerance * _norm(x)


# --- band masks --------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(data=st.data(), height=SIZES, width=SIZES)
def test_band_masks_lie_in_the_unit_interval(data, height, width):
    band = data.draw(bands(height, width), label="band")
    mask = spectral.band_mask((height, width), **band).numpy()
    assert mask.dtype == np.float32
    assert np.all(mask >= 0.0) and np.all(mask <= 1.0), (mask.min(), mask.max())


@settings(deadline=None, max_examples=30)
@given(
    data=st.data(),
    height=SIZES,
    width=SIZES,
    kind=st.sampled_from(spectral.BAND_KINDS),
    order=st.integers(1, 8),
)
def test_masks_of_a_partition_sum_to_one(data, height, width, kind, order):
    # band_mask's docstring: a low-pass and the high-pass at the same cut sum
    # to one, and so do the masks of any partition 0 < c1 < ... < ck, for
    # every kind. A single cut is the low-pass / high-pass pair.
    positive_cuts = cuts(height, width).filter(lambda cut: cut > 0)
    partition = data.draw(st.lists(positive_cuts, min_size=1, max_size=5, unique=True), label="cuts")
    edges = [0.0, *sorted(partition), None]
    masks = [
        spectral.band_mask((height, width), low, high, kind, order).numpy()
        for low, high in zip(edges, edges[1:])
    ]
    # Each mask is one float32 subtraction of two low-pass responses; summed
    # in float64 the telescoping sum is exact but for those roundings, each
    # at most u times its (non-negative) mask: in total u * sum = u.
    total = np.sum(masks, axis=0, dtype=np.float64)
    assert np.max(np.abs(total - 1.0)) <= 2 * U


# --- power spectra ---------------------------------------------------------------


def _energies(images):
    """Total energy sum(x^2) and AC energy sum((x - mean)^2) per image and channel."""
    images = images.astype(np.float64)
    total = np.sum(images**2, axis=(1, 2), keepdims=True)
    ac = np.sum((images - images.mean(axis=(1, 2), keepdims=True)) ** 2, axis=(1, 2), keepdims=True)
    return total, ac


def _power_tolerance(power, total, ac, height, width):
    """Float32 error bound of power values `power` = |F|^2 / (H W).

    With `|dF_k| <= ||dF|| <= c u log2(N) ||F_ac||` and `||F_ac||^2 = N ac`
    (the code transforms the mean-free image and adds the DC term back):
    `|dP_k| <= 2 |F_k| |dF_k| / N + |dF_k|^2 / N
            <= K u log2(N) sqrt(P_k ac) + (K u log2(N))^2 total`, plus the
    float32 rounding of `P_k` itself. The same bound holds for means of power
    values over radial bins (by Jensen's inequality for the square root).
    """
    g = K * U * math.log2(height * width)
    return g * (np.sqrt(power * ac) + power) + g * g * total


@settings(deadline=None, max_examples=30)
@given(x=images(channels=st.sampled_from([1, 3])), mode=st.sampled_from(["channels", "gray"]))
def test_parseval(x, mode):
    # power_spectrum is |F|^2 / (H W) with F the unnormalised DFT
    # (np.fft.fft2's default "backward" norm), so the powers of each image
    # and channel sum to its energy sum(x^2). radial_power_profile has the
    # same normalisation: its bin means times the bin counts, over bins that
    # cover the corners (max_frequency = 2**-0.5), sum to the energy too.
    _, height, width, _ = x.shape
    signal = x if mode == "channels" else ref.gray(x)[..., None]
    total, _ = _energies(signal)
    power = spectral.power_spectrum(x, mode=mode).numpy()
    num_bins = max(1, min(height, width) // 4)
    profile = spectral.radial_power_profile(x, num_bins, max_frequency=2**-0.5, mode=mode).numpy()
    counts = spectral.radial_bins(height, width, num_bins, 2**-0.5).counts
    # The norm-wise FFT bound gives | ||fl(F)||^2 - ||F||^2 | <= 2 c u log2(N)
    # ||F||^2; grey conversion in float32 adds a few u.
    bound = K * U * math.log2(height * width) * total[:, 0, 0]
    assert np.all(np.abs(power.sum(axis=(1, 2), dtype=np.float64) - total[:, 0, 0]) <= bound)
    by_bins = np.einsum("nbc,b->nc", profile.astype(np.float64), counts.astype(np.float64))
    assert np.all(np.abs(by_bins - total[:, 0, 0]) <= bound)


@settings(deadline=None, max_examples=30)
@given(x=images(), shift=st.tuples(st.integers(-64, 64), st.integers(-64, 64)))
def test_power_spectrum_is_invariant_to_circular_shifts(x, shift):
    # A circular shift multiplies F by a phase, |F|^2 is unchanged.
    rolled = np.roll(x, shift, axis=(1, 2))
    _, height, width, _ = x.shape
    total, ac = _energies(x)
    power = spectral.power_spectrum(x, mode="channels").numpy().astype(np.float64)
    shifted = spectral.power_spectrum(rolled, mode="channels").numpy()
    bound = 2 * _power_tolerance(power, total, ac, height, width)  # both err
    assert np.all(np.abs(shifted - power) <= bound)
    profile = spectral.radial_power_profile(x, mode="channels").numpy().astype(np.float64)
    shifted = spectral.radial_power_profile(rolled, mode="channels").numpy()
    bound = 2 * _power_tolerance(profile, total[:, 0], ac[:, 0], height, width)
    assert np.all(np.abs(shifted - profile) <= bound)


# --- radial profiles -------------------------------------------------------------

# The symmetries of the pixel grid: they map the DFT grid onto itself and
# keep |f| of every frequency (also on non-square images, as the normalised
# binning measures x and y frequencies in cycles/pixel alike).
GRID_SYMMETRIES = {
    "rotate 90": lambda x: np.rot90(x, 1, axes=(1, 2)),
    "rotate 180": lambda x: np.rot90(x, 2, axes=(1, 2)),
    "rotate 270": lambda x: np.rot90(x, 3, axes=(1, 2)),
    "transpose": lambda x: np.swapaxes(x, 1, 2),
    "anti-transpose": lambda x: np.swapaxes(x[:, ::-1, ::-1], 1, 2),
    "flip up-down": lambda x: x[:, ::-1],
    "flip left-right": lambda x: x[:, :, ::-1],
}


@settings(deadline=None, max_examples=30)
@given(
    data=st.data(),
    symmetry=st.sampled_from(sorted(GRID_SYMMETRIES)),
    binning=st.sampled_from(spectral.BINNINGS),
)
def test_radial_profiles_are_invariant_under_right_angle_rotations_and_flips(data, symmetry, binning):
    x = data.draw(images(square=binning == "integer"), label="x")
    moved = np.ascontiguousarray(GRID_SYMMETRIES[symmetry](x))
    _, height, width, _ = x.shape
    total, ac = _energies(x)
    for profile_of in (
        lambda images: spectral.radial_profile(spectral.power_spectrum(images, "channels"), binning=binning),
        lambda images: spectral.radial_power_profile(images, binning=binning, mode="channels"),
    ):
        profile = profile_of(x).numpy().astype(np.float64)
        bound = 2 * _power_tolerance(profile, total[:, 0], ac[:, 0], height, width)
        assert np.all(np.abs(profile_of(moved).numpy() - profile) <= bound), symmetry


def _windowed_waves(height, width, waves):
    """Plane waves under an isotropic Gaussian window centred in the frame.

    waves: `(radius, angle, phase, amplitude)` tuples, radius in cycles/pixel.
    The window has `sigma = min(H, W) / (2 pi)` pixels, so each wave's power
    is a Gaussian blob of `sigma_p = 1 / (sqrt(2) min(H, W))` cycles/pixel
    around its frequency, and the window is down to exp(-pi^2 / 2) = 0.7% at
    the frame's nearest edge.
    """
    sigma = min(height, width) / (2 * np.pi)
    y = np.arange(height)[:, None] - (height - 1) / 2
    x = np.arange(width)[None, :] - (width - 1) / 2
    image = np.zeros((height, width))
    for radius, angle, phase, amplitude in waves:
        frequency = radius * np.array([np.sin(angle), np.cos(angle)])
        image += amplitude * np.cos(2 * np.pi * (frequency[0] * y + frequency[1] * x) + phase)
    return image * np.exp(-(x**2 + y**2) / (2 * sigma**2))


ROTATION_TOLERANCE = 0.03
"""Bound on |bin energy change| / image energy for `test_radial_profile_...`.

The bins are 4/m wide (m = min(H, W)) and each wave sits at a bin centre, so
a bin edge lies 2/m = 2.83 sigma_p from the centre of each power blob (see
`_windowed_waves`). In the continuum a rotation moves the blobs along their
circles and keeps every bin's energy. What changes it:

- the bin energy is a sum over the DFT lattice, not an integral. Where the
  blob is smooth the two agree closely (a Gaussian of width >= 0.7 lattice
  steps sums to its integral within exp(-2 pi^2 0.7^2) = 5e-5); what moves
  is the share of the lattice points next to a bin edge. There the blob's
  density is down to exp(-2.83^2 / 2) = 1.8% of its peak, and the ~1.8
  points across the blob's width each misplace at most half a cell of it:
  0.5% of the blob's energy per edge, 1% per image (two edges), 2% for the
  difference of two images;
- quintic spline interpolation in scipy.ndimage.rotate scales the power at
  frequency (fy, fx) by (H(fy) H(fx))^2, H(f) = sinc(f)^6 / B5(f), and adds
  aliases: 0.1% at the waves' frequencies (<= 0.22 cycles/pixel), 0.5% at
  0.27, where their blobs' 2-sigma tails reach (0.22 + 2 / m): below 0.2%
  of a blob's energy;
- the frame: 5e-5 of the energy lies outside the inscribed circle, which
  the rotation crops.

Together about 2.2% of the image's energy; 3% leaves a margin. A radius that
is not rotation invariant (e.g. max(|fx|, |fy|)), or one that mixes up the
axes of non-square images, moves up to half of a blob's energy.
"""


@st.composite
def wave_images(draw):
    height, width = draw(st.integers(32, 64)), draw(st.integers(32, 64))
    num_bins = min(height, width) // 8
    bin_width = 0.5 / num_bins
    # Bins 1, 2, ...: away from DC and with centres at most at 0.22 cycles/pixel.
    last_bin = max(1, int(0.22 / bin_width - 0.5))
    waves = draw(
        st.lists(
            st.tuples(
                st.integers(1, last_bin).map(lambda b: (b + 0.5) * bin_width),
                st.floats(0.0, 2 * np.pi),
                st.floats(0.0, 2 * np.pi),
                st.floats(0.2, 1.0),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return _windowed_waves(height, width, waves), num_bins


@settings(deadline=None, max_examples=25)
@given(wave_image=wave_images(), degrees=st.floats(0.0, 360.0))
def test_radial_profile_is_invariant_under_arbitrary_rotations(wave_image, degrees):
    image, num_bins = wave_image
    rotated = scipy.ndimage.rotate(image, degrees, reshape=False, order=5, mode="constant")
    height, width = image.shape
    counts = spectral.radial_bins(height, width, num_bins).counts.astype(np.float64)
    bound = ROTATION_TOLERANCE * np.sum(image**2) / counts  # on bin means
    for profile_of in (
        lambda images: spectral.radial_profile(spectral.power_spectrum(images), num_bins),
        lambda images: spectral.radial_power_profile(images, num_bins),
    ):
        before, after = (
            profile_of(picture[None, :, :, None].astype(np.float32)).numpy()[0, :, 0] for picture in (image, rotated)
        )
        assert np.all(np.abs(after - before) <= bound), (before * counts, after * counts)


# Integer vectors (a, b) with a^2 + b^2 a perfect square: on an even n x n
# image their frequency lies exactly on a bin edge of both binnings.
PYTHAGOREAN = [(3, 4), (6, 8), (5, 12), (9, 12), (8, 15), (12, 16), (15, 20), (7, 24), (20, 21), (10, 24)]


@st.composite
def grid_sinusoids(draw):
    """`(binning, height, width, ky, kx)`: a nonzero DFT-grid frequency (in
    cycles per image), half of the time on a bin edge."""
    binning = draw(st.sampled_from(spectral.BINNINGS))
    if draw(st.booleans()):
        a, b = draw(st.sampled_from(PYTHAGOREAN))
        size = 2 * draw(st.integers(math.isqrt(a * a + b * b) + 1, 32))
        ky, kx = draw(st.permutations([a * draw(st.sampled_from([-1, 1])), b * draw(st.sampled_from([-1, 1]))]))
        return binning, size, size, ky, kx
    height = draw(SIZES)
    width = height if binning == "integer" else draw(SIZES)
    ky = draw(st.integers(-(height // 2), (height - 1) // 2))
    kx = draw(st.integers(-(width // 2), (width - 1) // 2).filter(lambda kx: ky != 0 or kx != 0))
    return binning, height, width, ky, kx


@settings(deadline=None, max_examples=30)
@given(sinusoid=grid_sinusoids(), phase=st.floats(-np.pi / 4, np.pi / 4))
# 5/14 cycles/pixel: 5 / 14 / 0.5 * 7 rounds to 4.999... in float64.
@example(sinusoid=("normalized", 14, 14, 3, 4), phase=0.0)
def test_radial_profile_of_a_sinusoid_peaks_in_the_bin_of_its_frequency(sinusoid, phase):
    # The phase stays off quadrature, so that a Nyquist frequency is not
    # sampled at its zeros.
    binning, height, width, ky, kx = sinusoid
    y, x = np.indices((height, width))
    wave = np.cos(2 * np.pi * (ky * y / height + kx * x / width) + phase)
    images = wave[None, :, :, None].astype(np.float32)
    profile = spectral.radial_power_profile(images, binning=binning).numpy()[0, :, 0]
    full = spectral.radial_profile(spectral.power_spectrum(images), binning=binning).numpy()[0, :, 0]
    num_bins = len(profile)
    # The bin, in exact integer arithmetic: bins [i, i + 1) of |k| in pixels
    # ("integer", square images), or of |f| / 0.5 * num_bins ("normalized").
    squared = (ky * width) ** 2 + (kx * height) ** 2  # (|f| H W)^2
    if binning == "integer":
        expected = math.isqrt(ky**2 + kx**2)
    else:
        expected = math.isqrt(squared * (2 * num_bins) ** 2 // (height * width) ** 2)
        if squared * 4 == (height * width) ** 2:  # |f| == 0.5: the last bin's outer edge
            expected = num_bins - 1
    for values in (profile, full):
        if expected >= num_bins:  # beyond max_frequency (a corner): no bin has power
            assert values.max() <= 1e-6 * np.mean(wave**2)
        else:
            assert np.argmax(values) == expected, (values, expected)
