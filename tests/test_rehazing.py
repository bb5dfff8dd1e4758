"""The re-hazing loss: the haze model's parts of a dehazer (`scattering_view`),
the loss against a NumPy reference and its error formula, and
`FreqGAN(rehazing_weight=...)` training a dehazer's transmission and
airlight toward the pair's haze."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import losses
from kfreqgan.data import photo_patches
from kfreqgan.layers import InvertScattering
from kfreqgan.models import FreqGAN
from kfreqgan.models import coherent_dehazer
from kfreqgan.models import dcgan_discriminator
from kfreqgan.models import dcgan_generator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models import unet_generator
from kfreqgan.models.coherent_dehazer import transmission_model
from kfreqgan.models.scattering import scattering_view


@pytest.fixture(scope="module")
def clear():
    """24 real 32x32 patches of the training photos."""
    return photo_patches(("rocket", "chelsea", "motorcycle", "flower"), 32, 6, seed=5, short_side=96)


def haze(clear, transmission, airlight):
    return clear * transmission + airlight * (1.0 - transmission)


def depth_transmission(n, size, seed=0):
    """A transmission that falls from bottom to top, its range per image."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(1.0, 0.0, size, dtype="float32")[None, :, None, None]
    beta = rng.uniform(0.5, 2.5, (n, 1, 1, 1)).astype("float32")
    return np.exp(-beta * (0.2 + rows)) * np.ones((1, 1, size, 1), "float32")


# --- the loss -------------------------------------------------------------------


def test_rehazing_loss_equals_a_numpy_reference_and_its_error_formula(clear):
    n = len(clear)
    t_true = depth_transmission(n, 32)
    a_true = np.full((n, 1, 1, 3), 0.8, "float32")
    hazy = haze(clear, t_true, a_true)
    rng = np.random.default_rng(1)
    t = np.clip(t_true + rng.normal(0, 0.1, t_true.shape), 0, 1).astype("float32")
    a = (a_true + rng.choice([-0.05, 0.05], (n, 1, 1, 1))).astype("float32")

    got = losses.rehazing_loss(hazy, clear, t, a).numpy()
    reference = np.array([np.mean(np.abs(hazy[i] - (clear[i] * t[i] + a[i] * (1 - t[i])))) for i in range(n)])
    np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-7)
    # The per-pixel error the docstring states.
    formula = (clear - a) * (t - t_true) + (a - a_true) * (1 - t_true)
    np.testing.assert_allclose(got, np.abs(formula).mean(axis=(1, 2, 3)), rtol=1e-4, atol=1e-6)
    # Zero at the truth, and each wrong part alone costs.
    np.testing.assert_allclose(losses.rehazing_loss(hazy, clear, t_true, a_true).numpy(), 0.0, atol=1e-6)
    assert np.all(losses.rehazing_loss(hazy, clear, t_true, a).numpy() > 1e-3)
    assert np.all(losses.rehazing_loss(hazy, clear, t, a_true).numpy() > 1e-3)


@pytest.mark.parametrize(
    "t_shape, a_shape",
    [((2, 8, 8), (2, 1, 1, 3)), ((2, 8, 8, 1), (2, 3))],
)
def test_rehazing_loss_refuses_parts_of_another_rank(t_shape, a_shape):
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    with pytest.raises(ValueError, match="must be rank 4"):
        losses.rehazing_loss(images, images, np.ones(t_shape, "float32"), np.ones(a_shape, "float32"))


@pytest.mark.parametrize(
    "image_shape, t_shape, a_shape",
    [
        ((2, 8, 8, 1), (2, 8, 8, 1), (2, 1, 1, 1)),  # a grey image
        ((2, 8, 8, 3), (2, 8, 8, 3), (2, 1, 1, 3)),  # a transmission per channel
        ((2, 8, 8, 3), (2, 8, 8, 1), (2, 1, 1, 1)),  # a grey airlight
        ((2, 8, 8, 3), (2, 8, 8, 1), (2, 8, 8, 3)),  # an airlight map
    ],
)
def test_rehazing_loss_takes_each_shape_of_its_parts(image_shape, t_shape, a_shape):
    rng = np.random.default_rng(6)
    hazy, clear = (rng.uniform(size=image_shape).astype("float32") for _ in range(2))
    t, a = rng.uniform(0.1, 1, t_shape).astype("float32"), rng.uniform(size=a_shape).astype("float32")
    reference = np.abs(hazy - (clear * t + a * (1 - t))).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(losses.rehazing_loss(hazy, clear, t, a).numpy(), reference, rtol=1e-5)


