"""`kfreqgan-spectrum`: compare the spectra of two image sets.

    kfreqgan-spectrum REAL_DIR FAKE_DIR --out report/
    kfreqgan-spectrum REAL_DIR generator.keras --out report/ [--num-samples 256]
    kfreqgan-spectrum CLEAN_DIR dehazer.keras --inputs HAZY_DIR --out report/
    kfreqgan-spectrum REAL_DIR FAKE_DIR --resize 128 --out report/

The second set is a folder of images or a saved model (opened by
`kfreqgan.models.loading.load_generator`: a `.keras` file, a SavedModel
folder or a `.tflite` file from `kfreqgan-export`): a generator that takes
latent vectors is sampled (`--num-samples`, `--seed`); one that takes
images (e.g. a dehazer, or a `FreqGAN`) is run on `--inputs`. Writes
into `--out`: `radial.png` (mean radial power of both sets with the bands
shaded, and the gap), `spectra_2d.png` (mean 2D log spectra), `bias.png`
(the frequency-bias measure per band) and `report.json`
(`kfreqgan.analysis.compare_image_sets`). Images of different sizes are an
error unless `--resize N` (centre crop and resize to N x N). `report.json`
is strict JSON: a value that is not a finite number (the dB of a band with
no power) is written as `null`. Errors follow `kfreqgan.command_line`.
"""

import json
import math
import os
import sys

import numpy as np

from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import int_at_least
from kfreqgan.command_line import run_main


def load_folder(directory, resize=None, name="folder"):
    """All images of a folder as float32 `(N, H, W, 3)` in [0, 1].

    Raises:
        FileNotFoundError / ValueError: missing or empty folder, an
        unreadable file, or images of different sizes without `resize`
        (the message names the files).
    """
    from kfreqgan.data import center_crop
    from kfreqgan.data.image_files import list_image_files
    from kfreqgan.data.image_files import load_image

    images, first = [], None
    for path in list_image_files(directory, name=name):
        image = load_image(path)
        if resize:
            image = center_crop(image, resize)
        elif first is None:
            first = (path, image.shape)
        elif image.shape != first[1]:
            raise ValueError(
                f"Images in {directory!r} have different sizes: {os.path.basename(first[0])} is "
                f"{first[1][0]}x{first[1][1]}, {os.path.basename(path)} is {image.shape[0]}x{image.shape[1]}. "
                "Pass --resize N to centre-crop and resize them all to N x N."
            )
        images.append(image)
    return np.stack(images)


REPORT_FILES = ("radial.png", "spectra_2d.png", "bias.png", "report.json")


def check_output_paths(args):
    """The path-safety rule (`kfreqgan.paths`) before any work: `--out` is
    not an input folder by any spelling (a sub-folder is fine: folders are
    read without their sub-folders), no report file would replace an input
    file, and `--out` can be written to."""
    from kfreqgan.paths import check_command_paths

    check_command_paths(args.out, [args.fake], [args.real, args.fake, args.inputs], REPORT_FILES)


def is_model(path):
    """Whether `path` names a model rather than a folder of images: a file, or a SavedModel folder."""
    from kfreqgan.models.loading import SAVED_MODEL_FILE

    return not os.path.isdir(path) or os.path.isfile(os.path.join(path, SAVED_MODEL_FILE))


def generate(model_path, inputs_dir, num_samples, seed, resize):
    """Images from a saved generator (or FreqGAN, or an export) for the comparison."""
    import keras

    from kfreqgan.models.loading import load_generator

    if os.path.isfile(model_path) and not model_path.endswith((".keras", ".tflite")):
        raise ValueError(
            "The second set must be a folder of images or a model (a .keras file, a SavedModel folder or a .tflite file). "
            f"Received: {model_path!r}"
        )
    generator = load_generator(model_path, image_to_image=False)
    if not isinstance(generator, keras.Model):  # an export: images to images, float32 in [0, 1]
        return _run_on_inputs(generator, generator.input_shape, model_path, inputs_dir, resize)
    model = generator
    input_shape = tuple(generator.inputs[0].shape)
    if len(input_shape) == 2:  # latent vectors
        from kfreqgan._validation import check_array_size

        output_shape = tuple(dim or 1 for dim in generator.outputs[0].shape[1:])
        check_array_size((num_samples,) + output_shape, "The generated images", f"--num-samples={num_samples}")
        latent = np.random.default_rng(seed).standard_normal((num_samples, input_shape[1])).astype(np.float32)
        return np.clip(model.predict(latent, verbose=0), 0.0, 1.0)
    return _run_on_inputs(lambda images: model.predict(images, verbose=0), input_shape[1:], model_path, inputs_dir, resize)


