"""Analysis of image sets in the frequency domain: plots."""

from kfreqgan.analysis.plots import plot_radial_power

__all__ = ["plot_radial_power"]
