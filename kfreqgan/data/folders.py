"""Real paired dehazing data read from disk, in RESIDE's folder layout.

RESIDE (Li et al., 2019) and most dehazing benchmarks ship two folders: one of
clear (haze-free) images and one of hazy images made from them. Clear images
are named `<id>.<ext>` (`0001.png`); hazy images are named `<id>.<ext>` or
`<id>_<anything>.<ext>`, where the tail usually records the haze parameters
(`0001_0.8_0.2.jpg`: A = 0.8, beta = 0.2), so one clear image can have
several hazy versions:

    clear/0001.png          hazy/0001_0.8_0.2.jpg
                            hazy/0001_0.9_0.16.jpg
    clear/0002.png          hazy/0002_0.8_0.2.jpg

`find_image_pairs` matches the two folders by `<id>`, `load_image_pair` reads
one pair eagerly, and `image_pair_dataset` streams all pairs as a
`tf.data.Dataset`, optionally with aligned random crops (the same window of
the hazy and the clear image), decoding inside the pipeline.

Everything that can be checked before training starts (missing folders, stray
files, unmatched names, image sizes) is checked eagerly, so a bad folder
fails at once with a `ValueError` (or `FileNotFoundError`) that names the
offending file, not halfway through an epoch. Files are listed and read by
`kfreqgan.data.image_files` (the one reader of image files: EXIF orientation
applied, its mode policy, Pillow inside the pipeline too), so `gs://`
folders work too.
"""

import concurrent.futures

import numpy as np
import tensorflow as tf

from kfreqgan._validation import check_positive_int
from kfreqgan.data.image_files import IMAGE_EXTENSIONS
from kfreqgan.data.image_files import image_size
from kfreqgan.data.image_files import list_image_files
from kfreqgan.data.image_files import load_image

_SIZE_CHECK_THREADS = 8


def _file_name(path):
    return str(path).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _split_extension(file_name):
    stem, dot, extension = file_name.rpartition(".")
    if not dot or not stem:
        return file_name, ""
    return stem, "." + extension.lower()


def find_image_pairs(hazy_dir, clear_dir):
    """Pairs each hazy image with its clear image, by RESIDE file naming.

    A clear image `<id>.<ext>` is the partner of every hazy image named
    `<id>.<ext>` or `<id>_<anything>.<ext>` (any of `IMAGE_EXTENSIONS`, any
    letter case; the two extensions may differ). A hazy image is matched by
    the part of its name before the first underscore; when no clear image
    has that id, by its whole name without extension (so `img_3.png` pairs
    with a clear `img_3.png`). Clear images without a hazy partner are
    ignored.

    Args:
        hazy_dir: folder of hazy images.
        clear_dir: folder of clear (ground-truth) images.

    Returns:
        List of `(hazy_path, clear_path)` str tuples, sorted by the hazy file
        name; a clear path appears once per hazy version of it.

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: if a folder is a file or has no images, if either holds a
            non-image file, if two clear images share an id (`0001.png` and
            `0001.jpg`), or if a hazy image has no clear partner. Each
            message names the offending file(s).
    """
    clear_files = list_image_files(clear_dir, "clear_dir")
    hazy_files = list_image_files(hazy_dir, "hazy_dir")
    clear_by_id = {}
    for path in clear_files:
        image_id = _split_extension(_file_name(path))[0]
        if image_id in clear_by_id:
            raise ValueError(
                f"`clear_dir` holds two images with the id {image_id!r}: {clear_by_id[image_id]!r} and "
                f"{path!r}. Each clear image needs a unique name (without extension). "
                f"Received: clear_dir={str(clear_dir)!r}"
            )
        clear_by_id[image_id] = path
    pairs, unmatched = [], []
    for path in hazy_files:
        stem = _split_extension(_file_name(path))[0]
        prefix = stem.split("_", 1)[0]
        clear = clear_by_id.get(prefix, clear_by_id.get(stem))
        if clear is None:
            unmatched.append((path, prefix, stem))
        else:
            pairs.append((path, clear))
    if unmatched:
        path, prefix, stem = unmatched[0]
        ids = repr(prefix) if prefix == stem else f"{prefix!r} or {stem!r}"
        others = f" ({len(unmatched) - 1} more hazy images are unmatched too)" if len(unmatched) > 1 else ""
        raise ValueError(
            f"The hazy image {path!r} has no clear partner: `clear_dir` has no image named {ids} "
            f"(with any of {', '.join(IMAGE_EXTENSIONS)}){others}. Hazy images must be named <id>.<ext> or "
            f"<id>_<anything>.<ext> after a clear image <id>.<ext>. Received: clear_dir={str(clear_dir)!r}"
        )
    return pairs


def load_image_pair(hazy_path, clear_path):
    """Reads a hazy image and its clear image, and checks they match in size.

    Args:
        hazy_path: path of the hazy image.
        clear_path: path of the clear image.

    Returns:
        `(hazy, clear)`: two float32 NumPy arrays `(H, W, 3)` in [0, 1]
        (RGB; see `load_image` for grey and RGBA files).

    Raises:
        FileNotFoundError: if a file does not exist (named in the message).
        ValueError: if a file cannot be decoded (named), or if the two
            images differ in size (both files and shapes named).
    """
    hazy = load_image(hazy_path)
    clear = load_image(clear_path)
    if hazy.shape != clear.shape:
        raise ValueError(
            "A hazy image and its clear image must have the same size. "
            f"Received: {str(hazy_path)!r} with shape={hazy.shape} and {str(clear_path)!r} with shape={clear.shape}"
        )
    return hazy, clear


