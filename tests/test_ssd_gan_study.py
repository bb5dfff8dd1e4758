"""The SSD-GAN study's measures (bench/ssd_gan_study.py).

The study's numbers in BENCHMARKS.md rest on these: the 1D spectrum the
detectability classifier sees is Durall et al.'s azimuthal average (checked
against a NumPy loop), the classifier cannot tell two draws of real patches
apart and tells blurred ones apart every time, a set's spectral and
Frechet distances to itself are zero, and the paired tests are the plain
per-seed differences with scipy's tests. The script is loaded from its
path, not through `sys.path`.
"""

import functools
import importlib.util
import json
import math
import os

import numpy as np
import pytest
import scipy.ndimage
import scipy.stats

from kfreqgan.data import TRAIN_PHOTOS
from kfreqgan.data import photo_patches
from kfreqgan.spectral import GRAY_WEIGHTS


@functools.lru_cache(maxsize=None)
def _study():
    """bench/ssd_gan_study.py as a module (it is a script, not part of the package)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "ssd_gan_study.py")
    spec = importlib.util.spec_from_file_location("ssd_gan_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def real_sets():
    """Two draws of real 32x32 patches (different positions) and a blurred copy of the second."""
    first = photo_patches(TRAIN_PHOTOS, 32, 40, seed=1, short_side=128)
    second = photo_patches(TRAIN_PHOTOS, 32, 40, seed=2, short_side=128)
    blurred = scipy.ndimage.gaussian_filter(second, sigma=(0, 1, 1, 0)).astype(np.float32)
    return first, second, blurred


def _numpy_spectrum_features(images):
    """The 1D log power spectrum by hand: grey, |FFT|^2 / (H W), mean per
    integer pixel radius from the centre (up to the corner), in dB."""
    gray = images @ np.asarray(GRAY_WEIGHTS)
    n, height, width = gray.shape
    power = np.abs(np.fft.fftshift(np.fft.fft2(gray.astype(np.float64)), axes=(1, 2))) ** 2 / (height * width)
    ky, kx = np.meshgrid(np.arange(height) - height // 2, np.arange(width) - width // 2, indexing="ij")
    radius = np.floor(np.hypot(ky, kx)).astype(int).ravel()
    counts = np.bincount(radius)
    profiles = np.stack([np.bincount(radius, p.ravel()) / counts for p in power])
    return 10 * np.log10(profiles + 1e-10)


def test_spectrum_features_are_the_azimuthal_average_of_the_log_power(real_sets):
    images = real_sets[0][:6]
    features = _study().spectrum_features(images)
    assert features.shape == (6, 23)  # radii 0..22 reach the corner of a 32x32 spectrum
    np.testing.assert_allclose(features, _numpy_spectrum_features(images), atol=2e-3)


def test_detectability_is_chance_for_real_vs_real_and_certain_for_blurred(real_sets):
    first, second, blurred = real_sets
    study = _study()
    assert 0.38 < study.detectability(first, second) < 0.62
    assert study.detectability(first, blurred) > 0.95


def test_a_set_is_at_zero_distance_from_itself_and_blur_lacks_high_frequencies(real_sets):
    first, second, blurred = real_sets
    study = _study()
    same = study.spectral_scores(first, first)
    for key in ("spectral_db", "spectral_low_db", "spectral_mid_db", "spectral_high_db", "high_gap_db"):
        assert same[key] == pytest.approx(0.0, abs=1e-5)
    other = study.spectral_scores(first, second)
    blur = study.spectral_scores(first, blurred)
    assert other["spectral_db"] < 1.5
    # A 1-pixel Gaussian blur removes power above ~0.1 cycles/pixel, the more
    # the higher (less than exp(-4 pi^2 f^2) says: the patches are not
    # windowed, and the jump between opposite edges leaks power to every
    # frequency, blurred or not).
    assert blur["high_gap_db"] < -5 and blur["spectral_high_db"] > blur["spectral_mid_db"] > blur["spectral_low_db"]
    features = np.random.default_rng(0).normal(size=(200, 8))
    assert study.frechet(features, features) == pytest.approx(0.0, abs=1e-6)
    assert study.frechet(features, features + 1.0) == pytest.approx(8.0, rel=1e-6)  # |mean shift|^2


def test_paired_test_is_the_per_seed_difference():
    a = [3.0, 2.5, 4.0, 3.5, 2.0]
    b = [2.0, 0.5, 1.0, 2.5, 1.5]
    result = _study().paired_test(a, b)
    diff = np.subtract(a, b)
    t = diff.mean() / (diff.std(ddof=1) / math.sqrt(len(diff)))
    assert result["mean"] == pytest.approx(diff.mean())
    assert result["sd"] == pytest.approx(diff.std(ddof=1))
    assert result["lower"] == 0 and result["n"] == 5
    assert result["t_p"] == pytest.approx(2 * scipy.stats.t.sf(abs(t), len(diff) - 1))
    assert result["wilcoxon_p"] == pytest.approx(0.0625)  # 5/5 same sign: the smallest two-sided p of 5 pairs
    assert _study().paired_test(b, a)["lower"] == 5


def test_summary_pairs_runs_by_seed_and_resumes_from_the_runs_file(tmp_path, capsys):
    study = _study()
    rows = []
    for seed in range(3):
        for offset, variant in enumerate(("sngan", "ssd-gan")):
            row = {key: 1.0 + seed + offset * (1.0 + 0.1 * seed) for key, _, _ in study.METRICS}
            row.update(variant=variant, seed=seed, steps=100, samples=16, seconds=1.0, finite=True, per_bin_db=[0.0] * 16)
            rows.append(row)
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = study.load_runs(str(path))
    assert ("ssd-gan", 2, 100, 16) in done and len(done) == 6
    study.summarize(done, ["sngan", "ssd-gan"], [0, 1, 2], 100, 16)
    out = capsys.readouterr().out
    assert "ssd-gan - sngan (3 seeds)" in out and "lower 0/3" in out
