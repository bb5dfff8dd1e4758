"""`coherent_dehazer`: whole-image transmission at a coarse scale, refined
edge-aware at full resolution (the v2 dehazer design).

Why: a transmission map `t = exp(-beta d)` is a function of scene depth.
Over most of an image it is a smooth, low-frequency field; it jumps only
where depth jumps (a building against the sky, an object in front of a
wall), and those jumps sit on image edges. A fully convolutional network
that predicts `t` from a local window (the v1 U-Net sees 88 pixels around a
pixel) cannot know whether a bright, flat patch is a white wall near the
camera or haze far away, and it decides patch by patch: islands of dehazed
image inside residual haze. This model splits the frequency range instead:

1. **Low frequencies, whole-image context.** The photo, whatever its size,
   is resized to a fixed `coarse_size` square (bilinear to `4 coarse_size`,
   then two 2x2 average pools, which limits aliasing), and a small encoder-
   decoder sees all of it: four stride-2 levels down to `coarse_size / 16`,
   where a global-average-pooled descriptor is broadcast back and two 3x3
   convolutions (one dilated) cover the whole picture. It predicts a coarse
   transmission `(coarse_size, coarse_size)` and, from the global
   descriptor, one airlight per channel: the airlight is judged from the
   whole scene (haze colour over distant regions), not from the brightest
   pixels, which are lamps, sky or white objects as often as haze. With
   `grey_airlight` the estimate is averaged over channels: a grey airlight.
2. **Edges at full resolution.** The coarse transmission is upsampled to
   `2 coarse_size` and refined with a fast guided filter (`GuidedFilter`,
   He, Sun & Tang): its local linear coefficients are computed against the
   grey hazy image at that size, upsampled to the photo's size and applied
   to the full-resolution grey image, so the transmission's discontinuities
   snap to the photo's own edges without any learned full-resolution
   layer.
3. **The haze model's bound** (with `dark_channel_bound`). A hazy pixel
   is never darker than the haze in front of it, `I >= A (1 - t)`, so `t`
   has a floor wherever the photo is darker than the airlight. A network
   that takes dark clouds for distant sky predicts a `t` below it, and the
   inverted pixel is crushed to black. With `dark_channel_bound = omega`
   the refined `t` is raised to He et al.'s dark-channel transmission
   `1 - omega dark(I / A)` over 7-pixel windows of the guide's image,
   guided-filtered like `t` (`TransmissionBound`), and to the exact
   per-pixel floor: no channel of the output goes below 0, and dark
   regions keep their texture.
4. **Physics.** `InvertScattering` forms `J = (I - A (1 - t)) / max(t, t0)`
   at full resolution; the output is clipped to [0, 1].

The learned part costs the same for a thumbnail and a 12-megapixel photo;
the full-resolution part is resizing, box means and arithmetic. So large
photos need no tiling and the receptive field is the whole image at every
size. Every op is a TFLite builtin (CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D,
RESIZE_BILINEAR, MEAN, ...).
"""

import keras

from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_bool
from kfreqgan._validation import check_image_channels
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_real_number
from kfreqgan.layers import BilinearUpsampling2D
from kfreqgan.layers import EdgeAwareSmoothness
from kfreqgan.layers import InvertScattering
from kfreqgan.layers.guided_filter import GuidedFilter
from kfreqgan.layers.haze_features import ChannelMean
from kfreqgan.layers.haze_features import DarkChannel
from kfreqgan.layers.haze_features import DarkChannelAirlight
from kfreqgan.layers.haze_features import GatedBlend
from kfreqgan.layers.haze_features import Luminance
from kfreqgan.layers.transmission_bound import TransmissionBound
from kfreqgan.models.scattering import scattering_view


def _conv(x, filters, kernel=3, strides=1, dilation=1, name=None):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, dilation_rate=dilation, padding="same", name=name)(x)
    return keras.layers.LeakyReLU(0.2, name=None if name is None else f"{name}_act")(x)


