"""Keras vs SavedModel vs TFLite on real photos, with a briefly trained dehazer.

The generator is `unet_generator((32, 32, 3), filters=8, depth=2)` (with the
three FFT band inputs and the scattering head) trained for 36 Adam steps (batch 8) with
L1 on hazy -> clean patches of the training photos, so its weights and
activation ranges are those of a working dehazer rather than random ones
(the test checks it dehazes held-out photos better than doing nothing).
Inputs are hazed patches of the held-out photos and the real photos of the
`photos_32` fixture; calibration uses the training photos only.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.data import HELDOUT_PHOTOS
from kfreqgan.data import TRAIN_PHOTOS
from kfreqgan.data import make_hazy_pairs
from kfreqgan.data import photo_patches
from kfreqgan.export import serving
from kfreqgan.export import tflite
from kfreqgan.export.calibration import representative_images
from kfreqgan.models.image_to_image import clipped_model
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.models import unet_generator


def psnr(reference, images):
    mse = np.mean((np.asarray(reference, np.float64) - np.asarray(images, np.float64)) ** 2)
    return 10 * np.log10(1.0 / mse)


@pytest.fixture(scope="module")
def dehazer():
    keras.utils.set_random_seed(6)
    clean = photo_patches(TRAIN_PHOTOS, 32, 8, seed=0, short_side=128)
    hazy = make_hazy_pairs(clean, 3)[0].numpy()
    model = unet_generator((32, 32, 3), filters=8, depth=2)
    model.compile(keras.optimizers.Adam(2e-3), loss="mae")
    model.fit(hazy, clean, batch_size=8, epochs=6, verbose=0)
    return model


@pytest.fixture(scope="module")
def test_images(photos_32):
    """Hazy held-out patches (what the dehazer is for) and clean real photos."""
    clean = photo_patches(HELDOUT_PHOTOS, 32, 4, seed=11, short_side=128)
    hazy = make_hazy_pairs(clean, 12)[0].numpy()
    return {"clean": clean, "hazy": hazy, "inputs": np.concatenate([hazy, photos_32]).astype(np.float32)}


@pytest.fixture(scope="module")
def keras_outputs(dehazer, test_images):
    return unit_range_outputs(dehazer, test_images["inputs"]).numpy()


@pytest.fixture(scope="module")
def saved_model(dehazer, tmp_path_factory):
    directory = tmp_path_factory.mktemp("parity") / "1"
    serving.save_serving_model(dehazer, directory)
    return tf.saved_model.load(str(directory))


@pytest.fixture(scope="module")
def tflite_models(dehazer):
    model = clipped_model(dehazer)
    calibration = representative_images((32, 32, 3), "hazy", count=64)
    return {
        variant: tflite.convert_to_tflite(model, variant, calibration if variant == "int8" else None)
        for variant in ("float32", "int8")
    }


def test_the_generator_is_trained(dehazer, test_images):
    hazy, clean = test_images["hazy"], test_images["clean"]
    dehazed = unit_range_outputs(dehazer, hazy).numpy()
    assert np.abs(dehazed - clean).mean() < 0.8 * np.abs(hazy - clean).mean()


def test_saved_model_matches_keras(saved_model, keras_outputs, test_images):
    outputs = saved_model.signatures["serving_default"](images=tf.constant(test_images["inputs"]))["outputs"].numpy()
    error = np.abs(outputs - keras_outputs).max()
    print(f"\nSavedModel serving_default vs Keras: max abs error {error:.3g}")
    assert error <= 1e-4


def test_saved_model_uint8_signature_matches_keras(saved_model, dehazer, test_images):
    images = np.round(test_images["inputs"] * 255).astype(np.uint8)
    outputs = saved_model.signatures["serving_uint8"](images=tf.constant(images))["outputs"].numpy()
    expected = np.round(unit_range_outputs(dehazer, images / np.float32(255)).numpy() * 255)
    assert outputs.dtype == np.uint8
    # Rounding may flip at exact .5 boundaries between two float paths.
    assert np.abs(outputs.astype(int) - expected.astype(int)).max() <= 1


def test_tflite_float32_matches_keras(tflite_models, keras_outputs, test_images):
    outputs = tflite.run_tflite(tflite_models["float32"], test_images["inputs"], num_threads=2)
    error = np.abs(outputs - keras_outputs).max()
    print(f"\nTFLite float32 vs Keras: max abs error {error:.3g}")
    assert error <= 1e-4


def test_tflite_int8_is_close_to_float(tflite_models, keras_outputs, test_images):
    outputs = tflite.run_tflite(tflite_models["int8"], test_images["inputs"], num_threads=2)
    value = psnr(keras_outputs, outputs)
    print(f"\nTFLite int8 vs Keras float: PSNR {value:.1f} dB, max abs error {np.abs(outputs - keras_outputs).max():.3g}")
    assert value >= 30.0
    # And the quantization error is small next to what the model changes.
    change = psnr(test_images["inputs"], keras_outputs)
    assert value > change + 10


def test_int8_model_is_integer_apart_from_one_negation(tflite_models):
    model_bytes = tflite_models["int8"]
    ops = tflite.tflite_op_names(model_bytes)
    assert {"CONV_2D", "FULLY_CONNECTED", "QUANTIZE", "DEQUANTIZE"} <= ops
    assert not any(op.startswith("Flex") or op in ("CUSTOM", "DELEGATE") for op in ops), ops
    # The DFT's `-tf.matmul(x, sin)` (kfreqgan/dft.py) has no int8 NEG kernel.
    assert tflite.float_op_names(model_bytes) <= {"NEG"}
    assert not tflite.float_op_names(model_bytes) & {"CONV_2D", "FULLY_CONNECTED", "BATCH_MATMUL"}


@pytest.mark.slow
def test_float16_and_dynamic_range_variants(dehazer, keras_outputs, test_images):
    model = clipped_model(dehazer)
    results = {}
    for variant, min_psnr in (("float16", 60.0), ("dynamic_range", 40.0)):
        model_bytes = tflite.convert_to_tflite(model, variant)
        outputs = tflite.run_tflite(model_bytes, test_images["inputs"], num_threads=2)
        results[variant] = (len(model_bytes), psnr(keras_outputs, outputs), np.abs(outputs - keras_outputs).max())
        assert results[variant][1] >= min_psnr, (variant, results[variant])
    print("\n" + "\n".join(f"TFLite {v}: {b} bytes, PSNR {p:.1f} dB, max abs error {e:.3g}" for v, (b, p, e) in results.items()))
    float32_size = len(tflite.convert_to_tflite(model, "float32"))
    assert results["float16"][0] < 0.7 * float32_size
    assert results["dynamic_range"][0] < results["float16"][0]
