"""`SpectralDiscriminator`: SSD-GAN's spatial + spectral discriminator."""

import keras
import tensorflow as tf

from kfreqgan._validation import check_bool
from kfreqgan._validation import is_integer
from kfreqgan._validation import is_real_number
from kfreqgan.layers import SpectralProfile


@keras.saving.register_keras_serializable(package="kfreqgan")
class SpectralDiscriminator(keras.Model):
    """A spatial discriminator with SSD-GAN's spectral branch (Chen et al. 2021).

    The spectral branch classifies the image's normalised radial log spectrum
    (`SpectralProfile`) with a spectrally normalised dense layer; the two
    logits are combined as

        D(x) = (1 - spectral_weight) * D_spatial(x) + spectral_weight * D_spectral(x)

    with `spectral_weight=0.5` as in the paper. A patch-logit spatial
    discriminator works too: the spectral logit is broadcast over the patches.

    SSD-GAN stops the generator's gradient through the spectral branch (its
    feature is computed in NumPy and detached, and the generator's loss uses
    `0.5 * D_spectral.detach() + 0.5 * D_spatial`): the spectral branch only
    shapes the discriminator, and the generator learns about its spectrum
    through the discriminator's spatial features. That is the default here
    (`stop_generator_gradient=True`, applied when called with
    `generator_step=True`); with False the generator is also trained through
    the differentiable spectral feature.

    Example:

    >>> from kfreqgan.models import dcgan_discriminator
    >>> d = SpectralDiscriminator(dcgan_discriminator((32, 32, 3), filters=8))
    >>> tuple(d(keras.random.uniform((2, 32, 32, 3))).shape)
    (2, 1)

    Args:
        spatial: a `keras.Model` mapping the input to logits `(N, 1)` or
            patch logits `(N, h, w, 1)`.
        image_channels: the spectral branch looks at the last
            `image_channels` input channels (e.g. 3 when the input is a
            condition and an image concatenated); None means all.
        spectral_weight: lambda in [0, 1].
        stop_generator_gradient: see above.
        profile: keyword arguments of the `SpectralProfile` layer.
        **kwargs: base `keras.Model` arguments.
    """

    def __init__(self, spatial, image_channels=None, spectral_weight=0.5, stop_generator_gradient=True, profile=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(spatial, dict):
            spatial = keras.saving.deserialize_keras_object(spatial)
        if not isinstance(spatial, keras.Model):
            raise ValueError(f"`spatial` must be a keras.Model. Received: spatial={spatial!r}")
        if not is_real_number(spectral_weight) or not 0.0 <= spectral_weight <= 1.0:
            raise ValueError(f"`spectral_weight` must be a number in [0, 1]. Received: spectral_weight={spectral_weight!r}")
        if profile is not None and not isinstance(profile, dict):
            raise ValueError(f"`profile` must be None or a dict of SpectralProfile arguments. Received: profile={profile!r}")
        if image_channels is not None and (not is_integer(image_channels) or image_channels not in (1, 3)):
            raise ValueError(f"`image_channels` must be 1, 3 or None. Received: image_channels={image_channels!r}")
        self.spatial = spatial
        self.image_channels = None if image_channels is None else int(image_channels)
        self.spectral_weight = float(spectral_weight)
        self.stop_generator_gradient = check_bool(stop_generator_gradient, "stop_generator_gradient")
        self.profile_config = dict(profile or {})
        self.profile = SpectralProfile(**self.profile_config)
        # float32 like the spatial logit: under a mixed policy the wrapper
        # took the policy's float16 and the sum of the two logits failed.
        self.spectral_logit = keras.layers.SpectralNormalization(keras.layers.Dense(1, dtype="float32"), dtype="float32")

    def build(self, input_shape):
        image_shape = tuple(input_shape[:-1]) + ((self.image_channels or input_shape[-1]),)
        for layer, shape in (
            (self.spatial, input_shape),
            (self.profile, image_shape),
            (self.spectral_logit, self.profile.compute_output_shape(image_shape)),
        ):
            if not layer.built:  # the spatial model may be shared and built
                layer.build(shape)
        self.built = True

    def spectral_logits(self, inputs, training=False):
        images = inputs[..., -self.image_channels :] if self.image_channels else inputs
        return self.spectral_logit(self.profile(images), training=training)

    def call(self, inputs, training=False, generator_step=False):
        spatial = tf.cast(self.spatial(inputs, training=training), tf.float32)
        spectral = self.spectral_logits(inputs, training=training)
        if generator_step and self.stop_generator_gradient:
            spectral = tf.stop_gradient(spectral)
        if spatial.shape.rank == 4:
            spectral = spectral[:, tf.newaxis, tf.newaxis, :]
        return (1.0 - self.spectral_weight) * spatial + self.spectral_weight * spectral

    def get_config(self):
        return {
            **super().get_config(),
            "spatial": keras.saving.serialize_keras_object(self.spatial),
            "image_channels": self.image_channels,
            "spectral_weight": self.spectral_weight,
            "stop_generator_gradient": self.stop_generator_gradient,
            "profile": self.profile_config,
        }
