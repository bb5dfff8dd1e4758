"""Scoring generated images of a carrier dataset at baseband.

A carrier dataset (`kfreqgan.data.carriers`) puts the same band-limited
content on a carrier of frequency `f0`. To compare how well a GAN learns
the low version and the high versions, generated and real images are
brought back to baseband first (`baseband`: demodulated for a carrier,
low-passed to the same band for the low version), so every version is
scored on the same content with the same measures (`carrier_scores`). Used
by the frequency-bias study (`bench/frequency_bias_study.py`), whose numbers
in BENCHMARKS.md rest on it; `paired_differences` is the study's paired
per-seed comparison.
"""

import numpy as np
import scipy.stats

from kfreqgan import spectral
from kfreqgan.analysis.comparison import frequency_bias
from kfreqgan.data import carriers

MEASURES = ("band_error_db", "spectral_distance_db", "pixel_w1")
"""What `carrier_scores` returns; lower is better for each."""


def baseband(images, carrier, bandwidth):
    """The content band of each image, back at baseband.

    Args:
        images: float images `(N, H, W, C)` in [0, 1].
        carrier: `(fy, fx)` in cycles/pixel; `(0.0, 0.0)` for the low version.
        bandwidth: the content's band (cycles/pixel) around the carrier.

    Returns:
        float32 NumPy array shaped like `images`: demodulated for a carrier,
        low-passed to `bandwidth` for the low version (out-of-band output is
        ignored either way).
    """
    if tuple(carrier) != (0.0, 0.0):
        return carriers.demodulate(images, carrier, bandwidth).numpy()
    return (0.5 + spectral.band_filter(images - 0.5, 0.0, bandwidth)).numpy()


def carrier_scores(real, fake, carrier, bandwidth):
    """`{measure: value}` for `MEASURES`, comparing `fake` with `real` at baseband.

    `band_error_db`: the mean frequency-bias band error
    (`kfreqgan.analysis.frequency_bias`) over 4 rings of one DFT step of a
    32-pixel image up to 0.125 cycles/pixel; `spectral_distance_db`: the RMS
    dB gap of radial power over the same rings; `pixel_w1`: the Wasserstein
    distance of the pixel values. All are 0 for `fake == real`.
    """
    real, fake = baseband(real, carrier, bandwidth), baseband(fake, carrier, bandwidth)
    bias = frequency_bias(real, fake, num_bands=4, max_frequency=0.125)
    return {
        "band_error_db": float(np.mean(bias["band_error_db"])),
        "spectral_distance_db": float(spectral.spectral_distance(real, fake, num_bins=4, max_frequency=0.125).distance),
        "pixel_w1": float(scipy.stats.wasserstein_distance(real.ravel(), fake.ravel())),
    }


def paired_differences(a, b):
    """Per-seed differences `a - b` (two seeds or more) with a paired t-test.

    Args:
        a, b: equally long sequences of one measure, seed by seed.

    Returns:
        `{"mean", "sd", "positive", "n", "p", "per_seed"}`: the differences'
        mean and standard deviation (ddof 1), how many are > 0, their number,
        the p-value of a one-sample t-test of the differences against zero,
        and the differences themselves.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    # One value against several broadcast into as many "seeds", and one
    # seed gave a NaN spread and p-value.
    if a.ndim != 1 or a.shape != b.shape or len(a) < 2:
        raise ValueError(
            "`a` and `b` must be equally long sequences of one measure, two seeds or more. "
            f"Received: a.shape={a.shape}, b.shape={b.shape}"
        )
    diff = a - b
    return {
        "mean": float(diff.mean()),
        "sd": float(diff.std(ddof=1)),
        "positive": int((diff > 0).sum()),
        "n": len(diff),
        "p": float(scipy.stats.ttest_1samp(diff, 0.0).pvalue),
        "per_seed": diff.tolist(),
    }
