"""int8 that holds (#17 item 2, the mechanism): kfreqgan-export refuses to
publish a TFLite variant further than --min-psnr from the Keras model on the
held-out hazy photos, naming it and by how much, before anything is written."""

import json
import os

import keras
import pytest

from kfreqgan.export import cli
from kfreqgan.export import export_generator
from kfreqgan.models import unet_generator


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    keras.utils.set_random_seed(5)
    path = tmp_path_factory.mktemp("min_psnr") / "g.keras"
    unet_generator((24, 24, 3), filters=4, depth=2).save(path)
    return str(path)


def _published(out):
    found = []
    for folder, _, files in os.walk(out):
        found += [os.path.relpath(os.path.join(folder, name), out) for name in files]
    return sorted(found)


def test_a_variant_below_min_psnr_is_refused_and_nothing_is_published(model_file, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [model_file, "--out", str(out), "--variants", "float32,dynamic_range,int8", "--calibration-count", "4"]
    assert cli.main(argv + ["--min-psnr", "0"]) == 0
    manifest = json.loads((out / "tflite" / "g" / "1" / "export.json").read_text())
    psnr = {key: entry["agreement_with_keras"]["psnr_db"] for key, entry in manifest["variants"].items()}
    worst_key = min(("dynamic_range", "int8"), key=lambda key: psnr[key])
    before = _published(out)

    threshold = psnr[worst_key] + 5  # above the worse quantized variant, below float32's
    assert psnr["float32"] is None or psnr["float32"] > threshold
    assert cli.main(argv + ["--min-psnr", f"{threshold:.3f}"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"kfreqgan-export: error: The {worst_key} TFLite model is {psnr[worst_key]:.1f} dB PSNR")
    assert f"{threshold - psnr[worst_key]:.1f} dB below --min-psnr {threshold:.3f}" in error
    assert "nothing was published" in error
    assert _published(out) == before  # version 2 of neither format, models.config unchanged


def test_min_psnr_default_and_bad_values(model_file, tmp_path):
    from kfreqgan.export.generator_export import DEFAULT_MIN_PSNR

    assert DEFAULT_MIN_PSNR == 30
    with pytest.raises(ValueError, match=r"`min_psnr` must be a number of dB >= 0, or None. Received: min_psnr=-1"):
        export_generator(model_file, tmp_path / "out", min_psnr=-1)
    assert not (tmp_path / "out").exists()


def test_op_errors_and_selective_quantization(tmp_path):
    """Per-op int8 errors name every quantized tensor; the band filters kept in float stay builtin-only."""
    from kfreqgan.export import calibration
    from kfreqgan.export import tflite
    from kfreqgan.models.image_to_image import clipped_model

    keras.utils.set_random_seed(6)
    model = clipped_model(unet_generator((24, 24, 3), filters=4, depth=2, bands=[(0.0, 0.1), (0.1, None)]))
    images = calibration.representative_images((24, 24, 3), "hazy", 6, seed=0)
    check = calibration.representative_images((24, 24, 3), "hazy", 2, seed=1)
    float_bytes = tflite.convert_to_tflite(model, "float32")
    int8_bytes = tflite.convert_to_tflite(model, "int8", images)
    rows = tflite.op_errors(float_bytes, int8_bytes, check)
    assert rows and {"op_name", "tensor_name", "scale", "rmse", "rmse_per_scale", "relative_rmse"} <= set(rows[0])
    assert all(row["rmse"] >= 0 and row["scale"] > 0 for row in rows)
    assert "DELEGATE" not in {row["op_name"] for row in rows}  # real op names, not XNNPACK's
    bands = [row["tensor_name"] for row in rows if "/band_" in row["tensor_name"]]
    assert bands
    selective = tflite.convert_to_tflite(model, "int8", images, float_nodes=bands)
    ops = tflite.tflite_op_names(selective)
    assert not [op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")]
    assert "FULLY_CONNECTED" in tflite.float_op_names(selective)  # the DFT products now run in float
    assert "FULLY_CONNECTED" not in tflite.float_op_names(int8_bytes)
