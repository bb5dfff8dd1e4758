"""Synthetic haze from the atmospheric scattering model.

    I(p) = J(p) t(p) + A (1 - t(p)),    t(p) = exp(-beta d(p))

`J` is the clean image, `d` the scene depth, `beta` the scattering
coefficient and `A` the atmospheric light (airlight). This is how RESIDE
(Li et al., 2019) and most dehazing benchmarks make their hazy images. The
default ranges follow RESIDE's indoor training set (ITS): `beta` in
[0.6, 1.8] and `A` in [0.7, 1.0], with depth normalised to [0, 1] (1 is the
farthest point of the scene).

Everything is TensorFlow, vectorised over the batch and usable inside
`tf.data.Dataset.map` with stateless seeds, so a pipeline synthesises fresh,
reproducible haze on the fly.

`make_hazy_pairs` is the one way the project makes `(hazy, clean)` training
and evaluation pairs (training, the demos, int8 calibration, the
`hazy_pairs` TFDS builder and the benchmarks all call it), with one seeding
scheme: image `i` of a batch hazed with `seed` gets what (to float
rounding) the single image would get with `tf.random.experimental.stateless_fold_in(seed, i)`
(seed and `i` as int64; an int seed `s` is `[s, 0]`), and one image's seed
is split (`stateless_split`) into its depth seed and its haze seed.

Depth can come from

- a depth map you have (`add_haze(clean, depth, ...)`, normalised with
  `normalize_depth`),
- a stereo disparity map (`depth_from_disparity`: depth is proportional to
  1 / disparity), as for scikit-image's `stereo_motorcycle`,
- or, when there is none, the synthetic prior `synthetic_depth`: a ground
  plane seen from a camera (depth grows linearly from the bottom row to the
  top row, with a random horizon tilt and range) plus a smooth random
  relief. It is a prior about typical outdoor framing, not an estimate of
  the photo's geometry.
"""

import math

import tensorflow as tf

from kfreqgan._validation import FLOAT_DTYPES
from kfreqgan._validation import check_array_size

# RESIDE's ranges (Li et al., "Benchmarking Single-Image Dehazing and
# Beyond", 2019). ITS (indoor training set): depth normalised to [0, 1], the
# default everywhere in kfreqgan. OTS (outdoor training set): for depth in
# the units of the estimated outdoor depth maps RESIDE uses, not [0, 1]
# (on normalised depth these ranges give a thin haze).
ITS_BETA_RANGE = (0.6, 1.8)
ITS_AIRLIGHT_RANGE = (0.7, 1.0)
OTS_BETA_RANGE = (0.04, 0.2)
OTS_AIRLIGHT_RANGE = (0.8, 1.0)


def _as_float_images(value, name, ranks=(3, 4)):
    try:
        tensor = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be a numeric array or tensor. Received: {type(value).__name__} ({error})") from None
    if tensor.shape.rank not in ranks:
        raise ValueError(
            f"`{name}` must have rank {' or '.join(map(str, ranks))} ((batch,) height, width, channels). "
            f"Received: shape={tuple(tensor.shape) if tensor.shape.rank is not None else None}"
        )
    if any(dim == 0 for dim in tensor.shape):
        raise ValueError(f"`{name}` has a zero-size dimension. Received: shape={tuple(tensor.shape)}")
    if tensor.dtype not in FLOAT_DTYPES:
        raise ValueError(
            f"`{name}` must be a floating tensor with values in [0, 1] (convert integer images with "
            f"`tf.image.convert_image_dtype`). Received: dtype={tensor.dtype.name}"
        )
    return tf.cast(tensor, tf.float32)


def _check_eagerly(condition, message):
    """In eager mode, raises ValueError(message()) unless `condition()` holds.

    Both are callables, so nothing is computed while tracing a graph (value
    checks cannot run there; shapes and dtypes are still checked)."""
    if tf.executing_eagerly() and not bool(condition()):
        raise ValueError(message())


