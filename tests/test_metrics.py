"""Metrics against their meaning and against NumPy / SciPy references."""

import socket

import keras
import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import tensorflow as tf

from kfreqgan import metrics
from kfreqgan.data import TRAIN_PHOTOS
from kfreqgan.data import photo_patches
from kfreqgan.layers import SpectralProfile

# --- references and fixtures -----------------------------------------------


def scipy_frechet_distance(mu1, sigma1, mu2, sigma2):
    """The usual FID formula with scipy's general matrix square root, as in
    TTUR / pytorch-fid."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def nuclear_frechet_distance(features1, features2):
    """Exact FID from the samples themselves: tr((S1 S2)^(1/2)) is the sum
    of the singular values of X1c X2c^T / sqrt((n1 - 1)(n2 - 1)), accurate
    also when the covariances are singular (n < d)."""
    centred1 = features1 - features1.mean(0)
    centred2 = features2 - features2.mean(0)
    trace_root = np.linalg.svd(centred1 @ centred2.T, compute_uv=False).sum()
    trace_root /= np.sqrt((len(features1) - 1) * (len(features2) - 1))
    diff = features1.mean(0) - features2.mean(0)
    trace1 = (centred1**2).sum() / (len(features1) - 1)
    trace2 = (centred2**2).sum() / (len(features2) - 1)
    return diff @ diff + trace1 + trace2 - 2 * trace_root


def slow_mmd2(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, one pair at a time."""
    m, d = x.shape

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return (xx + yy) / (m * (m - 1)) - 2 * xy / m**2


def random_psd(rng, d, rank=None, ridge=0.0):
    factor = rng.standard_normal((d, d if rank is None else rank))
    return factor @ factor.T / factor.shape[1] + ridge * np.eye(d)


def blur(images, sigma):
    if sigma == 0:
        return images
    return scipy.ndimage.gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode="reflect").astype(np.float32)


@pytest.fixture(scope="module")
def patches():
    """280 real photo patches, 32x32 RGB, from the training photos."""
    return photo_patches(TRAIN_PHOTOS, 32, per_photo=40, seed=0, short_side=96)


def conv_net(seed=7, input_shape=(32, 32, 3)):
    """A tiny random-init conv net (fixed seeds) returning a feature map."""
    init = keras.initializers.HeNormal
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Conv2D(16, 3, strides=2, activation="relu", kernel_initializer=init(seed)),
            keras.layers.Conv2D(24, 3, strides=2, activation="relu", kernel_initializer=init(seed + 1)),
        ]
    )


@pytest.fixture(scope="module")
def conv_extractor():
    return metrics.FeatureExtractor(conv_net(), batch_size=64)


@pytest.fixture(scope="module")
def spectral_extractor():
    """Fixed features, no weights: the radial log-magnitude profile (20-d,
    not min-max normalised, so that blur moves it monotonically)."""
    model = keras.Sequential([keras.Input((32, 32, 3)), SpectralProfile(normalize=False)])
    return metrics.FeatureExtractor(model, batch_size=64)


# --- PSNR and SSIM ---------------------------------------------------------


