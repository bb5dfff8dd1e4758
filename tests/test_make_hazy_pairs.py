"""`kfreqgan.data.make_hazy_pairs`: the one way hazy/clean pairs are made."""

import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.data import haze
from kfreqgan.data import make_hazy_pairs


@pytest.fixture(scope="module")
def clean():
    return np.random.default_rng(0).uniform(size=(5, 16, 20, 3)).astype(np.float32)


def _key(seed, index):
    return tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int64), tf.cast(index, tf.int64))


def test_the_pairs_follow_the_scattering_model(clean):
    hazy, returned, parameters = make_hazy_pairs(clean, 3, return_parameters=True)
    np.testing.assert_array_equal(returned.numpy(), clean)
    t, depth, beta, airlight = (parameters[key].numpy() for key in ("transmission", "depth", "beta", "airlight"))
    assert t.shape == depth.shape == (5, 16, 20, 1) and beta.shape == (5,) and airlight.shape == (5, 1)
    assert np.all((beta >= 0.6) & (beta <= 1.8)) and np.all((airlight >= 0.7) & (airlight <= 1.0))
    np.testing.assert_allclose(t, np.exp(-beta[:, None, None, None] * depth), rtol=1e-6)
    expected = clean * t + airlight[:, None, None, :] * (1 - t)  # I = J t + A (1 - t)
    np.testing.assert_allclose(hazy.numpy(), expected, atol=1e-6)
    assert len(set(beta.tolist())) == 5  # every image draws its own haze


def test_one_seeding_scheme_for_batches_single_images_and_prefixes(clean):
    hazy, _ = make_hazy_pairs(clean, 3)
    for index in range(len(clean)):
        single, _ = make_hazy_pairs(clean[index], _key(3, index))
        np.testing.assert_allclose(single.numpy(), hazy[index].numpy(), atol=1e-6)
    prefix, _ = make_hazy_pairs(clean[:2], 3)
    np.testing.assert_allclose(prefix.numpy(), hazy[:2].numpy(), atol=1e-6)
    np.testing.assert_array_equal(make_hazy_pairs(clean, 3)[0].numpy(), hazy.numpy())
    assert not np.allclose(make_hazy_pairs(clean, 4)[0].numpy(), hazy.numpy())
    # A (2,) seed [s, 0] is the int seed s.
    np.testing.assert_array_equal(make_hazy_pairs(clean, np.array([3, 0]))[0].numpy(), hazy.numpy())


def test_inside_a_dataset_map_with_per_example_seeds(clean):
    images = tf.data.Dataset.from_tensor_slices(clean)
    seeds = tf.data.Dataset.range(len(clean)).map(lambda index: _key(3, index))
    pairs = tf.data.Dataset.zip(images, seeds).map(make_hazy_pairs)
    hazy = np.stack([pair[0].numpy() for pair in pairs])
    np.testing.assert_allclose(hazy, make_hazy_pairs(clean, 3)[0].numpy(), atol=1e-6)


def test_given_depth_ranges_and_tinted_airlight(clean):
    depth = np.full((5, 16, 20, 1), 0.5, np.float32)
    hazy, _, parameters = make_hazy_pairs(
        clean, 1, depth=depth, beta_range=haze.OTS_BETA_RANGE, airlight_range=(0.9, 0.9), gray_airlight=False, return_parameters=True
    )
    np.testing.assert_array_equal(parameters["depth"].numpy(), depth)
    assert parameters["airlight"].shape == (5, 3)
    t = np.exp(-parameters["beta"].numpy() * 0.5)[:, None, None, None]
    np.testing.assert_allclose(hazy.numpy(), clean * t + 0.9 * (1 - t), atol=1e-6)


@pytest.mark.parametrize("seed", [-1, True, 1.5, (1, 2, 3), "7"])
def test_bad_seeds(clean, seed):
    with pytest.raises(ValueError, match=r"`seed` must be an int >= 0 or a shape \(2,\) integer seed\. Received: seed="):
        make_hazy_pairs(clean, seed)


def test_bad_images_and_ranges(clean):
    with pytest.raises(ValueError, match=r"`clean` must have values in \[0, 1\]"):
        make_hazy_pairs(clean * 2, 0)
    with pytest.raises(ValueError, match="`beta_range` must satisfy"):
        make_hazy_pairs(clean, 0, beta_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="`airlight_range` must satisfy"):
        make_hazy_pairs(clean, 0, airlight_range=(0.5, 1.5))
    with pytest.raises(ValueError, match="same height and width"):
        make_hazy_pairs(clean, 0, depth=np.ones((5, 8, 8, 1), np.float32))
