"""`kfreqgan-spectrum`: compare the spectra of two image sets.

    kfreqgan-spectrum REAL_DIR FAKE_DIR --out report/
    kfreqgan-spectrum REAL_DIR generator.keras --out report/ [--num-samples 256]
    kfreqgan-spectrum CLEAN_DIR dehazer.keras --inputs HAZY_DIR --out report/
    kfreqgan-spectrum REAL_DIR FAKE_DIR --resize 128 --out report/

The second set is a folder of images or a saved model (opened by
`kfreqgan.models.loading.load_generator`: a `.keras` file, a SavedModel
folder or a `.tflite` file from `kfreqgan-export`): a generator that takes
latent vectors is sampled (`--num-samples`, `--seed`); one that takes
images (e.g. a dehazer, or a `FreqGAN`) is run on `--inputs`. These
options are refused where they do not apply (a folder, or the other kind
of model), as is a model whose output is not images `(N, H, W, 1 or 3)`
or holds NaN. A grey (one-channel) model is compared in grey: the real
images are converted as the spectra always are (`to_grayscale`). Writes
into `--out`: `radial.png` (mean radial power of both sets with the bands
shaded, and the gap), `spectra_2d.png` (mean 2D log spectra), `bias.png`
(the frequency-bias measure per band) and `report.json`
(`kfreqgan.analysis.compare_image_sets`). Images of different sizes are an
error unless `--resize N` (centre crop and resize to N x N). `report.json`
is strict JSON: a value that is not a finite number (the dB of a band with
no power, the gap of a band with no radial bin) is written as `null`, and
printed as `n/a`. Errors follow `kfreqgan.command_line`.
"""

import json
import math
import os
import sys

import numpy as np

from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import int_at_least
from kfreqgan.command_line import output_folder
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


MODEL_OPTIONS = ("inputs", "num_samples", "seed")  # the options that only apply to a model
DEFAULT_NUM_SAMPLES, DEFAULT_SEED = 256, 0


def _options(**values):
    """`--num-samples=7, --seed=3` for the options that were given (not None)."""
    return ", ".join(f"--{name.replace('_', '-')}={value!r}" for name, value in values.items() if value is not None)


def grey(images):
    """`images` `(N, H, W, 1 or 3)` as grey `(N, H, W, 1)` NumPy float32, converted as every
    spectrum here is (`kfreqgan.spectral.to_grayscale`); grey images are returned unchanged."""
    from kfreqgan.spectral import to_grayscale

    return np.asarray(to_grayscale(images))


def _image_shape_error(what, name, shape):
    return ValueError(
        f"The model's {what} must be images (batch, height, width, channels) with 1 or 3 channels. "
        f"Received: model={name!r}, {what}_shape={tuple(shape)}"
    )


def _model_shapes(model, name):
    """The `(input, output)` shapes of a Keras generator, checked before anything is generated:
    one input, latent vectors `(batch, dim)` or images; one output, images with 1 or 3 channels."""
    inputs, outputs = model.inputs or [], model.outputs or []
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            "The model must have one input (latent vectors or images) and one output (images). "
            f"Received: model={name!r}, len(model.inputs)={len(inputs)}, len(model.outputs)={len(outputs)}"
        )
    input_shape, output_shape = tuple(inputs[0].shape), tuple(outputs[0].shape)
    if len(output_shape) != 4 or output_shape[-1] not in (1, 3):
        raise _image_shape_error("output", name, output_shape)
    if len(input_shape) == 2:
        if input_shape[1] is None:
            raise ValueError(f"The model's latent vectors must have a known size. Received: model={name!r}, input_shape={input_shape}")
    elif len(input_shape) != 4 or input_shape[-1] not in (1, 3):
        raise ValueError(
            "The model's input must be latent vectors (batch, dim) or images (batch, height, width, channels) "
            f"with 1 or 3 channels. Received: model={name!r}, input_shape={input_shape}"
        )
    return input_shape, output_shape


