"""`kfreqgan-export` end to end: layout, manifests, versions, errors."""

import json
import os
import pathlib
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.export import cli
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.models import FreqGAN
from kfreqgan.models import dcgan_generator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models import unet_generator


@pytest.fixture(scope="module")
def model_file(generator, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "generator.keras"
    generator.save(path)
    return str(path)


@pytest.fixture(scope="module")
def exported(model_file, tmp_path_factory):
    """One full run: SavedModel, float32 and int8 TFLite (the slow part)."""
    out = tmp_path_factory.mktemp("exported")
    argv = [model_file, "--out", str(out), "--name", "dehazer", "--variants", "float32,int8", "--calibration-count", "16"]
    assert cli.main(argv) == 0
    return out


def last_error_line(captured):
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert "Traceback" not in captured.err
    assert len([line for line in lines if line.startswith("kfreqgan-export: error:")]) == 1
    return lines[-1]


def test_export_writes_the_serving_and_tflite_layout(exported):
    assert sorted(os.listdir(exported)) == ["dehazer", "models.config", "tflite"]
    assert os.listdir(exported / "dehazer") == ["1"]
    assert {"saved_model.pb", "variables", "assets.extra"} <= set(os.listdir(exported / "dehazer" / "1"))
    assert sorted(os.listdir(exported / "tflite" / "dehazer" / "1")) == [
        "dehazer_float32.tflite",
        "dehazer_int8.tflite",
        "export.json",
    ]
    config = (exported / "models.config").read_text()
    assert 'name: "dehazer"' in config and f'base_path: "{exported / "dehazer"}"' in config


def test_exported_saved_model_reproduces_the_keras_model(exported, generator, photos_32):
    loaded = tf.saved_model.load(str(exported / "dehazer" / "1"))
    outputs = loaded.signatures["serving_default"](images=tf.constant(photos_32))["outputs"].numpy()
    np.testing.assert_allclose(outputs, unit_range_outputs(generator, photos_32).numpy(), atol=1e-5)


def test_manifests_document_signatures_and_measured_agreement(exported):
    manifest = json.loads((exported / "dehazer" / "1" / "assets.extra" / "kfreqgan_export.json").read_text())
    default = manifest["signatures"]["serving_default"]
    assert default["inputs"] == [{"name": "images", "dtype": "float32", "shape": [-1, 32, 32, 3], "range": [0, 1]}]
    assert manifest["signatures"]["serving_uint8"]["outputs"][0]["dtype"] == "uint8"
    assert manifest["agreement_with_keras"]["serving_default"]["max_abs_error"] <= 1e-4
    assert manifest["agreement_with_keras"]["serving_uint8"]["max_abs_difference"] <= 1
    tflite = json.loads((exported / "tflite" / "dehazer" / "1" / "export.json").read_text())
    assert tflite["inputs"][0]["name"] == "images" and tflite["outputs"][0]["name"] == "outputs"
    assert tflite["calibration"] == {"source": "hazy", "count": 16, "short_side": 128, "seed": 0}
    assert tflite["variants"]["float32"]["agreement_with_keras"]["max_abs_error"] <= 1e-4
    assert tflite["variants"]["int8"]["agreement_with_keras"]["psnr_db"] >= 30
    assert set(tflite["variants"]["int8"]["float_ops"]) <= {"NEG"}
    assert tflite["variants"]["int8"]["bytes"] < tflite["variants"]["float32"]["bytes"]


def test_next_export_gets_the_next_version(exported, model_file, capsys):
    assert cli.main([model_file, "--out", str(exported), "--name", "dehazer", "--formats", "saved_model"]) == 0
    assert sorted(os.listdir(exported / "dehazer")) == ["1", "2"]
    assert f"wrote {exported / 'dehazer' / '2'}: SavedModel" in capsys.readouterr().out
    assert (exported / "models.config").read_text().count('name: "dehazer"') == 1


def test_versions_count_both_formats(model_file, tmp_path):
    """A TFLite-only export after a TFLite-only one (or after a SavedModel one) gets the next
    version, never one that exists in the other format's folder."""
    out = tmp_path / "out"
    tflite_only = [model_file, "--out", str(out), "--name", "m", "--formats", "tflite", "--variants", "float32", "--no-verify"]
    assert cli.main(tflite_only) == 0
    assert cli.main(tflite_only) == 0
    assert sorted(os.listdir(out / "tflite" / "m")) == ["1", "2"]
    assert cli.main([model_file, "--out", str(out), "--name", "m", "--formats", "saved_model", "--no-verify"]) == 0
    assert os.listdir(out / "m") == ["3"]


def test_int8_calibration_uses_the_haze_of_the_training_configuration(generator, tmp_path, monkeypatch):
    from kfreqgan.export import calibration
    from kfreqgan.export import generator_export

    run = tmp_path / "run"
    run.mkdir()
    generator.save(run / "generator.keras")
    (run / "metrics.json").write_text(json.dumps({"config": {"beta_range": [0.2, 0.4], "airlight_range": [0.9, 1.0]}}))
    assert generator_export.training_haze(run / "generator.keras") == {"beta_range": (0.2, 0.4), "airlight_range": (0.9, 1.0)}
    assert generator_export.training_haze(tmp_path / "elsewhere.keras") is None
    seen = []
    representative = calibration.representative_images

    def spy(*args, **kwargs):
        seen.append({key: kwargs.get(key) for key in ("beta_range", "airlight_range")})
        return representative(*args, **kwargs)

    monkeypatch.setattr(calibration, "representative_images", spy)
    argv = [str(run / "generator.keras"), "--out", str(tmp_path / "out"), "--formats", "tflite", "--variants", "int8"]
    assert cli.main(argv + ["--calibration-count", "4", "--no-verify"]) == 0
    assert seen == [{"beta_range": (0.2, 0.4), "airlight_range": (0.9, 1.0)}]
    manifest = json.loads((tmp_path / "out" / "tflite" / "generator" / "1" / "export.json").read_text())
    assert manifest["calibration"]["beta_range"] == [0.2, 0.4]


def test_an_existing_version_is_kept_without_overwrite(exported, model_file, capsys):
    before = (exported / "dehazer" / "1" / "saved_model.pb").stat().st_mtime_ns
    argv = [model_file, "--out", str(exported), "--name", "dehazer", "--version", "1", "--formats", "saved_model"]
    assert cli.main(argv) == 2
    line = last_error_line(capsys.readouterr())
    assert line == f"kfreqgan-export: error: {exported / 'dehazer' / '1'} already exists; pass --overwrite to replace it (overwrite=True in Python)."
    assert (exported / "dehazer" / "1" / "saved_model.pb").stat().st_mtime_ns == before
    assert cli.main(argv + ["--overwrite"]) == 0
    assert (exported / "dehazer" / "1" / "saved_model.pb").stat().st_mtime_ns != before
    assert not [name for name in os.listdir(exported / "dehazer") if name.startswith(".")]


def test_an_interrupted_export_leaves_no_version(model_file, tmp_path, monkeypatch, capsys):
    from kfreqgan.export import tflite

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tflite, "convert_to_tflite", interrupted)
    assert cli.main([model_file, "--out", str(tmp_path), "--name", "dehazer", "--variants", "float32"]) == 130
    assert capsys.readouterr().err == "kfreqgan-export: interrupted\n"  # one line, no traceback
    # The SavedModel was complete in its temporary folder, but nothing is published.
    assert os.listdir(tmp_path / "dehazer") == []
    assert os.listdir(tmp_path / "tflite" / "dehazer") == []
    assert not (tmp_path / "models.config").exists()


