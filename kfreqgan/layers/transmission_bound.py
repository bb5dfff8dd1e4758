"""`TransmissionBound`: the haze model's lower bound on a transmission."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_bool
from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import is_integer
from kfreqgan._validation import is_real_number
from kfreqgan.layers.guided_filter import MAX_WINDOW_RADIUS
from kfreqgan.layers.guided_filter import GuidedFilter
from kfreqgan.layers.guided_filter import check_window_radius
from kfreqgan.layers.haze_features import DarkChannel
from kfreqgan.layers.haze_features import Luminance

# Floor on the airlight in the ratio I / A: a zero airlight has no haze to
# bound (the bound goes to -inf and leaves `t` as it is) instead of NaN.
_MIN_AIRLIGHT = 1e-3


@keras.saving.register_keras_serializable(package="kfreqgan")
class TransmissionBound(keras.layers.Layer):
    """Raises a transmission to the least value the haze model allows.

    A hazy pixel is `I = J t + A (1 - t)` with a scene radiance `J >= 0`, so
    `I_c >= A_c (1 - t)` in every channel, that is

        t >= 1 - min_c I_c / A_c                       (the pixel bound)

    (the boundary constraint of Meng et al., ICCV 2013). A transmission below
    it makes `J` negative in some channel: the dehazed pixel is crushed to
    black, as a learned model does to dark clouds it takes for distant sky.
    This layer returns `max(t, bound)`, so a transmission that already
    respects the bound passes unchanged, and `InvertScattering` of the
    result has no channel below 0.

    With `bright=True` it bounds `t` from the other side too. A scene
    radiance is also at most 1, so `1 - I_c >= (1 - A_c)(1 - t)`:

        t >= 1 - min_c (1 - I_c) / (1 - A_c)           (the bright bound)

    (Meng et al.'s constraint with `C1 = 1`): the first bound on the
    complements `1 - I`, `1 - A`. A transmission below it makes `J`
    exceed 1: a sky brighter than the airlight is blown out to white.

    With `radius > 0` it also applies the bound over windows: He et al.'s
    dark-channel transmission `1 - omega dark(I / A)`, with `dark` the
    minimum over channels and over a `(2 radius + 1)^2` window
    (`kfreqgan.layers.DarkChannel`), which holds if `t` is constant over the
    window and leaves a `1 - omega` share of the haze. A window's darkest
    pixel then keeps a `1 - omega` share of its brightness and the other
    pixels their texture, where the pixel bound alone sends a whole dark
    cloud to the same black. The window bound is computed on `small`, the
    photo at a fixed small size (so that the window is a fixed share of the
    photo at any resolution), smoothed edge-aware by a fast guided filter
    against `small`'s grey levels (`GuidedFilter`, `guide_radius`,
    `epsilon`: the window's minimum spreads a dark object's bound onto its
    bright surroundings, and the filter pulls it back to the object's
    edges) and applied at the photo's size. With `bright=True` the same
    window bound is taken of the complements (a window's brightest pixel
    keeps a `1 - omega` share of its distance to white).

    Elementwise maths, minima, pooling and resizing: every op is a TFLite
    builtin.

    Args:
        radius: window radius in pixels of `small`; 0 (default) for the
            pixel bound alone.
        omega: share of the haze the window bound allows to be removed, in
            (0, 1] (He et al. use 0.95).
        guide_radius: guided-filter radius in pixels of `small` (int >= 1).
        epsilon: guided-filter regularisation (squared grey levels).
        bright: also apply the bound that keeps `J <= 1` (pixel, and over
            windows with `radius > 0`).
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[transmission, hazy, airlight]` with shapes `(N, H, W, 1)`,
            `(N, H, W, C)` and `(N, 1, 1, C)`, images in [0, 1]; with
            `radius > 0`, `[transmission, hazy, airlight, small]` with
            `small` of shape `(N, h, w, C)`.

    Output shape:
        `(N, H, W, 1)`: the bounded transmission.

    Example:

    >>> bound = TransmissionBound()
    >>> hazy = np.full((1, 2, 2, 3), 0.2, "float32")  # darker than the haze
    >>> t = np.full((1, 2, 2, 1), 0.1, "float32")     # would make J negative
    >>> airlight = np.full((1, 1, 1, 3), 0.8, "float32")
    >>> bound([t, hazy, airlight]).numpy().ravel()    # 1 - 0.2 / 0.8
    array([0.75, 0.75, 0.75, 0.75], dtype=float32)
    """

    def __init__(self, radius=0, omega=0.95, guide_radius=16, epsilon=1e-3, bright=False, **kwargs):
        super().__init__(**kwargs)
        if not is_integer(radius) or not 0 <= radius <= MAX_WINDOW_RADIUS:
            raise ValueError(
                f"`radius` must be an integer from 0 (the pixel bound) to {MAX_WINDOW_RADIUS}. Received: radius={radius!r}"
            )
        if not is_real_number(omega) or not 0 < omega <= 1:
            raise ValueError(f"`omega` must lie in (0, 1]. Received: omega={omega!r}")
        self.radius = int(radius)
        self.omega = float(omega)
        self.guide_radius = check_window_radius(guide_radius, "guide_radius")
        self.epsilon = check_at_least(epsilon, "epsilon", strict=True)
        self.bright = check_bool(bright, "bright")
        self._luminance = Luminance(dtype=self.dtype_policy)
        self._guided_filter = GuidedFilter(self.guide_radius, self.epsilon, dtype=self.dtype_policy)
        self._dark_channel = DarkChannel(self.radius, dtype=self.dtype_policy) if self.radius else None

    def build(self, input_shape):
        """Checks the static shapes (there is nothing to create: the layer
        and its sublayers hold no weights). Mismatched ones built a model
        that declared the transmission's shape and failed on its first call
        with TensorFlow's "Incompatible shapes", or broadcast a grey image
        against a colour airlight into a colour bound."""
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (3, 4) or all(
            dim is None or isinstance(dim, int) for dim in input_shape
        ):
            return  # call names what was expected
        shapes = [tuple(shape) for shape in input_shape]
        if any(len(shape) != 4 for shape in shapes):
            return  # call names the input
        transmission, hazy, airlight = shapes[:3]
        if len(shapes) == 4 and None not in (shapes[3][-1], hazy[-1]) and shapes[3][-1] != hazy[-1]:
            raise ValueError(
                f"TransmissionBound: `small` must have the channels of `hazy` (it is the same photo). "
                f"Received: hazy.shape={hazy}, small.shape={shapes[3]}"
            )
        # NumPy broadcasting: each size equal to the target's or 1 (the
        # transmission's channel is call's to check).
        checks = [("transmission", transmission, "hazy", hazy, 3), ("airlight", airlight, "hazy", hazy, 4)]
        if len(shapes) == 4:
            checks.append(("airlight", airlight, "small", shapes[3], 4))
        for name, shape, target_name, target, axes in checks:
            if not all(None in (size, goal) or size in (1, goal) for size, goal in zip(shape[:axes], target[:axes])):
                raise ValueError(
                    f"TransmissionBound: `{name}` must broadcast to the {'size' if axes == 3 else 'shape'} of "
                    f"`{target_name}` (each size equal to the {target_name} image's or 1). "
                    f"Received: {target_name}.shape={target}, {name}.shape={shape}"
                )

    def call(self, inputs):
        count = 4 if self.radius else 3
        if not isinstance(inputs, (list, tuple)) or len(inputs) != count:
            if isinstance(inputs, (list, tuple)):
                received = f"{len(inputs)} inputs"
            elif hasattr(inputs, "shape"):
                received = f"one input of shape {tuple(inputs.shape)}"
            else:
                received = f"a {type(inputs).__name__}"
            expected = "[transmission, hazy, airlight, small]" if self.radius else "[transmission, hazy, airlight]"
            raise ValueError(f"TransmissionBound(radius={self.radius}) expects {expected}. Received: {received}")
        for name, tensor in zip(("transmission", "hazy", "airlight", "small"), inputs):
            check_layer_dtype(self, tensor)
            # Another rank broadcasts into a wrong bound of the right shape.
            if len(tensor.shape) != 4:
                raise ValueError(
                    f"TransmissionBound: `{name}` must have rank 4 (batch, height, width, channels). "
                    f"Received: {name}.shape={tuple(tensor.shape)}"
                )
        transmission, hazy, airlight = inputs[:3]
        if transmission.shape[-1] not in (None, 1):
            raise ValueError(
                f"TransmissionBound expects a one-channel transmission. Received: transmission.shape={tuple(transmission.shape)}"
            )
        small = inputs[3] if self.radius else None
        floor = tf.constant(_MIN_AIRLIGHT, airlight.dtype)
        bound = self._bound(hazy, tf.maximum(airlight, floor), small)
        if self.bright:
            # The same bound on the complements: J <= 1 where J' = 1 - J >= 0.
            bound = tf.maximum(bound, self._bound(1.0 - hazy, tf.maximum(1.0 - airlight, floor), None if small is None else 1.0 - small))
        return tf.maximum(transmission, bound)

    def _bound(self, hazy, airlight, small):
        """`1 - min_c hazy / airlight`, and with a window the guided-filtered
        `1 - omega dark(small / airlight)`, whichever is higher."""
        bound = 1.0 - tf.reduce_min(hazy / airlight, axis=-1, keepdims=True)
        if small is not None:
            darkest = self._dark_channel(small / airlight)
            window_bound = self._guided_filter([self._luminance(small), 1.0 - self.omega * darkest, self._luminance(hazy)])
            # The filter can overshoot 1 next to an edge; a transmission cannot.
            bound = tf.maximum(bound, tf.minimum(window_bound, 1.0))
        return bound

    def compute_output_shape(self, input_shapes):
        # The transmission broadcast onto the hazy image's size.
        transmission, hazy = tuple(input_shapes[0]), tuple(input_shapes[1])
        return (*(goal if size in (None, 1) else size for size, goal in zip(transmission[:3], hazy[:3])), 1)

    def get_config(self):
        return {
            **super().get_config(),
            "radius": self.radius,
            "omega": self.omega,
            "guide_radius": self.guide_radius,
            "epsilon": self.epsilon,
            "bright": self.bright,
        }
