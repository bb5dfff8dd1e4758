"""Image-quality and distribution metrics: PSNR, SSIM, FID and KID.

Two kinds of metric live here:

- paired, per image: `psnr` and `ssim` wrap TensorFlow's `tf.image.psnr` and
  `tf.image.ssim` with `max_val=1` (images are NHWC floats in [0, 1]) and
  return one value per image, as tensors;
- between two sets of images: the Frechet distance (FID, Heusel et al. 2017)
  and the kernel distance (KID, Binkowski et al. 2018) of their features
  under a feature extractor. The distances themselves are computed in NumPy,
  in float64: `frechet_distance` needs an eigendecomposition of `d x d`
  covariances (d = 2048 for Inception), where float32 loses several digits.

The feature extractor is pluggable. `FeatureExtractor` wraps any Keras model
(it resizes and rescales the images as the model needs, runs it in batches
and average-pools its output to `(N, d)`), and `inception_v3_extractor`
builds Keras's InceptionV3 from a weights file the user points to. Nothing is
ever downloaded: without a weights file you get an error that says how to
get one. `random_conv_extractor` needs no weights at all (a fixed random net,
for studies and benchmarks whose numbers compare only among themselves).

FID values depend on the network, its weights, the resizing and the number
of samples, so compare them only within one setup. In particular Keras's
ImageNet InceptionV3 weights are not the 2015 TensorFlow graph that TTUR,
pytorch-fid and clean-fid use, so FIDs from `inception_v3_extractor` are not
comparable to numbers published with those tools.
"""

import collections
import os
import warnings

import h5py
import keras
import numpy as np
import tensorflow as tf

from kfreqgan._validation import as_image_batch
from kfreqgan._validation import as_image_pair
from kfreqgan._validation import check_image_sets
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_positive_int

INCEPTION_V3_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
"""File name of Keras's ImageNet InceptionV3 weights without the classifier."""

INCEPTION_V3_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    + INCEPTION_V3_WEIGHTS_FILE
)
"""Where Keras itself downloads `INCEPTION_V3_WEIGHTS_FILE` from (this module
never does: fetch it on a machine with network access)."""

INCEPTION_V3_IMAGE_SIZE = (299, 299)

KernelDistance = collections.namedtuple("KernelDistance", ["mean", "std", "per_subset"])

_WEIGHT_SUFFIXES = (".h5", ".hdf5")


# ---------------------------------------------------------------------------
# Paired metrics.
# ---------------------------------------------------------------------------


def _check_unit_range(images, name):
    """Raises if an eager tensor has values outside [0, 1]; free in a graph."""
    if tf.executing_eagerly():
        low = float(tf.reduce_min(images))
        high = float(tf.reduce_max(images))
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"`{name}` must hold values in [0, 1] (clip with "
                f"`tf.clip_by_value` or rescale first). Received: values in "
                f"[{low:.6g}, {high:.6g}]"
            )


def _image_pair(a, b):
    a, b = as_image_pair(a, b, ("a", "b"))
    _check_unit_range(a, "a")
    _check_unit_range(b, "b")
    return a, b


def psnr(a, b):
    """Peak signal-to-noise ratio of each image pair, in decibels.

    `10 log10(1 / MSE)` with the mean squared error taken over height, width
    and channels of each pair (`tf.image.psnr` with `max_val=1`). Identical
    images give `inf`.

    Args:
        a: float tensor `(N, H, W, C)` with values in [0, 1].
        b: float tensor of the same shape and range.

    Returns:
        float32 tensor `(N,)`.

    Raises:
        ValueError: if either input is not a float NHWC batch, holds NaN/Inf
            or values outside [0, 1], or the shapes differ.
    """
    a, b = _image_pair(a, b)
    return tf.image.psnr(a, b, max_val=1.0)


