"""GuidedFilter against a slow NumPy reference, its meaning, Keras plumbing and TFLite."""

import os
import re
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.layers import GuidedFilter
from kfreqgan.layers.guided_filter import MAX_WINDOW_RADIUS
from kfreqgan.layers.guided_filter import box_mean
from kfreqgan.layers.guided_filter import pool_along


def reference_guided_filter(guide, source, radius, epsilon):
    """He et al.'s guided filter, written as the paper states it, one window
    at a time: for every window w_k (clipped at the borders) fit
    p ~ a_k I + b_k by ridge regression; q_i = mean over the windows that
    contain i of (a_k I_i + b_k). guide (H, W), source (H, W); float64."""
    guide = np.asarray(guide, np.float64)
    source = np.asarray(source, np.float64)
    height, width = guide.shape
    a = np.zeros((height, width))
    b = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            window = (slice(max(y - radius, 0), y + radius + 1), slice(max(x - radius, 0), x + radius + 1))
            g, p = guide[window].ravel(), source[window].ravel()
            a[y, x] = (np.mean(g * p) - g.mean() * p.mean()) / (g.var() + epsilon)
            b[y, x] = p.mean() - a[y, x] * g.mean()
    out = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            window = (slice(max(y - radius, 0), y + radius + 1), slice(max(x - radius, 0), x + radius + 1))
            out[y, x] = a[window].mean() * guide[y, x] + b[window].mean()
    return out


def test_box_mean_matches_clipped_window_means():
    images = np.random.default_rng(0).random((2, 9, 12, 3)).astype(np.float32)
    result = box_mean(tf.constant(images), 2).numpy()
    expected = np.zeros_like(images)
    for y in range(9):
        for x in range(12):
            expected[:, y, x] = images[:, max(y - 2, 0) : y + 3, max(x - 2, 0) : x + 3].mean(axis=(1, 2))
    np.testing.assert_allclose(result, expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("axis", [1, 2])
def test_pool_along_one_axis_is_the_windowed_mean_or_maximum(kind, axis):
    """pool_along lays the image out as one tall image of many channels; it
    must give each pixel its own clipped window's mean (over the in-image
    pixels) or maximum, for static sizes, sizes known only in the graph,
    and windows past both borders."""
    images = np.random.default_rng(2).random((2, 7, 11, 3)).astype(np.float32)
    reduce = np.mean if kind == "avg" else np.max
    for radius in (0, 1, 3, 12):
        expected = np.zeros_like(images)
        for i in range(images.shape[axis]):
            window = [slice(None)] * 4
            window[axis] = slice(max(i - radius, 0), i + radius + 1)
            here = [slice(None)] * 4
            here[axis] = slice(i, i + 1)
            expected[tuple(here)] = reduce(images[tuple(window)], axis=axis, keepdims=True)
        static = pool_along(tf.constant(images), axis, radius, kind)
        assert static.shape == images.shape
        np.testing.assert_allclose(static.numpy(), expected, atol=1e-6)
        dynamic = tf.function(
            lambda x: pool_along(x, axis, radius, kind), input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)]
        )
        np.testing.assert_allclose(dynamic(images).numpy(), expected, atol=1e-6)


def test_pool_along_names_a_bad_argument():
    images = tf.zeros((1, 4, 5, 1))
    for kwargs, match in (
        ({"axis": 3}, "`axis` must be one of 1, 2. Received: axis=3"),
        ({"kind": "min"}, "`kind` must be one of 'avg', 'max'. Received: kind='min'"),
        ({"radius": -1}, "`radius` must be an integer >= 0. Received: radius=-1"),
        ({"radius": 1.5}, "`radius` must be an integer >= 0. Received: radius=1.5"),
    ):
        arguments = {"axis": 1, "radius": 1, "kind": "avg", **kwargs}
        with pytest.raises(ValueError, match=re.escape(match)):
            pool_along(images, **arguments)
    with pytest.raises(ValueError, match="rank 4"):
        pool_along(tf.zeros((4, 5, 1)), 1, 1, "avg")


