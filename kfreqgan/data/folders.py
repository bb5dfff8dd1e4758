"""Real paired dehazing data read from disk, in the common benchmark layouts.

RESIDE (Li et al., 2019) and most dehazing benchmarks ship two folders: one of
clear (haze-free) images and one of hazy images made from them. In RESIDE,
clear images are named `<id>.<ext>` (`0001.png`); hazy images are named
`<id>.<ext>` or `<id>_<anything>.<ext>`, where the tail usually records the
haze parameters (`0001_0.8_0.2.jpg`: A = 0.8, beta = 0.2), so one clear image
can have several hazy versions:

    clear/0001.png          hazy/0001_0.8_0.2.jpg
                            hazy/0001_0.9_0.16.jpg
    clear/0002.png          hazy/0002_0.8_0.2.jpg

The real-haze benchmarks (O-HAZE, I-HAZE, Dense-Haze, NH-HAZE) name the two
images of a pair alike but for one word, `hazy` in the hazy name and `GT` in
the clear one:

    GT/01_outdoor_GT.jpg    hazy/01_outdoor_hazy.jpg
    GT/01_GT.png            hazy/01_hazy.png

`find_image_pairs` matches the two folders by these names, `load_image_pair`
reads one pair eagerly (with `crop_border`, cutting the border off a clear
image that is larger than its hazy one, as in RESIDE's SOTS-indoor), and
`image_pair_dataset` streams all pairs as a `tf.data.Dataset`, optionally
with aligned random crops (the same window of the hazy and the clear image),
decoding inside the pipeline.

Everything that can be checked before training starts (missing folders, stray
files, unmatched names, files that do not decode or whose mode the reader
refuses, image sizes) is checked eagerly, so a bad folder
fails at once with a `ValueError` (or `FileNotFoundError`) that names the
offending file, not halfway through an epoch. Files are listed and read by
`kfreqgan.data.image_files` (the one reader of image files: EXIF orientation
applied, its mode policy, Pillow inside the pipeline too), so `gs://`
folders work too.
"""

import concurrent.futures
import re

import numpy as np
import tensorflow as tf

from kfreqgan._validation import check_positive_int
from kfreqgan.data.image_files import IMAGE_EXTENSIONS
from kfreqgan.data.image_files import image_size
from kfreqgan.data.image_files import list_image_files
from kfreqgan.data.image_files import load_image

_SIZE_CHECK_THREADS = 8
HAZY_WORDS = ("hazy",)
"""The word that marks a hazy image's name in the real-haze benchmarks (any case)."""
CLEAR_WORDS = ("gt", "clear")
"""The words that mark a clear image's name there (any case): `01_GT.png`, `01_clear.png`."""
_WORD_SEPARATORS = re.compile(r"([_\-. ]+)")


def _file_name(path):
    return str(path).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _split_extension(file_name):
    stem, dot, extension = file_name.rpartition(".")
    if not dot or not stem:
        return file_name, ""
    return stem, "." + extension.lower()


def _marked_key(stem, words):
    """`stem` with its one word from `words` (any case; words are separated by
    `_`, `-`, `.` or spaces) replaced by a marker, or None if it has no such
    word or more than one: `01_outdoor_hazy` and `01_outdoor_GT` give the
    same key."""
    parts = _WORD_SEPARATORS.split(stem)
    hits = [index for index in range(0, len(parts), 2) if parts[index].lower() in words]
    if len(hits) != 1:
        return None
    parts[hits[0]] = "\0"
    return "".join(parts)


