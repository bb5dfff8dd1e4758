"""TF Serving's Predict contract, in Python: requests to tensors and back (a test helper, not shipped).

`tensorflow_model_server` cannot be installed everywhere (not with pip),
but what it does with a Predict call is small and documented, so the
exported SavedModels can be tested against it without the server:

- REST (`POST /v1/models/<name>[/versions/<v>]:predict`), JSON body as in
  TF Serving's `json_tensor.cc`:

  - `"signature_name"`: optional, default `"serving_default"`;
  - row format, `"instances": [...]`: one element per example, each the
    value of the single input or an object `{input_name: value}`; the
    elements are stacked along a new batch dimension and must all have the
    same shape. The answer is `{"predictions": [...]}` (one element per
    example; objects if the signature has several outputs);
  - columnar format, `"inputs": value` (single input) or
    `"inputs": {input_name: value}`; the value includes the batch
    dimension. The answer is `{"outputs": value}` (or an object).

  A string input (the `serving_bytes` signature's JPEG or PNG files) takes
  `{"b64": "<base64>"}` leaves, which the server decodes to bytes, or plain
  JSON strings (their UTF-8 bytes). An output whose name ends in `_bytes`
  comes back as `{"b64": "<base64>"}` (other string outputs as text).

  A value is a nested list of numbers, all leaves at the same depth and
  every list of one level the same length. float inputs take any JSON
  number that converts to float32 without loss; integer inputs (uint8)
  take JSON integers only. Unlike the server, which wraps out-of-range
  integers silently, `json_to_tensors` rejects a uint8 value outside
  [0, 255].

- gRPC (`PredictionService/Predict`), a `tensorflow_serving.apis.
  predict_pb2.PredictRequest`: `model_spec.signature_name` (default
  `"serving_default"`), `inputs` (a map of input name to `TensorProto`,
  made with `tf.make_tensor_proto`; exactly the signature's inputs), and
  an optional `output_filter`. The answer is a `PredictResponse` with
  `outputs` (name to `TensorProto`, read with `tf.make_ndarray`) and
  `model_spec` (name, version, signature name).

Requests the server would refuse with `INVALID_ARGUMENT` (gRPC) or HTTP 400
(REST, `{"error": message}`) raise `InvalidArgument` here, with the
server's wording where it has one. Errors raised by the graph itself (the
`EnsureShape` check of a wrong image shape, see `kfreqgan.export.serving`)
are raised as `InvalidArgument` too.
"""

import base64
import binascii
import json

import numpy as np
import tensorflow as tf

from kfreqgan.models.loading import SERVING_DEFAULT

DEFAULT_SIGNATURE = SERVING_DEFAULT


class InvalidArgument(ValueError):
    """A request that TF Serving answers with INVALID_ARGUMENT / HTTP 400."""


def _signature(loaded, name):
    name = name or DEFAULT_SIGNATURE
    if name not in loaded.signatures:
        raise InvalidArgument(f'Serving signature name: "{name}" not found in signature def')
    return name, loaded.signatures[name]


def _input_specs(signature):
    return dict(sorted(signature.structured_input_signature[1].items()))


