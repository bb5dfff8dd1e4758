"""Loading a trained generator, whatever file it is in, and the serving interface.

The one loader of the package (as Keras loads every model through
`keras.saving.load_model`): `load_generator(path)` opens

- a `.keras` file written by `kfreqgan-train`: `generator.keras` (the
  generator alone) or `freqgan.keras` (a `FreqGAN`, whose `.generator` is
  returned), or any Keras model file;
- a SavedModel folder written by `kfreqgan-export` (`SavedModelGenerator`);
- a `.tflite` file written by `kfreqgan-export` (`TFLiteGenerator`);
- `pretrained:NAME`: a model that ships inside the package
  (`pretrained:dehazer` is `kfreqgan.pretrained.dehazer()`), a Keras model
  (so `kfreqgan-export pretrained:dehazer --out serving/` needs no file; a
  file of that name is spelled `./pretrained:dehazer`);

with the same checks and messages for every program (`kfreqgan-dehaze
--model`, `kfreqgan-spectrum`, `kfreqgan-export`, `kfreqgan-demo`) and for
`kfreqgan.dehazing.Dehazer`. `model_kind(path)` tells the kind (or says
what is wrong) without TensorFlow.

The interface every export has, and that the loaded exports are called
through: signatures `SERVING_DEFAULT` (float32 in [0, 1]) and
`SERVING_UINT8` (uint8 pixels), one input `INPUT_NAME` (`images`, NHWC)
and one output `OUTPUT_NAME` (`outputs`, the same shape); a SavedModel also
has `SERVING_BYTES` (`images`: JPEG or PNG files as strings -> `png_bytes`,
see `kfreqgan.export.serving`). A TFLite model
has the one signature `SERVING_DEFAULT`, with float32 or uint8 tensors.
"""

import json
import os
import zipfile

import numpy as np

from kfreqgan._validation import check_nonempty_batch
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import check_unit_range
from kfreqgan._validation import first_line

SERVING_DEFAULT = "serving_default"
SERVING_UINT8 = "serving_uint8"
SERVING_BYTES = "serving_bytes"
INPUT_NAME = "images"
OUTPUT_NAME = "outputs"
BYTES_OUTPUT_NAME = "png_bytes"
"""The output of `SERVING_BYTES` (encoded PNG files). TF Serving's REST API
answers base64 (`{"b64": ...}`) for an output whose name ends in `_bytes`."""
EXPORT_MANIFEST = os.path.join("assets.extra", "kfreqgan_export.json")
"""Where in a SavedModel `kfreqgan-export` describes it. Its `"whole_image"`
is true for a whole-image dehazer (`kfreqgan.dehazing.is_whole_image_model`)
that takes any size, which `Dehazer` then runs on the whole photo, untiled,
as it runs the Keras model."""

SAVED_MODEL_FILE = "saved_model.pb"
"""The file that makes a folder a SavedModel."""

GENERATOR_FILE = "generator.keras"
GAN_FILE = "freqgan.keras"
RUN_METRICS_FILE = "metrics.json"
"""What `kfreqgan-train` writes into its `--out` folder: the generator alone,
the whole `FreqGAN`, and the configuration, history and held-out scores
(read back by `kfreqgan-export` for the training haze and by
`python -m kfreqgan.training.package_dehazer`)."""

KINDS = ("keras", "saved_model", "tflite")
"""The kinds of model file `load_generator` opens, see the module docstring."""

PRETRAINED_PREFIX = "pretrained:"
PRETRAINED = ("dehazer",)
"""The models that ship inside the package, loaded as `pretrained:NAME`
(each is the function of that name in `kfreqgan.pretrained`)."""

_TFLITE_IDENTIFIER = b"TFL3"  # the FlatBuffer file identifier, bytes 4-8 of a .tflite file


