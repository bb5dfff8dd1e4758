"""Supervising a dehazer's haze model with the synthetic haze's true
parameters: `losses.haze_parameter_loss` against NumPy,
`whole_photo_pairs(return_parameters=True)` handing over the truth of the
very images it yields, `FreqGAN(airlight_supervision_weight=...,
transmission_supervision_weight=...)` and the `dehaze-v9` config."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import losses
from kfreqgan.data import photo_patches
from kfreqgan.data import whole_photos
from kfreqgan.models import FreqGAN
from kfreqgan.models import coherent_dehazer
from kfreqgan.models import dcgan_discriminator
from kfreqgan.models import dcgan_generator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models import unet_generator
from kfreqgan.models.coherent_dehazer import transmission_model
from kfreqgan.models.scattering import scattering_view
from kfreqgan.training import configs
from kfreqgan.training import train


@pytest.fixture(scope="module")
def clear():
    """16 real 32x32 patches of the training photos."""
    return photo_patches(("rocket", "chelsea", "motorcycle", "flower"), 32, 4, seed=5, short_side=96)


def depth_transmission(n, size, seed=0):
    """A transmission that falls from bottom to top, its range per image."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(1.0, 0.0, size, dtype="float32")[None, :, None, None]
    beta = rng.uniform(0.5, 2.5, (n, 1, 1, 1)).astype("float32")
    return np.exp(-beta * (0.2 + rows)) * np.ones((1, 1, size, 1), "float32")


def hazed(clear, seed=0):
    """Hazy images with their true `t` and a tinted airlight per image."""
    n = len(clear)
    t = depth_transmission(n, clear.shape[1], seed)
    rng = np.random.default_rng(seed + 100)
    a = (rng.uniform(0.6, 1.0, (n, 1, 1, 1)) + rng.uniform(-0.05, 0.05, (n, 1, 1, 3))).astype("float32")
    return (clear * t + a * (1 - t)).astype("float32"), t, a


# --- the loss -------------------------------------------------------------------


