"""Input checks shared by the spectral functions and the layers.

Every public entry point funnels its tensors through `as_image_batch` so that
bad input fails early with a `ValueError` that names the argument, what was
expected and what arrived (`... Received: shape=(2, 3)`).
"""

import numpy as np

_FLOAT_DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64")


def __getattr__(name):
    # TensorFlow is imported on first use, not with this module (the
    # command-line programs import it for their option defaults, see
    # kfreqgan._startup).
    if name == "FLOAT_DTYPES":
        import tensorflow as tf

        return tuple(tf.as_dtype(dtype) for dtype in _FLOAT_DTYPE_NAMES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

MAX_ARRAY_ELEMENTS = 2**31 - 1
"""The most elements kfreqgan lets one array it allocates have (8 GiB of
float32; also the largest size an int32 index reaches). A request for more
(a 10**6 x 10**6 frequency grid, say) fails at once with a `ValueError`
instead of trying to allocate."""


def check_array_size(shape, what, received):
    """Raises `ValueError` if an array of `shape` would exceed `MAX_ARRAY_ELEMENTS`.

    Call it before allocating. `what` describes the array (`"the frequency
    grid"`), `received` is the `name=value` text of the arguments that set
    its size.
    """
    count = 1
    for dim in shape:
        count *= int(dim)
    if count > MAX_ARRAY_ELEMENTS:
        raise ValueError(
            f"{what} would have shape {tuple(int(dim) for dim in shape)}, {count:.3g} elements, more "
            f"than the {MAX_ARRAY_ELEMENTS} (2**31 - 1) that one array may have. Received: {received}"
        )


def check_float_dtype(dtype, name):
    """Raises `ValueError` unless `dtype` (a tf.DType or a name) is a float type."""
    import tensorflow as tf

    dtype = tf.as_dtype(dtype)
    if dtype.name not in _FLOAT_DTYPE_NAMES:
        raise ValueError(
            f"`{name}` must be a floating tensor (float16, bfloat16, float32 or "
            f"float64) with values in [0, 1]; convert integer images with "
            f"`tf.image.convert_image_dtype`. Received: dtype={dtype.name}"
        )


def check_unit_range(images, name="images", what="finite floating-point images"):
    """Raises `ValueError` unless the NumPy array `images` is finite and in
    [0, 1], as images are everywhere in kfreqgan.

    For the NumPy entry points that feed a model (an exported generator, a
    `.tflite` model, int8 calibration, the `Dehazer`), where values beyond
    [0, 1] would run silently: a float model extrapolates, calibration
    widens its ranges, a uint8 model's pixels wrap around. Check the array
    as given, before a cast to float32 makes float64 values beyond its
    range (1e300) infinite. `what` is what the message says `name` must be
    (`"a finite floating-point image"` for one image).
    """
    finite = np.isfinite(images)
    if not finite.all():
        raise ValueError(
            f"`{name}` must be {what} in [0, 1]. "
            f"Received: {int(images.size - np.count_nonzero(finite))} non-finite of {images.size} values"
        )
    if images.size and not (images.min() >= 0 and images.max() <= 1):
        raise ValueError(
            f"`{name}` must be {what} in [0, 1] (divide uint8 pixels by 255). "
            f"Received: range=[{float(images.min())!r}, {float(images.max())!r}]"
        )


def check_nonempty_batch(inputs, name="images", what="image"):
    """Raises `ValueError` when `inputs` (an array, tensor or `tf.data.Dataset`)
    is known to hold no samples.

    Keras's `predict` fails on no samples with an `UnboundLocalError`
    (Keras 3.15; tf.keras refused them with a `ValueError`), and a network
    called on an empty batch fails deep inside TensorFlow (a convolution's
    `InvalidArgumentError`), so the entry points that run a model refuse an
    empty batch first, as tf.keras did, and as the exported generators and
    the serving signatures do. A batch size unknown until run time (inside
    a `tf.function`) is not checked.

    Args:
        inputs: what is about to run through the model.
        name: how the argument is called in the message.
        what: what one sample is (`"image"`, `"sample"`).
    """
    import tensorflow as tf

    if isinstance(inputs, tf.data.Dataset):
        if int(inputs.cardinality()) == 0:
            raise ValueError(f"`{name}` must yield at least one batch. Received: {name}.cardinality()=0")
        return
    shape = getattr(inputs, "shape", None)
    if shape is not None and len(shape) and shape[0] == 0:
        raise ValueError(f"`{name}` must hold at least one {what}. Received: shape={tuple(shape)}")


def check_no_zero_size(shape, name):
    """Raises `ValueError` if a known dimension of `shape` (an array's or a
    tensor's) is zero: no images, no rows, no columns or no channels, which
    would fail later inside TensorFlow or NumPy, or give an empty result."""
    if any(dim == 0 for dim in shape):
        raise ValueError(f"`{name}` has a zero-size dimension. Received: shape={tuple(shape)}")


def as_image_batch(images, name="images", check_finite=True):
    """Returns `images` as a float32 NHWC tensor, or raises `ValueError`.

    Checks, in order: the value converts to a tensor, its rank is 4, no known
    dimension is zero, its dtype is a floating type, and (in eager mode only,
    when `check_finite`) it holds no NaN or Inf. Inside a `tf.function` the
    values are not inspected, so traced code pays nothing for the check.
    """
    import tensorflow as tf

    try:
        tensor = tf.convert_to_tensor(images)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be a numeric array or tensor of shape "
            f"(batch, height, width, channels). Received: {type(images).__name__} "
            f"that does not convert to a tensor ({error})."
        ) from None
    shape = tensor.shape
    if shape.rank != 4:
        raise ValueError(
            f"`{name}` must have rank 4 (batch, height, width, channels). "
            f"Received: shape={tuple(shape) if shape.rank is not None else None}"
        )
    check_no_zero_size(shape, name)
    check_float_dtype(tensor.dtype, name)
    if check_finite and tf.executing_eagerly():
        finite = tf.reduce_all(tf.math.is_finite(tf.cast(tensor, tf.float32)))
        if not bool(finite):
            size = int(tf.size(tensor))
            bad = size - int(tf.math.count_nonzero(tf.math.is_finite(tensor)))
            if not bad:  # float64 values that float32 cannot hold
                beyond = size - int(tf.math.count_nonzero(tf.math.is_finite(tf.cast(tensor, tf.float32))))
                raise ValueError(
                    f"`{name}` holds values beyond float32's range (|x| > 3.4e38), which the "
                    f"float32 maths would make infinite. Received: {beyond} such of {size} values, "
                    f"shape={tuple(shape)}"
                )
            raise ValueError(
                f"`{name}` contains NaN or Inf values. Received: {bad} non-finite of "
                f"{size} values, shape={tuple(shape)}"
            )
    return tf.cast(tensor, tf.float32)


