"""kfreqgan: frequency-aware GANs for TensorFlow / Keras.

`kfreqgan.spectral` holds the spectral maths (power spectra, radial
profiles, band masks and energies, spectral distance); `kfreqgan.layers`
the Keras layers built on it (`FFTBandFilter`, `SpectralProfile`,
`FrequencyShift`).
"""

from kfreqgan import layers
from kfreqgan import spectral

__version__ = "0.1.0"

__all__ = ["layers", "spectral", "__version__"]
