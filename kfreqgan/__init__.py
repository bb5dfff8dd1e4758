"""kfreqgan: frequency-aware GANs for TensorFlow / Keras.

`kfreqgan.spectral` holds the spectral maths (power spectra, radial
profiles, band masks and energies, spectral distance); `kfreqgan.layers`
the Keras layers built on it (`FFTBandFilter`, `SpectralProfile`,
`FrequencyShift`, `InvertScattering`); `kfreqgan.losses` and
`kfreqgan.models` the GAN losses and models (`FreqGAN`), with
`kfreqgan.load_generator` (`kfreqgan.models.loading`) opening a trained
generator from any file kfreqgan writes; `kfreqgan.callbacks` the Keras
callbacks (`AtomicBackupAndRestore`, `StopOnDivergence`, `SpectrumMonitor`);
`kfreqgan.data`
photos, haze and datasets; `kfreqgan.analysis` set comparisons and plots;
`kfreqgan.metrics` PSNR, SSIM, FID and KID; `kfreqgan.fidelity_diversity`
precision/recall, density/coverage, PRD curves, Inception Score and
diversity; `kfreqgan.dehazing` any-size
dehazing (whole-image models untiled, others tiled) with
`kfreqgan.pretrained.dehazer()`, the trained dehazer that ships in the
package.
"""

# The public API, as `keras` exposes its own: every entry point a user
# needs is one attribute away. Importing `kfreqgan` also registers every
# serializable class (layers, FreqGAN, SpectralDiscriminator, callbacks), so
# `keras.saving.load_model("freqgan.keras")` works after `import kfreqgan`
# alone. TensorFlow Datasets is not imported (`kfreqgan.data.hazy_pairs` is
# imported on demand); the programs (`kfreqgan.training`, `kfreqgan.export`)
# are not imported either.
#
# One exception: a kfreqgan command started as its console script
# (`kfreqgan-export`, ...) defers these imports to the first attribute
# access, so that `--help` and argument errors answer without importing
# TensorFlow (see `kfreqgan._startup`).
from kfreqgan._startup import export_names


def _public_names():
    from kfreqgan import analysis
    from kfreqgan import callbacks
    from kfreqgan import data
    from kfreqgan import dehazing
    from kfreqgan import fidelity_diversity
    from kfreqgan import layers
    from kfreqgan import losses
    from kfreqgan import metrics
    from kfreqgan import models
    from kfreqgan import pretrained
    from kfreqgan import spectral
    from kfreqgan.models.loading import load_generator

    return locals()


export_names(globals(), _public_names)

__version__ = "0.1.0"

__all__ = [
    "analysis",
    "callbacks",
    "data",
    "dehazing",
    "fidelity_diversity",
    "layers",
    "load_generator",
    "losses",
    "metrics",
    "models",
    "pretrained",
    "spectral",
    "__version__",
]