def check_transform_range(images, name="images", squared=True):
    """Raises `ValueError` if the float32 DFT of `images` could overflow.

    A DFT coefficient is a sum over the image plane, so `|F| <= H W max|x|`,
    and the power `|F|^2` (and every sum of it: by Parseval the total power
    is `H W sum(x ** 2)`) stays below `(H W max|x|) ** 2`. Where that could
    pass float32's largest value (3.4e38) the spectra would hold inf and
    their shares NaN, with no error: refused instead, with half of float32's
    range as a margin for round-off. With `squared=False` (a filter, which
    transforms back) the bound is on `H W max|x|` itself. Images in [0, 1],
    or 0..65535, never come near it at any size kfreqgan allows.

    Checked in eager mode only, as the finiteness in `as_image_batch`;
    `images` is a float32 NHWC tensor as that returns it.
    """
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    if not tf.executing_eagerly() or height is None or width is None:
        return
    pixels = int(height) * int(width)
    limit = (_FLOAT32_MAX ** 0.5 if squared else _FLOAT32_MAX) / 2.0 / pixels
    largest = float(tf.reduce_max(tf.abs(images)))
    if largest > limit:
        what = "power spectrum |F|^2" if squared else "Fourier transform"
        raise ValueError(
            f"`{name}` holds values too large for the float32 {what} of a {height}x{width} image, "
            f"which would overflow to inf: |x| may be at most {limit:.3g} at this size (images are "
            f"expected in [0, 1]; scale them down first). Received: max(|{name}|)={largest:.3g}, "
            f"shape={tuple(images.shape)}"
        )


def as_image_pair(first, second, names=("a", "b"), check_finite=True):
    """Two image batches of one shape, each as `as_image_batch` returns it.

    Each is checked as an image batch (`check_finite` as there); then the
    two must have the same shape: a function of pairs that broadcast a
    batch of 1 against 2, or 1 channel against 3, would return plausible
    numbers for a wrong pairing. Where a shape is only known when the graph
    runs, the check runs there (not under XLA, `jit_compile=True`, which
    drops assertions).

    Args:
        first, second: the two batches.
        names: their names in messages.
        check_finite: as for `as_image_batch`.

    Raises:
        ValueError: naming the batch that is not an image batch, or both
            shapes.
    """
    import tensorflow as tf

    first_name, second_name = names
    first = as_image_batch(first, first_name, check_finite)
    second = as_image_batch(second, second_name, check_finite)
    if not first.shape.is_compatible_with(second.shape):
        raise ValueError(
            f"`{first_name}` and `{second_name}` must have the same shape. "
            f"Received: {first_name}.shape={tuple(first.shape)}, {second_name}.shape={tuple(second.shape)}"
        )
    if not (first.shape.is_fully_defined() and second.shape.is_fully_defined()):
        message = f"`{first_name}` and `{second_name}` must have the same shape"
        with tf.control_dependencies([tf.debugging.assert_equal(tf.shape(first), tf.shape(second), message=message)]):
            second = tf.identity(second)
    return first, second


