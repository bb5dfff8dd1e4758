"""He et al.'s airlight estimate as a layer (`DarkChannelAirlight`) against a
NumPy reference, the learned gate that blends it into the coherent
dehazer's airlight (`coherent_dehazer(airlight_prior=True)`), loading a
model trained without it, and TFLite builtins."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.dark_channel_prior import dark_channel
from kfreqgan.data import haze
from kfreqgan.data import photo_patches
from kfreqgan.layers import DarkChannelAirlight
from kfreqgan.layers import GatedBlend
from kfreqgan.models import coherent_dehazer
from kfreqgan.models.coherent_dehazer import transmission_model
from kfreqgan.training import configs
from kfreqgan.training import train


def reference(image, radius, fraction):
    """The candidates' mean colour and mean dark channel, in NumPy. The
    minimum filter makes plateaus of equal dark values; among them the
    lower (row-major) index is taken first, as `tf.math.top_k` does."""
    dark = dark_channel(image, 2 * radius + 1).ravel()
    count = max(1, int(round(fraction * dark.size)))
    top = np.argsort(-dark, kind="stable")[:count]
    return image.reshape(-1, image.shape[-1])[top].mean(axis=0), dark[top].mean()


@pytest.mark.parametrize(
    "radius, fraction, shape",
    [
        (7, 0.001, (64, 96)),
        (2, 0.01, (33, 20)),
        (3, 1.0, (9, 9)),
        (1, 1e-6, (16, 16)),
        # Shares of half a pixel: `fraction * height * width` made 11 here
        # (the reference 10), and a float32 product 23 of 22.5 in the graph.
        (1, 0.01, (70, 15)),
        (2, 0.001, (150, 150)),
    ],
)
def test_dark_channel_airlight_equals_a_numpy_reference(radius, fraction, shape):
    images = np.random.default_rng(radius).random((3, *shape, 3)).astype("float32")
    colour, opacity = DarkChannelAirlight(radius, fraction)(images)
    assert colour.shape == (3, 3) and opacity.shape == (3, 1)
    for image, c, o in zip(images, colour.numpy(), opacity.numpy()):
        want_colour, want_opacity = reference(image, radius, fraction)
        np.testing.assert_allclose(c, want_colour, rtol=1e-5)
        np.testing.assert_allclose(o[0], want_opacity, rtol=1e-5)
    # Unknown height and width (and channels): the same count, computed in the graph
    # (a Keras model of such an Input runs eagerly, with the sizes known).
    layer = DarkChannelAirlight(radius, fraction)
    for spec in ((None, None, None, 3), (None, None, None, None)):
        graph = tf.function(layer, input_signature=[tf.TensorSpec(spec)])
        for got, want in zip(graph(images), (colour, opacity)):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_in_dense_haze_the_estimate_is_the_airlight_and_the_candidates_are_opaque():
    """Where the haze is dense the most haze-opaque pixels are nearly all
    airlight (tinted, per channel); in clear photos the candidates are
    far less opaque."""
    clear = photo_patches(("rocket", "chelsea", "motorcycle", "flower"), 64, 2, seed=3, short_side=128)
    depth = np.ones(clear.shape[:3] + (1,), "float32")
    hazy, _, truth = haze.make_hazy_pairs(
        clear, 1, depth=depth, beta_range=(3.0, 3.0), airlight_range=(0.6, 1.0), gray_airlight=False, return_parameters=True
    )
    colour, opacity = DarkChannelAirlight(3, 0.01)(hazy)
    np.testing.assert_allclose(colour.numpy(), truth["airlight"].numpy(), atol=0.03)
    _, clear_opacity = DarkChannelAirlight(3, 0.01)(clear)
    assert float(np.min(opacity)) > float(np.max(clear_opacity)) - 0.05
    assert float(np.mean(opacity)) > float(np.mean(clear_opacity)) + 0.2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"top_fraction": 0.0}, "top_fraction"),
        ({"top_fraction": 1.5}, "top_fraction"),
        ({"top_fraction": True}, "top_fraction"),
        ({"top_fraction": "0.1"}, "top_fraction"),
        ({"radius": 0}, "radius"),
    ],
)
def test_dark_channel_airlight_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DarkChannelAirlight(**kwargs)


def test_dark_channel_airlight_refuses_an_image_of_another_rank():
    with pytest.raises(ValueError, match=r"expects \(batch, height, width, channels\)"):
        DarkChannelAirlight()(np.zeros((8, 8, 3), "float32"))


@pytest.mark.parametrize(
    "shapes, match",
    [
        ([(2, 3), (2, 3)], r"takes a list \[gate, a, b\] of three tensors"),
        ([(2, 1), (2, 1), (2, 3)], r"`a` and `b` differ. Received: a.shape=\((2|None), 1\), b.shape=\((2|None), 3\)"),
        ([(2, 2), (2, 3), (2, 3)], r"gate must have the shape of `a` or one channel"),
        ([(2, 1, 1), (2, 3), (2, 3)], r"gate must have .* Received: gate.shape=\((2|None), 1, 1\)"),
    ],
)
def test_gated_blend_refuses_shapes_that_would_broadcast(shapes, match):
    """A grey `a` against a colour `b` gave three channels where the layer
    declared one; a gate of rank 3 blended every example with every other."""
    with pytest.raises(ValueError, match=match):
        GatedBlend()([np.full(shape, 0.5, "float32") for shape in shapes])
    with pytest.raises(ValueError, match=match):
        GatedBlend()([keras.Input(shape[1:]) for shape in shapes])


def test_gated_blend_moves_from_one_estimate_to_the_other():
    a, b = np.float32([[0.2, 0.4, 0.6]] * 2), np.float32([[1.0, 0.0, 0.5]] * 2)
    gate = np.float32([[0.0], [0.25]])
    out = GatedBlend()([gate, a, b]).numpy()
    np.testing.assert_allclose(out, [a[0], a[1] + 0.25 * (b[1] - a[1])], rtol=1e-6)


@pytest.fixture(scope="module")
def pair():
    """A small coherent dehazer and the same with the prior, its weights loaded by name."""
    keras.utils.set_random_seed(0)
    plain = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True)
    prior = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True, airlight_prior=True)
    return plain, prior


def test_the_prior_adds_one_weighted_layer_and_starts_halfway_to_the_estimate(pair):
    plain, prior = pair
    weighted = [[layer.name for layer in model.layers if layer.weights] for model in (plain, prior)]
    assert set(weighted[0]) < set(weighted[1]) and [name for name in weighted[1] if name not in weighted[0]] == ["airlight_prior_gate"]
    for layer in plain.layers:
        if layer.weights:
            prior.get_layer(layer.name).set_weights(layer.get_weights())
    images = np.random.default_rng(1).uniform(0.2, 0.9, (2, 48, 64, 3)).astype("float32")
    (t_plain, a_plain), (t_prior, a_prior) = transmission_model(plain)(images), transmission_model(prior)(images)
    colour, _ = keras.Model(prior.inputs, prior.get_layer("airlight_prior").output)(images)
    # The gate starts at 0.5 for every image: the mean of the head's airlight and the estimate's (grey).
    expected = 0.5 * (a_plain.numpy()[:, 0, 0, 0] + np.mean(colour.numpy(), axis=1))
    np.testing.assert_allclose(a_prior.numpy()[:, 0, 0, 0], expected, atol=1e-5)


def test_the_gate_learns_to_take_the_estimate(pair):
    """Trained on the airlight alone, the gate opens toward the estimate
    where it is right (dense haze, a fixed airlight the head starts far
    from), so the airlight error falls below the head's own."""
    _, prior = pair
    model = keras.models.clone_model(prior)
    model.set_weights(prior.get_weights())
    parts = transmission_model(model)
    clear = photo_patches(("rocket", "chelsea", "motorcycle", "flower"), 64, 4, seed=2, short_side=128)
    depth = np.ones(clear.shape[:3] + (1,), "float32")
    hazy, _, truth = haze.make_hazy_pairs(clear, 5, depth=depth, beta_range=(2.5, 3.0), airlight_range=(0.6, 0.65), return_parameters=True)
    a_true = truth["airlight"].numpy()[:, :, None, None]
    gate = model.get_layer("airlight_prior_gate")
    trainable = gate.trainable_variables
    optimizer = keras.optimizers.Adam(0.05)

    def error():
        return float(np.mean(np.abs(parts(hazy)[1].numpy() - a_true)))

    before = error()
    for _ in range(40):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(parts(hazy)[1] - a_true))
        optimizer.apply_gradients(zip(tape.gradient(loss, trainable), trainable))
    after = error()
    assert after < 0.5 * before, (before, after)


