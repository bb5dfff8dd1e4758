"""`kfreqgan-spectrum` on the inputs a break-in sweep found wrong: a grey
generator, bands without a radial bin, models whose output is not images,
and options that do not apply to the second argument."""

import json
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan.analysis import spectrum_cli

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601, what the spectra use


def _write_folder(directory, images):
    os.makedirs(directory, exist_ok=True)
    for index, image in enumerate(images):
        data = tf.io.encode_png(tf.cast(np.round(np.clip(image, 0, 1) * 255), tf.uint8))
        tf.io.write_file(os.path.join(directory, f"{index:03d}.png"), data)


def _read_folder(directory):
    """The images as the CLI reads them (8-bit PNGs), float32 in [0, 1]."""
    names = sorted(os.listdir(directory))
    return np.stack([tf.io.decode_png(tf.io.read_file(os.path.join(directory, n))).numpy() / 255.0 for n in names]).astype(np.float32)


def _strict_json(path):
    """report.json parsed as strict JSON: NaN / Infinity are an error."""

    def refuse(constant):
        raise AssertionError(f"report.json holds {constant}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def _run(argv, capsys):
    status = spectrum_cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err.strip().splitlines()


def _identity(shape):
    inputs = keras.Input(shape)
    return keras.Model(inputs, keras.layers.Activation("linear")(inputs))


@pytest.fixture()
def green(tmp_path):
    """Six 16x16 images whose only non-zero channel is green."""
    rng = np.random.default_rng(0)
    images = np.zeros((6, 16, 16, 3), np.float32)
    images[..., 1] = rng.uniform(size=(6, 16, 16))
    _write_folder(tmp_path / "green", images)
    return tmp_path / "green"


# 1. A grey generator: the real images are converted to grey as the inputs are.


def _luma_model():
    """RGB -> grey with the BT.601 weights, as a 1x1 convolution."""
    inputs = keras.Input((None, None, 3))
    layer = keras.layers.Conv2D(1, 1, use_bias=False)
    outputs = layer(inputs)
    layer.set_weights([LUMA.reshape(1, 1, 3, 1)])
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("model", ["identity_grey", "rgb_to_grey"])
def test_grey_generator_compares_grey_with_grey(green, tmp_path, capsys, model):
    # Run on the real images themselves, a grey model's outputs are the real
    # images in grey: the gap is zero at every ring. The red channel (what
    # was compared before) is all zero: 100 dB and more away.
    (_identity((None, None, 1)) if model == "identity_grey" else _luma_model()).save(tmp_path / "g.keras")
    out = tmp_path / "report"
    status, stdout, err = _run([green, tmp_path / "g.keras", "--inputs", green, "--out", out], capsys)
    assert status == 0, err
    report = _strict_json(out / "report.json")
    assert report["images"]["shape"] == [16, 16, 1]
    assert report["spectral_distance_db"] == pytest.approx(0.0, abs=1e-3)
    assert np.allclose(report["gap_db"], 0.0, atol=1e-3)
    # The slow, obvious reference: the luma of the 8-bit images, then the radial power in dB.
    reference = np.tensordot(_read_folder(green), LUMA, axes=([-1], [0]))[..., None]
    expected = spectral.radial_power_db(reference, epsilon=1e-12).numpy()[..., 0].mean(axis=0)
    np.testing.assert_allclose(report["real_mean_db"], expected, atol=1e-2)
    np.testing.assert_allclose(report["fake_mean_db"], expected, atol=1e-2)


def test_grey_latent_generator_is_compared_in_grey(tmp_path, capsys):
    # A latent-vector generator of grey 8x8 images: the real images go to grey too.
    inputs = keras.Input((4,))
    outputs = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="sigmoid")(inputs))
    keras.utils.set_random_seed(0)
    keras.Model(inputs, outputs).save(tmp_path / "g.keras")
    rng = np.random.default_rng(1)
    images = np.zeros((4, 8, 8, 3), np.float32)
    images[..., 2] = rng.uniform(size=(4, 8, 8))  # blue only: the red channel is zero
    _write_folder(tmp_path / "real", images)
    out = tmp_path / "report"
    status, _, err = _run([tmp_path / "real", tmp_path / "g.keras", "--num-samples", "4", "--out", out], capsys)
    assert status == 0, err
    report = _strict_json(out / "report.json")
    reference = np.tensordot(_read_folder(tmp_path / "real"), LUMA, axes=([-1], [0]))[..., None]
    expected = spectral.radial_power_db(reference, epsilon=1e-12).numpy()[..., 0].mean(axis=0)
    np.testing.assert_allclose(report["real_mean_db"], expected, atol=1e-2)


