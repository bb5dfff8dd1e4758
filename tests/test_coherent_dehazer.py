"""The v2 dehazer generator: any size, [0, 1] output, the haze model it
inverts, gradients, save/load and TFLite builtins."""

import os
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.layers import ChannelMean
from kfreqgan.layers import DarkChannel
from kfreqgan.layers import Luminance
from kfreqgan.layers import TransmissionBound
from kfreqgan.models import coherent_dehazer
from kfreqgan.models.coherent_dehazer import transmission_model


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return coherent_dehazer(coarse_size=32, filters=4)


@pytest.mark.parametrize("shape", [(1, 1, 1, 3), (2, 7, 5, 3), (1, 33, 101, 3), (1, 200, 64, 3)])
def test_any_size_output_in_unit_range(model, shape):
    images = np.random.default_rng(sum(shape)).random(shape).astype(np.float32)
    out = model(images).numpy()
    assert out.shape == shape
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_constant_images_stay_in_range(model, value):
    out = model(np.full((1, 24, 40, 3), value, np.float32)).numpy()
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0


def test_output_inverts_the_haze_model_with_its_own_transmission(model):
    # I = J t + A (1 - t) holds for the output J and the predicted t and A
    # wherever J was not clipped and t is above its floor.
    images = np.random.default_rng(1).uniform(0.2, 0.8, (2, 48, 64, 3)).astype(np.float32)
    clean = model(images).numpy()
    transmission, airlight = (x.numpy() for x in transmission_model(model)(images))
    assert transmission.shape == (2, 48, 64, 1) and airlight.shape == (2, 1, 1, 3)
    rehazed = clean * transmission + airlight * (1.0 - transmission)
    valid = (clean > 0.0) & (clean < 1.0) & (transmission > 0.05)
    assert valid.mean() > 0.5
    np.testing.assert_allclose(rehazed[valid], images[valid], atol=1e-4)


def test_transmission_is_coherent_across_sizes(model):
    # The learned part sees a fixed-size view of the whole image, so the same
    # scene at two resolutions gets the same transmission field.
    rng = np.random.default_rng(2)
    scene = tf.image.resize(rng.random((1, 8, 12, 3)).astype(np.float32), (96, 144), method="bicubic")
    scene = tf.clip_by_value(scene, 0.0, 1.0)
    large = tf.image.resize(scene, (192, 288), method="bilinear")
    t_small = transmission_model(model)(scene)[0]
    t_large = transmission_model(model)(large)[0]
    t_large_down = tf.image.resize(t_large, (96, 144), method="area")
    assert float(tf.reduce_mean(tf.abs(t_small - t_large_down))) < 0.02


def test_gradients_reach_every_weight(model):
    images = np.random.default_rng(3).uniform(0.3, 0.9, (2, 40, 56, 3)).astype(np.float32)
    target = np.random.default_rng(4).uniform(0.0, 1.0, images.shape).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(model(images, training=True) - target))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in gradients)
    assert all(np.all(np.isfinite(g.numpy())) for g in gradients)
    nonzero = sum(float(np.abs(g.numpy()).max()) > 0 for g in gradients)
    assert nonzero == len(gradients)


