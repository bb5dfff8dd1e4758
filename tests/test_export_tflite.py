"""FFTBandFilter converts to TFLite with builtin ops only and keeps its output."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.export.tflite import VARIANTS
from kfreqgan.export.tflite import convert_to_tflite
from kfreqgan.export.tflite import export_safe_clone
from kfreqgan.export.tflite import float_op_names
from kfreqgan.export.tflite import run_tflite as run_signature
from kfreqgan.export.tflite import tflite_op_names
from kfreqgan.layers import FFTBandFilter
from kfreqgan.layers import FrequencyShift


def run_tflite(model_bytes, images):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes)  # no Flex delegate
    detail = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(detail["index"], images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], images)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.fixture(scope="module")
def filter_model():
    """A small image-to-image model trained with the FFT implementation."""
    keras.utils.set_random_seed(3)
    x = keras.Input((32, 32, 3))
    low = FFTBandFilter(0.0, 0.1, kind="gaussian")(x)
    band = FFTBandFilter(0.1, 0.3, kind="butterworth", order=3)(x)
    y = keras.layers.Concatenate()([x, low, band])
    y = keras.layers.Conv2D(3, 3, padding="same")(y)
    y = FrequencyShift((0.0, 0.25))(y)
    return keras.Model(x, y)


@pytest.fixture(scope="module")
def filter_model_bytes(filter_model):
    return convert_to_tflite(filter_model)


def test_band_filter_model_converts_with_builtin_ops_only(filter_model_bytes, filter_model, photos_32):
    model_bytes = filter_model_bytes
    ops = tflite_op_names(model_bytes)
    assert not any(op.startswith("Flex") or op in ("CUSTOM", "DELEGATE") for op in ops), ops
    assert "RFFT2D" not in ops  # the matmul path needs no FFT kernel at all
    outputs = run_tflite(model_bytes, photos_32[:2])
    np.testing.assert_allclose(outputs, filter_model(photos_32[:2]).numpy(), atol=1e-5)


def test_export_safe_clone_swaps_the_implementation_and_keeps_weights(filter_model, photos_32):
    clone = export_safe_clone(filter_model)
    kinds = {layer.implementation for layer in clone.layers if isinstance(layer, FFTBandFilter)}
    assert kinds == {"matmul"}
    np.testing.assert_allclose(clone(photos_32).numpy(), filter_model(photos_32).numpy(), atol=1e-5)


def test_fft_implementation_alone_is_not_builtin_only():
    # Why the matmul path exists: irfft2d needs Flex.
    x = keras.Input((16, 16, 1))
    model = keras.Model(x, FFTBandFilter(0.1)(x))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with pytest.raises(Exception):
        converter.convert()


def test_dynamic_input_shapes_are_refused_unless_whole_image():
    # Any size is for whole-image dehazers (tests/test_tflite_any_size.py).
    x = keras.Input((None, None, 3))
    with pytest.raises(ValueError, match=r"needs a fixed input height and width.*Received: input_shape=\(None, None, None, 3\)"):
        convert_to_tflite(keras.Model(x, keras.layers.Conv2D(3, 1)(x)))


def test_converted_model_has_a_named_signature_with_dynamic_batch(filter_model_bytes, filter_model, photos_32):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=filter_model_bytes)
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": ["images"], "outputs": ["outputs"]}}
    assert list(interpreter.get_input_details()[0]["shape_signature"]) == [-1, 32, 32, 3]
    outputs = run_signature(filter_model_bytes, photos_32[:3], num_threads=1)
    np.testing.assert_allclose(outputs, filter_model(photos_32[:3]).numpy(), atol=1e-5)


def test_run_tflite_rejects_images_of_another_shape(filter_model_bytes, photos_64):
    with pytest.raises(ValueError, match=r"must have shape \(N, 32, 32, 3\)"):
        run_signature(filter_model_bytes, photos_64[:1])
    # uint8 pixels went in as floats up to 255.
    with pytest.raises(ValueError, match=r"This model takes float32 images in \[0, 1\] \(divide uint8 pixels by 255\)\. Received: dtype=uint8"):
        run_signature(filter_model_bytes, (photos_64[:1, :32, :32] * 255).astype(np.uint8))


def test_float_op_names_of_a_float_model_are_its_compute_ops(filter_model_bytes):
    names = float_op_names(filter_model_bytes)
    assert "CONV_2D" in names
    assert not names & {"QUANTIZE", "DEQUANTIZE", "SHAPE"}


def test_export_safe_clone_reaches_nested_models(filter_model, photos_32):
    x = keras.Input((32, 32, 3))
    outer = keras.Model(x, keras.layers.Activation("sigmoid")(filter_model(x)))
    clone = export_safe_clone(outer)
    nested = [layer for layer in clone.layers if isinstance(layer, keras.Model)]
    assert len(nested) == 1
    kinds = {layer.implementation for layer in nested[0].layers if isinstance(layer, FFTBandFilter)}
    assert kinds == {"matmul"}
    np.testing.assert_allclose(clone(photos_32).numpy(), outer(photos_32).numpy(), atol=1e-5)


def test_variant_arguments_are_checked(filter_model, photos_32):
    assert VARIANTS == ("float32", "float16", "dynamic_range", "int8")
    with pytest.raises(ValueError, match="Received: variant='int4'"):
        convert_to_tflite(filter_model, "int4")
    with pytest.raises(ValueError, match="needs `representative_images`"):
        convert_to_tflite(filter_model, "int8")
    with pytest.raises(ValueError, match="calibrate the int8 variant only"):
        convert_to_tflite(filter_model, "float16", representative_images=photos_32)
    with pytest.raises(ValueError, match=r"Received: shape=\(6, 64, 64, 3\)"):
        convert_to_tflite(filter_model, "int8", representative_images=np.zeros((6, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="finite floating-point"):
        convert_to_tflite(filter_model, "int8", representative_images=np.zeros((6, 32, 32, 3), np.uint8))
    # Pixels in [0, 255] as floats calibrated ranges 255 times too wide.
    pixels = np.linspace(0.0, 255.0, 2 * 32 * 32 * 3, dtype=np.float32).reshape(2, 32, 32, 3)
    with pytest.raises(ValueError, match=r"finite floating-point images in \[0, 1\] \(divide uint8 pixels by 255\)\. Received: range=\[0\.0, 255\.0\]"):
        convert_to_tflite(filter_model, "int8", representative_images=pixels)


def test_models_with_several_inputs_are_refused():
    a, b = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    with pytest.raises(ValueError, match="one input and one output"):
        convert_to_tflite(keras.Model([a, b], keras.layers.Add()([a, b])))
