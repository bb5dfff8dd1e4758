"""Precision/recall, density/coverage, PRD, Inception Score and diversity:
equal to their reference implementations on the same feature vectors, and
telling apart the failures that FID mixes. Then the training callback."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import fidelity_diversity as fd
from kfreqgan import metrics
from kfreqgan.analysis import plot_precision_recall_curve
from kfreqgan.callbacks import GANMetricsMonitor
from kfreqgan.data import TRAIN_PHOTOS
from kfreqgan.data import photo_patches
from kfreqgan.models import FreqGAN
from kfreqgan.models import dcgan_discriminator
from kfreqgan.models import dcgan_generator


def random_conv_extractor(seed=7):
    """A tiny random-init conv net (fixed seeds): features without weights files."""
    init = keras.initializers.HeNormal
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Conv2D(16, 3, strides=2, activation="relu", kernel_initializer=init(seed)),
            keras.layers.Conv2D(24, 3, strides=2, activation="relu", kernel_initializer=init(seed + 1)),
        ]
    )
    return metrics.FeatureExtractor(model, batch_size=64)


@pytest.fixture(scope="module")
def patches():
    """120 real 16x16 patches of the training photos."""
    return photo_patches(TRAIN_PHOTOS, 16, per_photo=20, seed=0, short_side=64)


def blobs(rng, centres, per_centre, spread=0.1):
    centres = np.asarray(centres, np.float64)
    points = centres[:, np.newaxis, :] + spread * rng.standard_normal((len(centres), per_centre, centres.shape[1]))
    return points.reshape(-1, centres.shape[1])


# --- precision, recall, density, coverage ----------------------------------


def feature_pairs(rng):
    """(name, real, fake, k) cases: Gaussians, shifted and scaled, sizes that
    differ, and features of real photo patches under a random conv net."""
    yield "same", rng.standard_normal((200, 16)), rng.standard_normal((150, 16)), 5
    yield "shifted", rng.standard_normal((120, 8)), rng.standard_normal((180, 8)) + 0.7, 3
    yield "narrow", rng.standard_normal((100, 32)), 0.3 * rng.standard_normal((100, 32)), 10


def test_prdc_equals_the_prdc_package(rng, patches):
    prdc_package = pytest.importorskip("prdc")
    cases = list(feature_pairs(rng))
    extractor = random_conv_extractor()
    real = extractor(patches[:60]).astype(np.float64)
    fake = extractor(np.clip(patches[60:] * 0.8 + 0.1, 0, 1)).astype(np.float64)
    cases.append(("photo features", real, fake, 5))
    for name, real, fake, k in cases:
        expected = prdc_package.compute_prdc(real, fake, nearest_k=k)
        result = fd.prdc(real, fake, nearest_k=k)
        # Every value is a count over strict `distance < radius` tests; both
        # compute float64 distances by |a|^2 + |b|^2 - 2 a.b, so a count can
        # only differ if a distance lies within ~1e-12 of a radius.
        for key in ("precision", "recall", "density", "coverage"):
            assert getattr(result, key) == pytest.approx(float(expected[key]), rel=1e-12, abs=1e-12), (name, key)
        assert fd.precision_recall(real, fake, k) == (result.precision, result.recall)
        assert fd.density_coverage(real, fake, k) == (result.density, result.coverage)


def test_prdc_tells_mode_dropping_from_bad_samples(rng):
    """FID rises for both failures; these measures say which it is."""
    modes = rng.standard_normal((8, 4)) * 10
    real = blobs(rng, modes, 50)
    dropped = blobs(rng, modes[:4], 100)  # half the modes, samples perfect
    noisy = np.vstack([blobs(rng, modes, 25), rng.uniform(-20, 20, (200, 4))])  # all modes, half garbage
    a, b = fd.prdc(real, dropped, 5), fd.prdc(real, noisy, 5)
    assert a.precision > 0.95 and a.recall < 0.6 and a.coverage < 0.55
    assert b.precision < 0.6 and b.recall > 0.9 and b.coverage > 0.8
    same = fd.prdc(real, blobs(rng, modes, 50), 5)
    assert same.density == pytest.approx(1.0, abs=0.15) and same.coverage > 0.95


def test_prdc_bad_inputs_raise(rng):
    with pytest.raises(ValueError, match="same number of features"):
        fd.prdc(rng.standard_normal((10, 3)), rng.standard_normal((10, 4)))
    with pytest.raises(ValueError, match="nearest_k"):
        fd.prdc(rng.standard_normal((5, 3)), rng.standard_normal((10, 3)), nearest_k=5)
    with pytest.raises(ValueError, match="NaN"):
        fd.prdc(np.full((10, 3), np.nan), rng.standard_normal((10, 3)))


# --- PRD curves ------------------------------------------------------------


def reference_prd(eval_dist, ref_dist, num_angles=1001, epsilon=1e-10):
    """Sajjadi et al. (2018), Eq. (3)-(4), one angle at a time."""
    precision, recall = [], []
    for angle in np.linspace(epsilon, np.pi / 2 - epsilon, num_angles):
        slope = np.tan(angle)
        p = sum(min(slope * r, e) for e, r in zip(eval_dist, ref_dist))
        precision.append(min(p, 1.0))
        recall.append(min(p / slope, 1.0))
    return np.array(precision), np.array(recall)


def test_prd_from_histograms_equals_the_formula(rng):
    eval_dist = rng.dirichlet(np.ones(12))
    ref_dist = rng.dirichlet(np.ones(12))
    ref_dist[3] = 0.0
    ref_dist /= ref_dist.sum()
    precision, recall = fd.prd_from_histograms(eval_dist, ref_dist, num_angles=101)
    expected = reference_prd(eval_dist, ref_dist, num_angles=101)
    np.testing.assert_allclose(precision, expected[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(recall, expected[1], rtol=1e-12, atol=1e-15)
    # Identical distributions reach (1, 1); disjoint ones stay at 0.
    p, r = fd.prd_from_histograms(eval_dist, eval_dist)
    assert np.max(np.minimum(p, r)) > 0.99
    p, r = fd.prd_from_histograms([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5])
    assert p.max() == 0 and r.max() == 0


def test_kmeans_finds_the_partition_scikit_learn_finds(rng):
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    from sklearn.metrics import adjusted_rand_score

    data = blobs(rng, rng.standard_normal((6, 5)) * 4, 40, spread=0.5)
    labels, centres = fd.kmeans(data, 6, seed=0)
    reference = sklearn_cluster.KMeans(6, n_init=10, random_state=0).fit(data)
    assert adjusted_rand_score(labels, reference.labels_) == 1.0
    inertia = ((data - centres[labels]) ** 2).sum()
    assert inertia == pytest.approx(reference.inertia_, rel=1e-9)


def test_prd_curve_separates_mode_dropping_from_bad_samples(rng):
    modes = rng.standard_normal((10, 6)) * 10
    real = blobs(rng, modes, 40)
    dropped = blobs(rng, modes[:5], 80)
    noisy = np.vstack([blobs(rng, modes, 20), rng.uniform(-25, 25, (200, 6))])
    a = fd.prd_curve(real, dropped, num_runs=3)
    b = fd.prd_curve(real, noisy, num_runs=3)
    assert a.f_beta_inv > 0.9 and a.f_beta < 0.6  # precise, but misses modes
    assert b.f_beta > a.f_beta and b.f_beta_inv < a.f_beta_inv
    same = fd.prd_curve(real, blobs(rng, modes, 40), num_runs=3)
    assert min(same.f_beta, same.f_beta_inv) > 0.9
    figure = plot_precision_recall_curve({"dropped": a, "noisy": b, "pair": (same.precision, same.recall)})
    assert len(figure.axes[0].lines) == 3
    with pytest.raises(ValueError, match="as many generated as real"):
        fd.prd_curve(real, dropped[:10])
    with pytest.raises(ValueError, match="at least one curve"):
        plot_precision_recall_curve({})


# --- Inception Score -------------------------------------------------------


def torch_fidelity_inception_score(logits, splits=10, shuffle=True, rng_seed=2020):
    """torch-fidelity's `isc_features_to_metric`, written out in NumPy
    (float64; softmax and log-softmax per row; chunk i is rows
    [i N // splits, (i + 1) N // splits); np.std of the chunk scores)."""
    n = logits.shape[0]
    if shuffle:
        logits = logits[np.random.RandomState(rng_seed).permutation(n)]
    logits = logits.astype(np.float64)
    scores = []
    for i in range(splits):
        chunk = logits[i * n // splits : (i + 1) * n // splits]
        log_p = np.array([row - row.max() - np.log(np.sum(np.exp(row - row.max()))) for row in chunk])
        p = np.exp(log_p)
        log_q = np.log(p.mean(axis=0))
        kl = [np.sum(p[j] * (log_p[j] - log_q)) for j in range(len(chunk))]
        scores.append(np.exp(np.mean(kl)))
    return float(np.mean(scores)), float(np.std(scores))


@pytest.mark.parametrize("count,splits,shuffle", [(103, 10, True), (50, 10, False), (40, 3, True), (7, 1, True)])
def test_inception_score_equals_torch_fidelitys_formula(count, splits, shuffle, rng):
    logits = (rng.standard_normal((count, 20)) * 3).astype(np.float32)
    mean, std = torch_fidelity_inception_score(logits, splits, shuffle)
    result = fd.inception_score(logits=logits, splits=splits, shuffle=shuffle)
    assert result.mean == pytest.approx(mean, rel=1e-12) and result.std == pytest.approx(std, rel=1e-9, abs=1e-12)
    assert len(result.per_split) == splits
    probabilities = np.exp(logits.astype(np.float64) - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    from_probabilities = fd.inception_score(probabilities=probabilities, splits=splits, shuffle=shuffle)
    assert from_probabilities.mean == pytest.approx(mean, rel=1e-9)


def test_inception_score_extremes_and_a_classifier():
    # Confident and evenly spread over C classes: IS = C; one class: IS = 1.
    confident = np.eye(8)[np.arange(80) % 8] * 1.0
    assert fd.inception_score(probabilities=confident, splits=2, shuffle=False).mean == pytest.approx(8.0)
    assert fd.inception_score(probabilities=np.eye(8)[np.zeros(80, int)], splits=2).mean == pytest.approx(1.0)
    keras.utils.set_random_seed(0)
    classifier = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(5)])
    images = np.random.default_rng(0).uniform(size=(30, 8, 8, 3)).astype(np.float32)
    logits = classifier.predict(images, verbose=0)
    expected = fd.inception_score(logits=logits, splits=3).mean
    assert fd.classifier_inception_score(images, classifier, splits=3).mean == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="exactly one"):
        fd.inception_score()
    with pytest.raises(ValueError, match="rows summing to 1"):
        fd.inception_score(probabilities=logits)
    with pytest.raises(ValueError, match="splits"):
        fd.inception_score(logits=logits, splits=31)


# --- diversity -------------------------------------------------------------


def test_mean_pairwise_distance_and_the_diversity_ratio(rng, patches):
    samples = rng.standard_normal((30, 2, 2, 3))
    flat = samples.reshape(30, -1)
    expected = np.mean([np.linalg.norm(flat[i] - flat[j]) for i in range(30) for j in range(30) if i != j])
    assert fd.mean_pairwise_distance(samples) == pytest.approx(expected, rel=1e-10)
    collapsed = np.repeat(patches[:1], 40, axis=0)
    assert fd.mean_pairwise_distance(collapsed) == pytest.approx(0.0, abs=1e-6)
    assert fd.diversity_ratio(patches[:60], collapsed) < 1e-5
    assert fd.diversity_ratio(patches[:60], patches[60:]) == pytest.approx(1.0, abs=0.15)
    assert fd.mean_pairwise_distance(patches, max_samples=50) == pytest.approx(fd.mean_pairwise_distance(patches), rel=0.1)
    with pytest.raises(ValueError, match="no spread"):
        fd.diversity_ratio(collapsed, patches)
    # Distances between images of two sizes do not compare.
    with pytest.raises(ValueError, match=r"same shape .*Received: reference\.shape=\(60, 16, 16, 3\), samples\.shape=\(60, 8, 8, 3\)"):
        fd.diversity_ratio(patches[:60], patches[60:, ::2, ::2])


# --- the callback ----------------------------------------------------------


def test_monitor_flags_a_collapsed_paired_model(patches, tmp_path):
    """An image-to-image model that returns one image whatever its input:
    diversity 0 and recall/coverage near 0, where the identity model of the
    targets gets diversity 1 and precision 1."""
    targets = patches[:40]
    extractor = random_conv_extractor()
    mean_image = targets.mean(axis=0, keepdims=True)
    models = {
        "identity": keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Identity()]),
        "collapsed": keras.Sequential(
            [keras.Input((16, 16, 3)), keras.layers.Lambda(lambda x: 0.0 * x + mean_image)]
        ),
    }
    results = {}
    for name, model in models.items():
        model.compile(loss="mse")
        monitor = GANMetricsMonitor(targets, targets, extractor, nearest_k=3, log_dir=os.path.join(tmp_path, name))
        logs = {}
        monitor.set_model(model)
        monitor.on_epoch_end(0, logs)
        results[name] = logs
    assert results["identity"]["gan_diversity"] == pytest.approx(1.0)
    assert results["identity"]["gan_precision"] == 1.0 and results["identity"]["gan_fid"] == pytest.approx(0, abs=1e-6)
    assert results["collapsed"]["gan_diversity"] < 1e-5
    assert results["collapsed"]["gan_recall"] < 0.1 and results["collapsed"]["gan_coverage"] < 0.1
    assert os.listdir(os.path.join(tmp_path, "collapsed"))  # TensorBoard events


