"""Loss functions against their formulas and NumPy references."""

import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import losses
from kfreqgan import spectral


def softplus(x):
    return np.log1p(np.exp(x))


@pytest.mark.parametrize("kind", losses.ADVERSARIAL_LOSSES)
def test_adversarial_losses_match_their_formulas(kind, rng):
    real = rng.standard_normal((5, 1)).astype(np.float32)
    fake = rng.standard_normal((5, 4, 4, 1)).astype(np.float32)  # patch logits
    fake_mean = {
        "non_saturating": lambda f: softplus(-f),
        "hinge": lambda f: -f,
        "least_squares": lambda f: 0.5 * (f - 1) ** 2,
        "wasserstein": lambda f: -f,
    }[kind](fake).reshape(5, -1).mean(1)
    np.testing.assert_allclose(losses.generator_adversarial_loss(fake, kind).numpy(), fake_mean, rtol=1e-5)
    d_real, d_fake = {
        "non_saturating": (softplus(-real), softplus(fake)),
        "hinge": (np.maximum(0, 1 - real), np.maximum(0, 1 + fake)),
        "least_squares": (0.5 * (real - 1) ** 2, 0.5 * fake**2),
        "wasserstein": (-real, fake),
    }[kind]
    expected = d_real.reshape(5, -1).mean(1) + d_fake.reshape(5, -1).mean(1)
    np.testing.assert_allclose(losses.discriminator_adversarial_loss(real, fake, kind).numpy(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="kind"):
        losses.generator_adversarial_loss(fake, "wasserstein-ish")


def numpy_focal_frequency_loss(target, prediction, alpha=1.0, patch_factor=1, log_matrix=False):
    """The focal frequency loss written from the paper (Jiang et al. 2021),
    per image: orthonormal DFT of each channel of each patch, squared
    distance, focal weight normalised by its max and clipped to [0, 1]."""
    n, h, w, c = target.shape
    ph, pw = h // patch_factor, w // patch_factor
    out = np.zeros(n)
    for i in range(n):
        terms = []
        for py in range(patch_factor):
            for px in range(patch_factor):
                for ch in range(c):
                    window = (slice(py * ph, (py + 1) * ph), slice(px * pw, (px + 1) * pw), ch)
                    ft = np.fft.fft2(target[i][window], norm="ortho")
                    fp = np.fft.fft2(prediction[i][window], norm="ortho")
                    distance = np.abs(fp - ft) ** 2
                    weight = np.sqrt(distance) ** alpha
                    if log_matrix:
                        weight = np.log(weight + 1)
                    weight = np.clip(weight / weight.max(), 0, 1) if weight.max() > 0 else weight * 0
                    terms.append(weight * distance)
        out[i] = np.mean(terms)
    return out


@pytest.mark.parametrize("alpha,patch_factor,log_matrix", [(1.0, 1, False), (2.0, 2, False), (1.0, 4, True)])
def test_focal_frequency_loss_matches_the_paper(alpha, patch_factor, log_matrix, photos_32, rng):
    target = photos_32[:3].astype(np.float64)
    prediction = np.clip(target + 0.1 * rng.standard_normal(target.shape), 0, 1)
    got = losses.focal_frequency_loss(target, prediction, alpha, patch_factor, log_matrix).numpy()
    expected = numpy_focal_frequency_loss(target, prediction, alpha, patch_factor, log_matrix)
    np.testing.assert_allclose(got, expected, rtol=2e-4)
    np.testing.assert_allclose(losses.focal_frequency_loss(target, target).numpy(), 0.0, atol=1e-12)


def test_focal_frequency_loss_gradient_descends(photos_32):
    target = tf.constant(photos_32[:2])
    prediction = tf.Variable(spectral.band_filter(photos_32[:2], 0.0, 0.1, "gaussian"))
    before = float(tf.reduce_sum(losses.focal_frequency_loss(target, prediction)))
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(losses.focal_frequency_loss(target, prediction))
        # The loss is a mean over C*H*W = 3072 terms: scale the step to match.
        prediction.assign_sub(500.0 * tape.gradient(loss, prediction))
    assert float(tf.reduce_sum(losses.focal_frequency_loss(target, prediction))) < 0.5 * before


def test_radial_profile_loss_sees_spectra_not_positions(photos_32):
    target = photos_32[:3]
    shifted = np.roll(target, (5, 7), axis=(1, 2))  # same power spectrum
    assert np.all(losses.radial_profile_loss(target, shifted).numpy() < 1e-5)
    assert np.all(losses.l1_loss(target, shifted).numpy() > 0.02)
    blurred = spectral.band_filter(target, 0.0, 0.1, "gaussian")
    assert np.all(losses.radial_profile_loss(target, blurred).numpy() > 1.0)


def test_reduce_loss_is_the_global_mean_under_mirrored_strategy(mirrored_strategy):
    values = tf.constant([1.0, 2.0, 3.0, 6.0])
    dataset = mirrored_strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(values).batch(4))
    per_replica = mirrored_strategy.run(losses.reduce_loss, args=(next(iter(dataset)),))
    total = mirrored_strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
    assert float(total) == pytest.approx(3.0)
    assert float(losses.reduce_loss(values)) == pytest.approx(3.0)