def check_image_sets(first, second, names):
    """Raises `ValueError` unless two image sets hold images of one shape.

    For the metrics that compare sets (FID, KID, a generator's samples
    against real images): the numbers of images may differ, each image's
    `(height, width, channels)` may not. A feature extractor resizes both
    sets to its input size, so sets of 32x32 and 16x16 images would give a
    plausible number that mostly measures the resizing; grey against colour
    likewise. `first` and `second` are anything with a `.shape` (arrays,
    tensors); `names` their names in the message.
    """
    first_name, second_name = names
    first_shape, second_shape = tuple(first.shape), tuple(second.shape)
    if first_shape[1:] != second_shape[1:]:
        raise ValueError(
            f"`{first_name}` and `{second_name}` must hold images of the same height, width and "
            "channels (the numbers of images may differ); resize or convert one set first. "
            f"Received: {first_name}.shape={first_shape}, {second_name}.shape={second_shape}"
        )


def static_spatial_size(images, name="images", purpose="this operation"):
    """Returns (height, width) as Python ints, or raises if either is unknown."""
    height, width = images.shape[1], images.shape[2]
    if height is None or width is None:
        raise ValueError(
            f"{purpose} needs a static height and width for `{name}` (the "
            f"frequency bins are built once per shape). Received: "
            f"shape={tuple(images.shape)}"
        )
    return int(height), int(width)


def spatial_size(images):
    """(height, width) of an NHWC tensor: Python ints where the shape is
    static, scalar int32 tensors where it is not (what `spectral.carrier`
    and the band masks take)."""
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    dynamic = tf.shape(images)
    return (dynamic[1] if height is None else int(height), dynamic[2] if width is None else int(width))


def check_frequency(value, name, allow_none=False):
    """Checks a cut-off frequency in cycles/pixel: a finite number >= 0."""
    if value is None and allow_none:
        return None
    # NumPy scalars (np.float32(0.25), np.int64(0)) are numbers too.
    if not is_real_number(value):
        raise ValueError(
            f"`{name}` must be a frequency in cycles/pixel (a number >= 0). "
            f"Received: {name}={value!r}"
        )
    value = float(value)
    if not value >= 0.0 or value == float("inf"):
        raise ValueError(
            f"`{name}` must be a finite frequency in cycles/pixel >= 0. "
            f"Received: {name}={value}"
        )
    return value


def is_integer(value):
    """Whether `value` is an integer: a Python or a NumPy integer
    (`np.int64(3)`, an element of an integer array), not a bool.

    The one test of "an integer" for arguments: a count or a size that
    comes out of NumPy is as good as a Python int (as in NumPy and Keras);
    `True`, `3.0` and `"3"` are not integers. Convert with `int()` before
    storing it, so that configs and JSON hold Python ints.
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real_number(value):
    """Whether `value` is a real number: a Python or NumPy int or float
    (`np.float32(0.1)`, `np.int64(2)`), not a bool. Finite or not."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def is_finite_non_negative(value):
    """Whether `value` is a real number (`is_real_number`) that is finite
    and >= 0 as a float: an int too large for one (10**400) is not (it
    passed `< inf` and failed as OverflowError where it was used)."""
    try:
        return is_real_number(value) and 0 <= float(value) < float("inf")
    except OverflowError:
        return False


def check_positive_int(value, name, allow_none=False):
    """Checks `value` is an integer >= 1 (not a bool; see `is_integer`);
    returns it as int."""
    if value is None and allow_none:
        return None
    if not is_integer(value) or value < 1:
        expected = "None or a positive integer" if allow_none else "a positive integer"
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")
    return int(value)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_at_least(value, name, low=0.0, strict=False, high=None):
    """Checks a scalar hyperparameter and returns it as a float.

    `value` must be a real number (a Python or NumPy int or float; not a
    bool, a string or None), finite, `>= low` (`> low` with `strict`) and,
    if `high` is given, `< high`. NaN and infinities fail, and so do
    numbers beyond float32's range (they become infinite in the float32
    maths they feed): a loss weight, a floor or a scale that is infinite
    only ever yields non-finite results.
    """
    if not (
        is_real_number(value)
        and np.isfinite(value)
        and abs(float(value)) <= _FLOAT32_MAX
        and (value > low if strict else value >= low)
        and (high is None or value < high)
    ):
        bound = f"{'>' if strict else '>='} {low:g}" + (f" and < {high:g}" if high is not None else "")
        raise ValueError(f"`{name}` must be a finite number {bound}. Received: {name}={value!r}")
    return float(value)