def test_psnr_matches_its_formula(photos_64, rng):
    noisy = np.clip(photos_64 + 0.05 * rng.standard_normal(photos_64.shape), 0, 1).astype(np.float32)
    mse = ((photos_64.astype(np.float64) - noisy) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(metrics.psnr(photos_64, noisy).numpy(), 10 * np.log10(1 / mse), rtol=1e-5)
    assert np.all(np.isinf(metrics.psnr(photos_64, photos_64).numpy()))


def test_ssim_is_tensorflows_and_falls_with_blur(photos_64):
    np.testing.assert_allclose(metrics.ssim(photos_64, photos_64).numpy(), 1.0, atol=1e-6)
    blurred = [metrics.ssim(photos_64, blur(photos_64, sigma)).numpy() for sigma in (0.5, 1.0, 2.0)]
    np.testing.assert_allclose(blurred[0], tf.image.ssim(photos_64, blur(photos_64, 0.5), 1.0).numpy())
    assert np.all(blurred[0] > blurred[1]) and np.all(blurred[1] > blurred[2])
    small = photos_64[:, :8, :8]
    assert metrics.ssim(small, small, filter_size=5).shape == (6,)


@pytest.mark.parametrize("metric", [metrics.psnr, metrics.ssim])
def test_paired_metrics_reject_bad_images(metric, photos_64):
    with pytest.raises(ValueError, match="same shape"):
        metric(photos_64, photos_64[:, :32])
    with pytest.raises(ValueError, match="rank 4"):
        metric(photos_64[0], photos_64[0])
    with pytest.raises(ValueError, match="floating"):
        metric((photos_64 * 255).astype(np.uint8), photos_64)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metric(photos_64, photos_64 * 2)
    with pytest.raises(ValueError, match="NaN"):
        metric(photos_64, np.full_like(photos_64, np.nan))


def test_ssim_rejects_images_smaller_than_its_window(photos_64):
    with pytest.raises(ValueError, match="filter_size"):
        metrics.ssim(photos_64[:, :8, :8], photos_64[:, :8, :8])
    with pytest.raises(ValueError, match="filter_sigma"):
        metrics.ssim(photos_64, photos_64, filter_sigma=0)


# --- Frechet distance ------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 16, 64, 200])
def test_frechet_distance_matches_scipy_sqrtm_on_random_psd(d, rng):
    for _ in range(3):
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        sigma1, sigma2 = random_psd(rng, d), random_psd(rng, d, ridge=0.1)
        expected = scipy_frechet_distance(mu1, sigma1, mu2, sigma2)
        np.testing.assert_allclose(metrics.frechet_distance(mu1, sigma1, mu2, sigma2), expected, rtol=1e-10)


def test_frechet_distance_matches_scipy_on_real_features(patches, conv_extractor):
    real = conv_extractor(patches[::2])
    fake = conv_extractor(blur(patches[1::2], 1.0))
    mu1, sigma1 = metrics.feature_statistics(real)
    mu2, sigma2 = metrics.feature_statistics(fake)
    distance = metrics.frechet_distance(mu1, sigma1, mu2, sigma2)
    # FID is a difference of traces, so round-off is measured on their scale.
    scale = np.trace(sigma1) + np.trace(sigma2)
    assert distance > 1e-3 * scale
    assert abs(distance - scipy_frechet_distance(mu1, sigma1, mu2, sigma2)) < 1e-12 * scale
    exact = nuclear_frechet_distance(real.astype(np.float64), fake.astype(np.float64))
    assert abs(distance - exact) < 1e-14 * scale


def test_frechet_distance_is_exact_for_singular_covariances(rng):
    # Commuting covariances of rank 5 and 8 in 40-d: tr((S1 S2)^(1/2)) = sum sqrt(a b).
    basis, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    a = np.r_[rng.random(5) + 0.1, np.zeros(35)]
    b = np.r_[rng.random(8) + 0.1, np.zeros(32)]
    sigma1, sigma2 = (basis * a) @ basis.T, (basis * b) @ basis.T
    expected = a.sum() + b.sum() - 2 * np.sqrt(a * b).sum()
    zero = np.zeros(40)
    np.testing.assert_allclose(metrics.frechet_distance(zero, sigma1, zero, sigma2), expected, rtol=1e-12)
    # Fewer samples than features (n = 30, d = 100), against the exact
    # sample-based value: accurate where scipy's sqrtm is not.
    x1 = rng.standard_normal((30, 100))
    x2 = 1.5 * rng.standard_normal((30, 100)) + 0.2
    mu1, s1 = metrics.feature_statistics(x1)
    mu2, s2 = metrics.feature_statistics(x2)
    exact = nuclear_frechet_distance(x1, x2)
    np.testing.assert_allclose(metrics.frechet_distance(mu1, s1, mu2, s2), exact, rtol=1e-12)
    assert metrics.frechet_distance(mu1, s1, mu1, s1) < 1e-12 * np.trace(s1)


def test_frechet_distance_meaning(rng):
    sigma1, sigma2 = random_psd(rng, 8), random_psd(rng, 8, rank=3)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    assert metrics.frechet_distance(mu1, sigma1, mu1, sigma1) < 1e-12
    # Shifting the mean adds exactly ||mu1 - mu2||^2.
    np.testing.assert_allclose(metrics.frechet_distance(mu1, sigma1, mu2, sigma1), np.sum((mu1 - mu2) ** 2), rtol=1e-10)
    # Symmetric, also with one covariance singular.
    forward = metrics.frechet_distance(mu1, sigma1, mu2, sigma2)
    np.testing.assert_allclose(metrics.frechet_distance(mu2, sigma2, mu1, sigma1), forward, rtol=1e-12)
    # 1-D Gaussians: (m1 - m2)^2 + (s1 - s2)^2 with standard deviations s.
    np.testing.assert_allclose(metrics.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]), 4.0 + 1.0)


