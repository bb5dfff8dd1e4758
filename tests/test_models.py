"""Generators, discriminators and FreqGAN training with fit."""

import io
import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.data import haze
from kfreqgan.data import photo_patches
from kfreqgan.models import FreqGAN
from kfreqgan.models import SpectralDiscriminator
from kfreqgan.models import dcgan_discriminator
from kfreqgan.models import dcgan_generator
from kfreqgan.models import dehazing_discriminator
from kfreqgan.models import patchgan_discriminator
from kfreqgan.models import unet_generator


@pytest.fixture(scope="module")
def hazy_pairs():
    """16 real 32x32 training patches and hazy versions of them."""
    clean = photo_patches(("rocket", "chelsea", "motorcycle", "flower"), 32, 4, seed=0, short_side=128)
    depth = np.stack([haze.synthetic_depth(32, 32, (i, 0)).numpy() for i in range(len(clean))])
    hazy = haze.random_haze(clean, depth, (1, 2))[0].numpy()
    return hazy, clean


def tiny_paired_gan(frequency_loss="focal", seed=0):
    keras.utils.set_random_seed(seed)
    generator = unet_generator((32, 32, 3), filters=8, depth=2)
    discriminator = dehazing_discriminator((32, 32, 3), filters=8, num_layers=2)
    return FreqGAN(generator, discriminator, frequency_loss=frequency_loss)


# --- building blocks ----------------------------------------------------------


