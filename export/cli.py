"""`kfreqgan-export`: a trained generator to TF Serving and TFLite.

    kfreqgan-export runs/dehaze/generator.keras --out exported --name dehazer
    kfreqgan-export runs/dehaze/freqgan.keras --out exported --name dehazer --version 2 --overwrite
    kfreqgan-export generator.keras --out exported --variants float32,int8 --calibration my_photos/

The input is a `.keras` file written by `kfreqgan-train`: `generator.keras`,
or `freqgan.keras`, whose `.generator` is exported. Writes into `--out`:

- `<name>/<version>/`: a SavedModel for TF Serving with the signatures
  `serving_default` (float32 `images` in [0, 1] -> float32 `outputs`) and
  `serving_uint8` (uint8 `images` -> uint8 `outputs`), dynamic batch size
  (see `kfreqgan.export.serving`); a generator built without a fixed
  size (`unet_generator((None, None, C))`, the shipped dehazer) gives a
  SavedModel that takes any size, or one size with `--image-size`, plus
  `assets.extra/kfreqgan_export.json` describing it;
- `models.config`: the TF Serving model config listing `<name>` (other
  models already listed are kept); start the server with
  `tensorflow_model_server --model_config_file=<out>/models.config
  --port=8500 --rest_api_port=8501`;
- `tflite/<name>/<version>/<name>_<variant>.tflite` for each variant
  (`float32`, `float16`, `dynamic_range`, `int8`; builtin ops only, no
  Flex; float32 input `images` and output `outputs`, see
  `kfreqgan.export.tflite`) and `export.json` describing them. TFLite
  needs a fixed size: pass `--image-size HxW` for a size-free generator.

`--version` defaults to one more than the highest existing version. An
existing version is replaced only with `--overwrite`. Each folder is
written under a temporary name next to its place and renamed into place
when complete (see `kfreqgan.export.atomic_dirs`), so an interrupted export
never leaves a half-written version where a server would load it.

The int8 variant is calibrated on `--calibration-count` representative
images, `--calibration`: `hazy` (default: patches of the bundled training
photos with synthetic haze, what a dehazer sees), `clean` (the same
patches without haze) or a folder of your own images (see
`kfreqgan.export.calibration`).

Before anything is published, each export is run on hazy (or clean)
patches of the held-out photos and compared with the Keras model: the
SavedModel must agree to 1e-4 and the float32 TFLite model to 1e-3 (max
abs error), else the export fails (`--no-verify` skips the check); the
figures of every variant, int8's PSNR included, go into the JSON files and
the printed summary.
"""

import argparse
import contextlib
import json
import os
import re
import sys
import zipfile

VARIANTS = ("float32", "float16", "dynamic_range", "int8")
FORMATS = ("saved_model", "tflite")
SAVED_MODEL_TOLERANCE = 1e-4
TFLITE_FLOAT32_TOLERANCE = 1e-3
CHECK_IMAGES = 4
# Check images for a generator without a fixed size: not a multiple of 8, so
# the model's own padding and cropping are exercised.
SIZE_FREE_CHECK_SIZE = (72, 100)


class _Arguments(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, as for other errors
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser():
    parser = _Arguments(prog="kfreqgan-export", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="the .keras file (generator.keras or freqgan.keras)")
    parser.add_argument("--out", required=True, help="output folder (TF Serving model root)")
    parser.add_argument("--name", help="model name for TF Serving and the file names (default: the model file's name)")
    parser.add_argument("--version", type=int, help="version number (default: highest existing + 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing version")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated subset of {','.join(FORMATS)}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"TFLite variants, subset of {','.join(VARIANTS)}")
    parser.add_argument(
        "--calibration", default="hazy", help="int8 calibration images: hazy (default), clean or a folder of images"
    )
    parser.add_argument(
        "--tflite-io",
        default="float32",
        choices=("float32", "uint8", "both"),
        help="TFLite input/output type: float32 in [0, 1] (default), uint8 pixels (not for int8), or both files",
    )
    parser.add_argument("--calibration-count", type=int, default=64, help="number of calibration images (default 64)")
    parser.add_argument(
        "--calibration-short-side", type=int, help="resize the bundled photos to this shorter side first (default 4x the image size)"
    )
    parser.add_argument(
        "--image-size",
        help="HxW (or one number): fixes the image size of every export, for generators built without one "
        "(needed for TFLite; without it such a SavedModel takes any size)",
    )
    parser.add_argument(
        "--serving-base-path",
        help="folder that holds <out> as the server sees it, e.g. /models in a container (default: <out> as an absolute path)",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the comparison with the Keras model")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _split_choices(text, allowed, option):
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in allowed]
    if not chosen or unknown:
        raise ValueError(f"{option} takes a comma-separated subset of {','.join(allowed)}. Received: {option}={text!r}")
    return tuple(dict.fromkeys(chosen))


