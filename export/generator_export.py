"""`export_generator`: a trained generator to TF Serving and TFLite, checked.

The library function behind `kfreqgan-export` (which only parses its
options and calls it); notebooks and scripts call it directly:

    from kfreqgan.export import export_generator
    summary = export_generator("runs/dehaze/generator.keras", "exported", name="dehazer")

The model is a `.keras` file written by `kfreqgan-train` (`generator.keras`,
or `freqgan.keras`, whose `.generator` is exported; opened by
`kfreqgan.models.loading.load_generator`), `"pretrained:dehazer"` (the
dehazer that ships in the package, exported as `dehazer`, its int8
calibrated with the haze it was trained on) or a `keras.Model`. Writes into
`out`:

- `<name>/<version>/`: a SavedModel for TF Serving with the signatures
  `serving_default` (float32 `images` in [0, 1] -> float32 `outputs`) and
  `serving_uint8` (uint8 `images` -> uint8 `outputs`) and `serving_bytes`
  (JPEG or PNG files -> PNG files, `png_bytes`), dynamic batch size
  (see `kfreqgan.export.serving`); a generator built without a fixed
  size (`unet_generator((None, None, C))`, the shipped dehazer) gives a
  SavedModel that takes any size, or one size with `image_size`, plus
  `assets.extra/kfreqgan_export.json` describing it;
- `models.config`: the TF Serving model config listing `<name>` (other
  models already listed are kept); start the server with
  `tensorflow_model_server --model_config_file=<out>/models.config
  --port=8500 --rest_api_port=8501`;
- `tflite/<name>/<version>/<name>_<variant>.tflite` for each variant
  (`float32`, `float16`, `dynamic_range`, `int8`; builtin ops only, no
  Flex; float32 input `images` and output `outputs`, see
  `kfreqgan.export.tflite`) and `export.json` describing them. A
  whole-image dehazer built without a fixed size (the shipped dehazer,
  `coherent_dehazer`; `kfreqgan.dehazing.is_whole_image_model`) asked for
  TFLite (`formats`) gives models that take any size (input and output shapes `[-1, -1, -1,
  C]` in `export.json`, `"whole_image": true`, as in the SavedModel's
  manifest), which `kfreqgan.dehazing.Dehazer` runs untiled; `image_size`
  fixes one size instead. Any other size-free generator (a U-Net) needs
  `image_size` for TFLite.

No model may be named after what the layout writes beside its folder
(`models.config`, `tflite`, in any case: `LAYOUT_NAMES`), and versions are
TF Serving's int64 numbers (0 to 2**63 - 1); both are refused before
anything is written.

`version` defaults to one more than the highest version of `name` that
exists in either format (a TFLite-only export after a SavedModel one, or
the other way round, gets the next number, never a collision). An existing
version is replaced only with `overwrite=True`. Each folder is written
under a temporary name next to its place and renamed into place when
complete (see `kfreqgan.export.atomic_dirs`), so an interrupted export
never leaves a half-written version where a server would load it.

The int8 variant is calibrated on `calibration_count` representative
images, `calibration`: `"hazy"` (default: patches of the bundled training
photos with synthetic haze, what a dehazer sees), `"clean"` (the same
patches without haze) or a folder of your own images (see
`kfreqgan.export.calibration`). The haze is that of the model's training
configuration when it is known (`haze_ranges`, or the `metrics.json` that
`kfreqgan-train` wrote beside the `.keras` file), else RESIDE ITS's.

Before anything is published, each export is run on hazy (or clean)
patches of the held-out photos and compared with the Keras model: the
SavedModel must agree to 1e-4 and the float32 TFLite model to 1e-3 (max
abs error), else the export fails (`verify=False` skips the check); the
figures of every variant, int8's PSNR included, go into the JSON files and
the summary. A TFLite variant further than `min_psnr` (default 30 dB) from
the Keras model on those photos is refused, naming the variant and by how
much, before anything is published (`--min-psnr 0` publishes it anyway).
The int8 variant first keeps as many of its leading ops in float as it takes
to be within `min_psnr` + 1 dB on calibration images
(`kfreqgan.export.tflite.selective_int8`; builtin float kernels, no Flex):
`export.json` records how many (`kept_in_float`), and `--min-psnr 0` gives
the plain full-integer model.
"""