def numpy_band_log_spectral_loss(target, prediction, band_weights=(1.0, 1.0, 1.0), bands=None, epsilon=1e-4):
    """The band-weighted log spectral loss written out: per image and channel,
    the orthonormal DFT power of both images, the |log gap| at every
    frequency, its mean over each band's frequencies (by radius), and the
    weighted mean of the band means; then the mean over channels."""
    bands = [(0.0, 0.08), (0.08, 0.25), (0.25, None)] if bands is None else bands
    n, h, w, c = target.shape
    out = np.zeros(n)
    for i in range(n):
        per_channel = []
        for ch in range(c):
            gap = np.abs(
                np.log(np.abs(np.fft.fft2(prediction[i, :, :, ch], norm="ortho")) ** 2 + epsilon)
                - np.log(np.abs(np.fft.fft2(target[i, :, :, ch], norm="ortho")) ** 2 + epsilon)
            )
            total, weights = 0.0, 0.0
            for (low, high), weight in zip(bands, band_weights):
                values = []
                for y in range(h):
                    for x in range(w):
                        radius = np.hypot(np.fft.fftfreq(h)[y], np.fft.fftfreq(w)[x])
                        if radius >= low and (high is None or radius < high):
                            values.append(gap[y, x])
                if values:
                    total += weight * np.mean(values)
                    weights += weight
            per_channel.append(total / weights)
        out[i] = np.mean(per_channel)
    return out


@pytest.mark.parametrize("band_weights,bands", [((1.0, 1.0, 1.0), None), ((0.0, 1.0, 4.0), None), ((2.0, 1.0), [(0.0, 0.2), (0.2, 0.3)])])
def test_band_log_spectral_loss_matches_a_numpy_reference(band_weights, bands, photos_32, rng):
    target = photos_32[:3].astype(np.float64)
    prediction = np.clip(spectral.band_filter(photos_32[:3], 0.0, 0.15, "gaussian").numpy() + 0.02 * rng.standard_normal(target.shape), 0, 1)
    got = losses.band_log_spectral_loss(target, prediction, band_weights, bands).numpy()
    expected = numpy_band_log_spectral_loss(target, prediction, band_weights, bands)
    np.testing.assert_allclose(got, expected, rtol=2e-4)
    np.testing.assert_allclose(losses.band_log_spectral_loss(target, target).numpy(), 0.0, atol=1e-6)


def test_band_log_spectral_loss_counts_the_high_band_by_its_weight(photos_32):
    # Blurring loses the high band: the loss grows with that band's weight,
    # while a focal loss on the same pair barely registers it.
    target = photos_32[:2]
    blurred = spectral.band_filter(target, 0.0, 0.2, "gaussian").numpy()
    low_only = losses.band_log_spectral_loss(target, blurred, (1.0, 0.0, 0.0)).numpy()
    high_only = losses.band_log_spectral_loss(target, blurred, (0.0, 0.0, 1.0)).numpy()
    assert np.all(high_only > 5 * low_only)
    with pytest.raises(ValueError, match="band_weights"):
        losses.band_log_spectral_loss(target, blurred, (1.0, 1.0))
    with pytest.raises(ValueError, match="band_weights"):
        losses.band_log_spectral_loss(target, blurred, (0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="epsilon"):
        losses.band_log_spectral_loss(target, blurred, epsilon=0.0)


def test_band_log_spectral_loss_gradient_restores_the_high_band(photos_32):
    target = tf.constant(photos_32[:2])
    prediction = tf.Variable(spectral.band_filter(photos_32[:2], 0.0, 0.2, "gaussian"))
    before = float(tf.reduce_sum(losses.band_log_spectral_loss(target, prediction)))
    for _ in range(30):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(losses.band_log_spectral_loss(target, prediction))
        prediction.assign_sub(0.01 * tf.sign(tape.gradient(loss, prediction)))
    assert float(tf.reduce_sum(losses.band_log_spectral_loss(target, prediction))) < 0.7 * before
