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
from kfreqgan._validation import as_image_pair
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import static_spatial_size

ADVERSARIAL_LOSSES = ("non_saturating", "hinge", "least_squares", "wasserstein")


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
    - `"least_squares"`: `(D(G(z)) - 1)^2 / 2` (Mao et al. 2017);
    - `"wasserstein"`: `-D(G(z))` (Arjovsky et al. 2017; use it with a
      Lipschitz critic, e.g. `FreqGAN(gradient_penalty="wgan_gp")`).

    Returns:
        float32 `(N,)`.
    """
    _check_kind(kind)
    logits = tf.cast(fake_logits, tf.float32)
    if kind == "non_saturating":
        return per_example_mean(tf.nn.softplus(-logits))
    if kind in ("hinge", "wasserstein"):
        return per_example_mean(-logits)
    return per_example_mean(0.5 * tf.square(logits - 1.0))


def discriminator_adversarial_loss(real_logits, fake_logits, kind="non_saturating"):
    """The discriminator's loss on real and fake logits (same `kind`s).

    - `"non_saturating"`: `softplus(-D(x)) + softplus(D(G(z)))`;
    - `"hinge"`: `relu(1 - D(x)) + relu(1 + D(G(z)))`;
    - `"least_squares"`: `((D(x) - 1)^2 + D(G(z))^2) / 2`;
    - `"wasserstein"`: `D(G(z)) - D(x)` (the critic's loss of WGAN).

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
    if kind == "wasserstein":
        return per_example_mean(fake) - per_example_mean(real)
    return per_example_mean(0.5 * tf.square(real - 1.0)) + per_example_mean(0.5 * tf.square(fake))


def _image_pair(target, prediction, purpose=None):
    """`target` and `prediction` as float32 NHWC tensors of one shape
    (`as_image_pair`; in the graph too where shapes are dynamic). With
    `purpose`, height and width must also be static (the frequency grids
    are built once per shape). NaN and Inf pass through to the loss, where
    a diverging GAN's loss shows them (`StopOnDivergence` stops on it).
    """
    target, prediction = as_image_pair(target, prediction, ("target", "prediction"), check_finite=False)
    if purpose is not None:
        static_spatial_size(target, "target", purpose)
        static_spatial_size(prediction, "prediction", purpose)
    return target, prediction


def l1_loss(target, prediction):
    """Mean absolute error per example, `(N,)`.

    Raises:
        ValueError: if either is not a float NHWC image batch, or they
            differ in shape (NaN in gives NaN out).
    """
    target, prediction = _image_pair(target, prediction)
    return per_example_mean(tf.abs(target - prediction))


def rehazing_loss(hazy, clear, transmission, airlight):
    """How far a dehazer's haze model is from re-making the hazy image, per example, `(N,)`.

    The mean absolute difference between `hazy` and `clear t + A (1 - t)`:
    the true clear image hazed again with the model's own transmission
    `t` and airlight `A`. For a hazy image made by that model it is zero at
    the true `t` and `A`, and at each pixel its error is
    `(clear - A)(t - t_true) + (A - A_true)(1 - t_true)`: unlike an L1 on
    the dehazed output, where a too-high `t` and a too-bright `A` can
    cancel, it needs each right (with three channels against one `t` per
    pixel, the pair is determined wherever the clear image differs from
    the airlight). In dense haze, where the output's loss says least
    about `A`, the airlight term is nearly all of it.

    Args:
        hazy: `(N, H, W, C)` hazy images in [0, 1].
        clear: `(N, H, W, C)` their clear images.
        transmission: `(N, H, W, 1)` (or per channel `(N, H, W, C)`)
            transmission.
        airlight: `(N, 1, 1, C)` airlight (or `(N, 1, 1, 1)`: grey; or a
            map, `(N, H, W, C)` or `(N, H, W, 1)`).

    Returns:
        `(N,)` float32.

    Raises:
        ValueError: if `hazy` and `clear` differ in shape or are not NHWC
            float images, or `transmission` / `airlight` are not float,
            not rank 4 or have another shape than the ones above:
            broadcasting a batch of one, a coarse map or two channels
            against the images would give a plausible number for a wrong
            pairing. Shapes known only when the graph runs are checked
            there (`tf.errors.InvalidArgumentError`; not under XLA).
    """
    hazy, clear = as_image_pair(hazy, clear, ("hazy", "clear"), check_finite=False)
    transmission = _check_haze_part(transmission, "transmission", hazy, "(N, H, W, 1) or (N, H, W, C)", spatial_may_be_one=False)
    airlight = _check_haze_part(
        airlight, "airlight", hazy, "(N, 1, 1, C), (N, 1, 1, 1) or a map (N, H, W, C or 1)", spatial_may_be_one=True
    )
    rehazed = clear * transmission + airlight * (1.0 - transmission)
    return per_example_mean(tf.abs(hazy - rehazed))


def haze_strength(hazy, clear):
    """How much haze a pair holds, per example, `(N,)`: `mean |hazy - clear|`.

    For a pair made by the haze model it is `mean |(A - clear)(1 - t)|`:
    zero without haze, growing with `1 - t` and with how far the scene is
    from the airlight. `FreqGAN(rehazing_weighting="haze")` weights the
    re-hazing loss by it, since thin haze (`1 - t` small) says little about
    the airlight.

    Args:
        hazy: `(N, H, W, C)` hazy images.
        clear: `(N, H, W, C)` their clear images.

    Returns:
        `(N,)` float32.

    Raises:
        ValueError: if they differ in shape or are not NHWC float images.
    """
    hazy, clear = as_image_pair(hazy, clear, ("hazy", "clear"), check_finite=False)
    return per_example_mean(tf.abs(hazy - clear))


def haze_parameter_loss(predicted, true, name="parameter"):
    """How far a dehazer's transmission or airlight is from the haze's own, per example, `(N,)`.

    The mean absolute difference `|predicted - true|`, for training on
    synthetic haze whose parameters are known
    (`kfreqgan.data.make_hazy_pairs(return_parameters=True)`). Unlike
    `rehazing_loss` it needs the truth, and it holds the airlight to it
    directly: neither a wrong transmission nor anything else can make up
    for a wrong airlight in it.

    Args:
        predicted: `(N, H, W, C)` transmission (`C` is 1 or the images'
            channels) or `(N, 1, 1, C)` airlight.
        true: the same shape, except that either may have one channel
            where the other has several (a grey airlight against a tinted
            one: each channel is compared with the grey).
        name: what is compared, for the error message.

    Returns:
        `(N,)` float32.

    Raises:
        ValueError: if either is not a float tensor of rank 4, or their
            batch, height or width differ: broadcasting a batch of one or
            a coarse map would give a plausible number for a wrong
            pairing, and an integer map (0 or 255 where 0.0 to 1.0 was
            meant) a plausible target. Shapes known only when the graph
            runs (a dataset of unknown sizes) are checked there
            (`tf.errors.InvalidArgumentError`; not under XLA, which drops
            assertions).

    Example:

    >>> t = tf.fill((2, 4, 4, 1), 0.5)
    >>> kfreqgan.losses.haze_parameter_loss(t, t + 0.25, "transmission").numpy()
    array([0.25, 0.25], dtype=float32)
    """
    predicted, true = tf.convert_to_tensor(predicted), tf.convert_to_tensor(true)
    for value, which in ((predicted, "predicted"), (true, "true")):
        if value.shape.rank != 4:
            raise ValueError(f"The {which} {name} must be rank 4 (N, H, W, C). Received: {which} {name} of shape {value.shape}")
        _check_float_part(value, f"{which} {name}")
    predicted = tf.cast(predicted, tf.float32)
    true = tf.cast(true, tf.float32)
    message = f"The predicted and true {name} must have the same batch, height and width, and the same channels or one of them 1"
    for axis, (a, b) in enumerate(zip(predicted.shape, true.shape)):
        channel = axis == 3 and 1 in (a, b)
        if a is not None and b is not None and a != b and not channel:
            raise ValueError(f"{message}. Received: predicted.shape={tuple(predicted.shape)}, true.shape={tuple(true.shape)}")
    if not (predicted.shape.is_fully_defined() and true.shape.is_fully_defined()):
        ours, theirs = tf.shape(predicted), tf.shape(true)
        channels = tf.equal(ours[3], theirs[3]) | tf.equal(ours[3], 1) | tf.equal(theirs[3], 1)
        fits = tf.reduce_all(tf.equal(ours[:3], theirs[:3])) & channels
        with tf.control_dependencies([tf.debugging.Assert(fits, [f"{message}. Received: predicted.shape=", ours, "true.shape=", theirs])]):
            true = tf.identity(true)
    return per_example_mean(tf.abs(predicted - true))


def _check_float_part(value, name):
    """Raises unless a transmission or airlight tensor is float: a cast
    would take an integer or boolean map (0 or 255 where 0.0 to 1.0 was
    meant) as a plausible one."""
    if not value.dtype.is_floating:
        raise ValueError(
            f"The {name} must be a floating tensor (float16, bfloat16, float32 or float64) with values in [0, 1]. "
            f"Received: dtype={value.dtype.name}"
        )


def _check_haze_part(value, name, hazy, expected, spatial_may_be_one):
    """`value` as float32, or raises unless it is a float tensor of rank
    4, `hazy`'s batch, and each other axis `hazy`'s size or 1 (height and
    width: `hazy`'s unless `spatial_may_be_one`); axes of unknown size are
    checked when the graph runs."""
    value = tf.convert_to_tensor(value)
    if value.shape.rank != 4:
        raise ValueError(f"`{name}` must be rank 4 (N, H, W, C). Received: {name} of shape {value.shape}")
    _check_float_part(value, name)
    value = tf.cast(value, tf.float32)
    message = f"`{name}` must have the shape {expected} of `hazy` (N, H, W, C)"
    for axis, (size, full) in enumerate(zip(value.shape, hazy.shape)):
        allowed = (full,) if axis == 0 or (axis < 3 and not spatial_may_be_one) else (full, 1)
        if size is not None and full is not None and size not in allowed:
            raise ValueError(f"{message}. Received: {name}.shape={tuple(value.shape)}, hazy.shape={tuple(hazy.shape)}")
    if not (value.shape.is_fully_defined() and hazy.shape.is_fully_defined()):
        size, full = tf.shape(value), tf.shape(hazy)
        one = tf.constant([False, spatial_may_be_one, spatial_may_be_one, True])
        fits = tf.reduce_all(tf.equal(size, full) | (one & tf.equal(size, 1)))
        with tf.control_dependencies([tf.debugging.Assert(fits, [f"{message}. Received: {name}.shape=", size, "hazy.shape=", full])]):
            value = tf.identity(value)
    return value


def edge_aware_smoothness(field, guide, edge_scale=10.0):
    """Edge-aware total variation of `field` per example, `(N,)`.

    The mean absolute difference between neighbouring pixels of `field`
    (along rows and along columns), each weighted by
    `exp(-edge_scale |difference of guide|)` with the guide averaged over
    its channels: a jump in `field` costs little where the guide has an
    edge and fully where the guide is flat. The disparity smoothness term
    of Godard et al. (CVPR 2017); as a prior on a dehazer's transmission
    it says "smooth except at the photo's edges", which is what a
    transmission `exp(-beta depth)` is.

    Args:
        field: `(N, H, W, C)` float tensor (e.g. a transmission map).
        guide: `(N, H, W, C')` image of the same height and width, values
            in [0, 1].
        edge_scale: how sharply an edge of the guide switches the penalty
            off (0: plain total variation; 10: a step of 0.1 keeps 37%).

    Returns:
        `(N,)` float32: the sum of the row and column terms.
    """
    edge_scale = check_at_least(edge_scale, "edge_scale")
    field = tf.cast(field, tf.float32)
    guide = tf.reduce_mean(tf.cast(guide, tf.float32), axis=-1, keepdims=True)
    if field.shape.rank != 4 or guide.shape.rank != 4:
        raise ValueError(f"`field` and `guide` must be (N, H, W, C). Received shapes {field.shape} and {guide.shape}.")
    rows = tf.abs(field[:, 1:] - field[:, :-1]) * tf.exp(-edge_scale * tf.abs(guide[:, 1:] - guide[:, :-1]))
    columns = tf.abs(field[:, :, 1:] - field[:, :, :-1]) * tf.exp(-edge_scale * tf.abs(guide[:, :, 1:] - guide[:, :, :-1]))
    return per_example_mean(rows) + per_example_mean(columns)


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
    alpha = check_at_least(alpha, "alpha", strict=True)
    patch_factor = check_positive_int(patch_factor, "patch_factor")
    target, prediction = _image_pair(target, prediction, "focal_frequency_loss")
    difference = _orthonormal_dft(prediction, patch_factor) - _orthonormal_dft(target, patch_factor)
    distance = tf.square(tf.math.real(difference)) + tf.square(tf.math.imag(difference))
    weight = tf.pow(tf.sqrt(distance), alpha)
    if log_matrix:
        weight = tf.math.log(weight + 1.0)
    weight = tf.math.divide_no_nan(weight, tf.reduce_max(weight, axis=(-2, -1), keepdims=True))
    weight = tf.stop_gradient(tf.clip_by_value(weight, 0.0, 1.0))
    return tf.reduce_mean(weight * distance, axis=(1, 2, 3, 4))


def band_log_spectral_loss(target, prediction, band_weights=(1.0, 1.0, 1.0), bands=None, epsilon=1e-4):
    """Band-weighted L1 distance between log power spectra, per example.

    With `P = |F(x)|^2` the power of the orthonormal 2D DFT of each channel,
    the gap at each frequency is `|log(P_pred + eps) - log(P_target + eps)|`
    (natural log; 10 / ln 10 = 4.34 dB per unit). The gaps are averaged
    within each band of `bands` (by the radius of the frequency, in
    cycles/pixel, a band holding `low <= r < high`), and the band means are
    combined with `band_weights` (a weighted mean, so the loss has the units
    of one gap). Unlike the focal frequency loss, whose weight grows with the
    size of the complex error and so lands on the low frequencies where
    images hold most of their power (haze lives there), every band counts by
    its weight however little power it holds: this is the loss that asks a
    dehazer to restore the fine texture haze washes out. Unlike
    `radial_profile_loss`, it compares every frequency, not ring averages.
    Phase is ignored: L1 in pixels carries it.

    Args:
        target, prediction: float tensors `(N, H, W, C)`.
        band_weights: one weight >= 0 per band (not all zero).
        bands: `{name: (low, high)}` or a sequence of `(low, high)` pairs in
            cycles/pixel, `high=None` running to the corner of the spectrum;
            default `kfreqgan.bands.DEFAULT_BANDS` (low, mid, high).
        epsilon: added to the power before the log (> 0): gaps between
            powers far below it count little.

    Returns:
        float32 `(N,)`.
    """
    import numpy as np

    from kfreqgan.bands import DEFAULT_BANDS
    from kfreqgan.bands import band_ranges

    ranges = band_ranges(DEFAULT_BANDS if bands is None else bands)
    weights = [float(w) for w in band_weights]
    if len(weights) != len(ranges) or any(not np.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(
            f"`band_weights` must hold one finite weight >= 0 per band ({len(ranges)}), not all zero. "
            f"Received: band_weights={tuple(band_weights)!r}"
        )
    epsilon = check_at_least(epsilon, "epsilon", strict=True)
    target, prediction = _image_pair(target, prediction, "band_log_spectral_loss")
    height, width = int(target.shape[1]), int(target.shape[2])
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    radius = np.sqrt(fy**2 + fx**2)
    # One weight per frequency: a band's weight spread over its frequencies
    # (a band with no frequency at this size drops out of the weighted mean).
    combined, total = np.zeros((height, width)), 0.0
    for (low, high), weight in zip(ranges, weights):
        inside = (radius >= low) & (radius < (np.inf if high is None else high))
        if inside.any():
            combined += weight * inside / inside.sum()
            total += weight
    if total <= 0:
        raise ValueError(f"`band_weights` put no weight on a band this {height}x{width} image has. Received: band_weights={tuple(band_weights)!r}")
    combined /= total

    def log_power(images):
        spectrum = _orthonormal_dft(images, 1)[:, 0]  # (N, C, H, W)
        return tf.math.log(tf.square(tf.math.real(spectrum)) + tf.square(tf.math.imag(spectrum)) + epsilon)

    gap = tf.abs(log_power(prediction) - log_power(target))
    per_channel = tf.reduce_sum(gap * tf.constant(combined, tf.float32), axis=(2, 3))
    return tf.reduce_mean(per_channel, axis=1)


def radial_profile_loss(target, prediction, num_bins=None, epsilon=1e-8):
    """L1 distance between log radial power profiles, per example.

    Both images' radial power profiles (`kfreqgan.spectral.
    radial_power_profile`, per channel) are compared as `log(P + eps)`, so
    every frequency ring counts alike however little power it holds: this is
    the loss that pushes a generator to get the high-frequency fall-off of
    its images right.

    Args:
        target, prediction: float images `(N, H, W, C)`.
        num_bins: radial bins up to 0.5 cycles/pixel (None:
            `min(H, W) // 2`).
        epsilon: added to the power before the log (> 0).

    Returns:
        float32 `(N,)`.
    """
    epsilon = check_at_least(epsilon, "epsilon", strict=True)
    target, prediction = _image_pair(target, prediction, "radial_profile_loss")
    height, width = int(target.shape[1]), int(target.shape[2])
    bins = spectral.radial_bins(height, width, num_bins, 0.5, "normalized", "half")
    size = float(height * width)
    profile_target = spectral.bin_average(spectral.dft_power(target, half=True) / size, bins)
    profile_prediction = spectral.bin_average(spectral.dft_power(prediction, half=True) / size, bins)
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
    if global_batch_size is not None and not tf.is_tensor(global_batch_size):
        global_batch_size = check_positive_int(global_batch_size, "global_batch_size")
    if global_batch_size is None:
        replicas = tf.distribute.get_replica_context()
        count = replicas.num_replicas_in_sync if replicas is not None else 1
        global_batch_size = tf.shape(per_example)[0] * count
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)


# ---------------------------------------------------------------------------
# Stabilizers: gradient penalties and feature matching.
# ---------------------------------------------------------------------------


def input_gradients(discriminator_fn, images, loss_scale=None):
    """Gradient of each example's logit with respect to its own input.

    Runs `discriminator_fn(images)` (one logit tensor or a list of them, e.g.
    patch maps or a two-branch discriminator), reduces each output to one
    value per example (`per_example_mean`) and sums the outputs, then takes
    the gradient of the sum over the batch. For a discriminator that treats
    the examples of a batch independently this is each example's own input
    gradient; with batch-coupling layers (`MinibatchStdDev`) it also holds
    the other examples' small cross terms, as in StyleGAN.

    The logits are cast to float32 before the sum, and under mixed float16
    `loss_scale` (the optimizer's dynamic loss scale) multiplies the sum
    before the gradient and divides the gradient afterwards, so that small
    input gradients do not underflow in the float16 backward pass. Call it
    under an outer `tf.GradientTape` to differentiate the penalty.

    Args:
        discriminator_fn: callable `images -> logits` (or a list of logits).
        images: float tensor `(N, ...)`.
        loss_scale: None or a scalar tensor (e.g.
            `LossScaleOptimizer.dynamic_scale`).

    Returns:
        float32 tensor shaped like `images`.
    """
    images = tf.cast(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = tf.nest.flatten(discriminator_fn(images))
        total = tf.add_n([tf.reduce_sum(per_example_mean(logit)) for logit in logits])
        if loss_scale is not None:
            total = total * tf.cast(loss_scale, tf.float32)
    gradients = tf.cast(tape.gradient(total, images), tf.float32)
    if loss_scale is not None:
        gradients = gradients / tf.cast(loss_scale, tf.float32)
    return gradients


def _squared_norms(gradients):
    return tf.reduce_sum(tf.reshape(tf.square(gradients), (tf.shape(gradients)[0], -1)), axis=1)


def r1_penalty(discriminator_fn, real_images, loss_scale=None):
    """R1 gradient penalty on real data (Mescheder et al., ICML 2018), per example.

    `||grad_x D(x)||^2 / 2` for each real example `x`: the discriminator is
    pushed to be flat on the data, which makes the GAN's equilibrium locally
    convergent where unregularised training circles around it or drifts away
    (the paper's Dirac-GAN). Multiply by the weight `gamma` (10 in the paper
    and StyleGAN on FFHQ; smaller for low-resolution data) and add it to the
    discriminator's loss.

    Args:
        discriminator_fn: callable `images -> logits`, see `input_gradients`.
        real_images: float tensor `(N, ...)`, exactly what the discriminator
            sees (after any instance noise).
        loss_scale: see `input_gradients`.

    Returns:
        float32 `(N,)`.
    """
    return 0.5 * _squared_norms(input_gradients(discriminator_fn, real_images, loss_scale))


def wasserstein_gradient_penalty(
    discriminator_fn, real_images, fake_images, seed=None, target=1.0, epsilon=1e-10, loss_scale=None
):
    """WGAN-GP's gradient penalty (Gulrajani et al., NeurIPS 2017), per example.

    At random points on the lines between real and generated examples,
    `x_hat = u x + (1 - u) G(z)` with `u ~ U(0, 1)` drawn per example, the
    penalty is `(||grad D(x_hat)|| - target)^2`: it drives the critic's
    gradient norm towards `target` (1: a 1-Lipschitz critic, as the
    Wasserstein distance needs). Multiply by `lambda` (10 in the paper) and
    add it to the discriminator's loss. The norm is
    `sqrt(sum g^2 + epsilon)`, which keeps its gradient finite at `g = 0`.

    Args:
        discriminator_fn: callable `images -> logits`, see `input_gradients`.
        real_images, fake_images: float tensors of the same shape `(N, ...)`.
        seed: seed for `u` (an int, a `keras.random.SeedGenerator` or None).
        target: the gradient norm aimed at (> 0).
        epsilon: added under the square root (>= 0).
        loss_scale: see `input_gradients`.

    Returns:
        float32 `(N,)`.
    """
    import keras

    target = check_at_least(target, "target", strict=True)
    epsilon = check_at_least(epsilon, "epsilon")
    real_images = tf.cast(real_images, tf.float32)
    fake_images = tf.cast(fake_images, tf.float32)
    shape = tf.concat([tf.shape(real_images)[:1], tf.ones([tf.rank(real_images) - 1], tf.int32)], axis=0)
    mix = keras.random.uniform(shape, seed=seed)
    between = mix * real_images + (1.0 - mix) * fake_images
    norms = tf.sqrt(_squared_norms(input_gradients(discriminator_fn, between, loss_scale)) + epsilon)
    return tf.square(norms - target)


def _flat_features(features):
    features = tf.cast(features, tf.float32)
    return tf.reshape(features, (tf.shape(features)[0], -1))


def _global_mean(features):
    """Mean over the batch axis of the *global* batch (all replicas)."""
    context = tf.distribute.get_replica_context()
    total = tf.reduce_sum(features, axis=0)
    count = tf.cast(tf.shape(features)[0], tf.float32)
    if context is not None and context.num_replicas_in_sync > 1:
        total = context.all_reduce(tf.distribute.ReduceOp.SUM, total)
        count = context.all_reduce(tf.distribute.ReduceOp.SUM, count)
    return total / count


def feature_matching_loss(real_features, fake_features):
    """Feature matching (Salimans et al., NeurIPS 2016) for the generator.

    `mean_j (E_x f_j(x) - E_z f_j(G(z)))^2`: the squared distance between
    the batch means of an intermediate discriminator feature `f` on real and
    generated data, divided by the number of features `d` so that weights
    carry over between layers of different sizes. The generator is asked to
    match the statistics of real data rather than to fool the current
    discriminator, which damps the chase that makes GAN training oscillate.

    The means are over the *global* batch (summed across replicas inside a
    `tf.distribute` replica context), so the loss is one number per batch;
    it is returned repeated for every local example, so that `reduce_loss`
    gives back exactly that number on one device and its correct share on
    each replica.

    Args:
        real_features: float tensor `(N_r, ...)` (features of real data;
            stop their gradient yourself if they should not train anything).
        fake_features: float tensor `(N, ...)`, same feature shape.

    Returns:
        float32 `(N,)`, every entry the batch's loss.
    """
    real = _global_mean(_flat_features(real_features))
    fake = _flat_features(fake_features)
    loss = tf.reduce_mean(tf.square(real - _global_mean(fake)))
    return tf.fill(tf.shape(fake)[:1], loss)


def paired_feature_matching_loss(real_features, fake_features):
    """Feature matching between each pair (pix2pixHD, Wang et al., CVPR 2018).

    For image-to-image training, where each generated image has its own
    target: `mean |f(x, y) - f(x, G(x))|` per example, the L1 distance between
    the discriminator's features of the pair with the real target and with
    the generated one.

    Args:
        real_features: float tensor `(N, ...)`.
        fake_features: float tensor `(N, ...)`, same shape.

    Returns:
        float32 `(N,)`.
    """
    return tf.reduce_mean(tf.abs(_flat_features(real_features) - _flat_features(fake_features)), axis=1)


def spectrum_matching_loss(real, fake, num_bins=None, max_frequency=0.5, epsilon=1e-8):
    """Spectral regularisation for the generator: match the real batch's mean
    log spectrum (after Durall, Keuper & Keuper, CVPR 2020).

    Each image's radial power profile `P_i(k)` (grey,
    `spectral.radial_power_profile`, `num_bins` bins up to `max_frequency`
    cycles/pixel) is taken as `log(P_i(k) + epsilon)`; the loss is the mean
    over bins of `|mean_i log P_fake(k) - mean_i log P_real(k)|`, the L1 gap
    between the two sets' mean log spectra, i.e. what `spectral.
    spectral_distance` measures (in dB, as an RMS) and what a linear
    classifier of the 1D spectrum (Durall et al.'s detector) relies on. Durall
    et al. compare min-max normalised mean spectra with a binary cross
    entropy; this compares unnormalised log power, so that the overall level
    of each ring counts too. Unlike `radial_profile_loss` it needs no pairs:
    it compares batch means, as unconditional generation requires.

    The means are over the *global* batch (all replicas), as in
    `feature_matching_loss`; the loss is returned repeated for every local
    example of `fake`.

    Args:
        real: float tensor `(N_r, H, W, C)` (its gradient is stopped).
        fake: float tensor `(N, H, W, C)`, the same H, W and C.
        num_bins: radial bins (default `min(H, W) // 2`).
        max_frequency: outer radius of the rings in cycles/pixel: 0.5 (the
            default, as `spectral.spectral_distance`) leaves out the corners
            of the spectrum; `2 ** -0.5` takes them in, where the
            checkerboard of stride-2 transposed convolutions puts its power
            (at (0.5, 0.5) cycles/pixel).
        epsilon: added to the power before the log (> 0).

    Returns:
        float32 `(N,)`, every entry the batch's loss.
    """
    epsilon = check_at_least(epsilon, "epsilon", strict=True)

    def mean_log_profile(images):
        profile = spectral.radial_power_profile(tf.cast(images, tf.float32), num_bins, max_frequency)[..., 0]
        return _global_mean(tf.math.log(profile + epsilon))

    gap = mean_log_profile(fake) - tf.stop_gradient(mean_log_profile(real))
    return tf.fill(tf.shape(fake)[:1], tf.reduce_mean(tf.abs(gap)))
