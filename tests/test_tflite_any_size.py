"""TFLite models of a whole-image dehazer that take any size (#15 on a phone).

A whole-image dehazer (`kfreqgan.dehazing.is_whole_image_model`) built
without a fixed size converts to a builtin-only `.tflite` whose input
signature is `(-1, -1, -1, 3)`: resized to each photo, it computes what the
Keras model computes, so `Dehazer` and `kfreqgan-dehaze --model x.tflite`
run it untiled (tiles would each estimate their own airlight: the patchy
output of #15). A U-Net without a fixed size is still refused.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from kfreqgan.export import tflite
from kfreqgan.models import coherent_dehazer
from kfreqgan.models import unet_generator
from kfreqgan.models.image_to_image import clipped_model
from kfreqgan.models.image_to_image import unit_range_outputs

pytest.importorskip("ai_edge_litert")

# A square, a wide and a tall size, none a multiple of 8.
SIZES = ((40, 40), (45, 67), (71, 50))


def hazy_image(height, width, seed=0):
    """A smooth hazy photo-like image (1, H, W, 3) in [0, 1]."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    base = tf.image.resize(rng.random((1, 5, 7, 3)).astype(np.float32), (height, width)).numpy()
    return np.clip(0.6 * base + 0.35, 0, 1).astype(np.float32)


def input_signature(model_bytes):
    """The `shape_signature` of a `.tflite` model's input (-1: any size)."""
    from ai_edge_litert.interpreter import Interpreter

    return [int(size) for size in Interpreter(model_content=model_bytes).get_input_details()[0]["shape_signature"]]


@pytest.fixture(scope="module")
def dehazer():
    keras.utils.set_random_seed(5)
    return coherent_dehazer(coarse_size=32, filters=4)


@pytest.fixture(scope="module")
def float32_bytes(dehazer):
    return tflite.convert_to_tflite(clipped_model(dehazer))


def test_a_whole_image_dehazer_converts_at_any_size_with_builtin_ops(dehazer, float32_bytes):
    ops = tflite.tflite_op_names(float32_bytes)
    assert not any(op.startswith("Flex") or op in ("CUSTOM", "DELEGATE") for op in ops), ops
    assert input_signature(float32_bytes) == [-1, -1, -1, 3]
    for height, width in SIZES:
        image = hazy_image(height, width)
        outputs = tflite.run_tflite(float32_bytes, image)
        assert outputs.shape == image.shape
        np.testing.assert_allclose(outputs, unit_range_outputs(dehazer, image).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "variant, io_dtype, tolerance",
    [("float16", "float32", 1e-4), ("dynamic_range", "float32", 2e-3), ("float32", "uint8", 1)],
)
def test_every_float_variant_takes_any_size(dehazer, variant, io_dtype, tolerance):
    model_bytes = tflite.convert_to_tflite(clipped_model(dehazer), variant, io_dtype=io_dtype)
    for height, width in SIZES[1:]:
        image = hazy_image(height, width, seed=1)
        reference = unit_range_outputs(dehazer, image).numpy()
        if io_dtype == "uint8":
            outputs = tflite.run_tflite(model_bytes, np.round(image * 255).astype(np.uint8)).astype(np.int64)
            reference = unit_range_outputs(dehazer, np.round(image * 255) / np.float32(255)).numpy()
            assert np.abs(outputs - np.round(reference * 255)).max() <= tolerance  # grey levels
        else:
            np.testing.assert_allclose(tflite.run_tflite(model_bytes, image), reference, atol=tolerance)


def test_int8_calibrated_at_one_size_holds_at_another(dehazer):
    # Calibration images share one size; the learned part sees every photo
    # at its coarse size, so the ranges hold at other sizes.
    calibration = np.concatenate([hazy_image(48, 64, seed) for seed in range(8)])
    model = clipped_model(dehazer)
    model_bytes = tflite.convert_to_tflite(model, "int8", representative_images=calibration)
    assert input_signature(model_bytes) == [-1, -1, -1, 3]
    psnr = {}
    for height, width in ((48, 64), (71, 50)):
        images = np.concatenate([hazy_image(height, width, seed) for seed in (20, 21)])
        reference = unit_range_outputs(dehazer, images).numpy()
        psnr[height, width] = tflite.pooled_psnr(reference, tflite.run_tflite(model_bytes, images))
    assert psnr[71, 50] > 25 and abs(psnr[71, 50] - psnr[48, 64]) < 3, psnr
    with pytest.raises(ValueError, match=r"shape \(N, any, any, 3\)"):
        tflite.convert_to_tflite(model, "int8", representative_images=calibration[..., :1])


@pytest.mark.parametrize("bands", [None, ()], ids=["fft_bands", "plain"])
def test_a_size_free_unet_still_needs_a_fixed_size(bands):
    kwargs = {} if bands is None else {"bands": bands}
    model = unet_generator((None, None, 3), filters=4, depth=2, **kwargs)
    with pytest.raises(ValueError, match=r"needs a fixed input height and width, except for a whole-image dehazer.*"
                       r"FFT band filters need a static size.*--image-size HxW.*Received: input_shape=\(None, None, None, 3\)"):
        tflite.convert_to_tflite(clipped_model(model))


