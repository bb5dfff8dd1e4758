"""The TF Serving SavedModel: signatures, input checks, versions, models.config,
and atomic publication of version folders."""

import os
import stat
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.export import serving
from kfreqgan.export.atomic_dirs import publish_directory
from kfreqgan.export.atomic_dirs import staged_directory
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.layers import FFTBandFilter


@pytest.fixture(scope="module")
def saved_dir(generator, tmp_path_factory):
    directory = tmp_path_factory.mktemp("serving") / "dehazer" / "1"
    serving.save_serving_model(generator, directory)
    return directory


@pytest.fixture(scope="module")
def loaded(saved_dir):
    return tf.saved_model.load(str(saved_dir))


def test_signatures_have_the_documented_names_dtypes_and_shapes(loaded):
    specs = serving.signature_specs(loaded)
    assert set(specs) == {"serving_default", "serving_uint8", "serving_bytes"}  # serving_bytes: test_export_serving_bytes
    for name, dtype in (("serving_default", tf.float32), ("serving_uint8", tf.uint8)):
        inputs, outputs = specs[name]
        assert list(inputs) == ["images"] and list(outputs) == ["outputs"]
        assert inputs["images"].dtype == dtype and outputs["outputs"].dtype == dtype
        assert inputs["images"].shape.as_list() == [None, 32, 32, 3]  # dynamic batch, static channels
        assert outputs["outputs"].shape.as_list() == [None, 32, 32, 3]


def test_batch_size_is_dynamic_and_outputs_are_clipped_keras_outputs(loaded, generator, photos_32):
    function = loaded.signatures["serving_default"]
    for batch in (1, 5):
        outputs = function(images=tf.constant(photos_32[:batch]))["outputs"].numpy()
        np.testing.assert_allclose(outputs, unit_range_outputs(generator, photos_32[:batch]).numpy(), atol=1e-6)
        assert outputs.min() >= 0.0 and outputs.max() <= 1.0


def test_uint8_signature_normalises_inside_the_graph(loaded, generator, photos_32):
    images = np.round(photos_32 * 255).astype(np.uint8)
    outputs = loaded.signatures["serving_uint8"](images=tf.constant(images))["outputs"].numpy()
    assert outputs.dtype == np.uint8
    expected = np.round(unit_range_outputs(generator, images.astype(np.float32) / 255).numpy() * 255)
    assert np.abs(outputs.astype(int) - expected).max() <= 1


@pytest.mark.parametrize("signature", ["serving_default", "serving_uint8"])
@pytest.mark.parametrize(
    "shape, message",
    [
        ((2, 32, 32, 4), r"Shape of tensor images \[2,32,32,4\] is not compatible with expected shape \[\?,32,32,3\]"),
        ((2, 32, 32, 1), r"\[2,32,32,1\] is not compatible"),
        ((32, 32, 3), r"\[32,32,3\] is not compatible"),
        ((1, 2, 32, 32, 3), r"\[1,2,32,32,3\] is not compatible"),
        ((2, 64, 64, 3), r"\[2,64,64,3\] is not compatible"),
    ],
)
def test_wrong_rank_size_or_channels_fail_clearly(loaded, signature, shape, message):
    dtype = np.float32 if signature == "serving_default" else np.uint8
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures[signature](images=tf.zeros(shape, dtype))


@pytest.mark.parametrize("signature, dtype", [("serving_default", tf.uint8), ("serving_default", tf.float64), ("serving_uint8", tf.float32)])
def test_wrong_dtype_fails_clearly(loaded, signature, dtype):
    with pytest.raises(tf.errors.InvalidArgumentError, match="was expected to be a (float|uint8) tensor but is a"):
        loaded.signatures[signature](images=tf.zeros((1, 32, 32, 3), dtype))


