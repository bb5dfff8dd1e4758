"""The dark-channel-prior baseline of the benchmarks (`kfreqgan.dark_channel_prior`)."""

import numpy as np
import pytest

from kfreqgan.dark_channel_prior import dark_channel
from kfreqgan.dark_channel_prior import dehaze_dark_channel


def test_dark_channel_is_a_windowed_minimum_over_channels():
    rng = np.random.default_rng(0)
    image = rng.random((20, 24, 3))
    dark = dark_channel(image, patch=5)
    for y, x in [(0, 0), (10, 12), (19, 23), (7, 3)]:
        window = image[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3]
        assert dark[y, x] == window.min()


def test_the_prior_inverts_haze_exactly_where_it_holds():
    """Saturated colours (one channel 0 everywhere: dark channel 0) under a
    sky whose colour is the airlight: with omega = 1 the method recovers the
    airlight, the transmission and the clean image."""
    rng = np.random.default_rng(1)
    airlight = np.array([0.95, 0.9, 0.85])
    clean = rng.random((96, 96, 3)) * 0.9
    clean[np.arange(96)[:, None], np.arange(96)[None, :], rng.integers(0, 3, (96, 96))] = 0.0
    clean[:20] = airlight  # the sky
    transmission = 0.6
    hazy = clean * transmission + airlight * (1 - transmission)
    dehazed, estimated_t, estimated_a = dehaze_dark_channel(hazy, omega=1.0, t0=0.01)
    np.testing.assert_allclose(estimated_a, airlight, atol=1e-12)
    ground = slice(20 + 8, None)  # away from the sky's edge (half a patch)
    np.testing.assert_allclose(estimated_t[ground], transmission, atol=1e-9)
    np.testing.assert_allclose(dehazed[ground], clean[ground], atol=1e-9)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="RGB"):
        dehaze_dark_channel(np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        dehaze_dark_channel(np.full((8, 8, 3), 3.0))
    with pytest.raises(ValueError, match="refine"):
        dehaze_dark_channel(np.zeros((8, 8, 3)), refine="matting")
