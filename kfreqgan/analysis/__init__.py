"""Analysis of image sets in the frequency domain: comparisons, the
frequency-bias measure and plots (`comparison.py`, `plots.py`), scores of
carrier datasets at baseband (`carrier_scores.py`) and the `kfreqgan-spectrum`
command (`spectrum_cli.py`). The training monitor (`SpectrumMonitor`) is a
callback in `kfreqgan.callbacks`."""

from kfreqgan._startup import export_names


def _public_names():
    from kfreqgan.analysis.comparison import compare_image_sets
    from kfreqgan.analysis.comparison import frequency_bias
    from kfreqgan.analysis.comparison import set_spectrum
    from kfreqgan.analysis.plots import plot_band_errors
    from kfreqgan.analysis.plots import plot_precision_recall_curve
    from kfreqgan.analysis.plots import plot_radial_power
    from kfreqgan.analysis.plots import plot_spectra_2d
    from kfreqgan.analysis.plots import plot_spectral_evolution
    from kfreqgan.bands import DEFAULT_BANDS

    return locals()


export_names(globals(), _public_names)


__all__ = [
    "DEFAULT_BANDS",
    "compare_image_sets",
    "frequency_bias",
    "plot_band_errors",
    "plot_precision_recall_curve",
    "plot_radial_power",
    "plot_spectra_2d",
    "plot_spectral_evolution",
    "set_spectrum",
]
