"""The shipped model in one command (#17 item 4): `pretrained:dehazer`
through the one loader, for kfreqgan-export, kfreqgan-dehaze and
kfreqgan-spectrum."""

import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kfreqgan import pretrained
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.models.loading import load_generator
from kfreqgan.models.loading import model_kind


@pytest.fixture(scope="module")
def shipped():
    return pretrained.dehazer()


@pytest.fixture(scope="module")
def hazy():
    rng = np.random.default_rng(3)
    base = rng.random((1, 6, 8, 3)).astype(np.float32)
    image = tf.image.resize(base, (44, 60)).numpy()  # smooth, any size (not a multiple of 16)
    return np.clip(0.6 * image + 0.35, 0, 1).astype(np.float32)


def test_the_loader_opens_pretrained_names(shipped, hazy):
    assert model_kind("pretrained:dehazer") == "keras"
    model = load_generator("pretrained:dehazer")
    np.testing.assert_array_equal(model.predict(hazy, verbose=0), shipped.predict(hazy, verbose=0))
    with pytest.raises(ValueError, match=r"Unknown pretrained model 'nope'; kfreqgan ships pretrained:dehazer"):
        load_generator("pretrained:nope")
    with pytest.raises(ValueError, match=r"pretrained:dehazer is a Keras model"):
        load_generator("pretrained:dehazer", kinds=("saved_model", "tflite"))


def test_export_pretrained_dehazer_in_one_command(shipped, hazy, tmp_path, capsys):
    from kfreqgan.export import cli

    out = tmp_path / "serving"
    # The default formats also write any-size TFLite models (a whole-image
    # dehazer), four conversions: test_export_pretrained_dehazer_any_size_tflite.
    assert cli.main(["pretrained:dehazer", "--out", str(out), "--formats", "saved_model"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}/dehazer/1: SavedModel" in printed
    assert not (out / "tflite").exists()
    manifest = json.loads((out / "dehazer" / "1" / "assets.extra" / "kfreqgan_export.json").read_text())
    assert manifest["source_model"] == "pretrained:dehazer"
    loaded = tf.saved_model.load(str(out / "dehazer" / "1"))
    signature = loaded.signatures["serving_default"]
    assert signature.structured_input_signature[1]["images"].shape.as_list() == [None, None, None, 3]
    outputs = signature(images=tf.constant(hazy))["outputs"].numpy()
    np.testing.assert_allclose(outputs, unit_range_outputs(shipped, hazy).numpy(), atol=1e-4)
    assert 'name: "dehazer"' in (out / "models.config").read_text()


@pytest.mark.slow
def test_export_pretrained_dehazer_with_image_size_writes_tflite(tmp_path):
    from kfreqgan.export import cli

    out = tmp_path / "serving"
    argv = ["pretrained:dehazer", "--out", str(out), "--image-size", "32", "--variants", "float32,dynamic_range"]
    assert cli.main(argv + ["--min-psnr", "0"]) == 0
    manifest = json.loads((out / "tflite" / "dehazer" / "1" / "export.json").read_text())
    assert set(manifest["variants"]) == {"float32", "dynamic_range"}
    assert manifest["inputs"][0]["shape"] == [-1, 32, 32, 3]
    assert (out / "dehazer" / "1" / "saved_model.pb").exists()


@pytest.mark.slow
def test_export_pretrained_dehazer_any_size_tflite(shipped, tmp_path):
    # A whole-image dehazer: without --image-size, TFLite models that take any size.
    from kfreqgan.dehazing import Dehazer
    from kfreqgan.export import cli

    out = tmp_path / "serving"
    assert cli.main(["pretrained:dehazer", "--out", str(out), "--formats", "tflite", "--variants", "float32"]) == 0
    manifest = json.loads((out / "tflite" / "dehazer" / "1" / "export.json").read_text())
    assert manifest["whole_image"] is True and manifest["inputs"][0]["shape"] == [-1, -1, -1, 3]
    assert manifest["variants"]["float32"]["agreement_with_keras"]["max_abs_error"] <= 1e-4
    image = tf.image.resize(np.random.default_rng(0).random((1, 6, 8, 3)), (300, 417)).numpy()[0].astype(np.float32)
    dehazer = Dehazer(str(out / "tflite" / "dehazer" / "1" / "dehazer_float32.tflite"))
    assert dehazer.whole_image
    np.testing.assert_allclose(dehazer(image), Dehazer(shipped)(image), atol=1e-4)


def test_dehaze_and_spectrum_accept_pretrained(hazy, tmp_path, capsys):
    from kfreqgan import dehaze_cli
    from kfreqgan.analysis import spectrum_cli

    inputs = tmp_path / "in"
    inputs.mkdir()
    for index in range(2):
        Image.fromarray(np.round(hazy[0] * 255).astype(np.uint8)).save(inputs / f"{index}.png")
    assert dehaze_cli.main([str(inputs), "--out", str(tmp_path / "named")]) == 0
    assert dehaze_cli.main([str(inputs), "--out", str(tmp_path / "spelled"), "--model", "pretrained:dehazer"]) == 0
    for index in range(2):
        named = np.asarray(Image.open(tmp_path / "named" / f"{index}.png"))
        spelled = np.asarray(Image.open(tmp_path / "spelled" / f"{index}.png"))
        np.testing.assert_array_equal(named, spelled)
    status = spectrum_cli.main(
        [str(inputs), "pretrained:dehazer", "--inputs", str(inputs), "--out", str(tmp_path / "spectrum")]
    )
    assert status == 0, capsys.readouterr().err
    assert (tmp_path / "spectrum").is_dir() and any((tmp_path / "spectrum").iterdir())