def coherent_dehazer(
    coarse_size=128,
    filters=16,
    channels=3,
    radius=8,
    epsilon=1e-3,
    min_transmission=0.05,
    smoothness_weight=0.0,
    grey_airlight=False,
    dark_channel_bound=0.0,
    airlight_prior=False,
    bright_bound=False,
    name="coherent_dehazer",
):
    """Dehazing generator with a whole-image coarse transmission and a guided-filter refinement.

    See the module docstring for the design and why. The model takes RGB
    images of any height and width (`(None, None, None, 3)`, values in
    [0, 1]) and returns dehazed images of the same size in [0, 1].

    Args:
        coarse_size: side of the square the whole photo is resized to for
            the learned part (a multiple of 16, >= 32).
        filters: filters of the coarse network's first level (doubling
            down to the third level, then 3x, then 4x).
        channels: image channels (3; 1 for grey images).
        radius: guided-filter radius in pixels at `2 coarse_size` (8 at
            the default: about 3% of the image side).
        epsilon: guided-filter regularisation (squared grey levels).
        min_transmission: floor on `t` when inverting the haze model.
        smoothness_weight: with a value > 0, training adds this times the
            coarse transmission's edge-aware total variation against the
            coarse image (`kfreqgan.layers.EdgeAwareSmoothness`) to the
            model's losses: a prior that `t` is flat where the photo is
            (sky, walls) and jumps only at its edges. 0 (default): no prior
            and no extra layer. Inference is the same either way.
        grey_airlight: average the airlight estimate over channels
            (`kfreqgan.layers.ChannelMean`), so the model removes grey
            haze only. A tint the airlight has and the photo's haze has
            not becomes a colour cast where `t` is small (a distant sky);
            the tint a per-channel head predicts was no better than its
            grey mean on held-out photos overall, worth 0.1 dB in dense
            haze only (BENCHMARKS.md, "Dehazer v5"). Weightless:
            weights trained either way load either way.
        dark_channel_bound: with a value `omega` in (0, 1], the
            transmission is kept above the haze model's floor (module
            docstring, step 3): above `1 - omega dark(I / A)` over windows
            of `2 bound_radius(coarse_size) + 1` pixels of the guide's
            image (guided-filtered with `radius` and `epsilon`), and
            above `1 - min_c I_c / A_c` at every pixel.
            0 (default): no bound. Weightless: weights trained either way
            load either way.
        bright_bound: with `dark_channel_bound`, bound the transmission
            from the bright side as well, with the same `omega`, window
            and filter: `J <= 1`, so `t >= 1 - min_c (1 - I_c) / (1 - A_c)`
            (`TransmissionBound(bright=True)`). A sky brighter than the
            estimated airlight is then left hazy instead of blown out to
            white. Weightless.
        airlight_prior: blend the learned airlight with He et al.'s
            estimate (`kfreqgan.layers.DarkChannelAirlight` on the
            guide's image: the mean colour of its 0.1% most haze-opaque
            pixels) by a gate learned from the airlight head's features
            and the estimate's opacity (`GatedBlend`). The learned head
            pools its features over the whole image, which in dense haze
            regresses to the middle of its range; the estimate is close
            there and poor in thin haze, where the gate can ignore it.
            The gate starts at 0.5 everywhere (the two averaged): started
            near 0 (sigmoid(-4)), a fine-tune's Adam steps of 1e-3 moved
            its bias by 0.01 in 800 steps, while a gate fitted offline
            opens to about 0.65. A model trained without the prior loads
            into one with it by name (the gate is the one new weighted
            layer).

    Returns:
        A Functional `keras.Model` `(None, H, W, C) -> (None, H, W, C)`.

    Example:

    >>> model = coherent_dehazer()
    >>> model(np.zeros((1, 75, 101, 3), "float32")).shape
    TensorShape([1, 75, 101, 3])
    """
    coarse_size = check_positive_int(coarse_size, "coarse_size")
    if coarse_size % 16 or coarse_size < 32:
        raise ValueError(f"`coarse_size` must be a multiple of 16 and >= 32. Received: coarse_size={coarse_size}")
    check_positive_int(filters, "filters")
    channels = check_image_channels(channels)
    if not is_real_number(min_transmission) or not 0 < min_transmission < 1:
        raise ValueError(f"`min_transmission` must lie in (0, 1). Received: min_transmission={min_transmission!r}")
    smoothness_weight = check_at_least(smoothness_weight, "smoothness_weight")
    grey_airlight = check_bool(grey_airlight, "grey_airlight")
    airlight_prior = check_bool(airlight_prior, "airlight_prior")
    if not is_real_number(dark_channel_bound) or not 0 <= dark_channel_bound <= 1:
        raise ValueError(
            f"`dark_channel_bound` must lie in [0, 1] (0: no bound). Received: dark_channel_bound={dark_channel_bound!r}"
        )
    bright_bound = check_bright_bound(bright_bound, dark_channel_bound)

    hazy = keras.Input((None, None, channels), name="hazy")
    # A pyramid of the whole photo at fixed sizes: bilinear to 4x the coarse
    # size, then 2x2 means (less aliasing than one big bilinear step).
    fine = keras.layers.Resizing(4 * coarse_size, 4 * coarse_size, interpolation="bilinear", name="to_fixed_size")(hazy, training=False)
    middle = keras.layers.AveragePooling2D(2, name="guide_scale")(fine)
    coarse = keras.layers.AveragePooling2D(2, name="coarse_scale")(middle)

    # Coarse network: the whole image in view.
    x = keras.layers.Concatenate(name="with_dark_channel")([coarse, DarkChannel(radius=3, name="dark_channel")(coarse)])
    widths = (filters, 2 * filters, 4 * filters, 6 * filters, 8 * filters)
    x = _conv(x, widths[0], name="stem")
    skips = []
    for level in range(1, 5):
        skips.append(x)
        x = _conv(x, widths[level], kernel=4, strides=2, name=f"down{level}")
        x = _conv(x, widths[level], name=f"down{level}_conv")
    # Global context: the image's mean descriptor, broadcast to every cell.
    pooled = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    context = keras.layers.Dense(widths[4], name="context")(pooled)
    context = keras.layers.LeakyReLU(0.2)(context)
    bottom = coarse_size // 16
    tiled = keras.layers.Reshape((1, 1, widths[4]))(context)
    tiled = keras.layers.UpSampling2D(bottom, name="broadcast_context")(tiled)
    x = keras.layers.Concatenate(name="with_context")([x, tiled])
    x = _conv(x, widths[4], name="context_conv")
    x = _conv(x, widths[4], dilation=2, name="context_conv_dilated")
    for level in reversed(range(1, 5)):
        x = BilinearUpsampling2D(2)(x)
        x = _conv(x, widths[level - 1], name=f"up{level}")
        x = keras.layers.Concatenate()([x, skips[level - 1]])
        x = _conv(x, widths[level - 1], name=f"up{level}_conv")
    transmission = keras.layers.Conv2D(
        1,
        3,
        padding="same",
        activation="sigmoid",
        bias_initializer=keras.initializers.Constant(1.0),  # starts near t = 0.73: mild dehazing
        dtype="float32",
        name="coarse_transmission",
    )(x)
    if smoothness_weight > 0:
        transmission = EdgeAwareSmoothness(smoothness_weight, dtype="float32", name="transmission_smoothness")(
            [transmission, coarse]
        )

    # Airlight from the whole scene (global descriptor + the coarse image's
    # channel means), one per channel.
    image_mean = keras.layers.GlobalAveragePooling2D(name="image_mean")(coarse)
    a = keras.layers.Concatenate(name="airlight_features")([pooled, image_mean])
    a = keras.layers.Dense(32, name="airlight_hidden")(a)
    a = keras.layers.LeakyReLU(0.2)(a)
    airlight = keras.layers.Dense(
        channels, activation="sigmoid", bias_initializer=keras.initializers.Constant(1.7), dtype="float32", name="airlight_estimate"
    )(a)
    if airlight_prior:
        prior, opacity = DarkChannelAirlight(
            prior_radius(coarse_size), 0.001, dtype="float32", name="airlight_prior"
        )(middle)
        gate = keras.layers.Concatenate(name="airlight_gate_features")([pooled, image_mean, prior, opacity])
        gate = keras.layers.Dense(
            1,
            activation="sigmoid",
            kernel_initializer="zeros",
            bias_initializer="zeros",
            dtype="float32",
            name="airlight_prior_gate",
        )(gate)
        airlight = GatedBlend(dtype="float32", name="airlight_blend")([gate, airlight, prior])
    if grey_airlight:
        # In the Reshape's place, not after it: the same layer order as without
        # (a run's backup restores its optimizer state by that order).
        airlight = ChannelMean((1, 1, channels), dtype="float32", name="airlight_map")(airlight)
    else:
        airlight = keras.layers.Reshape((1, 1, channels), name="airlight_map")(airlight)

    # Edge-aware refinement: fast guided filter against the hazy image.
    transmission = BilinearUpsampling2D(2, dtype="float32", name="transmission_up")(transmission)
    guide = Luminance(dtype="float32", name="guide")(middle)
    full_guide = Luminance(dtype="float32", name="full_guide")(hazy)
    transmission = GuidedFilter(radius, epsilon, dtype="float32", name="guided_filter")([guide, transmission, full_guide])
    transmission = keras.layers.ReLU(max_value=1.0, dtype="float32", name="refined_transmission")(transmission)
    if dark_channel_bound > 0:
        # Right before the inversion, which also takes the airlight: every
        # weighted layer then sits one step further from the output, and the
        # model's weights keep their order (backups and init_generator load
        # by order), bound or not.
        transmission = TransmissionBound(
            bound_radius(coarse_size), dark_channel_bound, radius, epsilon, bright=bright_bound, dtype="float32", name="haze_bound"
        )([transmission, hazy, airlight, middle])
    clean = InvertScattering(min_transmission, dtype="float32", name="invert")([hazy, transmission, airlight])
    clean = keras.layers.ReLU(max_value=1.0, dtype="float32", name="output")(clean)
    return keras.Model(hazy, clean, name=name)


