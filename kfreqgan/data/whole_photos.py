"""Hazy/clean pairs cut from whole photos with layered depth (the `dehaze-v2` / `dehaze-v3` data).

A dehazer that judges haze from the whole scene must train on whole scenes:
64-pixel crops show a texture, not a scene with a sky, a horizon and
objects in front of walls. This module

1. loads photos (the registry photo catalogue `kfreqgan.data.photo_sources`
   and the bundled scikit-image / scikit-learn photos), shrunk so their
   longer side is `max_side`,
2. gives each `depth_variants` depth maps from the `layered_depth` prior
   (NumPy, once, seeded),
3. and streams, each epoch afresh (`tf.data.Dataset.random` with
   `rerandomize_each_iteration`), square crops covering `crop_range` of a
   photo's shorter side (at least 60% by default: most of the scene),
   resized to `image_size`, flipped at random, and hazed with
   `kfreqgan.data.make_hazy_pairs` on their (cropped) depth.

Depth is not renormalised after cropping: the sky stays the farthest (1.0)
whatever part of the scene a crop shows.
"""

import numpy as np
import tensorflow as tf

from kfreqgan._validation import is_finite_non_negative
from kfreqgan._validation import is_real_number
from kfreqgan.data import haze

DEFAULT_CROP_RANGE = (0.6, 1.0)
"""Side of a square training crop as a fraction of the photo's shorter side
(most of the scene in every example, so the coarse branch sees whole-image
context)."""


def load_photos(catalogue_photos=(), bundled_names=(), max_side=384):
    """Photos as float32 `(H, W, 3)` arrays, longer side at most `max_side`.

    Args:
        catalogue_photos: `photo_sources.Photo`s (their files must exist).
        bundled_names: names from `kfreqgan.data.PHOTO_NAMES`.
        max_side: longest side after shrinking (area filter).

    Returns:
        `(names, photos)`: the photos' keys / names and the arrays.
    """
    from kfreqgan.data.photo_sources import read_photo
    from kfreqgan.data.photos import load_photo

    names, photos = [], []
    for photo in catalogue_photos:
        names.append(photo.key)
        photos.append(read_photo(photo, max_side=max_side))
    for name in bundled_names:
        image = load_photo(name)
        if max(image.shape[:2]) > max_side:
            scale = max_side / max(image.shape[:2])
            size = (int(round(image.shape[0] * scale)), int(round(image.shape[1] * scale)))
            image = np.clip(tf.image.resize(image, size, method="area", antialias=True).numpy(), 0.0, 1.0)
        names.append(f"bundled/{name}")
        photos.append(image.astype(np.float32))
    return names, photos


def depth_maps(photos, variants, seed):
    """`variants` `layered_depth` maps per photo: a list of `(variants, H, W, 1)` arrays."""
    return [
        np.stack([haze.layered_depth(photo, [seed, index, variant]) for variant in range(variants)])
        for index, photo in enumerate(photos)
    ]


def _stack_padded(arrays):
    """Zero-pads arrays of different (H, W) to the largest; returns (stack, sizes)."""
    height = max(a.shape[-3] for a in arrays)
    width = max(a.shape[-2] for a in arrays)
    padded = []
    for a in arrays:
        pad = [(0, 0)] * (a.ndim - 3) + [(0, height - a.shape[-3]), (0, width - a.shape[-2]), (0, 0)]
        padded.append(np.pad(a, pad))
    sizes = np.asarray([a.shape[-3:-1] for a in arrays], np.int32)
    return np.stack(padded), sizes


