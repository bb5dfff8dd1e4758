"""GAN stabilizers: each against a slow reference, and each on a tiny case
where it does (or visibly fails to do) its job."""

import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import losses
from kfreqgan.data import photo_patches
from kfreqgan.instance_noise import InstanceNoiseSchedule
from kfreqgan.instance_noise import add_instance_noise
from kfreqgan.layers import MinibatchStdDev
from kfreqgan.models import FreqGAN
from kfreqgan.models import SpectralDiscriminator
from kfreqgan.models import dcgan_discriminator
from kfreqgan.models import dcgan_generator
from kfreqgan.models import dehazing_discriminator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models import unet_generator
from layer_checks import check_layer


@pytest.fixture(scope="module")
def patches():
    """48 real 16x16 patches of the training photos."""
    return photo_patches(("rocket", "chelsea", "motorcycle", "flower"), 16, 12, seed=3, short_side=64)


def small_critic(shape, seed=0, hidden=16, patch=False):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape)
    if patch:
        x = keras.layers.Conv2D(hidden, 3, strides=2, padding="same", activation="tanh")(inputs)
        return keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(x))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(hidden, activation="tanh")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def slow_input_gradient_norms(critic, images):
    """One GradientTape per example: the obvious per-example input gradient."""
    norms = []
    for image in images:
        image = tf.constant(image[np.newaxis], tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(image)
            logit = tf.reduce_mean(critic(image))
        norms.append(float(tf.norm(tape.gradient(logit, image))))
    return np.array(norms)


# --- gradient penalties -------------------------------------------------------


@pytest.mark.parametrize("patch", [False, True])
def test_r1_and_wgan_gp_equal_a_per_example_loop(patches, patch):
    critic = small_critic((16, 16, 3), patch=patch)
    real, fake = patches[:6], patches[6:12][:, ::-1]
    r1 = losses.r1_penalty(critic, real).numpy()
    np.testing.assert_allclose(r1, 0.5 * slow_input_gradient_norms(critic, real) ** 2, rtol=1e-4)

    gp = losses.wasserstein_gradient_penalty(critic, real, fake, seed=42, epsilon=0.0).numpy()
    mix = keras.random.uniform((6, 1, 1, 1), seed=42).numpy()  # the same draw
    between = mix * real + (1 - mix) * fake
    np.testing.assert_allclose(gp, (slow_input_gradient_norms(critic, between) - 1.0) ** 2, rtol=1e-4, atol=1e-7)
    assert r1.shape == gp.shape == (6,)


def test_penalty_under_float16_loss_scaling_matches_float32(patches):
    """A float16 critic whose input gradients underflow without loss scaling:
    with the scale the penalty matches float32 to float16 accuracy."""
    critic = small_critic((16, 16, 3))
    for weight in critic.trainable_weights:  # input gradients ~1e-7 per pixel
        weight.assign(weight * 0.001)
    expected = losses.r1_penalty(critic, patches[:4]).numpy()
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        half = small_critic((16, 16, 3))
        half.set_weights(critic.get_weights())
        unscaled = losses.r1_penalty(half, patches[:4]).numpy()
        scaled = losses.r1_penalty(half, patches[:4], loss_scale=tf.constant(2.0**15)).numpy()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    scaled_error = np.abs(scaled / expected - 1).max()
    unscaled_error = np.abs(unscaled / expected - 1).max()
    assert scaled_error < 0.01 and unscaled_error > 10 * scaled_error  # what the scale is for


class Position(keras.layers.Layer):
    """The Dirac-GAN generator: every sample is the point theta."""

    def build(self, input_shape):
        self.theta = self.add_weight(shape=(), initializer=keras.initializers.Constant(1.0), name="theta")

    def call(self, latent):
        return tf.zeros_like(latent[:, :1])[:, :, tf.newaxis, tf.newaxis] + self.theta


def dirac_gan(**options):
    """Mescheder et al.'s Dirac-GAN: data at 0, G = delta_theta, D(x) = psi x,
    starting at (theta, psi) = (1, 1)."""
    generator = keras.Sequential([keras.Input((1,)), Position()])
    discriminator = keras.Sequential(
        [keras.Input((1, 1, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")]
    )
    gan = FreqGAN(generator, discriminator, mode="unconditional", **options)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    return gan


def distance_to_equilibrium(gan, steps):
    distances = []

    def record(batch, logs):
        theta = float(gan.generator.layers[-1].theta.numpy())
        psi = float(gan.discriminator.layers[-1].kernel.numpy().ravel()[0])
        distances.append(np.hypot(theta, psi))

    gan.fit(np.zeros((steps * 2, 1, 1, 1), np.float32), batch_size=2, epochs=1, verbose=0, shuffle=False,
            callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=record)])
    return np.array(distances)


@pytest.mark.parametrize("loss", ["hinge", "non_saturating"])
def test_r1_makes_the_dirac_gan_converge(loss):
    """Unregularised, the Dirac-GAN circles the equilibrium (0, 0) at the
    distance it started from (hinge loss, piecewise linear like WGAN in
    Mescheder et al. 2018, Fig. 1) or creeps towards it sublinearly
    (non-saturating); with R1 it converges fast, also lazily (1 step in 4)."""
    plain = distance_to_equilibrium(dirac_gan(adversarial_loss=loss), 300)
    r1 = distance_to_equilibrium(dirac_gan(adversarial_loss=loss, gradient_penalty="r1", gradient_penalty_weight=1.0), 300)
    lazy = distance_to_equilibrium(
        dirac_gan(adversarial_loss=loss, gradient_penalty="r1", gradient_penalty_weight=1.0, gradient_penalty_interval=4),
        300,
    )
    if loss == "hinge":
        assert plain[-100:].min() > 1.3  # sqrt(2) at the start
    else:
        assert plain[-100:].min() > 0.4
    assert r1[-50:].max() < 1e-3 and lazy[-50:].max() < 5e-3


class FixedSamples(keras.layers.Layer):
    """A frozen generator: the first N of a fixed set of samples."""

    def __init__(self, samples, **kwargs):
        super().__init__(**kwargs)
        self.samples = tf.constant(samples)

    def build(self, input_shape):
        self.unused = self.add_weight(shape=(), initializer="zeros", name="unused")

    def call(self, latent):
        return self.samples[: tf.shape(latent)[0]] + 0.0 * self.unused


def input_gradient_norm(critic, real, fake, seed=0):
    mix = np.random.default_rng(seed).uniform(size=(len(real), 1, 1, 1)).astype(np.float32)
    return slow_input_gradient_norms(critic, mix * real + (1 - mix) * fake).mean()


@pytest.mark.parametrize("weight", [None, 10.0, 100.0])
def test_wgan_gp_drives_the_critics_gradient_norm_to_one(weight):
    """A critic trained with the Wasserstein loss between two point clouds a
    distance d = 2 sqrt(2) apart. Unconstrained, its gradient grows without
    bound. With WGAN-GP of weight lambda, a critic with gradient norm k along
    the lines between the clouds earns k d - lambda (k - 1)^2, which is
    largest at k* = 1 + d / (2 lambda): 1.14 for lambda = 10, 1.014 for 100;
    the trained critic's gradient norm must land there."""
    rng = np.random.default_rng(0)
    real = (rng.standard_normal((256, 1, 1, 2)) * 0.2 + 1.0).astype(np.float32)
    fake = (rng.standard_normal((256, 1, 1, 2)) * 0.2 - 1.0).astype(np.float32)
    keras.utils.set_random_seed(1)
    generator = keras.Sequential([keras.Input((2,)), FixedSamples(fake)])
    critic = small_critic((1, 1, 2), hidden=32)
    options = dict(gradient_penalty="wgan_gp", gradient_penalty_weight=weight) if weight else {}
    gan = FreqGAN(generator, critic, mode="unconditional", adversarial_loss="wasserstein", **options)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.Adam(1e-2))
    gan.fit(real, batch_size=64, epochs=40, verbose=0)
    norm = input_gradient_norm(critic, real[:64], fake[:64])
    if weight:
        optimum = 1 + 2 * np.sqrt(2) / (2 * weight)
        assert abs(norm - optimum) < 0.05
    else:
        assert norm > 3.0


# --- minibatch standard deviation ---------------------------------------------


def numpy_minibatch_std(x, group_size, num_features, epsilon=1e-8):
    n, h, w, c = x.shape
    group = max(g for g in range(1, group_size + 1) if n % g == 0)
    extra = np.zeros((n, h, w, num_features))
    block = c // num_features
    for start in range(0, n, group):
        members = x[start : start + group].astype(np.float64)
        for f in range(num_features):
            part = members[..., f * block : (f + 1) * block]
            std = np.sqrt(((part - part.mean(axis=0)) ** 2).mean(axis=0) + epsilon)
            extra[start : start + group, :, :, f] = std.mean()
    return np.concatenate([x, extra], axis=-1)


@pytest.mark.parametrize("batch,group_size,num_features", [(8, 4, 1), (6, 4, 2), (7, 4, 1), (5, 8, 2), (1, 4, 1)])
def test_minibatch_std_equals_the_numpy_reference(batch, group_size, num_features, rng):
    x = rng.uniform(size=(batch, 3, 5, 4)).astype(np.float32)
    layer = MinibatchStdDev(group_size, num_features)
    np.testing.assert_allclose(layer(x).numpy(), numpy_minibatch_std(x, group_size, num_features), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.function(layer)(x).numpy(), layer(x).numpy(), atol=1e-6)


def test_a_group_larger_than_the_batch_costs_nothing(rng):
    # The group is the largest divisor of the batch up to group_size; a
    # group_size of 10**9 made a range of 10**9 candidates (4 GB, 25 s).
    x = rng.uniform(size=(6, 3, 5, 4)).astype(np.float32)
    started = time.perf_counter()
    huge = MinibatchStdDev(group_size=10**9)(x).numpy()
    assert time.perf_counter() - started < 5.0
    np.testing.assert_allclose(huge, MinibatchStdDev(group_size=6)(x).numpy(), atol=1e-6)


def test_minibatch_std_survives_the_keras_checks(photos_32, tmp_path, mirrored_strategy):
    # Groups of 2 consecutive examples: two replicas of 2 see the same groups.
    check_layer(lambda: MinibatchStdDev(group_size=2, num_features=3), photos_32[:4], tmp_path, mirrored_strategy)


def test_minibatch_std_bad_arguments_raise():
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStdDev(group_size=0)
    with pytest.raises(ValueError, match="divisible by `num_features`"):
        MinibatchStdDev(num_features=2)(np.zeros((2, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="minibatch_std"):
        dcgan_discriminator((16, 16, 3), filters=4, minibatch_std="yes")


def collapse_detector_accuracy(patches, minibatch_std, steps=60):
    """Trains a small D to tell diverse batches of real patches (label 1) from
    collapsed ones (one real patch repeated, label 0); returns its held-out
    accuracy per batch."""
    keras.utils.set_random_seed(0)
    critic = dcgan_discriminator((16, 16, 3), filters=8, spectral_norm=False, minibatch_std=minibatch_std)
    optimizer = keras.optimizers.Adam(3e-3)
    train, test = patches[:32], patches[32:]
    rng = np.random.default_rng(0)

    def batches(pool):
        diverse = pool[rng.choice(len(pool), 8, replace=False)]
        collapsed = np.repeat(pool[rng.integers(len(pool))][np.newaxis], 8, axis=0)
        return diverse, collapsed

    @tf.function
    def step(diverse, collapsed):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(losses.discriminator_adversarial_loss(critic(diverse), critic(collapsed)))
        optimizer.apply(tape.gradient(loss, critic.trainable_weights), critic.trainable_weights)

    for _ in range(steps):
        step(*batches(train))
    correct = []
    for _ in range(20):
        diverse, collapsed = batches(test)
        correct.append(float(critic(diverse).numpy().mean() > critic(collapsed).numpy().mean()))
    return np.mean(correct), critic


def test_minibatch_std_lets_the_discriminator_see_a_collapsed_batch(patches):
    """A collapsed batch is made of real images: a per-example discriminator
    gives each of them exactly the logit it gets among diverse images, so it
    cannot tell the batches apart; with minibatch std it learns to."""
    without, plain_critic = collapse_detector_accuracy(patches, False)
    with_std, std_critic = collapse_detector_accuracy(patches, True)
    diverse = patches[32:40]
    collapsed = np.repeat(diverse[:1], 8, axis=0)
    np.testing.assert_allclose(plain_critic(collapsed).numpy()[0], plain_critic(diverse).numpy()[0], rtol=1e-5)
    assert abs(float(std_critic(collapsed)[0, 0] - std_critic(diverse)[0, 0])) > 1e-3
    assert with_std >= 0.95 and without <= 0.8


def test_discriminators_take_the_minibatch_std_option():
    d = dcgan_discriminator((16, 16, 3), filters=4, minibatch_std=True)
    assert d.get_layer("minibatch_std").output.shape[-1] == 4 * 2 + 1
    p = patchgan_discriminator((16, 16, 3), 3, filters=4, num_layers=2, minibatch_std={"group_size": 2})
    assert p.get_layer("minibatch_std").group_size == 2
    h = dehazing_discriminator((16, 16, 3), filters=4, num_layers=2, minibatch_std=True)
    assert {"minibatch_std", "frequency_minibatch_std"} <= {layer.name for layer in h.layers}
    x = np.random.default_rng(0).uniform(size=(4, 16, 16, 6)).astype(np.float32)
    assert [tuple(o.shape) for o in h(x)] == [(4, 4, 4, 1), (4, 4, 4, 1)]


# --- feature matching ---------------------------------------------------------


def test_feature_matching_losses_equal_their_formulas(rng):
    real = rng.standard_normal((6, 2, 2, 3)).astype(np.float32)
    fake = rng.standard_normal((4, 2, 2, 3)).astype(np.float32)
    expected = np.mean((real.reshape(6, -1).mean(0) - fake.reshape(4, -1).mean(0)) ** 2)
    value = losses.feature_matching_loss(real, fake).numpy()
    np.testing.assert_allclose(value, np.full(4, expected), rtol=1e-5)
    np.testing.assert_allclose(float(losses.reduce_loss(value)), expected, rtol=1e-5)
    np.testing.assert_array_equal(losses.feature_matching_loss(real, real).numpy(), np.zeros(6))
    paired = losses.paired_feature_matching_loss(real[:4], fake).numpy()
    np.testing.assert_allclose(paired, np.abs(real[:4] - fake).reshape(4, -1).mean(1), rtol=1e-5)
    np.testing.assert_array_equal(losses.paired_feature_matching_loss(fake, fake).numpy(), np.zeros(4))


def test_feature_matching_is_global_under_mirrored_strategy(mirrored_strategy, rng):
    """Two replicas of 2 give the loss and the gradient of the global batch
    of 4 (the batch means are summed across replicas)."""
    real = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))
    fake = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))

    def loss_and_gradient(scale):
        with tf.GradientTape() as tape:
            tape.watch(scale)
            loss = losses.reduce_loss(losses.feature_matching_loss(real_part(), fake_part() * scale))
        return loss, tape.gradient(loss, scale)

    real_part, fake_part = (lambda: real), (lambda: fake)
    expected_loss, expected_gradient = loss_and_gradient(tf.constant(1.5))

    def replica():
        index = tf.distribute.get_replica_context().replica_id_in_sync_group
        nonlocal real_part, fake_part
        real_part = lambda: real[2 * index : 2 * index + 2]  # noqa: E731
        fake_part = lambda: fake[2 * index : 2 * index + 2]  # noqa: E731
        return loss_and_gradient(tf.constant(1.5))

    loss, gradient = mirrored_strategy.run(replica)
    total_loss = mirrored_strategy.reduce("SUM", loss, axis=None)
    total_gradient = mirrored_strategy.reduce("SUM", gradient, axis=None)
    np.testing.assert_allclose(float(total_loss), float(expected_loss), rtol=1e-5)
    np.testing.assert_allclose(float(total_gradient), float(expected_gradient), rtol=1e-5)


