"""Fidelity and diversity of generated samples, apart: what FID mixes.

FID (`kfreqgan.metrics.fid`) is one number for two failures: samples that do
not look real (fidelity) and samples that cover too little of the real data
(diversity, mode collapse). The measures here tell them apart, all on feature
vectors from any extractor (`kfreqgan.metrics.FeatureExtractor`, e.g.
`inception_v3_extractor`), computed in NumPy, float64:

- `precision_recall`: improved precision and recall (Kynkaanniemi et al.,
  NeurIPS 2019). Each set's manifold is the union of balls around its
  samples, reaching to the `k`-th nearest neighbour; precision is the share
  of generated samples inside the real manifold, recall the share of real
  samples inside the generated one.
- `density_coverage` (Naeem et al., ICML 2020): density counts how many real
  balls hold each generated sample (robust to real outliers, > 1 when
  samples crowd where real data are dense); coverage is the share of real
  samples whose ball holds at least one generated sample (robust to
  generated outliers). `prdc` returns all four, with the exact conventions
  of the `prdc` package (Naver's reference code).
- `prd_curve`: precision-recall distributions (Sajjadi et al., NeurIPS
  2018), a whole curve from k-means histograms, with the `F_8` (recall-like)
  and `F_1/8` (precision-like) summaries; `kfreqgan.analysis.
  plot_precision_recall_curve` draws it.
- `inception_score` (Salimans et al. 2016) from a classifier's logits or
  probabilities, split and shuffled exactly as torch-fidelity does it.
- `mean_pairwise_distance` and `diversity_ratio`: the spread of a set of
  samples; a collapsed generator (one output for every input or latent)
  scores 0, a healthy one about as much as the real or target images
  (ratio ~ 1).
"""

import collections

import numpy as np

from kfreqgan._validation import check_positive_int
from kfreqgan.metrics import as_feature_extractor
from kfreqgan.metrics import check_feature_pair
from kfreqgan.metrics import check_features

PRDC = collections.namedtuple("PRDC", ["precision", "recall", "density", "coverage"])
PrecisionRecall = collections.namedtuple("PrecisionRecall", ["precision", "recall"])
DensityCoverage = collections.namedtuple("DensityCoverage", ["density", "coverage"])
PRDCurve = collections.namedtuple("PRDCurve", ["precision", "recall", "f_beta", "f_beta_inv"])
InceptionScore = collections.namedtuple("InceptionScore", ["mean", "std", "per_split"])

_ROWS_PER_CHUNK = 1024


# ---------------------------------------------------------------------------
# k-NN manifolds: precision, recall, density, coverage.
# ---------------------------------------------------------------------------


def _distances(a, b):
    """Euclidean distances between all rows of `a` and `b` (float64)."""
    squared = (a * a).sum(1)[:, np.newaxis] + (b * b).sum(1)[np.newaxis, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.maximum(squared, 0.0))


def _check_k(nearest_k, count, name):
    nearest_k = check_positive_int(nearest_k, "nearest_k")
    if nearest_k >= count:
        raise ValueError(
            f"`nearest_k` must be smaller than the number of samples in `{name}` ({count}): "
            f"each sample's k-th neighbour is another sample. Received: nearest_k={nearest_k}"
        )
    return nearest_k


def nearest_neighbour_radii(features, nearest_k):
    """Distance from each sample to its `nearest_k`-th nearest other sample.

    Args:
        features: array `(N, d)`.
        nearest_k: `k`, positive and smaller than `N`.

    Returns:
        float64 array `(N,)`.
    """
    features = check_features(features, "features")
    nearest_k = _check_k(nearest_k, features.shape[0], "features")
    radii = np.empty(features.shape[0])
    for start in range(0, features.shape[0], _ROWS_PER_CHUNK):
        block = _distances(features[start : start + _ROWS_PER_CHUNK], features)
        # Column k of the partition holds the (k+1)-th smallest: the k-th
        # neighbour after the sample itself (distance 0), as in `prdc`.
        radii[start : start + len(block)] = np.partition(block, nearest_k, axis=1)[:, nearest_k]
    return radii


