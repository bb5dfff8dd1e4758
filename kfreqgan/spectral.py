"""Spectral analysis of image batches: pure TensorFlow functions.

Conventions used throughout the package:

- images are NHWC float tensors with values in [0, 1] (float16, bfloat16,
  float32 and float64 are accepted; the maths runs in float32/complex64);
- spectra are *centred*: the DC term sits at index `(H // 2, W // 2)`, as
  after `np.fft.fftshift`;
- frequencies are in cycles/pixel, so each axis runs over [-0.5, 0.5) and the
  Nyquist circle has radius 0.5 whatever the image size, also for non-square
  images.

Every function here works inside `tf.function` (and under XLA where static
shapes are given) and is differentiable with respect to the images. In eager
mode inputs are also checked for NaN and Inf, and for values so large that
the float32 transform would overflow (`|x|` beyond about `1.8e19 / (H W)`
for a power spectrum; `kfreqgan._validation.check_transform_range`).
"""

import collections
import functools
import math

import numpy as np
import tensorflow as tf

from kfreqgan._validation import as_image_batch
from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_choice
from kfreqgan._validation import check_frequency
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import check_transform_range
from kfreqgan._validation import spatial_size
from kfreqgan._validation import static_spatial_size

GRAY_WEIGHTS = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights used by `to_grayscale` and the `mode="gray"`
spectra."""

SSD_GAN_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)
"""Grey weights of SSD-GAN's reference code (MATLAB's `rgb2gray` weights
rounded to 4 digits; they sum to 0.9999). `kfreqgan.layers.SpectralProfile`
uses them so that it reproduces SSD-GAN's feature exactly (to 1e-5): with
the ITU-R 601 weights the features of the bundled RGB photos move by up to
4e-5 (measured at 32, 64 and 128 pixels)."""

_NUMBERS = (int, float, np.integer, np.floating)  # NumPy scalars are numbers too

BAND_KINDS = ("ideal", "gaussian", "butterworth")
BAND_FILTER_IMPLEMENTATIONS = ("fft", "matmul")
BINNINGS = ("normalized", "integer")
MODES = ("gray", "channels")

FrequencyGrid = collections.namedtuple("FrequencyGrid", ["fy", "fx", "radius"])
SpectralDistance = collections.namedtuple(
    "SpectralDistance", ["per_bin", "distance", "frequencies"]
)


# ---------------------------------------------------------------------------
# Colour and Fourier transforms.
# ---------------------------------------------------------------------------


def to_grayscale(images, weights=GRAY_WEIGHTS):
    """Converts RGB images to grey, by default with the ITU-R BT.601 luma weights.

    Args:
        images: float tensor of shape `(N, H, W, 3)` or `(N, H, W, 1)`.
        weights: the `(R, G, B)` weights; `GRAY_WEIGHTS` (ITU-R 601) or
            `SSD_GAN_GRAY_WEIGHTS` (what `kfreqgan.layers.SpectralProfile`
            uses).

    Returns:
        float32 tensor of shape `(N, H, W, 1)`: `0.299 R + 0.587 G + 0.114 B`
        with the default weights (single-channel input is returned
        unchanged, as float32).
    """
    images = as_image_batch(images)
    return _gray(images, weights)


def _gray(images, weights=GRAY_WEIGHTS):
    channels = images.shape[-1]
    if channels == 1:
        return images
    if channels == 3:
        # A matrix-vector product: on CPU 3-4x faster than a reduction over
        # the 3-wide channel axis. On rows (N H, W, 3): TF 2.21's oneDNN
        # matmul corrupts memory for a rank-4 input whose batch shape holds
        # a 1, as (N, 1) does for one-row images (measured here, see
        # tests/test_spectral.py).
        weights = tf.constant(weights, dtype=images.dtype)
        shape = tf.shape(images)
        rows = tf.reshape(images, tf.concat([[-1], shape[2:]], 0))
        return tf.reshape(tf.linalg.matvec(rows, weights), tf.concat([shape[:-1], [1]], 0))
    raise ValueError(
        "Grey-scale conversion needs `images` with 1 or 3 channels (use mode='channels' "
        f"for other channel counts). Received: shape={tuple(images.shape)}"
    )


def _select_channels(images, mode):
    check_choice(mode, "mode", MODES)
    return _gray(images) if mode == "gray" else images


def dft_power(images, half=False):
    """Squared DFT magnitude `|F|^2` over H and W of a float32 NHWC batch.

    Unshifted and unnormalised. With `half=True` only the non-negative W
    frequencies are returned (shape `(N, H, W // 2 + 1, C)`), as
    `tf.signal.rfft2d` gives them.

    Each image's mean is removed before the transform and its DC power put
    back exactly afterwards: in photos the DC term dwarfs all others, and the
    round-off of a float32 FFT scales with the largest coefficient, so this
    keeps the weak high frequencies accurate (about 4x smaller error on
    128x128 photos).

    Any float NHWC batch is taken (as float32); NaN passes through (a
    primitive of the losses, where a diverging GAN's NaN must show).

    Raises:
        ValueError: if `images` is not a float NHWC batch.
    """
    images = as_image_batch(images, check_finite=False)
    shape = tf.shape(images)
    mean = tf.reduce_mean(images, axis=(1, 2), keepdims=True)
    centred = images - mean
    if images.shape[-1] == 1:  # no transpose needed for one channel
        channels_first = tf.reshape(centred, shape[:3])[:, tf.newaxis]
    else:
        channels_first = tf.transpose(centred, (0, 3, 1, 2))
    if half:
        spectrum = tf.signal.rfft2d(channels_first)
    else:
        spectrum = tf.signal.fft2d(tf.complex(channels_first, tf.zeros_like(channels_first)))
    power = tf.math.square(tf.math.real(spectrum)) + tf.math.square(tf.math.imag(spectrum))
    if images.shape[-1] == 1:
        power = power[:, 0, :, :, tf.newaxis]
    else:
        power = tf.transpose(power, (0, 2, 3, 1))
    columns = shape[2] // 2 + 1 if half else shape[2]
    dc = tf.pad(tf.ones((1, 1, 1)), [[0, shape[1] - 1], [0, columns - 1], [0, 0]])
    total = mean * tf.cast(shape[1] * shape[2], tf.float32)
    # `mean` is rounded, so the centred images keep a small sum: their DC
    # term. Adding it to the total (not its square to the power) makes the DC
    # power as accurate as the FFT rather than as the float32 sum behind `mean`.
    total += tf.math.real(spectrum[:, :, 0, 0])[:, tf.newaxis, tf.newaxis, :]
    return power * (1.0 - dc) + tf.square(total) * dc


def _centre(spectrum):
    return tf.signal.fftshift(spectrum, axes=(1, 2))


def power_spectrum(images, mode="gray"):
    """Centred power spectrum `|F|^2 / (H W)` of each image.

    With this normalisation Parseval's identity reads
    `sum(power_spectrum(x)) == sum(x ** 2)` per image and channel.

    Args:
        images: float tensor `(N, H, W, C)`.
        mode: `"gray"` converts RGB to grey first (output has 1 channel);
            `"channels"` transforms each channel on its own.

    Returns:
        float32 tensor `(N, H, W, 1)` or `(N, H, W, C)`, DC at `(H//2, W//2)`.
    """
    images = as_image_batch(images)
    check_transform_range(images)
    return _run_maybe_compiled(_power_spectrum_kernel, images, _gray_weights(images, mode))


def _power_spectrum_kernel(images, gray_weights):
    if gray_weights is not None:
        images = _gray_sum(images, gray_weights)[..., tf.newaxis]
    return _centre(_power(images))


def _gray_weights(images, mode):
    """GRAY_WEIGHTS for mode="gray" (checking the channels), None for "channels"."""
    check_choice(mode, "mode", MODES)
    if mode == "channels":
        return None
    if images.shape[-1] not in (1, 3):
        _gray(images)  # raises the grey-conversion error
    return GRAY_WEIGHTS


def _run_maybe_compiled(kernel, images, *args):
    """`_run_compiled` where the spatial size is static, else plain ops."""
    if None in images.shape[1:]:
        return kernel(images, *args)
    return _run_compiled(kernel, images, *args)


def _power(images):
    size = tf.cast(tf.shape(images)[1] * tf.shape(images)[2], tf.float32)
    return dft_power(images) / size


def log_magnitude(images, mode="gray", epsilon=1e-10):
    """Centred log-magnitude spectrum `0.5 * log(|F|^2 + epsilon)`.

    This is the natural log of the unnormalised DFT magnitude, as in SSD-GAN;
    writing it through `|F|^2` keeps the gradient finite where `F == 0`.

    Args:
        images: float tensor `(N, H, W, C)`.
        mode: `"gray"` or `"channels"`, as in `power_spectrum`.
        epsilon: positive floor added to `|F|^2` inside the log (SSD-GAN's
            1e-10). It bounds the gradient by `1 / (2 sqrt(epsilon))`.

    Returns:
        float32 tensor `(N, H, W, 1)` or `(N, H, W, C)`.
    """
    check_epsilon(epsilon)
    images = as_image_batch(images)
    check_transform_range(images)
    return _run_maybe_compiled(_log_magnitude_kernel, images, _gray_weights(images, mode), float(epsilon))


def _log_magnitude_kernel(images, gray_weights, epsilon):
    if gray_weights is not None:
        images = _gray_sum(images, gray_weights)[..., tf.newaxis]
    return _centre(0.5 * tf.math.log(dft_power(images) + epsilon))


def check_epsilon(epsilon):
    """Checks a log floor `epsilon` (a number > 0); raises `ValueError` otherwise."""
    check_at_least(epsilon, "epsilon", strict=True)


# ---------------------------------------------------------------------------
# Frequency grids and masks.
# ---------------------------------------------------------------------------


def _axis_index(n, layout):
    """Integer DFT frequency index of an axis of length `n`.

    layout: "centred" (as `fftshift(fftfreq(n)) * n`), "unshifted" (as
    `fftfreq(n) * n`) or "half" (as `rfftfreq(n) * n`, length `n // 2 + 1`).
    `n` may be a Python int or a scalar int32 tensor.
    """
    if layout == "half":
        return tf.range(n // 2 + 1)
    index = tf.range(n)
    if layout == "centred":
        return index - n // 2
    return (index + n // 2) % n - n // 2


def _grid_index(height, width, layout):
    """Integer frequency indices (ky, kx) of an `height x width` spectrum."""
    ky = _axis_index(height, "centred" if layout == "centred" else "unshifted")
    kx = _axis_index(width, layout)
    return tf.meshgrid(ky, kx, indexing="ij")


def _grid(height, width, layout):
    """Frequencies (fy, fx) in cycles/pixel, float32."""
    ky, kx = _grid_index(height, width, layout)
    return (
        tf.cast(ky, tf.float32) / tf.cast(height, tf.float32),
        tf.cast(kx, tf.float32) / tf.cast(width, tf.float32),
    )


def _check_size(height, width):
    height, width = check_positive_int(height, "height"), check_positive_int(width, "width")
    check_array_size((height, width), "A frequency grid", f"height={height}, width={width}")
    return height, width


def frequency_grid(height, width):
    """Centred DFT frequency grid of an `height x width` image.

    Args:
        height: positive int.
        width: positive int.

    Returns:
        `FrequencyGrid(fy, fx, radius)`, three float32 tensors of shape
        `(height, width)` in cycles/pixel, matching
        `np.fft.fftshift(np.fft.fftfreq(n))` along each axis;
        `radius = sqrt(fy**2 + fx**2)`.
    """
    height, width = _check_size(height, width)
    fy, fx = _grid(height, width, "centred")
    return FrequencyGrid(fy, fx, tf.sqrt(fy * fy + fx * fx))


def _lowpass_response(radius, cutoff, kind, order):
    """L(r; cutoff): the low-pass response that band masks are differences of.

    `cutoff=None` passes everything, `cutoff=0` stops everything, so that a
    band `[low, high)` is `L(r; high) - L(r; low)` and masks over a partition
    of bands telescope to one.
    """
    if cutoff is None:
        return tf.ones_like(radius)
    if cutoff == 0.0:
        return tf.zeros_like(radius)
    # A positive cut-off below float32's smallest normal number would flush to
    # zero (NaN at DC, 0 / 0). Every nonzero grid radius is >= 1 / size, far
    # above it, so raising the cut-off to it changes nothing else.
    cutoff = max(cutoff, float(np.finfo(np.float32).tiny))
    if kind == "ideal":
        return tf.cast(radius < cutoff, tf.float32)
    if kind == "gaussian":
        return tf.exp(-0.5 * tf.square(radius / cutoff))
    return 1.0 / (1.0 + tf.pow(radius / cutoff, 2.0 * order))


def check_band(low, high, kind, order):
    """Checks a band as `band_mask` takes it; returns `(low, high, kind, order)`
    normalised (floats, `low=None` as 0.0, `order` an int) or raises `ValueError`."""
    low = check_frequency(0.0 if low is None else low, "low")
    high = check_frequency(high, "high", allow_none=True)
    if high is not None and not high > low:
        raise ValueError(
            f"`high` must be greater than `low` (or None for no upper cut). "
            f"Received: low={low}, high={high}"
        )
    check_choice(kind, "kind", BAND_KINDS)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"`order` must be a positive integer. Received: order={order!r}")
    return low, high, kind, int(order)


def _mask_from_grid(fy, fx, low, high, kind, order):
    radius = tf.sqrt(fy * fy + fx * fx)
    return _lowpass_response(radius, high, kind, order) - _lowpass_response(
        radius, low, kind, order
    )


@functools.lru_cache(maxsize=128)
def _static_mask(height, width, low, high, kind, order, layout):
    with tf.init_scope():
        fy, fx = _grid(height, width, layout)
        return _mask_from_grid(fy, fx, low, high, kind, order).numpy()


def _mask_for(height, width, low, high, kind, order, layout):
    """Band mask as a tensor; cached NumPy constant when the size is static."""
    if isinstance(height, int) and isinstance(width, int):
        return tf.constant(_static_mask(height, width, low, high, kind, order, layout))
    fy, fx = _grid(height, width, layout)
    return _mask_from_grid(fy, fx, low, high, kind, order)


def band_mask(shape, low=0.0, high=None, kind="ideal", order=2):
    """Centred radial band mask for a spectrum of the given spatial shape.

    The mask is `L(r; high) - L(r; low)` where `r` is the radius in
    cycles/pixel and `L` the low-pass response of `kind`:

    - `"ideal"`: `L = 1[r < cutoff]`, so the band is `low <= r < high`;
    - `"gaussian"`: `L = exp(-r^2 / (2 cutoff^2))`;
    - `"butterworth"`: `L = 1 / (1 + (r / cutoff)^(2 order))`.

    `low=0` means no lower cut (DC passes) and `high=None` no upper cut, so
    `band_mask(s, 0, fc)` is a low-pass, `band_mask(s, fc)` a high-pass and
    the two sum to one; masks of any partition `0 < c1 < ... < ck` of the
    frequency axis sum to one for every kind. Values lie in [0, 1].

    Args:
        shape: `(height, width)` of the image, two positive ints (a
            tuple, a list or a `TensorShape` such as `images.shape[1:3]`).
        low: lower cut-off frequency in cycles/pixel (>= 0).
        high: upper cut-off in cycles/pixel (> low), or None.
        kind: `"ideal"`, `"gaussian"` or `"butterworth"`.
        order: Butterworth order (positive int; ignored by other kinds).

    Returns:
        float32 tensor of shape `(height, width)`, centred like the spectra.

    Example:

    >>> mask = band_mask((32, 32), low=0.1, high=0.25)
    >>> tuple(mask.shape)
    (32, 32)
    """
    if isinstance(shape, tf.TensorShape) and shape.rank is not None:
        shape = tuple(shape)  # images.shape[1:3]; an unknown size is named below
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(
            f"`shape` must be (height, width). Received: shape={shape!r}"
        )
    height, width = _check_size(*shape)
    low, high, kind, order = check_band(low, high, kind, order)
    return _mask_for(height, width, low, high, kind, order, "centred")


def band_filter(images, low=0.0, high=None, kind="ideal", order=2, implementation="fft"):
    """Filters images with a radial band mask in the frequency domain.

    Computes `real(IDFT(mask * DFT(x)))` for each channel. The mask is
    symmetric under `f -> -f`, so a real image stays real.

    Args:
        images: float tensor `(N, H, W, C)`.
        low, high, kind, order: the band, as in `band_mask`.
        implementation: `"fft"` uses `tf.signal.rfft2d` / `irfft2d` and
            accepts any (also dynamic) spatial size; `"matmul"` applies real
            DFT matrices as matrix products, which needs a static size and
            converts to TFLite with builtin ops only. Both agree to ~1e-6.

    Returns:
        float32 tensor with the shape of `images`.
    """
    images = as_image_batch(images)
    check_transform_range(images, squared=False)
    low, high, kind, order = check_band(low, high, kind, order)
    check_choice(implementation, "implementation", BAND_FILTER_IMPLEMENTATIONS)
    return band_filter_core(images, low, high, kind, order, implementation)


def band_filter_core(images, low, high, kind, order, implementation):
    """The computation of `band_filter` without its checks: float32 NHWC
    `images`, a band as `check_band` returns it and a valid `implementation`.
    For callers that checked them once already (`kfreqgan.layers.FFTBandFilter`
    checks at construction and build, so its `call` does not re-check)."""
    if implementation == "matmul":
        from kfreqgan import dft

        height, width = static_spatial_size(images, purpose="implementation='matmul'")
        mask = _static_mask(height, width, low, high, kind, order, "half")
        return dft.filter_with_half_spectrum_mask(images, mask)
    height, width = spatial_size(images)
    mask = _mask_for(height, width, low, high, kind, order, "half")
    channels_first = tf.transpose(images, (0, 3, 1, 2))
    spectrum = tf.signal.rfft2d(channels_first)
    spectrum = spectrum * tf.complex(mask, tf.zeros_like(mask))
    filtered = tf.signal.irfft2d(spectrum, fft_length=tf.stack([height, width]))
    return tf.transpose(filtered, (0, 2, 3, 1))


def band_energy(images, bands, kind="ideal", order=2, mode="gray", include_dc=True):
    """Fraction of each image's spectral energy that falls in each band.

    Args:
        images: float tensor `(N, H, W, C)`.
        bands: sequence of `(low, high)` pairs in cycles/pixel (`high` may be
            None). Over a partition of the frequency axis, e.g.
            `[(0, .1), (.1, .25), (.25, None)]`, the fractions sum to one.
        kind, order: mask shape, as in `band_mask`.
        mode: `"gray"` or `"channels"`, as in `power_spectrum`.
        include_dc: if False the DC term (the image mean) is left out of both
            the band energies and the total.

    Returns:
        float32 tensor `(N, len(bands), C')` with `C' = 1` for grey.
    """
    images = as_image_batch(images)
    check_transform_range(images)
    gray_weights = _gray_weights(images, mode)
    if not isinstance(bands, (list, tuple)) or not bands:
        raise ValueError(
            f"`bands` must be a non-empty list of (low, high) pairs. Received: bands={bands!r}"
        )
    checked = []
    for band in bands:
        if not isinstance(band, (list, tuple)) or len(band) != 2:
            raise ValueError(
                f"Each band must be a (low, high) pair. Received: band={band!r}"
            )
        checked.append(check_band(band[0], band[1], kind, order))
    static_spatial_size(images, purpose="band_energy")
    return _run_compiled(_band_energy_kernel, images, gray_weights, tuple(checked), bool(include_dc))


@functools.lru_cache(maxsize=64)
def _half_band_weights(height, width, bands, include_dc):
    """Masks (B, H, W // 2 + 1) and total weights (H, W // 2 + 1) over the
    half spectrum, with the mirrored columns counted twice."""
    columns = np.full((height, width // 2 + 1), 2.0, np.float32)
    columns[:, 0] = 1.0
    if width % 2 == 0:
        columns[:, -1] = 1.0
    if not include_dc:
        columns[0, 0] = 0.0
    masks = np.stack([_static_mask(height, width, *band, "half") for band in bands]) * columns
    return masks, columns


def _band_energy_kernel(images, gray_weights, bands, include_dc):
    height, width = int(images.shape[1]), int(images.shape[2])
    if gray_weights is not None:
        images = _gray_sum(images, gray_weights)[..., tf.newaxis]
    masks, columns = _half_band_weights(height, width, bands, include_dc)
    power = dft_power(images, half=True)  # a real image's power is symmetric
    # (N, H, W', C) x (B, H, W') -> (N, B, C)
    energy = tf.einsum("nhwc,bhw->nbc", power, tf.constant(masks))
    total = tf.einsum("nhwc,hw->nc", power, tf.constant(columns))[:, tf.newaxis, :]
    return tf.math.divide_no_nan(energy, total)


# ---------------------------------------------------------------------------
# Azimuthal (radial) averaging.
# ---------------------------------------------------------------------------

RadialBins = collections.namedtuple(
    "RadialBins", ["segment_ids", "weights", "counts", "edges", "num_bins"]
)


def check_num_bins(num_bins):
    """Checks `num_bins` of `radial_bins` (a positive int or None) and returns it."""
    return check_positive_int(num_bins, "num_bins", allow_none=True)


@functools.lru_cache(maxsize=128)
def radial_bins(height, width, num_bins=None, max_frequency=0.5, binning="normalized", layout="centred"):
    """Bin assignment for azimuthal averages, computed once per shape.

    Args:
        height, width: spatial size of the spectrum.
        num_bins: number of radial bins. Default: `min(height, width) // 2`
            for `"normalized"`, every integer radius for `"integer"`.
        max_frequency: `"normalized"` only: bins split `[0, max_frequency]`
            (cycles/pixel) evenly; frequencies beyond it (the corners, by
            default) are left out. Use `2 ** -0.5` to cover the corners.
        binning: `"normalized"` bins by radius in cycles/pixel, which treats
            the x and y axes alike on non-square images. `"integer"` is
            SSD-GAN's binning: the integer part of the distance in pixels from
            the DC term; it is only defined for square images.
        layout: `"centred"`, `"unshifted"` (full spectra as `fft2d` returns
            them) or `"half"` (as `rfft2d` returns them; weights count the
            mirrored half).

    Returns:
        `RadialBins(segment_ids, weights, counts, edges, num_bins)` of NumPy
        arrays: per-frequency bin index (`num_bins` for frequencies left out),
        per-frequency weight (None unless `layout="half"`), the (weighted)
        number of frequencies per bin, and bin edges in cycles/pixel.
    """
    height, width = _check_size(height, width)
    num_bins = check_num_bins(num_bins)
    if num_bins is not None and num_bins > height * width:
        # Checked before any array of num_bins entries is allocated.
        raise ValueError(
            f"num_bins={num_bins} is too fine for a {height}x{width} spectrum: it has only "
            f"{height * width} frequencies. Use fewer bins. Received: num_bins={num_bins}"
        )
    check_choice(binning, "binning", BINNINGS)
    check_choice(layout, "layout", ("centred", "unshifted", "half"))
    with tf.init_scope():
        ky, kx = (t.numpy() for t in _grid_index(height, width, layout))
    # Exact float64 frequencies: bin edges often fall on grid frequencies.
    fy, fx = ky / height, kx / width
    if binning == "integer":
        if height != width:
            raise ValueError(
                "binning='integer' (SSD-GAN's pixel-radius bins) mixes x and y "
                "frequencies on non-square images; use binning='normalized'. "
                f"Received: height={height}, width={width}"
            )
        index = np.floor(np.hypot(ky, kx)).astype(np.int64)
        available = int(np.floor(np.hypot(height // 2, width // 2))) + 1
        num_bins = available if num_bins is None else num_bins
        if num_bins > available:
            raise ValueError(
                f"binning='integer' on a {height}x{width} spectrum has {available} "
                f"bins. Received: num_bins={num_bins}"
            )
        edges = np.arange(num_bins + 1) / height
    else:
        max_frequency = check_frequency(max_frequency, "max_frequency")
        if max_frequency == 0.0:
            raise ValueError("`max_frequency` must be > 0. Received: max_frequency=0.0")
        num_bins = max(min(height, width) // 2, 1) if num_bins is None else num_bins
        radius = np.hypot(fy, fx)
        # The small offset puts frequencies that sit on a bin edge (up to
        # rounding) into the bin above, as exact arithmetic would.
        scaled = radius / max_frequency * num_bins + 1e-9
        index = np.floor(scaled).astype(np.int64)
        # The outer edge belongs to the last bin (e.g. the Nyquist frequency).
        index[np.abs(scaled - num_bins) <= 2e-9] = num_bins - 1
        edges = np.linspace(0.0, max_frequency, num_bins + 1)
    index = np.where(index < num_bins, index, num_bins).astype(np.int32).ravel()
    weights = None
    if layout == "half":
        columns = np.full(fx.shape, 2.0)
        columns[:, 0] = 1.0
        if width % 2 == 0:
            columns[:, -1] = 1.0
        weights = columns.ravel().astype(np.float32)
    counts = np.bincount(
        index, weights=None if weights is None else weights.astype(np.float64), minlength=num_bins + 1
    )[:num_bins]
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"num_bins={num_bins} is too fine for a {height}x{width} spectrum: "
            f"bin {int(empty[0])} holds no frequency. Use fewer bins."
        )
    for array in (index, counts, edges) + (() if weights is None else (weights,)):
        array.setflags(write=False)
    return RadialBins(index, weights, counts.astype(np.float32), edges, num_bins)


def radial_bin_frequencies(height, width, num_bins=None, max_frequency=0.5, binning="normalized"):
    """Centre frequency (cycles/pixel) of each bin of `radial_profile`."""
    edges = radial_bins(height, width, num_bins, max_frequency, binning).edges
    return 0.5 * (edges[:-1] + edges[1:])


def bin_average(values, bins):
    """Weighted mean of `values` (N, H, W, C) over each radial bin -> (N, B, C).

    `bins` is a `RadialBins` of `radial_bins` for the layout of `values`
    (`"centred"` for centred spectra, `"half"` for `dft_power(..., half=True)`,
    whose mirrored columns the bins' weights count twice). One segment sum,
    no loop over the batch.
    """
    shape = tf.shape(values)
    flat = tf.reshape(values, (shape[0], -1, shape[3]))
    if bins.weights is not None:
        flat = flat * bins.weights[np.newaxis, :, np.newaxis]
    by_frequency = tf.transpose(flat, (1, 0, 2))
    sums = tf.math.unsorted_segment_sum(by_frequency, bins.segment_ids, bins.num_bins + 1)
    means = sums[: bins.num_bins] / bins.counts[:, np.newaxis, np.newaxis]
    return tf.transpose(means, (1, 0, 2))


# ---------------------------------------------------------------------------
# Compiled kernels of the radial profiles.
#
# Profile of SSD-GAN's feature on a 64x128x128x3 batch, 2-core CPU, TF 2.21
# graph mode (BENCHMARKS.md, "Spectral core: where the time goes"): the grey
# conversion as a matvec costs ~0.8x the FFT it feeds, and each elementwise
# op on the half spectrum (real, imag, square, add, log, ...) another
# 0.1-0.3x, because graph mode runs every op as its own pass over memory.
# Compiled with XLA the grey conversion is one fused pass (2x faster than the
# matvec) and the log power fuses into the ring average, which leaves little
# beyond the FFT. So the profiles of large batches run as small XLA-compiled
# functions, one per static image size and setting, also when called eagerly
# or from a plain `tf.function`; the batch size stays free (XLA compiles once
# per batch size). Small batches run the same ops uncompiled: there a
# compilation (~0.5 s per shape here) costs more than it could save.
# ---------------------------------------------------------------------------

COMPILE_MIN_VALUES = 2**20
"""Radial profiles of batches with at least this many values (or of a batch
of unknown size, inside a traced function) run as XLA-compiled kernels;
smaller batches run the same ops uncompiled. 0 compiles always (tests use it
to check the compiled path on small inputs), None never (for a runtime
without XLA)."""


def _gray_sum(images, weights):
    """Grey (N, H, W) as `w0 R + w1 G + w2 B` from channel slices.

    Under XLA this is one fused pass over the batch (the matvec of `_gray`
    is the faster form in graph mode only).
    """
    if images.shape[-1] == 1:
        return images[..., 0]
    return weights[0] * images[..., 0] + weights[1] * images[..., 1] + weights[2] * images[..., 2]


@functools.lru_cache(maxsize=128)
def ring_factors(height, width, num_bins, max_frequency, binning, scale):
    """Per-frequency factors of a half-spectrum ring mean, read-only float32.

    `weight / count` of the frequency's bin, times `scale`: a ring's mean is
    then a plain segment sum of `factor * value`, with the doubling of the
    mirrored columns and the division by the bin count folded in. Returns
    `(bins, factors)`: the half-layout `RadialBins` and `(H * (W // 2 + 1),)`
    factors. Cached per argument set.
    """
    bins = radial_bins(height, width, num_bins, max_frequency, binning, "half")
    counts = np.append(bins.counts.astype(np.float64), 1.0)  # left-out frequencies
    factors = (scale * bins.weights / counts[bins.segment_ids]).astype(np.float32)
    factors.setflags(write=False)
    return bins, factors


def check_bins_for_any_size(num_bins, max_frequency, binning):
    """Checks radial-bin arguments that must hold whatever the image size.

    The part of `radial_bins`' checks that needs no height and width: what
    the profiles of images whose size is only known when the graph runs
    check up front. `num_bins` must be given there (the default depends on
    the size). Returns the bin edges in cycles/pixel where they do not
    depend on the size (`"normalized"`), else None (`"integer"`: edges at
    whole pixels, `k / height`).
    """
    if num_bins is None:
        raise ValueError(
            "Radial profiles of images whose height and width are only known when "
            "the graph runs need `num_bins` (its default depends on the size). "
            "Received: num_bins=None"
        )
    num_bins = check_num_bins(num_bins)
    check_choice(binning, "binning", BINNINGS)
    if binning == "integer":
        return None
    if check_frequency(max_frequency, "max_frequency") == 0.0:
        raise ValueError("`max_frequency` must be > 0. Received: max_frequency=0.0")
    return np.linspace(0.0, float(max_frequency), num_bins + 1)


def _graph_ring_factors(height, width, num_bins, max_frequency, binning, scale):
    """`ring_factors` for a size known only when the graph runs.

    `height` and `width` are scalar int32 tensors. The bin of every
    frequency follows `radial_bins` step by step, in float64 as there, so
    the profiles equal those of the same images at a static size. What
    `radial_bins` refuses with a `ValueError` (non-square images for
    `"integer"` binning, more integer rings than the size has, a ring with
    no frequency) fails here when the graph runs, as an
    `InvalidArgumentError` (not under XLA, which drops assertions).
    Returns `(segment_ids, factors)`, flat over the half spectrum.
    """
    ky, kx = (tf.cast(k, tf.float64) for k in _grid_index(height, width, "half"))
    checks = []
    if binning == "integer":
        checks.append(tf.debugging.assert_equal(
            height, width, message="binning='integer' (SSD-GAN's pixel-radius bins) needs square "
            "images; use binning='normalized'. Received: height, width ="))
        available = tf.cast(tf.floor(tf.sqrt(tf.cast((height // 2) ** 2 + (width // 2) ** 2, tf.float64))), tf.int32) + 1
        checks.append(tf.debugging.assert_less_equal(
            tf.constant(num_bins), available, message=f"binning='integer' has fewer rings than "
            f"num_bins={num_bins} on these images; use fewer bins. Received: num_bins, rings ="))
        index = tf.floor(tf.sqrt(tf.square(ky) + tf.square(kx)))
    else:
        fy, fx = ky / tf.cast(height, tf.float64), kx / tf.cast(width, tf.float64)
        scaled = tf.sqrt(tf.square(fy) + tf.square(fx)) / float(max_frequency) * num_bins + 1e-9
        # The outer edge belongs to the last bin (e.g. the Nyquist frequency).
        index = tf.where(tf.abs(scaled - num_bins) <= 2e-9, tf.constant(num_bins - 1, tf.float64), tf.floor(scaled))
    segment_ids = tf.reshape(tf.cast(tf.minimum(index, tf.constant(num_bins, tf.float64)), tf.int32), (-1,))
    columns = tf.shape(kx)[1]
    last = tf.where(width % 2 == 0, columns - 1, -1)
    column_weights = tf.where((tf.range(columns) == 0) | (tf.range(columns) == last), tf.constant(1.0, tf.float64), 2.0)
    weights = tf.reshape(tf.broadcast_to(column_weights, tf.shape(kx)), (-1,))
    counts = tf.math.unsorted_segment_sum(weights, segment_ids, num_bins + 1)
    checks.append(tf.debugging.assert_positive(
        counts[:num_bins], message=f"num_bins={num_bins} is too fine for these images: a ring holds "
        "no frequency. Use fewer bins. Received: ring counts ="))
    with tf.control_dependencies(checks):
        counts = tf.concat([counts[:num_bins], [1.0]], axis=0)  # left-out frequencies
        factors = tf.cast(tf.cast(scale, tf.float64) * weights / tf.gather(counts, segment_ids), tf.float32)
    return segment_ids, factors


def ring_means(values, height, width, num_bins, max_frequency, binning, scale=1.0):
    """Ring means of half-spectrum maps `values` (N, H, W // 2 + 1) -> (N, B).

    One segment sum of `ring_factors * values` (times `scale`): the form that
    fuses into an XLA-compiled kernel. Equal to `bin_average` on half-spectrum
    bins, times `scale`. `height` and `width` are Python ints (the factors
    are cached constants) or, for images whose size is only known when the
    graph runs, scalar int32 tensors (the factors are computed there; then
    `num_bins` must be given).
    """
    if isinstance(height, int) and isinstance(width, int):
        bins, factors = ring_factors(height, width, num_bins, max_frequency, binning, scale)
        segment_ids, num_bins = bins.segment_ids, bins.num_bins
        flat = tf.reshape(values, (-1, factors.size)) * factors
    else:
        segment_ids, factors = _graph_ring_factors(height, width, num_bins, max_frequency, binning, scale)
        flat = tf.reshape(values, (tf.shape(values)[0], -1)) * factors
    sums = tf.math.unsorted_segment_sum(tf.transpose(flat), segment_ids, num_bins + 1)
    return tf.transpose(sums[:num_bins])


def _log_profile_kernel(images, gray_weights, bin_args, epsilon):
    """SSD-GAN's ring means of `log|F|` of float32 NHWC images -> (N, B)."""
    height, width = spatial_size(images)
    # The mean-free transform of `dft_power` matters here too: without it
    # the float32 round-off of the DC term moves SSD-GAN's feature of photos
    # by up to 5e-5 (3e-6 with it, against a float64 reference).
    power = dft_power(_gray_sum(images, gray_weights)[..., tf.newaxis], half=True)[..., 0]
    # log|F| = 0.5 log|F|^2; the 0.5 lives in the ring factors.
    return ring_means(tf.math.log(power + epsilon), height, width, *bin_args, scale=0.5)


def _power_profile_kernel(images, gray_weights, bin_args):
    """Ring means of `|F|^2 / (H W)` per channel (grey if `gray_weights`) -> (N, B, C)."""
    height, width = spatial_size(images)
    if gray_weights is not None:
        images = _gray_sum(images, gray_weights)[..., tf.newaxis]
    power = dft_power(images, half=True)  # mean-free transform, exact DC
    channels = images.shape[-1]  # static also where power's shape is not
    if channels == 1:
        by_image = power[..., 0]
    else:  # one profile per channel: channels become images
        by_image = tf.reshape(tf.transpose(power, (0, 3, 1, 2)), (-1, height, width // 2 + 1))
    if isinstance(height, int) and isinstance(width, int):
        scale = 1.0 / (height * width)
    else:
        scale = 1.0 / (tf.cast(height, tf.float64) * tf.cast(width, tf.float64))
    means = ring_means(by_image, height, width, *bin_args, scale=scale)
    return tf.transpose(tf.reshape(means, (-1, channels, means.shape[-1])), (0, 2, 1))


@functools.lru_cache(maxsize=64)
def _compiled(kernel, height, width, channels, *args):
    """`kernel(images, *args)` compiled with XLA for float32 `(None, H, W, C)`."""
    spec = tf.TensorSpec((None, height, width, channels), tf.float32)
    return tf.function(
        functools.partial(_call_kernel, kernel, args), input_signature=[spec], jit_compile=True
    )


def _call_kernel(kernel, args, images):
    return kernel(images, *args)


def _run_compiled(kernel, images, *args):
    """`kernel(images, *args)`, XLA-compiled for large or unknown batches."""
    batch = images.shape[0]
    height, width, channels = (int(d) for d in images.shape[1:])
    if COMPILE_MIN_VALUES is None or (
        batch is not None and batch * height * width * channels < COMPILE_MIN_VALUES
    ):
        return kernel(images, *args)
    return _compiled(kernel, height, width, channels, *args)(images)


def radial_profile(spectrum, num_bins=None, max_frequency=0.5, binning="normalized"):
    """Azimuthal average of centred spectra into radial bins.

    No Python loop runs over the batch: the bin of every frequency is
    computed once per shape (see `radial_bins`) and the averages are a single
    segment sum. For SSD-GAN's pixel-radius averaging on square images use
    `binning="integer"`; it equals, bin for bin, the NumPy reference
    `np.bincount(r, s.ravel()) / np.bincount(r)` with
    `r = hypot(y - H//2, x - W//2).astype(int)`.

    Args:
        spectrum: float tensor `(N, H, W, C)`, centred (any real-valued map:
            power, log magnitude, ...). Height and width must be static.
        num_bins, max_frequency, binning: see `radial_bins`.

    Returns:
        float32 tensor `(N, num_bins, C)`: the mean over each bin.

    Example:

    >>> power = power_spectrum(tf.random.uniform((2, 32, 32, 3)))
    >>> tuple(radial_profile(power).shape)
    (2, 16, 1)
    """
    spectrum = as_image_batch(spectrum, name="spectrum")
    height, width = static_spatial_size(spectrum, name="spectrum", purpose="radial_profile")
    bins = radial_bins(height, width, check_num_bins(num_bins), max_frequency, binning, "centred")
    return bin_average(spectrum, bins)


def radial_power_profile(
    images, num_bins=None, max_frequency=0.5, binning="normalized", mode="gray"
):
    """Mean power `|F|^2 / (H W)` of each image in each radial frequency bin.

    Equal to `radial_profile(power_spectrum(images))`, but computed from the
    half spectrum of `tf.signal.rfft2d` (the power of a real image is
    symmetric under `f -> -f`), which halves the cost.

    Args:
        images: float tensor `(N, H, W, C)`. Height and width may be
            unknown until the graph runs (inside a `tf.function`) when
            `num_bins` is given.
        num_bins, max_frequency, binning: see `radial_bins`.
        mode: `"gray"` or `"channels"`.

    Returns:
        float32 tensor `(N, num_bins, C')`.
    """
    images = as_image_batch(images)
    check_transform_range(images)
    check_choice(mode, "mode", MODES)
    gray_weights = GRAY_WEIGHTS if mode == "gray" else None
    if gray_weights is not None and images.shape[-1] not in (1, 3):
        _gray(images)  # raises the grey-conversion error
    bin_args = (check_num_bins(num_bins), max_frequency, binning)
    if images.shape[-1] is None:  # unknown channel count: no compiled kernel
        height, width = static_spatial_size(images, purpose="radial_power_profile of images with unknown channels")
        bins = radial_bins(height, width, *bin_args, "half")  # also checks the arguments
        power = dft_power(_select_channels(images, mode), half=True) / float(height * width)
        return bin_average(power, bins)
    _check_profile_bins(images, bin_args, "radial_power_profile")
    return _run_maybe_compiled(_power_profile_kernel, images, gray_weights, bin_args)


def _check_profile_bins(images, bin_args, purpose):
    """Checks `bin_args` for the profiles of `images`: against their size
    where it is static (`radial_bins`), else as far as no size is needed
    (`check_bins_for_any_size`, which needs `num_bins`)."""
    if images.shape[1] is not None and images.shape[2] is not None:
        radial_bins(int(images.shape[1]), int(images.shape[2]), *bin_args, "half")
    elif bin_args[0] is None:
        raise ValueError(
            f"{purpose} needs a static height and width for `images` (the default "
            f"number of rings depends on them), or `num_bins`. Received: shape={tuple(images.shape)}"
        )
    else:
        check_bins_for_any_size(*bin_args)


def decibels(power, epsilon=1e-10):
    """`10 log10(power + epsilon)`: power in decibels, floored at `epsilon`."""
    check_epsilon(epsilon)
    return 10.0 * tf.math.log(tf.cast(power, tf.float32) + epsilon) / math.log(10.0)


def radial_power_db(images, num_bins=None, max_frequency=0.5, binning="normalized", mode="gray", epsilon=1e-10):
    """`radial_power_profile` in decibels, per image: `(N, num_bins, C')`.

    This is the curve that spectral comparisons average and compare (see
    `spectral_distance`); `epsilon` floors the power before the log.
    """
    return decibels(radial_power_profile(images, num_bins, max_frequency, binning, mode), epsilon)


def radial_log_magnitude_profile(images, num_bins=None, max_frequency=0.5, binning="integer", epsilon=1e-10):
    """Azimuthal average of the grey log-magnitude spectrum (SSD-GAN's feature).

    Equal to `radial_profile(log_magnitude(images), ...)` computed from the
    half spectrum. Used by `kfreqgan.layers.SpectralProfile`. Height and
    width may be unknown until the graph runs (inside a `tf.function`) when
    `num_bins` is given.

    Returns:
        float32 tensor `(N, num_bins)`.
    """
    check_epsilon(epsilon)
    images = as_image_batch(images)
    check_transform_range(images)
    if images.shape[-1] not in (1, 3):
        _gray(images)  # raises the grey-conversion error
    bin_args = (check_num_bins(num_bins), max_frequency, binning)
    _check_profile_bins(images, bin_args, "radial_log_magnitude_profile")
    return radial_log_magnitude_core(images, bin_args, float(epsilon))


def radial_log_magnitude_core(images, bin_args, epsilon, gray_weights=GRAY_WEIGHTS):
    """Ring means of the grey `log|F|` of float32 NHWC images (1 or 3 channels).

    The computation of `radial_log_magnitude_profile` without its checks,
    with a choice of grey weights (`kfreqgan.layers.SpectralProfile` passes
    `SSD_GAN_GRAY_WEIGHTS`; it checks its arguments once, at construction and
    build). `bin_args` is `(num_bins, max_frequency, binning)` of
    `radial_bins`. XLA-compiled for batches of `COMPILE_MIN_VALUES` or more
    of a static size; of a size known only when the graph runs, run as
    plain ops (then `num_bins` must be given).
    """
    return _run_maybe_compiled(_log_profile_kernel, images, gray_weights, tuple(bin_args), epsilon)


def spectral_distance(real, fake, num_bins=None, max_frequency=0.5, mode="gray", epsilon=1e-10):
    """Per-bin gap between the mean log radial power of two image sets.

    For each set, every image's radial power profile `P_i(k)` (see
    `radial_power_profile`) is turned into decibels, `10 log10(P_i(k) + eps)`,
    and averaged over images (and channels). The per-bin difference is
    `fake - real` in dB: negative where `fake` lacks power (the typical GAN
    failure at high frequencies), positive where it has too much. The summary
    `distance` is its root mean square over bins, in dB (0 for identical
    spectra).

    Args:
        real: float tensor `(N, H, W, C)`.
        fake: float tensor `(M, H, W, C)` with the same H, W and C.
        num_bins, max_frequency: bins, see `radial_bins` (normalised binning).
        mode: `"gray"` or `"channels"`.
        epsilon: floor added to the power before the log.

    Returns:
        `SpectralDistance(per_bin, distance, frequencies)`: float32 tensors of
        shape `(num_bins,)` and `()`, and the bin centres in cycles/pixel.
    """
    check_epsilon(epsilon)
    real = as_image_batch(real, name="real")
    fake = as_image_batch(fake, name="fake")
    check_transform_range(real, "real")
    check_transform_range(fake, "fake")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            "`real` and `fake` must have the same height, width and channels. "
            f"Received: real.shape={tuple(real.shape)}, fake.shape={tuple(fake.shape)}"
        )

    def mean_decibels(images):
        return tf.reduce_mean(radial_power_db(images, num_bins, max_frequency, "normalized", mode, epsilon), axis=(0, 2))

    per_bin = mean_decibels(fake) - mean_decibels(real)
    distance = tf.sqrt(tf.reduce_mean(tf.square(per_bin)))
    frequencies = radial_bin_frequencies(
        int(real.shape[1]), int(real.shape[2]), num_bins, max_frequency, "normalized"
    )
    return SpectralDistance(per_bin, distance, tf.constant(frequencies, tf.float32))


# ---------------------------------------------------------------------------
# Carriers for frequency shifting.
# ---------------------------------------------------------------------------


def check_shift_frequency(frequency):
    """Checks a 2D carrier frequency `(fy, fx)` in cycles/pixel: a tuple, a
    list or a NumPy array of two numbers (`np.array([0.0, 0.25])` was
    refused as not a pair)."""
    if isinstance(frequency, np.ndarray) and frequency.ndim == 1:
        frequency = tuple(frequency.tolist())
    if not isinstance(frequency, (tuple, list)) or len(frequency) != 2:
        raise ValueError(
            f"`frequency` must be a pair (fy, fx) in cycles/pixel. Received: frequency={frequency!r}"
        )
    checked = []
    for value in frequency:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBERS) or not -0.5 <= value <= 0.5:
            raise ValueError(
                "`frequency` entries must be numbers in [-0.5, 0.5] cycles/pixel "
                f"(beyond Nyquist they alias). Received: frequency={tuple(frequency)!r}"
            )
        checked.append(float(value))
    return tuple(checked)


@functools.lru_cache(maxsize=64)
def _static_carrier(height, width, fy, fx, phase):
    y, x = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    # Whole cycles are dropped in float64 before the angle is formed, so the
    # phase stays exact at any image size.
    angle = 2.0 * np.pi * np.mod(fy * y + fx * x, 1.0) + phase
    return np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)


def carrier(height, width, frequency, phase=0.0):
    """Cosine and sine of a plane wave `2 pi (fy y + fx x) + phase`.

    Args:
        height, width: image size; Python ints (cached constants) or scalar
            int32 tensors (computed in the graph, in float32).
        frequency: `(fy, fx)` in cycles/pixel, each in [-0.5, 0.5].
        phase: phase offset in radians, a finite number; it is reduced to
            [-pi, pi] in float64 first, so that a large phase gives the same
            carrier at static and dynamic sizes (in float32 a phase of 1e10
            lost all its digits, and 1e300 became NaN).

    Returns:
        Two float32 tensors of shape `(height, width)`.
    """
    fy, fx = check_shift_frequency(frequency)
    if isinstance(phase, (bool, np.bool_)) or not isinstance(phase, _NUMBERS) or not math.isfinite(phase):
        raise ValueError(f"`phase` must be a finite number (radians). Received: phase={phase!r}")
    phase = math.remainder(float(phase), 2.0 * math.pi)
    if not (tf.is_tensor(height) or tf.is_tensor(width)):
        cos, sin = _static_carrier(*_check_size(height, width), fy, fx, phase)
        return tf.constant(cos), tf.constant(sin)
    y = tf.cast(tf.range(height), tf.float32)[:, tf.newaxis]
    x = tf.cast(tf.range(width), tf.float32)[tf.newaxis, :]
    cycles = tf.math.floormod(fy * y, 1.0) + tf.math.floormod(fx * x, 1.0)
    angle = 2.0 * math.pi * cycles + phase
    return tf.cos(angle), tf.sin(angle)