def pretrained_name(path):
    """NAME for a `pretrained:NAME` spelling (see `PRETRAINED`), else None.

    Raises:
        ValueError: for `pretrained:` followed by a name kfreqgan does not ship.
    """
    if not isinstance(path, str) or not path.startswith(PRETRAINED_PREFIX):
        return None
    name = path[len(PRETRAINED_PREFIX) :]
    if name not in PRETRAINED:
        raise ValueError(
            f"Unknown pretrained model {name!r}; kfreqgan ships {', '.join(PRETRAINED_PREFIX + n for n in PRETRAINED)}. "
            f"Received: path={path!r}"
        )
    return name


def model_kind(path, kinds=KINDS):
    """The kind of the model at `path`: `"keras"`, `"saved_model"` or `"tflite"`.

    Cheap checks that need no TensorFlow: the path exists, a folder holds
    `saved_model.pb`, a `.keras` file is a zip archive with `config.json`,
    a `.tflite` file has the TFLite file identifier.

    Args:
        path: a file or folder path.
        kinds: the kinds the caller accepts (a subset of `KINDS`).

    Returns:
        One of `kinds`.

    Raises:
        FileNotFoundError: if nothing exists at `path`.
        ValueError: if it is none of the accepted kinds (the message says
            what it is instead and what was expected).
    """
    path = os.fspath(path)
    expected = {"keras": "a .keras file", "saved_model": "a SavedModel folder", "tflite": "a .tflite file"}
    wanted = " or ".join(expected[kind] for kind in kinds)
    if pretrained_name(path) is not None:
        if "keras" not in kinds:
            raise ValueError(f"A model must be {wanted}; {path} is a Keras model. Received: path={path!r}")
        return "keras"
    if not os.path.exists(path):
        raise FileNotFoundError(f"Model file not found. Received: path={path!r}")
    if os.path.isdir(path):
        if "saved_model" not in kinds:
            raise ValueError(f"A model must be {wanted}, not a folder. Received: path={path!r}")
        if not os.path.isfile(os.path.join(path, SAVED_MODEL_FILE)):
            raise ValueError(f"A model folder must be a SavedModel (with saved_model.pb). Received: path={path!r}")
        return "saved_model"
    if not os.path.isfile(path):  # a FIFO, socket or device: opening it would block or fail in the reader
        raise ValueError(f"A model must be {wanted}, not a FIFO, socket or device. Received: path={path!r}")
    suffix = path.lower()
    kind = "tflite" if suffix.endswith(".tflite") else "keras" if suffix.endswith(".keras") else None
    if kind is None:
        raise ValueError(f"A model must be {wanted}. Received: path={path!r}")
    if kind not in kinds:
        raise ValueError(f"A model must be {wanted}, not {expected[kind]}. Received: path={path!r}")
    if kind == "keras" and not path.endswith(".keras"):
        # LiteRT reads a .TFLITE as well; Keras opens only names ending in ".keras".
        raise ValueError(
            f"Keras opens a model file only if its name ends in '.keras' in lower case; rename it "
            f"(e.g. to {path[: -len('.keras')] + '.keras'!r}). Received: path={path!r}"
        )
    if kind == "tflite":
        with open(path, "rb") as handle:
            header = handle.read(8)
        if header[4:8] != _TFLITE_IDENTIFIER:
            raise ValueError(f"Not a TFLite model file (no TFL3 identifier). Received: path={path!r}")
    elif not zipfile.is_zipfile(path):
        raise ValueError(f"Not a Keras model file (a .keras file is a zip archive with config.json). Received: path={path!r}")
    else:
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ValueError(f"Not a Keras model file (the archive has no config.json). Received: path={path!r}")
    return kind


def load_keras_model(path):
    """The model in a `.keras` file, every kfreqgan class registered; not compiled.

    Raises:
        FileNotFoundError / ValueError: as `model_kind`, or if Keras cannot
            load the file (the message gives Keras's first line).
    """
    import keras

    import kfreqgan.models  # noqa: F401  (registers FreqGAN, the layers, ...)

    path = os.fspath(path)
    model_kind(path, ("keras",))
    name = pretrained_name(path)
    if name is not None:
        from kfreqgan import pretrained

        return getattr(pretrained, name)()
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises ValueError, TypeError, zipfile and OS errors
        raise ValueError(f"Not a loadable Keras model file ({first_line(error, 200)}). Received: path={path!r}") from error