def prdc(real_features, fake_features, nearest_k=5):
    """Precision, recall, density and coverage of generated samples.

    With `r_i` the distance from real sample `i` to its `k`-th nearest real
    neighbour, `f_j` the same among generated samples, and `B(x, r)` the open
    ball `{y : ||y - x|| < r}` (strict, as in the `prdc` package):

    - precision = share of generated `y_j` in any `B(x_i, r_i)`;
    - recall = share of real `x_i` in any `B(y_j, f_j)`;
    - density = `1/(k M) sum_j #{i : y_j in B(x_i, r_i)}`;
    - coverage = share of real `x_i` whose `B(x_i, r_i)` holds a `y_j`.

    Precision and recall are Kynkaanniemi et al. (2019), density and
    coverage Naeem et al. (2020). Precision and density measure fidelity,
    recall and coverage diversity: a generator that has collapsed onto a few
    good samples keeps precision near 1 while recall and coverage fall,
    where FID only rises. Equal to `prdc.compute_prdc` on the same features.

    Args:
        real_features: array `(N, d)`.
        fake_features: array `(M, d)`.
        nearest_k: `k` (5 in Naeem et al.; Kynkaanniemi et al. use 3),
            smaller than `N` and `M`.

    Returns:
        `PRDC(precision, recall, density, coverage)`, Python floats.

    Raises:
        ValueError: for features that are not finite 2-D arrays with the
            same `d`, or a bad `nearest_k`.
    """
    real, fake = check_feature_pair(real_features, fake_features, ("real_features", "fake_features"))
    _check_k(nearest_k, fake.shape[0], "fake_features")
    real_radii = nearest_neighbour_radii(real, nearest_k)
    fake_radii = nearest_neighbour_radii(fake, nearest_k)
    inside_real = np.zeros(fake.shape[0])  # real balls holding each fake
    real_recalled = np.zeros(real.shape[0], bool)
    real_covered = np.zeros(real.shape[0], bool)
    for start in range(0, real.shape[0], _ROWS_PER_CHUNK):
        block = _distances(real[start : start + _ROWS_PER_CHUNK], fake)  # (n, M)
        radii = real_radii[start : start + len(block), np.newaxis]
        inside_real += (block < radii).sum(axis=0)
        real_recalled[start : start + len(block)] = (block < fake_radii[np.newaxis, :]).any(axis=1)
        real_covered[start : start + len(block)] = block.min(axis=1) < radii[:, 0]
    return PRDC(
        precision=float((inside_real > 0).mean()),
        recall=float(real_recalled.mean()),
        density=float(inside_real.mean() / nearest_k),
        coverage=float(real_covered.mean()),
    )


def precision_recall(real_features, fake_features, nearest_k=3):
    """Improved precision and recall (Kynkaanniemi et al. 2019); see `prdc`.

    Returns:
        `PrecisionRecall(precision, recall)`, Python floats in [0, 1].
    """
    result = prdc(real_features, fake_features, nearest_k)
    return PrecisionRecall(result.precision, result.recall)


def density_coverage(real_features, fake_features, nearest_k=5):
    """Density and coverage (Naeem et al. 2020); see `prdc`.

    Returns:
        `DensityCoverage(density, coverage)`: density >= 0 (1 on average for
        samples from the real distribution), coverage in [0, 1].
    """
    result = prdc(real_features, fake_features, nearest_k)
    return DensityCoverage(result.density, result.coverage)


# ---------------------------------------------------------------------------
# Precision-recall distributions (PRD curves).
# ---------------------------------------------------------------------------


def prd_from_histograms(eval_dist, ref_dist, num_angles=1001, epsilon=1e-10):
    """The PRD curve of two discrete distributions (Sajjadi et al. 2018).

    For slopes `lambda = tan(angle)` on `num_angles` angles evenly spaced in
    `[epsilon, pi/2 - epsilon]`:
    `precision(lambda) = sum_i min(lambda * ref_i, eval_i)` and
    `recall(lambda) = precision(lambda) / lambda`, both clipped to [0, 1].

    Args:
        eval_dist: probabilities `(K,)` of the evaluated (generated) set.
        ref_dist: probabilities `(K,)` of the reference (real) set.
        num_angles: points on the curve (3 to 1e6).
        epsilon: distance of the first and last angle from 0 and pi/2
            (in (0, 0.1)).

    Returns:
        `(precision, recall)`: float64 arrays `(num_angles,)`.
    """
    eval_dist = np.asarray(eval_dist, np.float64)
    ref_dist = np.asarray(ref_dist, np.float64)
    if eval_dist.ndim != 1 or eval_dist.shape != ref_dist.shape:
        raise ValueError(
            "`eval_dist` and `ref_dist` must be 1-D with the same length. "
            f"Received: eval_dist.shape={eval_dist.shape}, ref_dist.shape={ref_dist.shape}"
        )
    if not 0 < epsilon < 0.1:
        raise ValueError(f"`epsilon` must lie in (0, 0.1). Received: epsilon={epsilon!r}")
    if isinstance(num_angles, bool) or not isinstance(num_angles, (int, np.integer)) or not 3 <= num_angles <= 1e6:
        raise ValueError(f"`num_angles` must be an integer in [3, 1e6]. Received: num_angles={num_angles!r}")
    slopes = np.tan(np.linspace(epsilon, np.pi / 2 - epsilon, num=num_angles))[:, np.newaxis]
    precision = np.minimum(ref_dist[np.newaxis, :] * slopes, eval_dist[np.newaxis, :]).sum(axis=1)
    recall = precision / slopes[:, 0]
    return np.clip(precision, 0.0, 1.0), np.clip(recall, 0.0, 1.0)