def test_haze_parameter_loss_is_the_mean_absolute_error_per_example():
    rng = np.random.default_rng(0)
    t, t_true = rng.uniform(size=(2, 3, 8, 8, 1))
    got = losses.haze_parameter_loss(t.astype("float32"), t_true.astype("float32"), "transmission").numpy()
    np.testing.assert_allclose(got, [np.mean(np.abs(t[i] - t_true[i])) for i in range(3)], rtol=1e-6)
    # A grey airlight against a tinted one: each channel against the grey.
    grey, tinted = rng.uniform(size=(3, 1, 1, 1)), rng.uniform(size=(3, 1, 1, 3))
    got = losses.haze_parameter_loss(grey, tinted, "airlight").numpy()
    np.testing.assert_allclose(got, np.abs(tinted - grey).mean(axis=(1, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(losses.haze_parameter_loss(tinted, grey).numpy(), got, rtol=1e-6)
    assert np.all(losses.haze_parameter_loss(t, t).numpy() == 0.0)


@pytest.mark.parametrize(
    "predicted, true, message",
    [
        ((3, 8, 8), (3, 8, 8, 1), "The predicted transmission must be rank 4"),
        ((3, 8, 8, 1), (3, 64), "The true transmission must be rank 4"),
        ((1, 8, 8, 1), (3, 8, 8, 1), r"predicted.shape=\(1, 8, 8, 1\), true.shape=\(3, 8, 8, 1\)"),
        ((3, 4, 4, 1), (3, 8, 8, 1), "same batch, height and width"),
        ((3, 1, 1, 1), (3, 8, 8, 1), "same batch, height and width"),
        ((3, 8, 8, 2), (3, 8, 8, 3), "same channels or one of them 1"),
    ],
)
def test_haze_parameter_loss_refuses_shapes_that_would_pair_wrongly(predicted, true, message):
    with pytest.raises(ValueError, match=message):
        losses.haze_parameter_loss(np.zeros(predicted, "float32"), np.zeros(true, "float32"), "transmission")


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_haze_parameter_loss_refuses_parameters_that_are_not_float(dtype):
    """A cast took an integer map (0 or 255 where 0.0 to 1.0 was meant)
    as a plausible target, and trained toward it."""
    t = np.ones((2, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match=rf"The true transmission must be a floating tensor .*Received: dtype={dtype}"):
        losses.haze_parameter_loss(t, t.astype(dtype), "transmission")
    with pytest.raises(ValueError, match=rf"The predicted airlight must be a floating tensor .*Received: dtype={dtype}"):
        losses.haze_parameter_loss(t[:, :1, :1].astype(dtype), t[:, :1, :1], "airlight")


@pytest.mark.parametrize(
    "predicted, true",
    [((2, 8, 8, 1), (1, 8, 8, 1)), ((2, 8, 8, 1), (2, 1, 1, 1)), ((2, 8, 8, 1), (2, 4, 4, 1)), ((2, 1, 1, 3), (2, 1, 1, 2))],
)
def test_haze_parameter_loss_checks_shapes_known_only_in_the_graph_there(predicted, true):
    """A dataset of unknown sizes: a truth of one example or one pixel
    broadcast silently to a plausible number."""
    loss = tf.function(losses.haze_parameter_loss, input_signature=[tf.TensorSpec((None,) * 4)] * 2)
    assert loss(np.zeros(predicted, "float32"), np.zeros(predicted, "float32")).shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="The predicted and true parameter must have the same batch, height"):
        loss(np.zeros(predicted, "float32"), np.zeros(true, "float32"))


# --- the data -------------------------------------------------------------------


def test_whole_photo_pairs_hand_over_the_truth_of_the_images_they_yield():
    """The same images with or without the parameters, and the parameters
    re-make each hazy image (where the haze did not clip it)."""
    rng = np.random.default_rng(3)
    photos = [rng.uniform(0.05, 0.95, (64, 80, 3)).astype("float32") for _ in range(2)]
    depths = whole_photos.depth_maps(photos, 2, seed=0)
    options = dict(examples=8, batch_size=4, seed=4, airlight_tint=0.05)
    plain = list(whole_photos.whole_photo_pairs(photos, depths, 32, **options))
    with_truth = list(whole_photos.whole_photo_pairs(photos, depths, 32, return_parameters=True, **options))
    assert len(plain) == len(with_truth) == 2
    for (hazy, clean), (hazy2, clean2, truth) in zip(plain, with_truth):
        np.testing.assert_array_equal(hazy, hazy2)
        np.testing.assert_array_equal(clean, clean2)
        t, a = truth["transmission"].numpy(), truth["airlight"].numpy()
        assert t.shape == (4, 32, 32, 1) and a.shape == (4, 1, 1, 3)
        assert 0.0 < t.min() and t.max() <= 1.0 and 0.55 <= a.min() and a.max() <= 1.0
        np.testing.assert_allclose(hazy2, np.clip(clean2 * t + a * (1 - t), 0, 1), atol=2e-6)
        assert float(np.std(a[:, 0, 0, 0])) > 0.02  # an airlight per example
    grey = next(iter(whole_photos.whole_photo_pairs(photos, depths, 32, return_parameters=True, examples=4, batch_size=4, seed=0)))
    assert grey[2]["airlight"].shape == (4, 1, 1, 1)


# --- FreqGAN --------------------------------------------------------------------


def supervised_gan(seed=0, **weights):
    keras.utils.set_random_seed(seed)
    gan = FreqGAN(
        coherent_dehazer(coarse_size=32, filters=8, grey_airlight=True),
        patchgan_discriminator((32, 32, 3), 3, 4, 2),
        adversarial_weight=0.0,
        l1_weight=0.0,
        frequency_loss=None,
        **weights,
    )
    gan.compile(keras.optimizers.Adam(3e-3), keras.optimizers.Adam(1e-4))
    return gan


def with_truth(hazy, clear, t, a):
    return tf.data.Dataset.from_tensor_slices((hazy, clear, {"transmission": t, "airlight": a}))


@pytest.mark.parametrize(
    "weights",
    [
        {"airlight_supervision_weight": 3.0},
        {"transmission_supervision_weight": 2.0},
        {"airlight_supervision_weight": 3.0, "transmission_supervision_weight": 2.0},
    ],
)
def test_one_step_adds_each_weighted_error_at_the_weights_before_it(clear, weights):
    """g_loss of one step (every other loss off) is the weights times the
    batch means of |A - A_true| and |t - t_true| of the generator's own
    airlight and transmission before the step; each is logged unweighted."""
    hazy, t_true, a_true = hazed(clear[:8])
    gan = supervised_gan(**weights)
    _, t, a = scattering_view(gan.generator)(hazy)
    errors = {
        "airlight_supervision_weight": ("g_airlight", np.mean(np.abs(a.numpy() - a_true))),
        "transmission_supervision_weight": ("g_transmission", np.mean(np.abs(t.numpy() - t_true))),
    }
    logs = gan.fit(with_truth(hazy, clear[:8], t_true, a_true).batch(8), epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["g_loss"][0], sum(w * errors[key][1] for key, w in weights.items()), rtol=1e-4)
    for key in errors:
        name, error = errors[key]
        if key in weights:
            np.testing.assert_allclose(logs[name][0], error, rtol=1e-4)
        else:
            assert name not in logs


def test_airlight_supervision_alone_brings_the_airlight_onto_the_truth(clear):
    """Not merely toward it, as the re-hazing loss with a wrong transmission
    does: nothing else in the term can make up for the airlight."""
    _, t_true, _ = hazed(clear, seed=1)
    a_true = np.broadcast_to(np.float32([0.62, 0.6, 0.58]), (len(clear), 1, 1, 3))  # a grey's best: 0.013
    hazy = (clear * t_true + a_true * (1 - t_true)).astype("float32")
    gan = supervised_gan(airlight_supervision_weight=100.0)
    parts = transmission_model(gan.generator)

    def error():
        return float(np.mean(np.abs(parts(hazy)[1].numpy() - a_true)))

    before = error()
    gan.fit(with_truth(hazy, clear, t_true, a_true).batch(8).repeat(20), epochs=1, verbose=0)
    after = error()
    assert before > 0.15 and after < 0.03, (before, after)


def test_supervision_without_the_truth_in_the_data_is_named(clear):
    hazy, _, _ = hazed(clear[:8])
    gan = supervised_gan(airlight_supervision_weight=1.0)
    with pytest.raises(ValueError, match=re.escape("need the haze's true parameters") + ".*Received: no third element"):
        gan.fit(tf.data.Dataset.from_tensor_slices((hazy, clear[:8])).batch(8), epochs=1, verbose=0)
    wrong = tf.data.Dataset.from_tensor_slices((hazy, clear[:8], {"t": hazy[..., :1]})).batch(8)
    with pytest.raises(ValueError, match=re.escape("with keys ['t']")):
        gan.fit(wrong, epochs=1, verbose=0)


def test_supervision_refuses_a_truth_of_integers_or_of_the_wrong_size_in_a_dataset_of_unknown_sizes(clear):
    """Both trained without a word: an integer truth cast to 0s and 1s, and
    a one-pixel transmission broadcast over the image."""
    hazy, t, a = hazed(clear[:4])
    gan = supervised_gan(airlight_supervision_weight=1.0, transmission_supervision_weight=1.0)
    with pytest.raises(ValueError, match="The true airlight must be a floating tensor .*Received: dtype=int32"):
        gan.fit(with_truth(hazy, clear[:4], t, a.astype("int32")).batch(4), epochs=1, verbose=0)
    images = tf.TensorSpec((None, None, 3))
    signature = (images, images, {"transmission": tf.TensorSpec((None, None, None)), "airlight": tf.TensorSpec((None, None, None))})

    def examples():
        for i in range(4):
            yield hazy[i], clear[i], {"transmission": t[i, :1, :1], "airlight": a[i]}

    data = tf.data.Dataset.from_generator(examples, output_signature=signature).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="The predicted and true transmission must have the same batch"):
        gan.fit(data, epochs=1, verbose=0)


def test_freqgan_refuses_supervision_without_a_haze_model_a_pair_or_a_weight():
    with pytest.raises(ValueError, match="InvertScattering"):
        FreqGAN(
            unet_generator((32, 32, 3), 4, 2, bands=None, head="residual"),
            patchgan_discriminator((32, 32, 3), 3, 4, 2),
            airlight_supervision_weight=1.0,
        )
    with pytest.raises(ValueError, match="`transmission_supervision_weight` holds .* paired mode only"):
        FreqGAN(dcgan_generator(8, 32, 3, 8), dcgan_discriminator((32, 32, 3), 8), mode="unconditional", transmission_supervision_weight=1.0)
    for value in (-1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="airlight_supervision_weight"):
            FreqGAN(coherent_dehazer(coarse_size=32, filters=4), patchgan_discriminator((32, 32, 3), 3, 4, 2), airlight_supervision_weight=value)


def test_supervision_weights_survive_the_config_and_old_configs_load():
    gan = FreqGAN(
        coherent_dehazer(coarse_size=32, filters=4),
        patchgan_discriminator((32, 32, 3), 3, 4, 2),
        airlight_supervision_weight=4.0,
        transmission_supervision_weight=0.5,
    )
    restored = FreqGAN.from_config(gan.get_config())
    assert (restored.airlight_supervision_weight, restored.transmission_supervision_weight) == (4.0, 0.5)
    assert restored._scattering_view is not None
    config = gan.get_config()
    del config["airlight_supervision_weight"], config["transmission_supervision_weight"]
    old = FreqGAN.from_config(config)
    assert (old.airlight_supervision_weight, old.transmission_supervision_weight) == (0.0, 0.0)
    assert old._scattering_view is None


# --- the config -----------------------------------------------------------------

TINY = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}


def test_v9_is_v8s_control_with_the_airlight_supervised():
    v8, v9 = configs.get_config("dehaze-v8"), configs.get_config("dehaze-v9")
    assert {key: v9[key] for key in v9 if v9[key] != v8[key]} == {"rehazing_weight": 0.0, "airlight_supervision_weight": 100.0}
    gan = train.build_gan(configs.get_config("dehaze-v9", TINY))
    assert (gan.airlight_supervision_weight, gan.transmission_supervision_weight, gan.rehazing_weight) == (100.0, 0.0, 0.0)
    assert train.supervises_haze(v9) and not train.supervises_haze(v8)
    # A run folder's config from before the keys builds what it built then.
    old = {key: value for key, value in configs.get_config("dehaze-v8", TINY).items() if "supervision" not in key}
    assert not train.supervises_haze(old) and train.build_gan(old).airlight_supervision_weight == 0.0


@pytest.mark.parametrize("key", ["airlight_supervision_weight", "transmission_supervision_weight"])
def test_config_refuses_supervision_a_generator_cannot_take(key):
    with pytest.raises(ValueError, match=f"`{key}` must be"):
        configs.get_config("dehaze-v9", {key: -1.0})
    with pytest.raises(ValueError, match=f"`{key}` holds .* this config's generator has none"):
        configs.get_config("dehaze-rgb-64", {key: 5.0, "generator_head": "residual"})
    with pytest.raises(ValueError, match=f"has no key '{key}'"):
        configs.get_config("dcgan-32", {key: 1.0})
    assert train.build_gan(configs.get_config("dehaze-rgb-64", {key: 5.0})).get_config()[key] == 5.0


def test_patch_configs_hand_the_truth_to_the_training_data():
    """The patch path (`train_photos` crops, haze per example) yields the
    truth when a supervision weight is on, and the same pairs either way."""
    config = configs.get_config("dehaze-rgb-64", {"patches_per_photo": 2, "batch_size": 4})
    supervised = dict(config, transmission_supervision_weight=1.0)
    plain, _, _ = train.dehazing_data(config, 4)
    truth, eval_hazy, _ = train.dehazing_data(supervised, 4)
    (hazy, clean), (hazy2, clean2, parameters) = next(iter(plain)), next(iter(truth))
    np.testing.assert_array_equal(hazy, hazy2)
    t, a = parameters["transmission"].numpy(), parameters["airlight"].numpy()
    assert t.shape == (4, 64, 64, 1) and a.shape == (4, 1, 1, 1)
    np.testing.assert_allclose(hazy2, clean2 * t + a * (1 - t), atol=2e-6)
    assert eval_hazy.shape[1:] == (64, 64, 3)
