"""The building blocks of bench/student_failure_study.py (the rebuilt student
GAN whose failure BENCHMARKS.md and notebook 04 report).

What the study's reading rests on: a magnitude-only reconstruction throws the
phase away (a shifted image gives the same result, the bands no longer sum
back to the image), the phase-keeping fix rebuilds the input exactly, the
two downsamplings give the same shapes, "only the spatial pair is trained"
really leaves the frequency pairs untouched, and the scores mean what the
tables say. The script is loaded from its path, not through `sys.path`.
"""

import functools
import importlib.util
import os

import numpy as np
import pytest

from kfreqgan import spectral
from kfreqgan.data import photo_patches


@functools.lru_cache(maxsize=None)
def _study():
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "student_failure_study.py")
    spec = importlib.util.spec_from_file_location("student_failure_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def _patches():
    return photo_patches(["chelsea", "rocket"], 28, 2, seed=0, short_side=112, gray=True)


def _numpy_magnitude_only(image, band):
    """Slow, obvious reference: IFFT of the masked |FFT| with zero phase."""
    mask = spectral.band_mask((28, 28), *band).numpy()
    magnitude = np.abs(np.fft.fftshift(np.fft.fft2(image[..., 0].astype(np.float64))))
    return np.real(np.fft.ifft2(np.fft.ifftshift(mask * magnitude)))[..., None]


BANDS = {"low": (0.0, 0.08), "mid": (0.08, 0.25), "high": (0.25, None)}


def test_magnitude_only_band_matches_numpy_and_forgets_where_things_are():
    study = _study()
    images = _patches()
    for band in BANDS.values():
        got = study.magnitude_only_band(images, band).numpy()
        for image, result in zip(images, got):
            np.testing.assert_allclose(result, _numpy_magnitude_only(image, band), atol=1e-4)
    # A circular shift changes only the phase: magnitude-only gives the same
    # output (and the same masked log-magnitude input), the true band moves.
    shifted = np.roll(images, (5, -9), axis=(1, 2))
    for name, band in BANDS.items():
        np.testing.assert_allclose(
            study.magnitude_only_band(shifted, band).numpy(), study.magnitude_only_band(images, band).numpy(), atol=1e-4
        )
        true_band = spectral.band_filter(images, *band).numpy()
        shifted_band = spectral.band_filter(shifted, *band).numpy()
        np.testing.assert_allclose(shifted_band, np.roll(true_band, (5, -9), axis=(1, 2)), atol=1e-4)
        assert np.abs(shifted_band - true_band).max() > 0.01, name
    mask = spectral.band_mask((28, 28), *BANDS["high"])
    np.testing.assert_allclose(study.log_magnitude(shifted, mask).numpy(), study.log_magnitude(images, mask).numpy(), atol=1e-4)


def test_phase_keeping_bands_rebuild_the_input_and_magnitude_only_does_not():
    study = _study()
    images = _patches()
    for approach in (1, 2):
        gan = study.StudentGAN(approach, phase=True)
        # What the generators see of a band is that band exactly (FFTBandFilter).
        for name, band in gan.bands.items():
            np.testing.assert_allclose(gan.band_input(images, name).numpy(), spectral.band_filter(images, *band).numpy(), atol=1e-5)
    gan = study.StudentGAN(1, phase=True)
    rebuilt = sum(gan.band_output(images, name).numpy() for name in gan.bands)
    np.testing.assert_allclose(rebuilt, images, atol=1e-5)
    broken = study.StudentGAN(1, phase=False)
    zero_phase = sum(broken.band_output(images, name).numpy() for name in broken.bands)
    # Same mean (the DC term is real and positive) but the picture is gone:
    # a zero-phase image is point-symmetric and piles up at pixel (0, 0).
    np.testing.assert_allclose(zero_phase.mean(axis=(1, 2, 3)), images.mean(axis=(1, 2, 3)), atol=1e-4)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    assert np.abs(zero_phase - images).mean() > np.abs(mean - images).mean()  # worse than a flat grey
    flipped = np.roll(zero_phase[:, ::-1, ::-1], (1, 1), axis=(1, 2))  # x(-n) on the circle
    np.testing.assert_allclose(flipped, zero_phase, atol=1e-4)
    detail = zero_phase - mean
    assert (detail[:, 0, 0, 0] > 5 * np.abs(detail[:, 5:-5, 5:-5, 0]).max(axis=(1, 2))).all()


def test_max_pooling_and_strided_networks_have_the_same_shapes():
    import keras

    study = _study()
    batch = np.zeros((3, 28, 28, 1), np.float32)
    for pool in ("max", "strided"):
        generator = study.generator(pool)
        discriminator = study.discriminator(pool)
        assert tuple(generator(batch).shape) == (3, 28, 28, 1)
        assert tuple(discriminator(batch).shape) == (3, 1)
        pools = [layer for layer in generator.layers + discriminator.layers if isinstance(layer, keras.layers.MaxPooling2D)]
        strided = [
            layer for layer in generator.layers + discriminator.layers if isinstance(layer, keras.layers.Conv2D) and layer.strides != (1, 1)
        ]
        assert (len(pools), len(strided)) == ((4, 0) if pool == "max" else (0, 4))
        bottleneck = generator.get_layer("bottleneck").output.shape
        assert tuple(bottleneck[1:3]) == (7, 7)
    with pytest.raises(ValueError, match="pool"):
        study.generator("average")


@pytest.mark.parametrize("train_freq", [False, True])
def test_only_the_spatial_pair_trains_unless_told(train_freq):
    study = _study()
    images = _patches()
    gan = study.StudentGAN(1, train_freq=train_freq)
    frozen = [model.get_weights() for model in (*gan.band_generators.values(), gan.frequency_discriminator)]
    spatial = gan.spatial_generator.get_weights()
    logs = gan.update(np.clip(images + 0.2, 0, 1), images)  # eagerly: tracing would cost more than the test
    assert all(np.isfinite(float(value)) for value in logs.values())
    after = [model.get_weights() for model in (*gan.band_generators.values(), gan.frequency_discriminator)]
    moved = [any(not np.array_equal(a, b) for a, b in zip(before, now)) for before, now in zip(frozen, after)]
    assert moved == [train_freq] * 4
    assert any(not np.array_equal(a, b) for a, b in zip(spatial, gan.spatial_generator.get_weights()))
    assert tuple(gan(images).shape) == images.shape


def test_scores_mean_what_the_table_says():
    study = _study()
    clean = _patches()
    hazy = np.clip(0.5 * clean + 0.4, 0, 1)
    same_for_all = np.repeat(clean[:1], len(clean), axis=0)
    assert study.score(hazy, clean, clean)["spread_ratio"] == pytest.approx(1.0)
    assert study.score(hazy, clean, same_for_all)["spread_ratio"] == 0.0
    black = study.score(hazy, clean, np.zeros_like(clean))
    assert black["black_fraction"] == 1.0 and black["spread_ratio"] == 0.0
    assert study.score(hazy, clean, clean)["black_fraction"] == 0.0


def test_variants_change_one_thing_at_a_time():
    study = _study()
    table = study.variants()
    for approach in (1, 2):
        broken = table[f"a{approach}-broken"][1]
        assert broken == study.BROKEN
        for fix in study.FIXES:
            options = table[f"a{approach}+{fix}"][1]
            assert sum(options[key] != broken[key] for key in broken) == 1
    assert table["kfreqgan"] == (None, None)
    assert set(study.MAIN_VARIANTS) <= set(table)
