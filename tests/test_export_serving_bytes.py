"""TF Serving with image bytes (#17 item 3): the `serving_bytes` signature of
the exported SavedModel, as TF Serving loads it and answers its REST and gRPC
requests (`tests/serving_contract.py`), and the README's examples as written."""

import base64
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import serving_contract
from kfreqgan.export import export_generator
from kfreqgan.export import serving
from kfreqgan.models import unet_generator
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.models.image_to_image import with_static_size

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
MAX_PIXELS = 64 * 64


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(11)
    return unet_generator((None, None, 3), filters=4, depth=2)


@pytest.fixture(scope="module")
def size_free(generator, tmp_path_factory):
    directory = tmp_path_factory.mktemp("bytes") / "any_size"
    serving.save_serving_model(generator, directory, max_pixels=MAX_PIXELS)
    return tf.saved_model.load(str(directory))


@pytest.fixture(scope="module")
def fixed(generator, tmp_path_factory):
    directory = tmp_path_factory.mktemp("bytes") / "fixed"
    serving.save_serving_model(with_static_size(generator, 24, 32), directory, max_pixels=MAX_PIXELS)
    return tf.saved_model.load(str(directory))


def _photo(height, width, seed=0, mode="RGB"):
    rng = np.random.default_rng(seed)
    coarse = rng.random((1, 4, 5, 3)).astype(np.float32)
    image = np.round(tf.image.resize(coarse, (height, width)).numpy()[0] * 255).astype(np.uint8)
    return Image.fromarray(image).convert(mode)


def _file(image, fmt):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def _expected(generator, data):
    """What serving_bytes must return for one file: the Keras outputs on its decoded RGB pixels, as uint8."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32)
    decoded_by_tf = tf.io.decode_image(data, channels=3, expand_animations=False).numpy().astype(np.float32)
    pixels = decoded_by_tf if pixels.shape == decoded_by_tf.shape else pixels  # JPEG decoders differ by a level
    return np.round(unit_range_outputs(generator, pixels[None] / 255.0).numpy()[0] * 255)


def test_signature_defs_as_tf_serving_sees_them(size_free, fixed):
    for loaded, size in ((size_free, [None, None]), (fixed, [24, 32])):
        assert set(loaded.signatures) == {"serving_default", "serving_uint8", "serving_bytes"}
        specs = serving.signature_specs(loaded)
        inputs, outputs = specs["serving_bytes"]
        assert list(inputs) == ["images"] and list(outputs) == ["png_bytes"]
        assert inputs["images"].dtype == tf.string and inputs["images"].shape.as_list() == [None]
        assert outputs["png_bytes"].dtype == tf.string and outputs["png_bytes"].shape.as_list() == [None]
        assert specs["serving_uint8"][0]["images"].shape.as_list() == [None, *size, 3]


def test_rest_request_as_in_the_readme(size_free, generator):
    """A JSON body built like the README's curl line, answered and decoded like it."""
    files = [_file(_photo(30, 41, 1), "JPEG"), _file(_photo(17, 23, 2), "PNG"), _file(_photo(20, 20, 3, "L"), "PNG")]
    body = json.dumps(
        {"signature_name": "serving_bytes", "instances": [{"b64": base64.b64encode(data).decode()} for data in files]}
    )
    answer = json.loads(json.dumps(serving_contract.predict_rest(size_free, body)))
    assert len(answer["predictions"]) == 3  # different sizes in one batch
    for data, prediction in zip(files, answer["predictions"]):
        png = base64.b64decode(prediction["b64"])
        assert png.startswith(b"\x89PNG")
        out = np.asarray(Image.open(io.BytesIO(png)))
        expected = _expected(generator, data)
        assert out.shape == expected.shape  # grey comes back as RGB: the model's 3 channels
        assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1


def test_grpc_request(size_free, generator):
    from tensorflow_serving.apis import predict_pb2

    data = _file(_photo(33, 19, 4), "PNG")
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "dehazer"
    request.model_spec.signature_name = "serving_bytes"
    request.inputs["images"].CopyFrom(tf.make_tensor_proto([data]))
    response = serving_contract.predict_grpc(size_free, request, model_version=1)
    out = np.asarray(Image.open(io.BytesIO(response.outputs["png_bytes"].string_val[0])))
    assert np.abs(out.astype(int) - _expected(generator, data).astype(int)).max() <= 1