def _manifest(path):
    """The SavedModel's `EXPORT_MANIFEST` as a dict; empty where it has none
    (one written by `serving.save_serving_model` alone, or before it)."""
    try:
        with open(os.path.join(path, EXPORT_MANIFEST), encoding="utf-8") as file:
            manifest = json.load(file)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


class SavedModelGenerator:
    """An image-to-image generator exported as a SavedModel (`kfreqgan-export`).

    Calls the `SERVING_DEFAULT` signature (or the only one there is) with
    float32 images in [0, 1], converting to and from uint8 pixels when the
    signature takes them.

    Attributes:
        input_shape: `(height, width, channels)`; height and width are None
            for a SavedModel that takes any size.
        uint8: whether the signature takes and returns uint8 pixels.
        whole_image: whether it runs a whole-image dehazer at any size
            (`EXPORT_MANIFEST`; False where it has none), which
            `kfreqgan.dehazing.Dehazer` runs untiled.
    """

    kind = "saved_model"

    def __init__(self, path):
        import tensorflow as tf

        self.path = os.fspath(path)
        try:
            loaded = tf.saved_model.load(self.path)
        except Exception as error:  # TF raises several types for a bad folder
            raise ValueError(f"Not a loadable SavedModel ({first_line(error, 200)}). Received: path={self.path!r}") from error
        signatures = loaded.signatures
        key = SERVING_DEFAULT if SERVING_DEFAULT in signatures else next(iter(signatures), None)
        if key is None:
            raise ValueError(f"The SavedModel has no serving signature. Received: path={self.path!r}")
        self._loaded, self._function = loaded, signatures[key]
        inputs = self._function.structured_input_signature[1]
        if len(inputs) != 1 or len(self._function.structured_outputs) != 1:
            raise ValueError(
                f"The SavedModel's {key!r} signature must have one input and one output. "
                f"Received: inputs={sorted(inputs)}, outputs={sorted(self._function.structured_outputs)}"
            )
        ((self._input_name, spec),) = inputs.items()
        if spec.shape.rank != 4 or spec.shape[-1] is None:
            raise ValueError(f"The SavedModel must take (batch, height, width, channels) images. Received: shape={spec.shape}")
        self.uint8 = spec.dtype == tf.uint8
        self.input_shape = tuple(spec.shape[1:])
        self.whole_image = _manifest(self.path).get("whole_image") is True

    def __call__(self, images):
        """float32 `(N, H, W, C)` in [0, 1] -> float32 outputs in [0, 1] (NumPy)."""
        import tensorflow as tf

        inputs = _to_pixels(_checked_images(images, self.input_shape), self.uint8)
        output = next(iter(self._function(**{self._input_name: tf.constant(inputs)}).values())).numpy()
        return _from_pixels(_checked_output(output, inputs, self.path), self.uint8)


