"""kfreqgan: frequency-aware GANs for TensorFlow / Keras.

`kfreqgan.spectral` holds the spectral maths (power spectra, radial
profiles, band masks and energies, spectral distance); `kfreqgan.layers`
the Keras layers built on it (`FFTBandFilter`, `SpectralProfile`,
`FrequencyShift`, `InvertScattering`); `kfreqgan.losses` and
`kfreqgan.models` the GAN losses and models (`FreqGAN`); `kfreqgan.data`
photos, haze and datasets; `kfreqgan.analysis` set comparisons and plots;
`kfreqgan.metrics` PSNR, SSIM, FID and KID; `kfreqgan.fidelity_diversity`
precision/recall, density/coverage, PRD curves, Inception Score and
diversity; `kfreqgan.dehazing` any-size
(tiled) dehazing with `kfreqgan.pretrained.dehazer()`, the trained dehazer
that ships in the package.
"""

from kfreqgan import fidelity_diversity
from kfreqgan import layers
from kfreqgan import metrics
from kfreqgan import spectral

__version__ = "0.1.0"

__all__ = ["fidelity_diversity", "layers", "metrics", "spectral", "__version__"]