def _run_on_inputs(run, input_shape, model_path, inputs_dir, resize):
    """An image-to-image model's outputs on the `--inputs` images, in [0, 1]."""
    if inputs_dir is None:
        raise ValueError(f"{os.path.basename(os.path.normpath(model_path))} maps images to images: pass the images to run it on with --inputs DIR.")
    size = input_shape[0] if input_shape[0] is not None else resize
    inputs = load_folder(inputs_dir, resize=size, name="--inputs")
    if input_shape[-1] == 1:
        from kfreqgan.spectral import to_grayscale

        inputs = to_grayscale(inputs).numpy()
    return np.clip(run(inputs), 0.0, 1.0)


def strict_json(value):
    """`value` with every float that is not finite (NaN, +-Inf) replaced by None,
    so that `json.dumps(..., allow_nan=False)` writes valid JSON."""
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return strict_json(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_report(real, fake, out, num_bins=None):
    """Runs the comparison and writes the plots and report.json into `out`."""
    from kfreqgan.analysis import compare_image_sets
    from kfreqgan.analysis import plot_band_errors
    from kfreqgan.analysis import plot_radial_power
    from kfreqgan.analysis import plot_spectra_2d
    from kfreqgan.atomic_files import write_atomically
    from kfreqgan.atomic_files import write_text_atomically

    report, arrays = compare_image_sets(real, fake, num_bins=num_bins)
    frequencies = arrays["real"]["frequencies"]
    bands = {name: tuple(entry["range_cycles_per_pixel"]) for name, entry in report["bands"].items()}
    figures = {
        "radial.png": plot_radial_power(
            frequencies, {"real": arrays["real"]["mean_db"], "fake": arrays["fake"]["mean_db"]}, bands=bands, reference="real"
        ),
        "spectra_2d.png": plot_spectra_2d(
            {"real": arrays["real"]["mean_log_spectrum_db"], "fake": arrays["fake"]["mean_log_spectrum_db"]}
        ),
        "bias.png": plot_band_errors(
            arrays["bias"]["band_centres"],
            arrays["bias"]["band_error_db"],
            title=f"Frequency bias: slope {arrays['bias']['slope_db_per_cycle']:.1f} dB per cycle/pixel",
        ),
    }
    for name, figure in figures.items():
        write_atomically(os.path.join(out, name), lambda path, figure=figure: figure.savefig(path, dpi=100))
    write_text_atomically(os.path.join(out, "report.json"), json.dumps(strict_json(report), indent=2, allow_nan=False))
    return report


def _parser():
    parser = ArgumentParser(prog="kfreqgan-spectrum", description=__doc__.split("\n\n")[0])
    parser.add_argument("real", help="folder of reference images")
    parser.add_argument("fake", help="folder of images to compare, or a model (.keras, SavedModel folder, .tflite)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--inputs", help="folder of input images for an image-to-image model")
    parser.add_argument("--num-samples", type=int_at_least(2), default=256, help="samples from a latent-vector generator")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resize", type=int_at_least(8), help="centre-crop and resize every image to N x N")
    parser.add_argument("--num-bins", type=int_at_least(1), help="radial bins (default: half the image size)")
    return parser


def _run(args):
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out must be a folder. Received: --out={args.out!r}")
    check_output_paths(args)
    import time

    start = time.perf_counter()
    real = load_folder(args.real, args.resize, name="real")
    if is_model(args.fake):
        fake = generate(args.fake, args.inputs, args.num_samples, args.seed, args.resize)
    else:
        fake = load_folder(args.fake, args.resize, name="fake")
    if real.shape[1:3] != fake.shape[1:3]:
        raise ValueError(
            f"The two sets have different image sizes ({real.shape[1]}x{real.shape[2]} and "
            f"{fake.shape[1]}x{fake.shape[2]}); pass --resize N."
        )
    if args.num_bins is None and min(real.shape[1:3]) < 2:
        raise ValueError(
            f"The images are {real.shape[1]}x{real.shape[2]} pixels: too small for a radial spectrum "
            "(both sides need at least 2 pixels); pass --resize N or larger images."
        )
    if real.shape[-1] != fake.shape[-1]:
        real = real[..., :1] if fake.shape[-1] == 1 else real
    report = write_report(real, fake, args.out, args.num_bins)
    bias = report["frequency_bias"]
    print(
        f"{report['images']['real']} real vs {report['images']['fake']} fake images: spectral distance "
        f"{report['spectral_distance_db']:.2f} dB; frequency-bias slope {bias['slope_db_per_cycle']:.1f} dB per "
        f"cycle/pixel (high/low error ratio {bias['high_to_low']:.2f})"
    )
    for name, entry in report["bands"].items():
        print(f"  {name:<5} gap {entry['mean_gap_db']:+7.2f} dB   energy share real {entry['real_energy_share'][0]:.3f} fake {entry['fake_energy_share'][0]:.3f}")
    count, seconds = report["images"]["real"] + report["images"]["fake"], time.perf_counter() - start
    print(f"read and analysed {count} images in {seconds:.1f} s ({count / seconds:.0f} images/s)")
    print(f"wrote {args.out}/radial.png, spectra_2d.png, bias.png, report.json")


def main(argv=None):
    """Runs `kfreqgan-spectrum` (see the module docstring); returns the exit status."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
