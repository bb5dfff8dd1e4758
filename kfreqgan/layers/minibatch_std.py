"""`MinibatchStdDev`: let a discriminator see how varied a batch is."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_layer_dtype
from kfreqgan._validation import check_layer_input
from kfreqgan._validation import check_positive_int


def _group_size(batch, group_size):
    """The largest divisor of `batch` that is at most `group_size` (a tensor).

    The candidates run down from `min(group_size, batch)`, not from
    `group_size`: a group larger than any batch (`group_size=10**9`) cost a
    4 GB range and 25 s per call."""
    candidates = tf.range(tf.maximum(tf.minimum(group_size, batch), 1), 0, -1)
    fits = tf.equal(batch % candidates, 0)
    return tf.gather(candidates, tf.argmax(tf.cast(fits, tf.int32)))


@keras.saving.register_keras_serializable(package="kfreqgan")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the batch's standard deviation as extra feature maps.

    Minibatch standard deviation (Karras et al., "Progressive Growing of
    GANs", ICLR 2018; the grouped form of StyleGAN2) gives a discriminator a
    statistic of the *batch*: a generator that collapses to a few outputs
    makes batches with a small spread, which a per-example discriminator
    cannot see (each collapsed sample may look perfectly real) but this layer
    can. Put it near the end of the discriminator, before its last
    convolution or dense layer.

    The batch is split into groups of `group_size` *consecutive* examples
    (the largest divisor of the batch size not above `group_size`, so any
    batch size works; a batch of 1 or a prime size smaller than the group
    gets groups of 1 and a zero statistic). Within each group, for each
    position and channel, the population standard deviation over the group
    is taken (`sqrt(var + epsilon)`); the channels are split into
    `num_features` contiguous blocks, and each block's deviations are
    averaged over positions and channels into one number per group and
    block. That number is broadcast to a constant `(H, W)` map and
    concatenated to every example of the group, giving `C + num_features`
    channels.

    Consecutive groups mean that under `tf.distribute`, where each replica
    gets a contiguous slice of the global batch, per-replica batches that are
    multiples of `group_size` see exactly the statistics of one device.
    Call the discriminator on real and generated batches separately (as
    `FreqGAN` does): a mixed batch would let the statistic leak which is
    which. The statistic is computed in float32 and cast back to the
    compute dtype (mixed precision).

    Example:

    >>> layer = MinibatchStdDev(group_size=4)
    >>> tuple(layer(keras.ops.ones((8, 4, 4, 16))).shape)
    (8, 4, 4, 17)

    Args:
        group_size: examples per group (positive int; 4 in StyleGAN).
        num_features: extra feature maps, one per block of channels (a
            positive int that divides the channels).
        epsilon: added to the variance before the square root (> 0).
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, height, width, channels)`.

    Output shape:
        `(batch, height, width, channels + num_features)`.
    """

    def __init__(self, group_size=4, num_features=1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = check_positive_int(group_size, "group_size")
        self.num_features = check_positive_int(num_features, "num_features")
        check_at_least(epsilon, "epsilon", strict=True)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        shape = check_layer_input(self, input_shape)
        if shape[-1] is None or shape[-1] % self.num_features:
            raise ValueError(
                "MinibatchStdDev needs a static number of channels divisible by "
                f"`num_features` ({self.num_features}). Received: input_shape={shape}"
            )

    def call(self, inputs):
        check_layer_dtype(self, inputs)
        x = tf.cast(inputs, tf.float32)
        shape = tf.shape(x)
        batch, height, width = shape[0], shape[1], shape[2]
        channels = int(inputs.shape[-1])
        features = self.num_features
        group = _group_size(batch, self.group_size)
        # (groups, group, H, W, F, C/F): consecutive examples form a group.
        y = tf.reshape(x, tf.stack([batch // group, group, height, width, features, channels // features]))
        y = y - tf.reduce_mean(y, axis=1, keepdims=True)
        y = tf.sqrt(tf.reduce_mean(tf.square(y), axis=1) + self.epsilon)
        y = tf.reduce_mean(y, axis=(1, 2, 4))  # (groups, F)
        y = tf.repeat(y, group, axis=0)  # (N, F), each group's value for its members
        y = tf.broadcast_to(y[:, tf.newaxis, tf.newaxis, :], tf.stack([batch, height, width, features]))
        return tf.concat([inputs, tf.cast(y, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return tuple(input_shape[:-1]) + (None if channels is None else channels + self.num_features,)

    def get_config(self):
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "num_features": self.num_features,
            "epsilon": self.epsilon,
        }
