"""TFLite (LiteRT) conversion with builtin ops only.

Phones should not need the TensorFlow select-ops (Flex) library, so the
conversion here allows `TFLITE_BUILTINS` alone and fails loudly otherwise.
`tf.signal.irfft2d` is not a builtin; `export_safe_clone` swaps every
`FFTBandFilter` of a model to its matmul implementation first.
"""

import keras
import tensorflow as tf

from kfreqgan.layers import FFTBandFilter


def export_safe_clone(model):
    """Clone of `model` whose `FFTBandFilter` layers use `implementation="matmul"`.

    The two implementations compute the same function (the layer has no
    weights), so the clone gives the same outputs; other layers keep their
    weights. Works for Functional and Sequential models.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: {type(model).__name__}")

    def clone_layer(layer):
        config = layer.get_config()
        if isinstance(layer, FFTBandFilter):
            config["implementation"] = "matmul"
        clone = layer.__class__.from_config(config)
        return clone

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    return clone


def convert_to_tflite(model):
    """Converts a Keras model to a builtin-only TFLite flatbuffer.

    Args:
        model: a built `keras.Model` whose inputs have static shapes apart
            from the batch size. `FFTBandFilter` layers are switched to their
            matmul implementation (see `export_safe_clone`).

    Returns:
        The `.tflite` model as bytes (batch size 1; resize the input in the
        interpreter for larger batches).

    Raises:
        ValueError: if the model needs an op that is not a TFLite builtin.
    """
    model = export_safe_clone(model)
    for tensor in model.inputs:
        if None in tuple(tensor.shape[1:]):
            raise ValueError(
                "TFLite export needs static input shapes apart from the batch "
                f"size. Received: input shape={tuple(tensor.shape)}"
            )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        return converter.convert()
    except Exception as error:  # the converter raises ConverterError and others
        raise ValueError(
            "The model needs ops that are not TFLite builtins, so it would need "
            f"the Flex delegate on a phone: {error}"
        ) from error


def tflite_op_names(tflite_model):
    """Names of the operators in a `.tflite` flatbuffer, e.g. {'BATCH_MATMUL'}."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=tflite_model)
    return {op["op_name"] for op in interpreter._get_ops_details()}
