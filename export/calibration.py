"""Representative images for int8 calibration (and export-time checks).

Full-integer quantization fixes one value range per activation tensor from
the images it is shown, so they should look like what the model will see
in use. Three sources (`SOURCES`):

- `"hazy"` (the default for this project's image-to-image generators,
  which are dehazers): random patches of the bundled training photos
  (`kfreqgan.data.TRAIN_PHOTOS`), hazed as in training by
  `kfreqgan.data.make_hazy_pairs`: a `synthetic_depth` map per patch and
  random `beta` and airlight, from the RESIDE ITS ranges unless the
  training configuration's ranges are passed (`kfreqgan-export` passes
  those of the `metrics.json` that `kfreqgan-train` wrote beside the model).
- `"clean"`: the same patches without haze, for generators whose inputs
  are ordinary photos.
- a folder of images (`.png`, `.jpg`, `.jpeg`, `.bmp`): random patches of
  your own data, used as they are.

Patches are cut after resizing each photo so that its shorter side is
`4 * size` pixels by default, the scale at which the training
configurations cut their patches (`photo_short_side`), but no more than
`MAX_DEFAULT_SHORT_SIDE` (or `size` where that is larger;
`default_short_side`): the bundled photos are 300 to 1000 pixels, and a
4000-pixel model blew each one up to 16000 x 24000 pixels, over 20 GB
while resizing. The held-out photos
(`kfreqgan.data.HELDOUT_PHOTOS`) are never used here, so they stay free for
checking the exported models.
"""

import math
import os

import numpy as np

from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_positive_int
from kfreqgan.data.haze import ITS_AIRLIGHT_RANGE
from kfreqgan.data.haze import ITS_BETA_RANGE
from kfreqgan.data.haze import make_hazy_pairs
from kfreqgan.spectral import to_grayscale

SOURCES = ("hazy", "clean")
"""Built-in sources; any other value is read as a folder of images."""

MAX_DEFAULT_SHORT_SIDE = 2048
"""The largest short side the bundled photos are resized to by default."""


def default_short_side(size):
    """The default short side for patches of side `size`: `4 * size`, at
    most `MAX_DEFAULT_SHORT_SIDE` unless `size` itself is larger."""
    return max(size, min(4 * size, MAX_DEFAULT_SHORT_SIDE))


def folder_patch_size(directory, largest):
    """The largest `(height, width)`, at most `largest`, that every image in
    the folder `directory` holds: the patch size for a model that takes any
    size (a folder of photos smaller than `largest` was refused as "smaller
    than the model's input", which such a model does not have).

    Raises:
        FileNotFoundError / ValueError: as `kfreqgan.data.list_image_files`
            and `kfreqgan.data.image_files.image_size`.
    """
    from kfreqgan.data import list_image_files
    from kfreqgan.data.image_files import image_size

    height, width = largest
    for path in list_image_files(os.fspath(directory), name="calibration folder"):
        image_height, image_width = image_size(path)
        height, width = min(height, image_height), min(width, image_width)
    return height, width


def _photo_patches(names, size, count, channels, seed, short_side):
    from kfreqgan.data import photo_patches

    per_photo = math.ceil(count / len(names))
    patches = photo_patches(names, size, per_photo, seed=seed, short_side=short_side, gray=channels == 1)
    # Interleave the photos so that any prefix covers all of them.
    order = np.argsort(np.arange(len(patches)) % per_photo, kind="stable")
    return patches[order][:count]


def _folder_patches(directory, patch_height, patch_width, count, channels, seed):
    from kfreqgan.data import list_image_files
    from kfreqgan.data import load_image

    files = list_image_files(directory, name="calibration folder")
    rng = np.random.default_rng(seed)
    # Every file once before any file twice, in a seeded random order.
    rounds = [rng.permutation(len(files)) for _ in range(math.ceil(count / len(files)))]
    chosen = [files[index] for index in np.concatenate(rounds)[:count]]
    loaded, patches = {}, []
    for path in chosen:
        if path not in loaded:
            loaded[path] = np.asarray(load_image(path), np.float32)
        image = loaded[path]
        height, width = image.shape[:2]
        # Patches of the model's own shape: a square of its longer side
        # refused a 300x600 image for a 256x512 model.
        if height < patch_height or width < patch_width:
            raise ValueError(
                f"A calibration image is smaller than the model's {patch_height}x{patch_width} input. "
                f"Received: path={path!r}, size={height}x{width}"
            )
        top, left = rng.integers(0, height - patch_height + 1), rng.integers(0, width - patch_width + 1)
        patch = image[top : top + patch_height, left : left + patch_width]
        if channels == 1:
            patch = to_grayscale(patch[np.newaxis]).numpy()[0]
        patches.append(patch)
    return np.stack(patches).astype(np.float32)


def representative_images(
    image_shape,
    source="hazy",
    count=64,
    seed=0,
    short_side=None,
    photos=None,
    beta_range=ITS_BETA_RANGE,
    airlight_range=ITS_AIRLIGHT_RANGE,
):
    """Images of the kind a model will see, to calibrate int8 quantization.

    Args:
        image_shape: `(height, width, channels)` of the model input, with
            1 or 3 channels.
        source: `"hazy"`, `"clean"` or the path of a folder of images (see
            the module docstring).
        count: number of images.
        seed: seed for the patch positions and the haze.
        short_side: for the bundled photos: resize each photo so that its
            shorter side has this many pixels before cutting patches
            (default `default_short_side(max(height, width))`: four
            times the patch, at most 2048 pixels); ignored for a folder.
        photos: for `"hazy"` / `"clean"`: the bundled photos to cut from
            (default `kfreqgan.data.TRAIN_PHOTOS`; pass `HELDOUT_PHOTOS` for
            check images that calibration never saw).
        beta_range, airlight_range: for `"hazy"`: the haze ranges (see
            `kfreqgan.data.make_hazy_pairs`); use the training
            configuration's, default RESIDE ITS.

    Returns:
        float32 array `(count, height, width, channels)` in [0, 1].

    Raises:
        ValueError: for bad arguments, or images smaller than the patches.
        FileNotFoundError: if `source` names a folder that does not exist.
    """
    from kfreqgan.data import TRAIN_PHOTOS

    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
        raise ValueError(f"`image_shape` must be (height, width, channels). Received: image_shape={image_shape!r}")
    height, width, channels = (check_positive_int(value, name) for value, name in zip(image_shape, ("height", "width", "channels")))
    if channels not in (1, 3):
        raise ValueError(f"Calibration images have 1 or 3 channels. Received: channels={channels}")
    count = check_positive_int(count, "count")
    check_array_size((count, height, width, channels), "The calibration images", f"count={count}")
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(f"`source` must be 'hazy', 'clean' or a folder path. Received: source={source!r}")
    size = max(height, width)
    if source in SOURCES:
        short_side = default_short_side(size) if short_side is None else check_positive_int(short_side, "short_side")
        patches = _photo_patches(TRAIN_PHOTOS if photos is None else photos, size, count, channels, seed, short_side)
        if source == "hazy":
            patches = make_hazy_pairs(patches, seed, beta_range=beta_range, airlight_range=airlight_range)[0].numpy()
    else:
        if not os.path.isdir(source):
            raise FileNotFoundError(
                f"Calibration source is neither {' nor '.join(map(repr, SOURCES))} nor an existing folder. "
                f"Received: source={os.fspath(source)!r}"
            )
        patches = _folder_patches(os.fspath(source), height, width, count, channels, seed)
    return np.ascontiguousarray(patches[:, :height, :width])