def test_generator_and_discriminator_shapes():
    assert dcgan_generator(16, 64, 1, filters=4).output_shape == (None, 64, 64, 1)
    assert unet_generator((32, 48, 3), filters=4, depth=3).output_shape == (None, 32, 48, 3)
    assert dcgan_discriminator((32, 32, 3), filters=4).output_shape == (None, 1)
    assert patchgan_discriminator((32, 32, 3), condition_channels=3, filters=4).output_shape == (None, 4, 4, 1)
    assert [tuple(o.shape) for o in dehazing_discriminator((32, 32, 3), filters=4).outputs] == [(None, 4, 4, 1)] * 2


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda: dcgan_generator(image_size=48), "power of two"),
        (lambda: unet_generator((30, 32, 3), depth=2), "divisible"),
        (lambda: unet_generator((32, 32)), "image_shape"),
        (lambda: dcgan_discriminator((32, 32, 3), filters=0), "filters"),
        (lambda: dehazing_discriminator((32, 32, 3), bands=()), "bands"),
        (lambda: FreqGAN(dcgan_generator(), dcgan_discriminator(), mode="cycle"), "mode"),
        (lambda: FreqGAN(dcgan_generator(), dcgan_discriminator(), frequency_loss="fourier"), "frequency_loss"),
        (lambda: FreqGAN("g", dcgan_discriminator()), "generator"),
        (lambda: SpectralDiscriminator(dcgan_discriminator(), spectral_weight=2.0), "spectral_weight"),
    ],
)
def test_bad_model_arguments_raise(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_spectral_discriminator_combines_and_stops_the_generator_gradient(photos_32, tmp_path):
    keras.utils.set_random_seed(1)
    spatial = dcgan_discriminator((32, 32, 3), filters=4)
    d = SpectralDiscriminator(spatial)
    images = tf.constant(photos_32[:4])
    combined = d(images).numpy()
    expected = 0.5 * spatial(images).numpy() + 0.5 * d.spectral_logits(images).numpy()
    np.testing.assert_allclose(combined, expected, atol=1e-5)

    def input_gradient(model, generator_step):
        with tf.GradientTape() as tape:
            tape.watch(images)
            out = tf.reduce_sum(model(images, generator_step=generator_step))
        return tape.gradient(out, images).numpy()

    with tf.GradientTape() as tape:
        tape.watch(images)
        spatial_only = tf.reduce_sum(0.5 * spatial(images))
    spatial_gradient = tape.gradient(spatial_only, images).numpy()
    np.testing.assert_allclose(input_gradient(d, True), spatial_gradient, atol=1e-6)
    # Outside the generator's step (and with the differentiable variant) the
    # spectral branch contributes to the gradient.
    assert np.abs(input_gradient(d, False) - spatial_gradient).max() > 1e-6
    through = SpectralDiscriminator(spatial, stop_generator_gradient=False)
    through.build(images.shape)
    through.set_weights(d.get_weights())
    np.testing.assert_allclose(input_gradient(through, True), input_gradient(d, False), atol=1e-6)

    restored = SpectralDiscriminator.from_config(d.get_config())
    restored.build(images.shape)
    restored.set_weights(d.get_weights())
    np.testing.assert_allclose(restored(images).numpy(), combined, atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_spectral_discriminator_under_mixed_precision(policy, photos_32):
    # The spectral logit's wrapper took the policy's half dtype, and adding
    # it to the float32 spatial logit failed on the first call.
    images = tf.constant(photos_32[:2])
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy(policy)
        keras.utils.set_random_seed(3)
        mixed = SpectralDiscriminator(dcgan_discriminator((32, 32, 3), filters=4))
        logits = mixed(images)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert logits.dtype == tf.float32
    keras.utils.set_random_seed(3)
    full = SpectralDiscriminator(dcgan_discriminator((32, 32, 3), filters=4))
    full.build(images.shape)
    full.set_weights(mixed.get_weights())
    np.testing.assert_allclose(logits.numpy(), full(images).numpy(), atol=0.05)


# --- FreqGAN -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("frequency_loss", ["focal", "radial"])
def test_paired_training_lowers_the_reconstruction_error(frequency_loss, hazy_pairs):
    hazy, clean = hazy_pairs
    gan = tiny_paired_gan(frequency_loss)
    gan.compile(keras.optimizers.Adam(2e-3), keras.optimizers.Adam(2e-4))
    before = gan.evaluate(hazy, clean, batch_size=8, verbose=0, return_dict=True)
    history = gan.fit(hazy, clean, batch_size=8, epochs=15, verbose=0)
    after = gan.evaluate(hazy, clean, batch_size=8, verbose=0, return_dict=True)
    assert set(history.history) >= {"g_loss", "d_loss", "g_adversarial", "g_l1", "g_frequency", "d_real", "d_fake"}
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert after["l1"] < 0.7 * before["l1"] and after["psnr"] > before["psnr"] + 2
    outputs = gan.predict(hazy, verbose=0)
    assert outputs.min() >= 0 and outputs.max() <= 1
    assert np.abs(outputs - outputs.mean(axis=0)).max() > 0.1  # no collapse to one image


def test_an_empty_batch_is_refused_by_name_not_deep_in_keras_or_tensorflow():
    # predict failed in Keras with "UnboundLocalError: cannot access local
    # variable 'batch_outputs'", a call or unit_range_outputs in a
    # convolution (InvalidArgumentError); tf.keras refused it, as the
    # exported generators and serving signatures do.
    from kfreqgan.models.image_to_image import unit_range_outputs

    gan = tiny_paired_gan()
    empty = np.zeros((0, 32, 32, 3), np.float32)
    message = r"`x` must hold at least one sample\. Received: shape=\(0, 32, 32, 3\)$"
    for x in (empty, tf.constant(empty)):
        with pytest.raises(ValueError, match=message):
            gan.predict(x, verbose=0)
    with pytest.raises(ValueError, match=r"`x` must yield at least one batch\. Received: x\.cardinality\(\)=0$"):
        gan.predict(tf.data.Dataset.from_tensor_slices(empty).batch(2), verbose=0)
    for call in (gan, gan.predict_on_batch):
        with pytest.raises(ValueError, match=r"`inputs` must hold at least one sample\. Received: shape=\(0, 32, 32, 3\)"):
            call(empty)
    with pytest.raises(ValueError, match=r"^`images` must hold at least one image\. Received: shape=\(0, 32, 32, 3\)$"):
        unit_range_outputs(gan.generator, empty)
    assert gan.predict(np.zeros((1, 32, 32, 3), np.float32), verbose=0).shape == (1, 32, 32, 3)


def test_unconditional_ssd_gan_trains_with_fit(photos_32):
    keras.utils.set_random_seed(2)
    generator = dcgan_generator(16, 32, 3, filters=8)
    discriminator = SpectralDiscriminator(dcgan_discriminator((32, 32, 3), filters=8))
    gan = FreqGAN(generator, discriminator, mode="unconditional", adversarial_loss="hinge")
    gan.compile()
    history = gan.fit(photos_32, batch_size=3, epochs=2, verbose=0)
    assert set(history.history) == {"g_loss", "d_loss", "g_adversarial", "d_real", "d_fake"}
    samples = gan.predict(np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32), verbose=0)
    assert samples.shape == (4, 32, 32, 3)


@pytest.mark.slow
def test_mirrored_first_step_equals_one_device_on_the_same_global_batch(hazy_pairs, mirrored_strategy):
    hazy, clean = hazy_pairs[0][:8], hazy_pairs[1][:8]
    weights = []
    for strategy in (tf.distribute.get_strategy(), mirrored_strategy):
        with strategy.scope():
            gan = tiny_paired_gan(seed=5)
            gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        initial = [w.copy() for w in gan.generator.get_weights()]
        gan.fit(hazy, clean, batch_size=8, epochs=1, verbose=0, shuffle=False)
        weights.append((initial, gan.generator.get_weights(), gan.discriminator.get_weights()))
    (init_a, gen_a, disc_a), (init_b, gen_b, disc_b) = weights
    for a, b in zip(init_a, init_b):
        np.testing.assert_array_equal(a, b)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(gen_a, init_a))
    assert moved > 1e-4  # the step did something
    for a, b in zip(gen_a + disc_a, gen_b + disc_b):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_training(policy, hazy_pairs):
    hazy, clean = hazy_pairs
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy(policy)
        gan = tiny_paired_gan()
        gan.compile()
        # Loss scaling is for float16 only; bfloat16 has float32's range.
        scaled = isinstance(gan.generator_optimizer, keras.optimizers.LossScaleOptimizer)
        assert scaled == (policy == "mixed_float16")
        history = gan.fit(hazy, clean, batch_size=8, epochs=2, verbose=0)
        assert all(np.isfinite(v).all() for v in history.history.values())
        assert gan.predict(hazy[:2], verbose=0).dtype == np.float32
    finally:
        keras.mixed_precision.set_global_policy(previous)