def test_freqgan_matches_the_penultimate_discriminator_features(patches):
    keras.utils.set_random_seed(0)
    generator = dcgan_generator(8, 16, 3, filters=4)
    critic = dcgan_discriminator((16, 16, 3), filters=4)
    gan = FreqGAN(generator, SpectralDiscriminator(critic), mode="unconditional", feature_matching_weight=1.0)
    gan.compile()
    (features,) = gan._features(patches[:3])
    flatten = keras.Model(critic.inputs, critic.get_layer(index=-2).output)(patches[:3])
    np.testing.assert_allclose(features.numpy(), flatten.numpy(), rtol=1e-6)
    named = FreqGAN(dcgan_generator(8, 16, 3, filters=4), critic, mode="unconditional",
                    feature_matching_weight=1.0, feature_matching_layers=[critic.layers[2].name])
    assert named._features(patches[:3])[0].shape == (3, 8, 8, 4)
    with pytest.raises(ValueError, match="names layers the discriminator does not have"):
        FreqGAN(generator, critic, mode="unconditional", feature_matching_weight=1.0, feature_matching_layers=["nope"])


def test_a_replaced_discriminator_gives_the_matched_features(patches):
    """`gan.discriminator = other` after a step: the features model built in
    that step kept the old discriminator's layers."""
    keras.utils.set_random_seed(0)
    gan = FreqGAN(dcgan_generator(8, 16, 3, filters=4), dcgan_discriminator((16, 16, 3), filters=4),
                  mode="unconditional", feature_matching_weight=1.0)
    gan.compile()
    gan.fit(patches[:8], batch_size=8, epochs=1, verbose=0)
    critic = dcgan_discriminator((16, 16, 3), filters=4)
    gan.discriminator = critic
    gan.compile()
    history = gan.fit(patches[:8], batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["g_feature_matching"][0])
    (features,) = gan._features(patches[:3])
    flatten = keras.Model(critic.inputs, critic.get_layer(index=-2).output)(patches[:3])
    np.testing.assert_allclose(features.numpy(), flatten.numpy(), rtol=1e-6)