def test_frechet_distance_rejects_bad_statistics(rng):
    mu, sigma = np.zeros(4), np.eye(4)
    with pytest.raises(ValueError, match="same number of features"):
        metrics.frechet_distance(mu, sigma, np.zeros(5), np.eye(5))
    with pytest.raises(ValueError, match=r"sigma2.shape=\(3, 3\)"):
        metrics.frechet_distance(mu, sigma, mu, np.eye(3))
    with pytest.raises(ValueError, match="mu1"):
        metrics.frechet_distance(np.zeros((4, 1)), sigma, mu, sigma)
    with pytest.raises(ValueError, match="symmetric"):
        metrics.frechet_distance(mu, sigma + np.triu(np.ones((4, 4)), 1), mu, sigma)
    with pytest.raises(ValueError, match="positive semi-definite"):
        metrics.frechet_distance(mu, sigma, mu, np.diag([1.0, 1.0, 1.0, -0.5]))
    with pytest.raises(ValueError, match="NaN"):
        metrics.frechet_distance(mu, np.full((4, 4), np.nan), mu, sigma)


def test_feature_statistics_match_numpy_and_need_two_samples(rng):
    features = rng.standard_normal((10, 3)).astype(np.float32)
    mu, sigma = metrics.feature_statistics(features)
    assert mu.dtype == sigma.dtype == np.float64
    np.testing.assert_allclose(mu, features.mean(0), rtol=1e-6)
    np.testing.assert_allclose(sigma, np.cov(features.astype(np.float64), rowvar=False), rtol=1e-12)
    assert metrics.feature_statistics(features[:, :1])[1].shape == (1, 1)
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.feature_statistics(features[:1])
    with pytest.raises(ValueError, match=r"shape=\(10,\)"):
        metrics.feature_statistics(features[:, 0])


# --- KID --------------------------------------------------------------------


def test_kid_matches_a_slow_reference_with_the_same_subsets(rng):
    a = rng.standard_normal((15, 4))
    b = 0.8 * rng.standard_normal((12, 4)) + 0.3
    result = metrics.kernel_inception_distance(a, b, num_subsets=3, subset_size=6, seed=5)
    draw = np.random.default_rng(5)
    expected = []
    for _ in range(3):
        rows_a = draw.choice(15, 6, replace=False)
        rows_b = draw.choice(12, 6, replace=False)
        expected.append(slow_mmd2(a[rows_a], b[rows_b]))
    np.testing.assert_allclose(result.per_subset, expected, rtol=1e-12)
    np.testing.assert_allclose(result.mean, np.mean(expected), rtol=1e-12)
    np.testing.assert_allclose(result.std, np.std(expected), rtol=1e-12)
    # With one subset of every row the draw is only a permutation.
    whole = metrics.kernel_inception_distance(a[:12], b, num_subsets=1, subset_size=12)
    np.testing.assert_allclose(whole.mean, slow_mmd2(a[:12], b), rtol=1e-12)
    assert whole.std == 0.0