def ssim(a, b, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03):
    """Structural similarity (Wang et al. 2004) of each image pair.

    A wrapper of `tf.image.ssim` with `max_val=1`: SSIM is computed per
    channel over Gaussian windows (valid positions only) and averaged over
    positions and channels. Identical images give 1.

    Args:
        a: float tensor `(N, H, W, C)` with values in [0, 1].
        b: float tensor of the same shape and range.
        filter_size: side of the Gaussian window in pixels (positive int, at
            most `H` and `W`).
        filter_sigma: standard deviation of the window in pixels (> 0).
        k1, k2: SSIM's stabilising constants (> 0).

    Returns:
        float32 tensor `(N,)`, values in [-1, 1].

    Raises:
        ValueError: for bad images as in `psnr`, images smaller than
            `filter_size`, or bad filter arguments.
    """
    a, b = _image_pair(a, b)
    filter_size = check_positive_int(filter_size, "filter_size")
    for label, value in (("filter_sigma", filter_sigma), ("k1", k1), ("k2", k2)):
        check_at_least(value, label, strict=True)
    height, width = a.shape[1], a.shape[2]
    if (height is not None and height < filter_size) or (width is not None and width < filter_size):
        raise ValueError(
            f"SSIM needs images at least `filter_size` x `filter_size` pixels "
            f"(filter_size={filter_size}); lower `filter_size` for small images. "
            f"Received: shape={tuple(a.shape)}"
        )
    return tf.image.ssim(
        a, b, max_val=1.0, filter_size=filter_size, filter_sigma=float(filter_sigma), k1=float(k1), k2=float(k2)
    )


# ---------------------------------------------------------------------------
# Distances between feature distributions (NumPy, float64).
# ---------------------------------------------------------------------------


