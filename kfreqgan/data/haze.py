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
- for a photo without one, the layered prior `layered_depth` (NumPy and
  scikit-image, computed once per photo: sky at infinity, ground receding
  to the horizon, upright regions in front of what is behind them, depth
  edges on image edges; `sky_mask` finds the sky),
- or, when there is none, the synthetic prior `synthetic_depth`: a ground
  plane seen from a camera (depth grows linearly from the bottom row to the
  top row, with a random horizon tilt and range) plus a smooth random
  relief. It is a prior about typical outdoor framing, not an estimate of
  the photo's geometry.
"""

import math

import numpy as np
import tensorflow as tf

from kfreqgan._validation import FLOAT_DTYPES
from kfreqgan._validation import check_array_size
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_no_zero_size
from kfreqgan._validation import is_integer
from kfreqgan._validation import is_real_number

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
    check_no_zero_size(tensor.shape, name)
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


def random_haze(
    clean, depth, seed, beta_range=ITS_BETA_RANGE, airlight_range=ITS_AIRLIGHT_RANGE, gray_airlight=True, airlight_tint=0.0
):
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
        airlight_tint: with `gray_airlight`, each channel of the grey `A`
            is shifted by its own uniform draw in `[-tint, tint]` (slightly
            tinted greys: warm, cold or greenish haze), then clipped to
            [0, 1]; 0 (default) keeps it grey and the draws unchanged.

    Returns:
        `(hazy, transmission, beta, airlight)`.
    """
    _check_tint(airlight_tint)
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
    if gray_airlight and airlight_tint > 0:
        shape = tf.concat([batch_shape, [clean.shape[-1]]], 0)
        tint_seed = tf.random.experimental.stateless_fold_in(airlight_seed, 1)
        shift = tf.random.stateless_uniform(shape, tint_seed, -airlight_tint, airlight_tint)
        airlight = tf.clip_by_value(airlight + shift, 0.0, 1.0)
    hazy, transmission = add_haze(clean, depth, beta, airlight)
    return hazy, transmission, beta, airlight


def _check_tint(airlight_tint):
    if not is_real_number(airlight_tint) or not 0 <= airlight_tint <= 0.5:
        raise ValueError(f"`airlight_tint` must be a number in [0, 0.5]. Received: airlight_tint={airlight_tint!r}")


def _airlight_channels(clean, gray_airlight, airlight_tint):
    return clean.shape[-1] if (not gray_airlight or airlight_tint > 0) else 1


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
    check_at_least(relief, "relief")
    height, width = (int(value) if is_integer(value) else value for value in (height, width))
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, (bool, np.bool_, float, np.floating)):
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
    if isinstance(seed, (bool, np.bool_)):
        raise ValueError(f"`seed` must be an int >= 0 or a shape (2,) integer seed. Received: seed={seed!r}")
    if is_integer(seed):
        if seed < 0:
            raise ValueError(f"`seed` must be an int >= 0 or a shape (2,) integer seed. Received: seed={seed}")
        return tf.constant([int(seed), 0], tf.int64)
    try:
        tensor = tf.convert_to_tensor(seed)
    except (TypeError, ValueError):
        tensor = None
    if tensor is None or tensor.shape != (2,) or not tensor.dtype.is_integer:
        raise ValueError(f"`seed` must be an int >= 0 or a shape (2,) integer seed. Received: seed={seed!r}")
    return tf.cast(tensor, tf.int64)


def _hazy_image(clean, depth, key, beta_range, airlight_range, gray_airlight, airlight_tint=0.0):
    """One image `(H, W, C)` hazed with the `(2,)` key: (hazy, transmission, beta, airlight, depth)."""
    depth_key, haze_key = tf.unstack(tf.random.experimental.stateless_split(key, 2))
    if depth is None:
        shape = tf.shape(clean)
        depth = synthetic_depth(shape[0], shape[1], depth_key)
    hazy, transmission, beta, airlight = random_haze(
        clean, depth, haze_key, beta_range, airlight_range, gray_airlight, airlight_tint
    )
    return hazy, transmission, beta, airlight, depth


@tf.function(reduce_retracing=True)
def _hazy_batch(clean, depth, key, options):
    """`_hazy_image` over a batch, image `i` with `stateless_fold_in(key, i)` (one graph: fast eagerly)."""
    beta_range, airlight_range, gray_airlight, airlight_tint = options
    count = tf.shape(clean)[0]
    keys = tf.map_fn(
        lambda index: tf.random.experimental.stateless_fold_in(key, index),
        tf.range(tf.cast(count, tf.int64)),
        fn_output_signature=tf.TensorSpec((2,), tf.int64),
    )
    channels = _airlight_channels(clean, gray_airlight, airlight_tint)
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
    airlight_tint=0.0,
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
        airlight_tint: shifts each channel of the grey airlight by its own
            uniform draw in `[-tint, tint]` (slightly tinted greys; 0, the
            default, keeps it grey and every draw as without it).
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
    _check_tint(airlight_tint)
    options = (beta_range, airlight_range, gray_airlight, float(airlight_tint))
    if clean.shape.rank == 3:
        hazy, transmission, beta, airlight, depth = _hazy_image(clean, depth, key, *options)
    else:
        hazy, transmission, beta, airlight, depth = _hazy_batch(clean, depth, key, options)
    if not return_parameters:
        return hazy, clean
    parameters = {"transmission": transmission, "depth": depth, "beta": beta, "airlight": airlight}
    return hazy, clean, parameters