def test_a_model_with_the_prior_saves_loads_and_converts_to_tflite_builtins(pair, tmp_path):
    from kfreqgan.export.tflite import convert_to_tflite
    from kfreqgan.export.tflite import run_tflite
    from kfreqgan.export.tflite import tflite_op_names

    _, prior = pair
    images = np.random.default_rng(7).random((1, 48, 64, 3)).astype(np.float32)
    path = str(tmp_path / "prior.keras")
    prior.save(path)
    np.testing.assert_allclose(keras.models.load_model(path)(images).numpy(), prior(images).numpy(), atol=1e-6)
    fixed = keras.Input((48, 64, 3), batch_size=1)
    wrapper = keras.Model(fixed, prior(fixed))
    flatbuffer = convert_to_tflite(wrapper, "float32")
    ops = tflite_op_names(flatbuffer)
    assert not any(op.startswith("Flex") for op in ops) and "TOPK_V2" in ops
    np.testing.assert_allclose(run_tflite(flatbuffer, images), wrapper(images).numpy(), atol=1e-4)


def test_a_model_with_the_prior_loads_without_a_warning(pair, tmp_path):
    """Keras warned on every load (and export) that `airlight_prior` "does
    not have a `build()` method ... has unbuilt state": the layer held a
    sublayer it never built."""
    _, prior = pair
    path = str(tmp_path / "prior.keras")
    prior.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.models.load_model(path)
        keras.Model.from_config(prior.get_config())
        DarkChannelAirlight(radius=2).build((None, 16, 16, 3))
    assert not [str(w.message) for w in caught if "build()" in str(w.message)]


