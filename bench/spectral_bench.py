"""Radial spectral profile: kfreqgan (TensorFlow, in-graph) vs a per-image NumPy loop.

The workload is SSD-GAN's spectral feature on a batch of 64 RGB 128x128
crops of real photos: grey -> 2D FFT -> log magnitude -> centred azimuthal
average (integer pixel radius) -> min-max normalisation. The NumPy side is
the straightforward implementation: a Python loop over the batch with
`np.fft.fft2`, `np.fft.fftshift` and `np.bincount` per image. Both run in
this process, on the same inputs, in alternation; the script checks that the
outputs agree to 1e-5 and prints the median times and their ratio.

    python bench/spectral_bench.py [--batch 64] [--size 128] [--repeats 15]
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan.data import PHOTO_NAMES  # noqa: E402
from kfreqgan.data import load_photo  # noqa: E402
from kfreqgan.layers import SpectralProfile  # noqa: E402


def real_crops(batch, size, seed=0):
    """`batch` random size x size crops of the bundled photos, float32 RGB."""
    rng = np.random.default_rng(seed)
    photos = [load_photo(name) for name in PHOTO_NAMES]
    crops = []
    for index in range(batch):
        photo = photos[index % len(photos)]
        top = rng.integers(0, photo.shape[0] - size + 1)
        left = rng.integers(0, photo.shape[1] - size + 1)
        crops.append(photo[top : top + size, left : left + size])
    return np.stack(crops)


def azimuthal_average(image):
    """Mean of a 2D array over rings of integer pixel radius around its
    centre, computed from scratch for each image as SSD-GAN's reference
    `azimuthalAverage` does."""
    height, width = image.shape
    y, x = np.indices((height, width))
    radius = np.hypot(y - height // 2, x - width // 2).astype(int).ravel()
    return np.bincount(radius, image.ravel()) / np.bincount(radius)


def numpy_feature(images):
    """The straightforward per-image NumPy implementation (the baseline).

    Runs in the precision of `images` (NumPy 2 transforms float32 as
    complex64), so float64 input gives the exact reference."""
    weights = np.array([0.299, 0.587, 0.114], images.dtype)
    out = []
    for image in images:
        log_mag = np.log(np.abs(np.fft.fftshift(np.fft.fft2(image @ weights))) + 1e-10)
        profile = azimuthal_average(log_mag)[1:-2]
        out.append((profile - profile.min()) / (profile.max() - profile.min()))
    return np.stack(out)


def numpy_feature_hoisted(images):
    """A tuned NumPy loop: the ring index of every pixel is computed once."""
    height, width = images.shape[1:3]
    y, x = np.indices((height, width))
    radius = np.hypot(y - height // 2, x - width // 2).astype(int).ravel()
    counts = np.bincount(radius)
    weights = np.array([0.299, 0.587, 0.114], images.dtype)
    out = []
    for image in images:
        log_mag = np.log(np.abs(np.fft.fftshift(np.fft.fft2(image @ weights))) + 1e-10)
        profile = (np.bincount(radius, log_mag.ravel()) / counts)[1:-2]
        out.append((profile - profile.min()) / (profile.max() - profile.min()))
    return np.stack(out)


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    images_np = real_crops(args.batch, args.size)
    images = tf.constant(images_np)
    layer = SpectralProfile()
    graph = tf.function(layer)
    xla = tf.function(layer, jit_compile=True)

    contenders = {
        "numpy per-image loop": lambda: numpy_feature(images_np),
        "numpy, rings hoisted": lambda: numpy_feature_hoisted(images_np),
        "kfreqgan tf.function": lambda: graph(images).numpy(),
        "kfreqgan XLA": lambda: xla(images).numpy(),
    }
    # Parity: every contender against the float64 NumPy result.
    exact = numpy_feature(images_np.astype(np.float64))
    for name, function in contenders.items():
        error = float(np.abs(function() - exact).max())
        assert error < 1e-5, f"{name}: max abs difference to float64 NumPy {error:.2e} (> 1e-5)"
        print(f"{name:<24} max abs difference to the float64 NumPy feature: {error:.1e}")

    # Warm-up done above; alternate the contenders so that drift hits all.
    results = {name: [] for name in contenders}
    for _ in range(3):
        for name, function in contenders.items():
            results[name].append(median_seconds(function, max(args.repeats // 3, 1)))
    medians = {name: statistics.median(values) for name, values in results.items()}
    base = medians["numpy per-image loop"]
    print(
        f"SpectralProfile, batch {args.batch} of 3x{args.size}x{args.size}, "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), TF {tf.__version__}, NumPy {np.__version__}"
    )
    for name, seconds in medians.items():
        print(f"  {name:<24}{seconds * 1e3:9.2f} ms   speed-up vs the NumPy loop x{base / seconds:5.2f}")


if __name__ == "__main__":
    main()