def test_a_freqgan_file_exports_its_generator(tmp_path, generator, photos_32):
    gan = FreqGAN(generator, patchgan_discriminator((32, 32, 3), 3, filters=4, num_layers=1), mode="paired")
    gan.compile()
    gan.save(tmp_path / "freqgan.keras")
    assert cli.main([str(tmp_path / "freqgan.keras"), "--out", str(tmp_path / "out"), "--formats", "saved_model"]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "out" / "freqgan" / "1"))  # named after the file
    outputs = loaded.signatures["serving_default"](images=tf.constant(photos_32[:2]))["outputs"].numpy()
    np.testing.assert_allclose(outputs, gan.predict(photos_32[:2], verbose=0), atol=1e-5)


@pytest.mark.parametrize(
    "make, message",
    [
        (None, "Model file not found. Received: path="),
        (lambda path: path.write_text("not a model"), "Not a Keras model file (a .keras file is a zip archive"),
        (lambda path: zipfile.ZipFile(path, "w").writestr("readme.txt", "hi"), "the archive has no config.json"),
        (lambda path: dcgan_generator(16, 8, filters=4).save(path), "Only image-to-image generators"),
    ],
)
def test_bad_model_files_fail_with_one_line(tmp_path, capsys, make, message):
    path = tmp_path / "model.keras"
    if make is not None:
        make(path)
    assert cli.main([str(path), "--out", str(tmp_path / "out")]) == 2
    line = last_error_line(capsys.readouterr())
    assert line.startswith("kfreqgan-export: error: ") and message in line
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