def supervision_targets(parameters):
    """One example's `make_hazy_pairs` parameters as the truth
    `FreqGAN(airlight_supervision_weight=..., transmission_supervision_weight=...)`
    reads from a dataset's third element: `{"transmission": (H, W, 1),
    "airlight": (1, 1, C)}` (batched: `(N, 1, 1, C)`, the generator's
    airlight shape).

    Args:
        parameters: the dict of `make_hazy_pairs(..., return_parameters=True)`
            for one image.
    """
    return {"transmission": parameters["transmission"], "airlight": tf.reshape(parameters["airlight"], (1, 1, -1))}


# Haze for the v2 dehazer (`dehaze-v2`): with `layered_depth` (sky at 1,
# ground up to 0.7-0.9), beta from 0.3 (thin: t >= 0.74 on the sky) through
# RESIDE ITS's range to dense haze (t = 0.05 on the sky, 0.07-0.12 on the far
# ground), and airlight from grey-white down to a darker grey (dusk, indoor
# light), slightly tinted per channel (`airlight_tint`).
WIDE_BETA_RANGE = (0.3, 3.0)
WIDE_AIRLIGHT_RANGE = (0.6, 1.0)


def _box_mean_np(values, radius):
    from scipy import ndimage

    return ndimage.uniform_filter(values, size=2 * radius + 1, mode="nearest")


def sky_mask(image, brightness=0.4, texture=0.03):
    """Where a photo shows sky: bright, low-texture regions connected to the top row.

    A pixel is a sky candidate when its local mean grey level (a window of
    about 3% of the shorter side) is above `brightness` and its local
    standard deviation below `texture`; sky is every connected candidate
    region that touches the top row, with its holes (birds, wires) filled.
    Clear, overcast and sunset skies qualify; so does a smooth, out-of-focus
    background at the top of a close-up, which is also far away.

    Args:
        image: `(H, W, 3)` or `(H, W, 1)` array in [0, 1].
        brightness: minimum local mean grey level.
        texture: maximum local standard deviation of the grey level.

    Returns:
        bool `(H, W)` array.
    """
    import numpy as np
    from scipy import ndimage

    from kfreqgan.spectral import GRAY_WEIGHTS

    image = np.asarray(image, np.float32)
    grey = image @ np.asarray(GRAY_WEIGHTS, np.float32) if image.shape[-1] == 3 else image[..., 0]
    radius = max(1, int(round(0.015 * min(grey.shape))))
    mean = _box_mean_np(grey, radius)
    deviation = np.sqrt(np.maximum(_box_mean_np(grey * grey, radius) - mean * mean, 0.0))
    candidate = (mean > brightness) & (deviation < texture)
    labels, _ = ndimage.label(candidate)
    top = np.unique(labels[0][labels[0] > 0])
    sky = np.isin(labels, top)
    # Fill holes that do not reach the bottom edge (birds, wires, a plane).
    return ndimage.binary_fill_holes(sky) if sky.any() else sky


