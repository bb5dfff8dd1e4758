"""`kfreqgan-export`: a trained generator to TF Serving and TFLite.

    kfreqgan-export runs/dehaze/generator.keras --out exported --name dehazer
    kfreqgan-export runs/dehaze/freqgan.keras --out exported --name dehazer --version 2 --overwrite
    kfreqgan-export generator.keras --out exported --variants float32,int8 --calibration my_photos/
    kfreqgan-export pretrained:dehazer --out serving/     # the shipped dehazer, any size (SavedModel)
    kfreqgan-export pretrained:dehazer --out phone/ --formats tflite   # its any-size TFLite variants

The command-line face of `kfreqgan.export.export_generator` (see
`kfreqgan.export.generator_export` for what is written where, versions,
calibration and the checks against the Keras model): it parses the options,
calls it and prints a summary. Errors follow `kfreqgan.command_line`: one
line, exit status 2 (130 when interrupted); `--debug` shows the traceback.
"""

import os
import sys

from kfreqgan._validation import check_at_least
from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import int_at_least
from kfreqgan.command_line import output_folder
from kfreqgan.command_line import run_main
from kfreqgan.export.generator_export import DEFAULT_MIN_PSNR
from kfreqgan.export.generator_export import FORMATS
from kfreqgan.export.generator_export import MODELS_CONFIG
from kfreqgan.export.generator_export import TFLITE_IO
from kfreqgan.export.generator_export import check_choices
from kfreqgan.export.generator_export import export_generator
from kfreqgan.export.generator_export import parse_image_size
from kfreqgan.export.tflite import VARIANTS


def _parser():
    parser = ArgumentParser(prog="kfreqgan-export", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="the .keras file (generator.keras or freqgan.keras), or pretrained:dehazer for the shipped dehazer")
    parser.add_argument("--out", required=True, type=output_folder, help="output folder (TF Serving model root)")
    parser.add_argument("--name", help="model name for TF Serving and the file names (default: the model file's name)")
    parser.add_argument("--version", type=int_at_least(0), help="version number (default: highest existing + 1, in either format)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing version")
    parser.add_argument(
        "--formats",
        help=f"comma-separated subset of {','.join(FORMATS)} (default: both; only saved_model for a generator "
        "without a fixed size, when neither --image-size nor --variants is given: ask for tflite to get a "
        "whole-image dehazer's any-size TFLite models)",
    )
    parser.add_argument("--variants", help=f"TFLite variants, subset of {','.join(VARIANTS)} (default: all)")
    parser.add_argument(
        "--calibration", default="hazy", help="int8 calibration images: hazy (default), clean or a folder of images"
    )
    parser.add_argument(
        "--tflite-io",
        default="float32",
        choices=TFLITE_IO,
        help="TFLite input/output type: float32 in [0, 1] (default), uint8 pixels (not for int8), or both files",
    )
    parser.add_argument("--calibration-count", type=int_at_least(1), default=64, help="number of calibration images (default 64)")
    parser.add_argument(
        "--calibration-short-side", type=int_at_least(1), help="resize the bundled photos to this shorter side first (default 4x the image size, at most 2048)"
    )
    parser.add_argument(
        "--image-size",
        help="HxW (or one number): fixes the image size of every export, for generators built without one "
        "(needed for the TFLite export of a U-Net; without it a SavedModel, and the TFLite models of a whole-image "
        "dehazer such as pretrained:dehazer, take any size)",
    )
    parser.add_argument(
        "--serving-base-path",
        help="folder that holds <out> as the server sees it, e.g. /models in a container (default: <out> as an absolute path)",
    )
    parser.add_argument(
        "--min-psnr",
        type=float,
        default=DEFAULT_MIN_PSNR,
        help=f"refuse to publish a TFLite variant further than this many dB PSNR from the Keras model on held-out "
        f"hazy photos (default {DEFAULT_MIN_PSNR:g}; 0 publishes anyway)",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the comparison with the Keras model")
    return parser


def _check_options(args):
    """The options' own checks, with the messages naming the flags (before any work)."""
    # None: both formats, or the SavedModel alone for a size-free generator
    # (export_generator decides once the model is loaded).
    auto = args.formats is None and args.variants is None and args.image_size is None
    formats = None if auto else check_choices(args.formats or ",".join(FORMATS), FORMATS, "--formats")
    tflite_possible = formats is None or "tflite" in formats
    if formats is not None and "tflite" in formats:
        from kfreqgan._extras import require

        require("ai_edge_litert", "TFLite export (--formats tflite)")
    variants = check_choices(args.variants or ",".join(VARIANTS), VARIANTS, "--variants") if tflite_possible else ()
    image_size = parse_image_size(args.image_size, "--image-size")
    check_at_least(args.min_psnr, "--min-psnr")  # nan, inf (and 1e400, which reads as inf) are not thresholds
    from kfreqgan.export.calibration import SOURCES as CALIBRATION_SOURCES

    if "int8" in variants and args.calibration not in CALIBRATION_SOURCES and not os.path.isdir(args.calibration):
        raise FileNotFoundError(
            f"--calibration is neither hazy, clean nor an existing folder. Received: --calibration={args.calibration!r}"
        )
    from kfreqgan.paths import check_command_paths  # outputs never land on inputs (kfreqgan.paths)

    check_command_paths(args.out, [args.model], [args.calibration] if "int8" in variants else (), [MODELS_CONFIG])
    return formats, variants, image_size


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


def _run(args):
    formats, variants, image_size = _check_options(args)
    summary = export_generator(
        args.model,
        args.out,
        name=args.name,
        formats=formats,
        variants=variants or VARIANTS,
        image_size=image_size,
        version=args.version,
        overwrite=args.overwrite,
        calibration=args.calibration,
        calibration_count=args.calibration_count,
        calibration_short_side=args.calibration_short_side,
        tflite_io=args.tflite_io,
        serving_base_path=args.serving_base_path,
        verify=not args.no_verify,
        min_psnr=args.min_psnr,
    )
    _print_summary(summary)


def main(argv=None):
    """Runs `kfreqgan-export` (see the module docstring).

    Args:
        argv: the arguments (default: `sys.argv[1:]`).

    Returns:
        The exit status: 0 on success, 2 on error (one line on stderr,
        `kfreqgan-export: error: ...`; a traceback only with `--debug`),
        130 when interrupted.
    """
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