def test_saved_model_cli_lists_both_signatures(saved_dir):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run([cli, "show", "--dir", str(saved_dir), "--all"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout
    for name, dtype in (("serving_default", "DT_FLOAT"), ("serving_uint8", "DT_UINT8")):
        block = text.split(f"signature_def['{name}']:")[1].split("signature_def[")[0]
        assert "inputs['images'] tensor_info:" in block and "outputs['outputs'] tensor_info:" in block
        assert block.count(f"dtype: {dtype}") == 2
        assert block.count("shape: (-1, 32, 32, 3)") == 2
        assert "Method name is: tensorflow/serving/predict" in block


def test_a_model_without_fixed_size_serves_any_size(photos_64, tmp_path):
    # A size-free U-Net reflect-pads to its multiple of 4 and crops back, and
    # its bilinear upsampling works on dynamic sizes, so one SavedModel serves
    # every size and aspect ratio.
    from kfreqgan.models import unet_generator

    keras.utils.set_random_seed(2)
    model = unet_generator((None, None, 3), filters=4, depth=2)
    serving.save_serving_model(model, tmp_path / "1")
    loaded = tf.saved_model.load(str(tmp_path / "1"))
    function = loaded.signatures["serving_default"]
    assert function.structured_input_signature[1]["images"].shape.as_list() == [None, None, None, 3]
    for height, width in ((32, 32), (64, 48), (37, 53)):
        images = tf.image.resize(photos_64[:2], (height, width)).numpy()
        outputs = function(images=tf.constant(images))["outputs"].numpy()
        assert outputs.shape == images.shape
        np.testing.assert_allclose(outputs, unit_range_outputs(model, images).numpy(), atol=1e-5)
    uint8 = loaded.signatures["serving_uint8"](images=tf.zeros((1, 21, 30, 3), tf.uint8))["outputs"]
    assert uint8.dtype == tf.uint8 and uint8.shape == (1, 21, 30, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[1,64,64,1\] is not compatible with expected shape \[\?,\?,\?,3\]"):
        function(images=tf.zeros((1, 64, 64, 1)))


def test_non_image_models_are_refused():
    z = keras.Input((16,))
    with pytest.raises(ValueError, match=r"latent vectors\). Received: input_shape=\(None, 16\)"):
        serving.serving_archive(keras.Model(z, keras.layers.Dense(4)(z)))


@pytest.mark.parametrize("obstacle", ["file", "folder with a file"])
def test_save_serving_model_writes_only_into_an_empty_folder(generator, tmp_path, obstacle):
    # A file failed in TensorFlow; a SavedModel's folder got a second model's files over its own.
    target = tmp_path / "1"
    if obstacle == "file":
        target.write_text("x")
    else:
        target.mkdir()
        (target / "saved_model.pb").write_text("x")
    what = "not a folder" if obstacle == "file" else "a non-empty folder"
    with pytest.raises(ValueError, match=rf"must be an empty folder or a path that does not exist yet; it is {what}\. Received: directory='.*1'$"):
        serving.save_serving_model(generator, target)


def test_versions_are_the_integer_folders(tmp_path):
    base = tmp_path / "dehazer"
    assert serving.list_versions(base) == [] and serving.next_version(base) == 1
    for name in ("1", "10", "2", ".tmp-3-abc", "notes"):
        (base / name).mkdir(parents=True)
    (base / "7").write_text("a file, not a version")
    assert serving.list_versions(base) == [1, 2, 10]
    assert serving.next_version(base) == 11
    # What TF Serving reads as a version: ASCII digits within int64 ("²".isdigit() is true, int("²") fails).
    for name in ("\u00b2", "\u0663", str(2**63), "99999999999999999999", str(2**63 - 1)):
        (base / name).mkdir()
    assert serving.list_versions(base) == [1, 2, 10, serving.MAX_VERSION] and serving.MAX_VERSION == 2**63 - 1


@pytest.mark.parametrize("name", ["", "-x", ".hidden", "a/b", "a b", "ü", None])
def test_bad_model_names_are_refused(name):
    with pytest.raises(ValueError, match="model name"):
        serving.check_model_name(name)


def test_models_config_takes_a_pathlib_base_path(tmp_path):
    # protobuf raised TypeError ("bad argument type for built-in operation").
    import pathlib

    text = serving.update_models_config(tmp_path / "models.config", "m", pathlib.Path("/models/m"))
    assert 'base_path: "/models/m"' in text
    with pytest.raises(ValueError, match=r"`base_path` must be a folder path\. Received: base_path=None"):
        serving.update_models_config(tmp_path / "models.config", "m", None)


def test_models_config_is_a_valid_text_proto_and_keeps_other_models(tmp_path):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    path = tmp_path / "models.config"
    serving.update_models_config(str(path), "dehazer", "/models/dehazer")
    serving.update_models_config(str(path), "other", "/models/other")
    serving.update_models_config(str(path), "dehazer", "/srv/dehazer")  # updated in place
    config = text_format.Parse(path.read_text(), model_server_config_pb2.ModelServerConfig())
    entries = [(entry.name, entry.base_path, entry.model_platform) for entry in config.model_config_list.config]
    assert entries == [("dehazer", "/srv/dehazer", "tensorflow"), ("other", "/models/other", "tensorflow")]


def test_a_broken_models_config_is_not_overwritten(tmp_path):
    path = tmp_path / "models.config"
    path.write_text("this is { not a config")
    with pytest.raises(ValueError, match="is not a TF Serving model config file"):
        serving.update_models_config(str(path), "dehazer", "/models/dehazer")
    assert path.read_text() == "this is { not a config"


def test_publish_directory_moves_a_complete_folder_into_place(tmp_path):
    target = tmp_path / "dehazer" / "1"

    def build(directory):
        assert os.path.basename(directory).startswith(".tmp-1-")  # not an integer: TF Serving ignores it
        with open(os.path.join(directory, "saved_model.pb"), "w") as handle:
            handle.write("v1")

    publish_directory(target, build)
    assert (target / "saved_model.pb").read_text() == "v1"
    assert os.listdir(tmp_path / "dehazer") == ["1"]
    mode = stat.S_IMODE(os.stat(target).st_mode)
    assert mode & 0o055 == 0o055 & ~_umask()  # readable by the server's user, not 0700


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_an_interrupted_build_publishes_nothing(tmp_path):
    target = tmp_path / "dehazer" / "1"

    def build(directory):
        with open(os.path.join(directory, "saved_model.pb"), "w") as handle:
            handle.write("half")
        raise KeyboardInterrupt  # e.g. Ctrl-C halfway through writing

    with pytest.raises(KeyboardInterrupt):
        publish_directory(target, build)
    assert not target.exists()
    assert os.listdir(tmp_path / "dehazer") == []  # no temporary folder left either


def test_an_existing_version_needs_overwrite(tmp_path):
    target = tmp_path / "dehazer" / "1"
    publish_directory(target, lambda d: open(os.path.join(d, "old"), "w").close())
    calls = []
    with pytest.raises(FileExistsError, match="already exists; pass --overwrite"):
        publish_directory(target, calls.append)
    assert calls == []  # refused before any work
    assert os.listdir(target) == ["old"]
    publish_directory(target, lambda d: open(os.path.join(d, "new"), "w").close(), overwrite=True)
    assert os.listdir(target) == ["new"]
    assert os.listdir(tmp_path / "dehazer") == ["1"]  # the old folder is gone


def test_two_staged_folders_are_published_together_or_not_at_all(tmp_path):
    first, second = tmp_path / "a" / "1", tmp_path / "b" / "1"
    with pytest.raises(RuntimeError):
        with staged_directory(first) as one, staged_directory(second) as two:
            open(os.path.join(one, "x"), "w").close()
            open(os.path.join(two, "y"), "w").close()
            raise RuntimeError("conversion failed")
    assert not first.exists() and not second.exists()
    with staged_directory(first) as one, staged_directory(second) as two:
        open(os.path.join(one, "x"), "w").close()
        open(os.path.join(two, "y"), "w").close()
    assert os.listdir(first) == ["x"] and os.listdir(second) == ["y"]
