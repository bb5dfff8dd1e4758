"""FFTBandFilter converts to TFLite with builtin ops only and keeps its output."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.export.tflite import convert_to_tflite
from kfreqgan.export.tflite import export_safe_clone
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


def test_band_filter_model_converts_with_builtin_ops_only(filter_model, photos_32):
    model_bytes = convert_to_tflite(filter_model)
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


def test_dynamic_input_shapes_are_refused():
    x = keras.Input((None, None, 3))
    with pytest.raises(ValueError, match="static input shapes"):
        convert_to_tflite(keras.Model(x, keras.layers.Conv2D(3, 1)(x)))