def find_image_pairs(hazy_dir, clear_dir):
    """Pairs each hazy image with its clear image, by file name.

    A hazy image named `<stem>.<ext>` (any of `IMAGE_EXTENSIONS`, any letter
    case; the two extensions may differ) is paired with, in this order:

    1. the clear image with the same stem (SOTS, HSTS: `img_3.png` pairs
       with a clear `img_3.png` even when a clear `img.png` exists);
    2. otherwise the clear image whose name differs from it only by the word
       `hazy` (`HAZY_WORDS`) written as `GT` or `clear` (`CLEAR_WORDS`), in
       any case, the naming of O-HAZE, I-HAZE, Dense-Haze and NH-HAZE
       (`01_outdoor_hazy.jpg` and `01_outdoor_GT.jpg`), and the RESIDE clear
       image `<id>.<ext>` for a hazy `<id>_<anything>.<ext>` (the id is the
       part before the first underscore: `0001_0.8_0.2.jpg` and
       `1400_1.png` pair with `0001.png` and `1400.png`). If these two rules
       name different clear images, or two clear images differ from the
       hazy name by the word alone, the pairing is ambiguous: an error.

    Clear images without a hazy partner are ignored.

    Args:
        hazy_dir: folder of hazy images.
        clear_dir: folder of clear (ground-truth) images; not the same
            folder as `hazy_dir`, by any spelling (each image would pair
            with itself).

    Returns:
        List of `(hazy_path, clear_path)` str tuples, sorted by the hazy file
        name; a clear path appears once per hazy version of it.

    Raises:
        FileNotFoundError: if a folder does not exist.
        ValueError: if the two folders are one, if a folder is a file or has
            no images, if either holds a non-image file, if two clear images
            share a stem (`0001.png` and `0001.jpg`), if a hazy image has no
            clear partner or an ambiguous one. Each message names the
            offending file(s).
    """
    from kfreqgan.paths import same_place

    clear_files = list_image_files(clear_dir, "clear_dir")
    hazy_files = list_image_files(hazy_dir, "hazy_dir")
    if same_place(hazy_dir, clear_dir):
        raise ValueError(
            "`hazy_dir` and `clear_dir` are the same folder, so every image would be scored against itself. "
            "Put the hazy and the clear images in two folders (NH-HAZE ships both in one: move its *_GT images to a "
            f"folder of their own). Received: hazy_dir={str(hazy_dir)!r}, clear_dir={str(clear_dir)!r}"
        )
    clear_by_id, clear_by_word = {}, {}
    for path in clear_files:
        image_id = _split_extension(_file_name(path))[0]
        if image_id in clear_by_id:
            raise ValueError(
                f"`clear_dir` holds two images with the id {image_id!r}: {clear_by_id[image_id]!r} and "
                f"{path!r}. Each clear image needs a unique name (without extension). "
                f"Received: clear_dir={str(clear_dir)!r}"
            )
        clear_by_id[image_id] = path
        key = _marked_key(image_id, CLEAR_WORDS)
        if key is not None:
            clear_by_word.setdefault(key, []).append(path)
    pairs, unmatched = [], []
    for path in hazy_files:
        stem = _split_extension(_file_name(path))[0]
        if stem in clear_by_id:
            pairs.append((path, clear_by_id[stem]))
            continue
        key = _marked_key(stem, HAZY_WORDS)
        candidates = list(clear_by_word.get(key, [])) if key is not None else []
        prefix = stem.split("_", 1)[0]
        if prefix in clear_by_id and clear_by_id[prefix] not in candidates:
            candidates.append(clear_by_id[prefix])
        if len(candidates) > 1:
            raise ValueError(
                f"The hazy image {path!r} could pair with any of the clear images {', '.join(map(repr, sorted(candidates)))}. "
                "Rename or move all but one of them. Received: "
                f"hazy_dir={str(hazy_dir)!r}, clear_dir={str(clear_dir)!r}"
            )
        if candidates:
            pairs.append((path, candidates[0]))
        else:
            unmatched.append((path, prefix, stem, key is not None))
    if unmatched:
        path, prefix, stem, marked = unmatched[0]
        ids = repr(stem) if prefix == stem else f"{stem!r} or {prefix!r}"
        if marked:
            ids += " (or its name with 'hazy' written as 'GT' or 'clear')"
        others = f" ({len(unmatched) - 1} more hazy images are unmatched too)" if len(unmatched) > 1 else ""
        raise ValueError(
            f"The hazy image {path!r} has no clear partner: `clear_dir` has no image named {ids} "
            f"(with any of {', '.join(IMAGE_EXTENSIONS)}){others}. Hazy images must be named after a clear image "
            "<id>.<ext> as <id>.<ext> or <id>_<anything>.<ext> (RESIDE), or differ from its name only by the word "
            f"hazy for GT or clear (01_outdoor_hazy.jpg, 01_outdoor_GT.jpg). Received: clear_dir={str(clear_dir)!r}"
        )
    return pairs


def border_margin(hazy_shape, clear_shape):
    """The border around a hazy image that its clear image still has, or None.

    RESIDE's SOTS-indoor clear images are 640x480 and their hazy versions
    620x460: the hazy image is the clear scene without a 10-pixel border.
    This is that case: the clear image larger by the same margin on all four
    sides.

    Args:
        hazy_shape: `(H, W, ...)` of the hazy image.
        clear_shape: `(H, W, ...)` of the clear image.

    Returns:
        The margin `m >= 1` (pixels per side) when `clear_shape` is
        `(H + 2m, W + 2m, ...)`; 0 when the shapes are equal; None for any
        other difference (the channels included).
    """
    hazy_shape, clear_shape = tuple(hazy_shape), tuple(clear_shape)
    if hazy_shape == clear_shape:
        return 0
    if len(hazy_shape) != len(clear_shape) or len(hazy_shape) < 2 or hazy_shape[2:] != clear_shape[2:]:
        return None
    rows, columns = clear_shape[0] - hazy_shape[0], clear_shape[1] - hazy_shape[1]
    if rows != columns or rows <= 0 or rows % 2:
        return None
    return rows // 2


