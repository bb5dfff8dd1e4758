"""`EdgeAwareSmoothness`: a training-time prior that a map is smooth except
at the image's edges."""

import keras
import tensorflow as tf

from kfreqgan import losses
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_layer_dtype


@keras.saving.register_keras_serializable(package="kfreqgan")
class EdgeAwareSmoothness(keras.layers.Layer):
    """Passes `field` through unchanged; in training, adds its edge-aware
    total variation against `guide` to the model's losses.

    An activity regulariser for a predicted map that should be smooth
    except where the image has edges, such as a dehazer's transmission
    `t = exp(-beta depth)`: it jumps at depth discontinuities, which sit on
    image edges, and is flat elsewhere. The added loss is
    `weight * mean over the batch of losses.edge_aware_smoothness(field,
    guide, edge_scale)`; Keras's `fit` and `kfreqgan.models.FreqGAN` add a
    model's `losses` to the loss they minimise. At inference (`training`
    false) the layer is the identity and adds nothing, so an exported
    model holds no trace of it.

    Args:
        weight: multiplier of the loss (> 0).
        edge_scale: see `kfreqgan.losses.edge_aware_smoothness`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[field, guide]`, `(N, H, W, C)` and `(N, H, W, C')`.
        training: whether to add the loss.

    Output shape:
        That of `field`.

    Example:

    >>> t = keras.Input((32, 32, 1)); image = keras.Input((32, 32, 3))
    >>> smooth_t = EdgeAwareSmoothness(10.0)([t, image])
    """

    def __init__(self, weight=1.0, edge_scale=10.0, **kwargs):
        super().__init__(**kwargs)
        self.weight = check_at_least(weight, "weight", strict=True)
        self.edge_scale = check_at_least(edge_scale, "edge_scale")

    def call(self, inputs, training=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            received = f"{len(inputs)} inputs" if isinstance(inputs, (list, tuple)) else f"one input of shape {tuple(inputs.shape)}"
            raise ValueError(f"EdgeAwareSmoothness expects [field, guide]. Received: {received}")
        field, guide = inputs
        check_layer_dtype(self, field)
        check_layer_dtype(self, guide)
        if training:
            self.add_loss(self.weight * tf.reduce_mean(losses.edge_aware_smoothness(field, guide, self.edge_scale)))
        return field

    def compute_output_shape(self, input_shapes):
        return tuple(input_shapes[0])

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "edge_scale": self.edge_scale}