@pytest.mark.parametrize(
    "files, message",
    [
        ([b"not an image at all"], "must be a JPEG or PNG file"),
        ([b""], "must be a JPEG or PNG file"),
        ([b"GIF89a" + bytes(40)], "must be a JPEG or PNG file"),
        ([], "must hold at least one image"),
        (["big.png"], f"an image may have at most {MAX_PIXELS} pixels"),
        (["big.jpg"], f"an image may have at most {MAX_PIXELS} pixels"),
    ],
)
def test_bad_requests_are_invalid_argument(size_free, files, message):
    big = {"big.png": _file(_photo(65, 64), "PNG"), "big.jpg": _file(_photo(64, 65), "JPEG")}
    files = [big.get(item, item) for item in files]
    body = {"signature_name": "serving_bytes", "inputs": [{"b64": base64.b64encode(data).decode()} for data in files]}
    with pytest.raises(serving_contract.InvalidArgument, match=re.escape(message)):
        serving_contract.predict_rest(size_free, body)


def test_a_too_large_image_is_refused_from_its_header(size_free):
    """A PNG that claims 100000 x 100000 pixels (10 GB decoded) but holds none: refused at once, not decoded."""
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (100000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at most 4096 pixels.*\[100000 100000\]"):
        size_free.signatures["serving_bytes"](images=tf.constant([header + bytes(8)]))


def test_a_fixed_size_model_names_its_size(fixed, generator):
    ok = _file(_photo(24, 32), "PNG")
    out = fixed.signatures["serving_bytes"](images=tf.constant([ok, ok]))["png_bytes"].numpy()
    assert len(out) == 2
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"this model takes 24x32 images"):
        fixed.signatures["serving_bytes"](images=tf.constant([_file(_photo(32, 24), "PNG")]))


def test_export_generator_checks_and_documents_serving_bytes(generator, tmp_path):
    summary = export_generator(generator, tmp_path / "out", name="g", formats="saved_model")
    manifest = summary["saved_model"]
    assert manifest["signatures"]["serving_bytes"]["outputs"][0]["name"] == "png_bytes"
    assert manifest["agreement_with_keras"]["serving_bytes"]["max_abs_difference"] <= 1


def _readme_block(marker):
    text = README.read_text()
    # The gRPC client is fenced `py`, so that test_readme (which runs every
    # `python` block in one namespace, with no server) leaves it to this file.
    blocks = re.findall(r"```(?:sh|python|py)\n(.*?)```", text, re.S)
    (block,) = [block for block in blocks if marker in block]
    return block


@pytest.mark.slow
def test_the_readme_examples_run_as_written(generator, tmp_path):
    """The README's curl line and gRPC client, with the server replaced by the contract helper."""
    model_dir = tmp_path / "serving" / "dehazer" / "1"
    serving.save_serving_model(generator, model_dir)
    hazy = _file(_photo(40, 52, 5), "JPEG")
    (tmp_path / "hazy.jpg").write_bytes(hazy)
    expected = _expected(generator, hazy)
    tests = str(pathlib.Path(__file__).resolve().parent)

    # curl: a shell function stands in for curl and the server behind it.
    fake_curl = tmp_path / "fake_curl.py"
    fake_curl.write_text(
        textwrap.dedent(
            f"""
            import json, sys
            sys.path.insert(0, {tests!r})
            import tensorflow as tf
            import serving_contract
            args = sys.argv[1:]
            assert args[args.index("-s") + 1].startswith("localhost:8501/v1/models/dehazer:predict"), args
            body = args[args.index("-d") + 1]
            print(json.dumps(serving_contract.predict_rest(tf.saved_model.load({str(model_dir)!r}), body)))
            """
        )
    )
    block = _readme_block("base64 -w0 hazy.jpg")
    curl = block[block.index("curl -s") :]
    script = f'curl() {{ "{sys.executable}" "{fake_curl}" "$@"; }}\nset -o pipefail\n{curl}'
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    out = np.asarray(Image.open(tmp_path / "dehazed.png"))
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1
    os.remove(tmp_path / "dehazed.png")

    # gRPC: the stub's Predict answers through the contract helper.
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    loaded = tf.saved_model.load(str(model_dir))

    class Stub:
        def __init__(self, channel):
            pass

        def Predict(self, request, timeout=None):
            assert request.model_spec.name == "dehazer"
            return serving_contract.predict_grpc(loaded, request, model_version=1)

    code = _readme_block("PredictRequest()")
    original = prediction_service_pb2_grpc.PredictionServiceStub
    cwd = os.getcwd()
    try:
        prediction_service_pb2_grpc.PredictionServiceStub = Stub
        os.chdir(tmp_path)
        exec(compile(code, "README.md", "exec"), {})
    finally:
        prediction_service_pb2_grpc.PredictionServiceStub = original
        os.chdir(cwd)
    out = np.asarray(Image.open(tmp_path / "dehazed.png"))
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1
