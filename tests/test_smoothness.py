"""The edge-aware smoothness prior: the loss against a slow loop, what it
means (edges of the guide excuse jumps), the layer that adds it in training
only, `coherent_dehazer`'s option, and FreqGAN counting a generator's own
losses."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import losses
from kfreqgan.layers import EdgeAwareSmoothness
from kfreqgan.models import FreqGAN
from kfreqgan.models import coherent_dehazer
from kfreqgan.models import patchgan_discriminator


def _loop_reference(field, guide, edge_scale):
    """The loss written pixel by pixel."""
    grey = guide.mean(axis=-1)
    out = []
    for n in range(field.shape[0]):
        rows, cols = [], []
        for i in range(field.shape[1]):
            for j in range(field.shape[2]):
                for c in range(field.shape[3]):
                    if i + 1 < field.shape[1]:
                        rows.append(abs(field[n, i + 1, j, c] - field[n, i, j, c]) * np.exp(-edge_scale * abs(grey[n, i + 1, j] - grey[n, i, j])))
                    if j + 1 < field.shape[2]:
                        cols.append(abs(field[n, i, j + 1, c] - field[n, i, j, c]) * np.exp(-edge_scale * abs(grey[n, i, j + 1] - grey[n, i, j])))
        out.append(np.mean(rows) + np.mean(cols))
    return np.array(out)


@pytest.mark.parametrize("edge_scale", [0.0, 10.0])
@pytest.mark.parametrize("channels", [1, 2])
def test_loss_equals_a_pixel_loop(edge_scale, channels):
    rng = np.random.default_rng(0)
    field = rng.random((2, 5, 7, channels)).astype(np.float32)
    guide = rng.random((2, 5, 7, 3)).astype(np.float32)
    got = losses.edge_aware_smoothness(field, guide, edge_scale).numpy()
    np.testing.assert_allclose(got, _loop_reference(field, guide, edge_scale), rtol=1e-5)


def test_a_jump_on_an_edge_of_the_guide_costs_less_than_on_a_flat_guide():
    step = np.zeros((1, 16, 16, 1), np.float32)
    step[:, :, 8:] = 1.0
    flat_guide = np.full((1, 16, 16, 3), 0.5, np.float32)
    edged_guide = np.repeat(step, 3, axis=-1) * 0.6 + 0.2
    on_flat = float(losses.edge_aware_smoothness(step, flat_guide)[0])
    on_edge = float(losses.edge_aware_smoothness(step, edged_guide)[0])
    assert on_flat == pytest.approx(1.0 / 15.0, rel=1e-5)  # one jump of 1 in 15 column steps
    assert on_edge == pytest.approx(np.exp(-6.0) / 15.0, rel=1e-4)
    assert float(losses.edge_aware_smoothness(np.full((1, 16, 16, 1), 0.3), edged_guide)[0]) == 0.0


@pytest.mark.parametrize("edge_scale", [-1.0, True, "10", float("nan")])
def test_loss_refuses_a_bad_edge_scale(edge_scale):
    with pytest.raises(ValueError, match="edge_scale"):
        losses.edge_aware_smoothness(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 3)), edge_scale)


def test_loss_refuses_images_that_are_not_nhwc():
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        losses.edge_aware_smoothness(np.zeros((4, 4, 1)), np.zeros((4, 4, 3)))


def test_layer_is_the_identity_and_adds_its_loss_in_training_only(tmp_path):
    rng = np.random.default_rng(1)
    field = rng.random((2, 8, 9, 1)).astype(np.float32)
    guide = rng.random((2, 8, 9, 3)).astype(np.float32)
    t, image = keras.Input((None, None, 1)), keras.Input((None, None, 3))
    model = keras.Model([t, image], EdgeAwareSmoothness(4.0, edge_scale=5.0)([t, image]))

    np.testing.assert_array_equal(model([field, guide]).numpy(), field)
    assert model.losses == []
    np.testing.assert_array_equal(model([field, guide], training=True).numpy(), field)
    (loss,) = model.losses
    expected = 4.0 * np.mean(_loop_reference(field, guide, 5.0))
    assert float(loss) == pytest.approx(expected, rel=1e-5)

    path = os.path.join(tmp_path, "smooth.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    layer = loaded.layers[-1]
    assert (type(layer).__name__, layer.weight, layer.edge_scale) == ("EdgeAwareSmoothness", 4.0, 5.0)
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == "kfreqgan>EdgeAwareSmoothness"


@pytest.mark.parametrize("kwargs", [{"weight": 0.0}, {"weight": -1.0}, {"weight": True}, {"edge_scale": -2.0}])
def test_layer_refuses_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        EdgeAwareSmoothness(**kwargs)


def test_layer_gradient_flattens_the_field_away_from_edges():
    guide = np.zeros((1, 8, 8, 3), np.float32)
    guide[:, :, 4:] = 1.0  # an edge between columns 3 and 4
    field = tf.Variable(np.random.default_rng(2).random((1, 8, 8, 1)).astype(np.float32))
    layer = EdgeAwareSmoothness(1.0)
    for _ in range(300):
        with tf.GradientTape() as tape:
            layer([field, guide], training=True)
            loss = tf.add_n(layer.losses)
        field.assign_sub(0.05 * tape.gradient(loss, field))
    values = field.numpy()[0, :, :, 0]
    # Each side of the edge flattens far more than the field across it.
    assert values[:, :4].std() < 0.05 and values[:, 4:].std() < 0.05


def test_coherent_dehazer_option_changes_training_not_inference():
    keras.utils.set_random_seed(3)
    plain = coherent_dehazer(coarse_size=32, filters=4)
    smooth = coherent_dehazer(coarse_size=32, filters=4, smoothness_weight=2.0)
    assert "transmission_smoothness" in [layer.name for layer in smooth.layers]
    assert "transmission_smoothness" not in [layer.name for layer in plain.layers]
    smooth.set_weights(plain.get_weights())  # no weights of its own: runs continue across the option
    images = np.random.default_rng(4).random((2, 40, 30, 3)).astype(np.float32)
    np.testing.assert_allclose(smooth(images).numpy(), plain(images).numpy(), atol=1e-6)
    assert smooth.losses == []
    smooth(images, training=True)
    (loss,) = smooth.losses
    assert float(loss) > 0
    for weight in (-1.0, True, "1"):
        with pytest.raises(ValueError, match="smoothness_weight"):
            coherent_dehazer(coarse_size=32, filters=4, smoothness_weight=weight)


def _identity_plus(regularizer):
    x = keras.Input((8, 8, 3))
    identity = keras.initializers.Constant(np.eye(3, dtype=np.float32).reshape(1, 1, 3, 3))
    y = keras.layers.Conv2D(3, 1, kernel_initializer=identity, kernel_regularizer=regularizer, name="conv")(x)
    return keras.Model(x, y)


@pytest.mark.parametrize("mirrored", [False, True])
def test_freqgan_adds_the_generators_own_losses_to_its_loss(mirrored, mirrored_strategy):
    rng = np.random.default_rng(5)
    x = rng.random((4, 8, 8, 3)).astype(np.float32)
    strategy = mirrored_strategy if mirrored else tf.distribute.get_strategy()
    results = {}
    for name, regularizer in (("plain", None), ("regularised", keras.regularizers.L2(3.0))):
        keras.utils.set_random_seed(6)
        with strategy.scope():
            gan = FreqGAN(_identity_plus(regularizer), patchgan_discriminator((8, 8, 3), 3, filters=4, num_layers=1), frequency_loss=None)
            gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
        results[name] = gan.fit(x, x, batch_size=4, epochs=1, verbose=0, shuffle=False).history["g_loss"][0]
    # The identity kernel's squared norm is 3; L2(3.0) adds 3 * 3, once across replicas.
    assert results["regularised"] - results["plain"] == pytest.approx(9.0, rel=1e-4)


def test_layer_loss_is_the_same_under_mirrored_strategy_and_mixed_precision(mirrored_strategy):
    """Keras's fit counts the layer's loss once across replicas, and under
    mixed_float16 the loss is still computed in float32 from the same map."""
    rng = np.random.default_rng(8)
    images = rng.random((4, 8, 8, 3)).astype(np.float32)
    losses_seen = []
    for strategy in (tf.distribute.get_strategy(), mirrored_strategy):
        with strategy.scope():
            keras.utils.set_random_seed(9)
            x = keras.Input((8, 8, 3))
            t = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
            t = EdgeAwareSmoothness(5.0)([t, x])
            model = keras.Model(x, keras.layers.GlobalAveragePooling2D()(t))
            model.compile(keras.optimizers.SGD(0.0), loss="mse")
        history = model.fit(images, np.zeros((4, 1), np.float32), batch_size=4, epochs=1, verbose=0, shuffle=False)
        losses_seen.append(history.history["loss"][0])
    np.testing.assert_allclose(losses_seen[1], losses_seen[0], rtol=1e-4)

    half = EdgeAwareSmoothness(5.0, dtype="mixed_float16")
    field = rng.random((2, 8, 8, 1)).astype(np.float32)
    out = half([tf.cast(field, tf.float16), images[:2]], training=True)
    assert out.dtype == tf.float16 and half.losses[0].dtype == tf.float32
    expected = 5.0 * np.mean(_loop_reference(field.astype(np.float16).astype(np.float32), images[:2], 10.0))
    assert float(half.losses[0]) == pytest.approx(expected, rel=1e-2)