def test_feature_matching_alone_pulls_the_generated_features_to_the_real_ones(patches):
    """With the adversarial weight at 0 and D frozen, the generator's only
    loss is feature matching: it must fall (here by half)."""
    keras.utils.set_random_seed(0)
    generator = dcgan_generator(8, 16, 3, filters=8)
    critic = dcgan_discriminator((16, 16, 3), filters=8)
    gan = FreqGAN(generator, critic, mode="unconditional", adversarial_weight=0.0, feature_matching_weight=1.0)
    gan.compile(keras.optimizers.Adam(2e-3), keras.optimizers.SGD(0.0))
    history = gan.fit(patches, batch_size=16, epochs=12, verbose=0).history["g_feature_matching"]
    assert history[-1] < 0.5 * history[0]


def numpy_spectrum_matching(real, fake, max_frequency=0.5, epsilon=1e-8):
    """The spectral regulariser by hand: grey power |FFT|^2 / (H W), averaged
    over H // 2 rings of equal width out to `max_frequency` cycles/pixel,
    log, mean over each set, mean absolute gap over rings."""

    def mean_log_profile(images):
        gray = images.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        n, height, width = gray.shape
        power = np.abs(np.fft.fft2(gray)) ** 2 / (height * width)
        radius = np.hypot(*np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width), indexing="ij"))
        bins = height // 2
        index = np.floor(radius / max_frequency * bins + 1e-9)
        index = np.minimum(index, np.where(np.isclose(radius, max_frequency), bins - 1, bins))
        rings = [power[:, index == k].mean(axis=1) for k in range(bins)]
        return np.log(np.stack(rings, axis=1) + epsilon).mean(axis=0)

    return np.abs(mean_log_profile(fake) - mean_log_profile(real)).mean()


