"""Dehazing photos of any size with a trained generator: `Dehazer`, `dehaze`.

A whole-image dehazer (`is_whole_image_model`: one with a `GuidedFilter`,
such as `kfreqgan.models.coherent_dehazer` and the shipped
`kfreqgan.pretrained.dehazer()`) sees the whole photo at a fixed size in
its learned part and works at full resolution only with resizing, box means
and arithmetic, so `Dehazer` runs it once on the whole photo, untiled: its
cost and memory grow only linearly with the pixels (a 12-megapixel photo
in about a second and 2-3 GB here, see the tests and BENCHMARKS.md), and
tiling would cut its whole-image context. No receptive radius is measured.

A U-Net dehazer trained on small crops is fully convolutional, so the same
weights apply to any image; what limits the size is memory. `Dehazer`

1. reflect-pads the image to the multiple of `2 ** depth` that the U-Net
   needs (and crops the result back), so any size and aspect ratio works;
2. above `tile_size`, runs the network on overlapping tiles that start on
   that multiple and blends them with weights that are zero within
   `margin` of a tile's inner edge (`kfreqgan.tiling`). The margin defaults
   to the network's receptive radius (`receptive_radius`, measured once by
   a gradient), so every pixel kept was computed with all the context a
   single pass would have given it: no seam shows, and memory is bounded by
   one tile whatever the photo's size;
3. for a generator with the scattering head (`unet_generator(...,
   head="scattering")`, or any whose output is its `InvertScattering`'s,
   or a ReLU of it: per-pixel transmission `t`, one airlight `A` per
   image), estimates `A` once from the whole image (downscaled so that its
   longer side is at most `airlight_size`), tiles only `t`, and inverts
   the haze model at full resolution. Tiles then agree on `A`, and the
   tiled result equals the untiled one away from the image's border (to
   1e-4 on a real photo, see the tests).

Models: a Keras generator (a `.keras` file or a `keras.Model`), a
SavedModel directory written by `kfreqgan-export` (signature
`serving_default` or `serving_uint8`), or a `.tflite` file from
`kfreqgan-export --format tflite` (float32 or uint8 input), opened by the
package's one loader, `kfreqgan.models.loading.load_generator`. Exports
with a fixed input size (`--image-size`, and TFLite exports of a U-Net)
have it as their tile size and are run as black boxes (each tile estimates
its own airlight; the blending hides the seams but tiled and untiled
results then differ slightly). An export of a whole-image dehazer that
takes any size (`kfreqgan-export` without `--image-size`) is run once on
the whole photo, untiled, as its Keras model is: a SavedModel says so in
`loading.EXPORT_MANIFEST`, a `.tflite` file by its input's dynamic height
and width (`shape_signature` -1; the interpreter is resized to each photo).

    from kfreqgan import pretrained
    from kfreqgan.dehazing import Dehazer
    dehazer = Dehazer(pretrained.dehazer())
    clean = dehazer(hazy)            # (H, W, 3) float in [0, 1] or uint8
"""

import functools
import math
import os

import numpy as np

from kfreqgan import tiling
from kfreqgan._validation import check_no_zero_size
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import check_unit_range

DEFAULT_TILE_SIZE = 768
DEFAULT_AIRLIGHT_SIZE = 512
MAX_PIXELS = 400_000_000
"""Images with more pixels than this are refused (about 20000 x 20000)."""