def load_image_pair(hazy_path, clear_path, crop_border=False):
    """Reads a hazy image and its clear image, and checks they match in size.

    Args:
        hazy_path: path of the hazy image.
        clear_path: path of the clear image.
        crop_border: if True, a clear image that is larger than the hazy one
            by the same margin on every side (`border_margin`: RESIDE's
            SOTS-indoor, 640x480 clear and 620x460 hazy) is centre-cropped to
            the hazy size, and the margin is returned too. Any other size
            difference is still an error.

    Returns:
        `(hazy, clear)`: two float32 NumPy arrays `(H, W, 3)` in [0, 1]
        (RGB; see `load_image` for grey and RGBA files); with `crop_border`,
        `(hazy, clear, margin)`, `margin` the pixels cut off each side of
        the clear image (0 when the sizes matched).

    Raises:
        FileNotFoundError: if a file does not exist (named in the message).
        ValueError: if a file cannot be decoded (named), or if the two
            images differ in size (both files and shapes named) other than
            by a border that `crop_border` allows.
    """
    if not isinstance(crop_border, (bool, np.bool_)):
        raise ValueError(f"`crop_border` must be True or False. Received: crop_border={crop_border!r}")
    hazy = load_image(hazy_path)
    clear = load_image(clear_path)
    margin = border_margin(hazy.shape, clear.shape)
    if margin is None or (margin and not crop_border):
        if margin:
            hint = f" (the clear image has a {margin}-pixel border around the hazy one: crop_border=True cuts it off)"
        elif crop_border:
            hint = ", or the clear image larger by the same margin on every side (crop_border=True)"
        else:
            hint = ""
        raise ValueError(
            f"A hazy image and its clear image must have the same size{hint}. "
            f"Received: {str(hazy_path)!r} with shape={hazy.shape} and {str(clear_path)!r} with shape={clear.shape}"
        )
    if margin:
        clear = np.ascontiguousarray(clear[margin:-margin, margin:-margin])
    return (hazy, clear, margin) if crop_border else (hazy, clear)


def _decoded_size(path):
    """`image_size(path, decode=True)` (the file read by `read_image`, its
    mode policy applied), or the `ValueError` that names the file."""
    try:
        return image_size(path, decode=True)
    except ValueError as error:
        return error


def _check_pair_sizes(pairs, crop_size):
    """Eagerly checks that every file reads as the pipeline will read it
    (all of its pixels: a truncated file has a good header; and the reader's
    mode policy: a CMYK file without a profile is refused) and every pair
    has equal sizes, at least `crop_size`. The files that do not read are
    all named in one error."""
    paths = sorted({path for pair in pairs for path in pair})
    with concurrent.futures.ThreadPoolExecutor(_SIZE_CHECK_THREADS) as pool:
        sizes = dict(zip(paths, pool.map(_decoded_size, paths)))
    errors = [size for size in sizes.values() if isinstance(size, ValueError)]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValueError(
            f"{len(errors)} image files cannot be read; fix or remove them: " + "; ".join(map(str, errors))
        )
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

    The folders are paired with `find_image_pairs` and every image is
    read once, eagerly and in threads, by the reader the pipeline uses, to
    check that it reads to the end (a truncated file has a good header),
    that its mode is one the reader takes (not a CMYK file without an ICC
    profile, a float TIFF, ...: `kfreqgan.data.image_files`) and its size; that costs about one
    epoch's decoding, and is what refuses a bad file, naming every one,
    before training starts rather than in the middle of an epoch. The pixels
    are then decoded again inside the pipeline (`kfreqgan.data.image_files.load_image`: upright, grey as
    RGB, alpha dropped; parallel `map` with AUTOTUNE), so nothing but the
    file list is held in memory.

    With `crop_size`, each pair is cut to one random `crop_size` square, the
    same window in both images (they are stacked before cropping). The
    crops are seeded: the same `seed` gives the same crops on the first pass,
    and every later pass (`repeat`) draws new ones, reproducibly. Without
    `crop_size` the images keep their own sizes, so batch them only if they
    all agree (or use `padded_batch` / `ragged_batch`).

    Args:
        hazy_dir: folder of hazy images (named as `find_image_pairs`
            describes: RESIDE, O-HAZE, ...).
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
            `find_image_pairs` rejects; for files that cannot be read
            (truncated, corrupt, or in a mode the reader refuses: all named
            in one message); for a pair whose images differ in size; for an image
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