@pytest.mark.parametrize(
    "t_shape, a_shape, name",
    [
        ((1, 8, 8, 1), (2, 1, 1, 3), "transmission"),  # one map for the batch
        ((2, 4, 4, 1), (2, 1, 1, 3), "transmission"),  # a coarse map
        ((2, 8, 8, 2), (2, 1, 1, 3), "transmission"),
        ((2, 8, 8, 1), (1, 1, 1, 3), "airlight"),  # one airlight for the batch
        ((2, 8, 8, 1), (2, 1, 1, 2), "airlight"),
        ((2, 8, 8, 1), (2, 4, 4, 3), "airlight"),
    ],
)
def test_rehazing_loss_refuses_parts_that_would_broadcast_to_a_wrong_pairing(t_shape, a_shape, name):
    """A batch of one or a coarse map broadcast silently (a plausible number
    for a wrong pairing); the others failed in TensorFlow's Mul/AddV2, not
    with a ValueError."""
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    shape = t_shape if name == "transmission" else a_shape
    with pytest.raises(ValueError, match=rf"`{name}` must have the shape .* Received: {name}.shape=\({shape[0]}, "):
        losses.rehazing_loss(images, images, np.ones(t_shape, "float32"), np.ones(a_shape, "float32"))


@pytest.mark.parametrize(
    "t_shape, a_shape, name",
    [
        ((1, 8, 8, 1), (2, 1, 1, 3), "transmission"),  # one map for the batch
        ((2, 4, 4, 1), (2, 1, 1, 3), "transmission"),  # a coarse map
        ((2, 1, 1, 1), (2, 1, 1, 3), "transmission"),  # one pixel
        ((2, 8, 8, 1), (1, 1, 1, 3), "airlight"),  # one airlight for the batch
    ],
)
def test_rehazing_loss_checks_shapes_known_only_in_the_graph_there(t_shape, a_shape, name):
    """Each of these broadcast silently where the sizes are known only when
    the graph runs (a dataset of unknown sizes)."""
    spec = tf.TensorSpec((None,) * 4)
    loss = tf.function(losses.rehazing_loss, input_signature=[spec] * 4)
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    assert loss(images, images, np.ones((2, 8, 8, 1), "float32"), np.ones((2, 1, 1, 3), "float32")).shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError, match=rf"`{name}` must have the shape .* Received: {name}.shape="):
        loss(images, images, np.ones(t_shape, "float32"), np.ones(a_shape, "float32"))


@pytest.mark.parametrize("dtype", ["int32", "bool"])
def test_rehazing_loss_refuses_parts_that_are_not_float(dtype):
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    t, a = np.ones((2, 8, 8, 1), "float32"), np.ones((2, 1, 1, 3), "float32")
    with pytest.raises(ValueError, match=rf"The transmission must be a floating tensor .*Received: dtype={dtype}"):
        losses.rehazing_loss(images, images, t.astype(dtype), a)
    with pytest.raises(ValueError, match=rf"The airlight must be a floating tensor .*Received: dtype={dtype}"):
        losses.rehazing_loss(images, images, t, a.astype(dtype))


def test_rehazing_loss_refuses_a_hazy_and_clear_pair_of_different_shapes():
    with pytest.raises(ValueError, match="`hazy` and `clear` must have the same shape"):
        losses.rehazing_loss(np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 9, 3)), np.ones((2, 8, 8, 1)), np.ones((2, 1, 1, 3)))


# --- the view -------------------------------------------------------------------


def test_scattering_view_of_the_coherent_dehazer_is_its_output_and_its_bounded_t():
    model = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True, dark_channel_bound=0.95)
    images = np.random.default_rng(2).uniform(size=(2, 40, 52, 3)).astype("float32")
    output, t, a = (x.numpy() for x in scattering_view(model)(images))
    t_ref, a_ref = (x.numpy() for x in transmission_model(model)(images))
    np.testing.assert_allclose(output, model(images).numpy(), atol=1e-6)
    np.testing.assert_allclose(t, t_ref, atol=1e-6)
    np.testing.assert_allclose(a, a_ref, atol=1e-6)
    # The view's weights are the generator's: changing one changes the other.
    assert {id(v) for v in scattering_view(model).weights} == {id(v) for v in model.weights}


def test_scattering_view_of_the_unet_scattering_head_inverts_to_its_output():
    model = unet_generator((32, 32, 3), 4, 2, bands=None, head="scattering")
    images = np.random.default_rng(3).uniform(0.2, 0.9, size=(2, 32, 32, 3)).astype("float32")
    output, t, a = (x.numpy() for x in scattering_view(model)(images))
    assert t.shape == (2, 32, 32, 1) and a.shape == (2, 1, 1, 3)
    inverted = (images - a * (1 - t)) / np.maximum(t, model.get_layer("output").min_transmission)
    np.testing.assert_allclose(output, inverted, atol=1e-5)


