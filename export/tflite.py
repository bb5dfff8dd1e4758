"""TFLite (LiteRT) conversion with builtin ops only, in four variants.

Phones should not need the TensorFlow select-ops (Flex) library, so the
conversion here allows TFLite builtins alone and fails loudly otherwise.
`tf.signal.irfft2d` is not a builtin; `export_safe_clone` swaps every
`FFTBandFilter` of a model (nested models included) to its matmul
implementation first.

Variants (`VARIANTS`):

- `"float32"`: the model as is.
- `"float16"`: weights stored as float16 (half the size); they are
  dequantized when the model loads and the maths runs in float32 on CPUs
  (GPU delegates can run it in float16).
- `"dynamic_range"`: weights stored as int8; activations stay float and are
  quantized on the fly inside the heavy kernels. No calibration data.
- `"int8"`: full-integer quantization: weights and activations int8, with
  activation ranges calibrated on a representative dataset (see
  `kfreqgan.export.calibration`). Input and output stay float32 (a QUANTIZE
  op at the input, a DEQUANTIZE at the output), so every variant has the
  same interface. An op that has no int8 kernel is kept in float32
  between DEQUANTIZE / QUANTIZE ops; `float_op_names` lists them (for the
  kfreqgan generators: the `NEG` of the DFT's imaginary part, see
  `kfreqgan/dft.py`).

Every converted model has one signature, `serving_default`, with the input
`images` `(batch, H, W, C)` and the output `outputs`; the batch size is 1
until the interpreter resizes the input. With `io_dtype="float32"` (the
default) both are float32 in [0, 1]; with `io_dtype="uint8"` both are uint8
in [0, 255], the model dividing by 255 at its input and rounding `255 x` its
(clipped) output, the same preprocessing as the SavedModel's
`serving_uint8`: a phone app passes the camera's pixels and gets pixels
back, with no code of its own around the model.
"""

import contextlib
import tempfile
import warnings

import numpy as np

from kfreqgan.models.loading import INPUT_NAME
from kfreqgan.models.loading import OUTPUT_NAME
from kfreqgan.models.loading import SERVING_DEFAULT

VARIANTS = ("float32", "float16", "dynamic_range", "int8")
"""TFLite variants that `convert_to_tflite` produces, see the module docstring."""

IO_DTYPES = ("float32", "uint8")
"""Input/output types of a converted model, see the module docstring."""


# Ops that only move quantized values in and out of the float domain, or
# compute shapes, are not "float compute" for `float_op_names`.
_BOUNDARY_OPS = {"QUANTIZE", "DEQUANTIZE", "SHAPE", "PACK", "STRIDED_SLICE"}


def export_safe_clone(model):
    """Clone of `model` whose `FFTBandFilter` layers use `implementation="matmul"`.

    The two implementations compute the same function (the layer has no
    weights), so the clone gives the same outputs; other layers keep their
    weights. Works for Functional and Sequential models, also when the
    filters sit in a nested model.

    Args:
        model: a `keras.Model`.

    Returns:
        The clone, a new `keras.Model` with copies of `model`'s weights.

    Raises:
        ValueError: if `model` is not a `keras.Model`.
    """
    import keras

    from kfreqgan.layers import FFTBandFilter

    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: {type(model).__name__}")

    def clone_layer(layer):
        config = layer.get_config()
        if isinstance(layer, FFTBandFilter):
            config["implementation"] = "matmul"
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer, recursive=True)
    clone.set_weights(model.get_weights())
    return clone


def _check_variant(variant, representative_images, model):
    if variant not in VARIANTS:
        raise ValueError(f"`variant` must be one of {VARIANTS}. Received: variant={variant!r}")
    if variant != "int8":
        if representative_images is not None:
            raise ValueError(
                "`representative_images` calibrate the int8 variant only. "
                f"Received: variant={variant!r} with representative_images"
            )
        return None
    if representative_images is None:
        raise ValueError(
            "The int8 variant needs `representative_images` to calibrate the activation ranges "
            "(see kfreqgan.export.calibration.representative_images)."
        )
    images = np.asarray(representative_images)
    expected = tuple(model.inputs[0].shape[1:])
    if images.ndim != 4 or images.shape[1:] != expected or len(images) == 0:
        raise ValueError(
            f"`representative_images` must have shape (N, {', '.join(map(str, expected))}) with N >= 1. "
            f"Received: shape={images.shape}"
        )
    if not np.issubdtype(images.dtype, np.floating) or not np.all(np.isfinite(images)):
        raise ValueError(
            "`representative_images` must be finite floating-point images in [0, 1]. "
            f"Received: dtype={images.dtype}"
        )
    return images.astype(np.float32)