def _real_array(value, name, expected="a numeric array"):
    """`value` as a float64 NumPy array; refuses bool, complex, string and object data."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be {expected}. Received: {type(value).__name__} ({error})") from None
    if array.dtype.kind in "bcOUSMm":
        raise ValueError(f"`{name}` must hold real numbers (integers or floats). Received: dtype={array.dtype}")
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be {expected}. Received: dtype={array.dtype} ({error})") from None


def check_features(features, name):
    """`features` as a float64 `(num_samples, num_features)` NumPy array.

    The one check of feature arrays for the distances here and in
    `kfreqgan.fidelity_diversity`.

    Raises:
        ValueError: naming `name`, for data that is not real numbers (bool,
            complex, strings, objects), not 2-D with both sizes > 0, or holds
            NaN or Inf.
    """
    array = _real_array(features, name, "a numeric array of shape (num_samples, num_features)")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"`{name}` must have shape (num_samples, num_features) with both > 0. "
            f"Received: shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` contains NaN or Inf values.")
    return array


def check_feature_pair(features_a, features_b, names=("features_a", "features_b")):
    """Two feature arrays, each checked by `check_features`, with the same
    number of features `d`; `names` are the argument names errors give.

    The one check of the two sets that `kernel_inception_distance` and the
    k-NN and PRD metrics of `kfreqgan.fidelity_diversity` compare.

    Returns:
        The two float64 arrays `(N, d)` and `(M, d)`.
    """
    first, second = names
    features_a = check_features(features_a, first)
    features_b = check_features(features_b, second)
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            f"`{first}` and `{second}` must have the same number of features. "
            f"Received: {first}.shape={features_a.shape}, {second}.shape={features_b.shape}"
        )
    return features_a, features_b


def feature_statistics(features):
    """Mean and covariance of a set of feature vectors, as FID needs them.

    Compute these once for the real images and reuse them with
    `frechet_distance` against many generated sets.

    Args:
        features: array `(N, d)`, one feature vector per row, `N >= 2`.
            With `N <= d` the covariance is singular (rank `N - 1`); the
            Frechet distance is still defined but strongly biased upwards,
            so use many more samples than features where you can.

    Returns:
        `(mu, sigma)`: float64 arrays `(d,)` and `(d, d)`, the sample mean
        and the unbiased sample covariance (`np.cov`, divisor `N - 1`).

    Raises:
        ValueError: if `features` is not a finite 2-D array, or has fewer
            than 2 rows.
    """
    features = check_features(features, "features")
    if features.shape[0] < 2:
        raise ValueError(
            "`features` needs at least 2 samples to estimate a covariance. "
            f"Received: shape={features.shape}"
        )
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def _statistics(mu, sigma, index):
    mu_name, sigma_name = f"mu{index}", f"sigma{index}"
    mu = _real_array(mu, mu_name, "a numeric vector (d,)")
    sigma = _real_array(sigma, sigma_name, "a numeric (d, d) covariance")
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"`{mu_name}` must be a non-empty vector (d,). Received: {mu_name}.shape={mu.shape}")
    dim = mu.shape[0]
    if sigma.shape != (dim, dim):
        raise ValueError(
            f"`{sigma_name}` must be a (d, d) covariance matching `{mu_name}` (d={dim}). "
            f"Received: {sigma_name}.shape={sigma.shape}"
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"`{mu_name}` or `{sigma_name}` contains NaN or Inf values.")
    scale = np.max(np.abs(sigma))
    asymmetry = np.max(np.abs(sigma - sigma.T))
    if asymmetry > 1e-6 * scale:
        raise ValueError(
            f"`{sigma_name}` must be a symmetric covariance matrix. Received: "
            f"max |{sigma_name} - {sigma_name}.T| = {asymmetry:.3g} (max |{sigma_name}| = {scale:.3g})"
        )
    return mu, 0.5 * (sigma + sigma.T)


def _check_psd(eigenvalues, name):
    """Small negative eigenvalues are round-off; large ones a bad matrix."""
    largest = np.max(np.abs(eigenvalues))
    if eigenvalues.min() < -1e-5 * largest:
        raise ValueError(
            f"`{name}` must be positive semi-definite (a covariance). Received: "
            f"smallest eigenvalue {eigenvalues.min():.6g}, largest {eigenvalues.max():.6g}"
        )


def _root_factor(sigma, name):
    """Square roots of the eigenvalues of `sigma` and their eigenvectors.

    Eigenvalues at round-off level (at most `d * eps` times the largest, the
    tolerance of `np.linalg.matrix_rank`) are dropped with their vectors: a
    singular covariance has eigenvalues that are exactly 0 but come out of
    `eigh` as +-(d eps max|w|), and their square roots (~1e-8 of the scale
    each, over hundreds of null directions) would bias the trace term.
    """
    eigenvalues, vectors = np.linalg.eigh(sigma)
    _check_psd(eigenvalues, name)
    tolerance = eigenvalues.shape[0] * np.finfo(np.float64).eps * np.max(np.abs(eigenvalues))
    keep = eigenvalues > tolerance
    return np.sqrt(eigenvalues[keep]), vectors[:, keep]


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Squared Frechet (2-Wasserstein) distance between two Gaussians.

    `||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))`,
    the FID of Heusel et al. (2017) when the statistics are those of
    Inception features.

    Computed in NumPy, float64. The product `sigma1 sigma2` is not symmetric,
    so rather than a general matrix square root (`scipy.linalg.sqrtm`, which
    can return complex values and needs an `eps * I` offset for singular
    covariances) the trace term uses the identity
    `tr((sigma1 sigma2)^(1/2)) = ||sigma1^(1/2) sigma2^(1/2)||_*` (the sum of
    singular values; both sides are `sum sqrt(eig(R1 sigma2 R1))` with
    `R1 = sigma1^(1/2)`). The symmetric square roots come from
    `np.linalg.eigh` of each covariance, and the singular values from an SVD
    of `diag(sqrt(w1)) V1^T V2 diag(sqrt(w2))`. No step squares a matrix
    or takes the square root of a computed small eigenvalue of a product,
    so tiny variances keep their accuracy; eigenvalues of `sigma1` or
    `sigma2` at round-off level (below `d * eps` times the largest, as in
    `np.linalg.matrix_rank`) are dropped, so singular covariances (fewer
    samples than features) need no `eps * I` offset either. The result is
    clipped at 0.

    Args:
        mu1: mean `(d,)` of the first distribution.
        sigma1: covariance `(d, d)` of the first distribution (symmetric
            positive semi-definite).
        mu2: mean `(d,)` of the second distribution.
        sigma2: covariance `(d, d)` of the second distribution.

    Returns:
        Python float >= 0. Symmetric in the two distributions.

    Raises:
        ValueError: for shapes that do not match, NaN/Inf, or covariances
            that are not symmetric or not positive semi-definite (beyond
            round-off: eigenvalues below `-1e-5` times the largest).
    """
    mu1, sigma1 = _statistics(mu1, sigma1, 1)
    mu2, sigma2 = _statistics(mu2, sigma2, 2)
    if mu1.shape != mu2.shape:
        raise ValueError(
            "The two distributions must have the same number of features. "
            f"Received: mu1.shape={mu1.shape}, mu2.shape={mu2.shape}"
        )
    root1, basis1 = _root_factor(sigma1, "sigma1")
    root2, basis2 = _root_factor(sigma2, "sigma2")
    # sigma^(1/2) = basis diag(root) basis^T, so the singular values of
    # sigma1^(1/2) sigma2^(1/2) are those of this (rank1 x rank2) matrix.
    core = root1[:, np.newaxis] * (basis1.T @ basis2) * root2[np.newaxis, :]
    trace_root = np.sum(np.linalg.svd(core, compute_uv=False)) if core.size else 0.0
    difference = mu1 - mu2
    distance = difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root
    return max(float(distance), 0.0)