def _check_clean_values(clean):
    _check_eagerly(lambda: tf.reduce_all(tf.math.is_finite(clean)), lambda: "`clean` contains NaN or Inf values.")
    _check_eagerly(
        lambda: tf.reduce_all((clean >= 0.0) & (clean <= 1.0)),
        lambda: "`clean` must have values in [0, 1]. Received: "
        f"min={float(tf.reduce_min(clean)):.9g}, max={float(tf.reduce_max(clean)):.9g}",
    )


def _check_inputs(clean, depth):
    clean = _as_float_images(clean, "clean")
    depth = _as_float_images(depth, "depth", ranks=(clean.shape.rank,))
    if depth.shape[-1] != 1:
        raise ValueError(f"`depth` must have one channel. Received: depth.shape={tuple(depth.shape)}")
    if clean.shape[-3:-1] != depth.shape[-3:-1] and None not in clean.shape[-3:-1] + depth.shape[-3:-1]:
        raise ValueError(
            "`clean` and `depth` must have the same height and width. "
            f"Received: clean.shape={tuple(clean.shape)}, depth.shape={tuple(depth.shape)}"
        )
    _check_clean_values(clean)
    _check_eagerly(lambda: tf.reduce_all(tf.math.is_finite(depth)), lambda: "`depth` contains NaN or Inf values.")
    _check_eagerly(
        lambda: tf.reduce_all(depth >= 0.0),
        lambda: f"`depth` must be >= 0. Received: min={float(tf.reduce_min(depth)):.4g}",
    )
    return clean, depth


def _per_image(value, name, batched, channels, batch_size=None):
    """Broadcastable (N, 1, 1, 1 or C) / (1, 1, 1 or C) tensor of a parameter."""
    try:
        value = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be a number or a numeric array. Received: {name}={value!r} ({error})") from None
    if not (value.dtype.is_floating or value.dtype.is_integer) or value.dtype == tf.bool:
        raise ValueError(f"`{name}` must be a number or a numeric array. Received: dtype={value.dtype.name}")
    value = tf.cast(value, tf.float32)
    if value.shape.rank == 0:
        return value
    if batched and value.shape.rank in (1, 2) and None not in (value.shape[0], batch_size) and value.shape[0] != batch_size:
        raise ValueError(
            f"`{name}` must have one value per image ({batch_size}). Received: shape={tuple(value.shape)}"
        )
    if value.shape.rank == 1 and batched:
        return value[:, tf.newaxis, tf.newaxis, tf.newaxis]
    if value.shape.rank == 2 and batched and value.shape[-1] in (1, channels):
        return value[:, tf.newaxis, tf.newaxis, :]
    if value.shape.rank == 1 and not batched and value.shape[0] in (1, channels):
        return value[tf.newaxis, tf.newaxis, :]
    raise ValueError(
        f"`{name}` must be a scalar, one value per image (N,), or per image and channel (N, C). "
        f"Received: shape={tuple(value.shape)}"
    )


def add_haze(clean, depth, beta, airlight):
    """Applies the atmospheric scattering model.

    Args:
        clean: clean images `(N, H, W, C)` or `(H, W, C)`, float in [0, 1].
        depth: depth `(N, H, W, 1)` or `(H, W, 1)`, >= 0, in the units that
            `beta` expects (normalised to [0, 1] for the ITS ranges).
        beta: scattering coefficient >= 0: a scalar or one per image `(N,)`.
        airlight: atmospheric light in [0, 1]: scalar, `(N,)` or `(N, C)`.

    Returns:
        `(hazy, transmission)`: hazy images shaped like `clean`, in [0, 1],
        and the transmission `t = exp(-beta d)` shaped like `depth`.
    """
    clean, depth = _check_inputs(clean, depth)
    batched = clean.shape.rank == 4
    batch_size = clean.shape[0] if batched else None
    beta = _per_image(beta, "beta", batched, clean.shape[-1], batch_size)
    airlight = _per_image(airlight, "airlight", batched, clean.shape[-1], batch_size)
    _check_eagerly(
        lambda: tf.reduce_all((beta >= 0.0) & tf.math.is_finite(beta)),
        lambda: f"`beta` must be finite and >= 0. Received: beta={beta.numpy().ravel()[:4]}",
    )
    _check_eagerly(
        lambda: tf.reduce_all((airlight >= 0.0) & (airlight <= 1.0)),
        lambda: f"`airlight` must lie in [0, 1]. Received: airlight={airlight.numpy().ravel()[:4]}",
    )
    transmission = tf.exp(-beta * depth)
    hazy = clean * transmission + airlight * (1.0 - transmission)
    return hazy, transmission


