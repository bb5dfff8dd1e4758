"""TF Serving export: a SavedModel with three signatures, versions, models.config.

Layout (what `tensorflow_model_server --model_config_file=<out>/models.config`
expects):

    <out>/models.config            text-format ModelServerConfig
    <out>/<model_name>/<version>/  one SavedModel per integer version

Signatures of every exported SavedModel (names in `kfreqgan.models.loading`,
which also loads the SavedModel back; `saved_model_cli show --dir
<out>/<model_name>/<version> --all` lists them):

- `serving_default`: input `images`, float32 `(batch, H, W, C)` in [0, 1];
  output `outputs`, float32 `(batch, H, W, C)` in [0, 1].
- `serving_uint8`: input `images`, uint8 `(batch, H, W, C)` in [0, 255];
  output `outputs`, uint8 `(batch, H, W, C)`. The graph divides by 255,
  runs the generator and rounds `255 * outputs` back to uint8.

- `serving_bytes`: input `images`, a 1-D string tensor `(batch,)` of JPEG or
  PNG files (TF Serving's REST API decodes `{"b64": "..."}` into these
  bytes; gRPC clients send them as a `DT_STRING` tensor); output
  `png_bytes`, a 1-D string tensor of PNG files (8-bit RGB, or grey for a
  1-channel model), base64 in the REST answer (TF Serving base64-encodes
  outputs whose name ends in `_bytes`). Images are decoded to the model's
  channel count (grey to RGB, alpha dropped; 16-bit PNGs to 8 bits) and run
  one at a time (`tf.map_fn`), so a batch may mix sizes when the model takes
  any size; a fixed-size model refuses other sizes with a message naming
  its size. An image of more than `max_pixels` pixels (default
  `MAX_IMAGE_PIXELS`, 16 megapixels; the model's memory grows with it) is refused from its header, before its
  pixels are decoded; so are an empty batch, an empty string and bytes that
  are neither JPEG nor PNG (all `INVALID_ARGUMENT`).

All compute `clip(generator(images), 0, 1)` (see
`kfreqgan.models.image_to_image`). The batch size is dynamic; H, W and C are
those the generator was built for. A model built without a fixed H and W
(`unet_generator(image_shape=(None, None, C))`, the shipped dehazer) gets
dynamic ones: it reflect-pads any size to its multiple and crops back, so
one SavedModel serves every size; `kfreqgan-export --image-size` fixes one
(`kfreqgan.models.image_to_image.with_static_size`), which the TFLite
export of a U-Net needs (a whole-image dehazer converts at any size, see
`kfreqgan.export.tflite`).

Bad input fails with `INVALID_ARGUMENT` instead of producing garbage: a
wrong dtype is rejected when the input is fed, and a wrong rank, size or
channel count by an `EnsureShape` op at the start of each signature (a
SavedModel's signature does not check fed shapes by itself, and neither
does TF Serving). The message reads e.g. `Shape of tensor images
[1,32,32,4] is not compatible with expected shape [?,32,32,3]`. An empty
batch and NaN or Inf pixels are refused the same way; values outside
[0, 1] are not (resized images overshoot slightly), they are only clipped
at the output.
"""

import os
import re

import keras
import tensorflow as tf

from kfreqgan._validation import check_positive_int
from kfreqgan.atomic_files import write_text_atomically
from kfreqgan.data.image_files import PNG_SIGNATURE
from kfreqgan.models.image_to_image import check_image_to_image
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.models.loading import BYTES_OUTPUT_NAME
from kfreqgan.models.loading import INPUT_NAME
from kfreqgan.models.loading import OUTPUT_NAME
from kfreqgan.models.loading import SERVING_BYTES
from kfreqgan.models.loading import SERVING_DEFAULT
from kfreqgan.models.loading import SERVING_UINT8

MAX_VERSION = 2**63 - 1
"""The highest version number: TF Serving's versions are int64 (a larger
version folder is not a version to it, nor to `list_versions`)."""

MAX_IMAGE_PIXELS = 4096 * 4096
"""The largest image (height x width) `serving_bytes` accepts by default."""

_JPEG_SIGNATURE = b"\xff\xd8\xff"

_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_VERSION = re.compile(r"[0-9]+\Z")


def check_model_name(name):
    """Checks a TF Serving model name (it becomes a folder and a URL part).

    Args:
        name: letters, digits, `_`, `.` and `-`, starting with a letter or digit.

    Returns:
        `name`.

    Raises:
        ValueError: for any other name.
    """
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise ValueError(
            "The model name must consist of letters, digits, '_', '.' and '-' and start with a "
            f"letter or digit. Received: name={name!r}"
        )
    return name


