"""Real colour photos bundled with scikit-image and scikit-learn.

Demos and tests need real image content (natural spectra fall off roughly as
`1 / f^2`, which synthetic noise does not) but nothing may be downloaded at
run time, so these loaders read only the files that ship inside the two
packages. Each photo comes back as a float32 `(H, W, 3)` array in [0, 1].
"""

import numpy as np
import tensorflow as tf

_SKIMAGE = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
_SKLEARN = ("china", "flower")

PHOTO_NAMES = _SKIMAGE + ("motorcycle",) + _SKLEARN
"""Names accepted by `load_photo`. `motorcycle` is the left view of
scikit-image's stereo pair."""


def load_photo(name):
    """Loads one bundled photo as float32 `(H, W, 3)` in [0, 1].

    Args:
        name: one of `PHOTO_NAMES`.

    Raises:
        ValueError: for an unknown name.
        ImportError: if scikit-image (or scikit-learn for `china` /
            `flower`) is not installed; install `kfreqgan[demo]`.
    """
    if name not in PHOTO_NAMES:
        raise ValueError(f"Unknown photo. Expected one of {PHOTO_NAMES}. Received: name={name!r}")
    if name in _SKLEARN:
        from sklearn.datasets import load_sample_image

        pixels = load_sample_image(f"{name}.jpg")
    else:
        import skimage.data

        if name == "motorcycle":
            pixels = skimage.data.stereo_motorcycle()[0]
        else:
            pixels = getattr(skimage.data, name)()
    return np.asarray(pixels, dtype=np.float32)[..., :3] / 255.0


def center_crop(image, size):
    """Largest centred square of `image`, resized to `size x size` (area filter).

    Args:
        image: `(H, W, C)` array.
        size: output side in pixels (positive int).

    Returns:
        float32 `(size, size, C)` array.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"`size` must be a positive integer. Received: size={size!r}")
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise ValueError(f"`image` must have shape (H, W, C). Received: shape={image.shape}")
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[top : top + side, left : left + side]
    if side == size:
        return square
    resized = tf.image.resize(square, (size, size), method="area", antialias=True)
    return resized.numpy()