def check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(map(repr, choices))}. "
            f"Received: {name}={value!r}"
        )
    return value


IMAGE_CHANNELS = (1, 3)
"""The channel counts of the images kfreqgan makes: grey or RGB."""


def check_image_channels(channels, name="channels"):
    """Checks the channel count of the images a generator makes: 1 (grey)
    or 3 (RGB), a Python or NumPy integer; returns it as int.

    Discriminators take stacks of channels (a condition and a candidate,
    band-filtered copies) and are not held to it.
    """
    if not is_integer(channels) or channels not in IMAGE_CHANNELS:
        raise ValueError(f"`{name}` must be 1 or 3. Received: {name}={channels!r}")
    return int(channels)


def check_image_shape(image_shape, allow_any_size=False, image_channels=False):
    """Checks a model builder's `image_shape`, `(height, width, channels)` of
    positive integers (Python or NumPy; height and width may be None with
    `allow_any_size`) in a tuple, a list or a 1-D NumPy array; returns it as
    a tuple of Python ints (and Nones). With `image_channels` the channels
    must be 1 or 3, as `check_image_channels` checks them (a generator's
    images)."""
    if isinstance(image_shape, np.ndarray) and image_shape.ndim == 1:
        image_shape = tuple(image_shape.tolist())
    sizes_ok = isinstance(image_shape, (tuple, list)) and len(image_shape) == 3 and all(
        (size is None and allow_any_size and axis < 2) or (is_integer(size) and size > 0)
        for axis, size in enumerate(image_shape)
    )
    if not sizes_ok:
        sizes = "positive ints (height and width may be None)" if allow_any_size else "positive ints"
        raise ValueError(f"`image_shape` must be (height, width, channels) of {sizes}. Received: image_shape={image_shape!r}")
    if image_channels and image_shape[-1] not in IMAGE_CHANNELS:
        raise ValueError(
            f"`image_shape` must have 1 or 3 channels (grey or RGB). Received: image_shape={tuple(image_shape)!r}"
        )
    return tuple(None if size is None else int(size) for size in image_shape)


def check_bool(value, name):
    """Checks a flag is True or False (a Python or NumPy bool); returns it
    as a Python bool.

    `bool(value)` would turn the string `"False"`, `"no"` or a list into
    True and None into False, a silent flip of what was asked for.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return bool(value)


def check_layer_input(layer, input_shape, channels=None):
    """Checks a layer's input shape is NHWC; returns it as a tuple.

    Also refuses an image plane (height x width) larger than
    `MAX_ARRAY_ELEMENTS`, before the layer builds anything of that size.
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) != 4:
        raise ValueError(
            f"{type(layer).__name__} expects images of shape (batch, height, "
            f"width, channels). Received: input_shape={input_shape if shape is None else shape!r}"
        )
    if any(dim == 0 for dim in shape):
        raise ValueError(
            f"{type(layer).__name__} received a zero-size dimension. "
            f"Received: input_shape={shape}"
        )
    if channels is not None and shape[-1] not in channels:
        raise ValueError(
            f"{type(layer).__name__} expects {' or '.join(map(str, channels))} "
            f"channels. Received: input_shape={shape}"
        )
    if shape[1] is not None and shape[2] is not None:
        check_array_size(shape[1:3], f"{type(layer).__name__}'s image plane", f"input_shape={shape}")
    return shape


def check_layer_dtype(layer, inputs):
    """Raises `ValueError` unless a layer's input tensor has a float dtype.

    Keras casts float inputs to the layer's compute dtype but passes others
    through; the frequency layers would silently drop the imaginary part of a
    complex input or treat `uint8` pixels as values up to 255.
    """
    import keras
    import tensorflow as tf

    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if tf.as_dtype(dtype).name not in _FLOAT_DTYPE_NAMES:
        raise ValueError(
            f"{type(layer).__name__} expects floating images (float16, bfloat16, float32 or "
            f"float64) with values in [0, 1]; convert integer images with "
            f"`tf.image.convert_image_dtype`. Received: dtype={dtype}"
        )


def first_line(error, limit=None):
    """The first non-empty line of an exception's message, stripped (its type
    name when the message is empty), cut to `limit` characters if given: how
    kfreqgan quotes another library's error inside its own one-line message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return text if limit is None else text[:limit]
