"""Representative images for int8 calibration: real photo patches, hazed or not,
or a folder of the user's images."""

import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.data import make_hazy_pairs
from kfreqgan.export.calibration import representative_images


def dark_channel(images):
    """Mean of each pixel's smallest channel: haze raises it (He et al.)."""
    return float(np.mean(np.min(images, axis=-1)))


def test_hazy_and_clean_patches_of_the_training_photos():
    clean = representative_images((32, 32, 3), "clean", count=12, seed=3)
    hazy = representative_images((32, 32, 3), "hazy", count=12, seed=3)
    for images in (clean, hazy):
        assert images.shape == (12, 32, 32, 3) and images.dtype == np.float32
        assert images.min() >= 0.0 and images.max() <= 1.0
    # Same patches, then haze (airlight >= 0.7): the dark channel rises.
    assert dark_channel(hazy) > dark_channel(clean) + 0.1
    assert hazy.mean() > clean.mean()
    # Real photo content, not noise: neighbouring pixels are strongly correlated.
    a, b = clean[:, :, :-1].ravel(), clean[:, :, 1:].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.8
    np.testing.assert_array_equal(representative_images((32, 32, 3), "hazy", count=12, seed=3), hazy)


def test_patches_cover_every_training_photo_in_a_short_prefix():
    images = representative_images((32, 32, 3), "clean", count=6, seed=0)
    # One patch per photo: six distinct images.
    assert len({image.tobytes() for image in images}) == 6


def test_gray_and_non_square_shapes():
    images = representative_images((16, 24, 1), "clean", count=4)
    assert images.shape == (4, 16, 24, 1)


def test_hazy_calibration_uses_the_given_haze_ranges():
    clean = representative_images((16, 16, 3), "clean", count=3, seed=2)
    thin = representative_images((16, 16, 3), "hazy", count=3, seed=2, beta_range=(0.0, 0.0))
    np.testing.assert_allclose(thin, clean, atol=1e-6)  # beta = 0: no haze at all
    dense = representative_images((16, 16, 3), "hazy", count=3, seed=2, beta_range=(3.0, 3.0), airlight_range=(1.0, 1.0))
    expected = make_hazy_pairs(clean, 2, beta_range=(3.0, 3.0), airlight_range=(1.0, 1.0))[0].numpy()
    np.testing.assert_array_equal(dense, expected)


def test_a_folder_of_images(tmp_path, photos_64):
    for index, photo in enumerate(photos_64[:3]):
        png = tf.io.encode_png(tf.cast(tf.round(photo * 255), tf.uint8)).numpy()
        (tmp_path / f"{index}.png").write_bytes(png)
    images = representative_images((32, 32, 3), str(tmp_path), count=5, seed=1)
    assert images.shape == (5, 32, 32, 3)
    # Patches are cut from the files, not resized: every patch occurs in one of them.
    photos = np.round(photos_64[:3] * 255) / 255
    for patch in images:
        assert any(
            np.allclose(photo[top : top + 32, left : left + 32], patch, atol=1e-6)
            for photo in photos
            for top in range(33)
            for left in range(33)
        )


def test_a_folder_calibrates_a_non_square_model_from_images_that_fit_it(tmp_path, photos_64):
    # A 16x48 model asked for 48x48 squares and refused 20x64 images.
    for index, photo in enumerate(photos_64[:2]):
        strip = tf.cast(tf.round(photo[:20] * 255), tf.uint8)
        (tmp_path / f"{index}.png").write_bytes(tf.io.encode_png(strip).numpy())
    images = representative_images((16, 48, 3), str(tmp_path), count=3, seed=0)
    assert images.shape == (3, 16, 48, 3)
    with pytest.raises(ValueError, match=r"smaller than the model's 24x48 input\. Received: path='.*\.png', size=20x64$"):
        representative_images((24, 48, 3), str(tmp_path), count=1)


def test_bad_sources_and_arguments():
    with pytest.raises(FileNotFoundError, match="neither 'hazy' nor 'clean' nor an existing folder"):
        representative_images((32, 32, 3), "/no/such/folder")
    with pytest.raises(ValueError, match="Received: count=0"):
        representative_images((32, 32, 3), "hazy", count=0)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        representative_images((32, 32, 4), "hazy")
    with pytest.raises(ValueError, match=r"Received: image_shape=\(32, 32\)"):
        representative_images((32, 32), "hazy")


@pytest.mark.parametrize("size, short_side", [(32, 128), (512, 2048), (1000, 2048), (4000, 4000)])
def test_the_default_short_side_is_capped_for_large_models(monkeypatch, size, short_side):
    # A 4000-pixel model resized each bundled photo (300 to 1000 pixels) to
    # 16000 x 24000 by default: over 20 GB, and the process was killed.
    import kfreqgan.data

    asked = []

    def photo_patches(names, size, per_photo, seed, short_side, gray):
        asked.append(short_side)
        return np.zeros((len(names) * per_photo, 1, 1, 3), np.float32)

    monkeypatch.setattr(kfreqgan.data, "photo_patches", photo_patches)
    representative_images((size, size, 3), "clean", count=1)
    assert asked == [short_side]