def serving_archive(generator, max_pixels=MAX_IMAGE_PIXELS):
    """A `keras.export.ExportArchive` with the three serving signatures.

    Args:
        generator: an image-to-image `keras.Model`.
        max_pixels: the largest image `serving_bytes` accepts (height x width).

    Returns:
        The archive; `archive.write_out(directory)` writes the SavedModel.

    Raises:
        ValueError: if `generator` is not an image-to-image model.
    """
    shape = (None,) + tuple(check_image_to_image(generator))

    def serve(images):
        """float32 images in [0, 1] -> float32 outputs in [0, 1]."""
        images = _checked_images(images, shape)
        return {OUTPUT_NAME: unit_range_outputs(generator, images)}

    def serve_uint8(images):
        """uint8 images -> uint8 outputs (normalised in the graph)."""
        images = _checked_images(images, shape)
        outputs = unit_range_outputs(generator, tf.cast(images, tf.float32) / 255.0)
        return {OUTPUT_NAME: tf.cast(tf.round(outputs * 255.0), tf.uint8)}

    def serve_bytes(images):
        """JPEG or PNG files -> PNG files."""
        return {BYTES_OUTPUT_NAME: _serve_files(generator, images, shape, max_pixels)}

    max_pixels = check_positive_int(max_pixels, "max_pixels")
    archive = keras.export.ExportArchive()
    archive.track(generator)
    archive.add_endpoint(SERVING_DEFAULT, serve, input_signature=[tf.TensorSpec(shape, tf.float32, name=INPUT_NAME)])
    archive.add_endpoint(SERVING_UINT8, serve_uint8, input_signature=[tf.TensorSpec(shape, tf.uint8, name=INPUT_NAME)])
    archive.add_endpoint(SERVING_BYTES, serve_bytes, input_signature=[tf.TensorSpec((None,), tf.string, name=INPUT_NAME)])
    return archive


def _header_size(data):
    """`(height, width)` of a JPEG or PNG file from its header, without decoding pixels.

    INVALID_ARGUMENT for anything else (an empty string, another format).
    """
    is_png = tf.equal(tf.strings.substr(data, 0, 8), PNG_SIGNATURE)
    is_jpeg = tf.equal(tf.strings.substr(data, 0, 3), _JPEG_SIGNATURE)
    check = tf.debugging.Assert(
        tf.logical_or(is_png, tf.logical_and(is_jpeg, tf.strings.length(data) > 3)),
        [f"serving_bytes: every element of `{INPUT_NAME}` must be a JPEG or PNG file. Received: ", tf.strings.length(data),
         " bytes starting ", tf.strings.substr(data, 0, 8)],
    )

    def png_size():
        # IHDR, the first chunk: width and height as big-endian uint32 at bytes 16-23.
        fields = tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.uint8)
        fields = tf.cast(tf.pad(fields, [[0, 8 - tf.shape(fields)[0]]]), tf.int64)
        weights = tf.constant([2**24, 2**16, 2**8, 1], tf.int64)
        return tf.stack([tf.reduce_sum(fields[4:] * weights), tf.reduce_sum(fields[:4] * weights)])

    def jpeg_size():
        return tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)

    with tf.control_dependencies([check]):
        return tf.cond(is_png, png_size, jpeg_size)


def _serve_files(generator, files, shape, max_pixels):
    """The `serving_bytes` graph: decode, check, run one image at a time, encode PNG."""
    files = tf.ensure_shape(files, (None,))
    _, height, width, channels = shape
    nonempty = tf.debugging.Assert(
        tf.size(files) > 0, [f"`{INPUT_NAME}` must hold at least one image. Received: shape=", tf.shape(files)]
    )

    def run_one(data):
        size = _header_size(data)
        pixels = size[0] * size[1]
        checks = [
            tf.debugging.Assert(
                tf.logical_and(pixels > 0, pixels <= max_pixels),
                [f"serving_bytes: an image may have at most {max_pixels} pixels (height x width). Received: size=", size],
            )
        ]
        if height is not None and width is not None:
            checks.append(
                tf.debugging.Assert(
                    tf.reduce_all(tf.equal(size, tf.constant([height, width], tf.int64))),
                    [f"serving_bytes: this model takes {height}x{width} images (it was exported with a fixed size); "
                     "resize them first, or export a size-free generator. Received: size=", size],
                )
            )
        with tf.control_dependencies(checks):
            image = tf.io.decode_image(data, channels=channels, dtype=tf.uint8, expand_animations=False)
        image = tf.ensure_shape(image, (height, width, channels))
        outputs = unit_range_outputs(generator, tf.cast(image, tf.float32)[None] / 255.0)[0]
        return tf.io.encode_png(tf.cast(tf.round(outputs * 255.0), tf.uint8))

    with tf.control_dependencies([nonempty]):
        files = tf.identity(files)
    return tf.map_fn(run_one, files, fn_output_signature=tf.TensorSpec((), tf.string))


