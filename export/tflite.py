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
until the interpreter resizes the input.

Size: a model with a fixed input size converts at that size. A whole-image
dehazer built without one (`kfreqgan.dehazing.is_whole_image_model`: its
learned part sees the photo resized to a fixed size, full resolution only
through resizing, box filters and arithmetic; the shipped dehazer,
`kfreqgan.models.coherent_dehazer`) converts at any size, every variant:
the input's `shape_signature` is `(-1, -1, -1, C)` and the interpreter
resizes the input to each photo (`interpreter.resize_tensor_input`, then
`allocate_tensors`), so a phone runs it on the whole photo, untiled, as the
Keras model runs (`kfreqgan.models.loading.TFLiteGenerator` and
`kfreqgan.dehazing.Dehazer` do). Other models without a fixed size (a
U-Net, whose FFT band filters need a static size and which `Dehazer` tiles
to bound its memory) are refused: fix a size first
(`kfreqgan.models.image_to_image.with_static_size`, `kfreqgan-export
--image-size HxW`). The int8 variant of an any-size model is calibrated on
images of one size (`representative_images` is one array); its activation
ranges hold at other sizes, as the learned part sees every photo at its
fixed size. With `io_dtype="float32"` (the
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

from kfreqgan._native_output import native_output_quiet
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import check_unit_range
from kfreqgan.models.loading import INPUT_NAME
from kfreqgan.models.loading import OUTPUT_NAME
from kfreqgan.models.loading import set_tflite_input
from kfreqgan.models.loading import shapes_fit
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


def _shape_text(expected):
    return ", ".join("any" if size is None or size < 0 else str(size) for size in expected)


def check_tflite_input_shape(model):
    """Checks that `model`'s input shape converts to TFLite; returns it.

    A fixed `(height, width, channels)`, or any height and width for a
    whole-image model (`kfreqgan.dehazing.is_whole_image_model`), see the
    module docstring.

    Raises:
        ValueError: for an unknown channel count, or a model without a fixed
            size that is not a whole-image model (the message says to fix one).
    """
    from kfreqgan.dehazing import is_whole_image_model

    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[3] is None:
        raise ValueError(f"TFLite export takes (batch, height, width, channels) images with a known channel count. Received: input_shape={shape}")
    if None in shape[1:3] and not is_whole_image_model(model):
        # A U-Net's FFTBandFilter (matmul DFT) needs a static size, and
        # Dehazer tiles a U-Net to bound its memory: a size-free TFLite
        # U-Net would be run untiled on every photo.
        raise ValueError(
            "TFLite export needs a fixed input height and width, except for a whole-image dehazer "
            "(kfreqgan.dehazing.is_whole_image_model, e.g. coherent_dehazer), which converts at any size; "
            "this model is not one (a U-Net's FFT band filters need a static size): fix a size with "
            "kfreqgan-export --image-size HxW (image_size= in export_generator, or "
            f"kfreqgan.models.image_to_image.with_static_size). Received: input_shape={shape}"
        )
    return shape[1:]


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
    if images.ndim != 4 or not shapes_fit(images.shape[1:], expected) or len(images) == 0:
        raise ValueError(
            f"`representative_images` must have shape (N, {_shape_text(expected)}) with N >= 1. "
            f"Received: shape={images.shape}"
        )
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            "`representative_images` must be finite floating-point images in [0, 1]. "
            f"Received: dtype={images.dtype}"
        )
    check_unit_range(images, "representative_images")  # images in [0, 255] calibrated ranges 255 times too wide
    return images.astype(np.float32)


