"""Haze synthesis, bundled photos and carrier datasets."""

import math

import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan.data import HELDOUT_PHOTOS
from kfreqgan.data import PHOTO_NAMES
from kfreqgan.data import TRAIN_PHOTOS
from kfreqgan.data import carriers
from kfreqgan.data import haze
from kfreqgan.data import load_photo_depth
from kfreqgan.data import photo_patches

# --- haze --------------------------------------------------------------------


def test_add_haze_is_the_atmospheric_scattering_model(photos_64):
    depth = np.stack([haze.synthetic_depth(64, 64, (i, 1)).numpy() for i in range(6)])
    beta = np.linspace(0.6, 1.8, 6).astype(np.float32)
    airlight = np.linspace(0.7, 1.0, 6).astype(np.float32)
    hazy, transmission = haze.add_haze(photos_64, depth, beta, airlight)
    t = np.exp(-beta[:, None, None, None] * depth)
    np.testing.assert_allclose(transmission.numpy(), t, rtol=1e-6)
    expected = photos_64 * t + airlight[:, None, None, None] * (1 - t)
    np.testing.assert_allclose(hazy.numpy(), expected, atol=1e-6)
    assert hazy.numpy().min() >= 0 and hazy.numpy().max() <= 1


def test_haze_limits_no_depth_is_clean_and_far_is_airlight(photos_64):
    zero = np.zeros(photos_64.shape[:3] + (1,), np.float32)
    hazy, _ = haze.add_haze(photos_64, zero, 1.0, 0.8)
    np.testing.assert_allclose(hazy.numpy(), photos_64, atol=1e-7)
    hazy, _ = haze.add_haze(photos_64, zero + 50.0, 1.0, 0.8)
    np.testing.assert_allclose(hazy.numpy(), 0.8, atol=1e-6)


def test_uniform_haze_scales_every_frequency_by_the_transmission(photos_64):
    # With constant depth t is constant, so every non-DC Fourier coefficient
    # is multiplied by t: a flat -20 log10(1/t) dB gap at all frequencies.
    depth = np.full(photos_64.shape[:3] + (1,), 0.5, np.float32)
    hazy, transmission = haze.add_haze(photos_64, depth, 1.2, 0.9)
    gap = spectral.spectral_distance(photos_64, hazy).per_bin.numpy()
    expected = 20 * math.log10(math.exp(-1.2 * 0.5))
    np.testing.assert_allclose(gap[1:], expected, atol=1e-3)


def test_random_haze_is_seeded_in_range_and_works_in_tf_data(photos_64):
    depth = tf.stack([haze.synthetic_depth(64, 64, (i, 2)) for i in range(6)])
    first = haze.random_haze(photos_64, depth, (3, 4))
    again = haze.random_haze(photos_64, depth, (3, 4))
    other = haze.random_haze(photos_64, depth, (3, 5))
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    assert not np.allclose(first[0].numpy(), other[0].numpy())
    beta, airlight = first[2].numpy(), first[3].numpy()
    assert beta.shape == (6,) and airlight.shape == (6, 1)
    assert np.all((beta >= 0.6) & (beta <= 1.8)) and np.all((airlight >= 0.7) & (airlight <= 1.0))
    assert len(set(beta.round(6))) == 6  # one draw per image

    dataset = (
        tf.data.Dataset.from_tensor_slices((photos_64, depth))
        .batch(3)
        .enumerate()
        .map(lambda step, batch: haze.random_haze(batch[0], batch[1], tf.stack([step, 0]))[0], num_parallel_calls=2)
    )
    batches = [batch.numpy() for batch in dataset]
    assert [b.shape for b in batches] == [(3, 64, 64, 3), (3, 64, 64, 3)]
    # Haze lowers contrast on every real photo.
    hazy = np.concatenate(batches)
    assert np.all(hazy.std(axis=(1, 2, 3)) < photos_64.std(axis=(1, 2, 3)))


def test_tinted_airlight_draws_one_value_per_channel(photos_64):
    depth = np.ones(photos_64.shape[:3] + (1,), np.float32)
    _, _, _, airlight = haze.random_haze(photos_64, depth, (1, 1), gray_airlight=False)
    assert airlight.shape == (6, 3)


def test_depth_from_disparity_of_the_real_stereo_pair():
    import skimage.data

    disparity = skimage.data.stereo_motorcycle()[2]
    depth = load_photo_depth("motorcycle")[..., 0]
    assert depth.shape == disparity.shape and depth.min() > 0 and depth.max() == 1.0
    valid = np.isfinite(disparity) & (disparity > 0)
    np.testing.assert_allclose(depth[valid] * disparity[valid], (depth * disparity)[valid].mean(), rtol=1e-4)
    assert np.all(depth[~valid] == 1.0)  # occlusions count as farthest
    with pytest.raises(ValueError, match="no valid"):
        haze.depth_from_disparity(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="Only 'motorcycle'"):
        load_photo_depth("coffee")


