"""Real colour photos bundled with scikit-image and scikit-learn.

Demos and tests need real image content (natural spectra fall off roughly as
`1 / f^2`, which synthetic noise does not) but nothing may be downloaded at
run time, so these loaders read only the files that ship inside the two
packages. Each photo comes back as a float32 `(H, W, 3)` array in [0, 1].
"""

import numpy as np
import tensorflow as tf

from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_positive_int

_SKIMAGE = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
_SKLEARN = ("china", "flower")

PHOTO_NAMES = _SKIMAGE + ("motorcycle",) + _SKLEARN
"""Names accepted by `load_photo`. `motorcycle` is the left view of
scikit-image's stereo pair."""

HELDOUT_PHOTOS = ("astronaut", "coffee", "china")
"""Photos kept for evaluation: no training patch is ever cut from them."""

TRAIN_PHOTOS = tuple(name for name in PHOTO_NAMES if name not in HELDOUT_PHOTOS)
"""Photos that training patches are cut from (disjoint from `HELDOUT_PHOTOS`)."""

BENCHMARK_PHOTOS = ("motorcycle",)
"""Bundled photos that are also a dehazing benchmark's ground truth:
`motorcycle` is Middlebury 2014's "Motorcycle", which the D-HAZY benchmark
hazes. The dehazers up to `dehaze-v13` trained on it; from `dehaze-v14` on
the dehazer configs leave these out of training (they stay in
`TRAIN_PHOTOS` for the demos and the GAN configs)."""


def load_photo(name):
    """Loads one bundled photo as float32 `(H, W, 3)` in [0, 1].

    Args:
        name: one of `PHOTO_NAMES`.

    Raises:
        ValueError: for an unknown name.
        ImportError: if scikit-image (or scikit-learn for `china` /
            `flower`) is not installed (both are dependencies of kfreqgan).
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
    check_positive_int(size, "size")
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise ValueError(f"`image` must have shape (H, W, C). Received: shape={image.shape}")
    check_array_size((size, size, image.shape[2]), "The cropped image", f"size={size}")
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[top : top + side, left : left + side]
    if side == size:
        return square
    return _resize(square, (size, size))


def _resize(image, shape):
    """Area-filter resize; clipped, since float round-off can step past 1."""
    resized = tf.image.resize(image, shape, method="area", antialias=True)
    return np.clip(resized.numpy(), 0.0, 1.0)


def load_photo_depth(name):
    """Normalised depth `(H, W, 1)` in [0, 1] for a bundled photo that has one.

    Only `motorcycle` has real geometry (scikit-image ships its stereo
    disparity); its depth is `depth_from_disparity` of that map.

    Raises:
        ValueError: for a photo without depth.
    """
    if name != "motorcycle":
        raise ValueError(
            "Only 'motorcycle' ships with depth (from stereo disparity); use "
            f"kfreqgan.data.haze.synthetic_depth for the others. Received: name={name!r}"
        )
    import skimage.data

    from kfreqgan.data.haze import depth_from_disparity

    return depth_from_disparity(skimage.data.stereo_motorcycle()[2]).numpy()


def check_photo_names(names):
    """`names` as a tuple if it is a non-empty sequence of `PHOTO_NAMES`; ValueError otherwise."""
    if isinstance(names, str) or not names:
        raise ValueError(f"`names` must be a non-empty sequence of photo names. Received: names={names!r}")
    unknown = [name for name in names if name not in PHOTO_NAMES]
    if unknown:
        raise ValueError(f"Unknown photos {unknown}. Expected names from {PHOTO_NAMES}.")
    return tuple(names)


def photo_patches(names, size, per_photo, seed=0, short_side=None, gray=False):
    """Random square patches cut from bundled photos.

    Args:
        names: photo names (see `PHOTO_NAMES`); use `TRAIN_PHOTOS` for
            training and `HELDOUT_PHOTOS` for evaluation, so that no held-out
            content leaks into training.
        size: patch side in pixels.
        per_photo: number of patches per photo.
        seed: NumPy seed for the patch positions (and flips).
        short_side: if given, each photo is first resized (area filter) so
            its shorter side has this many pixels; smaller values give
            patches with more scene content and less pixel-level detail.
        gray: return ITU-R 601 grey patches `(..., 1)`.

    Returns:
        float32 array `(len(names) * per_photo, size, size, 3 or 1)` in [0, 1],
        photo by photo in the order of `names`.

    Raises:
        ValueError: for unknown names, bad sizes, or photos smaller than `size`.
    """
    names = check_photo_names(names)
    check_positive_int(size, "size")
    check_positive_int(per_photo, "per_photo")
    check_positive_int(short_side, "short_side", allow_none=True)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` must be an integer. Received: seed={seed!r}")
    check_array_size(
        (len(names) * per_photo, size, size, 3), "The patches", f"size={size}, per_photo={per_photo}, len(names)={len(names)}"
    )
    rng = np.random.default_rng(seed)
    patches = []
    for name in names:
        photo = load_photo(name)
        if short_side is not None:
            scale = short_side / min(photo.shape[:2])
            shape = (max(int(round(photo.shape[0] * scale)), 1), max(int(round(photo.shape[1] * scale)), 1))
            check_array_size(shape + (3,), f"Photo {name!r} resized", f"short_side={short_side}")
            photo = _resize(photo, shape)
        height, width = photo.shape[:2]
        if height < size or width < size:
            raise ValueError(
                f"Photo {name!r} is {height}x{width} pixels, smaller than the patch size {size}. "
                "Lower `size` or raise `short_side`."
            )
        for _ in range(per_photo):
            top = rng.integers(0, height - size + 1)
            left = rng.integers(0, width - size + 1)
            patch = photo[top : top + size, left : left + size]
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            patches.append(patch)
    patches = np.ascontiguousarray(np.stack(patches), dtype=np.float32)
    if gray:
        from kfreqgan.spectral import to_grayscale

        patches = to_grayscale(patches).numpy()
    return patches
