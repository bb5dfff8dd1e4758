"""The layered depth prior means what it says: sky farthest, ground receding
towards the horizon, objects in front of what is behind them, depth edges on
image edges; and the whole-photo pairs built on it."""

import warnings

import numpy as np
import pytest

from kfreqgan.data import haze

pytest.importorskip("skimage")


def _scene(height=96, width=128, horizon=0.35, seed=0):
    """Bright flat sky above `horizon`, textured ground below."""
    rng = np.random.default_rng(seed)
    image = np.empty((height, width, 3), np.float32)
    row = int(horizon * height)
    image[:row] = [0.75, 0.82, 0.92]
    image[:row] += 0.003 * rng.standard_normal((row, width, 1))
    ground = 0.3 + 0.15 * rng.random((height - row, width, 1))
    image[row:] = ground * np.array([0.8, 1.0, 0.6], np.float32)
    return np.clip(image, 0.0, 1.0), row


def test_sky_is_farthest():
    image, row = _scene()
    sky = haze.sky_mask(image)
    assert sky[: row - 2].mean() > 0.95 and sky[row + 2 :].mean() < 0.02
    depth = haze.layered_depth(image, 0)[..., 0]
    assert depth.shape == image.shape[:2] and depth.dtype == np.float32
    assert np.all(depth[: row - 2] == 1.0)
    assert depth[row + 2 :].max() < 1.0


def test_ground_recedes_towards_the_horizon():
    image, row = _scene()
    for seed in range(3):
        depth = haze.layered_depth(image, seed, relief=0.0)[..., 0]
        profile = np.median(depth[row + 3 :], axis=1)  # top of the ground to the bottom row
        assert profile[0] > 2.5 * profile[-1]
        # Monotone (up to the edge-aware smoothing's ripple) from the bottom up.
        assert np.all(np.diff(profile) <= 1e-3)


def test_bright_flat_region_not_touching_the_top_is_not_sky():
    image, _ = _scene()
    image[60:80, 40:90] = 0.9  # a white wall or sign on the ground
    sky = haze.sky_mask(image)
    assert not sky[62:78, 42:88].any()


def test_upright_object_stands_in_front_and_its_edges_are_depth_edges():
    image, row = _scene(height=128, width=128, horizon=0.3)
    top, bottom, left, right = 50, 110, 50, 74  # a tall dark object standing on the ground
    image[top:bottom, left:right] = [0.1, 0.08, 0.06]
    depth = haze.layered_depth(image, 1, relief=0.0)[..., 0]
    inside = depth[top + 4 : bottom - 4, left + 4 : right - 4]
    # Upright: one depth from its foot up (not the receding ground).
    assert inside.std() < 0.02
    # In front of the ground seen above and beside it.
    assert inside.mean() < 0.8 * np.median(depth[top - 8 : top - 2, left:right])
    assert inside.mean() < 0.8 * np.median(depth[top + 4 : top + 10, right + 6 : right + 20])
    # The depth jump sits on the object's top edge (within 2 pixels).
    jump = np.abs(np.diff(depth[:, left + 6 : right - 6], axis=0)).mean(axis=1)
    assert abs(int(np.argmax(jump[row + 5 :])) + row + 5 - (top - 1)) <= 2


def test_seeded_and_in_range():
    image, _ = _scene()
    a = haze.layered_depth(image, 3)
    np.testing.assert_array_equal(a, haze.layered_depth(image, 3))
    assert not np.array_equal(a, haze.layered_depth(image, 4))
    assert a.min() >= 0.0 and a.max() <= 1.0


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"near_range": (0.5, 0.8)}, "near_range"),
        ({"far_range": (0.7, 1.0)}, "far_range"),
        ({"relief": -1.0}, "relief"),
    ],
)
def test_bad_arguments(kwargs, match):
    image, _ = _scene()
    with pytest.raises(ValueError, match=match):
        haze.layered_depth(image, 0, **kwargs)
    with pytest.raises(ValueError, match="shape"):
        haze.layered_depth(image[..., :2], 0)


