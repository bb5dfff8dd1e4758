"""`kfreqgan.models.loading`: the one loader, for every kind of model file and every bad one."""

import os
import subprocess
import sys
import warnings
import zipfile

import keras
import numpy as np
import pytest

from kfreqgan.export import serving
from kfreqgan.export import tflite
from kfreqgan.models import FreqGAN
from kfreqgan.models import dcgan_generator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models.image_to_image import clipped_model
from kfreqgan.models.image_to_image import unit_range_outputs
from kfreqgan.models.loading import INPUT_NAME
from kfreqgan.models.loading import OUTPUT_NAME
from kfreqgan.models.loading import SERVING_DEFAULT
from kfreqgan.models.loading import SavedModelGenerator
from kfreqgan.models.loading import TFLiteGenerator
from kfreqgan.models.loading import load_generator
from kfreqgan.models.loading import model_kind


@pytest.fixture(scope="module")
def files(generator, tmp_path_factory):
    """The tiny generator saved as every kind of file kfreqgan writes."""
    folder = tmp_path_factory.mktemp("models")
    generator.save(folder / "generator.keras")
    gan = FreqGAN(generator, patchgan_discriminator((32, 32, 3), 3, filters=4, num_layers=1), mode="paired")
    gan.compile()
    gan.save(folder / "freqgan.keras")
    serving.save_serving_model(generator, str(folder / "saved_model"))
    model = clipped_model(generator)
    (folder / "float32.tflite").write_bytes(tflite.convert_to_tflite(model))
    (folder / "uint8.tflite").write_bytes(tflite.convert_to_tflite(model, io_dtype="uint8"))
    dcgan_generator(16, 8, filters=4).save(folder / "latent.keras")
    return folder


def test_the_interface_names():
    assert (SERVING_DEFAULT, INPUT_NAME, OUTPUT_NAME) == ("serving_default", "images", "outputs")
    assert serving.SERVING_DEFAULT is SERVING_DEFAULT and tflite.SERVING_DEFAULT is SERVING_DEFAULT  # one definition


@pytest.mark.parametrize("name", ["generator.keras", "freqgan.keras"])
def test_keras_files_give_the_generator(files, generator, photos_32, name):
    loaded = load_generator(files / name)
    assert isinstance(loaded, keras.Model) and not isinstance(loaded, FreqGAN)
    assert model_kind(files / name) == "keras"
    np.testing.assert_allclose(loaded.predict(photos_32, verbose=0), generator.predict(photos_32, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name, kind, cls, tolerance", [
    ("saved_model", "saved_model", SavedModelGenerator, 1e-5),
    ("float32.tflite", "tflite", TFLiteGenerator, 1e-3),
    ("uint8.tflite", "tflite", TFLiteGenerator, 1.01 / 255 + 1e-6),  # rounded to pixels on the way in and out
])
def test_exports_load_and_compute_what_the_keras_model_computes(files, generator, photos_32, name, kind, cls, tolerance):
    loaded = load_generator(files / name)
    assert isinstance(loaded, cls) and loaded.kind == kind == model_kind(files / name)
    assert loaded.input_shape == (32, 32, 3) and loaded.uint8 == (name == "uint8.tflite")
    reference = unit_range_outputs(generator, np.round(photos_32[:3] * 255) / 255).numpy()
    outputs = loaded(np.round(photos_32[:3] * 255) / 255)
    assert outputs.dtype == np.float32 and outputs.shape == reference.shape
    assert np.abs(outputs - reference).max() <= tolerance