def test_spectrum_matching_loss_equals_its_formula(patches):
    real, fake = patches[:20], patches[20:30] ** 2
    value = losses.spectrum_matching_loss(real, fake).numpy()
    np.testing.assert_allclose(value, np.full(10, numpy_spectrum_matching(real, fake)), rtol=1e-4)
    corners = losses.spectrum_matching_loss(real, fake, max_frequency=2**-0.5).numpy()
    np.testing.assert_allclose(corners, np.full(10, numpy_spectrum_matching(real, fake, 2**-0.5)), rtol=1e-4)
    np.testing.assert_allclose(losses.spectrum_matching_loss(real, real).numpy(), np.zeros(20), atol=1e-6)
    with pytest.raises(ValueError, match="epsilon"):
        losses.spectrum_matching_loss(real, fake, epsilon=0.0)


def test_spectrum_matching_alone_pulls_the_generated_spectrum_to_the_real_one(patches):
    """With the adversarial weight at 0 and D frozen, the generator's only
    loss is the spectral regulariser: it must fall (here by half)."""
    keras.utils.set_random_seed(0)
    generator = dcgan_generator(8, 16, 3, filters=8)
    critic = dcgan_discriminator((16, 16, 3), filters=8)
    gan = FreqGAN(
        generator, critic, mode="unconditional", adversarial_weight=0.0, spectrum_matching_weight=1.0,
        spectrum_matching_max_frequency=2**-0.5,
    )
    restored = FreqGAN.from_config(gan.get_config())
    assert (restored.spectrum_matching_weight, restored.spectrum_matching_max_frequency) == (1.0, 2**-0.5)
    gan.compile(keras.optimizers.Adam(2e-3), keras.optimizers.SGD(0.0))
    history = gan.fit(patches, batch_size=16, epochs=12, verbose=0).history["g_spectrum_matching"]
    assert history[-1] < 0.5 * history[0]
    with pytest.raises(ValueError, match="spectrum_matching_weight"):
        FreqGAN(generator, critic, mode="unconditional", spectrum_matching_weight=-1.0)
    with pytest.raises(ValueError, match="spectrum_matching_max_frequency"):
        FreqGAN(generator, critic, mode="unconditional", spectrum_matching_max_frequency=0.8)