@pytest.mark.parametrize(
    "options, message",
    [
        (["--variants", "int4"], "--variants takes a comma-separated subset of float32,float16,dynamic_range,int8"),
        (["--formats", "onnx"], "--formats takes a comma-separated subset of saved_model,tflite"),
        (["--image-size", "0x4"], "--image-size takes HxW"),
        (["--name", "../escape"], "The model name must consist of"),
        (["--calibration", "/no/such/folder"], "--calibration is neither hazy, clean nor an existing folder"),
    ],
)
def test_bad_options_fail_with_one_line(model_file, tmp_path, capsys, options, message):
    assert cli.main([model_file, "--out", str(tmp_path / "out"), *options]) == 2
    assert message in last_error_line(capsys.readouterr())


LAYOUT_MESSAGE = (
    "must not be models.config or tflite (in any case): the export writes <out>/models.config and <out>/tflite/ "
    "beside <out>/<name>/; pass "
)


@pytest.mark.parametrize("name", ["models.config", "tflite", "TFLite", "Models.Config"])
@pytest.mark.parametrize("formats", ["saved_model", "tflite", "saved_model,tflite"])
def test_names_the_layout_uses_are_refused_before_anything_is_written(model_file, tmp_path, capsys, name, formats):
    """`--name models.config` used to publish <out>/models.config/1/ and then fail
    writing the config file onto that folder; `--name tflite` mixed the
    SavedModel's versions with the TFLite folder."""
    out = tmp_path / "out"
    argv = [model_file, "--out", str(out), "--name", name, "--formats", formats, "--variants", "float32", "--no-verify"]
    assert cli.main(argv) == 2
    assert last_error_line(capsys.readouterr()) == (
        f"kfreqgan-export: error: The model name {LAYOUT_MESSAGE}another --name (name= in Python). Received: name={name!r}"
    )
    assert not out.exists()


def test_a_model_file_named_like_the_layout_needs_a_name(model_file, tmp_path, capsys):
    from kfreqgan.export import export_generator

    path = tmp_path / "tflite.keras"
    path.write_bytes(open(model_file, "rb").read())
    out = tmp_path / "out"
    assert cli.main([str(path), "--out", str(out), "--formats", "saved_model", "--no-verify"]) == 2
    assert last_error_line(capsys.readouterr()) == (
        f"kfreqgan-export: error: The model name, taken from the model, {LAYOUT_MESSAGE}a --name (name= in Python). "
        "Received: name='tflite'"
    )
    assert not out.exists()
    loaded = keras.models.load_model(model_file)
    model = keras.Model(loaded.inputs, loaded.outputs, name="models.config")
    with pytest.raises(ValueError, match=r"taken from the model, must not be models\.config or tflite"):
        export_generator(model, out, formats="saved_model", verify=False)
    assert not out.exists()