def test_save_and_load(model, tmp_path):
    images = np.random.default_rng(5).random((1, 30, 45, 3)).astype(np.float32)
    path = os.path.join(tmp_path, "v2.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(images).numpy(), model(images).numpy(), atol=1e-6)


def test_converts_to_tflite_builtins(model):
    from kfreqgan.export.tflite import tflite_op_names

    fixed = keras.Input((60, 80, 3), batch_size=1)
    wrapper = keras.Model(fixed, model(fixed))
    converter = tf.lite.TFLiteConverter.from_keras_model(wrapper)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    flatbuffer = converter.convert()
    ops = tflite_op_names(flatbuffer)
    assert not any(op.startswith("Flex") for op in ops)
    assert {"CONV_2D", "AVERAGE_POOL_2D", "RESIZE_BILINEAR"} <= ops

    from ai_edge_litert.interpreter import Interpreter

    images = np.random.default_rng(6).random((1, 60, 80, 3)).astype(np.float32)
    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], images)
    interpreter.invoke()
    result = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(result, wrapper(images).numpy(), atol=1e-4)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"coarse_size": 40}, "coarse_size"),
        ({"coarse_size": 16}, "coarse_size"),
        ({"filters": 0}, "filters"),
        ({"channels": 2}, "channels"),
        ({"min_transmission": 0.0}, "min_transmission"),
        ({"grey_airlight": 1}, "grey_airlight"),
        ({"grey_airlight": "yes"}, "grey_airlight"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        coherent_dehazer(**kwargs)


def test_dark_channel_and_luminance():
    rng = np.random.default_rng(7)
    images = rng.random((2, 9, 11, 3)).astype(np.float32)
    dark = DarkChannel(radius=1)(images).numpy()
    expected = np.zeros((2, 9, 11, 1), np.float32)
    darkest = images.min(axis=-1)
    for y in range(9):
        for x in range(11):
            expected[:, y, x, 0] = darkest[:, max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].min(axis=(1, 2))
    np.testing.assert_array_equal(dark, expected)
    grey = Luminance()(images).numpy()
    np.testing.assert_allclose(grey[..., 0], images @ np.array([0.299, 0.587, 0.114], np.float32), atol=1e-6)
    assert DarkChannel.from_config(DarkChannel(radius=4).get_config()).radius == 4
    with pytest.raises(ValueError, match="radius"):
        DarkChannel(radius=0)


@pytest.mark.parametrize("channels", [1, 3])
def test_luminance_and_the_window_bound_with_the_channel_count_known_only_at_run_time(channels):
    # A tf.function signature of (None, None, None, None) leaves the channel
    # count to run time: the result equals the static-shape one, and a
    # count other than 1 or 3 fails when the graph runs, naming the count.
    rng = np.random.default_rng(3)
    hazy = rng.uniform(0.1, 0.9, (2, 12, 10, channels)).astype(np.float32)
    t = np.full((2, 12, 10, 1), 0.05, np.float32)
    airlight = np.full((2, 1, 1, channels), 0.8, np.float32)
    images = tf.TensorSpec([None, None, None, None])
    luminance = Luminance()
    grey = tf.function(luminance, input_signature=[images])
    np.testing.assert_array_equal(grey(hazy).numpy(), luminance(hazy).numpy())
    bound = TransmissionBound(radius=1, guide_radius=2, bright=True)
    dynamic = tf.function(lambda *inputs: bound(list(inputs)), input_signature=[tf.TensorSpec([None, None, None, 1]), images, images, images])
    np.testing.assert_allclose(dynamic(t, hazy, airlight, hazy).numpy(), bound([t, hazy, airlight, hazy]).numpy(), atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Luminance expects 1 or 3 channels"):
        grey(np.zeros((1, 4, 4, 2), np.float32))


def test_dark_channel_window_larger_than_the_image():
    # Past both borders a window holds the whole side, so any radius from
    # side - 1 up gives the same minimum: 10**7 took 30 s here, 2**30 - 1
    # did not finish, and a window beyond int32 aborted the Python process.
    images = np.random.default_rng(9).random((2, 9, 11, 3)).astype(np.float32)
    started = time.perf_counter()
    dark = DarkChannel(radius=10**7)(images).numpy()
    assert time.perf_counter() - started < 5.0
    np.testing.assert_array_equal(dark, np.broadcast_to(images.min(axis=(1, 2, 3), keepdims=True), dark.shape))
    with pytest.raises(ValueError, match=r"`radius` must be at most 1073741823 .*Received: radius=1073741824"):
        DarkChannel(radius=2**30)


@pytest.mark.parametrize("radius", [1, 5, 9, 10**7, 2**30 - 1])
@pytest.mark.parametrize("spec", [(None, None, None, 3), (None, 9, None, 3)])
def test_dark_channel_of_sides_known_only_in_the_graph(radius, spec):
    """The same minimum as with the sides known, at any radius: the pool of
    the full window padded the image by it (2**29 on a 5x7 image was
    killed for memory)."""
    images = np.random.default_rng(9).random((2, 9, 11, 3)).astype(np.float32)
    graph = tf.function(DarkChannel(radius=radius), input_signature=[tf.TensorSpec(spec)])
    started = time.perf_counter()
    np.testing.assert_array_equal(graph(images).numpy(), DarkChannel(radius=radius)(images).numpy())
    assert time.perf_counter() - started < 5.0


def test_channel_mean():
    rng = np.random.default_rng(8)
    values = rng.random((2, 5, 3)).astype(np.float32)
    out = ChannelMean()(values).numpy()
    assert out.shape == values.shape
    for index in np.ndindex(values.shape[:-1]):
        np.testing.assert_allclose(out[index], np.full(3, values[index].sum() / 3), atol=1e-6)
    grey = np.full((1, 4, 4, 1), 0.3, np.float32)
    np.testing.assert_array_equal(ChannelMean()(grey).numpy(), grey)
    assert isinstance(keras.layers.deserialize(keras.layers.serialize(ChannelMean(name="m"))), ChannelMean)
    # With a target shape it also reshapes each example, as keras.layers.Reshape.
    mapped = ChannelMean((1, 1, 3))(values[:, 0]).numpy()
    assert mapped.shape == (2, 1, 1, 3)
    np.testing.assert_allclose(mapped[:, 0, 0], out[:, 0], atol=1e-6)
    assert ChannelMean.from_config(ChannelMean((1, 1, 3)).get_config()).target_shape == (1, 1, 3)
    for bad in ((1, 0, 3), 3, (1.0, 3)):
        with pytest.raises(ValueError, match="target_shape"):
            ChannelMean(bad)


@pytest.mark.parametrize("smoothness_weight", [0.0, 10.0])
def test_grey_airlight_keeps_the_order_of_the_weights(smoothness_weight):
    # Keras restores a backup's optimizer state by the position of each
    # variable in this order: a run continued with the grey head must see
    # the same one.
    paths = [
        [v.path for v in coherent_dehazer(coarse_size=32, filters=4, smoothness_weight=smoothness_weight, grey_airlight=grey).trainable_variables]
        for grey in (False, True)
    ]
    assert paths[0] == paths[1]


def test_grey_airlight_is_the_mean_of_the_per_channel_estimate(tmp_path):
    # A per-channel model's weights file loads into the grey model (as a
    # run continues from a backup), and then the grey model's airlight is
    # the per-channel one averaged over channels; its output inverts the
    # haze model with it; it saves, loads and converts to TFLite builtins.
    keras.utils.set_random_seed(1)
    tinted = coherent_dehazer(coarse_size=32, filters=4)
    grey = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True)
    weights = os.path.join(tmp_path, "tinted.weights.h5")
    tinted.save_weights(weights)
    grey.load_weights(weights)
    images = np.random.default_rng(9).uniform(0.2, 0.8, (2, 40, 52, 3)).astype(np.float32)
    t_tinted, a_tinted = (x.numpy() for x in transmission_model(tinted)(images))
    t_grey, a_grey = (x.numpy() for x in transmission_model(grey)(images))
    np.testing.assert_allclose(t_grey, t_tinted, atol=1e-6)
    np.testing.assert_allclose(a_grey, np.repeat(a_tinted.mean(axis=-1, keepdims=True), 3, axis=-1), atol=1e-6)
    clean = grey(images).numpy()
    valid = (clean > 0.0) & (clean < 1.0) & (t_grey > 0.05)
    assert valid.mean() > 0.5
    np.testing.assert_allclose((clean * t_grey + a_grey * (1.0 - t_grey))[valid], images[valid], atol=1e-4)
    path = os.path.join(tmp_path, "grey.keras")
    grey.save(path)
    np.testing.assert_allclose(keras.models.load_model(path)(images).numpy(), clean, atol=1e-6)

    from kfreqgan.export.tflite import tflite_op_names

    fixed = keras.Input((40, 52, 3), batch_size=1)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(fixed, grey(fixed)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    assert not any(op.startswith("Flex") for op in tflite_op_names(converter.convert()))
