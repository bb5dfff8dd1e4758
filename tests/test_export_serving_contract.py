"""TF Serving's Predict contract against the exported SavedModel.

REST bodies (row and columnar JSON) and gRPC `PredictRequest`s are turned
into tensors as the server does (`tests/serving_contract.py`), run
through the signatures of the SavedModel loaded with `tf.saved_model.load`,
and must give the Keras model's outputs. The last test runs the real
`tensorflow_model_server` on loopback ports when it is on PATH.
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from kfreqgan.export import serving
from kfreqgan.models.image_to_image import unit_range_outputs
from serving_contract import InvalidArgument
from serving_contract import json_to_tensors
from serving_contract import predict_grpc
from serving_contract import predict_rest
from serving_contract import request_to_tensors


@pytest.fixture(scope="module")
def model_root(generator, tmp_path_factory):
    """`<root>/dehazer/1` and `<root>/models.config`, as kfreqgan-export writes them."""
    root = tmp_path_factory.mktemp("serving_root")
    serving.save_serving_model(generator, root / "dehazer" / "1")
    serving.update_models_config(str(root / "models.config"), "dehazer", str(root / "dehazer"))
    return root


@pytest.fixture(scope="module")
def loaded(model_root):
    return tf.saved_model.load(str(model_root / "dehazer" / "1"))


@pytest.fixture(scope="module")
def images(photos_32):
    return photos_32[:3]


@pytest.fixture(scope="module")
def expected(generator, images):
    return unit_range_outputs(generator, images).numpy()


def as_body(data):
    """JSON text, as it travels over HTTP."""
    return json.dumps(data)


def test_rest_row_format(loaded, images, expected):
    answer = predict_rest(loaded, as_body({"instances": images.tolist()}))
    assert set(answer) == {"predictions"}
    predictions = np.array(answer["predictions"], np.float32)
    assert predictions.shape == (3, 32, 32, 3)
    np.testing.assert_allclose(predictions, expected, atol=1e-6)


def test_rest_row_format_with_named_instances(loaded, images, expected):
    body = {"signature_name": "serving_default", "instances": [{"images": image.tolist()} for image in images]}
    np.testing.assert_allclose(np.array(predict_rest(loaded, as_body(body))["predictions"]), expected, atol=1e-6)


@pytest.mark.parametrize("named", [False, True])
def test_rest_columnar_format(loaded, images, expected, named):
    inputs = {"images": images.tolist()} if named else images.tolist()
    answer = predict_rest(loaded, as_body({"inputs": inputs}))
    assert set(answer) == {"outputs"}
    np.testing.assert_allclose(np.array(answer["outputs"], np.float32), expected, atol=1e-6)


def test_json_to_tensors_batches_instances_like_the_server(loaded, images):
    signature = loaded.signatures["serving_default"]
    tensors, request_format = json_to_tensors(as_body({"instances": images[:2].tolist()}), signature)
    assert request_format == "row"
    assert tensors["images"].dtype == tf.float32 and tensors["images"].shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(tensors["images"].numpy(), images[:2])  # float32 survives JSON exactly


def test_rest_uint8_signature(loaded, images, generator):
    pixels = np.round(images * 255).astype(np.uint8)
    answer = predict_rest(loaded, as_body({"signature_name": "serving_uint8", "instances": pixels.tolist()}))
    predictions = np.array(answer["predictions"])
    assert predictions.dtype.kind == "i" and predictions.min() >= 0 and predictions.max() <= 255
    reference = np.round(unit_range_outputs(generator, pixels / np.float32(255)).numpy() * 255)
    assert np.abs(predictions - reference).max() <= 1


def test_grpc_predict_request(loaded, images, expected):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "dehazer"
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(images))
    request = predict_pb2.PredictRequest.FromString(request.SerializeToString())  # over the wire
    response = predict_grpc(loaded, request, model_version=1)
    response = predict_pb2.PredictResponse.FromString(response.SerializeToString())
    assert list(response.outputs) == ["outputs"]
    np.testing.assert_allclose(tf.make_ndarray(response.outputs["outputs"]), expected, atol=1e-6)
    assert (response.model_spec.name, response.model_spec.version.value, response.model_spec.signature_name) == (
        "dehazer",
        1,
        "serving_default",
    )


def test_grpc_uint8_request(loaded, images):
    pixels = np.round(images * 255).astype(np.uint8)
    request = predict_pb2.PredictRequest()
    request.model_spec.signature_name = "serving_uint8"
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(pixels))
    request.output_filter.append("outputs")
    tensors = request_to_tensors(request, loaded.signatures["serving_uint8"])
    assert tensors["images"].dtype == tf.uint8
    outputs = tf.make_ndarray(predict_grpc(loaded, request).outputs["outputs"])
    assert outputs.dtype == np.uint8 and outputs.shape == (3, 32, 32, 3)
    direct = loaded.signatures["serving_uint8"](images=tf.constant(pixels))["outputs"].numpy()
    np.testing.assert_array_equal(outputs, direct)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"instances": [], "inputs": []}, "only one of 'inputs' or 'instances'"),
        ({"signature_name": "serving_default"}, "Missing 'inputs' or 'instances' key"),
        ({"instances": []}, "No values in 'instances' array"),
        ({"signature_name": "classify", "instances": [0.5]}, 'Serving signature name: "classify" not found'),
        ({"instances": [[[0.5, 0.5, 0.5], [0.5, 0.5]]]}, "element: 0 .* Encountered list at unexpected size: 2"),
        ({"instances": [[[0.5, 0.5, 0.5]], [[0.5, 0.5]]]}, "Expecting tensor size: 3 but got: 2"),
        ({"instances": [[[0.5, 0.5]], [[0.5], [0.5]]]}, r"Expecting shape \[1, 2\] but got: \[2, 1\]"),
        ({"instances": [[[0.5], 0.5]]}, "found at incorrect level: 2"),
        ({"instances": [[0.5, [0.5]]]}, "Encountered list at unexpected level: 1"),
        ({"instances": [[["a", "b", "c"]]]}, "Type: String is not of expected type: float"),
        ({"instances": [[[True, 0.5, 0.5]]]}, "Type: True is not of expected type: float"),
        ({"inputs": {"pixels": []}}, "Missing named input: images"),
        ({"instances": [{"images": [0.5], "extra": [1]}]}, "keys must be equal to: images"),
        ({"signature_name": "serving_uint8", "instances": [[[0.5, 1, 2]]]}, "Type: Number is not of expected type: uint8"),
        ({"signature_name": "serving_uint8", "instances": [[[300, 1, 2]]]}, "out of range for uint8"),
        ("{not json", "JSON Parse error"),
    ],
)
def test_bad_rest_bodies_are_rejected_like_the_server(loaded, body, message):
    with pytest.raises(InvalidArgument, match=message):
        predict_rest(loaded, body if isinstance(body, str) else as_body(body))


@pytest.mark.parametrize(
    "shape, signature",
    [((1, 32, 32, 4), "serving_default"), ((1, 16, 16, 3), "serving_default"), ((32, 32, 3), "serving_uint8")],
)
def test_wrong_image_shapes_are_rejected_by_the_graph(loaded, shape, signature):
    dtype = np.float32 if signature == "serving_default" else np.uint8
    body = {"signature_name": signature, "inputs": np.zeros(shape, dtype).tolist()}
    with pytest.raises(InvalidArgument, match=r"Shape of tensor images \[.*\] is not compatible with expected shape \[\?,32,32,3\]"):
        predict_rest(loaded, as_body(body))
    request = predict_pb2.PredictRequest()
    request.model_spec.signature_name = signature
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(np.zeros(shape, dtype)))
    with pytest.raises(InvalidArgument, match="is not compatible with expected shape"):
        predict_grpc(loaded, request)


def test_bad_grpc_requests_are_rejected_like_the_server(loaded, images):
    request = predict_pb2.PredictRequest()
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(images.astype(np.float64)))
    with pytest.raises(InvalidArgument, match="Input 'images' must be float32. Received: dtype=float64"):
        predict_grpc(loaded, request)
    request = predict_pb2.PredictRequest()
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(images))
    with pytest.raises(InvalidArgument, match=r"input size does not match signature: 1!=1 .*Sent extra: \{x\}. Missing but required: \{images\}"):
        predict_grpc(loaded, request)
    request = predict_pb2.PredictRequest()
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(images))
    request.output_filter.append("logits")
    with pytest.raises(InvalidArgument, match="output tensor alias not found in signature: logits"):
        predict_grpc(loaded, request)


def _free_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tensorflow_model_server") is None, reason="tensorflow_model_server is not on PATH")
def test_real_model_server_answers_rest_and_grpc(model_root, loaded, images, expected, tmp_path):
    """Serves `models.config` and calls it over REST and gRPC on 127.0.0.1.

    Clients use loopback addresses only. (The server itself listens on all
    interfaces: tensorflow_model_server has no flag to bind one address.)
    """
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    grpc_port, rest_port = _free_loopback_port(), _free_loopback_port()
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [
            "tensorflow_model_server",
            f"--port={grpc_port}",
            f"--rest_api_port={rest_port}",
            f"--model_config_file={model_root / 'models.config'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        status_url = f"http://127.0.0.1:{rest_port}/v1/models/dehazer"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(status_url, timeout=2) as reply:
                    if "AVAILABLE" in reply.read().decode():
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the model server did not load the model in 60 s"
            time.sleep(0.5)

        for body in ({"instances": images.tolist()}, {"inputs": {"images": images.tolist()}}):
            request = urllib.request.Request(
                f"http://127.0.0.1:{rest_port}/v1/models/dehazer:predict",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=60) as reply:
                answer = json.loads(reply.read())
            assert answer.keys() == predict_rest(loaded, json.dumps(body)).keys()
            values = answer.get("predictions", answer.get("outputs"))
            np.testing.assert_allclose(np.array(values, np.float32), expected, atol=1e-5)

        channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "dehazer"
        request.inputs["images"].CopyFrom(tf.make_tensor_proto(images))
        response = stub.Predict(request, timeout=60)
        np.testing.assert_allclose(tf.make_ndarray(response.outputs["outputs"]), expected, atol=1e-5)
        assert response.model_spec.version.value == 1
        request.model_spec.signature_name = "serving_uint8"
        request.inputs["images"].CopyFrom(tf.make_tensor_proto(images))  # float32 to the uint8 signature
        with pytest.raises(grpc.RpcError) as error:
            stub.Predict(request, timeout=60)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        channel.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert os.path.isdir(model_root / "dehazer" / "1")
