"""Keras layers that work in the frequency domain."""

from kfreqgan.layers.fft_band_filter import FFTBandFilter
from kfreqgan.layers.frequency_shift import FrequencyShift
from kfreqgan.layers.scattering_inversion import InvertScattering
from kfreqgan.layers.spectral_profile import SpectralProfile

__all__ = ["FFTBandFilter", "FrequencyShift", "InvertScattering", "SpectralProfile"]