def test_transmission_model_is_the_views_haze_model_for_both_scattering_generators():
    """One way to find t and A: `transmission_model` looked them up by the
    coherent dehazer's layer names, and failed on the U-Net's scattering
    head, which the view (and so the re-hazing loss) takes."""
    images = np.random.default_rng(7).uniform(size=(2, 32, 32, 3)).astype("float32")
    for model in (unet_generator((32, 32, 3), 4, 2, bands=None, head="scattering"), coherent_dehazer(coarse_size=32, filters=4)):
        _, t_view, a_view = scattering_view(model)(images)
        t, a = transmission_model(model)(images)
        np.testing.assert_allclose(t.numpy(), t_view.numpy(), atol=1e-6)
        np.testing.assert_allclose(a.numpy(), a_view.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="InvertScattering"):
        transmission_model(unet_generator((32, 32, 3), 4, 2, bands=None, head="direct"))


def test_scattering_view_refuses_a_generator_without_the_haze_model():
    with pytest.raises(ValueError, match="InvertScattering"):
        scattering_view(unet_generator((32, 32, 3), 4, 2, bands=None, head="direct"))
    with pytest.raises(ValueError, match="must be a keras.Model"):
        scattering_view("dehazer")
    # A Sequential model has no graph to look in (it raised AttributeError).
    sequential = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    with pytest.raises(ValueError, match=r"Functional generator .* Received: generator='.*' \(Sequential\)$"):
        scattering_view(sequential)


def test_scattering_view_takes_the_generators_own_call_of_a_layer_it_shares():
    """A fixed-size copy that shares the generator's layers gives its
    InvertScattering a second call; each model's view takes its own (both
    were refused, the layer being 'called' twice), and one model that
    inverts twice is refused, saying so."""
    generator = coherent_dehazer(coarse_size=32, filters=4)
    fixed = keras.models.clone_model(generator, input_tensors=keras.Input((32, 32, 3)), clone_function=lambda layer: layer)
    images = np.random.default_rng(8).uniform(size=(2, 32, 32, 3)).astype("float32")
    for model in (generator, fixed):
        view = scattering_view(model)
        assert view.inputs[0] is model.inputs[0]
        for got, expected in zip(view(images), scattering_view(generator)(images)):
            np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-6)
    assert FreqGAN(fixed, patchgan_discriminator((32, 32, 3), 3, 4, 2), rehazing_weight=1.0)._scattering_view is not None

    hazy = keras.Input((8, 8, 3))
    transmission = keras.layers.Conv2D(1, 1, activation="sigmoid")(hazy)
    airlight = keras.layers.GlobalAveragePooling2D(keepdims=True)(hazy)
    invert = InvertScattering()
    twice = keras.Model(hazy, invert([invert([hazy, transmission, airlight]), transmission, airlight]))
    with pytest.raises(ValueError, match=r"Received: generator='.*', which calls InvertScattering 2 times$"):
        scattering_view(twice)


def test_scattering_view_refuses_a_generator_that_inverts_another_image_than_its_input():
    """The loss hazes the target to the generator's input: t and A of a
    rescaled input were silently held to the wrong haze."""
    hazy = keras.Input((8, 8, 3))
    scaled = keras.layers.Rescaling(0.5, name="half")(hazy)
    transmission = keras.layers.Conv2D(1, 1, activation="sigmoid")(scaled)
    airlight = keras.layers.GlobalAveragePooling2D(keepdims=True)(scaled)
    model = keras.Model(hazy, InvertScattering()([scaled, transmission, airlight]))
    with pytest.raises(ValueError, match=r"own input image.* Received: generator='.*', which inverts the output of layer 'half'$"):
        scattering_view(model)


# --- FreqGAN --------------------------------------------------------------------


def test_freqgan_refuses_rehazing_without_a_haze_model_or_a_pair():
    with pytest.raises(ValueError, match="InvertScattering"):
        FreqGAN(unet_generator((32, 32, 3), 4, 2, bands=None, head="residual"), patchgan_discriminator((32, 32, 3), 3, 4, 2), rehazing_weight=1.0)
    with pytest.raises(ValueError, match="paired mode only"):
        FreqGAN(dcgan_generator(8, 32, 3, 8), dcgan_discriminator((32, 32, 3), 8), mode="unconditional", rehazing_weight=1.0)
    with pytest.raises(ValueError, match="rehazing_weight"):
        FreqGAN(coherent_dehazer(coarse_size=32, filters=4), patchgan_discriminator((32, 32, 3), 3, 4, 2), rehazing_weight=-1.0)