def test_paired_feature_matching_in_freqgan_is_zero_for_a_perfect_generator(patches):
    keras.utils.set_random_seed(0)
    identity = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Identity()])
    gan = FreqGAN(identity, patchgan_discriminator((16, 16, 3), 3, filters=4, num_layers=2), feature_matching_weight=1.0)
    gan.compile()
    assert float(tf.reduce_max(gan._matching_term(patches[:4], patches[:4], tf.constant(patches[:4])))) == 0.0
    assert float(tf.reduce_min(gan._matching_term(patches[:4], patches[:4], tf.constant(patches[4:8])))) > 0.0


# --- instance noise -----------------------------------------------------------


def test_instance_noise_schedule_follows_its_formula_and_ends_at_zero():
    linear = InstanceNoiseSchedule(0.2, 100)
    exponential = InstanceNoiseSchedule(0.2, 100, kind="exponential", final_fraction=0.01)
    steps = np.array([0, 25, 50, 99, 100, 1000])
    np.testing.assert_allclose([float(linear(s)) for s in steps], 0.2 * np.maximum(1 - steps / 100, 0), rtol=1e-6, atol=1e-9)
    expected = np.where(steps < 100, 0.2 * 0.01 ** (np.minimum(steps, 100) / 100), 0.0)
    np.testing.assert_allclose([float(exponential(s)) for s in steps], expected, rtol=1e-5)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(exponential))
    assert float(restored(50)) == float(exponential(50))
    for bad in (dict(initial_sigma=-1, decay_steps=10), dict(initial_sigma=0.1, decay_steps=0),
                dict(initial_sigma=0.1, decay_steps=10, kind="cosine"), dict(initial_sigma=0.1, decay_steps=10, final_fraction=1.0)):
        with pytest.raises(ValueError, match="Received"):
            InstanceNoiseSchedule(**bad)