@pytest.fixture(scope="module")
def exported(dehazer, tmp_path_factory):
    """The dehazer through export_generator with both formats, no image size."""
    from kfreqgan.export import export_generator

    out = tmp_path_factory.mktemp("exported")
    summary = export_generator(dehazer, str(out), name="coherent", formats=("saved_model", "tflite"), variants=("float32",), tflite_io="both")
    return out, summary


def test_the_default_formats_of_a_size_free_dehazer_are_the_savedmodel_alone(dehazer, tmp_path):
    # Quick and without the TFLite extra (a plain install); any-size TFLite is asked for.
    from kfreqgan.export import export_generator

    export_generator(dehazer, str(tmp_path), name="coherent", formats=None)
    assert (tmp_path / "coherent" / "1").is_dir() and not (tmp_path / "tflite").exists()


def test_the_export_writes_any_size_tflite_models_and_says_so(exported):
    out, summary = exported
    folder = out / "tflite" / "coherent" / "1"
    manifest = json.loads((folder / "export.json").read_text())
    assert manifest["whole_image"] is True
    assert manifest["inputs"][0]["shape"] == manifest["outputs"][0]["shape"] == [-1, -1, -1, 3]
    assert manifest["uint8_models"]["inputs"][0]["shape"] == [-1, -1, -1, 3]
    assert set(manifest["variants"]) == {"float32", "float32_uint8"}
    assert manifest["variants"]["float32"]["agreement_with_keras"]["max_abs_error"] <= 1e-5
    assert manifest["variants"]["float32_uint8"]["agreement_with_keras"]["max_abs_difference_grey_levels"] <= 1
    assert "72x100" in manifest["check_images"]
    saved = json.loads((out / "coherent" / "1" / "assets.extra" / "kfreqgan_export.json").read_text())
    assert saved["whole_image"] is True  # the two formats say it alike
    assert saved["signatures"]["serving_default"]["inputs"][0]["shape"] == [-1, -1, -1, 3]
    for name in ("coherent_float32.tflite", "coherent_float32_uint8.tflite"):
        assert input_signature((folder / name).read_bytes()) == [-1, -1, -1, 3]


@pytest.mark.parametrize("file_name, pixels, tolerance", [("coherent_float32.tflite", False, 1e-5), ("coherent_float32_uint8.tflite", True, 1)])
def test_dehazer_runs_an_any_size_tflite_untiled_as_its_keras_model(exported, dehazer, file_name, pixels, tolerance):
    from kfreqgan.dehazing import Dehazer
    from kfreqgan.models.loading import load_generator

    path = str(exported[0] / "tflite" / "coherent" / "1" / file_name)
    generator = load_generator(path)
    assert generator.input_shape == (None, None, 3) and generator.whole_image
    runner = Dehazer(path, tile_size=32)  # a tile size that would split these photos
    assert runner.whole_image and runner.tile_size is None
    keras_runner = Dehazer(dehazer)
    for height, width in ((45, 67), (90, 61)):  # one after the other: the input is resized each time
        image = hazy_image(height, width, seed=2)[0]
        if pixels:  # uint8 photos in and out (grey levels)
            image = np.round(image * 255).astype(np.uint8)
        np.testing.assert_allclose(runner(image).astype(np.float64), keras_runner(image).astype(np.float64), atol=tolerance)


def test_kfreqgan_dehaze_with_an_any_size_tflite_equals_the_keras_model(exported, dehazer, tmp_path):
    from kfreqgan import dehaze_cli
    from kfreqgan.dehazing import Dehazer

    inputs = tmp_path / "in"
    inputs.mkdir()
    pixels = np.round(hazy_image(53, 77, seed=4)[0] * 255).astype(np.uint8)
    Image.fromarray(pixels).save(inputs / "photo.png")
    model = exported[0] / "tflite" / "coherent" / "1" / "coherent_float32.tflite"
    assert dehaze_cli.main([str(inputs), "--out", str(tmp_path / "out"), "--model", str(model)]) == 0
    written = np.asarray(Image.open(next((tmp_path / "out").glob("photo*"))))
    expected = Dehazer(dehazer)(pixels)
    assert written.shape == pixels.shape
    assert np.abs(written.astype(int) - expected.astype(int)).max() <= 1


def test_int8_of_an_any_size_model_calibrates_on_a_folder_of_small_photos(dehazer, tmp_path):
    # Photos smaller than 256x256 were refused as "smaller than the model's
    # 256x256 input", which a model of any size does not have: the patches
    # are the largest that every photo holds.
    from kfreqgan.export import export_generator

    photos = tmp_path / "photos"
    photos.mkdir()
    for index, (height, width) in enumerate(((60, 90), (80, 70))):
        Image.fromarray(np.round(hazy_image(height, width, seed=index)[0] * 255).astype(np.uint8)).save(photos / f"{index}.png")
    export_generator(dehazer, str(tmp_path / "out"), name="coherent", formats=("tflite",), variants=("int8",),
                     calibration=str(photos), calibration_count=2, verify=False)
    manifest = json.loads((tmp_path / "out" / "tflite" / "coherent" / "1" / "export.json").read_text())
    assert manifest["calibration"]["image_size"] == [60, 70] and manifest["calibration"]["count"] == 2
    assert input_signature((tmp_path / "out" / "tflite" / "coherent" / "1" / "coherent_int8.tflite").read_bytes()) == [-1, -1, -1, 3]