def test_kid_is_unbiased_for_one_distribution_and_not_for_two(rng):
    """Over 400 independent pairs of 20 samples of N(0, I), the unbiased
    estimate averages to 0 within its standard error, while the biased
    V-statistic (diagonal kept) and a shifted distribution sit far above."""
    unbiased, biased, shifted = [], [], []
    for _ in range(400):
        x, y = rng.standard_normal((2, 20, 4))
        unbiased.append(metrics.kernel_inception_distance(x, y, num_subsets=1).mean)
        kernel = lambda p, q: (p @ q.T / 4 + 1) ** 3  # noqa: E731
        biased.append(kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean())
        shifted.append(metrics.kernel_inception_distance(x, y + 0.5, num_subsets=1).mean)
    standard_error = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert np.mean(biased) > 10 * standard_error
    assert np.mean(shifted) > 10 * standard_error
    assert min(unbiased) < 0  # unbiased estimates can be negative


def test_kid_rejects_bad_arguments(rng):
    a, b = rng.standard_normal((10, 4)), rng.standard_normal((8, 4))
    with pytest.raises(ValueError, match="same number of features"):
        metrics.kernel_inception_distance(a, rng.standard_normal((10, 5)))
    with pytest.raises(ValueError, match="subset_size=9"):
        metrics.kernel_inception_distance(a, b, subset_size=9)
    with pytest.raises(ValueError, match="subset_size"):
        metrics.kernel_inception_distance(a, b, subset_size=1)
    with pytest.raises(ValueError, match="num_subsets"):
        metrics.kernel_inception_distance(a, b, num_subsets=0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.kernel_inception_distance(a, b[:1])
    with pytest.raises(ValueError, match="seed"):
        metrics.kernel_inception_distance(a, b, seed=-1)
    with pytest.raises(ValueError, match="NaN"):
        metrics.kernel_inception_distance(a, np.full((8, 4), np.inf))
    assert metrics.kernel_inception_distance(a, b, num_subsets=2).per_subset.shape == (2,)


# --- feature extractors -----------------------------------------------------


def test_extractor_pools_batches_resizes_and_preprocesses(patches, rng):
    model = conv_net()
    extractor = metrics.FeatureExtractor(model, batch_size=7)
    images = patches[:20]
    features = extractor(images)
    assert features.shape == (20, 24) and features.dtype == np.float32
    expected = tf.reduce_mean(model(images), axis=(1, 2)).numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(extractor(images, batch_size=20), features, rtol=1e-5, atol=1e-6)
    # 64x64 input is resized to the model's 32x32, with antialiasing.
    large = tf.image.resize(images, (64, 64), method="bicubic").numpy().clip(0, 1)
    resized = tf.image.resize(large, (32, 32), method="bilinear", antialias=True)
    np.testing.assert_allclose(extractor(large), extractor(resized.numpy()), rtol=1e-5, atol=1e-6)
    # Grey images are repeated to RGB; `preprocess` sees [0, 1] after resizing.
    gray = images[..., :1]
    np.testing.assert_allclose(extractor(gray), extractor(np.repeat(gray, 3, -1)), rtol=1e-6)
    shifted = metrics.FeatureExtractor(model, preprocess=lambda x: 2 * x - 1)
    np.testing.assert_allclose(
        shifted(images), tf.reduce_mean(model(2 * images - 1), axis=(1, 2)).numpy(), rtol=1e-5, atol=1e-6
    )


def test_extractor_without_a_static_size_takes_any_size(patches):
    inputs = keras.Input((None, None, 3))
    outputs = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(5, 3)(inputs))
    extractor = metrics.FeatureExtractor(keras.Model(inputs, outputs))
    assert extractor.image_size is None
    assert extractor(patches[:3]).shape == (3, 5)
    assert extractor(patches[:3, :20, :24]).shape == (3, 5)