def test_add_instance_noise_has_the_requested_spread():
    images = tf.fill((16, 32, 32, 3), 0.5)
    noisy = add_instance_noise(images, 0.1, seed=3).numpy()
    assert abs(noisy.std() - 0.1) < 0.003 and abs(noisy.mean() - 0.5) < 0.003
    np.testing.assert_array_equal(add_instance_noise(images, 0.0, seed=3).numpy(), images.numpy())


def test_freqgan_instance_noise_follows_the_optimizers_iterations(patches):
    """Two discriminator steps per epoch and decay over 4 steps: the logged
    sigma is the mean of the schedule over each epoch's steps, 0 from the
    third epoch on; the discriminator sees noisier reals early on."""
    keras.utils.set_random_seed(0)
    schedule = InstanceNoiseSchedule(0.5, 4)
    gan = FreqGAN(dcgan_generator(8, 16, 3, filters=4), dcgan_discriminator((16, 16, 3), filters=4),
                  mode="unconditional", instance_noise=schedule)
    gan.compile()
    history = gan.fit(patches[:16], batch_size=8, epochs=3, verbose=0, shuffle=False).history
    np.testing.assert_allclose(history["d_noise_sigma"], [(0.5 + 0.375) / 2, (0.25 + 0.125) / 2, 0.0], rtol=1e-6)
    restored = FreqGAN.from_config(gan.get_config())
    assert isinstance(restored.instance_noise, InstanceNoiseSchedule) and restored.instance_noise.decay_steps == 4