@pytest.mark.parametrize("version", [2**63, 10**20])
def test_versions_beyond_int64_are_refused(model_file, tmp_path, capsys, version):
    """TF Serving's versions are int64: a larger one would be published where no server loads it."""
    out = tmp_path / "out"
    assert cli.main([model_file, "--out", str(out), "--formats", "saved_model", "--no-verify", "--version", str(version)]) == 2
    assert last_error_line(capsys.readouterr()) == (
        "kfreqgan-export: error: `version` must be an integer from 0 to 9223372036854775807 "
        f"(TF Serving's versions are int64). Received: version={version}"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "version", [3.0, True, np.bool_(True), -1, np.int64(-1), np.uint64(2**63), "3"], ids=repr
)
def test_versions_that_are_not_int64_integers_are_refused(model_file, tmp_path, version):
    from kfreqgan.export.generator_export import export_generator

    with pytest.raises(ValueError, match=r"`version` must be an integer from 0 to 9223372036854775807 .*Received: version="):
        export_generator(model_file, tmp_path / "out", formats="saved_model", verify=False, version=version)
    assert not (tmp_path / "out").exists()


def test_uint8_io_for_int8_alone_is_refused_before_anything_is_written(model_file, tmp_path):
    # int8 has no uint8 model: this published a TFLite version holding export.json alone.
    from kfreqgan.export.generator_export import export_generator

    with pytest.raises(ValueError, match=r"would hold no TFLite model; .*Received: tflite_io='uint8', variants=int8$"):
        export_generator(model_file, tmp_path / "out", formats="tflite", variants="int8", tflite_io="uint8", verify=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        # A NumPy short side failed in the JSON record after the conversions.
        ({"calibration_short_side": 0}, r"`calibration_short_side` must be None or a positive integer\. Received: calibration_short_side=0"),
        ({"calibration_short_side": 40.0}, r"Received: calibration_short_side=40\.0"),
        # representative_images() got an unexpected keyword argument 'beta' (TypeError).
        ({"haze_ranges": {"beta": (1, 2)}}, r"`haze_ranges` must be a dict with the keys beta_range and/or airlight_range\. Received: haze_ranges=\{'beta': \(1, 2\)\}"),
        ({"haze_ranges": [(1, 2)]}, r"Received: haze_ranges=\[\(1, 2\)\]"),
        ({"serving_base_path": 3}, r"`serving_base_path` must be a folder path\. Received: serving_base_path=3"),
    ],
)
def test_export_arguments_are_checked_before_any_work(model_file, tmp_path, kwargs, message):
    from kfreqgan.export.generator_export import export_generator

    with pytest.raises(ValueError, match=message):
        export_generator(model_file, tmp_path / "out", formats="saved_model", verify=False, **kwargs)
    assert not (tmp_path / "out").exists()


def test_a_pathlib_serving_base_path_is_a_path(model_file, tmp_path):
    # It failed at .rstrip after the SavedModel was published.
    from kfreqgan.export.generator_export import export_generator

    summary = export_generator(model_file, tmp_path / "out", formats="saved_model", verify=False, serving_base_path=pathlib.Path("/models/"))
    assert summary["server_base_path"] == "/models/generator"
    assert 'base_path: "/models/generator"' in (tmp_path / "out" / "models.config").read_text()


def test_a_numpy_integer_version_is_a_version(model_file, tmp_path):
    # Versions often come out of NumPy (np.arange, max over an array); the
    # folder and the records hold the plain number.
    from kfreqgan.export.generator_export import export_generator

    summary = export_generator(model_file, tmp_path / "out", formats="saved_model", verify=False, version=np.int64(3))
    assert summary["version"] == 3 and type(summary["version"]) is int
    assert os.listdir(tmp_path / "out" / "generator") == ["3"]
    manifest = json.loads((tmp_path / "out" / "generator" / "3" / "assets.extra" / "kfreqgan_export.json").read_text())
    assert manifest["version"] == 3


def test_no_next_version_after_the_largest(model_file, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "generator" / str(2**63 - 1)).mkdir(parents=True)
    (out / "tflite" / "generator" / str(2**63)).mkdir(parents=True)  # not a version to TF Serving: ignored
    argv = [model_file, "--out", str(out), "--formats", "saved_model", "--no-verify"]
    assert cli.main(argv) == 2
    assert last_error_line(capsys.readouterr()) == (
        "kfreqgan-export: error: The next version of 'generator' would be 9223372036854775808, beyond TF Serving's "
        f"int64 versions; pass --version (version= in Python) to choose one. Received: out={str(out)!r}"
    )
    assert sorted(os.listdir(out)) == ["generator", "tflite"] and os.listdir(out / "generator") == [str(2**63 - 1)]


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError, match="Model file not found"):
        cli.main([str(tmp_path / "missing.keras"), "--out", str(tmp_path), "--debug"])


