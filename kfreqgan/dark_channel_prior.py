"""The dark channel prior dehazer (He, Sun & Tang, CVPR 2009), as a baseline.

    J = (I - A) / max(t, t0) + A,   t = 1 - omega * dark(I / A)

- `dark(x)`: the minimum over colour channels, then over a `patch` x
  `patch` window (15 x 15 in the paper);
- the airlight `A`: among the 0.1% of pixels with the brightest dark
  channel, the colour of the one with the highest intensity in `I`;
- `omega = 0.95` keeps a little haze for depth perception; `t0 = 0.1`.

He et al. refine `t` with soft matting; `refine="guided"` uses the guided
filter that replaced it (He, Sun & Tang, ECCV 2010: grey guide, radius 60,
eps 1e-4), which is how the method is usually run today. `refine=None` is
the method as stated in the issue (dark channel, omega, t >= 0.1) with the
blocky transmission of the raw prior.

NumPy / SciPy only, float64, one image at a time: a reference, not a layer.
The benchmarks (`bench/dehaze_bench.py`) compare the learned dehazers with it:

    from kfreqgan.dark_channel_prior import dehaze_dark_channel
    dehazed, transmission, airlight = dehaze_dark_channel(hazy, refine="guided")
"""

import numpy as np
from scipy import ndimage


def dark_channel(image, patch=15):
    """min over channels, then a `patch` x `patch` minimum filter: (H, W)."""
    return ndimage.minimum_filter(np.min(image, axis=2), size=patch, mode="nearest")


def estimate_airlight(image, dark, top_fraction=0.001):
    """He et al.'s atmospheric light: (C,) colour of the brightest candidate."""
    flat_dark = dark.ravel()
    count = max(1, int(round(top_fraction * flat_dark.size)))
    candidates = np.argpartition(flat_dark, -count)[-count:]
    pixels = image.reshape(-1, image.shape[2])[candidates]
    return pixels[np.argmax(pixels.sum(axis=1))]


def guided_filter(guide, source, radius=60, eps=1e-4, border="reflect"):
    """He et al.'s guided filter with a grey `guide` (box means, O(N)).

    The one NumPy guided filter of the package: the dark channel prior's
    transmission refinement and the layered depth prior of
    `kfreqgan.data.haze` both use it (`kfreqgan.layers.GuidedFilter` is the
    graph version, for models).

    Args:
        guide: `(H, W)` grey guide image.
        source: `(H, W)` map to filter.
        radius: box radius in pixels (window `2 radius + 1`).
        eps: regularisation; larger keeps fewer of the guide's edges.
        border: how the box means extend the image (`scipy.ndimage` mode,
            e.g. `"reflect"` or `"nearest"`).

    Returns:
        The filtered `(H, W)` map.
    """
    size = 2 * radius + 1

    def mean(x):
        return ndimage.uniform_filter(x, size=size, mode=border)

    mean_guide, mean_source = mean(guide), mean(source)
    covariance = mean(guide * source) - mean_guide * mean_source
    # A variance is >= 0; round-off can make the difference of means negative.
    variance = np.maximum(mean(guide * guide) - mean_guide**2, 0.0)
    a = covariance / (variance + eps)
    b = mean_source - a * mean_guide
    return mean(a) * guide + mean(b)


def dehaze_dark_channel(image, patch=15, omega=0.95, t0=0.1, refine=None):
    """Dehazes one RGB image in [0, 1] with the dark channel prior.

    Args:
        image: `(H, W, 3)` array in [0, 1].
        patch: side of the dark-channel window (15 in the paper).
        omega: fraction of haze removed (0.95).
        t0: lower bound on the transmission (0.1).
        refine: None (the raw prior) or `"guided"` (guided-filter refinement).

    Returns:
        `(dehazed, transmission, airlight)`: float64 `(H, W, 3)` clipped to
        [0, 1], `(H, W)` and `(3,)`.
    """
    image = np.asarray(image, np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"`image` must be an RGB image (H, W, 3). Received: shape={image.shape}")
    if not np.all(np.isfinite(image)) or image.min() < 0 or image.max() > 1:
        raise ValueError("`image` must hold finite values in [0, 1].")
    if refine not in (None, "guided"):
        raise ValueError(f"`refine` must be None or 'guided'. Received: refine={refine!r}")
    airlight = estimate_airlight(image, dark_channel(image, patch))
    airlight = np.maximum(airlight, 1e-3)
    transmission = 1.0 - omega * dark_channel(image / airlight, patch)
    if refine == "guided":
        transmission = guided_filter(image.mean(axis=2), transmission)
    transmission = np.maximum(transmission, t0)
    dehazed = (image - airlight) / transmission[..., None] + airlight
    return np.clip(dehazed, 0.0, 1.0), transmission, airlight