# --- FreqGAN options ----------------------------------------------------------


def test_stabilizer_options_round_trip_and_bad_values_raise():
    keras.utils.set_random_seed(0)
    generator = unet_generator((16, 16, 3), filters=4, depth=2)
    critic = patchgan_discriminator((16, 16, 3), 3, filters=4, num_layers=2, minibatch_std=True)
    gan = FreqGAN(generator, critic, gradient_penalty="r1", gradient_penalty_weight=0.5, gradient_penalty_interval=4,
                  feature_matching_weight=2.0, instance_noise=0.05)
    config = FreqGAN.from_config(gan.get_config()).get_config()
    for key, value in dict(gradient_penalty="r1", gradient_penalty_weight=0.5, gradient_penalty_interval=4,
                           feature_matching_weight=2.0, instance_noise=0.05).items():
        assert config[key] == value
    for bad, match in ((dict(gradient_penalty="r2"), "gradient_penalty"), (dict(gradient_penalty_interval=0), "interval"),
                       (dict(feature_matching_weight=-1.0), "feature_matching_weight"), (dict(instance_noise=-0.1), "instance_noise"),
                       (dict(instance_noise="lots"), "instance_noise")):
        with pytest.raises(ValueError, match=match):
            FreqGAN(generator, critic, **bad)
    with pytest.raises(ValueError, match="Functional discriminator"):
        FreqGAN(generator, _Subclassed(), feature_matching_weight=1.0)


class _Subclassed(keras.Model):
    def call(self, x):
        return tf.reduce_mean(x, axis=(1, 2, 3))[:, None]


@pytest.mark.slow
def test_paired_freqgan_trains_with_every_stabilizer(patches):
    keras.utils.set_random_seed(0)
    clean = patches[:16]
    hazy = 0.6 * clean + 0.3
    gan = FreqGAN(unet_generator((16, 16, 3), filters=4, depth=2),
                  dehazing_discriminator((16, 16, 3), filters=4, num_layers=2, minibatch_std=True),
                  gradient_penalty="r1", gradient_penalty_weight=1.0, gradient_penalty_interval=2,
                  feature_matching_weight=1.0, instance_noise=InstanceNoiseSchedule(0.1, 4))
    gan.compile()
    history = gan.fit(hazy, clean, batch_size=8, epochs=2, verbose=0).history
    assert {"d_penalty", "g_feature_matching", "d_noise_sigma"} <= set(history)
    assert all(np.isfinite(v).all() for v in history.values())
    assert history["d_penalty"][0] > 0