def _json_text(value):
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _dense_shape(value):
    """Shape read off the first element of each level, as TF Serving does."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _string_leaf(value):
    """A string input's JSON leaf as bytes (`{"b64": ...}` decoded, or a string's UTF-8)."""
    if isinstance(value, dict) and set(value) == {"b64"} and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgument(f"Unable to base64 decode: {_json_text(value['b64'])}") from None
    if isinstance(value, str):
        return value.encode("utf-8")
    raise InvalidArgument(f"JSON Value: {_json_text(value)} Type: {_json_type(value)} is not of expected type: string")


def _check_leaf(value, dtype):
    if dtype == tf.string:
        _string_leaf(value)
    elif dtype.is_floating:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidArgument(f"JSON Value: {_json_text(value)} Type: {_json_type(value)} is not of expected type: {dtype.name}")
        # Lossless conversion: integers up to 2^24 - 1 (float32), decimals within range.
        limit = 2 ** (np.finfo(dtype.as_numpy_dtype).nmant + 1) - 1
        if (isinstance(value, int) and abs(value) > limit) or (
            isinstance(value, float) and np.isfinite(value) and abs(value) > np.finfo(dtype.as_numpy_dtype).max
        ):
            raise InvalidArgument(f"Cannot convert JSON value: {value} to {dtype.name} without loss of precision.")
    elif dtype.is_integer:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"JSON Value: {_json_text(value)} Type: {_json_type(value)} is not of expected type: {dtype.name}")
        if not dtype.min <= value <= dtype.max:
            raise InvalidArgument(f"JSON Value: {value} is out of range for {dtype.name} [{dtype.min}, {dtype.max}].")
    else:
        raise InvalidArgument(f"Conversion of JSON values to {dtype.name} is not supported here.")


def _json_type(value):
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"


def _fill(value, level, shape, dtype):
    if not isinstance(value, list):
        if level != len(shape):
            raise InvalidArgument(
                f"JSON Value: {_json_text(value)} found at incorrect level: {level + 1} in the JSON DOM. "
                f"Expected at level: {len(shape)}"
            )
        _check_leaf(value, dtype)
        return
    if level >= len(shape):
        raise InvalidArgument(f"Encountered list at unexpected level: {level} expected < {len(shape)}")
    if len(value) != shape[level]:
        raise InvalidArgument(f"Encountered list at unexpected size: {len(value)} at level: {level} expected size: {shape[level]}")
    for item in value:
        _fill(item, level + 1, shape, dtype)


def json_value_to_array(value, dtype):
    """Converts one JSON value (nested lists of numbers) to a NumPy array.

    Args:
        value: the parsed JSON value.
        dtype: the `tf.DType` of the signature input.

    Returns:
        A NumPy array of `dtype`.

    Raises:
        InvalidArgument: for ragged lists, non-numeric leaves, lossy or
            out-of-range numbers.
    """
    dtype = tf.as_dtype(dtype)
    shape = _dense_shape(value)
    _fill(value, 0, shape, dtype)
    if dtype == tf.string:
        leaves = []

        def collect(item):
            if isinstance(item, list):
                for element in item:
                    collect(element)
            else:
                leaves.append(_string_leaf(item))

        collect(value)
        array = np.empty(len(leaves), dtype=object)
        array[:] = leaves
        return array.reshape(shape)
    return np.asarray(value, dtype=dtype.as_numpy_dtype).reshape(shape)


def _is_named_object(value):
    return isinstance(value, dict) and not (len(value) == 1 and "b64" in value)


def json_to_tensors(body, signature):
    """Converts a REST Predict body to the signature's input tensors.

    Args:
        body: the request body: JSON text (str or bytes) or the parsed dict.
        signature: the concrete function of the chosen signature (from
            `loaded.signatures[name]`), which gives input names and dtypes.

    Returns:
        `(tensors, request_format)`: a dict of input name to `tf.Tensor`,
        and `"row"` or `"columnar"` (which decides the answer's layout).

    Raises:
        InvalidArgument: for a body TF Serving would reject.
    """
    body = _parse_body(body)
    specs = _input_specs(signature)
    has_instances, has_inputs = "instances" in body, "inputs" in body
    if has_instances and has_inputs:
        raise InvalidArgument("Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist")
    if has_instances:
        return _from_instances(body["instances"], specs), "row"
    if has_inputs:
        return _from_inputs(body["inputs"], specs), "columnar"
    raise InvalidArgument("Missing 'inputs' or 'instances' key")


def _parse_body(body):
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as error:
            raise InvalidArgument(f"JSON Parse error: {error.msg} at offset: {error.pos}") from None
    if not isinstance(body, dict):
        raise InvalidArgument(f"JSON Value: {_json_text(body)} Is not object")
    if "signature_name" in body and not isinstance(body["signature_name"], str):
        raise InvalidArgument("'signature_name' key must be a string value.")
    return body


def _from_instances(instances, specs):
    if not isinstance(instances, list):
        raise InvalidArgument("Excepting 'instances' to be an list/array")
    if not instances:
        raise InvalidArgument("No values in 'instances' array")
    objects = _is_named_object(instances[0])
    if not objects and len(specs) > 1:
        raise InvalidArgument(
            "instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map"
        )
    columns = {name: [] for name in specs}
    for index, element in enumerate(instances):
        if objects:
            if not _is_named_object(element):
                raise InvalidArgument(f"Expecting object but got list at item {index} of input list")
            if set(element) != set(specs):
                raise InvalidArgument(
                    f"Failed to process element: {index} of 'instances' list. JSON object: keys must be equal to: "
                    f"{','.join(sorted(specs))}"
                )
            items = element.items()
        else:
            if _is_named_object(element):
                raise InvalidArgument(f"Expecting value/list but got object at item {index} of input list")
            items = [(next(iter(specs)), element)]
        for name, value in items:
            try:
                array = json_value_to_array(value, specs[name].dtype)
            except InvalidArgument as error:
                raise InvalidArgument(f"Failed to process element: {index} of 'instances' list. Error: {error}") from None
            if columns[name] and columns[name][0].size != array.size:
                raise InvalidArgument(f"Expecting tensor size: {columns[name][0].size} but got: {array.size}")
            if columns[name] and columns[name][0].shape != array.shape:
                raise InvalidArgument(f"Expecting shape {list(columns[name][0].shape)} but got: {list(array.shape)}")
            columns[name].append(array)
    return {name: tf.constant(np.stack(arrays)) for name, arrays in columns.items()}


def _from_inputs(inputs, specs):
    if _is_named_object(inputs):
        missing = [name for name in specs if name not in inputs]
        if missing:
            raise InvalidArgument(f"Missing named input: {missing[0]} in 'inputs' object.")
        values = {name: inputs[name] for name in specs}
    else:
        if len(specs) > 1:
            raise InvalidArgument(
                "inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map"
            )
        values = {next(iter(specs)): inputs}
    return {name: tf.constant(json_value_to_array(value, specs[name].dtype)) for name, value in values.items()}


def tensors_to_json(outputs, request_format):
    """Formats output tensors as TF Serving's REST answer.

    Args:
        outputs: dict of output name to tensor or array (batch first).
        request_format: `"row"` or `"columnar"`, from `json_to_tensors`.

    Returns:
        `{"predictions": [...]}` (row) or `{"outputs": ...}` (columnar), a
        JSON-serialisable dict.

    Raises:
        InvalidArgument: for row format with outputs of different batch sizes.
    """
    arrays = {name: _json_ready(name, np.asarray(value)) for name, value in sorted(outputs.items())}
    if request_format == "columnar":
        if len(arrays) == 1:
            return {"outputs": next(iter(arrays.values())).tolist()}
        return {"outputs": {name: array.tolist() for name, array in arrays.items()}}
    if request_format != "row":
        raise ValueError(f"`request_format` must be 'row' or 'columnar'. Received: request_format={request_format!r}")
    sizes = {name: array.shape[0] for name, array in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise InvalidArgument(f"Tensors have inconsistent batch sizes: {sizes}")
    if len(arrays) == 1:
        return {"predictions": next(iter(arrays.values())).tolist()}
    batch = next(iter(sizes.values()))
    return {"predictions": [{name: array[i].tolist() for name, array in arrays.items()} for i in range(batch)]}


def _json_ready(name, array):
    """Strings as JSON: base64 objects for an output named `*_bytes` (as TF Serving), else text."""
    if array.dtype != object:
        return array
    if name.endswith("_bytes"):
        encode = lambda item: {"b64": base64.b64encode(item).decode("ascii")}  # noqa: E731
    else:
        encode = lambda item: item.decode("utf-8")  # noqa: E731
    result = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        result[index] = encode(array[index])
    return result


def _run(signature, tensors):
    specs = _input_specs(signature)
    for name, tensor in tensors.items():
        if tensor.dtype != specs[name].dtype:
            raise InvalidArgument(
                f"Input '{name}' must be {specs[name].dtype.name}. Received: dtype={tensor.dtype.name}"
            )
    try:
        return signature(**tensors)
    except tf.errors.InvalidArgumentError as error:
        lines = [line.strip() for line in error.message.splitlines() if line.strip()]
        detail = next((line for line in lines if "assertion failed" in line or "Shape of tensor" in line or "expected" in line), lines[-1])
        raise InvalidArgument(detail) from None


def predict_rest(loaded, body):
    """Answers a REST Predict call the way TF Serving does.

    Args:
        loaded: the SavedModel, from `tf.saved_model.load`.
        body: the JSON body (text, bytes or parsed dict).

    Returns:
        The JSON answer as a dict (`{"predictions": ...}` or `{"outputs": ...}`).

    Raises:
        InvalidArgument: where TF Serving answers HTTP 400 `{"error": ...}`.
    """
    body = _parse_body(body)
    _, signature = _signature(loaded, body.get("signature_name"))
    tensors, request_format = json_to_tensors(body, signature)
    return tensors_to_json(_run(signature, tensors), request_format)


def request_to_tensors(request, signature):
    """Converts a gRPC `PredictRequest`'s inputs to the signature's tensors.

    Args:
        request: a `predict_pb2.PredictRequest`.
        signature: the concrete function of the chosen signature.

    Returns:
        A dict of input name to `tf.Tensor` (via `tf.make_ndarray`).

    Raises:
        InvalidArgument: if the inputs are not exactly the signature's, or a
            `TensorProto` does not parse.
    """
    specs = _input_specs(signature)
    sent, expected = set(request.inputs), set(specs)
    if sent != expected:
        raise InvalidArgument(
            f"input size does not match signature: {len(sent)}!={len(expected)} len({{{','.join(sorted(sent))}}}) != "
            f"len({{{','.join(sorted(expected))}}}). Sent extra: {{{','.join(sorted(sent - expected))}}}. "
            f"Missing but required: {{{','.join(sorted(expected - sent))}}}."
        )
    tensors = {}
    for name in sorted(sent):
        try:
            tensors[name] = tf.constant(tf.make_ndarray(request.inputs[name]))
        except Exception as error:  # malformed TensorProto
            raise InvalidArgument(f"tensor parsing error: {name} ({error})") from None
    return tensors


def predict_grpc(loaded, request, model_version=None):
    """Answers a gRPC Predict call the way TF Serving does.

    Args:
        loaded: the SavedModel, from `tf.saved_model.load`.
        request: a `predict_pb2.PredictRequest`.
        model_version: the version number to report in the answer's
            `model_spec` (the server reports the version it ran).

    Returns:
        A `predict_pb2.PredictResponse`.

    Raises:
        InvalidArgument: where TF Serving answers INVALID_ARGUMENT.
    """
    from tensorflow_serving.apis import predict_pb2

    name, signature = _signature(loaded, request.model_spec.signature_name)
    outputs = _run(signature, request_to_tensors(request, signature))
    wanted = list(request.output_filter) or sorted(outputs)
    unknown = [alias for alias in wanted if alias not in outputs]
    if unknown:
        raise InvalidArgument(
            f"output tensor alias not found in signature: {unknown[0]} Outputs expected to be in the set {{{','.join(sorted(outputs))}}}."
        )
    response = predict_pb2.PredictResponse()
    response.model_spec.name = request.model_spec.name
    response.model_spec.signature_name = name
    if model_version is not None:
        response.model_spec.version.value = int(model_version)
    for alias in wanted:
        response.outputs[alias].CopyFrom(tf.make_tensor_proto(outputs[alias].numpy()))
    return response