import contextlib
import json
import os
import re

from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_integer
from kfreqgan.export.tflite import IO_DTYPES
from kfreqgan.export.tflite import VARIANTS

FORMATS = ("saved_model", "tflite")
TFLITE_IO = ("float32", "uint8", "both")
SAVED_MODEL_TOLERANCE = 1e-4
TFLITE_FLOAT32_TOLERANCE = 1e-3
CHECK_IMAGES = 4
DEFAULT_MIN_PSNR = 30.0
"""No TFLite variant (int8, dynamic range, float16) is published further than
this many dB PSNR from the Keras model on the held-out check photos."""
SELECTION_IMAGES = 8
SELECTION_MARGIN_DB = 1.0
"""int8 keeps leading ops in float until it is `min_psnr` + this many dB from
the Keras model on `SELECTION_IMAGES` calibration images
(`kfreqgan.export.tflite.selective_int8`)."""
MODELS_CONFIG = "models.config"
TFLITE_FOLDER = "tflite"
LAYOUT_NAMES = (MODELS_CONFIG, TFLITE_FOLDER)
"""What the export writes at the top of `out` beside the `<name>/` folders
(see the module docstring): no model may be named so (compared without case,
as a macOS or Windows file system does)."""
# Check images for a generator without a fixed size: not a multiple of 8, so
# the model's own padding and cropping are exercised.
SIZE_FREE_CHECK_SIZE = (72, 100)
SIZE_FREE_CALIBRATION_SIZE = (256, 256)
"""The size of the int8 calibration images of an any-size (whole-image) TFLite
export (smaller where a calibration folder's photos are: the largest that
each of them holds): the learned part sees every photo at its own fixed
size, so ranges calibrated at one size hold at others (checked at
`SIZE_FREE_CHECK_SIZE`)."""
HAZE_RANGE_KEYS = ("beta_range", "airlight_range")
"""The keys `haze_ranges` may have (`kfreqgan.export.calibration.representative_images`'s haze arguments)."""


def check_choices(value, allowed, name):
    """`value` (a comma-separated string or a sequence) as a tuple of distinct items of `allowed`.

    `name` is how the caller names the value in the error (`formats`, `--formats`)."""
    chosen = [item.strip() for item in value.split(",")] if isinstance(value, str) else list(value)
    chosen = [item for item in chosen if item]
    unknown = [item for item in chosen if item not in allowed]
    if not chosen or unknown:
        raise ValueError(f"{name} takes a comma-separated subset of {','.join(allowed)}. Received: {name}={value!r}")
    return tuple(dict.fromkeys(chosen))