def test_monitor_logs_every_n_epochs_during_fit(patches, tmp_path):
    keras.utils.set_random_seed(0)
    gan = FreqGAN(dcgan_generator(8, 16, 3, filters=4), dcgan_discriminator((16, 16, 3), filters=4), mode="unconditional")
    gan.compile()
    latent = np.random.default_rng(1).standard_normal((40, 8)).astype(np.float32)
    monitor = GANMetricsMonitor(patches[:40], latent, random_conv_extractor(), every_n_epochs=2, nearest_k=3, prd=True,
                                classifier=keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(4)]),
                                log_dir=str(tmp_path))
    history = gan.fit(patches[:32], batch_size=16, epochs=4, verbose=0, callbacks=[monitor]).history
    assert list(monitor.history["epochs"]) == [2, 4]
    for name in ("precision", "recall", "density", "coverage", "diversity", "fid", "prd_f8", "prd_f1_8", "inception_score"):
        assert monitor.history[name].shape == (2,) and np.all(np.isfinite(monitor.history[name]))
    assert "gan_precision" in history
    assert len(monitor.seconds) == 2
    with pytest.raises(ValueError, match="nearest_k"):
        GANMetricsMonitor(patches[:5], latent[:5], random_conv_extractor(), nearest_k=5)
    with pytest.raises(ValueError, match="as many inputs"):
        GANMetricsMonitor(patches[:10], latent[:5], random_conv_extractor(), nearest_k=3, prd=True)


def test_monitor_refuses_outputs_of_another_shape_than_the_real_images(patches):
    # A generator of 8x8 images measured against 16x16 real ones: the
    # extractor would resize them to 16x16 and report plausible numbers.
    small = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.AveragePooling2D(2)])
    monitor = GANMetricsMonitor(patches[:20], patches[:20], random_conv_extractor(), nearest_k=3)
    monitor.set_model(small)
    with pytest.raises(ValueError, match=r"Received: real_images\.shape=\(20, 16, 16, 3\), generated\.shape=\(20, 8, 8, 3\)"):
        monitor.measure()