def check_bright_bound(bright_bound, dark_channel_bound):
    """`bright_bound` as a bool; it needs `dark_channel_bound` (its omega and
    window).

    Raises:
        ValueError: for a non-bool, or `bright_bound=True` without the dark
            channel bound.
    """
    bright_bound = check_bool(bright_bound, "bright_bound")
    if bright_bound and not dark_channel_bound:
        raise ValueError(
            "`bright_bound` bounds the transmission from the bright side with `dark_channel_bound`'s omega and window, "
            f"and `dark_channel_bound` is off. Received: bright_bound=True, dark_channel_bound={dark_channel_bound!r}"
        )
    return bright_bound


def prior_radius(coarse_size):
    """`airlight_prior`'s dark-channel window radius at the guide's size
    (`2 coarse_size`): He et al.'s 15-pixel window at 256 pixels."""
    return max(1, round(7 * coarse_size / 128))


def bound_radius(coarse_size):
    """Window radius of `dark_channel_bound` at the guide's size (`2
    coarse_size`): 3 at the default 128, a 7-pixel window, about He et al.'s
    15 pixels on a photo of longer side 512."""
    return max(1, round(3 * coarse_size / 128))


def transmission_model(dehazer):
    """A model `hazy -> (transmission, airlight)` sharing `dehazer`'s layers.

    For inspection and for supervising the transmission directly: the
    full-resolution `t` the model inverts (after the guided filter, and
    the haze model's bound with `dark_channel_bound`) and the
    `(N, 1, 1, C)` airlight of a `coherent_dehazer`, or of any generator
    `kfreqgan.models.scattering.scattering_view` takes (the
    `unet_generator(head="scattering")`): the last two outputs of that
    view, found the same way.

    Raises:
        ValueError: if `dehazer` does not invert the haze model once.
    """
    view = scattering_view(dehazer)
    return keras.Model(view.inputs, view.outputs[1:], name=f"{dehazer.name}_transmission")