def _checked_images(images, shape):
    """A signature's input after the checks a SavedModel does not make itself.

    Fails with `INVALID_ARGUMENT` on a wrong rank, size or channel count (a
    signature checks only the dtype of what it is fed), on an empty batch
    (which would otherwise fail deep inside the network with an unrelated
    message), on NaN or Inf pixels (which would come back as NaN outputs)
    and, for float images, on values outside [0, 1] (0-255 pixels sent as
    floats came back as a confident wrong image; `serving_uint8` takes them).
    """
    images = tf.ensure_shape(images, shape)
    nonempty = tf.debugging.Assert(
        tf.shape(images)[0] > 0, [f"`{INPUT_NAME}` must hold at least one image. Received: shape=", tf.shape(images)],
        summarize=4,
    )
    # The network's ops must wait for the check: without the dependency the
    # graph may run a convolution on the empty batch first and fail there.
    with tf.control_dependencies([nonempty]):
        images = tf.identity(images)
    if images.dtype.is_floating:
        images = tf.debugging.check_numerics(images, f"`{INPUT_NAME}` must not contain NaN or Inf values")
        low, high = tf.reduce_min(images), tf.reduce_max(images)
        in_range = tf.debugging.Assert(
            tf.logical_and(low >= 0.0, high <= 1.0),
            [f"`{INPUT_NAME}` must hold values in [0, 1] (send 0-255 pixels as uint8 to `{SERVING_UINT8}`). Received: min=", low, "max=", high],
        )
        with tf.control_dependencies([in_range]):
            images = tf.identity(images)
    return images


def save_serving_model(generator, directory, max_pixels=MAX_IMAGE_PIXELS):
    """Writes the SavedModel with `serving_default`, `serving_uint8` and `serving_bytes`.

    Not atomic on its own: use `kfreqgan.export.atomic_dirs.publish_directory`
    (as `kfreqgan-export` does) to write where a server watches.

    Args:
        generator: an image-to-image `keras.Model`.
        directory: the SavedModel folder (empty or not yet existing).
        max_pixels: the largest image `serving_bytes` accepts (height x width).

    Raises:
        ValueError: if `generator` is not an image-to-image model, or
            `directory` is a file or a folder that is not empty.
    """
    directory = os.fspath(directory)
    # A file failed in TensorFlow ("... is not a directory"), and a folder
    # holding another SavedModel got this one's files over its own.
    if os.path.lexists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        what = "a non-empty folder" if os.path.isdir(directory) else "not a folder"
        raise ValueError(
            f"`directory` must be an empty folder or a path that does not exist yet; it is {what}. "
            f"Received: directory={directory!r}"
        )
    serving_archive(generator, max_pixels).write_out(directory, verbose=False)


def signature_specs(loaded):
    """Input and output specs of each signature of a loaded SavedModel.

    Args:
        loaded: the result of `tf.saved_model.load`.

    Returns:
        `{signature_name: (inputs, outputs)}`, each a dict of name to
        `tf.TensorSpec`.
    """
    specs = {}
    for name, function in loaded.signatures.items():
        specs[name] = (dict(function.structured_input_signature[1]), dict(function.structured_outputs))
    return specs


def list_versions(base_path):
    """The integer version folders under a model's base path, sorted.

    Args:
        base_path: `<out>/<model_name>`; it need not exist.

    Returns:
        A sorted list of ints (TF Serving's version numbers).
    """
    if not os.path.isdir(base_path):
        return []
    return sorted(
        int(entry)
        for entry in os.listdir(base_path)
        # ASCII digits only ("²".isdigit() is true) and within int64, as TF Serving reads them.
        if _VERSION.match(entry) and int(entry) <= MAX_VERSION and os.path.isdir(os.path.join(base_path, entry))
    )


def next_version(base_path):
    """One more than the highest existing version, or 1."""
    versions = list_versions(base_path)
    return versions[-1] + 1 if versions else 1


def update_models_config(config_path, model_name, base_path):
    """Adds or updates one model's entry in a TF Serving models.config.

    Other models listed in an existing file are kept. The file is written
    atomically (a server reading it sees the old or the new text), but two
    exports updating the same file at the same moment are not serialised:
    the later write wins.

    Args:
        config_path: path of the text-format `ModelServerConfig`.
        model_name: the model's name (see `check_model_name`).
        base_path: the folder holding the model's version folders, as the
            server sees it (absolute, or a path inside a container).

    Returns:
        The file's new text.

    Raises:
        ValueError: if an existing file is not a `model_config_list` config.
    """
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    check_model_name(model_name)
    if not isinstance(base_path, (str, os.PathLike)):
        raise ValueError(f"`base_path` must be a folder path. Received: base_path={base_path!r}")
    base_path = os.fspath(base_path)  # a pathlib path failed in protobuf (TypeError)
    config = model_server_config_pb2.ModelServerConfig()
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            text_format.Parse(text, config)
        except text_format.ParseError as error:
            raise ValueError(f"{config_path} is not a TF Serving model config file: {error}") from None
        if config.HasField("custom_model_config"):
            raise ValueError(f"{config_path} holds a custom_model_config; only model_config_list is supported.")
    entries = config.model_config_list.config
    entry = next((entry for entry in entries if entry.name == model_name), None)
    if entry is None:
        entry = entries.add()
        entry.name = model_name
    entry.base_path = base_path
    entry.model_platform = "tensorflow"
    text = text_format.MessageToString(config)
    write_text_atomically(config_path, text)
    return text