def convert_to_tflite(model, variant="float32", representative_images=None, io_dtype="float32", float_nodes=()):
    """Converts a Keras model to a builtin-only TFLite flatbuffer.

    Args:
        model: a built `keras.Model` with one input and one output, whose
            input has a static shape apart from the batch size, or any
            height and width for a whole-image dehazer (see the module
            docstring: the `.tflite` model then takes any size).
            `FFTBandFilter` layers are switched to their matmul
            implementation (see `export_safe_clone`).
        variant: one of `VARIANTS` (see the module docstring).
        representative_images: for `variant="int8"` only: float32 images
            `(N, H, W, C)` of the kind the model will see (a few dozen to a
            few hundred), fed one by one to calibrate the activation ranges
            (of the model's size, or of any one size for an any-size model).
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
            with several inputs or outputs, a model without a fixed size
            that is not a whole-image dehazer (see `check_tflite_input_shape`),
            or a model that needs an op that is not a TFLite builtin.
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
    check_tflite_input_shape(model)
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
            with warnings.catch_warnings(), native_output_quiet():
                # "Statistics for quantized inputs were expected": the float
                # input is quantized by the model's own QUANTIZE op.
                warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
                # The quantization debugger runs tf.lite.Interpreter, which
                # warns that it is deprecated on every use.
                warnings.filterwarnings("ignore", message=r"(?s).*tf\.lite\.Interpreter is deprecated")
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
    check_unit_range(np.asarray(images))
    for image in np.asarray(images, np.float32):
        for interpreter in runs.values():
            set_tflite_input(interpreter, image[None])
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

def quantized_op_outputs(int8_model):
    """Output tensors of the quantized ops of an int8 model, in execution order.

    These are the names `convert_to_tflite(float_nodes=...)` takes: the
    tensors of the ops that compute in int8 (not QUANTIZE / DEQUANTIZE).

    Args:
        int8_model: `.tflite` bytes of a full-integer model.

    Returns:
        A list of tensor names, first op first.
    """
    interpreter = _interpreter(int8_model)
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    names = []
    for op in interpreter._get_ops_details():
        if op["op_name"] in _BOUNDARY_OPS:
            continue
        for index in op["outputs"]:
            detail = tensors.get(int(index))
            if detail is not None and detail["dtype"] == np.int8 and detail["name"] not in names:
                names.append(detail["name"])
    return names


def pooled_psnr(reference, outputs):
    """PSNR (dB, peak 1) of `outputs` against `reference` over the whole set.

    One mean squared error over every pixel of every image (not a mean of
    per-image PSNRs, `kfreqgan.metrics.psnr`): how far a converted model is
    from the model it was converted from. Identical outputs give `inf`.
    """
    mse = float(np.mean((np.asarray(outputs, np.float64) - np.asarray(reference, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


def selective_int8(model, representative_images, selection_images, selection_reference, min_psnr, max_conversions=8):
    """The int8 model, with as few leading ops kept in float as it takes to hold `min_psnr`.

    Full-integer quantization adds rounding noise at every op, and a model
    whose output divides by a small predicted quantity (a dehazer's
    `J = (I - A (1 - t)) / t` amplifies an error in `t` by `1 / t`) can
    lose more than `min_psnr` allows even with ideal calibration. Keeping
    ops in float (builtin float kernels between DEQUANTIZE and QUANTIZE, no
    Flex) removes their noise; the noise of an early op travels through
    everything after it, so the ops kept are a prefix in execution order.
    The prefix is found by bisection (the error falls, not always strictly,
    as the prefix grows), to within 1/16 of the ops: a short one whose model
    is within `min_psnr` dB of `selection_reference` on `selection_images`.

    Measured on the shipped dehazer at 256x256 (`bench/int8_study.py`):
    full-integer 23 dB from float on dense synthetic haze, all 115 ops in
    float 59 dB, the encoder's ops in float 31 dB.

    Args:
        model: a single-input, single-output Keras model with a static size.
        representative_images: calibration images (see `convert_to_tflite`).
        selection_images: float32 images `(N, H, W, C)` the choice is made
            on (not the images a final check reports on).
        selection_reference: the float model's outputs on them.
        min_psnr: the PSNR (dB, peak 1) to hold, or None for plain int8.
        max_conversions: bisection steps at most (each is one conversion).

    Returns:
        `(model_bytes, info)`: `info` has `float_ops` (how many leading ops
        are kept in float), `quantized_ops` (of how many), `psnr_db` on the
        selection images and `tried` (`[prefix, psnr_db]` pairs). When even
        all ops in float do not reach `min_psnr`, the best model tried is
        returned; the caller's check refuses it.
    """
    if min_psnr is not None:
        min_psnr = check_at_least(min_psnr, "min_psnr")  # NaN kept every op in float
    max_conversions = check_positive_int(max_conversions, "max_conversions")
    selection_images = np.asarray(selection_images, np.float32)
    if np.shape(selection_reference) != selection_images.shape:
        # A reference of one image was broadcast against two.
        raise ValueError(
            "`selection_reference` must be the model's outputs on `selection_images`, of their shape. Received: "
            f"selection_images.shape={selection_images.shape}, selection_reference.shape={np.shape(selection_reference)}"
        )
    plain = convert_to_tflite(model, "int8", representative_images)
    plain_psnr = pooled_psnr(selection_reference, run_tflite(plain, selection_images))
    names = quantized_op_outputs(plain)
    info = {"float_ops": 0, "quantized_ops": len(names), "psnr_db": plain_psnr, "tried": [[0, plain_psnr]]}
    if min_psnr is None or plain_psnr >= min_psnr or not names:
        return plain, info
    best = (plain_psnr, 0, plain)

    def attempt(prefix):
        nonlocal best
        model_bytes = convert_to_tflite(model, "int8", representative_images, float_nodes=names[:prefix])
        psnr = pooled_psnr(selection_reference, run_tflite(model_bytes, selection_images))
        info["tried"].append([prefix, psnr])
        if psnr > best[0]:
            best = (psnr, prefix, model_bytes)
        return psnr, model_bytes

    low, high = 0, len(names)
    psnr, high_bytes = attempt(high)
    if psnr < min_psnr:
        info.update(float_ops=best[1], psnr_db=best[0])
        return best[2], info
    high_psnr = psnr
    # To within 1/16 of the ops: a few more ops in float than the minimum
    # cost little, each conversion costs seconds.
    tolerance = max(1, len(names) // 16)
    for _ in range(max(0, max_conversions - 1)):
        if high - low <= tolerance:
            break
        middle = (low + high) // 2
        psnr, model_bytes = attempt(middle)
        if psnr >= min_psnr:
            high, high_psnr, high_bytes = middle, psnr, model_bytes
        else:
            low = middle
    info.update(float_ops=high, psnr_db=high_psnr)
    return high_bytes, info


@contextlib.contextmanager
def tflite_converter(model, variant, images, io_dtype):
    """The configured `tf.lite.TFLiteConverter` for `model`, as a context manager.

    Yields `(converter, representative_dataset)`, valid inside the `with`
    block (the converter reads a temporary SavedModel): what
    `convert_to_tflite` converts, for callers that change a setting before
    `converter.convert()` (e.g. int16 activations in `bench/int8_study.py`).

    Args:
        model: the Keras generator (fixed input size, or any size for a
            whole-image dehazer: see `check_tflite_input_shape`).
        variant: one of `VARIANTS`.
        images: float32 calibration images in [0, 1] for `"int8"`, else None.
        io_dtype: `"float32"` or `"uint8"` input and output tensors.
    """
    import keras
    import tensorflow as tf

    shape = (None,) + check_tflite_input_shape(model)
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
    if not isinstance(model_bytes, (bytes, bytearray)):
        # A path reached LiteRT's binding as a TypeError.
        raise ValueError(
            "`tflite_model` must be the model's bytes (to run a .tflite file, use "
            f"kfreqgan.models.loading.TFLiteGenerator). Received: {type(model_bytes).__name__}"
        )
    # LiteRT refused np.int64(2) ("type of num_threads should be int") and took True as 1.
    num_threads = check_positive_int(num_threads, "num_threads", allow_none=True)
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
            model converted with `io_dtype="uint8"`; of the model's size, or
            of any size for an any-size model (the signature runner resizes
            its input).
        num_threads: CPU threads for the interpreter (None: its default).

    Returns:
        array `(N, H, W, C)`: the `outputs` of `serving_default` (float32,
        or uint8 for a uint8 model).

    Raises:
        ValueError: if `images` does not match the model's input shape or
            type, or a float model's images are not finite and in [0, 1]
            (refused, as every other entry point refuses them).
    """
    interpreter = _interpreter(tflite_model, num_threads)
    detail = interpreter.get_input_details()[0]
    if detail["dtype"] == np.uint8:
        if np.asarray(images).dtype != np.uint8:
            raise ValueError(f"This model takes uint8 images in [0, 255]. Received: dtype={np.asarray(images).dtype}")
        images = np.asarray(images)
    else:
        dtype = np.asarray(images).dtype
        if not np.issubdtype(dtype, np.floating):  # uint8 pixels became floats up to 255
            raise ValueError(f"This model takes float32 images in [0, 1] (divide uint8 pixels by 255). Received: dtype={dtype}")
        images = np.asarray(images)
    expected = tuple(int(size) for size in detail["shape_signature"][1:])  # -1: any size
    if images.ndim != 4 or not shapes_fit(images.shape[1:], expected) or not len(images):  # 0 images failed in MIRROR_PAD
        raise ValueError(f"`images` must have shape (N, {_shape_text(expected)}). Received: shape={images.shape}")
    if detail["dtype"] != np.uint8:
        check_unit_range(images)  # a float model would run on them and extrapolate, as no other entry point lets it
        images = images.astype(np.float32)
    runner = interpreter.get_signature_runner(SERVING_DEFAULT)
    with native_output_quiet():  # the XNNPACK delegate's INFO line
        return runner(**{INPUT_NAME: images})[OUTPUT_NAME]
