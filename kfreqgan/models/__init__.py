"""GAN building blocks (generators, discriminators) and the `FreqGAN` model.

The callbacks that keep training safe (`AtomicBackupAndRestore`,
`StopOnDivergence`) live in `kfreqgan.callbacks`."""

from kfreqgan.models.coherent_dehazer import coherent_dehazer
from kfreqgan.models.discriminators import dcgan_discriminator
from kfreqgan.models.discriminators import dehazing_discriminator
from kfreqgan.models.discriminators import patchgan_discriminator
from kfreqgan.models.freqgan import FreqGAN
from kfreqgan.bands import DEFAULT_BANDS
from kfreqgan.models.generators import copy_weights_by_name
from kfreqgan.models.generators import dcgan_generator
from kfreqgan.models.generators import unet_generator
from kfreqgan.models.spectral_discriminator import SpectralDiscriminator

__all__ = [
    "DEFAULT_BANDS",
    "FreqGAN",
    "SpectralDiscriminator",
    "coherent_dehazer",
    "copy_weights_by_name",
    "dcgan_discriminator",
    "dcgan_generator",
    "dehazing_discriminator",
    "patchgan_discriminator",
    "unet_generator",
]