def parse_image_size(text, name="image_size"):
    """`"HxW"` or `"N"` as `(height, width)`; None stays None. `name` names it in the error."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+))?\s*", text)
    if not match or int(match.group(1)) < 1 or (match.group(2) and int(match.group(2)) < 1):
        raise ValueError(f"{name} takes HxW or one positive number. Received: {name}={text!r}")
    height = int(match.group(1))
    return height, int(match.group(2) or height)


def _agreement(reference, outputs):
    """max |error| and PSNR (dB, peak 1; None when identical) against `reference`."""
    import math

    import numpy as np

    from kfreqgan.export.tflite import pooled_psnr

    error = np.abs(np.asarray(outputs, np.float64) - np.asarray(reference, np.float64))
    psnr = pooled_psnr(reference, outputs)
    return {"max_abs_error": float(error.max()), "psnr_db": None if math.isinf(psnr) else psnr}


def _write_json(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def _tensor_doc(name, dtype, shape, value_range):
    return {"name": name, "dtype": dtype, "shape": [-1 if size is None else int(size) for size in shape], "range": value_range}


def _build_saved_model(directory, generator, check_images, reference, verify, info):
    """Writes the SavedModel into `directory`, checks it, writes its manifest."""
    import numpy as np
    import tensorflow as tf

    from kfreqgan.dehazing import is_whole_image_model
    from kfreqgan.export import serving
    from kfreqgan.models.loading import EXPORT_MANIFEST

    serving.save_serving_model(generator, directory)
    shape = (None,) + tuple(generator.inputs[0].shape[1:])
    manifest = {
        **info,
        # A whole-image dehazer that takes any size: `Dehazer` runs it untiled,
        # as it runs the Keras model (tiles would each estimate their own
        # airlight and coarse transmission from a part of the photo).
        "whole_image": is_whole_image_model(generator) and None in shape[1:3],
        "signatures": {
            serving.SERVING_DEFAULT: {
                "inputs": [_tensor_doc(serving.INPUT_NAME, "float32", shape, [0, 1])],
                "outputs": [_tensor_doc(serving.OUTPUT_NAME, "float32", shape, [0, 1])],
            },
            serving.SERVING_UINT8: {
                "inputs": [_tensor_doc(serving.INPUT_NAME, "uint8", shape, [0, 255])],
                "outputs": [_tensor_doc(serving.OUTPUT_NAME, "uint8", shape, [0, 255])],
            },
            serving.SERVING_BYTES: {
                "inputs": [
                    _tensor_doc(serving.INPUT_NAME, "string", (None,), f"JPEG or PNG files of at most {serving.MAX_IMAGE_PIXELS} pixels")
                ],
                "outputs": [_tensor_doc(serving.BYTES_OUTPUT_NAME, "string", (None,), "PNG files")],
            },
        },
    }
    if verify:
        loaded = tf.saved_model.load(directory)
        outputs = loaded.signatures[serving.SERVING_DEFAULT](images=tf.constant(check_images))[serving.OUTPUT_NAME]
        float_check = _agreement(reference, outputs.numpy())
        uint8_in, uint8_reference = _uint8_reference(generator, check_images)
        uint8_out = loaded.signatures[serving.SERVING_UINT8](images=tf.constant(uint8_in))[serving.OUTPUT_NAME].numpy()
        uint8_check = {"max_abs_difference": int(np.abs(uint8_out.astype(int) - uint8_reference.astype(int)).max())}
        files = tf.constant([tf.io.encode_png(image).numpy() for image in uint8_in])
        pngs = loaded.signatures[serving.SERVING_BYTES](images=files)[serving.BYTES_OUTPUT_NAME].numpy()
        bytes_out = np.stack([tf.io.decode_png(png, channels=uint8_in.shape[-1]).numpy() for png in pngs])
        bytes_check = {"max_abs_difference": int(np.abs(bytes_out.astype(int) - uint8_reference.astype(int)).max())}
        manifest["agreement_with_keras"] = {
            serving.SERVING_DEFAULT: float_check,
            serving.SERVING_UINT8: uint8_check,
            serving.SERVING_BYTES: bytes_check,
        }
        if not float_check["max_abs_error"] <= SAVED_MODEL_TOLERANCE:
            raise ValueError(
                f"The SavedModel disagrees with the Keras model: max abs error {float_check['max_abs_error']:.3g} "
                f"> {SAVED_MODEL_TOLERANCE:g} (verify=False, --no-verify, exports anyway)."
            )
        if uint8_check["max_abs_difference"] > 1:
            raise ValueError(
                f"serving_uint8 disagrees with the Keras model by {uint8_check['max_abs_difference']} grey levels (> 1)."
            )
        if bytes_check["max_abs_difference"] > 1:
            raise ValueError(
                f"serving_bytes disagrees with the Keras model by {bytes_check['max_abs_difference']} grey levels (> 1)."
            )
    os.makedirs(os.path.dirname(os.path.join(directory, EXPORT_MANIFEST)), exist_ok=True)
    _write_json(os.path.join(directory, EXPORT_MANIFEST), manifest)
    return manifest


def _keras_outputs(generator, images):
    from kfreqgan.models.image_to_image import unit_range_outputs

    return unit_range_outputs(generator, images).numpy()


def _uint8_reference(generator, check_images):
    """`(pixels, expected)`: the check images as uint8, and what a uint8
    export must return for them (the Keras outputs, rounded to uint8)."""
    import numpy as np

    pixels = np.round(check_images * 255).astype(np.uint8)
    return pixels, np.round(_keras_outputs(generator, pixels / np.float32(255)) * 255)


def _check_min_psnr(key, agreement, min_psnr):
    """Refuses a variant further than `min_psnr` dB from the Keras model (before anything is published)."""
    psnr = agreement.get("psnr_db")
    if min_psnr is None or psnr is None or psnr >= min_psnr:
        return
    raise ValueError(
        f"The {key} TFLite model is {psnr:.1f} dB PSNR from the Keras model on held-out hazy photos, "
        f"{min_psnr - psnr:.1f} dB below --min-psnr {min_psnr:g} (min_psnr={min_psnr:g}); nothing was published. "
        f"Leave it out (--variants) or lower --min-psnr."
    )


def _build_tflite(
    directory, name, generator, variants, calibration, check_images, reference, verify, info, io_dtypes=("float32",),
    min_psnr=None,
):
    """Converts each variant (and I/O type) into `directory`, checks them, writes export.json.

    A uint8 model `<name>_<variant>_uint8.tflite` takes and returns uint8
    pixels (see `kfreqgan.export.tflite`); its manifest key is
    `<variant>_uint8`.
    """
    import numpy as np

    from kfreqgan.export import tflite
    from kfreqgan.models.image_to_image import clipped_model

    model = clipped_model(generator)
    shape = (None,) + tuple(model.inputs[0].shape[1:])
    manifest = {
        **info,
        # An any-size model (shapes -1) of a whole-image dehazer: run untiled
        # on the whole photo, the input resized to it (as the SavedModel's
        # manifest says it with the same key).
        "whole_image": None in shape[1:3],
        "signature": tflite.SERVING_DEFAULT,
        "inputs": [_tensor_doc(tflite.INPUT_NAME, "float32", shape, [0, 1])],
        "outputs": [_tensor_doc(tflite.OUTPUT_NAME, "float32", shape, [0, 1])],
        "variants": {},
    }
    if calibration is not None:
        manifest["calibration"] = calibration["description"]
    if "uint8" in io_dtypes:
        manifest["uint8_models"] = {
            "inputs": [_tensor_doc(tflite.INPUT_NAME, "uint8", shape, [0, 255])],
            "outputs": [_tensor_doc(tflite.OUTPUT_NAME, "uint8", shape, [0, 255])],
        }
        if verify:
            uint8_images, uint8_reference = _uint8_reference(generator, check_images)
    # uint8 I/O is not offered for int8 (see kfreqgan.export.tflite).
    for variant, io_dtype in ((v, io) for v in variants for io in io_dtypes if not (v == "int8" and io == "uint8")):
        images = calibration["images"] if variant == "int8" else None
        selection = None
        if variant == "int8" and verify and min_psnr is not None:
            # Ops kept in float, chosen on calibration images (training
            # photos), checked below on the held-out ones.
            selection_images = images[:SELECTION_IMAGES]
            model_bytes, selection = tflite.selective_int8(
                model, images, selection_images, _keras_outputs(generator, selection_images), min_psnr + SELECTION_MARGIN_DB
            )
        else:
            model_bytes = tflite.convert_to_tflite(model, variant, representative_images=images, io_dtype=io_dtype)
        key = variant if io_dtype == "float32" else f"{variant}_uint8"
        file_name = f"{name}_{key}.tflite"
        with open(os.path.join(directory, file_name), "wb") as handle:
            handle.write(model_bytes)
        entry = {"file": file_name, "bytes": len(model_bytes), "io_dtype": io_dtype}
        if variant == "int8":  # ops without an int8 kernel or kept in float32
            entry["float_ops"] = sorted(tflite.float_op_names(model_bytes))
        if selection is not None:
            entry["kept_in_float"] = {
                "leading_ops": selection["float_ops"],
                "of_quantized_ops": selection["quantized_ops"],
                "selection_images": f"{len(selection_images)} calibration images",
                "selection_psnr_db": selection["psnr_db"],
                "tried": selection["tried"],
            }
        if verify and io_dtype == "uint8":
            outputs = tflite.run_tflite(model_bytes, uint8_images).astype(np.int64)
            levels = int(np.abs(outputs - uint8_reference.astype(np.int64)).max())
            entry["agreement_with_keras"] = {
                "max_abs_difference_grey_levels": levels,
                "psnr_db": _agreement(uint8_reference / 255.0, outputs / 255.0)["psnr_db"],
            }
            _check_min_psnr(key, entry["agreement_with_keras"], min_psnr)
            if variant == "float32" and levels > 1:
                raise ValueError(
                    f"The uint8 float32 TFLite model disagrees with the Keras model by {levels} grey levels (> 1) "
                    "(verify=False, --no-verify, exports anyway)."
                )
        elif verify:
            entry["agreement_with_keras"] = _agreement(reference, tflite.run_tflite(model_bytes, check_images))
            error = entry["agreement_with_keras"]["max_abs_error"]
            _check_min_psnr(key, entry["agreement_with_keras"], min_psnr)
            if variant == "float32" and not error <= TFLITE_FLOAT32_TOLERANCE:
                raise ValueError(
                    f"The float32 TFLite model disagrees with the Keras model: max abs error {error:.3g} > "
                    f"{TFLITE_FLOAT32_TOLERANCE:g} (verify=False, --no-verify, exports anyway)."
                )
        manifest["variants"][key] = entry
    _write_json(os.path.join(directory, "export.json"), manifest)
    return manifest


def training_haze(model_path):
    """The haze ranges of the configuration a `.keras` file was trained with.

    `kfreqgan-train` writes `metrics.json` (with the configuration) beside
    `generator.keras` and `freqgan.keras`.

    Returns:
        `{"beta_range": ..., "airlight_range": ...}` (tuples), or None when
        there is no readable `metrics.json` of a dehazing run beside the file.
    """
    from kfreqgan.models.loading import pretrained_name

    name = pretrained_name(os.fspath(model_path))
    if name is not None:  # a shipped model: its card says how it was trained
        from kfreqgan import pretrained

        haze = getattr(pretrained, f"{name}_card")().get("haze", {})
        try:
            return {key: tuple(float(v) for v in haze[key]) for key in ("beta_range", "airlight_range")}
        except (KeyError, TypeError, ValueError):
            return None
    from kfreqgan.models.loading import RUN_METRICS_FILE

    path = os.path.join(os.path.dirname(os.path.abspath(os.fspath(model_path))), RUN_METRICS_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle).get("config", {})
        return {key: tuple(float(v) for v in config[key]) for key in ("beta_range", "airlight_range")}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _require_litert():
    """TFLite exports run every variant with LiteRT before publishing: one line naming the extra, before any writing."""
    from kfreqgan._extras import require

    require("ai_edge_litert", "TFLite export (--formats tflite)")


def _source_model(model_path, generator):
    from kfreqgan.models.loading import pretrained_name

    if model_path is None:
        return f"keras.Model {generator.name!r}"
    return model_path if pretrained_name(model_path) is not None else os.path.abspath(model_path)


def export_versions(out, name):
    """The versions of `name` under `out` in either format (SavedModel or TFLite), sorted."""
    from kfreqgan.export import serving

    return sorted(
        set(serving.list_versions(os.path.join(out, name))) | set(serving.list_versions(os.path.join(out, TFLITE_FOLDER, name)))
    )


def check_export_name(name, from_model=False):
    """Checks a model name for `export_generator`'s layout; returns it.

    A TF Serving model name (`kfreqgan.export.serving.check_model_name`)
    that is not one of `LAYOUT_NAMES`: a model called `models.config` or
    `tflite` would put its versions where the config file or the TFLite
    folder goes.

    Args:
        name: the name.
        from_model: the name was taken from the model (file); the message
            then says to pass one.

    Raises:
        ValueError: for a name that is not a model name or that the layout uses.
    """
    from kfreqgan.export import serving

    serving.check_model_name(name)
    if name.casefold() in LAYOUT_NAMES:
        raise ValueError(
            f"The model name{', taken from the model,' if from_model else ''} must not be {' or '.join(LAYOUT_NAMES)} "
            f"(in any case): the export writes <out>/{MODELS_CONFIG} and <out>/{TFLITE_FOLDER}/ beside "
            f"<out>/<name>/; pass {'a' if from_model else 'another'} --name (name= in Python). Received: name={name!r}"
        )
    return name


def _model_name(model, path):
    from kfreqgan.models.loading import pretrained_name

    if path is not None and pretrained_name(path) is not None:
        stem = pretrained_name(path)
    elif path is not None:
        stem = os.path.splitext(os.path.basename(os.path.normpath(path)))[0]
    else:
        stem = model.name
    return check_export_name(re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip("._-") or "model", from_model=True)


def export_generator(
    model,
    out,
    *,
    name=None,
    formats=FORMATS,
    variants=VARIANTS,
    image_size=None,
    version=None,
    overwrite=False,
    calibration="hazy",
    calibration_count=64,
    calibration_short_side=None,
    haze_ranges=None,
    tflite_io="float32",
    serving_base_path=None,
    verify=True,
    min_psnr=DEFAULT_MIN_PSNR,
):
    """Exports a trained image-to-image generator (see the module docstring).

    Args:
        model: the path of a `.keras` file (`generator.keras` or
            `freqgan.keras`), `"pretrained:NAME"` or a `keras.Model` (a `FreqGAN` exports its
            `.generator`).
        out: output folder (the TF Serving model root).
        name: model name for TF Serving and the file names (default: the
            model file's name, or the model's `name`).
        formats: a subset of `FORMATS` (a sequence, or a comma-separated
            string); None: both, but only the SavedModel for a generator
            without a fixed size and no `image_size` (a whole-image
            dehazer's any-size TFLite models are asked for here).
        variants: TFLite variants, a subset of `kfreqgan.export.tflite.VARIANTS`.
        image_size: `(height, width)`, one int, or `"HxW"`: fixes the size of
            every export, for generators built without one (needed for the
            TFLite export of a U-Net; without it a SavedModel, and the TFLite
            models of a whole-image dehazer, take any size).
        version: version number (default: the next one, see the module docstring).
        overwrite: replace an existing version.
        calibration: int8 calibration images: `"hazy"`, `"clean"` or a folder.
        calibration_count: number of calibration images.
        calibration_short_side: resize the bundled photos to this shorter side
            before cutting calibration patches (default 4x the image size, at
            most 2048 pixels; `calibration.default_short_side`).
        haze_ranges: `{"beta_range": ..., "airlight_range": ...}` for hazy
            calibration and check images (default: the training
            configuration's, see `training_haze`, else RESIDE ITS).
        tflite_io: `"float32"` in [0, 1], `"uint8"` pixels (not for int8) or
            `"both"` files.
        serving_base_path: folder that holds `out` as the server sees it
            (e.g. `/models` in a container); default `out` as an absolute path.
        verify: compare every export with the Keras model before publishing.
        min_psnr: refuse to publish (ValueError, nothing written) a TFLite
            variant whose PSNR against the Keras model on the held-out hazy
            check photos is below this many dB (default `DEFAULT_MIN_PSNR`,
            30; None or 0 publishes whatever comes out). Needs `verify`.

    Returns:
        A dict summarising what was written (paths, manifests).

    Raises:
        FileNotFoundError: for a missing model file or calibration folder.
        FileExistsError: for an existing version without `overwrite`.
        ValueError: for bad arguments, a file that is not a Keras model, a
            model that is not an image-to-image generator, a failed
            conversion or a failed check.
    """
    auto_formats = formats is None  # both, or the SavedModel alone for a size-free generator
    formats = FORMATS if auto_formats else check_choices(formats, FORMATS, "formats")
    if "tflite" in formats and not auto_formats:
        _require_litert()
    variants = check_choices(variants, VARIANTS, "variants") if "tflite" in formats else ()
    if is_integer(image_size):
        image_size = (image_size, image_size)
    elif isinstance(image_size, str):
        image_size = parse_image_size(image_size)
    if image_size is not None and (
        len(image_size) != 2 or any(not is_integer(v) or v < 1 for v in image_size)
    ):
        raise ValueError(f"`image_size` must be (height, width) with positive ints. Received: image_size={image_size!r}")
    image_size = None if image_size is None else tuple(int(v) for v in image_size)
    if not is_integer(calibration_count) or calibration_count < 1:
        raise ValueError(f"`calibration_count` must be an integer >= 1. Received: calibration_count={calibration_count!r}")
    calibration_count = int(calibration_count)
    # Checked here, not where they are used: a NumPy short side failed in the
    # JSON record after the conversions, a haze key such as 'beta' in
    # representative_images (TypeError), a pathlib base path at .rstrip.
    calibration_short_side = check_positive_int(calibration_short_side, "calibration_short_side", allow_none=True)
    if haze_ranges is not None:
        unknown = sorted(map(repr, set(haze_ranges) - set(HAZE_RANGE_KEYS))) if isinstance(haze_ranges, dict) else None
        if unknown is None or unknown:
            raise ValueError(
                f"`haze_ranges` must be a dict with the keys {' and/or '.join(HAZE_RANGE_KEYS)}. Received: haze_ranges={haze_ranges!r}"
            )
    if serving_base_path is not None:
        if not isinstance(serving_base_path, (str, os.PathLike)):
            raise ValueError(f"`serving_base_path` must be a folder path. Received: serving_base_path={serving_base_path!r}")
        serving_base_path = os.fspath(serving_base_path)
    if min_psnr is not None:
        min_psnr = check_at_least(min_psnr, "min_psnr") or None  # dB; 0 (like None) publishes anyway
    if tflite_io not in TFLITE_IO:
        raise ValueError(f"`tflite_io` must be one of {', '.join(TFLITE_IO)}. Received: tflite_io={tflite_io!r}")
    if tflite_io == "uint8" and variants and set(variants) <= {"int8"}:
        # uint8 I/O is not offered for int8 (see kfreqgan.export.tflite), so
        # this published a TFLite version that held export.json and no model.
        raise ValueError(
            "tflite_io='uint8' writes no int8 model (its uint8 form loses about 19 grey levels), so this export "
            "would hold no TFLite model; use tflite_io='float32' or 'both', or a float variant. "
            f"Received: tflite_io='uint8', variants={','.join(variants)}"
        )
    model_path = os.fspath(model) if isinstance(model, (str, os.PathLike)) else None
    if model_path is not None:
        from kfreqgan.models.loading import model_kind

        model_kind(model_path, ("keras",))  # cheap checks before TensorFlow loads
    out = os.path.abspath(os.fspath(out))
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"`out` must be a folder. Received: out={out!r}")

    import keras

    import kfreqgan
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.dehazing import is_whole_image_model
    from kfreqgan.export import calibration as calibration_data
    from kfreqgan.export import serving
    from kfreqgan.export.atomic_dirs import staged_directory
    from kfreqgan.models.image_to_image import check_image_to_image
    from kfreqgan.models.image_to_image import with_static_size
    from kfreqgan.models.loading import load_generator

    if model_path is None and not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a .keras file path or a keras.Model. Received: {type(model).__name__}")
    if version is not None and (
        not is_integer(version) or not 0 <= int(version) <= serving.MAX_VERSION
    ):
        raise ValueError(
            f"`version` must be an integer from 0 to {serving.MAX_VERSION} (TF Serving's versions are int64). "
            f"Received: version={version!r}"
        )
    version = None if version is None else int(version)  # np.int64(3) -> 3, for paths and the JSON record
    name = check_export_name(name) if name is not None else None
    if model_path is None:
        generator = getattr(model, "generator", None)
        model = generator if isinstance(generator, keras.Model) else model
        check_image_to_image(model)
    name = name or _model_name(model, model_path)
    base_path = os.path.join(out, name)
    if version is None:
        version = (export_versions(out, name) or [0])[-1] + 1
        if version > serving.MAX_VERSION:
            raise ValueError(
                f"The next version of {name!r} would be {version}, beyond TF Serving's int64 versions; pass "
                f"--version (version= in Python) to choose one. Received: out={out!r}"
            )
    targets = {}
    if "saved_model" in formats:
        targets["saved_model"] = os.path.join(base_path, str(version))
    if "tflite" in formats:
        targets["tflite"] = os.path.join(out, TFLITE_FOLDER, name, str(version))

    def check_targets(targets):
        for target in targets.values():
            if os.path.exists(target) and not overwrite:
                raise FileExistsError(f"{target} already exists; pass --overwrite to replace it (overwrite=True in Python).")

    # Before the slow work (the TFLite folder of automatic formats once the
    # model says whether there will be one).
    check_targets({kind: path for kind, path in targets.items() if not (auto_formats and kind == "tflite")})
    source = os.fspath(calibration)
    if "int8" in variants and source not in calibration_data.SOURCES and not os.path.isdir(source):
        raise FileNotFoundError(f"The calibration source is neither hazy, clean nor an existing folder. Received: calibration={source!r}")

    generator = load_generator(model_path, kinds=("keras",)) if model_path is not None else model
    height, width, channels = generator.inputs[0].shape[1:]
    if image_size is not None:
        generator = with_static_size(generator, *image_size)
        height, width = image_size
    size_free = height is None or width is None
    # A whole-image dehazer converts to TFLite at any size (kfreqgan.export.tflite).
    any_size_tflite = size_free and is_whole_image_model(generator)
    if auto_formats and size_free:
        # The SavedModel alone: quick and without the TFLite extra. A
        # whole-image dehazer's any-size TFLite models are asked for with
        # formats (their int8 calibration takes minutes).
        formats, variants = ("saved_model",), ()
        del targets["tflite"]
    if "tflite" in formats:
        _require_litert()
    check_targets(targets)
    if size_free and "tflite" in formats and not any_size_tflite:
        raise ValueError(
            "The generator was built without a fixed image size and TFLite needs one; pass --image-size HxW "
            "(image_size=) or --formats saved_model for a SavedModel that takes any size. Only a whole-image "
            "dehazer (kfreqgan.dehazing.is_whole_image_model, e.g. coherent_dehazer) converts to TFLite at any "
            f"size, and {generator.name!r} is not one (a U-Net's FFT band filters need a static size)."
        )
    if haze_ranges is None:
        haze_ranges = (training_haze(model_path) if model_path is not None else None) or {}
    haze_ranges = dict(haze_ranges)
    # The checks against the Keras model run on images of the exported size,
    # or of SIZE_FREE_CHECK_SIZE for a SavedModel that takes any size.
    check_height, check_width = SIZE_FREE_CHECK_SIZE if size_free else (height, width)
    calibration = None
    if "int8" in variants:
        # An any-size model is calibrated at one size (kfreqgan.export.tflite).
        calibration_height, calibration_width = SIZE_FREE_CALIBRATION_SIZE if size_free else (height, width)
        if size_free and source not in calibration_data.SOURCES and os.path.isdir(source):
            # Photos of any size, as the model takes: patches every one holds.
            calibration_height, calibration_width = calibration_data.folder_patch_size(source, SIZE_FREE_CALIBRATION_SIZE)
        images = calibration_data.representative_images(
            (calibration_height, calibration_width, channels), source, calibration_count, seed=0,
            short_side=calibration_short_side, **haze_ranges
        )
        calibration = {
            "images": images,
            "description": {
                "source": source if source in calibration_data.SOURCES else os.path.abspath(source),
                "count": int(len(images)),
                "short_side": calibration_short_side
                or (
                    calibration_data.default_short_side(max(calibration_height, calibration_width))
                    if source in calibration_data.SOURCES
                    else None
                ),
                # An any-size model's calibration size (else the model's).
                **({"image_size": [calibration_height, calibration_width]} if size_free else {}),
                "seed": 0,
                **({key: list(value) for key, value in haze_ranges.items()} if source == "hazy" else {}),
            },
        }
    check_images = reference = None
    check_source = source if source in calibration_data.SOURCES else "hazy"
    if verify:
        check_images = calibration_data.representative_images(
            (check_height, check_width, channels), check_source, CHECK_IMAGES, seed=1, photos=HELDOUT_PHOTOS, **haze_ranges
        )
        reference = _keras_outputs(generator, check_images)
    info = {
        "model_name": name,
        "version": version,
        "source_model": _source_model(model_path, generator),
        "kfreqgan_version": kfreqgan.__version__,
        "computes": "clip(generator(images), 0, 1)",
        "check_images": f"{CHECK_IMAGES} {check_source} {check_height}x{check_width} patches of the held-out photos "
        f"{', '.join(HELDOUT_PHOTOS)}"
        if verify
        else None,
    }

    summary = {"name": name, "version": version, "out": out, "paths": targets}
    with contextlib.ExitStack() as stack:
        # Both folders are built before either is renamed into place.
        staged = {kind: stack.enter_context(staged_directory(path, overwrite)) for kind, path in targets.items()}
        if "saved_model" in staged:
            summary["saved_model"] = _build_saved_model(staged["saved_model"], generator, check_images, reference, verify, info)
        if "tflite" in staged:
            summary["tflite"] = _build_tflite(
                staged["tflite"], name, generator, variants, calibration, check_images, reference, verify, info,
                IO_DTYPES if tflite_io == "both" else (tflite_io,),
                min_psnr=min_psnr,
            )
    if "saved_model" in targets:
        server_base = base_path if serving_base_path is None else f"{serving_base_path.rstrip('/')}/{name}"
        summary["models_config"] = os.path.join(out, MODELS_CONFIG)
        summary["server_base_path"] = server_base
        serving.update_models_config(summary["models_config"], name, server_base)
    return summary