def convert_to_tflite(model, variant="float32", representative_images=None, io_dtype="float32", float_nodes=()):
    """Converts a Keras model to a builtin-only TFLite flatbuffer.

    Args:
        model: a built `keras.Model` with one input and one output, whose
            input has a static shape apart from the batch size.
            `FFTBandFilter` layers are switched to their matmul
            implementation (see `export_safe_clone`).
        variant: one of `VARIANTS` (see the module docstring).
        representative_images: for `variant="int8"` only: float32 images
            `(N, H, W, C)` of the kind the model will see (a few dozen to a
            few hundred), fed one by one to calibrate the activation ranges.
        io_dtype: `"float32"` (images in [0, 1]) or `"uint8"` (images in
            [0, 255], converted inside the model; the outputs are clipped
            to [0, 1] and rounded to uint8). Not with `variant="int8"`.
        float_nodes: for `variant="int8"`: names of ops (their output
            tensors, as `op_errors` lists them) kept in float
            (selective quantization; builtin float kernels).

    Returns:
        The `.tflite` model as bytes, with the signature `serving_default`
        (`images` -> `outputs`, both of `io_dtype`; batch size 1, resize
        the input in the interpreter for larger batches).

    Raises:
        ValueError: for a bad `variant` or `representative_images`, a model
            with several inputs or outputs or a dynamic input shape, or a
            model that needs an op that is not a TFLite builtin.
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: {type(model).__name__}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"TFLite export takes models with one input and one output. "
            f"Received: {len(model.inputs)} inputs, {len(model.outputs)} outputs"
        )
    shape = tuple(model.inputs[0].shape)
    if None in shape[1:]:
        raise ValueError(
            "TFLite export needs static input shapes apart from the batch "
            f"size. Received: input shape={shape}"
        )
    images = _check_variant(variant, representative_images, model)
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"`io_dtype` must be one of {IO_DTYPES}. Received: io_dtype={io_dtype!r}")
    if io_dtype == "uint8" and variant == "int8":
        # Measured: the full-integer model with in-graph uint8 scaling is off
        # by ~19 grey levels on average (float32 I/O: under 1).
        raise ValueError(
            "uint8 input/output is not supported for the int8 variant (its calibrated ranges lose "
            "about 19 grey levels on average); use float32, float16 or dynamic_range with "
            "io_dtype='uint8', or int8 with float32 I/O. Received: variant='int8', io_dtype='uint8'"
        )
    with tflite_converter(model, variant, images, io_dtype) as (converter, dataset):
        try:
            with warnings.catch_warnings():
                # "Statistics for quantized inputs were expected": the float
                # input is quantized by the model's own QUANTIZE op.
                warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
                if float_nodes:
                    # Selective quantization: these ops keep float kernels
                    # (TFLite builtins still; no Flex).
                    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
                    debugger = tf.lite.experimental.QuantizationDebugger(
                        converter=converter,
                        debug_dataset=dataset,
                        debug_options=tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(float_nodes)),
                    )
                    model_bytes = debugger.get_nondebug_quantized_model()
                else:
                    model_bytes = converter.convert()
        except Exception as error:  # the converter raises ConverterError and others
            raise ValueError(
                "The model needs ops that are not TFLite builtins, so it would need "
                f"the Flex delegate on a phone: {error}"
            ) from error
    ops = tflite_op_names(model_bytes)
    foreign = sorted(op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE"))
    if foreign:
        raise ValueError(f"The converted model contains non-builtin ops. Received: ops={foreign}")
    return model_bytes


def op_errors(float_model, int8_model, images):
    """Per-op int8 error: each quantized tensor of `int8_model` against the same tensor of `float_model`.

    Both models (bytes from `convert_to_tflite`, `"float32"` and `"int8"` of
    the same Keras model) run on `images` with every intermediate tensor kept
    (LiteRT's `experimental_preserve_all_tensors`); each int8 tensor is
    dequantized and compared with the float tensor of the same name. The
    error of a tensor includes what its inputs brought with them: where it
    jumps between an op's inputs and its output, that op hurts.

    Args:
        float_model, int8_model: `.tflite` bytes.
        images: float32 `(N, H, W, C)` in [0, 1] (use images calibration did
            not see).

    Returns:
        A list of dicts, one per matched int8 tensor, in execution order:
        `op_name` (the op writing it), `tensor_name` (for
        `convert_to_tflite(float_nodes=...)`), `scale`, `rmse`,
        `rmse_per_scale` (in quantization steps; rounding alone gives 0.29)
        and `relative_rmse` (RMSE / the float tensor's standard deviation).
    """
    from kfreqgan._extras import require

    require("ai_edge_litert", "Running a TFLite model")
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_litert.interpreter import OpResolverType

    runs = {}
    for key, model_bytes in (("float", float_model), ("int8", int8_model)):
        # Without the XNNPACK delegate, which would take over the ops (and their names).
        interpreter = Interpreter(
            model_content=model_bytes, experimental_preserve_all_tensors=True,
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        interpreter.allocate_tensors()
        runs[key] = interpreter
    producers = {}
    for op in runs["int8"]._get_ops_details():
        for index in op["outputs"]:
            producers[int(index)] = op["op_name"]
    float_index = {detail["name"]: detail["index"] for detail in runs["float"].get_tensor_details()}
    tensors = [
        detail for detail in runs["int8"].get_tensor_details()
        if detail["dtype"] == np.int8 and detail["quantization"][0] > 0 and detail["name"] in float_index
        and detail["index"] in producers
    ]
    sums = {detail["index"]: [0.0, 0.0, 0] for detail in tensors}
    for image in np.asarray(images, np.float32):
        for interpreter in runs.values():
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
            interpreter.invoke()
        for detail in tensors:
            scale, zero_point = detail["quantization"]
            reference = runs["float"].get_tensor(float_index[detail["name"]]).astype(np.float64)
            quantized = runs["int8"].get_tensor(detail["index"]).astype(np.float64)
            if quantized.shape != reference.shape:
                continue
            error = (quantized - zero_point) * scale - reference
            total = sums[detail["index"]]
            total[0] += float(np.sum(error**2))
            total[1] += float(np.sum((reference - reference.mean()) ** 2))
            total[2] += reference.size
    rows = []
    for detail in sorted(tensors, key=lambda d: d["index"]):
        squared, variance, count = sums[detail["index"]]
        if not count:
            continue
        scale = float(detail["quantization"][0])
        rmse = float(np.sqrt(squared / count))
        spread = float(np.sqrt(variance / count))
        rows.append({
            "op_name": producers[detail["index"]], "tensor_name": detail["name"], "scale": scale, "rmse": rmse,
            "rmse_per_scale": rmse / scale, "relative_rmse": rmse / spread if spread else float("inf"),
        })
    return rows

@contextlib.contextmanager
def tflite_converter(model, variant, images, io_dtype):
    """The configured `tf.lite.TFLiteConverter` for `model`, as a context manager.

    Yields `(converter, representative_dataset)`, valid inside the `with`
    block (the converter reads a temporary SavedModel): what
    `convert_to_tflite` converts, for callers that change a setting before
    `converter.convert()` (e.g. int16 activations in `bench/int8_study.py`).

    Args:
        model: the Keras generator (fixed input size).
        variant: one of `VARIANTS`.
        images: float32 calibration images in [0, 1] for `"int8"`, else None.
        io_dtype: `"float32"` or `"uint8"` input and output tensors.
    """
    import keras
    import tensorflow as tf

    shape = tuple(model.inputs[0].shape)
    model = export_safe_clone(model)
    if io_dtype == "uint8":
        spec = tf.TensorSpec((None,) + shape[1:], tf.uint8, name=INPUT_NAME)

        def serve(images):
            outputs = model(tf.cast(images, tf.float32) / 255.0, training=False)
            outputs = tf.clip_by_value(tf.cast(outputs, tf.float32), 0.0, 1.0)
            return {OUTPUT_NAME: tf.cast(tf.round(outputs * 255.0), tf.uint8)}

        if images is not None:
            images = np.round(images * 255.0).astype(np.uint8)
    else:
        spec = tf.TensorSpec((None,) + shape[1:], model.inputs[0].dtype, name=INPUT_NAME)

        def serve(images):
            return {OUTPUT_NAME: model(images, training=False)}

    with tempfile.TemporaryDirectory(prefix="kfreqgan-tflite-") as directory:
        # Through a SavedModel with a named signature, so that the TFLite
        # model's signature has the names `images` and `outputs`.
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(SERVING_DEFAULT, serve, input_signature=[spec])
        archive.write_out(directory, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(directory, signature_keys=[SERVING_DEFAULT])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if variant != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if variant == "float16":
            converter.target_spec.supported_types = [tf.float16]
        elif variant == "int8":
            converter.representative_dataset = lambda: ([images[i : i + 1]] for i in range(len(images)))
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        dataset = (lambda: ([images[i : i + 1]] for i in range(len(images)))) if images is not None else None
        yield converter, dataset


def _interpreter(model_bytes, num_threads=None):
    from kfreqgan._extras import require

    require("ai_edge_litert", "Running a TFLite model")
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=model_bytes, num_threads=num_threads)  # no Flex delegate


def tflite_op_names(tflite_model):
    """Names of the operators in a `.tflite` flatbuffer, e.g. {'BATCH_MATMUL'}.

    Args:
        tflite_model: the model as bytes.

    Returns:
        A set of op names (`'CONV_2D'`, ...; select-TF ops appear as `'Flex...'`).
    """
    interpreter = _interpreter(tflite_model)
    return {op["op_name"] for op in interpreter._get_ops_details()}


def float_op_names(tflite_model):
    """Operators of a `.tflite` model that compute in floating point.

    QUANTIZE / DEQUANTIZE (the boundaries of quantized regions) and the
    int32 shape arithmetic are not counted. For a full-integer model this
    lists the ops left in float32 because they have no int8 kernel.

    Args:
        tflite_model: the model as bytes.

    Returns:
        A set of op names.
    """
    interpreter = _interpreter(tflite_model)
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    names = set()
    for op in interpreter._get_ops_details():
        if op["op_name"] in _BOUNDARY_OPS:
            continue
        dtypes = [tensors[index]["dtype"] for index in op["outputs"] if index >= 0]
        if any(np.issubdtype(dtype, np.floating) for dtype in dtypes):
            names.add(op["op_name"])
    return names


def run_tflite(tflite_model, images, num_threads=None):
    """Runs a model made by `convert_to_tflite` on a batch of images.

    Uses LiteRT's interpreter with its default (XNNPACK) CPU delegate and no
    Flex delegate, as on a phone.

    Args:
        tflite_model: the model as bytes.
        images: array `(N, H, W, C)`: float32 in [0, 1], or uint8 for a
            model converted with `io_dtype="uint8"`.
        num_threads: CPU threads for the interpreter (None: its default).

    Returns:
        array `(N, H, W, C)`: the `outputs` of `serving_default` (float32,
        or uint8 for a uint8 model).

    Raises:
        ValueError: if `images` does not match the model's input shape or
            type.
    """
    interpreter = _interpreter(tflite_model, num_threads)
    detail = interpreter.get_input_details()[0]
    if detail["dtype"] == np.uint8:
        if np.asarray(images).dtype != np.uint8:
            raise ValueError(f"This model takes uint8 images in [0, 255]. Received: dtype={np.asarray(images).dtype}")
        images = np.asarray(images)
    else:
        images = np.asarray(images, np.float32)
    expected = tuple(detail["shape_signature"][1:])
    if images.ndim != 4 or images.shape[1:] != expected:
        raise ValueError(
            f"`images` must have shape (N, {', '.join(map(str, expected))}). Received: shape={images.shape}"
        )
    runner = interpreter.get_signature_runner(SERVING_DEFAULT)
    return runner(**{INPUT_NAME: images})[OUTPUT_NAME]