def test_extractor_rejects_bad_models_and_images(patches):
    with pytest.raises(ValueError, match="Keras model"):
        metrics.FeatureExtractor(lambda x: x)
    with pytest.raises(ValueError, match="batch_size"):
        metrics.FeatureExtractor(conv_net(), batch_size=0)
    with pytest.raises(ValueError, match="image_size"):
        metrics.FeatureExtractor(conv_net(), image_size=32)
    first, second = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    with pytest.raises(ValueError, match="one image input"):
        metrics.FeatureExtractor(keras.Model([first, second], first + second))
    inputs = keras.Input((8, 8, 3))
    two_outputs = metrics.FeatureExtractor(keras.Model(inputs, [inputs, inputs]))
    with pytest.raises(ValueError, match=r"The feature model must return one tensor, not a list\. Received: len\(outputs\)=2"):
        two_outputs(patches[:2])
    extractor = metrics.FeatureExtractor(conv_net())
    with pytest.raises(ValueError, match="3-channel"):
        extractor(patches[:2, ..., :2])
    with pytest.raises(ValueError, match="rank 4"):
        extractor(patches[0])
    with pytest.raises(ValueError, match="floating"):
        extractor((patches[:2] * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        extractor(patches[:2] * 2 - 1)


def test_random_conv_extractor_is_a_fixed_three_layer_net(patches):
    """The net the GAN-metrics benchmarks used (written out by hand here): the
    same seeds give the same features, another seed other features."""
    init = keras.initializers.HeNormal
    by_hand = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Conv2D(32, 3, strides=2, activation="relu", kernel_initializer=init(7)),
            keras.layers.Conv2D(64, 3, strides=2, activation="relu", kernel_initializer=init(8)),
            keras.layers.Conv2D(64, 3, strides=2, activation="relu", kernel_initializer=init(9)),
        ]
    )
    expected = tf.reduce_mean(by_hand(patches[:20]), axis=(1, 2)).numpy()
    features = metrics.random_conv_extractor(32)(patches[:20])
    assert features.shape == (20, 64)
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(metrics.random_conv_extractor((32, 32), batch_size=7)(patches[:20]), features)
    assert np.abs(metrics.random_conv_extractor(32, seed=8)(patches[:20]) - features).max() > 1e-3
    assert metrics.random_conv_extractor(16).image_size == (16, 16)
    for bad in (None, 0, (32,), True):
        with pytest.raises(ValueError, match="image_size"):
            metrics.random_conv_extractor(bad)


def test_inception_extractor_explains_how_to_get_weights_without_downloading(tmp_path):
    with pytest.raises(ValueError, match=metrics.INCEPTION_V3_WEIGHTS_FILE) as error:
        metrics.inception_v3_extractor(None)
    assert "weights_path" in str(error.value) and "never" in str(error.value)
    with pytest.raises(FileNotFoundError, match=metrics.INCEPTION_V3_WEIGHTS_FILE):
        metrics.inception_v3_extractor(tmp_path / metrics.INCEPTION_V3_WEIGHTS_FILE)
    with pytest.raises(ValueError, match=r"\.h5"):
        metrics.inception_v3_extractor(tmp_path / "inception.pb")
    with pytest.raises(ValueError, match="file path"):
        metrics.inception_v3_extractor(3)
    truncated = tmp_path / metrics.INCEPTION_V3_WEIGHTS_FILE
    truncated.write_bytes(b"<html>not the weights</html>")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        metrics.inception_v3_extractor(truncated)