PIXELS = np.full((2, 32, 32, 3), 0.5, np.float32)
BAD_IMAGES = {
    # LiteRT's "Cannot set tensor: Dimension mismatch" or TensorFlow's own error.
    "another size": (PIXELS[:, :16], r"`images` must have shape \(N, 32, 32, 3\)\. Received: shape=\(2, 16, 32, 3\)"),
    "grey": (PIXELS[..., :1], r"Received: shape=\(2, 32, 32, 1\)"),
    "unbatched": (PIXELS[0], r"Received: shape=\(32, 32, 3\)"),
    # A uint8 model wrapped 1.5 around to pixel 126; a float one took 0..255 as it came.
    "beyond 1": (PIXELS * 3, r"must be finite floating-point images in \[0, 1\] \(divide uint8 pixels by 255\)\. Received: range=\[1\.5, 1\.5\]"),
    "uint8 pixels": ((PIXELS * 255).astype(np.uint8), r"Received: range=\[127\.0, 127\.0\]"),
    "no images": (PIXELS[:0], r"`images` must hold at least one image\. Received: shape=\(0, 32, 32, 3\)"),
    "NaN": (np.where(PIXELS > 0, np.nan, PIXELS), r"must be finite floating-point images in \[0, 1\]\. Received: 6144 non-finite of 6144 values"),
    # It was cast to float32 first, which made it Inf: "6144 non-finite".
    "float64 beyond float32": (np.full(PIXELS.shape, 1e300), r"\(divide uint8 pixels by 255\)\. Received: range=\[1e\+300, 1e\+300\]$"),
}


@pytest.mark.parametrize("bad", list(BAD_IMAGES))
@pytest.mark.parametrize("name", ["saved_model", "float32.tflite", "uint8.tflite"])
def test_exported_generators_name_bad_images(files, name, bad):
    images, message = BAD_IMAGES[bad]
    with pytest.raises(ValueError, match=message):
        load_generator(files / name)(images)


@pytest.mark.parametrize("num_threads, fine", [(np.int64(2), True), (True, False), (0, False), (2.0, False)], ids=repr)
def test_tflite_num_threads_is_a_positive_integer(files, photos_32, num_threads, fine):
    # LiteRT refused np.int64(2) in words that blamed the file ("Not a loadable TFLite model")
    # and took True as 1.
    if fine:
        assert TFLiteGenerator(files / "float32.tflite", num_threads=num_threads)(photos_32[:1]).shape == (1, 32, 32, 3)
        assert tflite.run_tflite((files / "float32.tflite").read_bytes(), photos_32[:1], num_threads=num_threads).shape == (1, 32, 32, 3)
    else:
        message = rf"`num_threads` must be None or a positive integer\. Received: num_threads={num_threads!r}"
        with pytest.raises(ValueError, match=message):
            TFLiteGenerator(files / "float32.tflite", num_threads=num_threads)
        with pytest.raises(ValueError, match=message):
            tflite.run_tflite((files / "float32.tflite").read_bytes(), photos_32[:1], num_threads=num_threads)


def test_run_tflite_names_a_path_and_an_empty_batch(files, photos_32):
    # A path failed in LiteRT's binding (TypeError), no images in MIRROR_PAD (RuntimeError).
    with pytest.raises(ValueError, match=r"`tflite_model` must be the model's bytes .*TFLiteGenerator\)\. Received: str"):
        tflite.run_tflite(str(files / "float32.tflite"), photos_32[:1])
    with pytest.raises(ValueError, match=r"must have shape \(N, 32, 32, 3\)\. Received: shape=\(0, 32, 32, 3\)"):
        tflite.run_tflite((files / "float32.tflite").read_bytes(), photos_32[:0])


RUN_TFLITE_BAD_VALUES = {
    "beyond 1": (PIXELS * 3, r"Received: range=\[1\.5, 1\.5\]$"),
    "below 0": (PIXELS - 1, r"Received: range=\[-0\.5, -0\.5\]$"),
    "0..255": (PIXELS * 255, r"\(divide uint8 pixels by 255\)\. Received: range=\[127\.5, 127\.5\]$"),
    "NaN": (np.where(PIXELS > 0, np.nan, PIXELS), r"Received: 6144 non-finite of 6144 values$"),
    "Inf": (np.where(PIXELS > 0, np.inf, PIXELS), r"Received: 6144 non-finite of 6144 values$"),
    # Checked before the cast to float32, which would make it Inf.
    "float64 beyond float32": (np.full(PIXELS.shape, 1e300), r"Received: range=\[1e\+300, 1e\+300\]$"),
}