def _check_generated(images, name):
    """The outputs of a model, checked (NHWC images with 1 or 3 channels, finite) and clipped to [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise _image_shape_error("output", name, images.shape)
    finite = np.isfinite(images).reshape(len(images), -1).all(axis=1)
    if not finite.all():
        raise ValueError(
            f"The model's outputs hold NaN or infinite values in {int((~finite).sum())} of {len(images)} images, "
            f"which have no spectrum. Received: model={name!r}"
        )
    return np.clip(images, 0.0, 1.0)


def generate(model_path, inputs_dir, num_samples=None, seed=None, resize=None):
    """Images from a saved generator (or FreqGAN, or an export) for the comparison.

    A generator of latent vectors is sampled (`num_samples`, default 256;
    `seed`, default 0); an image-to-image one is run on the images of
    `inputs_dir`. The model's shapes are checked before anything is
    generated, and an option that does not apply to it is an error.
    """
    import keras

    from kfreqgan.models.loading import load_generator

    if os.path.isfile(model_path) and not model_path.lower().endswith((".keras", ".tflite")):
        raise ValueError(
            "The second set must be a folder of images or a model (a .keras file, a SavedModel folder or a .tflite file). "
            f"Received: {model_path!r}"
        )
    name = os.path.basename(os.path.normpath(model_path))
    generator = load_generator(model_path, image_to_image=False)
    if not isinstance(generator, keras.Model):  # an export: images to images, float32 in [0, 1]
        input_shape = (None,) + tuple(generator.input_shape)
        if len(input_shape) != 4 or input_shape[-1] not in (1, 3):
            raise _image_shape_error("input", name, input_shape)
        _refuse_sampling_options(name, num_samples, seed)
        return _check_generated(_run_on_inputs(generator, input_shape[1:], name, inputs_dir, resize), name)
    input_shape, output_shape = _model_shapes(generator, name)
    if len(input_shape) == 2:  # latent vectors
        from kfreqgan._validation import check_array_size

        if inputs_dir is not None:
            raise ValueError(
                f"--inputs only applies to a model that maps images to images; {name} takes latent vectors "
                f"(--num-samples, --seed). Received: --inputs={inputs_dir!r}"
            )
        num_samples = DEFAULT_NUM_SAMPLES if num_samples is None else num_samples
        seed = DEFAULT_SEED if seed is None else seed
        check_array_size((num_samples,) + tuple(dim or 1 for dim in output_shape[1:]), "The generated images", f"--num-samples={num_samples}")
        latent = np.random.default_rng(seed).standard_normal((num_samples, input_shape[1])).astype(np.float32)
        return _check_generated(generator.predict(latent, verbose=0), name)
    _refuse_sampling_options(name, num_samples, seed)
    images = _run_on_inputs(lambda images: generator.predict(images, verbose=0), input_shape[1:], name, inputs_dir, resize)
    return _check_generated(images, name)


def _refuse_sampling_options(name, num_samples, seed):
    if num_samples is not None or seed is not None:
        raise ValueError(
            f"--num-samples and --seed only apply to a generator of latent vectors; {name} maps images to images "
            f"(it is run on --inputs). Received: {_options(num_samples=num_samples, seed=seed)}"
        )


def _run_on_inputs(run, input_shape, name, inputs_dir, resize):
    """An image-to-image model's (called `name` in messages) outputs (unchecked, unclipped) on the
    `--inputs` images, cropped and resized to the model's fixed size where it has one (else to `--resize`)."""
    if inputs_dir is None:
        raise ValueError(f"{name} maps images to images: pass the images to run it on with --inputs DIR.")
    height, width, channels = input_shape
    fixed = (height, width) if height is not None and width is not None else None
    size = height if fixed and height == width else None if fixed else resize
    inputs = load_folder(inputs_dir, resize=size, name="--inputs")
    if fixed and inputs.shape[1:3] != fixed:
        raise ValueError(
            f"{name} takes {height}x{width} images; the --inputs images are {inputs.shape[1]}x{inputs.shape[2]}. "
            f"Received: --inputs={inputs_dir!r}"
        )
    if channels == 1:
        inputs = grey(inputs)
    return run(inputs)


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


BIAS_BANDS = 8  # rings of the frequency-bias measure, fewer where the images are too small for them


def bias_band_count(height, width, most=BIAS_BANDS):
    """The most rings (at most `most`, at least 2) of the frequency-bias measure
    that all hold a frequency of a `height x width` spectrum: 8 for 16x16 images
    and larger, fewer for some smaller ones (8x8, 9x9: 7)."""
    from kfreqgan.spectral import radial_bins

    for count in range(most, 1, -1):
        try:
            radial_bins(int(height), int(width), count)
        except ValueError:  # a ring without a frequency
            continue
        return count
    raise ValueError(
        f"The images are too small for the frequency-bias measure (it needs 2 rings that each hold a frequency); "
        f"pass --resize N or larger images. Received: image size={height}x{width}"
    )