@pytest.mark.slow
def test_mirrored_step_with_penalty_and_matching_equals_one_device(patches, mirrored_strategy):
    weights = []
    for strategy in (tf.distribute.get_strategy(), mirrored_strategy):
        with strategy.scope():
            keras.utils.set_random_seed(5)
            gan = FreqGAN(dcgan_generator(8, 16, 3, filters=4), dcgan_discriminator((16, 16, 3), filters=4),
                          mode="unconditional", gradient_penalty="r1", feature_matching_weight=1.0)
            gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        # Same latent vectors on both: a fixed generator input.
        gan._generator_input = lambda condition, real: tf.ones((tf.shape(real)[0], 8)) * 0.3
        gan.fit(patches[:8], batch_size=8, epochs=1, verbose=0, shuffle=False)
        weights.append(gan.generator.get_weights() + gan.discriminator.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


# --- kfreqgan-train configuration keys ----------------------------------------


def test_config_keys_reach_freqgan_and_bad_values_fail_early():
    from kfreqgan.training import configs
    from kfreqgan.training.train import build_gan

    overrides = dict(gradient_penalty="r1", gradient_penalty_weight=1, gradient_penalty_interval=4, minibatch_std=True,
                     feature_matching_weight=0.5, instance_noise=0.1, instance_noise_decay_steps=100,
                     instance_noise_decay="exponential")
    for name in ("dehaze-demo", "dcgan-32"):
        config = configs.get_config(name, overrides)
        gan = build_gan(config)
        assert (gan.gradient_penalty, gan.gradient_penalty_weight, gan.gradient_penalty_interval) == ("r1", 1.0, 4)
        assert gan.feature_matching_weight == 0.5
        assert (gan.instance_noise.initial_sigma, gan.instance_noise.decay_steps, gan.instance_noise.kind) == (0.1, 100, "exponential")
        critic = gan.discriminator.spatial if isinstance(gan.discriminator, SpectralDiscriminator) else gan.discriminator
        assert any(isinstance(layer, MinibatchStdDev) for layer in critic.layers)
    plain = build_gan(configs.get_config("dehaze-demo"))
    assert plain.gradient_penalty is None and plain.instance_noise is None and plain.feature_matching_weight == 0
    for key, value in (("gradient_penalty", "r3"), ("gradient_penalty_interval", 0), ("instance_noise", -0.1),
                       ("instance_noise_decay", "cosine"), ("minibatch_std", 1), ("feature_matching_weight", -1.0)):
        with pytest.raises(ValueError, match=key):
            configs.get_config("dehaze-demo", {key: value})


@pytest.mark.slow
@pytest.mark.parametrize("penalty", ["r1", "wgan_gp"])
def test_penalties_train_under_mixed_float16(patches, penalty):
    """Under mixed_float16 the penalty's input gradient is taken of the
    loss-scaled float32 logit sum: the penalty is finite and non-zero and
    the weights stay finite."""
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        keras.utils.set_random_seed(0)
        gan = FreqGAN(dcgan_generator(8, 16, 3, filters=4), dcgan_discriminator((16, 16, 3), filters=4, minibatch_std=True),
                      mode="unconditional", gradient_penalty=penalty)
        gan.compile()
        assert isinstance(gan.discriminator_optimizer, keras.optimizers.LossScaleOptimizer)
        history = gan.fit(patches[:16], batch_size=8, epochs=2, verbose=0).history
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert all(np.isfinite(v).all() for v in history.values())
    assert min(history["d_penalty"]) > 0
    assert all(np.isfinite(w).all() for w in gan.discriminator.get_weights())


@pytest.mark.slow
def test_every_stabilizer_trains_under_xla(patches):
    """Lazy R1 (a tf.cond around a nested tape), feature matching, instance
    noise and minibatch std compile with jit_compile=True."""
    keras.utils.set_random_seed(0)
    gan = FreqGAN(dcgan_generator(8, 16, 3, filters=4), dcgan_discriminator((16, 16, 3), filters=4, minibatch_std=True),
                  mode="unconditional", gradient_penalty="r1", gradient_penalty_interval=2, feature_matching_weight=1.0,
                  instance_noise=InstanceNoiseSchedule(0.1, 4))
    gan.compile(jit_compile=True)
    history = gan.fit(patches[:16], batch_size=8, epochs=2, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())
    np.testing.assert_allclose(history["d_noise_sigma"], [0.0875, 0.0375], rtol=1e-5)
    assert min(history["d_penalty"]) > 0