@pytest.mark.parametrize("bad", list(RUN_TFLITE_BAD_VALUES))
def test_run_tflite_refuses_images_outside_0_1_as_every_entry_point_does(files, bad):
    # A float model ran on them and extrapolated; TFLiteGenerator, the
    # Dehazer and int8 calibration all refuse them.
    images, message = RUN_TFLITE_BAD_VALUES[bad]
    with pytest.raises(ValueError, match=r"`images` must be finite floating-point images in \[0, 1\].*" + message):
        tflite.run_tflite((files / "float32.tflite").read_bytes(), images)


def test_a_latent_generator_only_where_asked(files):
    with pytest.raises(ValueError, match="Only image-to-image generators"):
        load_generator(files / "latent.keras")
    assert load_generator(files / "latent.keras", image_to_image=False).input_shape == (None, 16)


def _garbage(path, text=b"not a model"):
    path.write_bytes(text)
    return path


BAD = {
    "missing file": (lambda d: d / "missing.keras", FileNotFoundError, r"Model file not found\. Received: path='.*missing\.keras'"),
    "folder without saved_model.pb": (lambda d: (d / "empty").mkdir() or d / "empty", ValueError, r"must be a SavedModel \(with saved_model\.pb\)"),
    "text named .keras": (lambda d: _garbage(d / "notamodel.keras"), ValueError, r"Not a Keras model file \(a \.keras file is a zip archive"),
    "zip without config.json": (
        lambda d: zipfile.ZipFile(d / "readme.keras", "w").writestr("readme.txt", "hi") or d / "readme.keras",
        ValueError,
        "the archive has no config.json",
    ),
    "broken config.json": (
        lambda d: zipfile.ZipFile(d / "broken.keras", "w").writestr("config.json", "{") or d / "broken.keras",
        ValueError,
        r"Not a loadable Keras model file \(",
    ),
    "text named .tflite": (lambda d: _garbage(d / "model.tflite"), ValueError, r"Not a TFLite model file \(no TFL3 identifier\)"),
    "an image": (lambda d: _garbage(d / "photo.png"), ValueError, r"A model must be a \.keras file or a SavedModel folder or a \.tflite file\. Received: path="),
    "an HDF5 file": (lambda d: _garbage(d / "weights.h5"), ValueError, "A model must be"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_model_files_get_one_clear_error(tmp_path, case):
    make, error, message = BAD[case]
    path = make(tmp_path)
    with pytest.raises(error, match=message):
        load_generator(path)
    if error is ValueError and case != "broken config.json":
        with pytest.raises(error, match=message):
            model_kind(path)  # the cheap checks, without TensorFlow


def test_kinds_a_caller_does_not_accept(files):
    with pytest.raises(ValueError, match=r"A model must be a \.keras file, not a SavedModel folder|A model must be a \.keras file, not a folder"):
        load_generator(files / "saved_model", kinds=("keras",))
    with pytest.raises(ValueError, match=r"A model must be a \.keras file, not a \.tflite file"):
        load_generator(files / "float32.tflite", kinds=("keras",))


def test_import_kfreqgan_alone_registers_what_freqgan_keras_needs(files):
    """`keras.saving.load_model("freqgan.keras")` after `import kfreqgan`, nothing else."""
    code = (
        "import keras, kfreqgan, sys; "
        "model = keras.saving.load_model(sys.argv[1]); "
        "assert type(model).__name__ == 'FreqGAN', type(model); "
        "assert not [m for m in sys.modules if m.startswith(('tensorflow_datasets', 'kfreqgan.export', 'kfreqgan.training'))]; "
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(files / "freqgan.keras")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


@pytest.mark.parametrize("level, shown", [("3", False), ("0", True)])
def test_opening_a_tflite_file_prints_nothing_on_stderr_when_asked_quiet(files, level, shown):
    """LiteRT prints `INFO: Created TensorFlow Lite XNNPACK delegate for CPU.` from
    C++ when a TFLiteGenerator allocates its tensors; with TF_CPP_MIN_LOG_LEVEL
    at 2 or more (what the kfreqgan commands set) it is hidden, as in
    kfreqgan-export, and with 0 (`--debug`) it still shows. A fresh process:
    LiteRT prints the line once per process, on file descriptor 2."""
    code = (
        "import sys, numpy as np; "
        "from kfreqgan.models.loading import load_generator; "
        "model = load_generator(sys.argv[1]); "
        "print(model(np.full((1, 32, 32, 3), 0.5, np.float32)).shape); "
        "assert 'kfreqgan.export' not in sys.modules; "  # the core quiets it itself
        "print('stderr still works', file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(files / "float32.tflite")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": level},
    )
    assert result.returncode == 0 and result.stdout.strip() == "(1, 32, 32, 3)", result.stderr[-2000:]
    assert ("XNNPACK delegate" in result.stderr) == shown, result.stderr[-2000:]
    assert result.stderr.strip().endswith("stderr still works")  # redirected only around the native calls


def _tflite_of(inputs, outputs, quantized_io=None, calibration=(0.2, 0.8)):
    """A `.tflite` flatbuffer of the Keras model `inputs -> outputs`
    (with `quantized_io`, full-integer with that input and output type,
    calibrated on flat images of the `calibration` values)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, outputs))
    if quantized_io is not None:
        shape = (1,) + tuple(inputs.shape[1:])
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([np.full(shape, value, np.float32)] for value in calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.as_dtype(quantized_io)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return converter.convert()


def _any_size():
    return keras.Input((None, None, 3))


NOT_IMAGE_TO_IMAGE_TFLITE = {
    # Each ran: Dehazer returned the classifier's (3,) vector or half-size
    # images as the dehazed photo, left the second input unset, or failed
    # in LiteRT's set_tensor ("Got value of type FLOAT32 but expected type INT8").
    "classifier": (lambda: _tflite_of(x := _any_size(), keras.layers.GlobalAveragePooling2D()(x)),
                   r"must return images of its input's shape .*Received: input_shape=\(-1, -1, -1, 3\), output_shape=\(-1, 3\)$"),
    "fixed-size downscaler": (lambda: _tflite_of(x := keras.Input((16, 16, 3)), keras.layers.AveragePooling2D(2)(x)),
                              r"Received: input_shape=\(-1, 16, 16, 3\), output_shape=\(-1, 8, 8, 3\)$"),
    "two inputs": (lambda: _tflite_of([x := keras.Input((8, 8, 3)), y := keras.Input((8, 8, 3))], x + y),
                   r"must have one input and one output \(an image-to-image generator\)\. Received: inputs=\[.*, .*\], outputs="),
    "int8 input and output": (lambda: _tflite_of(x := keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)(x), quantized_io="int8"),
                              r"float32 images in \[0, 1\] or uint8 pixels.*Received: input_dtype=int8, output_dtype=int8$"),
}


def _identity_conv(inputs):
    return keras.layers.Conv2D(3, 1, kernel_initializer=keras.initializers.Constant(np.eye(3).reshape(1, 1, 3, 3)))(inputs)


def test_a_full_integer_uint8_model_must_take_pixels(tmp_path):
    """A uint8 `.tflite` whose quantization says its uint8 stands for
    another range than [0, 1] (calibrated on [0.2, 0.8], a range the
    converter widens to take in 0: scale 0.8/255, zero point 0) was fed
    pixels as they came; it is refused by name.
    One calibrated on [0, 1] (scale 1/255, zero point 0) takes pixels and
    runs."""
    from kfreqgan.dehazing import Dehazer

    own = tmp_path / "own.tflite"
    own.write_bytes(_tflite_of(x := keras.Input((8, 8, 3)), _identity_conv(x), quantized_io="uint8"))
    message = r"uint8 input stands for values in \[0, 0\.8\] \(quantization scale .*\); kfreqgan runs models whose uint8 images are pixels"
    with pytest.raises(ValueError, match=message):
        load_generator(own)
    with pytest.raises(ValueError, match=message):
        Dehazer(str(own))
    pixels = tmp_path / "pixels.tflite"
    pixels.write_bytes(_tflite_of(x := keras.Input((8, 8, 3)), _identity_conv(x), quantized_io="uint8", calibration=(0.0, 1.0)))
    model = load_generator(pixels)
    assert model.uint8
    images = np.round(np.random.default_rng(0).uniform(size=(2, 8, 8, 3)) * 255) / 255
    np.testing.assert_allclose(model(images), images, atol=1.01 / 255)
    # A sigmoid's quantized output has TFLite's fixed scale 1/256: read as
    # pixels it is off by under a level (it was refused as [0, 0.9961]).
    sigmoid = tmp_path / "sigmoid.tflite"
    x = keras.Input((8, 8, 3))
    y = keras.layers.Conv2D(3, 1, activation="sigmoid", kernel_initializer=keras.initializers.Constant(np.eye(3).reshape(1, 1, 3, 3)))(x)
    sigmoid.write_bytes(_tflite_of(x, y, quantized_io="uint8", calibration=(0.0, 1.0)))
    model = load_generator(sigmoid)
    np.testing.assert_allclose(model(images), 1 / (1 + np.exp(-images)), atol=2.5 / 255)


def test_a_uint8_tensor_quantized_per_channel_is_checked_channel_by_channel():
    """Per-channel quantization leaves `quantization` at (0.0, 0), which
    read as "not quantized" and passed whatever the channels stood for."""
    from kfreqgan.models.loading import _check_pixel_quantization

    def detail(scales, zero_points):
        return {"quantization": (0.0, 0), "quantization_parameters": {"scales": np.array(scales, np.float32), "zero_points": np.array(zero_points, np.int32), "quantized_dimension": 3}}

    _check_pixel_quantization(detail([1 / 255] * 3, [0, 0, 0]), "input", "m.tflite")
    _check_pixel_quantization(detail([], []), "input", "m.tflite")  # not quantized
    with pytest.raises(ValueError, match=r"uint8 output \(channel 1 of 3, quantized per channel\) stands for values in \[-1\.004, 0\.9961\]"):
        _check_pixel_quantization(detail([1 / 255, 2 / 255, 1 / 255], [0, 128, 0]), "output", "m.tflite")
    with pytest.raises(ValueError, match=r"uint8 input stands for values in \[0, 0\.8\]"):
        _check_pixel_quantization({"quantization": (0.8 / 255, 0), "quantization_parameters": {"scales": np.array([0.8 / 255]), "zero_points": np.array([0])}}, "input", "m.tflite")


@pytest.mark.parametrize("case", list(NOT_IMAGE_TO_IMAGE_TFLITE))
def test_a_tflite_model_that_is_not_image_to_image_is_refused_when_opened(tmp_path, case):
    from kfreqgan.dehazing import Dehazer

    make, message = NOT_IMAGE_TO_IMAGE_TFLITE[case]
    path = tmp_path / "model.tflite"
    path.write_bytes(make())
    with pytest.raises(ValueError, match=message):
        load_generator(path)
    with pytest.raises(ValueError, match=message):
        Dehazer(str(path))


def test_an_any_size_export_whose_output_is_not_its_input_shape_is_refused(tmp_path):
    # A .tflite of any size is run untiled on the whole photo: a downscaler's
    # half-size output was returned as the dehazed photo (any size) and a
    # SavedModel's was returned by its generator.
    import tensorflow as tf

    from kfreqgan.dehazing import Dehazer

    path = tmp_path / "half.tflite"
    path.write_bytes(_tflite_of(x := _any_size(), keras.layers.AveragePooling2D(2)(x)))
    message = r"must return images of its input's shape .*Received: input_shape=\(1, 6, 10, 3\), output_shape=\(1, 3, 5, 3\), path="
    with pytest.raises(ValueError, match=message):
        Dehazer(str(path))(np.full((6, 10, 3), 0.5, np.float32))

    class Half(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name=INPUT_NAME)])
        def serve(self, images):
            return {OUTPUT_NAME: images[:, ::2, ::2]}

    module = Half()
    tf.saved_model.save(module, str(tmp_path / "half"), signatures={SERVING_DEFAULT: module.serve})
    with pytest.raises(ValueError, match=message.replace("1, 6, 10", "2, 6, 10").replace("1, 3, 5", "2, 3, 5")):
        load_generator(tmp_path / "half")(np.full((2, 6, 10, 3), 0.5, np.float32))


def test_an_any_size_tflite_is_allocated_at_each_images_size_and_names_one_it_cannot_take(tmp_path):
    # A model of any size that cannot take 1x1 (a mirror pad of 2, as a
    # user's own any-size conversion may have) failed to open with LiteRT's
    # RuntimeError: it was allocated at its signature's default 1x1.
    import tensorflow as tf

    from kfreqgan.dehazing import Dehazer

    class ReflectPadAndCrop(keras.layers.Layer):
        def call(self, images):
            return tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")[:, 2:-2, 2:-2]

    path = tmp_path / "pad.tflite"
    path.write_bytes(_tflite_of(x := _any_size(), ReflectPadAndCrop()(x)))
    generator = load_generator(path)
    assert generator.whole_image and generator.input_shape == (None, None, 3)
    image = np.random.default_rng(0).random((8, 9, 3)).astype(np.float32)
    np.testing.assert_array_equal(Dehazer(str(path))(image), image)
    # Each refusal names its own size (LiteRT's text keeps the earlier ones first).
    for side in (2, 1):
        with pytest.raises(ValueError, match=rf"cannot prepare the TFLite model for images of this shape \(.*input size {side}, .*\): a size the model does not take, or a damaged file\. Received: shape=\(1, {side}, {side}, 3\)$"):
            generator(np.full((1, side, side, 3), 0.5, np.float32))
    assert generator(image[None]).shape == (1, 8, 9, 3)  # and it runs on after them


def _damaged_past_the_flatbuffer_check(model_bytes):
    """`model_bytes` with one byte changed so that LiteRT opens the model,
    with its input and output as they were, but cannot allocate it (a node
    that fails to prepare)."""
    from ai_edge_litert.interpreter import Interpreter

    def signature(interpreter):
        return [[(detail["dtype"], list(detail["shape_signature"])) for detail in details]
                for details in (interpreter.get_input_details(), interpreter.get_output_details())]

    expected = signature(Interpreter(model_content=model_bytes))
    for offset in range(len(model_bytes)):
        damaged = bytearray(model_bytes)
        damaged[offset] ^= 0x40
        try:
            interpreter = Interpreter(model_content=bytes(damaged))
            if signature(interpreter) != expected:
                continue
        except Exception:  # refused by the flatbuffer check
            continue
        try:
            interpreter.allocate_tensors()
        except RuntimeError:
            return bytes(damaged)
    pytest.fail("no single-byte damage gets past LiteRT's flatbuffer check")


@pytest.mark.parametrize("shape", [(8, 8, 3), (None, None, 3)], ids=["fixed size", "any size"])
def test_a_tflite_damaged_past_the_flatbuffer_check_is_a_value_error(tmp_path, shape):
    # A fixed-size one raised LiteRT's RuntimeError ("... failed to prepare.")
    # from the allocation at load; an any-size one is allocated per image.
    path = tmp_path / "damaged.tflite"
    path.write_bytes(_damaged_past_the_flatbuffer_check(_tflite_of(x := keras.Input(shape), keras.layers.Conv2D(3, 1)(x))))
    if shape[0] is not None:
        with pytest.raises(ValueError, match=rf"Not a loadable TFLite model \(.*failed to prepare\.\)\. Received: path={str(path)!r}"):
            load_generator(path)
    else:
        with pytest.raises(ValueError, match=r"\(.*failed to prepare\.\): a size the model does not take, or a damaged file\. Received: shape=\(1, 8, 8, 3\)$"):
            load_generator(path)(np.full((1, 8, 8, 3), 0.5, np.float32))


def test_extensions_in_capitals(files, tmp_path, photos_32):
    """A `.TFLITE` opens (LiteRT reads any name); a `.KERAS` is named with the
    rename it needs, since Keras opens only names ending in '.keras'."""
    (tmp_path / "MODEL.TFLITE").write_bytes((files / "float32.tflite").read_bytes())
    assert model_kind(tmp_path / "MODEL.TFLITE") == "tflite"
    assert load_generator(tmp_path / "MODEL.TFLITE")(photos_32[:1]).shape == (1, 32, 32, 3)
    (tmp_path / "Generator.Keras").write_bytes((files / "generator.keras").read_bytes())
    with pytest.raises(ValueError, match=r"ends in '\.keras' in lower case; rename it \(e\.g\. to '.*Generator\.keras'\)"):
        load_generator(tmp_path / "Generator.Keras")
    with pytest.raises(ValueError, match="not a .tflite file"):
        model_kind(tmp_path / "MODEL.TFLITE", ("keras",))