def _polynomial_kernel(x, y):
    """k(x, y) = (x . y / d + 1)^3 for all pairs of rows."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _unbiased_mmd2(x, y):
    """Unbiased MMD^2 of two equal-size samples under the cubic kernel."""
    m = x.shape[0]
    k_xx = _polynomial_kernel(x, x)
    k_yy = _polynomial_kernel(y, y)
    k_xy = _polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.mean()


def kernel_inception_distance(features_a, features_b, num_subsets=100, subset_size=None, seed=0):
    """Kernel (Inception) distance: unbiased MMD^2 averaged over subsets.

    KID (Binkowski et al. 2018) is the squared maximum mean discrepancy
    between the two feature distributions under the cubic polynomial kernel
    `k(x, y) = (x . y / d + 1)^3`, estimated without bias:

        MMD^2_u = sum_{i != j} [k(a_i, a_j) + k(b_i, b_j)] / (m (m - 1))
                  - 2 sum_{i, j} k(a_i, b_j) / m^2

    on `num_subsets` pairs of random subsets of `m = subset_size` rows each.
    Unlike FID its expectation is exactly 0 when both sets come from the same
    distribution, so single estimates can be negative.

    Computed in NumPy, float64. For each subset, in order, the rows are drawn
    without replacement by `rng.choice(len(features_a), m, replace=False)`
    and then `rng.choice(len(features_b), m, replace=False)` with
    `rng = np.random.default_rng(seed)`.

    Args:
        features_a: array `(N_a, d)`.
        features_b: array `(N_b, d)`, same `d`.
        num_subsets: number of subset pairs (positive int; 100 in the paper).
        subset_size: rows per subset, `2 <= subset_size <= min(N_a, N_b)`;
            None means `min(N_a, N_b, 1000)` (1000 in the paper).
        seed: seed for the subset draws (int or None for fresh entropy).

    Returns:
        `KernelDistance(mean, std, per_subset)`: the mean and standard
        deviation (`np.std`, divisor `num_subsets`, as in the reference
        implementations) of the MMD^2 estimates as Python floats, and the
        estimates as a float64 array `(num_subsets,)`. `std` is the spread
        over subsets, not the sampling error of `mean`: when the subsets
        cover most of the rows they overlap and `std` understates it.

    Raises:
        ValueError: for non-2-D or non-finite features, different feature
            counts `d`, fewer than 2 rows, or bad `num_subsets`,
            `subset_size` (also one larger than either set) or `seed`.
    """
    features_a, features_b = check_feature_pair(features_a, features_b)
    num_subsets = check_positive_int(num_subsets, "num_subsets")
    available = min(features_a.shape[0], features_b.shape[0])
    if subset_size is None:
        if available < 2:
            raise ValueError(
                "KID needs at least 2 samples in each set. Received: "
                f"features_a.shape={features_a.shape}, features_b.shape={features_b.shape}"
            )
        subset_size = min(available, 1000)
    subset_size = check_positive_int(subset_size, "subset_size")
    if subset_size < 2:
        raise ValueError(
            f"`subset_size` must be at least 2 for an unbiased estimate. Received: subset_size={subset_size}"
        )
    if subset_size > available:
        raise ValueError(
            "`subset_size` must not exceed the number of samples in either set "
            f"({features_a.shape[0]} and {features_b.shape[0]}). Received: subset_size={subset_size}"
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"`seed` must be None or an integer >= 0. Received: seed={seed!r}")
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets, np.float64)
    for index in range(num_subsets):
        rows_a = rng.choice(features_a.shape[0], subset_size, replace=False)
        rows_b = rng.choice(features_b.shape[0], subset_size, replace=False)
        estimates[index] = _unbiased_mmd2(features_a[rows_a], features_b[rows_b])
    return KernelDistance(float(estimates.mean()), float(estimates.std()), estimates)


# ---------------------------------------------------------------------------
# Feature extractors.
# ---------------------------------------------------------------------------


def _static_input_shape(model):
    """The model's single input shape `(None, H, W, C)`, or None if unknown."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, (list, dict)):
        raise ValueError(
            f"The feature model must take exactly one image input. Received: input_shape={shape}"
        )
    if shape is None or len(shape) != 4:
        raise ValueError(
            "The feature model must take images of shape (batch, height, width, "
            f"channels). Received: input_shape={shape}"
        )
    return tuple(shape)