def test_synthetic_depth_is_a_far_top_near_bottom_prior():
    depth = haze.synthetic_depth(48, 64, (9, 9)).numpy()[..., 0]
    assert depth.shape == (48, 64) and depth.min() >= 0 and depth.max() <= 1
    assert depth[:8].mean() > depth[-8:].mean() + 0.4
    np.testing.assert_array_equal(depth, haze.synthetic_depth(48, 64, (9, 9)).numpy()[..., 0])
    # Smooth: no large jumps between neighbouring pixels.
    assert np.abs(np.diff(depth, axis=1)).max() < 0.05


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(clean=lambda x: x * 2), r"\[0, 1\]"),
        (dict(clean=lambda x: (x * 255).astype(np.uint8)), "floating"),
        (dict(clean=lambda x: x[0, 0]), "rank"),
        (dict(depth=lambda d: -d), ">= 0"),
        (dict(depth=lambda d: d[:, :32]), "same height and width"),
        (dict(depth=lambda d: np.concatenate([d, d], -1)), "one channel"),
        (dict(depth=lambda d: d * np.nan), "NaN"),
        (dict(airlight=1.5), "airlight"),
        (dict(beta=-1.0), "beta"),
        (dict(beta=np.ones((2, 2, 2), np.float32)), "beta"),
    ],
)
def test_add_haze_rejects_bad_input(change, message, photos_64):
    args = dict(clean=photos_64, depth=np.ones(photos_64.shape[:3] + (1,), np.float32), beta=1.0, airlight=0.8)
    for key, value in change.items():
        args[key] = value(args[key]) if callable(value) else value
    with pytest.raises(ValueError, match=message):
        haze.add_haze(**args)


def test_random_haze_rejects_bad_ranges_and_seeds(photos_64):
    depth = np.ones(photos_64.shape[:3] + (1,), np.float32)
    with pytest.raises(ValueError, match="beta_range"):
        haze.random_haze(photos_64, depth, (1, 2), beta_range=(1.8, 0.6))
    with pytest.raises(ValueError, match="airlight_range"):
        haze.random_haze(photos_64, depth, (1, 2), airlight_range=(0.5, 1.5))
    with pytest.raises(ValueError, match="seed"):
        haze.random_haze(photos_64, depth, (1.0, 2.0))


# --- photos -------------------------------------------------------------------


def test_training_and_held_out_photos_are_disjoint_and_cover_all():
    assert not set(TRAIN_PHOTOS) & set(HELDOUT_PHOTOS)
    assert set(TRAIN_PHOTOS) | set(HELDOUT_PHOTOS) == set(PHOTO_NAMES)


def test_photo_patches_come_from_the_named_photos_only():
    from kfreqgan.data import load_photo

    patches = photo_patches(("rocket",), 32, 5, seed=1)
    assert patches.shape == (5, 32, 32, 3) and patches.dtype == np.float32
    photo = load_photo("rocket")
    # Every patch is a window of the photo (possibly mirrored).
    windows = np.lib.stride_tricks.sliding_window_view(photo[..., 0], (32, 32))
    for patch in patches[..., 0]:
        found = np.any(np.all(windows == patch, axis=(2, 3))) or np.any(np.all(windows == patch[:, ::-1], axis=(2, 3)))
        assert found
    gray = photo_patches(("rocket",), 16, 2, gray=True, short_side=64)
    assert gray.shape == (2, 16, 16, 1)


def test_photo_patches_reject_bad_requests():
    with pytest.raises(ValueError, match="Unknown photos"):
        photo_patches(("rocket", "lena"), 32, 1)
    with pytest.raises(ValueError, match="non-empty sequence"):
        photo_patches("rocket", 32, 1)
    with pytest.raises(ValueError, match="smaller than the patch size"):
        photo_patches(("rocket",), 64, 1, short_side=32)


# --- carriers ------------------------------------------------------------------


def test_zero_carrier_is_identity_and_modulation_is_invertible(photos_64):
    np.testing.assert_allclose(carriers.modulate(photos_64, (0.0, 0.0)).numpy(), photos_64, atol=1e-7)
    base = 0.5 + spectral.band_filter(photos_64 - 0.5, 0.0, 0.1)
    moved = carriers.modulate(base, (0.25, 0.125))
    np.testing.assert_allclose(carriers.demodulate(moved, (0.25, 0.125), 0.1).numpy(), base.numpy(), atol=1e-5)


def test_carrier_dataset_puts_the_same_content_at_low_or_high_frequency():
    low = carriers.carrier_dataset((0.0, 0.0), size=32, per_photo=4)
    high = carriers.carrier_dataset((0.25, 0.25), size=32, per_photo=4)
    assert low.shape == high.shape == (len(TRAIN_PHOTOS) * 4, 32, 32, 1)
    assert low.min() >= 0 and high.max() <= 1
    radius = math.hypot(0.25, 0.25)
    bands = [(0.0, 0.1001), (radius - 0.1001, radius + 0.1001)]
    low_energy = spectral.band_energy(low, bands, include_dc=False).numpy()[..., 0]
    high_energy = spectral.band_energy(high, bands, include_dc=False).numpy()[..., 0]
    assert np.all(low_energy[:, 0] > 0.999) and np.all(high_energy[:, 1] > 0.999)
    with pytest.raises(ValueError, match="overlap"):
        carriers.carrier_dataset((0.05, 0.0), bandwidth=0.1)