def write_report(real, fake, out, num_bins=None):
    """Runs the comparison and writes the plots and report.json into `out`."""
    from kfreqgan.analysis import compare_image_sets
    from kfreqgan.analysis import plot_band_errors
    from kfreqgan.analysis import plot_radial_power
    from kfreqgan.analysis import plot_spectra_2d
    from kfreqgan.atomic_files import write_atomically
    from kfreqgan.atomic_files import write_text_atomically

    report, arrays = compare_image_sets(real, fake, num_bins=num_bins, num_bias_bands=bias_band_count(*np.shape(real)[1:3]))
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
            title=f"Frequency bias: slope {_number(arrays['bias']['slope_db_per_cycle'], '.1f')} dB per cycle/pixel",
        ),
    }
    for name, figure in figures.items():
        write_atomically(os.path.join(out, name), lambda path, figure=figure: figure.savefig(path, dpi=100))
    write_text_atomically(os.path.join(out, "report.json"), json.dumps(strict_json(report), indent=2, allow_nan=False))
    return report


def _number(value, spec):
    """`value` formatted with `spec`, or "n/a" for a value that is not a finite number
    (None: a band with no radial bin; NaN or infinity), as report.json writes them as null."""
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return "n/a"
    return format(value, spec)


def summary_lines(report):
    """The lines `kfreqgan-spectrum` prints about a `compare_image_sets` report."""
    bias = report["frequency_bias"]
    lines = [
        f"{report['images']['real']} real vs {report['images']['fake']} fake images: spectral distance "
        f"{_number(report['spectral_distance_db'], '.2f')} dB; frequency-bias slope {_number(bias['slope_db_per_cycle'], '.1f')} "
        f"dB per cycle/pixel (high/low error ratio {_number(bias['high_to_low'], '.2f')})"
    ]
    for name, entry in report["bands"].items():
        lines.append(
            f"  {name:<5} gap {_number(entry['mean_gap_db'], '+7.2f'):>7} dB   energy share real "
            f"{_number(entry['real_energy_share'][0], '.3f')} fake {_number(entry['fake_energy_share'][0], '.3f')}"
        )
    return lines


def _parser():
    parser = ArgumentParser(prog="kfreqgan-spectrum", description=__doc__.split("\n\n")[0])
    parser.add_argument("real", help="folder of reference images")
    parser.add_argument("fake", help="folder of images to compare, or a model (.keras, SavedModel folder, .tflite)")
    parser.add_argument("--out", required=True, type=output_folder, help="output folder")
    parser.add_argument("--inputs", help="folder of input images for an image-to-image model")
    parser.add_argument(
        "--num-samples", type=int_at_least(2), help=f"samples from a latent-vector generator (default {DEFAULT_NUM_SAMPLES})"
    )
    parser.add_argument("--seed", type=int, help=f"seed of the latent vectors (default {DEFAULT_SEED})")
    parser.add_argument("--resize", type=int_at_least(8), help="centre-crop and resize every image to N x N")
    parser.add_argument("--num-bins", type=int_at_least(1), help="radial bins (default: half the image size)")
    return parser


def _run(args):
    fake_is_model = is_model(args.fake)
    if not fake_is_model and any(getattr(args, name) is not None for name in MODEL_OPTIONS):
        raise ValueError(
            f"--inputs, --num-samples and --seed only apply when the second argument is a model; {args.fake!r} is a "
            f"folder of images. Received: {_options(**{name: getattr(args, name) for name in MODEL_OPTIONS})}"
        )
    check_output_paths(args)
    import time

    start = time.perf_counter()
    real = load_folder(args.real, args.resize, name="real")
    if fake_is_model:
        fake = generate(args.fake, args.inputs, args.num_samples, args.seed, args.resize)
    else:
        fake = load_folder(args.fake, args.resize, name="fake")
    if real.shape[1:3] != fake.shape[1:3]:
        raise ValueError(
            "The two sets have different image sizes; pass --resize N. "
            f"Received: real={real.shape[1]}x{real.shape[2]}, fake={fake.shape[1]}x{fake.shape[2]}"
        )
    if args.num_bins is None and min(real.shape[1:3]) < 2:
        raise ValueError(
            f"The images are {real.shape[1]}x{real.shape[2]} pixels: too small for a radial spectrum "
            "(both sides need at least 2 pixels); pass --resize N or larger images."
        )
    if real.shape[-1] != fake.shape[-1]:  # a grey generator: both sets grey, converted as the spectra are
        real, fake = grey(real), grey(fake)
    report = write_report(real, fake, args.out, args.num_bins)
    for line in summary_lines(report):
        print(line)
    count, seconds = report["images"]["real"] + report["images"]["fake"], time.perf_counter() - start
    print(f"read and analysed {count} images in {seconds:.1f} s ({count / seconds:.0f} images/s)")
    print(f"wrote {args.out}/radial.png, spectra_2d.png, bias.png, report.json")


def main(argv=None):
    """Runs `kfreqgan-spectrum` (see the module docstring); returns the exit status."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
