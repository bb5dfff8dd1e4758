"""GAN building blocks (generators, discriminators), the `FreqGAN` model and
the callbacks that keep its training safe (`AtomicBackupAndRestore`,
`StopOnDivergence`)."""

from kfreqgan.models.atomic_backup import AtomicBackupAndRestore
from kfreqgan.models.discriminators import dcgan_discriminator
from kfreqgan.models.discriminators import dehazing_discriminator
from kfreqgan.models.discriminators import patchgan_discriminator
from kfreqgan.models.divergence import DivergenceError
from kfreqgan.models.divergence import StopOnDivergence
from kfreqgan.models.freqgan import FreqGAN
from kfreqgan.models.generators import DEFAULT_BANDS
from kfreqgan.models.generators import copy_weights_by_name
from kfreqgan.models.generators import dcgan_generator
from kfreqgan.models.generators import unet_generator
from kfreqgan.models.spectral_discriminator import SpectralDiscriminator

__all__ = [
    "AtomicBackupAndRestore",
    "DEFAULT_BANDS",
    "DivergenceError",
    "FreqGAN",
    "SpectralDiscriminator",
    "copy_weights_by_name",
    "StopOnDivergence",
    "dcgan_discriminator",
    "dcgan_generator",
    "dehazing_discriminator",
    "patchgan_discriminator",
    "unet_generator",
]
