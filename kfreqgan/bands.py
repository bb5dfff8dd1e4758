"""The project's default frequency bands, defined once.

`DEFAULT_BANDS` splits the spectrum (frequencies in cycles/pixel, 0.5 is
Nyquist) into low (< 0.08: illumination, haze, large shapes), mid (0.08 to
0.25: edges and object detail) and high (>= 0.25: fine texture and noise,
what GANs learn last). The frequency-aware generators and discriminators
filter their inputs into these bands (`kfreqgan.models`), and the analysis
reports its band table over them (`kfreqgan.analysis`).
"""

from collections.abc import Mapping

DEFAULT_BANDS = {"low": (0.0, 0.08), "mid": (0.08, 0.25), "high": (0.25, None)}
"""`{name: (low, high)}` in cycles/pixel; `high=None` runs to the corner of the spectrum."""


def band_ranges(bands):
    """The `(low, high)` pairs of `bands`: a `{name: (low, high)}` mapping (such
    as `DEFAULT_BANDS`) or a sequence of pairs; None gives an empty list."""
    if bands is None:
        return []
    return list(bands.values()) if isinstance(bands, Mapping) else list(bands)