@pytest.mark.slow
def test_inception_extractor_loads_local_weights(tmp_path, monkeypatch, rng):
    """Random-init InceptionV3 weights saved to disk come back exactly, in both
    file formats, with the network unreachable; wrong weights are refused."""

    def no_network(*args, **kwargs):
        raise AssertionError("no download may be attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    source = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None)
    images = rng.random((2, 32, 32, 3)).astype(np.float32)
    resized = tf.image.resize(images, (299, 299), method="bilinear", antialias=True)
    expected = source(keras.applications.inception_v3.preprocess_input(resized * 255.0), training=False).numpy()

    source.save_weights(tmp_path / "inception.weights.h5")
    extractor = metrics.inception_v3_extractor(tmp_path / "inception.weights.h5", batch_size=2)
    assert extractor.image_size == (299, 299)
    np.testing.assert_allclose(extractor(images), expected, rtol=1e-4, atol=1e-5)

    source.save(tmp_path / "legacy.h5")  # the format of Keras's download
    legacy = metrics.inception_v3_extractor(str(tmp_path / "legacy.h5"))
    np.testing.assert_allclose(legacy.model.get_weights()[0], source.get_weights()[0])

    conv_net().save_weights(tmp_path / "other.weights.h5")
    with pytest.raises(ValueError, match="Could not load InceptionV3"):
        metrics.inception_v3_extractor(tmp_path / "other.weights.h5")


# --- FID and KID of image sets ----------------------------------------------


def test_fid_and_kid_grow_with_blur(patches, spectral_extractor):
    real, other = patches[::2], patches[1::2]
    assert metrics.fid(real, real, spectral_extractor) < 1e-9
    fids, kids = [], []
    for sigma in (0.0, 0.5, 1.0, 2.0):
        fake = blur(other, sigma)
        fids.append(metrics.fid(real, fake, spectral_extractor))
        kids.append(metrics.kid(real, fake, spectral_extractor, num_subsets=20, subset_size=100).mean)
    assert np.all(np.diff(fids) > 0), fids
    assert np.all(np.diff(kids) > 0), kids
    # Two disjoint halves of one distribution: FID small, KID near 0.
    assert fids[0] < 0.1 * fids[1], fids
    assert abs(kids[0]) < 0.01 * kids[2], kids


def test_fid_grows_with_blur_under_a_random_conv_net(patches, conv_extractor):
    real, other = patches[::2], patches[1::2]
    assert metrics.fid(real, real, conv_extractor) < 1e-9
    fids = [metrics.fid(real, blur(other, sigma), conv_extractor) for sigma in (0.0, 1.0, 2.0, 3.0)]
    assert np.all(np.diff(fids) > 0), fids


def test_fid_is_symmetric_and_accepts_a_bare_keras_model(patches):
    real, fake = patches[:60], blur(patches[60:120], 1.0)
    model = conv_net()
    forward = metrics.fid(real, fake, model, batch_size=16)
    np.testing.assert_allclose(metrics.fid(fake, real, model), forward, rtol=1e-9)
    kid = metrics.kid(real, fake, model, num_subsets=5, subset_size=30, seed=1)
    assert kid.per_subset.shape == (5,) and kid.mean > 0


@pytest.mark.parametrize("metric", ["fid", "kid"])
@pytest.mark.parametrize(
    "make_fake",
    [
        lambda images: tf.image.resize(images, (16, 16)).numpy(),  # the extractor would resize it back
        lambda images: images[:, :, :24],
        lambda images: images[..., :1],  # grey: the extractor would tile it to RGB
    ],
    ids=["smaller", "narrower", "grey"],
)
def test_fid_and_kid_refuse_sets_of_different_image_shapes(metric, make_fake, patches, conv_extractor):
    real, fake = patches[:40], make_fake(patches[40:70])
    pattern = (
        r"`real_images` and `fake_images` must hold images of the same height, width and channels .*"
        rf"Received: real_images\.shape=\(40, 32, 32, 3\), fake_images\.shape=\({', '.join(map(str, fake.shape))}\)$"
    )
    with pytest.raises(ValueError, match=pattern):
        getattr(metrics, metric)(real, fake, conv_extractor)
    # Sets of different numbers of images of one shape are fine.
    assert np.isfinite(metrics.fid(real, patches[40:70], conv_extractor))


def test_fid_and_kid_reject_bad_inputs(patches, conv_extractor):
    with pytest.raises(ValueError, match="extractor"):
        metrics.fid(patches, patches, extractor="inception")
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.fid(patches[:1], patches[:4], conv_extractor)
    with pytest.raises(ValueError, match="real_images"):
        metrics.fid(patches[0], patches, conv_extractor)
    with pytest.raises(ValueError, match="fake_images"):
        metrics.fid(patches, patches.astype(np.int32), conv_extractor)
    with pytest.raises(ValueError, match="subset_size"):
        metrics.kid(patches[:10], patches[:20], conv_extractor, subset_size=15)
    with pytest.raises(ValueError, match="batch_size"):
        metrics.kid(patches, patches, conv_extractor, batch_size=-1)
