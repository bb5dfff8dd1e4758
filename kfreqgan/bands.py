"""The project's default frequency bands, defined once.

`DEFAULT_BANDS` splits the spectrum (frequencies in cycles/pixel, 0.5 is
Nyquist) into low (< 0.08: illumination, haze, large shapes), mid (0.08 to
0.25: edges and object detail) and high (>= 0.25: fine texture and noise,
what GANs learn last). The frequency-aware generators and discriminators
filter their inputs into these bands (`kfreqgan.models`), and the analysis
reports its band table over them (`kfreqgan.analysis`).
"""

from collections.abc import Iterable
from collections.abc import Mapping

import numpy as np

DEFAULT_BANDS = {"low": (0.0, 0.08), "mid": (0.08, 0.25), "high": (0.25, None)}
"""`{name: (low, high)}` in cycles/pixel; `high=None` runs to the corner of the spectrum."""


def named_bands(bands, default=DEFAULT_BANDS):
    """`bands` as a `{name: (low, high)}` dict, for what labels its bands
    (the analysis' band table, the plots' shading): `default` for None, a
    mapping as it is, a sequence of pairs (as the models take them) named
    `band_0`, `band_1`, ... Checked as `band_ranges` checks; empty bands
    are refused."""
    if bands is None:
        return default
    ranges = band_ranges(bands)
    if not ranges:
        raise ValueError(f"`bands` must hold at least one (low, high) band. Received: bands={bands!r}")
    return dict(bands) if isinstance(bands, Mapping) else {f"band_{index}": band for index, band in enumerate(ranges)}


def band_ranges(bands):
    """The `(low, high)` pairs of `bands`: a `{name: (low, high)}` mapping (such
    as `DEFAULT_BANDS`) or a sequence of pairs; None gives an empty list.

    Raises:
        ValueError: for anything else, such as a string (`"low"` was
            taken as the three bands 'l', 'o', 'w') or a band that is not
            a pair. The cut-offs themselves are checked where they are
            used (`kfreqgan.spectral.band_mask`).
    """
    if bands is None:
        return []
    if isinstance(bands, Mapping):
        ranges = list(bands.values())
    elif isinstance(bands, Iterable) and not isinstance(bands, (str, bytes)):
        ranges = list(bands)
    else:
        raise ValueError(
            "`bands` must be a {name: (low, high)} dict, a sequence of (low, high) pairs or None. "
            f"Received: bands={bands!r}"
        )
    # A row of a NumPy array of bands is a pair too.
    ranges = [tuple(band.tolist()) if isinstance(band, np.ndarray) and band.ndim == 1 else band for band in ranges]
    for band in ranges:
        if not isinstance(band, (tuple, list)) or len(band) != 2:
            raise ValueError(f"Each band must be a (low, high) pair. Received: band={band!r}")
    return ranges
