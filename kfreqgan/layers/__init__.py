"""Keras layers that work in the frequency domain."""

from kfreqgan.layers.any_size import BilinearUpsampling2D
from kfreqgan.layers.any_size import CropToMatch
from kfreqgan.layers.any_size import ReflectPadToMultiple
from kfreqgan.layers.fft_band_filter import FFTBandFilter
from kfreqgan.layers.frequency_shift import FrequencyShift
from kfreqgan.layers.guided_filter import GuidedFilter
from kfreqgan.layers.haze_features import ChannelMean
from kfreqgan.layers.haze_features import DarkChannel
from kfreqgan.layers.haze_features import DarkChannelAirlight
from kfreqgan.layers.haze_features import GatedBlend
from kfreqgan.layers.haze_features import Luminance
from kfreqgan.layers.minibatch_std import MinibatchStdDev
from kfreqgan.layers.scattering_inversion import InvertScattering
from kfreqgan.layers.smoothness import EdgeAwareSmoothness
from kfreqgan.layers.spectral_profile import SpectralProfile
from kfreqgan.layers.transmission_bound import TransmissionBound

__all__ = [
    "BilinearUpsampling2D",
    "ChannelMean",
    "CropToMatch",
    "DarkChannel",
    "DarkChannelAirlight",
    "EdgeAwareSmoothness",
    "FFTBandFilter",
    "FrequencyShift",
    "GatedBlend",
    "GuidedFilter",
    "InvertScattering",
    "Luminance",
    "MinibatchStdDev",
    "ReflectPadToMultiple",
    "SpectralProfile",
    "TransmissionBound",
]