@pytest.mark.slow
def test_loss_scale_overflow_is_not_divergence(hazy_pairs):
    """Under mixed_float16 a loss scale that is too large makes float16
    gradients infinite; LossScaleOptimizer skips those steps and halves the
    scale. That is not divergence: the logged losses are unscaled and the
    weights stay finite, so StopOnDivergence must let training go on."""
    from kfreqgan.callbacks import StopOnDivergence

    hazy, clean = hazy_pairs
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        gan = tiny_paired_gan()
        # Measured: this generator's gradients overflow float16 for scales
        # above ~2**13, so the first few of its 10 steps are skipped.
        initial_scale = 2.0**18
        gan.compile(
            generator_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(2e-4), initial_scale=initial_scale),
            discriminator_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(2e-4), initial_scale=initial_scale),
        )
        initial = gan.generator.get_weights()
        history = gan.fit(hazy, clean, batch_size=8, epochs=5, verbose=0, callbacks=[StopOnDivergence()])
        assert len(history.history["g_loss"]) == 5
        assert all(np.isfinite(v).all() for v in history.history.values())
        optimizer = gan.generator_optimizer
        assert float(optimizer.dynamic_scale) < initial_scale  # steps were skipped ...
        assert 0 < int(optimizer.iterations) < 10  # ... and later ones taken
        assert max(float(np.abs(a - b).max()) for a, b in zip(gan.generator.get_weights(), initial)) > 1e-5
        assert all(np.isfinite(w).all() for w in gan.generator.get_weights() + gan.discriminator.get_weights())
    finally:
        keras.mixed_precision.set_global_policy(previous)


@pytest.mark.slow
def test_xla_training(hazy_pairs):
    hazy, clean = hazy_pairs
    gan = tiny_paired_gan()
    gan.compile(jit_compile=True)
    history = gan.fit(hazy, clean, batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())


def test_freqgan_saves_and_loads_as_keras(hazy_pairs, tmp_path):
    hazy, clean = hazy_pairs
    gan = tiny_paired_gan()
    gan.compile()
    gan.fit(hazy, clean, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(hazy, verbose=0), gan.predict(hazy, verbose=0), atol=1e-6)
    assert loaded.frequency_loss == "focal" and loaded.mode == "paired"


def saved_variable_count(path):
    """The number of arrays in a `.keras` file's or a `.weights.h5` file's weights."""
    data = zipfile.ZipFile(path).read("model.weights.h5") if str(path).endswith(".keras") else path.read_bytes()
    arrays = []
    with h5py.File(io.BytesIO(data), "r") as weights:
        weights.visititems(lambda name, item: arrays.append(name) if isinstance(item, h5py.Dataset) else None)
    return len(arrays)