# 2. A band with no radial bin: "n/a" in the summary, null in report.json, exit status 0.


@pytest.mark.parametrize("case", ["--num-bins 2", "3x200 images"])
def test_band_without_a_radial_bin_is_reported_as_not_available(tmp_path, capsys, case):
    rng = np.random.default_rng(2)
    shape, extra = ((4, 32, 32, 3), ["--num-bins", "2"]) if case == "--num-bins 2" else ((4, 3, 200, 3), [])
    _write_folder(tmp_path / "a", rng.uniform(size=shape))
    out = tmp_path / "report"
    status, stdout, err = _run([tmp_path / "a", tmp_path / "a", "--out", out, *extra], capsys)
    assert status == 0 and err == [], err
    report = _strict_json(out / "report.json")
    empty = [name for name, entry in report["bands"].items() if entry["mean_gap_db"] is None]
    assert empty, report["bands"]
    for name in empty:
        assert any(line.split()[:3] == [name, "gap", "n/a"] for line in stdout.splitlines()), stdout
    for name in ("radial.png", "spectra_2d.png", "bias.png"):
        assert (out / name).stat().st_size > 0
    assert "wrote" in stdout.splitlines()[-1]


def test_summary_lines_print_missing_and_non_finite_values_as_not_available():
    entry = {"range_cycles_per_pixel": [0.0, 0.1], "real_energy_share": [float("nan"), 0.0], "fake_energy_share": [0.25, 0.0]}
    report = {
        "images": {"real": 2, "fake": 3},
        "spectral_distance_db": float("nan"),
        "frequency_bias": {"slope_db_per_cycle": float("-inf"), "high_to_low": float("inf")},
        "bands": {"low": dict(entry, mean_gap_db=None), "high": dict(entry, mean_gap_db=-1.5)},
    }
    lines = spectrum_cli.summary_lines(report)
    assert lines[0] == (
        "2 real vs 3 fake images: spectral distance n/a dB; frequency-bias slope n/a dB per cycle/pixel "
        "(high/low error ratio n/a)"
    )
    assert lines[1] == "  low   gap     n/a dB   energy share real n/a fake 0.250"
    assert lines[2] == "  high  gap   -1.50 dB   energy share real n/a fake 0.250"
    assert not any("nan" in line or "inf" in line for line in lines)


@pytest.mark.parametrize("size, rings", [(8, 7), (9, 7), (16, 8)])
def test_smallest_resize_fits_the_frequency_bias_rings_to_the_images(tmp_path, capsys, size, rings):
    # --resize accepts 8: the frequency-bias measure's 8 rings do not all hold
    # a frequency of an 8x8 or 9x9 spectrum, so it uses as many as do.
    _write_folder(tmp_path / "a", np.random.default_rng(7).uniform(size=(3, 20, 24, 3)))
    _write_folder(tmp_path / "b", np.random.default_rng(8).uniform(size=(3, 20, 24, 3)))
    out = tmp_path / "report"
    status, _, err = _run([tmp_path / "a", tmp_path / "b", "--resize", size, "--out", out], capsys)
    assert status == 0, err
    bias = _strict_json(out / "report.json")["frequency_bias"]
    assert len(bias["band_centres"]) == len(bias["band_error_db"]) == rings
    assert all(error is not None and error >= 0 for error in bias["band_error_db"])