def test_every_layer_that_holds_layers_builds_them():
    import kfreqgan.layers

    for name in kfreqgan.layers.__all__:
        try:
            layer = getattr(kfreqgan.layers, name)()
        except (TypeError, ValueError):  # needs arguments
            continue
        if any(isinstance(value, keras.layers.Layer) for value in vars(layer).values()):
            assert type(layer).build is not keras.layers.Layer.build, name


def test_v11_is_v10_with_its_generator_averaged():
    v10, v11 = configs.get_config("dehaze-v10"), configs.get_config("dehaze-v11")
    assert {key: v11[key] for key in v11 if v11[key] != v10[key]} == {"generator_ema": 0.995}


def test_v12_is_v11_at_half_its_learning_rates_judged_at_its_last_epoch():
    v11, v12 = configs.get_config("dehaze-v11"), configs.get_config("dehaze-v12")
    changed = {key: v12[key] for key in v12 if v12[key] != v11[key]}
    assert changed == {"generator_lr": v11["generator_lr"] / 2, "discriminator_lr": v11["discriminator_lr"] / 2, "keep_best_restore": False}


def test_v13_is_v12_on_catalogue_release_4_with_the_same_validation_photos():
    from kfreqgan.data import photo_sources

    v12, v13 = configs.get_config("dehaze-v12"), configs.get_config("dehaze-v13")
    assert {key: v13[key] for key in v13 if v13[key] != v12[key]} == {"catalogue_release": 4}
    heldout = {photo.key for photo in photo_sources.split_photos(photo_sources.CATALOGUE)["heldout"]}
    assert not set(v13["validation_photos"]) & heldout


def test_v14_is_v13_on_release_5_without_the_benchmark_photo():
    """Release 5's rooms train it; Middlebury's Motorcycle (a D-HAZY
    ground truth) does not; the validation photos stay out of training."""
    from kfreqgan.data import BENCHMARK_PHOTOS
    from kfreqgan.data import photo_sources

    v13, v14 = configs.get_config("dehaze-v13"), configs.get_config("dehaze-v14")
    assert {key: v14[key] for key in v14 if v14[key] != v13[key]} == {
        "catalogue_release": 5,
        "train_photos": ["chelsea", "rocket", "flower"],
    }
    assert "motorcycle" in BENCHMARK_PHOTOS and not set(v14["train_photos"]) & set(BENCHMARK_PHOTOS)
    heldout = {photo.key for photo in photo_sources.split_photos(photo_sources.CATALOGUE)["heldout"]}
    assert not set(v14["validation_photos"]) & heldout