def check_range(value, name, low=0.0, high=None):
    """`value` as a `(min, max)` pair of finite floats with `low <= min <= max <= high`; ValueError otherwise."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"`{name}` must be a (min, max) pair. Received: {name}={value!r}")
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a (min, max) pair of numbers. Received: {name}={value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or lo < low or (high is not None and hi > high):
        bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"`{name}` must satisfy min <= max within {bounds}. Received: {name}={tuple(value)!r}")
    return lo, hi


def random_haze(clean, depth, seed, beta_range=ITS_BETA_RANGE, airlight_range=ITS_AIRLIGHT_RANGE, gray_airlight=True):
    """Hazes each image with its own random `beta` and `A` (stateless, seeded).

    Args:
        clean: `(N, H, W, C)` or `(H, W, C)` in [0, 1].
        depth: matching depth, `(N, H, W, 1)` or `(H, W, 1)`.
        seed: shape `(2,)` integer seed, as for `tf.random.stateless_uniform`;
            the same seed gives the same haze.
        beta_range: `(min, max)` of the uniform `beta`.
        airlight_range: `(min, max)` of the uniform `A`.
        gray_airlight: one `A` for all channels (white-grey haze, as RESIDE);
            if False each channel draws its own (tinted haze).

    Returns:
        `(hazy, transmission, beta, airlight)`.
    """
    beta_range = check_range(beta_range, "beta_range")
    airlight_range = check_range(airlight_range, "airlight_range", 0.0, 1.0)
    clean, depth = _check_inputs(clean, depth)
    seed = tf.convert_to_tensor(seed)
    if seed.shape != (2,) or not seed.dtype.is_integer:
        raise ValueError(f"`seed` must be a shape (2,) integer tensor. Received: shape={tuple(seed.shape)}, dtype={seed.dtype.name}")
    batch_shape = tf.shape(clean)[:1] if clean.shape.rank == 4 else tf.constant([], tf.int32)
    beta_seed, airlight_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    beta = tf.random.stateless_uniform(batch_shape, beta_seed, *beta_range)
    channels = 1 if gray_airlight else clean.shape[-1]
    airlight = tf.random.stateless_uniform(tf.concat([batch_shape, [channels]], 0), airlight_seed, *airlight_range)
    hazy, transmission = add_haze(clean, depth, beta, airlight)
    return hazy, transmission, beta, airlight


def normalize_depth(depth):
    """Scales each depth map to [0, 1] by its own maximum (0 stays 0)."""
    depth = _as_float_images(depth, "depth")
    maximum = tf.reduce_max(depth, axis=(-3, -2, -1), keepdims=True)
    return tf.math.divide_no_nan(depth, maximum)


def depth_from_disparity(disparity, min_disparity=1e-3):
    """Normalised depth `(H, W, 1)` or `(N, H, W, 1)` from stereo disparity.

    Depth is proportional to 1 / disparity; pixels with no valid disparity
    (`<= min_disparity` or non-finite: occlusions are marked 0 or inf) are
    treated as the farthest. Each map is scaled to [0, 1].
    """
    try:
        disparity = tf.convert_to_tensor(disparity)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`disparity` must be a numeric array. ({error})") from None
    if disparity.shape.rank == 2:
        disparity = disparity[..., tf.newaxis]
    if not (disparity.dtype.is_floating or disparity.dtype.is_integer):
        raise ValueError(f"`disparity` must be numeric. Received: dtype={disparity.dtype.name}")
    disparity = tf.cast(disparity, tf.float32)
    _check_eagerly(
        lambda: tf.reduce_any(tf.math.is_finite(disparity) & (disparity > min_disparity)),
        lambda: "`disparity` has no valid (finite, positive) value.",
    )
    # Invalid pixels: no disparity (0) or non-finite (Middlebury marks them inf).
    valid = tf.math.is_finite(disparity) & (disparity > min_disparity)
    safe = tf.where(valid, disparity, 1.0)
    inverse = tf.where(valid, 1.0 / safe, 0.0)
    farthest = tf.reduce_max(inverse, axis=(-3, -2, -1), keepdims=True)
    return normalize_depth(tf.where(valid, inverse, farthest))


def synthetic_depth(height, width, seed, relief=0.15):
    """A documented depth prior for images that have no depth: a tilted
    ground plane plus a smooth random relief, in [0, 1].

    Depth rises linearly from the bottom row (near, `d0` in [0, 0.3]) to the
    top row (far, 1), the horizon tilted by up to +-0.15 across the width,
    plus low-frequency noise of amplitude `relief` (a bilinear upsampling of
    a 4x4 random grid), then clipped to [0, 1].

    Args:
        height, width: size in pixels (ints or scalar int tensors).
        seed: shape `(2,)` integer seed.
        relief: amplitude of the smooth random relief (>= 0).

    Returns:
        float32 `(height, width, 1)`.
    """
    if isinstance(relief, bool) or not isinstance(relief, (int, float)) or not relief >= 0:
        raise ValueError(f"`relief` must be a number >= 0. Received: relief={relief!r}")
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError(f"`{name}` must be an integer >= 2. Received: {name}={value!r}")
        if isinstance(value, int) and value < 2:
            raise ValueError(f"`{name}` must be >= 2. Received: {name}={value}")
    if isinstance(height, int) and isinstance(width, int):
        check_array_size((height, width), "The depth map", f"height={height}, width={width}")
    seeds = tf.random.experimental.stateless_split(tf.convert_to_tensor(seed), 3)
    near, tilt = tf.unstack(tf.random.stateless_uniform((2,), seeds[0], [0.0, -0.15], [0.3, 0.15]))
    rows = tf.linspace(1.0, 0.0, height)[:, tf.newaxis]  # 1 at the top
    columns = tf.linspace(-0.5, 0.5, width)[tf.newaxis, :]
    plane = near + (1.0 - near) * rows + tilt * columns * rows
    grid = tf.random.stateless_uniform((1, 4, 4, 1), seeds[1], -1.0, 1.0)
    smooth = tf.image.resize(grid, tf.stack([height, width]), method="bicubic")[0, ..., 0]
    return tf.clip_by_value(plane + relief * smooth, 0.0, 1.0)[..., tf.newaxis]


def _as_seed(seed):
    """`seed` (an int >= 0 or a shape `(2,)` integer seed) as an int64 `(2,)` tensor."""
    if isinstance(seed, bool):
        raise ValueError(f"`seed` must be an int >= 0 or a shape (2,) integer seed. Received: seed={seed!r}")
    if isinstance(seed, int):
        if seed < 0:
            raise ValueError(f"`seed` must be an int >= 0 or a shape (2,) integer seed. Received: seed={seed}")
        return tf.constant([seed, 0], tf.int64)
    try:
        tensor = tf.convert_to_tensor(seed)
    except (TypeError, ValueError):
        tensor = None
    if tensor is None or tensor.shape != (2,) or not tensor.dtype.is_integer:
        raise ValueError(f"`seed` must be an int >= 0 or a shape (2,) integer seed. Received: seed={seed!r}")
    return tf.cast(tensor, tf.int64)


def _hazy_image(clean, depth, key, beta_range, airlight_range, gray_airlight):
    """One image `(H, W, C)` hazed with the `(2,)` key: (hazy, transmission, beta, airlight, depth)."""
    depth_key, haze_key = tf.unstack(tf.random.experimental.stateless_split(key, 2))
    if depth is None:
        shape = tf.shape(clean)
        depth = synthetic_depth(shape[0], shape[1], depth_key)
    hazy, transmission, beta, airlight = random_haze(clean, depth, haze_key, beta_range, airlight_range, gray_airlight)
    return hazy, transmission, beta, airlight, depth


@tf.function(reduce_retracing=True)
def _hazy_batch(clean, depth, key, options):
    """`_hazy_image` over a batch, image `i` with `stateless_fold_in(key, i)` (one graph: fast eagerly)."""
    beta_range, airlight_range, gray_airlight = options
    count = tf.shape(clean)[0]
    keys = tf.map_fn(
        lambda index: tf.random.experimental.stateless_fold_in(key, index),
        tf.range(tf.cast(count, tf.int64)),
        fn_output_signature=tf.TensorSpec((2,), tf.int64),
    )
    channels = 1 if gray_airlight else clean.shape[-1]
    signature = (
        tf.TensorSpec(clean.shape[1:], tf.float32),
        tf.TensorSpec(clean.shape[1:-1] + (1,), tf.float32),
        tf.TensorSpec((), tf.float32),
        tf.TensorSpec((channels,), tf.float32),
        tf.TensorSpec(clean.shape[1:-1] + (1,), tf.float32),
    )
    if depth is None:
        return tf.map_fn(lambda item: _hazy_image(item[0], None, item[1], *options), (clean, keys), fn_output_signature=signature)
    return tf.map_fn(
        lambda item: _hazy_image(item[0], item[1], item[2], *options), (clean, depth, keys), fn_output_signature=signature
    )


def make_hazy_pairs(
    clean,
    seed,
    *,
    depth=None,
    beta_range=ITS_BETA_RANGE,
    airlight_range=ITS_AIRLIGHT_RANGE,
    gray_airlight=True,
    return_parameters=False,
):
    """`(hazy, clean)` pairs: clean images hazed with seeded random haze.

    Each image gets its own depth (the `synthetic_depth` prior unless
    `depth` is given), scattering coefficient `beta` and airlight, drawn
    uniformly from the ranges. The seeding is stateless and the same
    everywhere (see the module docstring): the same seed gives the same
    pairs, image `i` of a batch equals (to float rounding) the single image
    hazed with `tf.random.experimental.stateless_fold_in(seed, i)`, a batch's
    first `k` pairs do not depend on the images after them. Works eagerly
    and inside `tf.data.Dataset.map` (pass a per-example seed there).

    Args:
        clean: clean images `(N, H, W, C)` or one image `(H, W, C)`, float
            in [0, 1].
        seed: an int >= 0 or a shape `(2,)` integer seed (a tensor in a
            `tf.data` pipeline).
        depth: optional depth `(N, H, W, 1)` / `(H, W, 1)`, >= 0, in the
            units the ranges expect (normalised to [0, 1] for the ITS ranges:
            see `normalize_depth`); default: `synthetic_depth` per image.
        beta_range: `(min, max)` of `beta`; default RESIDE ITS
            (`ITS_BETA_RANGE`).
        airlight_range: `(min, max)` of the airlight, within [0, 1]; default
            `ITS_AIRLIGHT_RANGE`.
        gray_airlight: one airlight for all channels (as RESIDE); if False
            each channel draws its own (tinted haze).
        return_parameters: also return a dict of the haze parameters:
            `transmission` and `depth` shaped like the depth, `beta` (one per
            image) and `airlight` (one per image, or per image and channel).

    Returns:
        `(hazy, clean)` float32 tensors shaped like `clean`, or
        `(hazy, clean, parameters)` with `return_parameters=True`.

    Example:

    >>> clean = kfreqgan.data.photo_patches(["astronaut"], 64, 4, seed=0)
    >>> hazy, clean = kfreqgan.data.make_hazy_pairs(clean, seed=1)
    >>> hazy.shape
    TensorShape([4, 64, 64, 3])
    """
    beta_range = check_range(beta_range, "beta_range")
    airlight_range = check_range(airlight_range, "airlight_range", 0.0, 1.0)
    if depth is None:
        clean = _as_float_images(clean, "clean")
        _check_clean_values(clean)
    else:
        clean, depth = _check_inputs(clean, depth)
    key = _as_seed(seed)
    options = (beta_range, airlight_range, gray_airlight)
    if clean.shape.rank == 3:
        hazy, transmission, beta, airlight, depth = _hazy_image(clean, depth, key, *options)
    else:
        hazy, transmission, beta, airlight, depth = _hazy_batch(clean, depth, key, options)
    if not return_parameters:
        return hazy, clean
    parameters = {"transmission": transmission, "depth": depth, "beta": beta, "airlight": airlight}
    return hazy, clean, parameters