def max_f_beta(precision, recall, beta=8.0, epsilon=1e-10):
    """`(F_beta, F_1/beta)`, the largest of each over a PRD curve.

    `F_beta = (1 + beta^2) p r / (beta^2 p + r)`; with `beta = 8`, `F_8`
    weighs recall (does the model cover the data?) and `F_1/8` precision
    (are its samples real-looking?), as in Sajjadi et al. (2018).
    """
    precision = np.asarray(precision, np.float64)
    recall = np.asarray(recall, np.float64)

    def f(b):
        return np.max((1 + b**2) * precision * recall / (b**2 * precision + recall + epsilon))

    return float(f(beta)), float(f(1.0 / beta))


def kmeans(features, num_clusters, seed=0, num_init=10, max_iterations=100):
    """k-means clustering (k-means++ seeding, Lloyd's iterations), NumPy.

    Runs `num_init` seedings and keeps the one with the lowest inertia.

    Args:
        features: array `(N, d)`, `N >= num_clusters`.
        num_clusters: `K` (positive int).
        seed: NumPy seed (int or None).
        num_init: number of seedings (positive int).
        max_iterations: Lloyd iterations per seeding (positive int).

    Returns:
        `(labels, centres)`: int array `(N,)` in `[0, K)` and float64 `(K, d)`.
    """
    features = check_features(features, "features")
    num_clusters = check_positive_int(num_clusters, "num_clusters")
    if num_clusters > features.shape[0]:
        raise ValueError(
            f"`num_clusters` must not exceed the number of samples ({features.shape[0]}). "
            f"Received: num_clusters={num_clusters}"
        )
    rng = np.random.default_rng(seed)
    norms = (features * features).sum(1)
    best = (np.inf, None, None)
    for _ in range(check_positive_int(num_init, "num_init")):
        centres = features[[rng.integers(features.shape[0])]]
        closest = np.maximum(norms - 2 * features @ centres[0] + centres[0] @ centres[0], 0.0)
        for _ in range(1, num_clusters):
            total = closest.sum()
            index = rng.choice(features.shape[0], p=closest / total) if total > 0 else rng.integers(features.shape[0])
            centres = np.vstack([centres, features[index]])
            closest = np.minimum(closest, np.maximum(norms - 2 * features @ features[index] + norms[index], 0.0))
        labels = None
        for _ in range(check_positive_int(max_iterations, "max_iterations")):
            squared = norms[:, np.newaxis] - 2 * features @ centres.T + (centres * centres).sum(1)[np.newaxis, :]
            updated_labels = squared.argmin(axis=1)
            if labels is not None and np.array_equal(updated_labels, labels):
                break
            labels = updated_labels
            counts = np.bincount(labels, minlength=num_clusters)
            members = np.zeros((len(labels), num_clusters))
            members[np.arange(len(labels)), labels] = 1.0
            sums = members.T @ features
            filled = counts > 0  # an empty cluster keeps its centre
            centres[filled] = sums[filled] / counts[filled, np.newaxis]
        squared = norms[:, np.newaxis] - 2 * features @ centres.T + (centres * centres).sum(1)[np.newaxis, :]
        labels = squared.argmin(axis=1)
        inertia = np.maximum(squared[np.arange(len(labels)), labels], 0.0).sum()
        if inertia < best[0]:
            best = (inertia, labels, centres)
    return best[1], best[2]