def test_v15_is_v14_with_the_stream_weighted_by_scene():
    """scene_weights: catalogue photos drawn by their scene's odds (a scene
    not named and the bundled photos 1); bad weights refused by name."""
    from types import SimpleNamespace

    v14, v15 = configs.get_config("dehaze-v14"), configs.get_config("dehaze-v15")
    assert {key: v15[key] for key in v15 if v15[key] != v14[key]} == {"scene_weights": {"indoor": 3.0, "close-up": 0.5}}
    assert v14["scene_weights"] is None and train.scene_photo_weights([], 2, None) is None
    photos = [SimpleNamespace(scene=scene) for scene in ("indoor", "outdoor", "close-up")]
    assert train.scene_photo_weights(photos, 2, v15["scene_weights"]) == [3.0, 1.0, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="every training photo a weight of 0"):
        train.scene_photo_weights(photos[:1], 0, {"indoor": 0})
    for value, match in (
        ({"kitchen": 1.0}, "scenes the catalogue does not have: \\['kitchen'\\]"),
        ({"indoor": -1.0}, "finite numbers >= 0"),
        ({"indoor": float("inf")}, "finite numbers >= 0"),
        ({"indoor": 10**400}, "finite numbers >= 0"),  # an OverflowError once the photos had loaded
        ({"indoor": True}, "finite numbers >= 0"),
        ({}, "None or a dict of scenes"),
        ({"indoor": 0, "outdoor": 0.0, "close-up": 0}, "every scene of the catalogue a weight of 0"),
        ([3.0], "expects dict"),
    ):
        with pytest.raises(ValueError, match=match) as error:
            configs.get_config("dehaze-v15", {"scene_weights": value})
        assert isinstance(value, list) or str(error.value).endswith(f"Received: scene_weights={value!r}")  # was the bad ones alone
    with pytest.raises(ValueError, match="does not use"):
        configs.get_config("dehaze-v2", {"photo_catalogue": False, "scene_weights": {"indoor": 2.0}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a float32 compared with the largest float64 warned of an overflow
        assert configs.get_config("dehaze-v15", {"scene_weights": {"indoor": np.float32(3)}})["scene_weights"] == {"indoor": 3}


def test_v16_is_v15_from_scratch_at_v2s_rates():
    v2, v15, v16 = (configs.get_config(name) for name in ("dehaze-v2", "dehaze-v15", "dehaze-v16"))
    assert {key: v16[key] for key in v16 if v16[key] != v15[key]} == {
        "epochs": 60,
        "generator_lr": 5e-4,
        "discriminator_lr": 2e-4,
        "learning_rate_drops": [[12, 0.3]],
    }
    assert v16["init_generator"] is None and (v16["generator_lr"], v16["discriminator_lr"]) == (v2["generator_lr"], v2["discriminator_lr"])


def test_v17_is_v15_with_the_transmission_held_to_the_truth():
    v15, v17 = configs.get_config("dehaze-v15"), configs.get_config("dehaze-v17")
    assert {key: v17[key] for key in v17 if v17[key] != v15[key]} == {"transmission_supervision_weight": 50.0}
    assert train.build_gan(configs.get_config("dehaze-v17", {"coarse_size": 32, "generator_filters": 4})).transmission_supervision_weight == 50.0


def test_v10_is_v9_with_the_prior_and_starts_from_a_model_without_it(tmp_path):
    v9, v10 = configs.get_config("dehaze-v9"), configs.get_config("dehaze-v10")
    assert {key: v10[key] for key in v10 if v10[key] != v9[key]} == {"airlight_prior": True}
    assert configs.coherent_dehazer_arguments(v10)["airlight_prior"] is True
    old = {key: value for key, value in v9.items() if key != "airlight_prior"}
    assert configs.coherent_dehazer_arguments(old)["airlight_prior"] is False
    with pytest.raises(ValueError, match="`airlight_prior` blends the coherent generator's airlight"):
        configs.get_config("dehaze-v2", {"airlight_prior": True, "generator_architecture": "unet"})
    with pytest.raises(ValueError, match="expects bool"):
        configs.get_config("dehaze-v10", {"airlight_prior": 1})
    # init_generator: a model without the prior loads by name, the gate is new.
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    source = train.build_gan(configs.get_config("dehaze-v9", tiny)).generator
    path = str(tmp_path / "v9.keras")
    source.save(path)
    config = configs.get_config("dehaze-v10", dict(tiny, init_generator=path))
    generator = train.build_gan(config).generator
    record = train.initialise_generator(generator, config)
    assert record["new_layers"] == ["airlight_prior_gate"]
    np.testing.assert_array_equal(generator.get_layer("airlight_estimate").get_weights()[0], source.get_layer("airlight_estimate").get_weights()[0])
    # The other way round is another architecture, refused as before.
    back = train.build_gan(configs.get_config("dehaze-v9", dict(tiny, init_generator=path))).generator
    generator.save(path)
    with pytest.raises(ValueError, match="another architecture"):
        train.initialise_generator(back, configs.get_config("dehaze-v9", dict(tiny, init_generator=path)))
