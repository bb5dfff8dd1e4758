"""GAN, reconstruction and frequency losses: pure functions, per example.

Every function returns one loss value per example (shape `(N,)`), so that a
training step can reduce it correctly under `tf.distribute` with
`tf.nn.compute_average_loss(per_example, global_batch_size=...)`: a plain
`mean` on each replica would weight replicas wrongly once gradients are
summed across them. `reduce_loss` does that reduction.

Logits are unbounded discriminator outputs of shape `(N,)`, `(N, 1)` or a
patch map `(N, h, w, 1)` (PatchGAN), averaged per example.
"""

import tensorflow as tf

from kfreqgan import spectral

ADVERSARIAL_LOSSES = ("non_saturating", "hinge", "least_squares")


def per_example_mean(values):
    """Mean of `values` over all but the first axis: `(N, ...) -> (N,)`
    (e.g. patch logits to one value per example)."""
    values = tf.cast(values, tf.float32)
    if values.shape.rank is not None and values.shape.rank <= 1:
        return tf.reshape(values, [-1])
    return tf.reduce_mean(tf.reshape(values, (tf.shape(values)[0], -1)), axis=1)


def _check_kind(kind):
    if kind not in ADVERSARIAL_LOSSES:
        raise ValueError(f"`kind` must be one of {ADVERSARIAL_LOSSES}. Received: kind={kind!r}")


def generator_adversarial_loss(fake_logits, kind="non_saturating"):
    """The generator's adversarial loss on the discriminator's fake logits.

    - `"non_saturating"`: `softplus(-D(G(z)))`, i.e. `-log sigmoid(D)`
      (Goodfellow et al. 2014);
    - `"hinge"`: `-D(G(z))` (Lim & Ye 2017, SNGAN, SSD-GAN);
    - `"least_squares"`: `(D(G(z)) - 1)^2 / 2` (Mao et al. 2017).

    Returns:
        float32 `(N,)`.
    """
    _check_kind(kind)
    logits = tf.cast(fake_logits, tf.float32)
    if kind == "non_saturating":
        return per_example_mean(tf.nn.softplus(-logits))
    if kind == "hinge":
        return per_example_mean(-logits)
    return per_example_mean(0.5 * tf.square(logits - 1.0))


def discriminator_adversarial_loss(real_logits, fake_logits, kind="non_saturating"):
    """The discriminator's loss on real and fake logits (same `kind`s).

    - `"non_saturating"`: `softplus(-D(x)) + softplus(D(G(z)))`;
    - `"hinge"`: `relu(1 - D(x)) + relu(1 + D(G(z)))`;
    - `"least_squares"`: `((D(x) - 1)^2 + D(G(z))^2) / 2`.

    Returns:
        float32 `(N,)`.
    """
    _check_kind(kind)
    real = tf.cast(real_logits, tf.float32)
    fake = tf.cast(fake_logits, tf.float32)
    if kind == "non_saturating":
        return per_example_mean(tf.nn.softplus(-real)) + per_example_mean(tf.nn.softplus(fake))
    if kind == "hinge":
        return per_example_mean(tf.nn.relu(1.0 - real)) + per_example_mean(tf.nn.relu(1.0 + fake))
    return per_example_mean(0.5 * tf.square(real - 1.0)) + per_example_mean(0.5 * tf.square(fake))


def l1_loss(target, prediction):
    """Mean absolute error per example, `(N,)`."""
    return per_example_mean(tf.abs(tf.cast(target, tf.float32) - tf.cast(prediction, tf.float32)))


def _orthonormal_dft(images, patch_factor):
    """(N, P, C, h, w) complex64 DFT with 'ortho' normalisation of patches."""
    images = tf.cast(images, tf.float32)
    height, width = images.shape[1], images.shape[2]
    if height % patch_factor or width % patch_factor:
        raise ValueError(
            f"`patch_factor` must divide the image height and width. "
            f"Received: patch_factor={patch_factor}, shape={tuple(images.shape)}"
        )
    ph, pw = height // patch_factor, width // patch_factor
    channels = images.shape[-1]
    # (N, pf, ph, pf, pw, C) -> (N, pf, pf, C, ph, pw) -> (N, P, C, ph, pw)
    patches = tf.reshape(images, (-1, patch_factor, ph, patch_factor, pw, channels))
    patches = tf.transpose(patches, (0, 1, 3, 5, 2, 4))
    patches = tf.reshape(patches, (-1, patch_factor * patch_factor, channels, ph, pw))
    spectrum = tf.signal.fft2d(tf.complex(patches, tf.zeros_like(patches)))
    return spectrum / tf.complex(tf.sqrt(float(ph * pw)), 0.0)