def receptive_radius(model, threshold=1e-4, probe=512):
    """How far (in pixels) an output pixel of `model` effectively looks.

    The gradient of the centre pixel of the output of `model` (for a
    scattering-head dehazer: of its transmission) with respect to a random
    `probe` x `probe` input; the radius is the largest Chebyshev distance
    from the centre at which it exceeds `threshold` times its maximum.
    (`FFTBandFilter`'s Gaussian masks make the exact support the whole
    image, with tails far below the threshold.)

    Args:
        model: a size-free image-to-image `keras.Model`.
        threshold: relative gradient below which a pixel does not count.
        probe: side of the probe image (at least twice the radius).

    Returns:
        An int; `probe // 2` means "at least that".
    """
    import keras
    import tensorflow as tf

    from kfreqgan._validation import check_at_least

    check_at_least(threshold, "threshold", strict=True, high=1.0)
    probe = check_positive_int(probe, "probe")
    if probe < 3:
        raise ValueError(f"`probe` must be at least 3 pixels. Received: probe={probe}")
    parts = _haze_model_parts(model)
    if parts is not None:
        model = keras.Model(model.inputs, parts[1])
    images = tf.Variable(tf.random.stateless_uniform((1, probe, probe, model.inputs[0].shape[-1]), (1, 2)))
    with tf.GradientTape() as tape:
        centre = tf.reduce_sum(model(images, training=False)[0, probe // 2, probe // 2])
    gradient = tape.gradient(centre, images)
    if gradient is None:  # the output does not depend on the input at all
        return 0
    gradient = tf.reduce_max(tf.abs(gradient), axis=(0, 3)).numpy()
    if not np.all(np.isfinite(gradient)):
        raise ValueError(
            f"The model's output is not finite (NaN or Inf) on a {probe}x{probe} test image, or its gradient is not: "
            "check its weights. Received: a non-finite gradient"
        )
    rows, columns = np.nonzero(gradient > threshold * gradient.max())
    if rows.size == 0:  # an output that does not depend on the input
        return 0
    return int(max(np.abs(rows - probe // 2).max(), np.abs(columns - probe // 2).max()))


def is_whole_image_model(model):
    """Whether `model` is a whole-image dehazer, run untiled by `Dehazer`: a
    `keras.Model` with a `GuidedFilter` layer (at any nesting depth), whose
    learned part sees the whole photo resized to a fixed size."""
    import keras

    from kfreqgan.layers import GuidedFilter

    if not isinstance(model, keras.Model):
        return False
    return any(
        isinstance(layer, GuidedFilter) or (isinstance(layer, keras.Model) and is_whole_image_model(layer)) for layer in model.layers
    )


def _network_multiple(model):
    """`2 ** depth` for a U-Net: the product of the strides on its encoder path."""
    import keras

    from kfreqgan.layers import ReflectPadToMultiple

    multiple = 1
    for layer in model.layers:
        if isinstance(layer, ReflectPadToMultiple):
            return layer.multiple
        if isinstance(layer, keras.layers.Conv2D) and not isinstance(layer, keras.layers.Conv2DTranspose):
            multiple *= int(max(layer.strides))  # per side (the product of (2, 2) would count it twice)
    return multiple


def _haze_model_parts(model):
    """`kfreqgan.models.scattering.haze_model_parts` of a scattering-head
    `model` whose transmission is a one-channel map of the input's size and
    airlight one per image, as the tiling split takes them, and whose output is the inversion (or a
    ReLU of it, a clip the Dehazer's own clip to [0, 1] covers:
    `_is_inversion`); None for any other model."""
    from kfreqgan.models.scattering import haze_model_parts

    try:
        parts = haze_model_parts(model)
    except ValueError:
        return None
    invert, transmission, airlight = parts
    if transmission.shape[-1] != 1 or len(airlight.shape) != 4 or tuple(airlight.shape[1:3]) != (1, 1):
        return None
    # A transmission map of the input's size: one `t` per image (1 x 1,
    # which the inversion broadcasts) cannot be tiled.
    if len(transmission.shape) != 4 or tuple(transmission.shape[1:3]) != tuple(model.inputs[0].shape[1:3]):
        return None
    if not _is_inversion(model.outputs[0], invert):
        return None
    return parts


def _is_inversion(tensor, invert):
    """Whether the symbolic `tensor` is the output of the `InvertScattering`
    layer `invert`, or of a plain ReLU of it with no maximum or a maximum
    of 1 (the coherent dehazer's last layer). The split re-forms the output from `t` and `A`
    with the inversion's formula alone: a layer after it (a refinement, a
    rescaling) would be left out of every tiled result, and `t`'s receptive
    field would not be the output's."""
    import keras

    operation, node_index, _ = tensor._keras_history
    if operation is invert:
        return True
    clip = (
        isinstance(operation, keras.layers.ReLU)
        and float(operation.negative_slope) == 0
        and float(operation.threshold) == 0
        and (operation.max_value is None or float(operation.max_value) == 1)
    )
    if not clip:
        return False
    inputs = operation._inbound_nodes[node_index].input_tensors
    return len(inputs) == 1 and inputs[0]._keras_history[0] is invert


class _KerasRunner:
    """A Keras image-to-image generator; splits a scattering head in two."""

    def __init__(self, model):
        import keras
        import tensorflow as tf

        from kfreqgan.models.image_to_image import check_image_to_image

        height, width, self.channels = check_image_to_image(model)
        self.fixed_size = None if None in (height, width) else (height, width)
        self.multiple = _network_multiple(model)
        self._model = model
        self.whole_image = is_whole_image_model(model) and self.fixed_size is None
        haze_model = _haze_model_parts(model) if self.fixed_size is None and not self.whole_image else None
        self.scattering = haze_model is not None
        if self.scattering:
            invert, transmission, airlight = haze_model
            parts = keras.Model(model.inputs, [transmission, airlight])
            self._parts = tf.function(lambda x: parts(x, training=False), reduce_retracing=True)
            self.min_transmission = invert.min_transmission
        self._full = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    @functools.cached_property
    def radius(self):
        # Measured only when a default margin needs it (a forward and a
        # backward pass on a 512x512 probe, about a second on a CPU); never
        # for a whole-image model, which is not tiled.
        return receptive_radius(self._model) if self.fixed_size is None and not self.whole_image else None

    def run(self, batch):
        return self._full(np.asarray(batch, np.float32)).numpy()

    def transmission(self, batch):
        return self._parts(np.asarray(batch, np.float32))[0].numpy()

    def airlight(self, image):
        return self._parts(np.asarray(image[None], np.float32))[1].numpy().reshape(-1)


class _ExportedRunner:
    """A SavedModel or `.tflite` file from `kfreqgan-export`, run as a black box
    (`kfreqgan.models.loading.SavedModelGenerator` / `TFLiteGenerator`)."""

    def __init__(self, generator):
        height, width, self.channels = generator.input_shape
        self.fixed_size = None if None in (height, width) else (height, width)
        self.multiple = math.gcd(height, 16) if self.fixed_size else 16
        self.scattering = False
        # A size-free export of a whole-image dehazer says so (a SavedModel's
        # `loading.EXPORT_MANIFEST`, a .tflite's dynamic input signature):
        # run untiled, like its Keras model.
        self.whole_image = self.fixed_size is None and bool(getattr(generator, "whole_image", False))
        self.radius = None
        self.run = generator


def load_dehazing_model(path):
    """Opens a dehazer from a `.keras` file, a SavedModel directory or a `.tflite` file.

    The file is opened by `kfreqgan.models.loading.load_generator`, the
    package's one loader (same checks and messages everywhere). A
    `keras.Model` is taken as it is (and checked the same way).

    Returns:
        An object for `Dehazer` (or pass the path to `Dehazer` directly).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if it is not one of the three kinds, or does not load.
    """
    import keras

    from kfreqgan.models.loading import load_generator

    if isinstance(path, keras.Model):
        return _KerasRunner(path)
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"`path` must be a file or folder path. Received: path={path!r} of type {type(path).__name__}")
    generator = load_generator(path)
    return _KerasRunner(generator) if isinstance(generator, keras.Model) else _ExportedRunner(generator)


def _as_image(image):
    """(H, W, C) float32 in [0, 1] and whether the input was uint8."""
    try:
        array = np.asarray(image)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"`image` must be one array of shape (height, width, channels). Received: {type(image).__name__} ({error})") from None
    if array.ndim != 3:
        raise ValueError(f"`image` must have shape (height, width, channels). Received: shape={array.shape}")
    check_no_zero_size(array.shape, "image")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ValueError(f"`image` has more than {MAX_PIXELS} pixels. Received: shape={array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0, True
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"`image` must be uint8 or floating point in [0, 1]. Received: dtype={array.dtype}")
    # Checked before the cast to float32, which makes float64 values beyond
    # its range (1e300) infinite: those are out of [0, 1], not Inf.
    check_unit_range(array, "image", what="a finite floating-point image")
    return array.astype(np.float32), False


def choose_margin_and_overlap(tile_size, multiple, margin=None, overlap=None, radius=None, fixed_size=None):
    """The `(margin, overlap)` a `Dehazer` tiles with.

    The margin wanted is `margin`, else the receptive `radius` (size-free
    Keras models), else an eighth of the tile; the overlap wanted is
    `overlap`, else `2 * margin + 2 * multiple`, rounded up to the multiple.
    When the tile cannot hold that (a small fixed-size model, e.g. 32x32;
    or small `tile_size`), defaults shrink to what the tile allows: the
    overlap to at most half the tile (a multiple of `multiple`, so 0 when
    the tile is one multiple), the margin so that the blend ramp keeps at
    least a quarter of the overlap. Results are then *tile-limited*: pixels
    near tile seams were computed with less context than one pass over the
    whole image would give them, and tiled and untiled results differ there.

    Raises:
        ValueError: if an explicit `margin` or `overlap` cannot fit the
            tile; the message gives the bounds for this tile.
    """
    tile_size = check_positive_int(tile_size, "tile_size")
    multiple = check_positive_int(multiple, "multiple")
    for name, value in (("overlap", overlap), ("margin", margin), ("radius", radius)):
        if value is not None and (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"`{name}` must be None or an integer >= 0. Received: {name}={value!r}")
    what = f"this model's fixed {fixed_size[0]}x{fixed_size[1]} input" if fixed_size is not None else f"tile_size={tile_size}"
    largest = (tile_size - multiple) // multiple * multiple  # one step of `multiple` at least
    if largest < 0:
        raise ValueError(f"`tile_size` must be at least the network's multiple {multiple}. Received: tile_size={tile_size}")
    if overlap is not None:
        given, overlap = overlap, tiling.padded_size(overlap, multiple)
        if overlap > largest:
            rounded = f" (rounded up to {overlap})" if overlap != given else ""
            raise ValueError(
                f"`overlap` must be at most {largest} pixels (a multiple of {multiple}) for {what}. Received: overlap={given}{rounded}"
            )
    if margin is not None:
        # No overlap (plain tiles, no blending) takes no margin, 0 included.
        limit = max(0, (overlap - 1) // 2) if overlap is not None else max(0, (largest - 1) // 2)
        if margin > limit:
            raise ValueError(f"`margin` must be at most {limit} pixels for {what}. Received: margin={margin}")
    wanted_margin = margin if margin is not None else radius if radius is not None else tile_size // 8
    if overlap is None:
        overlap = tiling.padded_size(2 * wanted_margin + 2 * multiple, multiple)
        if overlap > largest:
            overlap = min(largest, tile_size // 2 // multiple * multiple)
            if margin is not None and overlap <= 2 * margin:
                overlap = min(largest, tiling.padded_size(2 * margin + 1, multiple))
    if margin is None:
        margin = wanted_margin if overlap > 2 * wanted_margin else max(0, (overlap - max(1, overlap // 4)) // 2)
    return margin, overlap


class Dehazer:
    """Dehazes images of any size and aspect ratio with a trained generator.

    See the module docstring for what it does. Memory stays bounded: the
    network sees at most `batch_size` tiles of `tile_size` x `tile_size`
    pixels (a fixed-size model's own height x width) at a time (plus one
    image of at most `airlight_size` pixels on its longer side for the
    airlight), and the result is assembled in one float32 array the size
    of the image.

    Example:

    >>> from kfreqgan import pretrained
    >>> dehazer = Dehazer(pretrained.dehazer(), tile_size=384)
    >>> dehazer(np.full((300, 500, 3), 0.8, np.float32)).shape
    (300, 500, 3)

    A whole-image model (`is_whole_image_model`, e.g. the shipped
    dehazer) is run once on the whole image instead: `tile_size`,
    `overlap`, `margin`, `airlight_size` and `batch_size` do not apply
    (`tile_size`, `overlap` and `margin` are then None).

    Args:
        model: a `keras.Model` image-to-image generator, or the path of a
            `.keras` file, SavedModel directory or `.tflite` file.
        tile_size: largest tile side in pixels (rounded down to the
            network's multiple). Exported models use their own input size;
            for a fixed-size model whose input is not square, the
            attribute `tile_size` is its `(height, width)`.
        margin: pixels at each inner tile edge whose results are dropped.
            Default: the receptive radius of a
            size-free Keras model, an eighth of the tile for exported ones.
        overlap: pixels shared by neighbouring tiles (rounded up to the
            multiple), more than `2 * margin`; the blend ramps over the
            part between the margins. Default: `2 * margin + 2 * multiple`.
            A fixed-size model (a `.keras` trained at 32x32, its SavedModel
            or TFLite export) or a small `tile_size` may not hold these
            defaults; they then shrink to what the tile allows and results
            are tile-limited (see `choose_margin_and_overlap`).
        airlight_size: longer side of the downscaled copy the airlight is
            estimated from (scattering-head Keras generators only).
        batch_size: tiles per network call.

    Call arguments:
        image: `(H, W, C)` uint8, or float in [0, 1].
        progress: optional callable `progress(done, total)` over the tiles.

    Returns:
        The dehazed image, `(H, W, C)`, uint8 for uint8 input, float32 in
        [0, 1] otherwise.
    """

    def __init__(
        self, model, tile_size=DEFAULT_TILE_SIZE, overlap=None, airlight_size=DEFAULT_AIRLIGHT_SIZE, batch_size=1, margin=None
    ):
        import keras

        if isinstance(model, (str, os.PathLike)):
            self.runner = load_dehazing_model(model)
        elif isinstance(model, keras.Model):
            self.runner = _KerasRunner(model)
        elif hasattr(model, "run") and hasattr(model, "fixed_size"):
            self.runner = model
        else:
            raise ValueError(f"`model` must be a keras.Model or a model path. Received: {type(model).__name__}")
        multiple = self.runner.multiple
        check_positive_int(tile_size, "tile_size")
        check_positive_int(airlight_size, "airlight_size")
        check_positive_int(batch_size, "batch_size")
        for name, value in (("overlap", overlap), ("margin", margin)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
                raise ValueError(f"`{name}` must be None or an integer >= 0. Received: {name}={value!r}")
        if self.runner.fixed_size is not None:
            fixed = tuple(int(side) for side in self.runner.fixed_size)
            tile_size = fixed[0] if fixed[0] == fixed[1] else fixed  # (height, width): a non-square export's tiles
            multiple = math.gcd(multiple, *fixed)  # tiles start on the model's grid, and fit it
            shorter = min(fixed)
        else:
            tile_size = shorter = max(multiple, tile_size // multiple * multiple)
        self.whole_image = bool(getattr(self.runner, "whole_image", False))
        if self.whole_image:  # run untiled: tiling arguments do not apply
            self.tile_size, self.overlap, self.multiple, self.margin = None, None, 1, None
            self.airlight_size, self.batch_size = airlight_size, batch_size
            return
        margin, overlap = choose_margin_and_overlap(
            shorter, multiple, margin, overlap, None if margin is not None else self.runner.radius, self.runner.fixed_size
        )
        self.tile_size, self.overlap, self.multiple, self.margin = tile_size, overlap, multiple, margin
        self.airlight_size, self.batch_size = airlight_size, batch_size

    def _airlight(self, image):
        import tensorflow as tf

        height, width = image.shape[:2]
        scale = min(1.0, self.airlight_size / max(height, width))
        if scale < 1.0:
            size = (max(1, round(height * scale)), max(1, round(width * scale)))
            image = tf.image.resize(image, size, method="area", antialias=True).numpy()
        size = [tiling.padded_size(max(side, self.multiple), self.multiple) for side in image.shape[:2]]
        return self.runner.airlight(tiling.reflect_pad(image, *size))

    def __call__(self, image, progress=None):
        tiling.check_progress(progress)
        image, was_uint8 = _as_image(image)
        if image.shape[-1] != self.runner.channels:
            raise ValueError(f"The model takes {self.runner.channels}-channel images. Received: shape={image.shape}")
        height, width = image.shape[:2]
        if self.whole_image:
            result = self.runner.run(image[np.newaxis])[0]
            if progress is not None:
                progress(1, 1)
            return _finish(result, was_uint8)
        if self.runner.fixed_size is not None:
            tile = self.runner.fixed_size
            size = [max(side, tile_side) for side, tile_side in zip((height, width), tile)]
            size = [side if side == tile_side else tiling.padded_size(side, self.multiple) for side, tile_side in zip(size, tile)]
        else:
            size = [tiling.padded_size(max(side, self.multiple), self.multiple) for side in (height, width)]
        padded = tiling.reflect_pad(image, *size)
        image = padded[:height, :width]  # a view: one float copy of the photo in memory
        if self.runner.scattering:
            airlight = self._airlight(image).astype(np.float32)
            transmission = tiling.apply_tiled(
                self.runner.transmission, padded, self.tile_size, self.overlap, self.multiple, 1, self.batch_size, progress, self.margin
            )[:height, :width]
            np.maximum(transmission, self.runner.min_transmission, out=transmission)
            result = image - airlight
            result /= transmission
            result += airlight
        else:
            result = tiling.apply_tiled(
                self.runner.run, padded, self.tile_size, self.overlap, self.multiple, None, self.batch_size, progress, self.margin
            )[:height, :width]
        del padded, image
        return _finish(result, was_uint8)


def _finish(result, was_uint8):
    """`result` clipped to [0, 1]; uint8 when the input was.

    Raises:
        ValueError: if the model's output is not finite (NaN or Inf), which
            clipping would hide (Inf) or turn into garbage pixels (NaN).
    """
    if not np.all(np.isfinite(result)):
        raise ValueError(
            "The model's output is not finite (NaN or Inf); check its weights. "
            f"Received: {int(np.size(result) - np.count_nonzero(np.isfinite(result)))} non-finite values"
        )
    np.clip(result, 0.0, 1.0, out=result)
    if was_uint8:
        result *= 255.0
        np.round(result, out=result)
        return result.astype(np.uint8)
    return np.ascontiguousarray(result)


def dehaze(image, model=None, **kwargs):
    """Dehazes one image of any size; `model` defaults to the shipped dehazer.

    Args:
        image: `(H, W, C)` uint8, or float in [0, 1].
        model: as for `Dehazer` (default: `kfreqgan.pretrained.dehazer()`).
        **kwargs: `Dehazer` arguments (`tile_size`, `overlap`, ...).

    The shipped dehazer is loaded once and kept (per set of `kwargs`);
    for a model of your own, make one `Dehazer` and call it on each image.

    Returns:
        The dehazed image, same shape, uint8 for uint8 input, else float32.
    """
    if model is None:
        try:
            hash(tuple(kwargs.values()))
        except TypeError:  # an unhashable argument cannot key the cache: Dehazer names what is wrong with it
            from kfreqgan import pretrained

            return Dehazer(pretrained.dehazer(), **kwargs)(image)
        return _shipped_dehazer(**kwargs)(image)
    return Dehazer(model, **kwargs)(image)


@functools.lru_cache(maxsize=4)
def _shipped_dehazer(**kwargs):
    """A `Dehazer` of the shipped model, loaded once per set of arguments
    (loading it and tracing its graph cost far more than dehazing a photo)."""
    from kfreqgan import pretrained

    return Dehazer(pretrained.dehazer(), **kwargs)
