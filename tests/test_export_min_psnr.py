"""int8 that holds (#17 item 2, the mechanism): kfreqgan-export refuses to
publish a TFLite variant further than --min-psnr from the Keras model on the
held-out hazy photos, naming it and by how much, before anything is written."""

import json
import os
import re

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


def test_pooled_psnr_is_one_mse_over_the_whole_set_not_a_mean_of_psnrs():
    import numpy as np

    from kfreqgan.export.tflite import pooled_psnr

    reference = np.zeros((2, 4, 4, 3), np.float32)
    outputs = reference.copy()
    outputs[0] += 0.1  # one image off by 0.1 everywhere, the other exact
    # Pooled: MSE 0.01 / 2 over the set -> 10 log10(200) = 23.01 dB; a mean of
    # per-image PSNRs would be infinite.
    assert pooled_psnr(reference, outputs) == pytest.approx(10 * np.log10(200.0), abs=1e-4)
    assert pooled_psnr(reference, reference) == float("inf")
    assert pooled_psnr(reference, outputs) == pooled_psnr(outputs, reference)


def test_a_variant_below_min_psnr_is_refused_and_nothing_is_published(model_file, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [model_file, "--out", str(out), "--variants", "float32,dynamic_range", "--calibration-count", "4"]
    assert cli.main(argv + ["--min-psnr", "0"]) == 0
    manifest = json.loads((out / "tflite" / "g" / "1" / "export.json").read_text())
    psnr = {key: entry["agreement_with_keras"]["psnr_db"] for key, entry in manifest["variants"].items()}
    before = _published(out)

    threshold = round(psnr["dynamic_range"] + 5, 1)  # above the quantized variant, below float32's
    assert psnr["float32"] is None or psnr["float32"] > threshold
    assert cli.main(argv + ["--min-psnr", f"{threshold:g}"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"kfreqgan-export: error: The dynamic_range TFLite model is {psnr['dynamic_range']:.1f} dB PSNR")
    assert f"{threshold - psnr['dynamic_range']:.1f} dB below --min-psnr {threshold:g}" in error
    assert error == (
        f"kfreqgan-export: error: The dynamic_range TFLite model is {psnr['dynamic_range']:.1f} dB PSNR from the Keras "
        f"model on held-out hazy photos, {threshold - psnr['dynamic_range']:.1f} dB below --min-psnr {threshold:g} "
        f"(min_psnr={threshold:g}); nothing was published. Leave it out (--variants) or lower --min-psnr."
    )
    assert _published(out) == before  # version 2 of neither format, models.config unchanged


def test_int8_keeps_leading_ops_in_float_until_it_holds_min_psnr(model_file, tmp_path, capsys):
    """Plain full-integer int8 with --min-psnr 0; above its PSNR, the export keeps
    a prefix of ops in float (builtins, no Flex) and publishes a model that holds
    the threshold on the held-out check photos; an unreachable one is refused."""
    from kfreqgan.export import tflite

    argv = [model_file, "--formats", "tflite", "--variants", "int8", "--calibration-count", "8"]
    assert cli.main(argv + ["--out", str(tmp_path / "plain"), "--min-psnr", "0"]) == 0
    plain = json.loads((tmp_path / "plain" / "tflite" / "g" / "1" / "export.json").read_text())["variants"]["int8"]
    assert "kept_in_float" not in plain
    plain_psnr = plain["agreement_with_keras"]["psnr_db"]

    threshold = plain_psnr + 6
    assert cli.main(argv + ["--out", str(tmp_path / "mixed"), "--min-psnr", f"{threshold:.2f}"]) == 0
    folder = tmp_path / "mixed" / "tflite" / "g" / "1"
    entry = json.loads((folder / "export.json").read_text())["variants"]["int8"]
    kept = entry["kept_in_float"]
    assert 0 < kept["leading_ops"] <= kept["of_quantized_ops"]
    assert kept["selection_psnr_db"] >= threshold + 1  # chosen with a 1 dB margin on calibration images
    assert entry["agreement_with_keras"]["psnr_db"] >= threshold  # and checked on the held-out ones
    assert [prefix for prefix, _ in kept["tried"]][:2] == [0, kept["of_quantized_ops"]]
    model_bytes = (folder / "g_int8.tflite").read_bytes()
    ops = tflite.tflite_op_names(model_bytes)
    assert "CONV_2D" in tflite.float_op_names(model_bytes)  # the first convolutions now run in float
    assert not [op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")]
    assert len(model_bytes) < 4 * plain["bytes"]

    capsys.readouterr()
    assert cli.main(argv + ["--out", str(tmp_path / "never"), "--min-psnr", "200"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("kfreqgan-export: error: The int8 TFLite model is ")
    assert not (tmp_path / "never" / "tflite" / "g" / "1").exists()


def test_selective_int8_prefix_and_plain_fallback():
    """`selective_int8` returns plain int8 when it holds, a float prefix when not,
    and the op names it keeps are `quantized_op_outputs` in execution order."""
    import numpy as np

    from kfreqgan.export import calibration
    from kfreqgan.export import tflite
    from kfreqgan.models.image_to_image import clipped_model
    from kfreqgan.models.image_to_image import unit_range_outputs

    keras.utils.set_random_seed(8)
    model = clipped_model(unet_generator((16, 16, 3), filters=4, depth=1))
    images = calibration.representative_images((16, 16, 3), "hazy", 6, seed=0)
    reference = unit_range_outputs(model, images).numpy()
    plain = tflite.convert_to_tflite(model, "int8", images)
    names = tflite.quantized_op_outputs(plain)
    assert names and len(set(names)) == len(names)
    interpreter_ops = [op for op in tflite.tflite_op_names(plain) if op not in ("QUANTIZE", "DEQUANTIZE")]
    assert interpreter_ops

    same, info = tflite.selective_int8(model, images, images, reference, min_psnr=None)
    assert info["float_ops"] == 0 and info["tried"] == [[0, info["psnr_db"]]]
    plain_psnr = info["psnr_db"]
    mixed, info = tflite.selective_int8(model, images, images, reference, min_psnr=plain_psnr + 6)
    assert 0 < info["float_ops"] <= info["quantized_ops"] == len(names)
    measured = float(10 * np.log10(1 / np.mean((tflite.run_tflite(mixed, images) - reference) ** 2)))
    assert measured == pytest.approx(info["psnr_db"], abs=1e-3) and measured >= plain_psnr + 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        # NaN kept every op in float; a reference of one image was broadcast against two.
        ({"min_psnr": float("nan")}, r"`min_psnr` must be a finite number >= 0\. Received: min_psnr=nan"),
        ({"max_conversions": 0}, r"`max_conversions` must be a positive integer\. Received: max_conversions=0"),
        ({"selection_reference": "one"}, r"of their shape\. Received: selection_images\.shape=\(2, 8, 8, 3\), selection_reference\.shape=\(1, 8, 8, 3\)"),
    ],
)
def test_selective_int8_checks_its_arguments_before_converting(kwargs, message):
    import numpy as np

    from kfreqgan.export import tflite

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs))
    images = np.full((2, 8, 8, 3), 0.5, np.float32)
    arguments = {"min_psnr": 30.0, "max_conversions": 8, "selection_reference": images, **kwargs}
    if isinstance(arguments["selection_reference"], str):
        arguments["selection_reference"] = images[:1]
    with pytest.raises(ValueError, match=message):
        tflite.selective_int8(model, images, images, **arguments)


def test_min_psnr_default_and_bad_values(model_file, tmp_path):
    import numpy as np

    from kfreqgan.export.generator_export import DEFAULT_MIN_PSNR

    assert DEFAULT_MIN_PSNR == 30
    for bad in (-1, float("nan"), float("inf"), np.float32("nan"), np.float64("-inf"), "30", True):
        with pytest.raises(ValueError, match=rf"^`min_psnr` must be a finite number >= 0\. Received: min_psnr={re.escape(repr(bad))}$"):
            export_generator(model_file, tmp_path / "out", min_psnr=bad)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value, shown", [("nan", "nan"), ("inf", "inf"), ("1e400", "inf"), ("-1", "-1.0")])
def test_min_psnr_that_is_no_threshold_is_refused_by_the_command(model_file, tmp_path, capsys, value, shown):
    """`--min-psnr nan` used to publish whatever came out (every comparison with
    NaN is false), `inf` or `1e400` to refuse every variant after converting it."""
    out = tmp_path / "out"
    assert cli.main([model_file, "--out", str(out), "--variants", "float32", "--min-psnr", value]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines[-1] == f"kfreqgan-export: error: `--min-psnr` must be a finite number >= 0. Received: --min-psnr={shown}"
    assert not out.exists()


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
    with pytest.raises(ValueError, match=r"`images` must be finite floating-point images in \[0, 1\] \(divide uint8"):
        tflite.op_errors(float_bytes, int8_bytes, check * 255)  # ran, and measured errors of pixels calibration never saw
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