def _check_pair_sizes(pairs, crop_size):
    """Eagerly checks every pair has equal sizes, at least `crop_size`."""
    paths = sorted({path for pair in pairs for path in pair})
    with concurrent.futures.ThreadPoolExecutor(_SIZE_CHECK_THREADS) as pool:
        sizes = dict(zip(paths, pool.map(image_size, paths)))
    for hazy, clear in pairs:
        if sizes[hazy] != sizes[clear]:
            raise ValueError(
                "A hazy image and its clear image must have the same size. Received: "
                f"{hazy!r} with (height, width)={sizes[hazy]} and {clear!r} with (height, width)={sizes[clear]}"
            )
        if crop_size is not None and min(sizes[hazy]) < crop_size:
            raise ValueError(
                f"The images {hazy!r} and {clear!r} (height, width)={sizes[hazy]} are smaller than the crop. "
                f"Lower `crop_size` or remove them. Received: crop_size={crop_size}"
            )


def _check_crop_size(crop_size):
    return check_positive_int(crop_size, "crop_size", allow_none=True)


def _decode_in_graph(path):
    """`load_image` inside a `tf.data` pipeline (Pillow through `tf.numpy_function`)."""
    image = tf.numpy_function(lambda name: load_image(name.decode()), [path], tf.float32, stateful=False)
    return tf.ensure_shape(image, (None, None, 3))


def _load_pair_in_graph(hazy_path, clear_path):
    hazy = _decode_in_graph(hazy_path)
    clear = _decode_in_graph(clear_path)
    # Sizes were checked eagerly; this guards against files changed since.
    check = tf.debugging.Assert(
        tf.reduce_all(tf.equal(tf.shape(hazy), tf.shape(clear))),
        ["Hazy and clear images differ in size:", hazy_path, tf.shape(hazy), clear_path, tf.shape(clear)],
    )
    with tf.control_dependencies([check]):
        return tf.identity(hazy), tf.identity(clear)


def image_pair_dataset(hazy_dir, clear_dir, crop_size=None, shuffle=False, seed=0):
    """A `tf.data.Dataset` of `(hazy, clear)` image pairs read from two folders.

    The folders are paired with `find_image_pairs` and every image header is
    read once, eagerly, to check sizes; the pixels are then decoded inside
    the pipeline (`kfreqgan.data.image_files.load_image`: upright, grey as
    RGB, alpha dropped; parallel `map` with AUTOTUNE), so nothing but the
    file list is held in memory.

    With `crop_size`, each pair is cut to one random `crop_size` square, the
    same window in both images (they are stacked before cropping). The
    crops are seeded: the same `seed` gives the same crops on the first pass,
    and every later pass (`repeat`) draws new ones, reproducibly. Without
    `crop_size` the images keep their own sizes, so batch them only if they
    all agree (or use `padded_batch` / `ragged_batch`).

    Args:
        hazy_dir: folder of hazy images (RESIDE naming, see
            `find_image_pairs`).
        clear_dir: folder of clear images.
        crop_size: None for whole images, or the side in pixels of aligned
            random square crops.
        shuffle: shuffle the pairs (over the whole file list, reshuffled
            each pass, seeded by `seed`). Without it pairs come in the order
            of `find_image_pairs`.
        seed: int seed for the shuffling and the crop windows.

    Returns:
        `tf.data.Dataset` of `(hazy, clear)` float32 tensors in [0, 1],
        `(H, W, 3)` each, or `(crop_size, crop_size, 3)`.

    Raises:
        FileNotFoundError: if a folder or file is missing.
        ValueError: for bad arguments, and for everything
            `find_image_pairs` rejects; for a file whose header cannot be
            read; for a pair whose images differ in size; for an image
            smaller than `crop_size`. Each message names the file(s).
    """
    crop_size = _check_crop_size(crop_size)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"`shuffle` must be True or False. Received: shuffle={shuffle!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` must be an integer. Received: seed={seed!r}")
    pairs = find_image_pairs(hazy_dir, clear_dir)
    _check_pair_sizes(pairs, crop_size)
    hazy_paths = [hazy for hazy, _ in pairs]
    clear_paths = [clear for _, clear in pairs]
    dataset = tf.data.Dataset.from_tensor_slices((hazy_paths, clear_paths))
    if shuffle:
        dataset = dataset.shuffle(len(pairs), seed=int(seed), reshuffle_each_iteration=True)
    if crop_size is None:
        return dataset.map(_load_pair_in_graph, num_parallel_calls=tf.data.AUTOTUNE)

    def load_and_crop(paths, crop_seed):
        hazy, clear = _load_pair_in_graph(*paths)
        stacked = tf.concat([hazy, clear], axis=-1)
        window = tf.image.stateless_random_crop(stacked, (crop_size, crop_size, 6), seed=crop_seed)
        return window[..., :3], window[..., 3:]

    crop_seeds = tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip((dataset, crop_seeds)).map(load_and_crop, num_parallel_calls=tf.data.AUTOTUNE)