@pytest.mark.parametrize(
    "option, value, choices",
    [("rehazing_weighting", "strength", "('uniform', 'haze')"), ("rehazing_target", "transmission", "('both', 'airlight')")],
)
def test_freqgan_refuses_an_unknown_rehazing_option(option, value, choices):
    with pytest.raises(ValueError, match=re.escape(f"`{option}` must be one of {choices}. Received: {option}='{value}'")):
        FreqGAN(
            coherent_dehazer(coarse_size=32, filters=4),
            patchgan_discriminator((32, 32, 3), 3, 4, 2),
            rehazing_weight=1.0,
            **{option: value},
        )


def test_freqgan_rehazing_options_survive_its_config():
    gan = FreqGAN(
        coherent_dehazer(coarse_size=32, filters=4),
        patchgan_discriminator((32, 32, 3), 3, 4, 2),
        rehazing_weight=7.0,
        rehazing_weighting="haze",
        rehazing_target="airlight",
    )
    restored = FreqGAN.from_config(gan.get_config())
    assert (restored.rehazing_weight, restored.rehazing_weighting, restored.rehazing_target) == (7.0, "haze", "airlight")
    assert restored._scattering_view is not None
    # A config from before the two options means what it meant then.
    config = gan.get_config()
    del config["rehazing_weighting"], config["rehazing_target"]
    old = FreqGAN.from_config(config)
    assert (old.rehazing_weighting, old.rehazing_target) == ("uniform", "both")


def rehazing_only_gan(weight, smoothness=0.0, seed=0, **options):
    keras.utils.set_random_seed(seed)
    generator = coherent_dehazer(coarse_size=32, filters=8, grey_airlight=True, smoothness_weight=smoothness)
    gan = FreqGAN(
        generator,
        patchgan_discriminator((32, 32, 3), 3, 4, 2),
        adversarial_weight=0.0,
        l1_weight=0.0,
        frequency_loss=None,
        rehazing_weight=weight,
        **options,
    )
    gan.compile(keras.optimizers.Adam(3e-3), keras.optimizers.Adam(1e-4))
    return gan


def test_rehazing_alone_trains_the_airlight_and_transmission_toward_the_pairs_haze(clear):
    """With every other loss off, the re-hazing loss alone moves the
    airlight head (it starts near 0.85) to the pairs' 0.6 and the
    transmission toward the truth: its gradient reaches both parts."""
    n = len(clear)
    t_true = depth_transmission(n, 32, seed=4)
    a_true = 0.6
    hazy = haze(clear, t_true, a_true).astype("float32")
    gan = rehazing_only_gan(100.0)
    parts = transmission_model(gan.generator)

    def errors():
        t, a = (x.numpy() for x in parts(hazy))
        return float(np.mean(np.abs(t - t_true))), float(np.mean(np.abs(a - a_true)))

    t_before, a_before = errors()
    history = gan.fit(tf.data.Dataset.from_tensor_slices((hazy, clear)).batch(8).repeat(15), epochs=1, verbose=0)
    t_after, a_after = errors()
    assert "g_rehazing" in history.history
    assert a_before > 0.15 and a_after < a_before / 3, (a_before, a_after)
    assert t_after < 0.7 * t_before, (t_before, t_after)


def test_the_generators_own_losses_still_count_through_the_view(clear):
    hazy = haze(clear[:8], 0.5, 0.8).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((hazy, clear[:8])).batch(8)
    logs = rehazing_only_gan(1.0, smoothness=1000.0).fit(data, epochs=1, verbose=0).history
    # g_loss = rehazing + the smoothness prior's add_loss (the rest is off).
    assert logs["g_loss"][0] > logs["g_rehazing"][0] + 1e-3
    logs = rehazing_only_gan(1.0).fit(data, epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["g_loss"][0], logs["g_rehazing"][0], rtol=1e-5)


def test_haze_strength_is_the_mean_gap_of_the_pair_and_grows_with_the_haze(clear):
    n = len(clear)
    hazy = haze(clear, depth_transmission(n, 32, seed=3), 0.9).astype("float32")
    reference = np.array([np.mean(np.abs(hazy[i] - clear[i])) for i in range(n)])
    np.testing.assert_allclose(losses.haze_strength(hazy, clear).numpy(), reference, rtol=1e-6)
    strengths = [float(losses.haze_strength(haze(clear, t, 0.9), clear).numpy().mean()) for t in (1.0, 0.9, 0.6, 0.2)]
    assert strengths[0] == 0.0 and strengths == sorted(strengths) and strengths[-1] > 0.2, strengths
    with pytest.raises(ValueError, match="shape"):
        losses.haze_strength(hazy, clear[:, :16])


