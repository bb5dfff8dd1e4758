"""The discrete Fourier transform as products with fixed real matrices.

TFLite's only FFT builtin is RFFT2D; its inverse and complex arithmetic need
the Flex (select TF ops) delegate, which phones should not have to ship. A
DFT is a linear map, though, and with real cosine and sine matrices it is a
handful of `matmul`s, which every converter and accelerator supports. Keras's
own `STFTSpectrogram` computes its transform the same way, with fixed DFT
kernels. The cost is `O(H W (H + W))` instead of `O(H W log(H W))`, which is
small at the image sizes used on phones (up to a few hundred pixels a side).
"""

import functools

import numpy as np
import tensorflow as tf

from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_bool


def real_dft_matrices(n, half=False):
    """Cosine and sine matrices of the length-`n` DFT.

    `C[j, k] = cos(2 pi j k / n)` and `S[j, k] = sin(2 pi j k / n)`, so that
    the DFT of a real row vector `x` is `x @ C - 1j * (x @ S)`.

    Args:
        n: transform length (positive int).
        half: if True only the frequencies `k = 0 .. n // 2` are kept, as
            `rfft` returns them.

    Returns:
        Two read-only float32 NumPy arrays of shape `(n, n)` or
        `(n, n // 2 + 1)`.
    """
    # Checked before the cache: it would answer 4.0 or True from the
    # matrices of 4 or 1 (equal keys) without a check.
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"`n` must be a positive integer. Received: n={n!r}")
    half = check_bool(half, "half")
    check_array_size((n, n // 2 + 1 if half else n), "A DFT matrix", f"n={n}")
    return _real_dft_matrices(int(n), half)


@functools.lru_cache(maxsize=64)
def _real_dft_matrices(n, half):
    j = np.arange(n)[:, np.newaxis]
    k = np.arange(n // 2 + 1 if half else n)[np.newaxis, :]
    # Reduce j * k modulo n in integers first: the angle stays exact.
    angle = 2.0 * np.pi * ((j * k) % n) / n
    cos, sin = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    cos.setflags(write=False)
    sin.setflags(write=False)
    return cos, sin


@functools.lru_cache(maxsize=64)
def _inverse_half_matrices(n):
    """Matrices that take a Hermitian half spectrum back to a real signal.

    `x[j] = (1/n) sum_k c_k (Re X_k cos(2 pi j k / n) - Im X_k sin(...))` with
    `c_k = 2` for the frequencies whose mirror image is not stored, else 1.
    """
    cos, sin = real_dft_matrices(n, half=True)
    weights = np.full(cos.shape[1], 2.0, np.float32)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    return (weights[:, None] * cos.T) / n, (weights[:, None] * sin.T) / n


def _swap_last_axes(x):
    return tf.transpose(x, (0, 2, 1))


def filter_with_half_spectrum_mask(images, mask):
    """Multiplies each image's spectrum by a real mask, with matmuls only.

    Computes `irfft2d(mask * rfft2d(x))` over H and W for every channel
    without any FFT or complex op.

    Args:
        images: float32 tensor `(N, H, W, C)` with static H and W.
        mask: real array `(H, W // 2 + 1)` in `rfft2d`'s (unshifted) layout.
            It must be symmetric under `f -> -f`, as radial masks are, so that
            the result is real.

    Returns:
        float32 tensor `(N, H, W, C)`.
    """
    height, width = int(images.shape[1]), int(images.shape[2])
    if tuple(mask.shape) != (height, width // 2 + 1):
        raise ValueError(
            f"`mask` must have shape {(height, width // 2 + 1)} for {height}x{width} "
            f"images. Received: mask.shape={tuple(mask.shape)}"
        )
    cos_w, sin_w = real_dft_matrices(width, half=True)
    cos_h, sin_h = real_dft_matrices(height)
    inv_cos_w, inv_sin_w = _inverse_half_matrices(width)
    mask_t = np.ascontiguousarray(np.asarray(mask, np.float32).T)

    channels_first = tf.transpose(images, (0, 3, 1, 2))  # (N, C, H, W)
    # One batch axis: TF 2.21's oneDNN matmul corrupts memory for a rank-4
    # input whose batch shape holds a 1, as (N, 1) does for grey batches
    # (measured here; the band-filter tests run grey batches).
    x = tf.reshape(channels_first, (-1, height, width))  # (N C, H, W)
    # Forward along W (half spectrum), then along H on the transposed array;
    # the length-H DFT matrix is symmetric, so right-multiplying works.
    real = _swap_last_axes(tf.matmul(x, cos_w))  # (N C, K, H)
    # The minus sign lives in the constant: a NEG op would stay float in an
    # int8 TFLite model.
    imag = _swap_last_axes(tf.matmul(x, -sin_w))
    spec_real = tf.matmul(real, cos_h) + tf.matmul(imag, sin_h)
    spec_imag = tf.matmul(imag, cos_h) - tf.matmul(real, sin_h)
    spec_real = spec_real * mask_t
    spec_imag = spec_imag * mask_t
    # Inverse along H (conjugate matrix, 1/H), then back to a real row.
    real = (tf.matmul(spec_real, cos_h) - tf.matmul(spec_imag, sin_h)) / height
    imag = (tf.matmul(spec_imag, cos_h) + tf.matmul(spec_real, sin_h)) / height
    real, imag = _swap_last_axes(real), _swap_last_axes(imag)  # (N C, H, K)
    filtered = tf.matmul(real, inv_cos_w) - tf.matmul(imag, inv_sin_w)
    filtered = tf.reshape(filtered, tf.shape(channels_first))
    return tf.transpose(filtered, (0, 2, 3, 1))
