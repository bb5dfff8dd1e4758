"""GAN building blocks (generators, discriminators) and the `FreqGAN` model."""

from kfreqgan.models.discriminators import dcgan_discriminator
from kfreqgan.models.discriminators import dehazing_discriminator
from kfreqgan.models.discriminators import patchgan_discriminator
from kfreqgan.models.freqgan import FreqGAN
from kfreqgan.models.generators import DEFAULT_BANDS
from kfreqgan.models.generators import dcgan_generator
from kfreqgan.models.generators import unet_generator
from kfreqgan.models.spectral_discriminator import SpectralDiscriminator

__all__ = [
    "DEFAULT_BANDS",
    "FreqGAN",
    "SpectralDiscriminator",
    "dcgan_discriminator",
    "dcgan_generator",
    "dehazing_discriminator",
    "patchgan_discriminator",
    "unet_generator",
]