def test_whole_photo_pairs():
    from kfreqgan.data import whole_photos

    photos = [_scene(96, 128, seed=s)[0] for s in range(2)] + [_scene(80, 64, seed=2)[0]]
    depths = whole_photos.depth_maps(photos, 2, seed=0)
    assert [d.shape for d in depths] == [(2, 96, 128, 1), (2, 96, 128, 1), (2, 80, 64, 1)]
    dataset = whole_photos.whole_photo_pairs(photos, depths, 32, examples=8, batch_size=4, seed=0)
    batches = list(dataset)
    assert len(batches) == 2
    hazy, clean = batches[0]
    assert hazy.shape == clean.shape == (4, 32, 32, 3)
    assert 0.0 <= float(np.min(hazy)) and float(np.max(hazy)) <= 1.0
    assert float(np.mean(np.abs(hazy - clean))) > 0.01
    # A new epoch draws new crops and haze.
    again = next(iter(dataset))[0]
    assert not np.allclose(again.numpy(), hazy.numpy())
    held_hazy, held_clean = whole_photos.heldout_pairs(photos[:2], 32, seed=5)
    assert held_hazy.shape == held_clean.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(held_hazy, whole_photos.heldout_pairs(photos[:2], 32, seed=5)[0])


def test_airlight_tint_shifts_channels_of_a_grey_airlight():
    clean = np.random.default_rng(0).random((64, 8, 8, 3)).astype(np.float32)
    _, _, grey = haze.make_hazy_pairs(clean, 3, return_parameters=True)
    hazy, _, tinted = haze.make_hazy_pairs(clean, 3, airlight_tint=0.05, return_parameters=True)
    grey, tinted = grey["airlight"].numpy(), tinted["airlight"].numpy()
    assert grey.shape == (64, 1) and tinted.shape == (64, 3)
    shift = tinted - grey
    assert np.abs(shift).max() <= 0.05 + 1e-6 and np.abs(shift).max() > 0.03
    assert np.std(tinted, axis=1).mean() > 0.01  # channels differ
    # One image equals its batch slot, as for every make_hazy_pairs option.
    import tensorflow as tf

    key = tf.random.experimental.stateless_fold_in(tf.constant([3, 0], tf.int64), tf.constant(5, tf.int64))
    single = haze.make_hazy_pairs(clean[5], key, airlight_tint=0.05)[0]
    np.testing.assert_allclose(single.numpy(), hazy[5].numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="airlight_tint"):
        haze.make_hazy_pairs(clean, 3, airlight_tint=-0.1)


def test_whole_photo_pairs_draws_photos_by_their_weights():
    """`photo_weights` are the odds of each photo: flat photos of three
    colours with weights 3, 1 and 0 give clean crops of the first colour
    about three times as often as of the second, and none of the third."""
    from kfreqgan.data import whole_photos

    colours = [0.2, 0.5, 0.8]
    photos = [np.full((40, 48, 3), colour, np.float32) for colour in colours]
    depths = whole_photos.depth_maps(photos, 1, seed=0)
    dataset = whole_photos.whole_photo_pairs(photos, depths, 16, examples=800, batch_size=100, seed=3, photo_weights=[3, 1, 0])
    means = np.concatenate([clean.numpy().mean(axis=(1, 2, 3)) for _, clean in dataset])
    drawn = [int(np.sum(np.abs(means - colour) < 1e-3)) for colour in colours]
    assert sum(drawn) == 800 and drawn[2] == 0
    # Binomial(800, 3/4): 600 +- 12.2; six standard deviations either way.
    assert 527 < drawn[0] < 673, drawn
    uniform = np.concatenate(
        [clean.numpy().mean(axis=(1, 2, 3)) for _, clean in whole_photos.whole_photo_pairs(photos, depths, 16, 300, 100, seed=3)]
    )
    assert all(np.sum(np.abs(uniform - colour) < 1e-3) > 50 for colour in colours)


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1, 1], "one weight per photo"),
        ([1, -1, 1], "non-negative"),
        ([0, 0, 0], "not all 0"),
        ([1, np.nan, 1], "finite"),
        (["a", 1, 1], "numbers"),
        # Taken as 1, 0 and 3.0; an OverflowError.
        ([True, False, True], "numbers"),
        (["3", 1, 1], "numbers"),
        ([10**400, 1, 1], "finite"),
        ([1e308] * 3, None),  # accepted quietly: their sum overflowed with a warning
    ],
)
def test_whole_photo_pairs_refuses_bad_weights(weights, message):
    from kfreqgan.data import whole_photos

    photos = [np.full((40, 48, 3), 0.5, np.float32)] * 3
    depths = whole_photos.depth_maps(photos, 1, seed=0)
    if message is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert whole_photos.check_photo_weights(weights, 3).shape == (3,)
        return
    with pytest.raises(ValueError, match=message) as error:
        whole_photos.whole_photo_pairs(photos, depths, 16, 8, 4, seed=0, photo_weights=weights)
    # The weights as given (it was "shape (2,)", or "min np.float64(nan), max ...").
    assert str(error.value).endswith(f"Received: photo_weights={weights!r}")