def layered_depth(image, seed, near_range=(0.03, 0.25), far_range=(0.7, 0.9), horizon_range=(0.3, 0.65), relief=0.04):
    """A depth prior `(H, W, 1)` in [0, 1] for a photo that has no depth map.

    It builds the layered geometry of a typical photo and aligns its depth
    discontinuities with the photo's own edges:

    1. **Sky at infinity**: `sky_mask` (bright, low-texture, connected to
       the top row) gets depth 1, the farthest.
    2. **Ground receding to the horizon**: below the horizon (the sky's
       lower edge where there is sky, else a random row in
       `horizon_range`, tilted by up to +-5%) the depth of a ground plane
       seen from a camera, `d(y) = near (1 - y_h + e) / (y - y_h + e)`,
       rising from `near` at the bottom row towards `far` at the horizon
       (clipped there; rows are fractions of the height, `e = 0.05`).
       Non-sky content above the horizon (mountains, buildings, walls) is
       at `far`.
    3. **Objects in front of walls**: the photo is cut into regions
       (Felzenszwalb's graph segmentation, scikit-image); a region that is
       at least about as tall as it is wide stands upright on the ground,
       at the ground depth of its lowest rows (so it is nearer than what is
       above and behind it); flat, wide regions (floors, lawns, water) keep
       the receding ground plane. Each region's depth is jittered by +-5%.
    4. **Edges where the image has edges**: the layered map is smoothed
       with a guided filter guided by the photo (edge-aware: smooth within
       regions, sharp at their borders), a smooth random relief of
       amplitude `relief` is added, and the sky is set back to 1.

    It is a prior about typical framing (camera roughly level, ground at
    the bottom), not an estimate of the photo's geometry: an aerial view or
    a ceiling gets the same ground plane.

    Args:
        image: `(H, W, 3)` array in [0, 1] (NumPy; not usable in a graph).
        seed: an int or NumPy seed sequence; the same seed gives the same map.
        near_range: `(min, max)` of the depth at the bottom row.
        far_range: `(min, max)` of the farthest non-sky depth (< 1).
        horizon_range: `(min, max)` of the horizon row (fraction of the
            height from the top) when there is no sky.
        relief: amplitude of the smooth random relief (>= 0).

    Returns:
        float32 `(H, W, 1)` array in [0, 1].

    Raises:
        ImportError: without scikit-image (`pip install kfreqgan[demo]`).
    """
    try:
        from skimage.segmentation import felzenszwalb
        from skimage.transform import resize
    except ImportError as error:
        raise ImportError("`layered_depth` needs scikit-image: pip install 'kfreqgan[demo]'") from error
    import numpy as np

    from kfreqgan.dark_channel_prior import guided_filter
    from kfreqgan.spectral import GRAY_WEIGHTS

    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] not in (1, 3) or min(image.shape[:2]) < 8:
        raise ValueError(f"`image` must have shape (H, W, 3) or (H, W, 1) with sides >= 8. Received: shape={image.shape}")
    if not np.all(np.isfinite(image)) or image.min() < 0 or image.max() > 1:
        raise ValueError("`image` must hold finite values in [0, 1].")
    near_range = check_range(near_range, "near_range", 0.0, 1.0)
    far_range = check_range(far_range, "far_range", 0.0, 1.0)
    horizon_range = check_range(horizon_range, "horizon_range", 0.0, 1.0)
    if near_range[1] >= far_range[0] or far_range[1] >= 1.0:
        raise ValueError(
            "`near_range` must lie below `far_range`, and `far_range` below 1 (the sky). "
            f"Received: near_range={near_range}, far_range={far_range}"
        )
    check_at_least(relief, "relief")
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
    grey = rgb @ np.asarray(GRAY_WEIGHTS, np.float32)
    near = rng.uniform(*near_range)
    far = rng.uniform(*far_range)

    # 1-2. Sky and the horizon; the ground plane below it.
    sky = sky_mask(rgb)
    rows = (np.arange(height, dtype=np.float32) + 0.5) / height
    columns = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
    if sky.any() and sky.mean() > 0.02:
        lowest = np.where(sky.any(axis=0), height - 1 - np.argmax(sky[::-1], axis=0), -1)
        horizon = float(np.clip(np.median(lowest[lowest >= 0]) / height, 0.05, 0.9))
    else:
        horizon = rng.uniform(*horizon_range)
    horizon_map = horizon + rng.uniform(-0.05, 0.05) * columns[np.newaxis, :]  # (1, W)
    margin = 0.05
    y = rows[:, np.newaxis]
    ground = near * (1.0 - horizon_map + margin) / np.maximum(y - horizon_map + margin, 1e-6)
    ground = np.where(y > horizon_map, np.minimum(ground, far), far).astype(np.float32)

    # 3. Regions: upright ones stand at the ground depth of their foot.
    scale = 0.5 * max(height, width)
    regions = felzenszwalb(rgb, scale=scale, sigma=0.8, min_size=max(16, height * width // 600))
    depth = ground.copy()
    order = np.argsort(regions, axis=None, kind="stable")
    boundaries = np.flatnonzero(np.diff(regions.ravel()[order])) + 1
    for members in np.split(order, boundaries):
        r, c = np.unravel_index(members, regions.shape)
        tall = (r.max() - r.min() + 1) >= 0.8 * (c.max() - c.min() + 1)
        jitter = 1.0 + rng.uniform(-0.05, 0.05)
        if tall:
            foot = np.percentile(r, 95).astype(int)
            depth[r, c] = ground[foot, c] * jitter
        else:
            depth[r, c] = ground[r, c] * jitter

    # 4. Edge-aware smoothing guided by the photo, relief, the sky at 1.
    radius = max(1, int(round(0.02 * min(height, width))))
    depth = guided_filter(grey, depth, radius, 1e-3, border="nearest")
    if relief > 0:
        grid = rng.uniform(-1.0, 1.0, (4, 4))
        smooth = resize(grid, (height, width), order=3, mode="edge")
        depth = depth + relief * smooth
    depth = np.clip(depth, 0.0, far)
    depth[sky] = 1.0
    return depth[..., np.newaxis].astype(np.float32)