def _check_image_size(image_size):
    if image_size is None:
        return None
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in image_size)
    ):
        raise ValueError(
            f"`image_size` must be (height, width), two positive ints, or None. Received: image_size={image_size!r}"
        )
    return int(image_size[0]), int(image_size[1])


class FeatureExtractor:
    """Images in [0, 1] -> one feature vector per image, from any Keras model.

    Wraps a Keras model for `fid` and `kid`: each batch of images is resized
    to the model's input size (bilinear with antialiasing), grey images are
    repeated to RGB if the model wants three channels, `preprocess` maps the
    [0, 1] values to the model's input range, and the model's output is
    averaged over all axes between the batch and the last one (global average
    pooling), so the features have shape `(N, d)`. The model runs in
    inference mode (`training=False`) inside a `tf.function`.

    Example:

    >>> model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3)])
    >>> extractor = FeatureExtractor(model)
    >>> extractor(np.zeros((5, 64, 64, 3), np.float32)).shape
    (5, 8)

    Args:
        model: a Keras model (or layer) taking one NHWC image batch and
            returning `(N, d)` features or a feature map `(N, ..., d)`.
        image_size: `(height, width)` to resize images to; None means the
            model's static input size if it has one, else no resizing.
        preprocess: callable applied to each float32 batch in [0, 1] after
            resizing (e.g. `lambda x: x * 2 - 1`); None passes [0, 1] on.
        batch_size: images per forward pass (positive int).

    Raises:
        ValueError: for a model that is not a Keras layer or has several
            inputs, or bad `image_size`, `preprocess` or `batch_size`.
    """

    def __init__(self, model, image_size=None, preprocess=None, batch_size=32):
        if not isinstance(model, keras.layers.Layer):
            raise ValueError(
                f"`model` must be a Keras model or layer. Received: model={type(model).__name__}"
            )
        if preprocess is not None and not callable(preprocess):
            raise ValueError(f"`preprocess` must be callable or None. Received: preprocess={preprocess!r}")
        self.model = model
        self.preprocess = preprocess
        self.batch_size = check_positive_int(batch_size, "batch_size")
        input_shape = _static_input_shape(model)
        image_size = _check_image_size(image_size)
        if image_size is None and input_shape is not None and None not in input_shape[1:3]:
            image_size = (int(input_shape[1]), int(input_shape[2]))
        self.image_size = image_size
        self.channels = None if input_shape is None or input_shape[3] is None else int(input_shape[3])
        self._forward = tf.function(self._features, reduce_retracing=True)

    def _features(self, images):
        if self.image_size is not None and tuple(images.shape[1:3]) != self.image_size:
            images = tf.image.resize(images, self.image_size, method="bilinear", antialias=True)
        if self.preprocess is not None:
            images = self.preprocess(images)
        outputs = self.model(images, training=False)
        if isinstance(outputs, (list, tuple, dict)):
            raise ValueError(
                f"The feature model must return one tensor, not a {type(outputs).__name__}. "
                f"Received: len(outputs)={len(outputs)}"
            )
        outputs = tf.convert_to_tensor(outputs)
        rank = outputs.shape.rank
        if rank is None or rank < 2:
            raise ValueError(
                "The feature model must return features (N, d) or a feature map (N, ..., d). "
                f"Received: shape={tuple(outputs.shape) if rank is not None else None}"
            )
        if rank > 2:
            outputs = tf.reduce_mean(outputs, axis=list(range(1, rank - 1)))
        return tf.cast(outputs, tf.float32)

    def __call__(self, images, batch_size=None):
        """Features of a batch of images.

        Args:
            images: float array or tensor `(N, H, W, C)` with values in
                [0, 1]; `C` must match the model's channels (1-channel
                images are repeated for a 3-channel model).
            batch_size: images per forward pass; None uses the extractor's.

        Returns:
            float32 NumPy array `(N, d)`.

        Raises:
            ValueError: for images that are not a float NHWC batch in
                [0, 1], whose channels the model cannot take, or a bad
                `batch_size`.
        """
        return self._extract(images, batch_size, "images")

    def _extract(self, images, batch_size, name):
        images = as_image_batch(images, name=name)
        _check_unit_range(images, name)
        batch_size = self.batch_size if batch_size is None else check_positive_int(batch_size, "batch_size")
        channels = images.shape[-1]
        if self.channels is not None and channels != self.channels:
            if channels == 1 and self.channels == 3:
                images = tf.tile(images, (1, 1, 1, 3))
            else:
                raise ValueError(
                    f"The feature model takes {self.channels}-channel images; `{name}` "
                    f"has {channels}. Received: shape={tuple(images.shape)}"
                )
        count = int(images.shape[0])
        batches = [self._forward(images[start : start + batch_size]) for start in range(0, count, batch_size)]
        return np.concatenate([batch.numpy() for batch in batches], axis=0)