def set_tflite_input(interpreter, batch):
    """Sets the input of a LiteRT `interpreter` to `batch`, resizing it first
    (and allocating) when its shape differs: the batch size, or the height
    and width of an any-size model, which is allocated at its first
    image's size (`TFLiteGenerator` does not allocate one at the 1x1 its
    signature defaults to).

    Raises:
        ValueError: where the model cannot take `batch`'s shape (a mirror
            pad wider than the image, ...), with LiteRT's reason.
    """
    from kfreqgan._native_output import native_output_quiet

    detail = interpreter.get_input_details()[0]

    def allocate():
        try:
            with native_output_quiet():
                interpreter.allocate_tensors()
        except RuntimeError as error:  # a kernel's prepare refused the size
            # LiteRT's text holds every earlier failure of this interpreter
            # first (another size's); the last one is this size's.
            failures = str(error).split("failed to prepare.")
            reason = failures[-2] + "failed to prepare." if len(failures) > 2 else str(error)
            raise ValueError(
                f"LiteRT cannot prepare the TFLite model for images of this shape ({first_line(reason, 300)}): a size "
                f"the model does not take, or a damaged file. Received: shape={tuple(batch.shape)}"
            ) from None

    if tuple(detail["shape"]) != tuple(batch.shape):
        interpreter.resize_tensor_input(detail["index"], list(batch.shape))
        allocate()
    try:
        interpreter.set_tensor(detail["index"], batch)
    except ValueError:  # not allocated yet (or a failed allocation): at this size now
        allocate()
        interpreter.set_tensor(detail["index"], batch)


class TFLiteGenerator:
    """An image-to-image generator exported as a `.tflite` file (`kfreqgan-export`).

    Runs the interpreter image by image on float32 images in [0, 1],
    converting to and from uint8 pixels for a model with uint8 input. A
    model whose input signature has a dynamic height and width
    (`shape_signature` `(-1, -1, -1, C)`: `kfreqgan-export` of a whole-image
    dehazer without `--image-size`, see `kfreqgan.export.tflite`) is resized
    to each image (`resize_tensor_input`) and runs on it whole.

    Attributes:
        input_shape: `(height, width, channels)`; height and width are None
            for a model that takes any size.
        uint8: whether the model takes and returns uint8 pixels.
        whole_image: whether it takes any size, which
            `kfreqgan.dehazing.Dehazer` then runs untiled on the whole photo
            (kfreqgan converts only whole-image dehazers without a fixed
            size; a fixed-size model is tiled).
    """

    kind = "tflite"

    def __init__(self, path, num_threads=None):
        from kfreqgan._extras import require

        require("ai_edge_litert", "Running a .tflite model")
        from ai_edge_litert.interpreter import Interpreter

        from kfreqgan._native_output import native_output_quiet

        self.path = os.fspath(path)
        # Before the interpreter, which refused np.int64(2) in words that
        # blamed the file ("Not a loadable TFLite model") and took True as 1.
        num_threads = check_positive_int(num_threads, "num_threads", allow_none=True)
        try:
            # As kfreqgan-export opens them: LiteRT prints `INFO: Created
            # TensorFlow Lite XNNPACK delegate for CPU.` when the tensors are
            # allocated, whatever TF_CPP_MIN_LOG_LEVEL says.
            with native_output_quiet():
                self._interpreter = Interpreter(model_path=self.path, num_threads=num_threads)
        except Exception as error:
            raise ValueError(f"Not a loadable TFLite model ({first_line(error, 200)}). Received: path={self.path!r}") from error
        inputs, outputs = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        # As a SavedModel's signature is checked: a second input was left
        # unset (garbage output), an int8 input failed in LiteRT's
        # set_tensor, and another output was taken for the image.
        if len(inputs) != 1 or len(outputs) != 1:
            raise ValueError(
                "The TFLite model must have one input and one output (an image-to-image generator). "
                f"Received: inputs={[item['name'] for item in inputs]}, outputs={[item['name'] for item in outputs]}"
            )
        (detail,), (output,) = inputs, outputs
        if detail["dtype"] not in (np.float32, np.uint8) or output["dtype"] != detail["dtype"]:
            raise ValueError(
                "The TFLite model must take and return float32 images in [0, 1] or uint8 pixels, as kfreqgan-export "
                f"writes them. Received: input_dtype={np.dtype(detail['dtype']).name}, output_dtype={np.dtype(output['dtype']).name}"
            )
        self._output_index = output["index"]
        self.uint8 = detail["dtype"] == np.uint8
        if self.uint8:
            for role, item in (("input", detail), ("output", output)):
                _check_pixel_quantization(item, role, self.path)
        shape = tuple(int(d) for d in detail["shape_signature"])  # -1: any size
        if len(shape) != 4 or shape[3] < 1:
            raise ValueError(f"The TFLite model must take (1, H, W, C) images. Received: input_shape={shape}")
        output_shape = tuple(int(d) for d in output["shape_signature"])
        if len(output_shape) != 4 or not shapes_fit(output_shape[1:], shape[1:]):
            raise ValueError(
                "The TFLite model must return images of its input's shape (an image-to-image generator). "
                f"Received: input_shape={shape}, output_shape={output_shape}"
            )
        self.input_shape = tuple(None if size < 0 else size for size in shape[1:])
        self.whole_image = None in self.input_shape[:2]
        if not self.whole_image:
            # An any-size model is allocated at each image's size
            # (set_tflite_input): its signature's default 1x1 failed to
            # open a model that cannot take 1x1 (a mirror pad).
            try:
                with native_output_quiet():
                    self._interpreter.allocate_tensors()
            except RuntimeError as error:  # a damaged file that the flatbuffer check let through
                raise ValueError(f"Not a loadable TFLite model ({first_line(error, 200)}). Received: path={self.path!r}") from None

    def __call__(self, images):
        """float32 `(N, H, W, C)` in [0, 1] -> float32 outputs in [0, 1] (NumPy)."""
        outputs = []
        for image in _checked_images(images, self.input_shape):
            set_tflite_input(self._interpreter, _to_pixels(image, self.uint8)[None])
            self._interpreter.invoke()
            output = self._interpreter.get_tensor(self._output_index)
            outputs.append(_from_pixels(_checked_output(output, image[None], self.path), self.uint8)[0])
        return np.stack(outputs)