def whole_photo_pairs(
    photos,
    depths,
    image_size,
    examples,
    batch_size,
    seed,
    crop_range=DEFAULT_CROP_RANGE,
    beta_range=haze.WIDE_BETA_RANGE,
    airlight_range=haze.WIDE_AIRLIGHT_RANGE,
    return_parameters=False,
    photo_weights=None,
    **haze_options,
):
    """A `tf.data.Dataset` of `(hazy, clean)` batches from whole photos.

    Args:
        photos: float32 `(H, W, 3)` arrays in [0, 1] (sides may differ).
        depths: one `(variants, H, W, 1)` array per photo (`depth_maps`).
        image_size: side of the square examples.
        examples: examples per epoch (the dataset is finite: one epoch).
        batch_size: examples per batch (the last partial batch is dropped).
        seed: int; each iteration (epoch) draws new crops and haze.
        crop_range: `(min, max)` side of the square crop as a fraction of
            the photo's shorter side.
        beta_range, airlight_range: haze ranges for `make_hazy_pairs`.
        return_parameters: also yield the haze's true parameters, for
            `FreqGAN(airlight_supervision_weight=...,
            transmission_supervision_weight=...)`.
        photo_weights: None (each example's photo drawn uniformly) or one
            non-negative number per photo, the odds of drawing it (a photo
            of weight 2 is drawn twice as often as one of weight 1; 0:
            never). The number of examples stays `examples`.
        **haze_options: further `make_hazy_pairs` keywords.

    Returns:
        Batches of `(hazy, clean)` float32 `(batch, image_size, image_size, 3)`;
        with `return_parameters`, `(hazy, clean, parameters)`, `parameters`
        a dict of `"transmission"` `(batch, image_size, image_size, 1)` and
        `"airlight"` `(batch, 1, 1, C)` (`C` 1 for a plain grey airlight, 3
        when tinted). The images are the same either way.
    """
    if len(photos) != len(depths) or not photos:
        raise ValueError(f"`photos` and `depths` must be non-empty and of equal length. Received: {len(photos)}, {len(depths)}")
    crop_range = haze.check_range(crop_range, "crop_range", 0.0, 1.0)
    if crop_range[0] <= 0:
        raise ValueError(f"`crop_range` must be above 0. Received: crop_range={crop_range}")
    for photo in photos:
        if min(photo.shape[:2]) * crop_range[0] < 8:
            raise ValueError(f"A photo of {photo.shape[:2]} is too small for crop_range={crop_range}.")
    logits = None
    if photo_weights is not None:
        with np.errstate(divide="ignore"):  # a weight of 0: a logit of -inf, never drawn
            logits = tf.constant(np.log(check_photo_weights(photo_weights, len(photos)))[None], tf.float32)
    stacked, sizes = _stack_padded(photos)
    stacked_depths, _ = _stack_padded(depths)
    stacked = tf.constant(stacked)
    stacked_depths = tf.constant(stacked_depths)
    sizes = tf.constant(sizes)
    count, variants = len(photos), stacked_depths.shape[1]
    low, high = crop_range

    def example(key):
        keys = tf.random.experimental.stateless_split(key, 6)
        if logits is None:
            index = tf.random.stateless_uniform((), keys[0], 0, count, dtype=tf.int32)
        else:
            index = tf.random.stateless_categorical(logits, 1, keys[0], dtype=tf.int32)[0, 0]
        variant = tf.random.stateless_uniform((), keys[1], 0, variants, dtype=tf.int32)
        height, width = sizes[index][0], sizes[index][1]
        fraction = tf.random.stateless_uniform((), keys[2], low, high)
        side = tf.maximum(tf.cast(fraction * tf.cast(tf.minimum(height, width), tf.float32), tf.int32), 8)
        corner = tf.random.stateless_uniform((2,), keys[3], 0.0, 1.0)
        top = tf.cast(corner[0] * tf.cast(height - side + 1, tf.float32), tf.int32)
        left = tf.cast(corner[1] * tf.cast(width - side + 1, tf.float32), tf.int32)
        clean = stacked[index, top : top + side, left : left + side]
        depth = stacked_depths[index, variant, top : top + side, left : left + side]
        clean = tf.clip_by_value(tf.image.resize(clean, (image_size, image_size), method="area", antialias=True), 0.0, 1.0)
        depth = tf.image.resize(depth, (image_size, image_size), method="bilinear")
        flip = tf.random.stateless_uniform((), keys[4]) < 0.5
        clean = tf.where(flip, clean[:, ::-1], clean)
        depth = tf.where(flip, depth[:, ::-1], depth)
        clean = tf.ensure_shape(clean, (image_size, image_size, 3))
        depth = tf.ensure_shape(depth, (image_size, image_size, 1))
        hazy, clean, parameters = haze.make_hazy_pairs(
            clean, keys[5], depth=depth, beta_range=beta_range, airlight_range=airlight_range, return_parameters=True, **haze_options
        )
        hazy = tf.clip_by_value(hazy, 0.0, 1.0)
        if not return_parameters:
            return hazy, clean
        return hazy, clean, haze.supervision_targets(parameters)

    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2, drop_remainder=True)
    dataset = keys.take(examples).map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def check_photo_weights(weights, count):
    """`weights` as a float64 array of `count` odds of drawing each photo.

    Raises:
        ValueError: if there are not `count` of them, one is negative, not
            finite or not a number, or all are 0 (no photo could be drawn).
    """
    # Item by item: np.asarray(..., np.float64) took True as 1 and "3" as
    # 3.0, and failed with OverflowError on an int too large for a float.
    try:
        items = np.asarray(weights, dtype=object)
    except ValueError:  # a ragged nested list
        items = None
    if items is None or not all(is_real_number(item) for item in items.ravel()):
        raise ValueError(f"`photo_weights` must be numbers, one per photo. Received: photo_weights={weights!r}")
    if items.shape != (count,):
        raise ValueError(f"`photo_weights` must hold one weight per photo ({count}). Received: photo_weights={weights!r}")
    # Not a sum: weights of 1e308 overflowed it (a warning).
    if not all(is_finite_non_negative(item) for item in items) or not any(float(item) > 0 for item in items):
        raise ValueError(
            "`photo_weights` must be finite, non-negative and not all 0 (the odds of drawing each photo). "
            f"Received: photo_weights={weights!r}"
        )
    return items.astype(np.float64)


def heldout_pairs(photos, image_size, seed, per_photo=1, beta_range=haze.WIDE_BETA_RANGE, airlight_range=haze.WIDE_AIRLIGHT_RANGE, **haze_options):
    """Fixed `(hazy, clean)` arrays from held-out photos: the largest centred
    square of each, resized to `image_size`, with its own `layered_depth`,
    `per_photo` haze draws each (seeded; the same every call).

    Returns:
        `(hazy, clean)` float32 NumPy arrays `(len(photos) * per_photo, S, S, 3)`.
    """
    from kfreqgan.data.photos import center_crop

    clean, depth = [], []
    for index, photo in enumerate(photos):
        square = center_crop(photo, image_size)
        layered = haze.layered_depth(square, [seed, 1_000_003, index])
        for _ in range(per_photo):
            clean.append(square)
            depth.append(layered)
    clean = np.stack(clean).astype(np.float32)
    hazy, clean = haze.make_hazy_pairs(
        clean, seed, depth=np.stack(depth), beta_range=beta_range, airlight_range=airlight_range, **haze_options
    )
    return np.clip(hazy.numpy(), 0.0, 1.0), clean.numpy()