def _inception_preprocess(images):
    return keras.applications.inception_v3.preprocess_input(images * 255.0)


def _weights_help():
    return (
        "The ImageNet weights of InceptionV3 are not bundled and are never "
        f"downloaded at run time. Download {INCEPTION_V3_WEIGHTS_FILE} on a "
        f"machine with network access (from {INCEPTION_V3_WEIGHTS_URL}, or copy "
        f"~/.keras/models/{INCEPTION_V3_WEIGHTS_FILE} where Keras has fetched it "
        "before) and pass its path as `weights_path`; a `.weights.h5` file saved "
        "by `model.save_weights` of `keras.applications.InceptionV3(include_top="
        "False, pooling='avg', weights=...)` works too."
    )


def _load_error(path, reason):
    return (
        f"Could not load InceptionV3 no-top weights from {path!r} ({reason}). "
        f"Expected {INCEPTION_V3_WEIGHTS_FILE} or weights saved from "
        "InceptionV3(include_top=False). " + _weights_help()
    )


def inception_v3_extractor(weights_path, batch_size=32):
    """Keras InceptionV3 pool features (2048-d) from a local weights file.

    Builds `keras.applications.InceptionV3(include_top=False, pooling="avg",
    weights=None)`, loads the weights from `weights_path` and wraps it in a
    `FeatureExtractor` that resizes images to 299x299 and applies
    `keras.applications.inception_v3.preprocess_input` (to [-1, 1]). No
    download is ever attempted.

    Note: these are Keras's ImageNet weights, not the TensorFlow graph that
    the reference FID code (TTUR, pytorch-fid, clean-fid) uses, so FID values
    are comparable between runs of this extractor but not with published
    numbers.

    Args:
        weights_path: path (str or `os.PathLike`) to the no-top weights:
            Keras's `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`
            (legacy `.h5`) or a `.weights.h5` file saved from the same
            architecture.
        batch_size: images per forward pass (positive int).

    Returns:
        `FeatureExtractor` giving float32 features `(N, 2048)`.

    Raises:
        ValueError: if `weights_path` is None, not an `.h5` / `.hdf5` (HDF5)
            file, or holds weights that do not fit the architecture; the
            message says how to get the right file.
        FileNotFoundError: if `weights_path` does not exist.
    """
    if weights_path is None:
        raise ValueError("`weights_path` is required. " + _weights_help() + " Received: weights_path=None")
    if not isinstance(weights_path, (str, os.PathLike)):
        raise ValueError(f"`weights_path` must be a file path. Received: weights_path={weights_path!r}")
    path = os.fspath(weights_path)
    if not path.endswith(_WEIGHT_SUFFIXES):
        raise ValueError(
            "`weights_path` must be a Keras weights file ending in .h5 (or .weights.h5, "
            f".hdf5). {_weights_help()} Received: weights_path={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No InceptionV3 weights file at {path!r}. {_weights_help()}")
    if not h5py.is_hdf5(path):
        raise ValueError(_load_error(path, "not an HDF5 file; is the download complete?"))
    check_positive_int(batch_size, "batch_size")
    model = keras.applications.InceptionV3(
        include_top=False, pooling="avg", weights=None, input_shape=INCEPTION_V3_IMAGE_SIZE + (3,)
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(path)
    except (ValueError, OSError, KeyError) as error:
        raise ValueError(_load_error(path, error)) from error
    # Keras only warns when whole blocks of layers find nothing to load and
    # keep their random initial weights: features from them would be noise.
    skipped = [str(item.message) for item in caught if "initialized weights" in str(item.message)]
    if skipped:
        raise ValueError(_load_error(path, skipped[0]))
    for item in caught:
        warnings.warn(item.message, item.category, stacklevel=2)
    return FeatureExtractor(
        model, image_size=INCEPTION_V3_IMAGE_SIZE, preprocess=_inception_preprocess, batch_size=batch_size
    )


def random_conv_extractor(image_size, seed=7, batch_size=128):
    """Features from a small convolutional net with fixed random weights.

    Three ReLU convolutions (32, 64 and 64 filters of 3x3, stride 2, He
    normal initialisation seeded with `seed`, `seed + 1`, `seed + 2`) on the
    RGB images rescaled to [-1, 1], average-pooled to 64 features. It needs
    no weights file, so studies and benchmarks can run the set metrics where
    the InceptionV3 weights are not at hand; a random net still separates
    sets that differ in texture, colour or diversity. Its numbers compare
    only with numbers from the same `image_size` and `seed`.

    Args:
        image_size: side (int) or `(height, width)` of the RGB input.
        seed: seed of the first layer's initializer.
        batch_size: images per forward pass (positive int).

    Returns:
        `FeatureExtractor` giving float32 features `(N, 64)`.

    Example:

    >>> extractor = random_conv_extractor(32)
    >>> extractor(np.zeros((5, 32, 32, 3), np.float32)).shape
    (5, 64)
    """
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if image_size is None:
        raise ValueError("`image_size` must be a side or (height, width). Received: image_size=None")
    height, width = _check_image_size(image_size)
    init = keras.initializers.HeNormal
    model = keras.Sequential(
        [
            keras.Input((height, width, 3)),
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Conv2D(32, 3, strides=2, activation="relu", kernel_initializer=init(seed)),
            keras.layers.Conv2D(64, 3, strides=2, activation="relu", kernel_initializer=init(seed + 1)),
            keras.layers.Conv2D(64, 3, strides=2, activation="relu", kernel_initializer=init(seed + 2)),
        ]
    )
    return FeatureExtractor(model, batch_size=batch_size)


# ---------------------------------------------------------------------------
# FID and KID of image sets.
# ---------------------------------------------------------------------------


def as_feature_extractor(extractor):
    """`extractor` as a `FeatureExtractor`: returned as is, or a Keras model
    wrapped with the defaults; anything else raises `ValueError`. What `fid`,
    `kid`, `GANMetricsMonitor` and `classifier_inception_score` accept."""
    if isinstance(extractor, FeatureExtractor):
        return extractor
    if isinstance(extractor, keras.layers.Layer):
        return FeatureExtractor(extractor)
    raise ValueError(
        "`extractor` must be a FeatureExtractor (e.g. from inception_v3_extractor) "
        f"or a Keras model. Received: extractor={type(extractor).__name__}"
    )


def _set_features(real_images, fake_images, extractor, batch_size):
    extractor = as_feature_extractor(extractor)
    if batch_size is not None:
        check_positive_int(batch_size, "batch_size")
    names = ("real_images", "fake_images")
    real_images, fake_images = (as_image_batch(images, name=name) for images, name in zip((real_images, fake_images), names))
    check_image_sets(real_images, fake_images, names)
    real = extractor._extract(real_images, batch_size, "real_images")
    fake = extractor._extract(fake_images, batch_size, "fake_images")
    return real, fake


def fid(real_images, fake_images, extractor, batch_size=None):
    """Frechet distance between the features of two image sets.

    `frechet_distance` of the `feature_statistics` of
    `extractor(real_images)` and `extractor(fake_images)`.

    Args:
        real_images: float array `(N_r, H, W, C)` in [0, 1], `N_r >= 2`.
        fake_images: float array `(N_f, H, W, C)` in [0, 1], `N_f >= 2`:
            as many images as `real_images` or not, but of the same shape
            (the extractor would resize sets of two sizes to its input, and
            FID would mostly measure that resizing).
        extractor: a `FeatureExtractor` (e.g. `inception_v3_extractor(path)`)
            or a Keras model, which is wrapped in one with its defaults.
        batch_size: images per forward pass; None uses the extractor's.

    Returns:
        Python float >= 0.

    Raises:
        ValueError: for bad images (as in `FeatureExtractor`), sets whose
            images differ in height, width or channels, fewer than 2 images
            in a set, or a bad extractor or batch size.
    """
    real, fake = _set_features(real_images, fake_images, extractor, batch_size)
    mu_real, sigma_real = feature_statistics(real)
    mu_fake, sigma_fake = feature_statistics(fake)
    return frechet_distance(mu_real, sigma_real, mu_fake, sigma_fake)


def kid(real_images, fake_images, extractor, batch_size=None, num_subsets=100, subset_size=None, seed=0):
    """Kernel distance between the features of two image sets.

    `kernel_inception_distance` of `extractor(real_images)` and
    `extractor(fake_images)`.

    Args:
        real_images: float array `(N_r, H, W, C)` in [0, 1].
        fake_images: float array `(N_f, H, W, C)` in [0, 1], images of the
            same shape as `real_images` (as in `fid`).
        extractor: a `FeatureExtractor` or a Keras model, as in `fid`.
        batch_size: images per forward pass; None uses the extractor's.
        num_subsets, subset_size, seed: as in `kernel_inception_distance`.

    Returns:
        `KernelDistance(mean, std, per_subset)`.

    Raises:
        ValueError: as in `fid` and `kernel_inception_distance`.
    """
    real, fake = _set_features(real_images, fake_images, extractor, batch_size)
    return kernel_inception_distance(real, fake, num_subsets=num_subsets, subset_size=subset_size, seed=seed)