def test_console_script_prints_one_error_line_without_traceback(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "kfreqgan-export")
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "kfreqgan.export.cli"]
    result = subprocess.run(
        [*command, str(tmp_path / "missing.keras"), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # TensorFlow logs its start-up on stderr; the error is the last line.
    assert result.stderr.strip().splitlines()[-1] == (
        f"kfreqgan-export: error: Model file not found. Received: path={str(tmp_path / 'missing.keras')!r}"
    )
    assert result.stdout == ""


@pytest.fixture(scope="module")
def size_free(tmp_path_factory):
    """A generator built without a fixed image size, and its .keras file."""
    keras.utils.set_random_seed(7)
    generator = unet_generator((None, None, 3), filters=4, depth=2)
    path = tmp_path_factory.mktemp("size_free") / "any_size.keras"
    generator.save(path)
    return generator, str(path)


def test_a_generator_without_fixed_size_needs_image_size_for_tflite(size_free, tmp_path, capsys, photos_32):
    generator, model_file = size_free
    argv = [model_file, "--out", str(tmp_path / "out"), "--variants", "float32"]
    assert cli.main(argv) == 2
    error = last_error_line(capsys.readouterr())
    assert "built without a fixed image size and TFLite needs one; pass --image-size HxW" in error
    assert "--formats saved_model" in error
    assert not (tmp_path / "out").exists()
    assert cli.main(argv + ["--image-size", "32x32"]) == 0
    loaded = tf.saved_model.load(str(tmp_path / "out" / "any_size" / "1"))
    assert loaded.signatures["serving_default"].structured_input_signature[1]["images"].shape.as_list() == [None, 32, 32, 3]
    outputs = loaded.signatures["serving_default"](images=tf.constant(photos_32))["outputs"].numpy()
    np.testing.assert_allclose(outputs, unit_range_outputs(generator, photos_32).numpy(), atol=1e-5)
    manifest = json.loads((tmp_path / "out" / "tflite" / "any_size" / "1" / "export.json").read_text())
    assert manifest["inputs"][0]["shape"] == [-1, 32, 32, 3]


def test_a_size_free_saved_model_takes_any_size(size_free, tmp_path):
    generator, model_file = size_free
    argv = [model_file, "--out", str(tmp_path / "out"), "--formats", "saved_model"]
    assert cli.main(argv) == 0
    directory = tmp_path / "out" / "any_size" / "1"
    manifest = json.loads((directory / "assets.extra" / "kfreqgan_export.json").read_text())
    assert manifest["signatures"]["serving_default"]["inputs"][0]["shape"] == [-1, -1, -1, 3]
    assert "72x100" in manifest["check_images"]
    assert manifest["agreement_with_keras"]["serving_default"]["max_abs_error"] <= 1e-4
    loaded = tf.saved_model.load(str(directory))
    signature = loaded.signatures["serving_default"]
    assert signature.structured_input_signature[1]["images"].shape.as_list() == [None, None, None, 3]
    rng = np.random.default_rng(3)
    for shape in [(1, 37, 53, 3), (2, 64, 48, 3)]:
        images = rng.random(shape).astype(np.float32)
        outputs = signature(images=tf.constant(images))["outputs"].numpy()
        assert outputs.shape == shape
        np.testing.assert_allclose(outputs, unit_range_outputs(generator, images).numpy(), atol=1e-5)
    uint8 = loaded.signatures["serving_uint8"](images=tf.constant(np.full((1, 21, 30, 3), 128, np.uint8)))["outputs"]
    assert uint8.shape == (1, 21, 30, 3) and uint8.dtype == tf.uint8


def test_with_static_size_keeps_a_fixed_size(generator):
    from kfreqgan.models.image_to_image import with_static_size

    assert with_static_size(generator, 32, 32) is generator
    with pytest.raises(ValueError, match="built for 32x32 images and cannot be resized"):
        with_static_size(generator, 64, 64)
