"""`kfreqgan-dehaze`: folders, formats, EXIF orientation, failures, model kinds;
and the uint8 interfaces of the exported models it can use."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from kfreqgan import dehaze_cli
from kfreqgan.data import load_photo
from kfreqgan.export import serving
from kfreqgan.export import tflite
from kfreqgan.models.image_to_image import clipped_model
from kfreqgan.models.image_to_image import with_static_size
from kfreqgan.models import unet_generator

ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """One tiny size-free dehazer as .keras, SavedModel (64x64) and uint8 TFLite (64x64)."""
    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(4)
    generator = unet_generator((None, None, 3), filters=4, depth=2)
    generator.save(folder / "tiny.keras")
    fixed = with_static_size(generator, 64, 64)
    serving.save_serving_model(fixed, folder / "saved_model")
    (folder / "tiny_uint8.tflite").write_bytes(tflite.convert_to_tflite(clipped_model(fixed), io_dtype="uint8"))
    return folder, generator, fixed


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """Real photo crops in several formats, one with an EXIF rotation, one corrupt."""
    folder = tmp_path_factory.mktemp("photos")
    photo = np.round(load_photo("chelsea") * 255).astype(np.uint8)
    Image.fromarray(photo[:40, :56]).save(folder / "a.png")
    (folder / "sub").mkdir()
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways: shown rotated 90 degrees clockwise
    Image.fromarray(photo[100:130, 100:150]).save(folder / "sub" / "b.jpg", quality=95, exif=exif.tobytes())
    rgba = np.dstack([photo[:33, :45], np.full((33, 45), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(folder / "c.png")
    Image.fromarray(photo[:20, :20, 0], "L").save(folder / "d.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def run_cli(argv, capsys):
    code = dehaze_cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_folder_is_dehazed_with_same_names_sizes_and_formats(models, photo_folder, tmp_path, capsys):
    folder, _, _ = models
    out = tmp_path / "out"
    code, stdout, stderr = run_cli([str(photo_folder), "--out", str(out), "--model", str(folder / "tiny.keras"), "--quiet"], capsys)
    assert code == 1  # one file failed
    assert "dehazed 4 of 5 images" in stdout
    errors = [line for line in stderr.splitlines() if line.startswith("kfreqgan-dehaze: error:")]
    assert len(errors) == 1 and "broken.png" in errors[0] and "corrupt, or not an image" in errors[0]
    assert "failed (1)" in stderr and "Traceback" not in stderr
    written = sorted(os.path.relpath(os.path.join(r, f), out) for r, _, fs in os.walk(out) for f in fs)
    assert written == ["a.png", "c.png", "d.png", os.path.join("sub", "b.jpg")]
    with Image.open(out / "a.png") as image:
        assert image.size == (56, 40) and image.mode == "RGB"
    with Image.open(out / "c.png") as image:
        assert image.mode == "RGBA" and image.size == (45, 33)
        assert np.all(np.asarray(image)[..., 3] == 128)  # alpha kept as it was
    with Image.open(out / "d.png") as image:
        assert image.mode == "L" and image.size == (20, 20)
    with Image.open(out / "sub" / "b.jpg") as image:
        assert image.format == "JPEG"
        assert image.size == (30, 50)  # written upright: 50 rows, 30 columns
        assert image.getexif().get(ORIENTATION, 1) == 1


def test_exif_rotation_is_applied_before_dehazing(models, photo_folder, tmp_path, capsys):
    folder, generator, _ = models
    out = tmp_path / "out"
    source = photo_folder / "sub" / "b.jpg"
    assert run_cli([str(source), "--out", str(out), "--model", str(folder / "tiny.keras"), "--quiet"], capsys)[0] == 0
    with Image.open(source) as image:
        stored = np.asarray(image.convert("RGB"))
    upright = np.rot90(stored, k=-1)  # orientation 6: rotate 90 degrees clockwise
    from kfreqgan.dehazing import Dehazer

    expected = Dehazer(generator)(upright)
    with Image.open(out / "b.jpg") as image:
        written = np.asarray(image.convert("RGB")).astype(int)
    assert written.shape == expected.shape
    assert np.abs(written - expected.astype(int)).mean() < 3  # JPEG round trip


@pytest.mark.parametrize("kind", ["saved_model", "tiny_uint8.tflite"])
def test_exported_models_dehaze_any_size_like_the_keras_model(models, photo_folder, tmp_path, capsys, kind):
    folder, _, fixed = models
    out = tmp_path / kind
    source = photo_folder / "a.png"
    code, _, stderr = run_cli([str(source), "--out", str(out), "--model", str(folder / kind), "--quiet"], capsys)
    assert code == 0, stderr
    with Image.open(out / "a.png") as image:
        written = np.asarray(image).astype(int)
    # The same black-box tiling (64x64 tiles) with the Keras model of the export.
    from kfreqgan.dehazing import Dehazer

    with Image.open(source) as image:
        rgb = np.asarray(image)
    reference = Dehazer(fixed)(rgb).astype(int)
    assert written.shape == reference.shape
    assert np.abs(written - reference).max() <= 1  # one grey level of rounding


def test_uint8_tflite_model_takes_and_returns_pixels(models, photos_32):
    folder, _, fixed = models
    pixels = np.round(load_photo("coffee")[:64, :64] * 255).astype(np.uint8)[None]
    uint8_bytes = (folder / "tiny_uint8.tflite").read_bytes()
    outputs = tflite.run_tflite(uint8_bytes, pixels)
    assert outputs.dtype == np.uint8 and outputs.shape == pixels.shape
    reference = np.round(np.clip(fixed.predict(pixels / np.float32(255), verbose=0), 0, 1) * 255)
    assert np.abs(outputs.astype(int) - reference.astype(int)).max() <= 1
    with pytest.raises(ValueError, match="uint8"):
        tflite.run_tflite(uint8_bytes, pixels.astype(np.float32))
    assert {"CAST"} <= tflite.tflite_op_names(uint8_bytes)
    with pytest.raises(ValueError, match="not supported for the int8 variant"):
        tflite.convert_to_tflite(clipped_model(fixed), "int8", pixels / np.float32(255), io_dtype="uint8")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["missing-folder", "--out", "x"], "input not found: missing-folder"),
        (["{photos}", "--out", "{photos}"], "is the input folder"),
        (["{photos}", "--out", "x", "--model", "nope.keras"], "cannot use model nope.keras"),
        (["{photos}", "--out", "x", "--model", "{photos}/notes.txt"], "cannot use model"),
        (["{photos}", "--out", "x", "--tile-size", "8"], "--tile-size must be >= 16"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, message, photo_folder, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [arg.replace("{photos}", str(photo_folder)) for arg in argv]
    code, _, stderr = run_cli(argv + ["--quiet"], capsys)
    assert code == 2
    assert stderr.count("\n") == 1 and message in stderr and stderr.startswith("kfreqgan-dehaze: error:")
    assert not (tmp_path / "x").exists()


def test_an_empty_folder_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, stderr = run_cli([str(tmp_path / "empty"), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "no images" in stderr


@pytest.mark.slow
def test_console_script_with_the_shipped_dehazer(photo_folder, tmp_path):
    """The installed `kfreqgan-dehaze`, default model, a progress line per file."""
    script = os.path.join(os.path.dirname(sys.executable), "kfreqgan-dehaze")
    result = subprocess.run(
        [script, str(photo_folder / "a.png"), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "[1/1] a.png" in result.stderr and "dehazed 1 of 1 image into" in result.stdout
    with Image.open(tmp_path / "out" / "a.png") as image:
        assert image.size == (56, 40)
