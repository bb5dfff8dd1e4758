"""Carrier datasets for frequency-bias studies.

Khayatkhoei & Elgammal (AAAI 2022) show that a convolutional GAN learns the
same distribution worse when its content sits at high spatial frequencies.
To test that, one needs two versions of one distribution that differ only in
where their spectrum lies. `modulate` makes them: a band-limited image `b`
(content within radius `w` of DC) is put on a carrier of frequency `f0`,

    x(p) = 0.5 + (b(p) - 0.5) cos(2 pi f0 . p + phase),

which moves its spectrum (all but the mean 0.5) to discs of radius `w`
around `+f0` and `-f0`; `f0 = (0, 0)` leaves the image as it is. Since the
modulation is invertible for `|f0| > w` (multiply by the carrier again and
low-pass), the two versions carry the same information, and how well a GAN
learns each measures its frequency bias.

`carrier_dataset` builds both versions from real photo patches.
"""

import numpy as np
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan._validation import as_image_batch
from kfreqgan._validation import check_frequency
from kfreqgan._validation import spatial_size
from kfreqgan.data.photos import TRAIN_PHOTOS
from kfreqgan.data.photos import photo_patches


def modulate(images, frequency, phase=0.0):
    """Puts images on a carrier: `0.5 + (x - 0.5) cos(2 pi f0 . p + phase)`.

    Args:
        images: float tensor `(N, H, W, C)` in [0, 1].
        frequency: carrier `(fy, fx)` in cycles/pixel, each in [-0.5, 0.5].
        phase: carrier phase in radians.

    Returns:
        float32 tensor like `images`, still in [0, 1].
    """
    images = as_image_batch(images)
    height, width = spatial_size(images)
    cos, _ = spectral.carrier(height, width, frequency, phase)
    return 0.5 + (images - 0.5) * cos[..., tf.newaxis]


def demodulate(images, frequency, bandwidth, phase=0.0):
    """Inverts `modulate` for content of radius `bandwidth` < |frequency|.

    Multiplies by the carrier again (which gives `b/2` at baseband plus a copy
    at `2 f0`) and keeps the disc of radius `bandwidth`.
    """
    images = as_image_batch(images)
    height, width = int(images.shape[1]), int(images.shape[2])
    cos, _ = spectral.carrier(height, width, frequency, phase)
    baseband = 2.0 * (images - 0.5) * cos[..., tf.newaxis]
    return 0.5 + spectral.band_filter(baseband, 0.0, bandwidth)


def carrier_dataset(frequency, size=32, bandwidth=0.1, per_photo=64, names=TRAIN_PHOTOS, seed=0, gray=True):
    """Band-limited real photo patches on a carrier of the given frequency.

    Args:
        frequency: carrier `(fy, fx)` in cycles/pixel; `(0, 0)` gives the
            low-frequency version, e.g. `(0.25, 0.25)` a high-frequency one.
        size: patch side in pixels.
        bandwidth: patches are low-passed (ideal mask) to this radius in
            cycles/pixel before modulation. Keep it below `|frequency|` (and
            below `0.5 - max|f0 component|`) so the two copies do not overlap.
        per_photo: patches per photo.
        names: photos to cut from (training photos by default).
        seed: patch positions.
        gray: grey (1 channel) or RGB patches.

    Returns:
        float32 NumPy array `(N, size, size, C)` in [0, 1].
    """
    fy, fx = spectral.check_shift_frequency(frequency)
    bandwidth = check_frequency(bandwidth, "bandwidth")
    if bandwidth == 0.0:
        raise ValueError(f"`bandwidth` must be > 0 (cycles/pixel). Received: bandwidth={bandwidth}")
    radius = float(np.hypot(fy, fx))
    if radius and bandwidth >= radius:
        raise ValueError(
            f"`bandwidth` ({bandwidth}) must be smaller than the carrier radius ({radius:.3f}) "
            f"or the two shifted copies overlap. Received: bandwidth={bandwidth}, frequency={(fy, fx)}"
        )
    patches = photo_patches(names, size, per_photo, seed=seed, short_side=4 * size, gray=gray)
    base = tf.clip_by_value(spectral.band_filter(patches, 0.0, bandwidth), 0.0, 1.0)
    return modulate(base, (fy, fx)).numpy()