def _checked_images(images, input_shape):
    """`images` as float32 `(N, H, W, C)` in [0, 1] for an exported generator
    of `input_shape` (None: any size), or `ValueError`.

    Without it a wrong size or channel count reached LiteRT ("Cannot set
    tensor: Dimension mismatch") or TensorFlow, and values beyond [0, 1]
    wrapped around in a uint8 model's pixels (1.5 became 126). The range is
    checked on the array as given, before the cast to float32, which would
    make a float64 1e300 infinite and call it "non-finite".
    """
    try:
        array = np.asarray(images)
        if array.dtype.kind not in "biuf":  # text, objects: numbers or a ValueError
            array = array.astype(np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`images` must be an array of shape (N, height, width, channels). Received: {type(images).__name__} ({error})") from None
    expected = ", ".join("any" if size is None else str(size) for size in input_shape)
    if array.ndim != 4 or any(size is not None and got != size for got, size in zip(array.shape[1:], input_shape)):
        raise ValueError(f"`images` must have shape (N, {expected}). Received: shape={array.shape}")
    check_nonempty_batch(array)  # np.stack failed on no images ("need at least one array to stack")
    check_unit_range(array)
    return array.astype(np.float32)


def shapes_fit(shape, expected):
    """Whether `shape` fits `expected`: as long, and equal wherever neither
    side is any size (None, or a TFLite signature's -1)."""

    def any_size(size):
        return size is None or size < 0

    return len(shape) == len(expected) and all(any_size(got) or any_size(size) or got == size for got, size in zip(shape, expected))


def _checked_output(output, images, path):
    """An exported generator's `output` for `images`, or `ValueError`: a
    model that is not image-to-image (a classifier's `(N, classes)`, a
    downscaler's smaller images) was taken for a dehazed photo of another
    shape, which `Dehazer` runs untiled for a model of any size."""
    if np.shape(output) != np.shape(images):
        raise ValueError(
            "The model must return images of its input's shape (an image-to-image generator). "
            f"Received: input_shape={np.shape(images)}, output_shape={np.shape(output)}, path={path!r}"
        )
    return output


def _check_pixel_quantization(detail, role, path):
    """A uint8 tensor of a `.tflite` must hold pixels: unquantized (as
    `kfreqgan-export --io-dtype uint8` writes them), or quantized so that
    0..255 stands for [0, 1] (scale 1/255, or close enough that reading it
    as pixels is off by less than one level: the 1/256 TFLite gives a
    quantized sigmoid's output) or for 0..255 (scale 1), zero point 0.
    Another scale or zero point (a full-integer model whose uint8 stands
    for [-1, 1], say) was fed pixels as they came, and its output read as
    pixels.

    A tensor quantized per channel (`quantization_parameters` with several
    scales; its `quantization` then reads `(0.0, 0)`, as if unquantized) is
    checked channel by channel.

    Raises:
        ValueError: naming the range the model's uint8 stands for.
    """
    parameters = detail.get("quantization_parameters") or {}
    scales = np.ravel(parameters.get("scales", ()))
    if scales.size:
        zero_points = np.broadcast_to(np.ravel(parameters.get("zero_points", (0,))), scales.shape)
        pairs = list(zip(scales.tolist(), zero_points.tolist()))
    else:
        pairs = [tuple(detail.get("quantization", (0.0, 0)))]
    for channel, (scale, zero_point) in enumerate(pairs):
        if scale == 0:
            continue
        # 255 * |255 scale - 1|: how many levels reading 255 as 1.0 is off.
        if zero_point == 0 and (255 * abs(scale * 255 - 1) < 1 or abs(scale - 1) <= 1e-3):
            continue
        low, high = scale * (0 - zero_point), scale * (255 - zero_point)
        which = f" (channel {channel} of {len(pairs)}, quantized per channel)" if len(pairs) > 1 else ""
        raise ValueError(
            f"The TFLite model's uint8 {role}{which} stands for values in [{low:.4g}, {high:.4g}] (quantization scale "
            f"{scale:.6g}, zero point {zero_point}); kfreqgan runs models whose uint8 images are pixels (0..255 for [0, 1]), "
            f"as kfreqgan-export writes them. Received: path={path!r}"
        )


def _to_pixels(images, uint8):
    """Float images in [0, 1] as a model's input: uint8 pixels if `uint8`."""
    return np.round(images * 255).astype(np.uint8) if uint8 else images


def _from_pixels(outputs, uint8):
    """A model's outputs as float32 in [0, 1] (uint8 pixels divided by 255)."""
    return outputs.astype(np.float32) / 255.0 if uint8 else outputs


def load_generator(path, kinds=KINDS, image_to_image=True):
    """Loads a trained generator from any file kfreqgan writes (see the module docstring).

    Args:
        path: a `.keras` file, a SavedModel folder, a `.tflite` file or
            `pretrained:NAME` (see `PRETRAINED`).
        kinds: the kinds the caller accepts (a subset of `KINDS`); e.g.
            `("keras",)` where the Keras model itself is needed (export).
        image_to_image: require an image-to-image generator (one image
            input, an output of the same shape; exports always are). With
            False a `.keras` generator of latent vectors is returned too.

    Returns:
        A `keras.Model` for a `.keras` file (the `.generator` of a
        `FreqGAN`), a `SavedModelGenerator` or a `TFLiteGenerator`; the
        last two are called on float32 images in [0, 1].

    Raises:
        FileNotFoundError: if nothing exists at `path`.
        ValueError: if it is not an accepted kind of model file, does not
            load, or is not an image-to-image generator when required.
    """
    import keras

    kind = model_kind(path, kinds)
    if kind == "saved_model":
        return SavedModelGenerator(path)
    if kind == "tflite":
        return TFLiteGenerator(path)
    model = load_keras_model(path)
    generator = getattr(model, "generator", None)
    if isinstance(generator, keras.Model):
        model = generator
    if not isinstance(model, keras.Model):
        raise ValueError(f"The file holds a {type(model).__name__}, not a keras.Model. Received: path={os.fspath(path)!r}")
    if image_to_image:
        from kfreqgan.models.image_to_image import check_image_to_image

        check_image_to_image(model)
    return model