def _image_size(text):
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+))?\s*", text)
    if not match or int(match.group(1)) < 1 or (match.group(2) and int(match.group(2)) < 1):
        raise ValueError(f"--image-size takes HxW or one positive number. Received: --image-size={text!r}")
    height = int(match.group(1))
    return height, int(match.group(2) or height)


def _check_model_file(path):
    """Cheap checks that need no TensorFlow: exists, is a .keras archive."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"Model file not found. Received: model={path!r}")
    if os.path.isdir(path):
        raise ValueError(f"Expected a .keras model file, not a folder. Received: model={path!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"Not a Keras model file (a .keras file is a zip archive with config.json). Received: model={path!r}")
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            raise ValueError(f"Not a Keras model file (the archive has no config.json). Received: model={path!r}")


def _default_name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip("._-") or "model"


def _agreement(reference, outputs):
    """max |error| and PSNR (dB, peak 1; None when identical) against `reference`."""
    import numpy as np

    error = np.abs(np.asarray(outputs, np.float64) - np.asarray(reference, np.float64))
    mse = float(np.mean(error**2))
    return {"max_abs_error": float(error.max()), "psnr_db": None if mse == 0 else float(10 * np.log10(1.0 / mse))}


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

    from kfreqgan.export import serving

    serving.save_serving_model(generator, directory)
    shape = (None,) + tuple(generator.inputs[0].shape[1:])
    manifest = {
        **info,
        "signatures": {
            serving.SERVING_DEFAULT: {
                "inputs": [_tensor_doc(serving.INPUT_NAME, "float32", shape, [0, 1])],
                "outputs": [_tensor_doc(serving.OUTPUT_NAME, "float32", shape, [0, 1])],
            },
            serving.SERVING_UINT8: {
                "inputs": [_tensor_doc(serving.INPUT_NAME, "uint8", shape, [0, 255])],
                "outputs": [_tensor_doc(serving.OUTPUT_NAME, "uint8", shape, [0, 255])],
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
        manifest["agreement_with_keras"] = {serving.SERVING_DEFAULT: float_check, serving.SERVING_UINT8: uint8_check}
        if not float_check["max_abs_error"] <= SAVED_MODEL_TOLERANCE:
            raise ValueError(
                f"The SavedModel disagrees with the Keras model: max abs error {float_check['max_abs_error']:.3g} "
                f"> {SAVED_MODEL_TOLERANCE:g} (use --no-verify to export anyway)."
            )
        if uint8_check["max_abs_difference"] > 1:
            raise ValueError(
                f"serving_uint8 disagrees with the Keras model by {uint8_check['max_abs_difference']} grey levels (> 1)."
            )
    extra = os.path.join(directory, "assets.extra")
    os.makedirs(extra, exist_ok=True)
    _write_json(os.path.join(extra, "kfreqgan_export.json"), manifest)
    return manifest


def _keras_outputs(generator, images):
    from kfreqgan.export.generator import unit_range_outputs

    return unit_range_outputs(generator, images).numpy()


def _uint8_reference(generator, check_images):
    """`(pixels, expected)`: the check images as uint8, and what a uint8
    export must return for them (the Keras outputs, rounded to uint8)."""
    import numpy as np

    pixels = np.round(check_images * 255).astype(np.uint8)
    return pixels, np.round(_keras_outputs(generator, pixels / np.float32(255)) * 255)


def _build_tflite(directory, name, generator, variants, calibration, check_images, reference, verify, info, io_dtypes=("float32",)):
    """Converts each variant (and I/O type) into `directory`, checks them, writes export.json.

    A uint8 model `<name>_<variant>_uint8.tflite` takes and returns uint8
    pixels (see `kfreqgan.export.tflite`); its manifest key is
    `<variant>_uint8`.
    """
    import numpy as np

    from kfreqgan.export import tflite
    from kfreqgan.export.generator import clipped_model

    model = clipped_model(generator)
    shape = (None,) + tuple(model.inputs[0].shape[1:])
    manifest = {
        **info,
        "signature": tflite.SIGNATURE_KEY,
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
        model_bytes = tflite.convert_to_tflite(model, variant, representative_images=images, io_dtype=io_dtype)
        key = variant if io_dtype == "float32" else f"{variant}_uint8"
        file_name = f"{name}_{key}.tflite"
        with open(os.path.join(directory, file_name), "wb") as handle:
            handle.write(model_bytes)
        entry = {"file": file_name, "bytes": len(model_bytes), "io_dtype": io_dtype}
        if variant == "int8":  # ops without an int8 kernel, left in float32
            entry["float_ops"] = sorted(tflite.float_op_names(model_bytes))
        if verify and io_dtype == "uint8":
            outputs = tflite.run_tflite(model_bytes, uint8_images).astype(np.int64)
            levels = int(np.abs(outputs - uint8_reference.astype(np.int64)).max())
            entry["agreement_with_keras"] = {"max_abs_difference_grey_levels": levels}
            if variant == "float32" and levels > 1:
                raise ValueError(
                    f"The uint8 float32 TFLite model disagrees with the Keras model by {levels} grey levels (> 1) "
                    "(use --no-verify to export anyway)."
                )
        elif verify:
            entry["agreement_with_keras"] = _agreement(reference, tflite.run_tflite(model_bytes, check_images))
            error = entry["agreement_with_keras"]["max_abs_error"]
            if variant == "float32" and not error <= TFLITE_FLOAT32_TOLERANCE:
                raise ValueError(
                    f"The float32 TFLite model disagrees with the Keras model: max abs error {error:.3g} > "
                    f"{TFLITE_FLOAT32_TOLERANCE:g} (use --no-verify to export anyway)."
                )
        manifest["variants"][key] = entry
    _write_json(os.path.join(directory, "export.json"), manifest)
    return manifest


def run_export(args):
    """Runs an export described by parsed command-line arguments.

    Args:
        args: the `argparse.Namespace` of `kfreqgan-export`'s options.

    Returns:
        A dict summarising what was written (paths, manifests).

    Raises:
        FileNotFoundError: for a missing model file or calibration folder.
        FileExistsError: for an existing version without `--overwrite`.
        ValueError: for bad options, a file that is not a Keras model, a
            model that is not an image-to-image generator, a failed
            conversion or a failed check.
    """
    formats = _split_choices(args.formats, FORMATS, "--formats")
    variants = _split_choices(args.variants, VARIANTS, "--variants") if "tflite" in formats else ()
    image_size = _image_size(args.image_size)
    if args.version is not None and args.version < 0:
        raise ValueError(f"--version must be a non-negative integer. Received: --version={args.version}")
    if args.calibration_count < 1:
        raise ValueError(f"--calibration-count must be >= 1. Received: --calibration-count={args.calibration_count}")
    _check_model_file(args.model)
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out must be a folder. Received: --out={args.out!r}")
    from kfreqgan.paths import check_command_paths  # outputs never land on inputs (kfreqgan.paths)

    check_command_paths(args.out, [args.model], [args.calibration] if "int8" in variants else (), ["models.config"])

    from kfreqgan.export import serving
    from kfreqgan.export.atomic_dirs import staged_directory

    name = serving.check_model_name(args.name if args.name is not None else _default_name(args.model))
    base_path = os.path.join(out, name)
    version = args.version if args.version is not None else serving.next_version(base_path)
    targets = {}
    if "saved_model" in formats:
        targets["saved_model"] = os.path.join(base_path, str(version))
    if "tflite" in formats:
        targets["tflite"] = os.path.join(out, "tflite", name, str(version))
    for target in targets.values():  # fail before the slow work
        if os.path.exists(target) and not args.overwrite:
            raise FileExistsError(f"{target} already exists; pass --overwrite to replace it.")

    import kfreqgan
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.export import calibration as calibration_data
    from kfreqgan.export.generator import load_generator
    from kfreqgan.export.generator import with_static_size

    generator = load_generator(args.model)
    height, width, channels = generator.inputs[0].shape[1:]
    if image_size is not None:
        generator = with_static_size(generator, *image_size)
        height, width = image_size
    size_free = height is None or width is None
    if size_free and "tflite" in formats:
        raise ValueError(
            "The generator was built without a fixed image size and TFLite needs one; pass --image-size HxW "
            "(or --formats saved_model for a SavedModel that takes any size)."
        )
    # The checks against the Keras model run on images of the exported size,
    # or of SIZE_FREE_CHECK_SIZE for a SavedModel that takes any size.
    check_height, check_width = SIZE_FREE_CHECK_SIZE if size_free else (height, width)
    source = args.calibration
    calibration = None
    if "int8" in variants:
        if source not in calibration_data.SOURCES and not os.path.isdir(source):
            raise FileNotFoundError(
                f"--calibration is neither hazy, clean nor an existing folder. Received: --calibration={source!r}"
            )
        short_side = args.calibration_short_side
        images = calibration_data.representative_images(
            (height, width, channels), source, args.calibration_count, seed=0, short_side=short_side
        )
        calibration = {
            "images": images,
            "description": {
                "source": source if source in calibration_data.SOURCES else os.path.abspath(source),
                "count": int(len(images)),
                "short_side": short_side or (4 * max(height, width) if source in calibration_data.SOURCES else None),
                "seed": 0,
            },
        }
    verify = not args.no_verify
    check_images = reference = None
    check_source = source if source in calibration_data.SOURCES else "hazy"
    if verify:
        check_images = calibration_data.representative_images(
            (check_height, check_width, channels), check_source, CHECK_IMAGES, seed=1, photos=HELDOUT_PHOTOS
        )
        reference = _keras_outputs(generator, check_images)
    info = {
        "model_name": name,
        "version": version,
        "source_model": os.path.abspath(args.model),
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
        staged = {kind: stack.enter_context(staged_directory(path, args.overwrite)) for kind, path in targets.items()}
        if "saved_model" in staged:
            summary["saved_model"] = _build_saved_model(staged["saved_model"], generator, check_images, reference, verify, info)
        if "tflite" in staged:
            summary["tflite"] = _build_tflite(
                staged["tflite"], name, generator, variants, calibration, check_images, reference, verify, info,
                ("float32", "uint8") if args.tflite_io == "both" else (args.tflite_io,),
            )
    if "saved_model" in targets:
        server_base = base_path if args.serving_base_path is None else f"{args.serving_base_path.rstrip('/')}/{name}"
        summary["models_config"] = os.path.join(out, "models.config")
        summary["server_base_path"] = server_base
        serving.update_models_config(summary["models_config"], name, server_base)
    return summary


def _format_agreement(entry):
    agreement = entry.get("agreement_with_keras")
    if not agreement:
        return ""
    if "max_abs_difference_grey_levels" in agreement:
        return f" (uint8 pixels; vs Keras on held-out photos: max difference {agreement['max_abs_difference_grey_levels']} grey levels)"
    psnr = "identical" if agreement["psnr_db"] is None else f"PSNR {agreement['psnr_db']:.1f} dB"
    return f" (vs Keras on held-out photos: max |error| {agreement['max_abs_error']:.2g}, {psnr})"


def _print_summary(summary):
    if "saved_model" in summary:
        signatures = summary["saved_model"]["signatures"]
        parts = []
        for key, signature in signatures.items():
            (tensor,) = signature["inputs"]
            parts.append(f"{key} ({tensor['dtype']} {tensor['name']} {tensor['shape']} -> {signature['outputs'][0]['name']})")
        print(f"wrote {summary['paths']['saved_model']}: SavedModel, signatures {'; '.join(parts)}")
        print(f"updated {summary['models_config']}: model {summary['name']!r}, base_path {summary['server_base_path']}")
    if "tflite" in summary:
        print(f"wrote {summary['paths']['tflite']}:")
        for variant, entry in summary["tflite"]["variants"].items():
            print(f"  {entry['file']}: {entry['bytes'] / 1024:.0f} KiB{_format_agreement(entry)}")


def main(argv=None):
    """Runs `kfreqgan-export` (see the module docstring).

    Args:
        argv: the arguments (default: `sys.argv[1:]`).

    Returns:
        The exit status: 0 on success, 2 on error (one line on stderr,
        `kfreqgan-export: error: ...`; a traceback only with `--debug`).
    """
    args = _parser().parse_args(argv)
    if args.debug:
        import keras

        keras.config.disable_traceback_filtering()
    try:
        summary = run_export(args)
    except Exception as error:  # one clear line for users, traceback with --debug
        if args.debug:
            raise
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        message = lines[0] if lines else type(error).__name__
        if len(lines) > 1:
            message += " (more with --debug)"
        print(f"kfreqgan-export: error: {message}", file=sys.stderr)
        return 2
    _print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