def prd_curve(real_features, fake_features, num_clusters=20, num_angles=1001, num_runs=10, beta=8.0, seed=0):
    """Precision-recall distribution curve of generated vs real features.

    Sajjadi et al. (2018): the union of both sets is clustered by k-means
    into `num_clusters` cells; the two histograms over the cells give a PRD
    curve (`prd_from_histograms`); precision and recall are averaged over
    `num_runs` clusterings. A model that drops modes has a curve that falls
    at high recall; one that adds unrealistic samples falls at high
    precision. FID cannot tell these apart.

    The reference code clusters with scikit-learn's `MiniBatchKMeans`; this
    uses full-batch k-means (`kmeans`, seeded), so single curves differ from
    it by the clustering, not by the formula.

    Args:
        real_features: array `(N, d)` (the reference distribution).
        fake_features: array `(N, d)`, as many samples as `real_features`
            (the histograms are only comparable for equal counts).
        num_clusters: k-means cells (20 in the paper).
        num_angles: points on the curve.
        num_runs: clusterings averaged (10 in the paper).
        beta: for the `F_beta` summaries.
        seed: NumPy seed for the clusterings.

    Returns:
        `PRDCurve(precision, recall, f_beta, f_beta_inv)`: float64 arrays
        `(num_angles,)` and the two summaries (`max_f_beta`).
    """
    real, fake = check_feature_pair(real_features, fake_features, ("real_features", "fake_features"))
    if real.shape[0] != fake.shape[0]:
        raise ValueError(
            "`prd_curve` needs as many generated as real samples (the histograms compare counts). "
            f"Received: real_features.shape={real.shape}, fake_features.shape={fake.shape}"
        )
    num_clusters = check_positive_int(num_clusters, "num_clusters")
    rng = np.random.default_rng(seed)
    both = np.vstack([fake, real])
    precisions, recalls = [], []
    for _ in range(check_positive_int(num_runs, "num_runs")):
        labels, _ = kmeans(both, num_clusters, seed=int(rng.integers(2**31)))
        eval_dist = np.bincount(labels[: len(fake)], minlength=num_clusters) / len(fake)
        ref_dist = np.bincount(labels[len(fake) :], minlength=num_clusters) / len(real)
        precision, recall = prd_from_histograms(eval_dist, ref_dist, num_angles)
        precisions.append(precision)
        recalls.append(recall)
    precision, recall = np.mean(precisions, axis=0), np.mean(recalls, axis=0)
    return PRDCurve(precision, recall, *max_f_beta(precision, recall, beta))


