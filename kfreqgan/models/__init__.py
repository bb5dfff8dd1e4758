"""GAN building blocks (generators, discriminators) and the `FreqGAN` model.

- `kfreqgan.models.loading`: the one loader of trained generators
  (`load_generator`: `.keras`, `freqgan.keras`, SavedModel, `.tflite`) and
  the serving names (`serving_default`, `images`, `outputs`);
- `kfreqgan.models.image_to_image`: the image-to-image check, a fixed-size
  clone and `clip(generator(images), 0, 1)`, shared by the dehazer, the
  analysis and the exports;
- `kfreqgan.models.scattering`: `scattering_view`, a dehazer's output with
  the transmission and airlight it inverts, which
  `FreqGAN(rehazing_weight=...)` trains (and
  `kfreqgan.models.coherent_dehazer.transmission_model` returns).

The callbacks that keep training safe (`AtomicBackupAndRestore`,
`StopOnDivergence`) live in `kfreqgan.callbacks`; the default frequency
bands in `kfreqgan.bands`."""

from kfreqgan._startup import export_names


def _public_names():
    from kfreqgan.bands import DEFAULT_BANDS
    from kfreqgan.models.coherent_dehazer import coherent_dehazer
    from kfreqgan.models.discriminators import dcgan_discriminator
    from kfreqgan.models.discriminators import dehazing_discriminator
    from kfreqgan.models.discriminators import patchgan_discriminator
    from kfreqgan.models.freqgan import FreqGAN
    from kfreqgan.models.generators import copy_weights_by_name
    from kfreqgan.models.generators import dcgan_generator
    from kfreqgan.models.generators import unet_generator
    from kfreqgan.models.spectral_discriminator import SpectralDiscriminator

    return locals()


export_names(globals(), _public_names)


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