def test_a_window_larger_than_the_image_costs_the_image_not_the_radius():
    # Past both borders a window holds the whole side, so every radius from
    # side - 1 up gives the same means; 2**30 - 1 took 40 s on this image.
    images = np.random.default_rng(1).random((2, 13, 17, 3)).astype(np.float32)
    guide = images[..., :1]
    started = time.perf_counter()
    huge = GuidedFilter(MAX_WINDOW_RADIUS, 1e-2)([guide, images]).numpy()
    assert time.perf_counter() - started < 5.0
    np.testing.assert_allclose(huge, GuidedFilter(16, 1e-2)([guide, images]).numpy(), atol=1e-6)
    np.testing.assert_allclose(box_mean(tf.constant(images), 10**6).numpy(), images.mean(axis=(1, 2), keepdims=True) + 0 * images, atol=1e-6)


@pytest.mark.parametrize("radius,epsilon", [(1, 1e-3), (3, 1e-2), (6, 1e-4)])
def test_matches_numpy_reference(radius, epsilon):
    rng = np.random.default_rng(radius)
    guide = rng.random((2, 13, 17, 1)).astype(np.float32)
    source = rng.random((2, 13, 17, 3)).astype(np.float32)
    result = GuidedFilter(radius, epsilon)([guide, source]).numpy()
    for n in range(2):
        for c in range(3):
            expected = reference_guided_filter(guide[n, ..., 0], source[n, ..., c], radius, epsilon)
            np.testing.assert_allclose(result[n, ..., c], expected, atol=2e-5)


def test_per_channel_guide_matches_reference():
    rng = np.random.default_rng(5)
    guide = rng.random((1, 10, 11, 3)).astype(np.float32)
    source = rng.random((1, 10, 11, 3)).astype(np.float32)
    result = GuidedFilter(2, 1e-3)([guide, source]).numpy()
    for c in range(3):
        expected = reference_guided_filter(guide[0, ..., c], source[0, ..., c], 2, 1e-3)
        np.testing.assert_allclose(result[0, ..., c], expected, atol=2e-5)


def test_keeps_guide_edges_and_removes_noise():
    # A step edge in the guide; the source is the step plus noise.
    guide = np.zeros((1, 40, 40, 1), np.float32)
    guide[:, :, 20:] = 1.0
    noise = 0.1 * np.random.default_rng(1).standard_normal(guide.shape).astype(np.float32)
    filtered = GuidedFilter(4, 1e-3)([guide, guide + noise]).numpy()
    # The edge stays a one-pixel step; the noise drops several-fold.
    assert filtered[0, :, 21:, 0].mean() - filtered[0, :, :19, 0].mean() > 0.95
    assert np.std(filtered[0, :, 24:, 0]) < 0.3 * np.std(noise[0, :, 24:, 0])
    # A box blur of the same radius smears the edge over 9 pixels instead.
    blurred = box_mean(tf.constant(guide + noise), 4).numpy()
    assert abs(blurred[0, :, 18, 0].mean() - filtered[0, :, 18, 0].mean()) > 0.2


def test_flat_guide_gives_the_box_mean():
    # No guide structure: a = 0, q = mean(mean(p)).
    source = np.random.default_rng(2).random((1, 12, 12, 1)).astype(np.float32)
    guide = np.full_like(source, 0.5)
    result = GuidedFilter(2, 1e-3)([guide, source]).numpy()
    np.testing.assert_allclose(result, box_mean(box_mean(tf.constant(source), 2), 2).numpy(), atol=1e-5)


def test_fast_mode_applies_upsampled_coefficients_to_the_full_guide():
    rng = np.random.default_rng(3)
    guide = rng.random((1, 16, 20, 1)).astype(np.float32)
    source = rng.random((1, 16, 20, 2)).astype(np.float32)
    layer = GuidedFilter(2, 1e-2)
    # Same size: the fast filter is the plain one.
    np.testing.assert_allclose(layer([guide, source, guide]).numpy(), layer([guide, source]).numpy(), atol=1e-6)
    # Larger full guide: bilinear coefficients times the full guide.
    full = rng.random((1, 48, 60, 1)).astype(np.float32)
    mean_a, mean_b = layer.coefficients(guide, source)
    expected = tf.image.resize(mean_a, (48, 60)) * full + tf.image.resize(mean_b, (48, 60))
    result = layer([guide, source, full])
    assert result.shape == (1, 48, 60, 2)
    np.testing.assert_allclose(result.numpy(), expected.numpy(), atol=1e-6)