def test_a_replaced_network_leaves_the_gans_weights_and_saved_files(hazy_pairs, tmp_path):
    """`gan.generator = other`: Keras's tracker kept the old generator among
    the GAN's layers, so `weights` held both generators (46 -> 68) and
    `save` / `save_weights` wrote the old one's 22 arrays too (134 -> 156);
    and `predict`, traced before, went on calling the old generator."""
    hazy, clean = hazy_pairs
    gan = tiny_paired_gan()
    gan.compile()
    gan.predict(hazy[:2], verbose=0)
    gan.save(tmp_path / "before.keras")
    counts = len(gan.weights), len(gan.trainable_weights), saved_variable_count(tmp_path / "before.keras")
    for name, other in (
        ("generator", unet_generator((32, 32, 3), filters=4, depth=2)),
        ("discriminator", dehazing_discriminator((32, 32, 3), filters=4, num_layers=2)),
    ):
        old = getattr(gan, name)
        setattr(gan, name, other)
        gan.compile()
        held = {id(v) for v in gan.weights}
        assert not any(id(v) in held for v in old.weights), name
        assert all(id(v) in held for v in other.weights), name
        gan.save(tmp_path / f"{name}.keras")
        gan.save_weights(tmp_path / f"{name}.weights.h5")
        assert (len(gan.weights), len(gan.trainable_weights), saved_variable_count(tmp_path / f"{name}.keras")) == counts
        assert saved_variable_count(tmp_path / f"{name}.weights.h5") == counts[2]
    expected = np.clip(gan.generator(hazy[:2]).numpy(), 0, 1)
    np.testing.assert_allclose(gan.predict(hazy[:2], verbose=0), expected, atol=1e-6)
    loaded = keras.models.load_model(tmp_path / "discriminator.keras")
    np.testing.assert_allclose(loaded.predict(hazy[:2], verbose=0), expected, atol=1e-6)
    assert gan.generator in gan.layers and gan.discriminator in gan.layers and len(gan.layers) == 2


@pytest.mark.parametrize(
    "mode, name",
    [
        ("paired", "generator"),
        ("paired", "discriminator"),
        ("unconditional", "generator"),  # a new latent size
    ],
)
def test_fit_after_a_replacement_asks_for_compile_then_trains_the_new_network(mode, name, hazy_pairs):
    """Without `compile` again, `fit` ran Keras's cached train function, which
    trained the old network and left the new one as it was; unconditional,
    the new generator was fed latent vectors of the old one's size."""
    hazy, clean = hazy_pairs
    keras.utils.set_random_seed(0)
    if mode == "paired":
        gan = tiny_paired_gan()
        data = (hazy[:8], clean[:8])
        other = (
            unet_generator((32, 32, 3), filters=4, depth=2)
            if name == "generator"
            else dehazing_discriminator((32, 32, 3), filters=4, num_layers=2)
        )
    else:
        gan = FreqGAN(dcgan_generator(8, 32, 3, filters=4), dcgan_discriminator((32, 32, 3), filters=4), mode="unconditional")
        data = (clean[:8],)
        other = dcgan_generator(16, 32, 3, filters=4)
    gan.compile()
    gan.fit(*data, batch_size=8, epochs=1, verbose=0)
    old = getattr(gan, name)
    setattr(gan, name, other)
    old_before, new_before = ([v.numpy().copy() for v in n.trainable_variables] for n in (old, other))
    with pytest.raises(ValueError, match=rf"Call `compile` again .*\. Received: {name}='{other.name}'$"):
        gan.fit(*data, batch_size=8, epochs=1, verbose=0)
    gan.compile()
    history = gan.fit(*data, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["g_loss"][0]) and np.isfinite(history["d_loss"][0])
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(old.trainable_variables, old_before))
    assert any(not np.array_equal(v.numpy(), b) for v, b in zip(other.trainable_variables, new_before))


def test_paired_mode_needs_pairs(hazy_pairs):
    gan = tiny_paired_gan()
    gan.compile()
    with pytest.raises(ValueError, match="pairs"):
        gan.fit(hazy_pairs[0], batch_size=8, epochs=1, verbose=0)