# ---------------------------------------------------------------------------
# Inception Score.
# ---------------------------------------------------------------------------


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def inception_score(logits=None, probabilities=None, splits=10, shuffle=True, seed=2020):
    """Inception Score (Salimans et al. 2016) of a classifier's outputs.

    `IS = exp(E_x KL(p(y|x) || p(y)))`, computed on each of `splits` chunks
    of the samples (`p(y)` the chunk's mean prediction), then averaged. It is
    high when each sample is classified confidently (fidelity) and the
    classes are spread evenly (diversity); it ignores the real data
    entirely, so it cannot tell a model that reproduces the training set
    from one that generates other confident, varied images.

    Computed as torch-fidelity does (`isc_features_to_metric`), so values
    agree on the same logits: the rows are permuted by
    `np.random.RandomState(seed).permutation(N)` when `shuffle`, chunk `i`
    is rows `i N // splits` to `(i + 1) N // splits`, in float64, and `std`
    is `np.std` (divisor `splits`). Its value depends on the classifier: only
    Inception-v3 on ImageNet gives numbers comparable with papers.

    Args:
        logits: array `(N, C)` of unnormalised class scores, or
        probabilities: array `(N, C)` of class probabilities (rows sum to 1);
            give exactly one.
        splits: chunks (positive int, at most `N`; 10 by convention).
        shuffle: permute the rows first (torch-fidelity's default).
        seed: seed of the permutation (torch-fidelity's default 2020).

    Returns:
        `InceptionScore(mean, std, per_split)`.
    """
    if (logits is None) == (probabilities is None):
        raise ValueError("Give exactly one of `logits` and `probabilities`.")
    name = "logits" if logits is not None else "probabilities"
    values = check_features(logits if logits is not None else probabilities, name)
    if probabilities is not None:
        if values.min() < 0 or not np.allclose(values.sum(axis=1), 1.0, atol=1e-4):
            raise ValueError(
                "`probabilities` must be non-negative with rows summing to 1 (pass `logits` for "
                f"unnormalised scores). Received: row sums in [{values.sum(1).min():.6g}, {values.sum(1).max():.6g}]"
            )
    count = values.shape[0]
    splits = check_positive_int(splits, "splits")
    if splits > count:
        raise ValueError(f"`splits` must not exceed the number of samples ({count}). Received: splits={splits}")
    if shuffle:
        values = values[np.random.RandomState(seed).permutation(count)]
    if logits is not None:
        log_p = _log_softmax(values)
        p = np.exp(log_p)
    else:
        p = values
        with np.errstate(divide="ignore"):
            log_p = np.log(values)
    scores = []
    for index in range(splits):
        chunk = slice(index * count // splits, (index + 1) * count // splits)
        p_chunk, log_p_chunk = p[chunk], log_p[chunk]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.log(p_chunk.mean(axis=0, keepdims=True))
            # 0 log 0 = 0 for probabilities that are exactly zero.
            kl = np.where(p_chunk > 0, p_chunk * (log_p_chunk - log_q), 0.0)
        scores.append(float(np.exp(kl.sum(axis=1).mean())))
    return InceptionScore(float(np.mean(scores)), float(np.std(scores)), np.array(scores))


def classifier_inception_score(images, classifier, from_logits=True, batch_size=None, **kwargs):
    """`inception_score` of the predictions of `classifier` on `images`.

    Args:
        images: float array `(N, H, W, C)` in [0, 1].
        classifier: a `kfreqgan.metrics.FeatureExtractor` or Keras model
            whose output is `(N, num_classes)` logits (or probabilities with
            `from_logits=False`), e.g. InceptionV3 with its top.
        from_logits: whether the classifier returns logits.
        batch_size: images per forward pass; None uses the extractor's.
        **kwargs: `splits`, `shuffle`, `seed` of `inception_score`.

    Returns:
        `InceptionScore(mean, std, per_split)`.
    """
    outputs = as_feature_extractor(classifier)(images, batch_size=batch_size)
    if from_logits:
        return inception_score(logits=outputs, **kwargs)
    return inception_score(probabilities=outputs, **kwargs)


# ---------------------------------------------------------------------------
# Diversity.
# ---------------------------------------------------------------------------


def mean_pairwise_distance(samples, max_samples=None, seed=0):
    """Mean Euclidean distance between distinct samples.

    `2 / (N (N - 1)) sum_{i < j} ||s_i - s_j||` over feature vectors or
    flattened images. Zero when every sample is the same (total collapse);
    compare it with the same quantity of real or target samples
    (`diversity_ratio`).

    Args:
        samples: array `(N, ...)`, `N >= 2`; each sample is flattened.
        max_samples: use a random subset of this many samples (None: all;
            the cost grows as `N^2`).
        seed: NumPy seed for the subset.

    Returns:
        Python float >= 0.
    """
    array = np.asarray(samples)
    if array.ndim < 2:
        raise ValueError(f"`samples` must have shape (N, ...) with N >= 2. Received: shape={array.shape}")
    array = check_features(array.reshape(array.shape[0], -1), "samples")
    if array.shape[0] < 2:
        raise ValueError(f"`samples` must hold at least 2 samples. Received: shape={np.shape(samples)}")
    if max_samples is not None and array.shape[0] > check_positive_int(max_samples, "max_samples"):
        array = array[np.random.default_rng(seed).choice(array.shape[0], max_samples, replace=False)]
    count, dim = array.shape
    # Differences, not |a|^2 + |b|^2 - 2 a.b: identical samples must give
    # exactly 0 (a collapsed set has no spread), not round-off.
    rows = max(1, int(2**22 // (count * dim)))
    total = 0.0
    for start in range(0, count, rows):
        difference = array[start : start + rows, np.newaxis, :] - array[np.newaxis, :, :]
        total += np.sqrt(np.einsum("ijk,ijk->ij", difference, difference)).sum()
    return float(total / (count * (count - 1)))


def diversity_ratio(reference, samples, max_samples=None, seed=0):
    """Spread of `samples` relative to that of `reference`, a collapse flag.

    `mean_pairwise_distance(samples) / mean_pairwise_distance(reference)`:

    - unconditional models: `samples` are features of generated images,
      `reference` features of real ones; ~1 for a generator as varied as the
      data, near 0 for mode collapse;
    - paired (image-to-image) models: `samples` are the outputs for
      *different* inputs and `reference` the targets of those inputs (images
      or features); ~1 when outputs vary across inputs as the targets do,
      0 when the model returns the same image whatever the input.

    `reference` and `samples` must have samples of one shape (their
    numbers may differ): distances between images or features of two sizes
    do not compare.

    Returns:
        Python float >= 0.
    """
    reference_shape, samples_shape = np.shape(reference), np.shape(samples)
    if reference_shape[1:] != samples_shape[1:]:
        raise ValueError(
            "`reference` and `samples` must hold samples of the same shape (the numbers of "
            f"samples may differ). Received: reference.shape={reference_shape}, samples.shape={samples_shape}"
        )
    spread = mean_pairwise_distance(reference, max_samples, seed)
    if spread == 0:
        raise ValueError("`reference` has no spread (all samples identical); the ratio is undefined.")
    return mean_pairwise_distance(samples, max_samples, seed) / spread