def test_keras_plumbing(tmp_path):
    rng = np.random.default_rng(4)
    guide = rng.random((2, 16, 16, 1)).astype(np.float32)
    source = rng.random((2, 16, 16, 1)).astype(np.float32)
    layer = GuidedFilter(3, 1e-2, name="gf")
    expected = layer([guide, source]).numpy()
    config = layer.get_config()
    assert config["radius"] == 3 and config["epsilon"] == 1e-2
    np.testing.assert_array_equal(GuidedFilter.from_config(config)([guide, source]).numpy(), expected)
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == "kfreqgan>GuidedFilter"

    g, p = keras.Input((None, None, 1)), keras.Input((None, None, 1))
    model = keras.Model([g, p], GuidedFilter(3, 1e-2)([g, p]))
    path = os.path.join(tmp_path, "gf.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded([guide, source]).numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(tf.function(layer, jit_compile=True)([guide, source]).numpy(), expected, atol=1e-5)

    # Gradients reach both inputs.
    guide_t, source_t = tf.constant(guide), tf.constant(source)
    with tf.GradientTape() as tape:
        tape.watch([guide_t, source_t])
        loss = tf.reduce_sum(layer([guide_t, source_t]) * tf.constant(rng.standard_normal(expected.shape), tf.float32))
    gradients = tape.gradient(loss, [guide_t, source_t])
    for gradient in gradients:
        assert np.all(np.isfinite(gradient.numpy())) and np.abs(gradient.numpy()).max() > 0

    # Mixed precision: float32 inside, compute dtype out.
    half = GuidedFilter(3, 1e-2, dtype="mixed_float16")([tf.cast(guide, tf.float16), tf.cast(source, tf.float16)])
    assert half.dtype == tf.float16
    np.testing.assert_allclose(half.numpy().astype(np.float32), expected, atol=1e-2)


def test_converts_to_tflite_builtins():
    from kfreqgan.export.tflite import tflite_op_names

    g = keras.Input((32, 32, 1), batch_size=1, name="guide")
    p = keras.Input((32, 32, 1), batch_size=1, name="source")
    full = keras.Input((96, 64, 1), batch_size=1, name="full_guide")
    model = keras.Model([g, p, full], GuidedFilter(4, 1e-3)([g, p, full]))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # fails on any Flex op
    flatbuffer = converter.convert()
    ops = tflite_op_names(flatbuffer)
    assert "AVERAGE_POOL_2D" in ops and "RESIZE_BILINEAR" in ops
    assert not any(op.startswith("Flex") for op in ops)

    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(6)
    inputs = [rng.random((1, 32, 32, 1)).astype(np.float32), rng.random((1, 32, 32, 1)).astype(np.float32)]
    inputs.append(rng.random((1, 96, 64, 1)).astype(np.float32))
    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        (position,) = [i for i, name in enumerate(("full_guide", "guide", "source")) if name in detail["name"]][:1]
        interpreter.set_tensor(detail["index"], inputs[(2, 0, 1)[position]])
    interpreter.invoke()
    result = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(result, model(inputs).numpy(), atol=1e-4)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"radius": 0}, "radius"),
        ({"radius": 2.5}, "radius"),
        ({"radius": 2**30}, r"`radius` must be at most 1073741823 \(2\*\*30 - 1: the window, 2 \* radius \+ 1 pixels, must fit in an int32\)\. Received: radius=1073741824"),
        ({"epsilon": 0}, "epsilon"),
        ({"epsilon": "x"}, "epsilon"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GuidedFilter(**kwargs)


def test_bad_inputs():
    layer = GuidedFilter(2)
    one = np.zeros((1, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="expects"):
        layer([one])
    with pytest.raises(ValueError, match="same height and width"):
        layer([one, np.zeros((1, 9, 8, 1), np.float32)])
    with pytest.raises(ValueError, match="1 channel or as many"):
        layer([np.zeros((1, 8, 8, 2), np.float32), np.zeros((1, 8, 8, 3), np.float32)])
    with pytest.raises(ValueError, match="rank 4"):
        layer([np.zeros((8, 8, 1), np.float32), np.zeros((8, 8, 1), np.float32)])