# 3. A model whose output is not NHWC images with 1 or 3 channels: one line, before generating.


def _dense():
    inputs = keras.Input((8,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def _two_channels():
    inputs = keras.Input((8,))
    return keras.Model(inputs, keras.layers.Reshape((4, 4, 2))(keras.layers.Dense(32)(inputs)))


def _rank5():
    inputs = keras.Input((8,))
    return keras.Model(inputs, keras.layers.Reshape((2, 4, 4, 3))(keras.layers.Dense(96)(inputs)))


def _sequence_input():
    inputs = keras.Input((5, 8))
    return keras.Model(inputs, keras.layers.Reshape((4, 4, 3))(keras.layers.Dense(48)(keras.layers.Flatten()(inputs))))


def _four_channel_input():
    inputs = keras.Input((None, None, 4))
    return keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs))


def _two_inputs():
    latent, label = keras.Input((8,)), keras.Input((2,))
    joined = keras.layers.Concatenate()([latent, label])
    return keras.Model([latent, label], keras.layers.Reshape((4, 4, 3))(keras.layers.Dense(48)(joined)))


NOT_IMAGES = {
    "Dense(2) on latent vectors": (_dense, "output must be images", "output_shape=(None, 2)"),
    "2-channel images": (_two_channels, "output must be images", "output_shape=(None, 4, 4, 2)"),
    "rank-5 output": (_rank5, "output must be images", "output_shape=(None, 2, 4, 4, 3)"),
    "sequence input": (_sequence_input, "input must be latent vectors (batch, dim) or images", "input_shape=(None, 5, 8)"),
    "4-channel input": (_four_channel_input, "input must be latent vectors (batch, dim) or images", "input_shape=(None, None, None, 4)"),
    "two inputs": (_two_inputs, "must have one input", "len(model.inputs)=2, len(model.outputs)=1"),
}


@pytest.mark.parametrize("case", list(NOT_IMAGES))
def test_model_whose_output_is_not_images_is_refused(tmp_path, capsys, monkeypatch, case):
    build, problem, shape = NOT_IMAGES[case]
    build().save(tmp_path / "m.keras")
    rng = np.random.default_rng(3)
    _write_folder(tmp_path / "real", rng.uniform(size=(3, 8, 8, 3)))

    def no_predict(*args, **kwargs):
        raise AssertionError("the model was run")

    monkeypatch.setattr(keras.Model, "predict", no_predict)
    out = tmp_path / "report"
    extra = ["--inputs", tmp_path / "real"] if case == "4-channel input" else []
    status, stdout, err = _run([tmp_path / "real", tmp_path / "m.keras", "--out", out, *extra], capsys)
    assert status == 2 and len(err) == 1, err
    assert err[0].startswith("kfreqgan-spectrum: error: ") and problem in err[0], err
    assert "model='m.keras'" in err[0] and shape in err[0], err
    assert not out.exists()


def test_model_with_non_finite_outputs_is_refused(tmp_path, capsys):
    inputs = keras.Input((None, None, 3))
    layer = keras.layers.Conv2D(3, 1)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights([np.full((1, 1, 3, 3), np.nan, np.float32), np.zeros(3, np.float32)])
    model.save(tmp_path / "nan.keras")
    _write_folder(tmp_path / "real", np.random.default_rng(4).uniform(size=(3, 8, 8, 3)))
    out = tmp_path / "report"
    status, _, err = _run([tmp_path / "real", tmp_path / "nan.keras", "--inputs", tmp_path / "real", "--out", out], capsys)
    assert status == 2 and len(err) == 1, err
    assert "NaN or infinite values in 3 of 3 images" in err[0] and "Received: model='nan.keras'" in err[0], err
    assert not out.exists()