def test_haze_weighting_multiplies_each_examples_loss_by_its_haze_strength(clear):
    """g_loss of one step (every other loss off) is the weight times the
    batch mean of rehazing_i x strength_i, at the weights before the step;
    the logged g_rehazing stays the unweighted loss."""
    n = 8
    # Haze from thin to dense across the batch.
    t_true = np.linspace(0.95, 0.2, n, dtype="float32")[:, None, None, None] * np.ones((1, 32, 32, 1), "float32")
    hazy = haze(clear[:n], t_true, 0.8).astype("float32")
    gan = rehazing_only_gan(3.0, rehazing_weighting="haze")
    _, t, a = scattering_view(gan.generator)(hazy)
    per_example = losses.rehazing_loss(hazy, clear[:n], t, a).numpy()
    strength = losses.haze_strength(hazy, clear[:n]).numpy()
    logs = gan.fit(tf.data.Dataset.from_tensor_slices((hazy, clear[:n])).batch(n), epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["g_loss"][0], 3.0 * np.mean(per_example * strength), rtol=1e-4)
    np.testing.assert_allclose(logs["g_rehazing"][0], np.mean(per_example), rtol=1e-4)
    assert not np.isclose(np.mean(per_example * strength), np.mean(per_example) * np.mean(strength), rtol=1e-3)


def test_airlight_target_trains_the_airlight_and_leaves_the_transmissions_own_weights(clear):
    """The weights the airlight does not depend on (the transmission's own)
    get no gradient from the loss with `rehazing_target="airlight"`, and
    do with "both"; the airlight still moves toward the pairs' 0.6."""
    n = len(clear)
    hazy = haze(clear, depth_transmission(n, 32, seed=6), 0.6).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((hazy, clear)).batch(8).repeat(10)
    moved = {}
    for target in ("airlight", "both"):
        gan = rehazing_only_gan(100.0, rehazing_target=target)
        variables = gan.generator.trainable_variables
        with tf.GradientTape() as tape:
            _, _, a = scattering_view(gan.generator)(hazy[:8])
            total = tf.reduce_sum(a)
        transmission_only = [v for v, g in zip(variables, tape.gradient(total, variables)) if g is None]
        assert transmission_only, "the coherent dehazer has weights only its transmission uses"
        before = [v.numpy().copy() for v in transmission_only]
        a_before = float(np.mean(np.abs(transmission_model(gan.generator)(hazy)[1].numpy() - 0.6)))
        gan.fit(data, epochs=1, verbose=0)
        moved[target] = max(float(np.max(np.abs(v.numpy() - b))) for v, b in zip(transmission_only, before))
        a_after = float(np.mean(np.abs(transmission_model(gan.generator)(hazy)[1].numpy() - 0.6)))
        # Toward the truth, not onto it: held fixed, an untrained `t`'s
        # errors leave the airlight a compromise.
        assert a_after < 0.95 * a_before, (target, a_before, a_after)
    assert moved["airlight"] == 0.0 and moved["both"] > 1e-3, moved


def test_a_replaced_generator_is_the_one_the_rehazing_loss_trains(clear):
    """`gan.generator = other` (then `compile`): the view built in
    `__init__` kept the old generator's layers, so the re-hazing loss was
    the old generator's and trained it, and the new one got no gradient."""
    n = 8
    hazy = haze(clear[:n], depth_transmission(n, 32, seed=2), 0.7).astype("float32")
    gan = rehazing_only_gan(1.0)
    old = gan.generator
    new = coherent_dehazer(coarse_size=32, filters=8, grey_airlight=True)
    gan.generator = new
    gan.compile(keras.optimizers.Adam(3e-3), keras.optimizers.Adam(1e-4))
    _, t, a = scattering_view(new)(hazy)
    expected = float(np.mean(losses.rehazing_loss(hazy, clear[:n], t, a).numpy()))
    old_before, new_before = ([v.numpy().copy() for v in model.trainable_variables] for model in (old, new))
    logs = gan.fit(tf.data.Dataset.from_tensor_slices((hazy, clear[:n])).batch(n), epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["g_rehazing"][0], expected, rtol=1e-4)
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(old.trainable_variables, old_before))
    assert any(not np.array_equal(v.numpy(), b) for v, b in zip(new.trainable_variables, new_before))
