"""Matplotlib plots of spectra. Each function returns a Figure."""

import numpy as np


def plot_radial_power(frequencies, curves, bands=None, reference=None, title=None):
    """Radial power curves (dB) against frequency, with bands shaded.

    Args:
        frequencies: `(B,)` bin centres in cycles/pixel.
        curves: dict `label -> (B,)` mean radial power in dB.
        bands: optional dict `label -> (low, high)` in cycles/pixel to shade
            (`high=None` runs to the last bin).
        reference: optional label in `curves`; adds a lower panel with each
            other curve minus it (dB), which is where a degradation or a
            GAN's missing high frequencies show.
        title: optional figure title.

    Returns:
        `matplotlib.figure.Figure` (not shown; save it with `savefig`).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    frequencies = np.asarray(frequencies, np.float64)
    if not curves:
        raise ValueError("`curves` must hold at least one curve. Received: curves={}")
    for label, values in curves.items():
        if np.shape(values) != frequencies.shape:
            raise ValueError(
                f"Curve {label!r} has shape {np.shape(values)}; expected {frequencies.shape} "
                "(one value per frequency bin)."
            )
    if reference is not None and reference not in curves:
        raise ValueError(f"`reference` must be a key of `curves`. Received: reference={reference!r}")

    rows = 2 if reference is not None else 1
    figure = Figure(figsize=(8, 3.2 * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    colours = matplotlib.colormaps["tab10"]
    for index, (label, values) in enumerate(curves.items()):
        style = dict(color="black", linewidth=2.0) if label == reference else dict(color=colours(index % 10))
        axes[0].plot(frequencies, values, label=label, **style)
        if reference is not None and label != reference:
            axes[1].plot(frequencies, np.asarray(values) - np.asarray(curves[reference]), label=label, **style)
    axes[0].set_ylabel("mean radial power (dB)")
    axes[0].legend(fontsize="small", ncol=2)
    if reference is not None:
        axes[1].axhline(0.0, color="black", linewidth=1.0)
        axes[1].set_ylabel(f"difference to {reference} (dB)")
    axes[-1].set_xlabel("spatial frequency (cycles/pixel)")
    for axis in axes:
        axis.grid(True, alpha=0.3)
        for index, (label, (low, high)) in enumerate((bands or {}).items()):
            high = frequencies[-1] if high is None else high
            axis.axvspan(low, high, color=colours(index % 10), alpha=0.08)
            if axis is axes[0]:
                axis.text((low + high) / 2, 0.02, label, transform=axis.get_xaxis_transform(), ha="center", fontsize="small")
    if title:
        figure.suptitle(title)
    return figure