def test_fixed_size_model_that_is_not_square_runs_on_its_size(tmp_path, capsys):
    # A model built for 8x12 images is run on 8x12 inputs (not centre-cropped to 8x8).
    _identity((8, 12, 3)).save(tmp_path / "m.keras")
    rng = np.random.default_rng(5)
    _write_folder(tmp_path / "real", rng.uniform(size=(3, 8, 12, 3)))
    out = tmp_path / "report"
    status, _, err = _run([tmp_path / "real", tmp_path / "m.keras", "--inputs", tmp_path / "real", "--out", out], capsys)
    assert status == 0, err
    report = _strict_json(out / "report.json")
    assert report["images"]["shape"] == [8, 12, 3] and report["spectral_distance_db"] == pytest.approx(0.0, abs=1e-3)
    _write_folder(tmp_path / "square", rng.uniform(size=(3, 8, 8, 3)))
    status, _, err = _run([tmp_path / "real", tmp_path / "m.keras", "--inputs", tmp_path / "square", "--out", tmp_path / "r2"], capsys)
    assert status == 2 and len(err) == 1, err
    assert "m.keras takes 8x12 images; the --inputs images are 8x8. Received: --inputs=" in err[0], err


# 4. Options that do not apply to the second argument are refused, before any work.


def _latent_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Reshape((8, 8, 3))(keras.layers.Dense(192, activation="sigmoid")(inputs)))


OPTIONS = {
    "folder with --inputs": ("folder", ["--inputs", "NOPE"], "only apply when the second argument is a model", "Received: --inputs="),
    "folder with --num-samples": ("folder", ["--num-samples", "7"], "only apply when the second argument is a model", "Received: --num-samples=7"),
    "folder with --seed": ("folder", ["--seed", "3"], "only apply when the second argument is a model", "Received: --seed=3"),
    "folder with all three": (
        "folder",
        ["--inputs", "NOPE", "--num-samples", "7", "--seed", "0"],
        "only apply when the second argument is a model",
        "--num-samples=7, --seed=0",
    ),
    "latent model with --inputs": ("latent", ["--inputs", "REAL"], "--inputs only applies to a model that maps images to images", "Received: --inputs="),
    "image model with --num-samples": (
        "image",
        ["--inputs", "REAL", "--num-samples", "7"],
        "--num-samples and --seed only apply to a generator of latent vectors",
        "Received: --num-samples=7",
    ),
    "image model with --seed": ("image", ["--inputs", "REAL", "--seed", "1"], "only apply to a generator of latent vectors", "Received: --seed=1"),
}


@pytest.mark.parametrize("case", list(OPTIONS))
def test_options_that_do_not_apply_are_refused(tmp_path, capsys, case):
    kind, options, problem, received = OPTIONS[case]
    real = tmp_path / "real"
    _write_folder(real, np.random.default_rng(6).uniform(size=(3, 8, 8, 3)))
    fake = {"folder": real, "latent": tmp_path / "g.keras", "image": tmp_path / "g.keras"}[kind]
    if kind != "folder":
        (_latent_model() if kind == "latent" else _identity((None, None, 3))).save(fake)
    options = [str(real) if o == "REAL" else str(tmp_path / "nonexistent") if o == "NOPE" else o for o in options]
    out = tmp_path / "report"
    status, stdout, err = _run([real, fake, "--out", out, *options], capsys)
    assert status == 2 and len(err) == 1 and stdout == "", (err, stdout)
    assert problem in err[0] and received in err[0], err
    assert not out.exists()
    # Without the option, the same command works.
    kept = {"folder": [], "latent": ["--num-samples", "3"], "image": ["--inputs", real]}[kind]
    status, _, err = _run([real, fake, "--out", out, *kept], capsys)
    assert status == 0, err
    assert math.isfinite(_strict_json(out / "report.json")["spectral_distance_db"])