def focal_frequency_loss(target, prediction, alpha=1.0, patch_factor=1, log_matrix=False):
    """Focal frequency loss (Jiang et al., ICCV 2021), per example.

    With `F` the orthonormal 2D DFT of each channel (of each of the
    `patch_factor^2` patches), `d = |F(pred) - F(target)|^2` is the squared
    frequency distance and the loss is `mean(w * d)` over frequencies,
    channels and patches, where the focal weight `w = d^(alpha/2)` (or
    `log(1 + d^(alpha/2))`) is normalised to [0, 1] by its maximum per image,
    channel and patch and is *not* differentiated through: frequencies that
    are hard to synthesise get more weight as training goes. The batch-wide
    options of the reference (`ave_spectrum`, `batch_matrix`) couple the
    examples of a batch and are left out so the loss stays per example and
    correct under `tf.distribute`.

    Args:
        target, prediction: float tensors `(N, H, W, C)`.
        alpha: focusing exponent (> 0).
        patch_factor: split each image into `patch_factor^2` patches.
        log_matrix: use `log(1 + d^(alpha/2))` for the weight.

    Returns:
        float32 `(N,)`.
    """
    if not alpha > 0:
        raise ValueError(f"`alpha` must be > 0. Received: alpha={alpha!r}")
    if isinstance(patch_factor, bool) or not isinstance(patch_factor, int) or patch_factor < 1:
        raise ValueError(f"`patch_factor` must be a positive integer. Received: patch_factor={patch_factor!r}")
    difference = _orthonormal_dft(prediction, patch_factor) - _orthonormal_dft(target, patch_factor)
    distance = tf.square(tf.math.real(difference)) + tf.square(tf.math.imag(difference))
    weight = tf.pow(tf.sqrt(distance), alpha)
    if log_matrix:
        weight = tf.math.log(weight + 1.0)
    weight = tf.math.divide_no_nan(weight, tf.reduce_max(weight, axis=(-2, -1), keepdims=True))
    weight = tf.stop_gradient(tf.clip_by_value(weight, 0.0, 1.0))
    return tf.reduce_mean(weight * distance, axis=(1, 2, 3, 4))


def radial_profile_loss(target, prediction, num_bins=None, epsilon=1e-8):
    """L1 distance between log radial power profiles, per example.

    Both images' radial power profiles (`kfreqgan.spectral.
    radial_power_profile`, per channel) are compared as `log(P + eps)`, so
    every frequency ring counts alike however little power it holds: this is
    the loss that pushes a generator to get the high-frequency fall-off of
    its images right.

    Returns:
        float32 `(N,)`.
    """
    target = tf.cast(target, tf.float32)
    prediction = tf.cast(prediction, tf.float32)
    height, width = int(target.shape[1]), int(target.shape[2])
    bins = spectral.radial_bins(height, width, num_bins, 0.5, "normalized", "half")
    size = float(height * width)
    profile_target = spectral._bin_average(spectral._dft_power(target, half=True) / size, bins)
    profile_prediction = spectral._bin_average(spectral._dft_power(prediction, half=True) / size, bins)
    gap = tf.math.log(profile_prediction + epsilon) - tf.math.log(profile_target + epsilon)
    return tf.reduce_mean(tf.abs(gap), axis=(1, 2))


def reduce_loss(per_example, global_batch_size=None):
    """Mean over the *global* batch, correct on each replica of a strategy.

    Inside a replica of `tf.distribute`, divides the sum of the replica's
    per-example losses by the global batch size (the per-replica batch times
    the number of replicas unless given), so that summing gradients across
    replicas gives the gradient of the global mean.
    """
    per_example = tf.cast(per_example, tf.float32)
    if global_batch_size is None:
        replicas = tf.distribute.get_replica_context()
        count = replicas.num_replicas_in_sync if replicas is not None else 1
        global_batch_size = tf.shape(per_example)[0] * count
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
