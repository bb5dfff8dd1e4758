"""Matplotlib plots of spectra. Each function returns a Figure."""

import numpy as np


def plot_radial_power(frequencies, curves, bands=None, reference=None, title=None):
    """Radial power curves (dB) against frequency, with bands shaded.

    Args:
        frequencies: `(B,)` bin centres in cycles/pixel.
        curves: dict `label -> (B,)` mean radial power in dB.
        bands: optional dict `label -> (low, high)` in cycles/pixel to shade
            (`high=None` runs to the last bin), or a list of pairs (labelled
            `band_0`, ...; a list raised AttributeError).
        reference: optional label in `curves`; adds a lower panel with each
            other curve minus it (dB), which is where a degradation or a
            GAN's missing high frequencies show.
        title: optional figure title.

    Returns:
        `matplotlib.figure.Figure` (not shown; save it with `savefig`).
    """
    import matplotlib

    from kfreqgan.bands import named_bands

    frequencies = np.asarray(frequencies, np.float64)
    bands = named_bands(bands, default={})
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
    figure = _figure(figsize=(8, 3.2 * rows + 0.6))
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
        for index, (label, (low, high)) in enumerate(bands.items()):
            high = frequencies[-1] if high is None else high
            axis.axvspan(low, high, color=colours(index % 10), alpha=0.08)
            if axis is axes[0]:
                axis.text((low + high) / 2, 0.02, label, transform=axis.get_xaxis_transform(), ha="center", fontsize="small")
    if title:
        figure.suptitle(title)
    return figure


def _figure(*args, **kwargs):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(*args, layout="constrained", **kwargs)


def plot_spectra_2d(spectra, title=None):
    """Centred 2D log spectra side by side, on one colour scale.

    Args:
        spectra: dict `label -> (H, W)` centred log power in dB (e.g.
            `set_spectrum(...)["mean_log_spectrum_db"]`), all the same shape.
        title: optional figure title.

    Returns:
        `matplotlib.figure.Figure`; axes in cycles/pixel.
    """
    if not spectra:
        raise ValueError("`spectra` must hold at least one spectrum. Received: spectra={}")
    shapes = {np.shape(value) for value in spectra.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"All spectra must be 2D arrays of one shape. Received shapes: {sorted(shapes)}")
    low = min(float(np.min(v)) for v in spectra.values())
    high = max(float(np.max(v)) for v in spectra.values())
    figure = _figure(figsize=(3.6 * len(spectra) + 0.8, 3.6))
    axes = figure.subplots(1, len(spectra), squeeze=False)[0]
    for axis, (label, values) in zip(axes, spectra.items()):
        image = axis.imshow(values, extent=(-0.5, 0.5, 0.5, -0.5), cmap="magma", vmin=low, vmax=high)
        axis.set_title(label)
        axis.set_xlabel("fx (cycles/pixel)")
        axis.set_ylabel("fy (cycles/pixel)")
    figure.colorbar(image, ax=list(axes), label="log power (dB)")
    if title:
        figure.suptitle(title)
    return figure


def plot_band_errors(band_centres, errors, ylabel="distribution error (dB)", title=None):
    """Bar chart of an error per frequency band (e.g. `frequency_bias`).

    Args:
        band_centres: `(B,)` band centres in cycles/pixel.
        errors: `(B,)` errors, or dict `label -> (B,)` for grouped bars.
        ylabel: y-axis label.
        title: optional figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    centres = np.asarray(band_centres, np.float64)
    groups = errors if isinstance(errors, dict) else {"": errors}
    for label, values in groups.items():
        if np.shape(values) != centres.shape:
            raise ValueError(f"Errors {label!r} have shape {np.shape(values)}; expected {centres.shape}.")
    figure = _figure(figsize=(7, 3.4))
    axis = figure.subplots()
    width = (centres[1] - centres[0] if len(centres) > 1 else 0.1) * 0.8 / len(groups)
    for index, (label, values) in enumerate(groups.items()):
        axis.bar(centres + (index - (len(groups) - 1) / 2) * width, values, width=width, label=label or None)
    axis.set_xlabel("band centre (cycles/pixel)")
    axis.set_ylabel(ylabel)
    axis.grid(True, axis="y", alpha=0.3)
    if len(groups) > 1:
        axis.legend(fontsize="small")
    if title:
        axis.set_title(title)
    return figure


def plot_spectral_evolution(steps, frequencies, gaps, title=None):
    """Heatmap of the per-ring spectral gap (dB) over training.

    Args:
        steps: `(T,)` epochs (or steps) at which the gap was measured.
        frequencies: `(B,)` ring centres in cycles/pixel.
        gaps: `(T, B)` gap `generated - real` in dB (e.g. the history of
            `SpectrumMonitor`).
        title: optional figure title.

    Returns:
        `matplotlib.figure.Figure`: frequency on x, training time on y, a
        diverging colour scale centred on 0 (blue: too little power).
    """
    steps = np.asarray(steps)
    frequencies = np.asarray(frequencies, np.float64)
    gaps = np.asarray(gaps, np.float64)
    if gaps.shape != (len(steps), len(frequencies)):
        raise ValueError(f"`gaps` must have shape (len(steps), len(frequencies)) = {(len(steps), len(frequencies))}. Received: {gaps.shape}")
    limit = max(float(np.abs(gaps).max()), 1e-6)
    figure = _figure(figsize=(7, 3.6))
    axis = figure.subplots()
    mesh = axis.imshow(
        gaps,
        aspect="auto",
        origin="lower",
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        extent=(frequencies[0], frequencies[-1], -0.5, len(steps) - 0.5),
        interpolation="nearest",
    )
    axis.set_yticks(range(len(steps)))
    axis.set_yticklabels([str(s) for s in steps])
    axis.set_xlabel("spatial frequency (cycles/pixel)")
    axis.set_ylabel("epoch")
    figure.colorbar(mesh, ax=axis, label="generated - real (dB)")
    if title:
        axis.set_title(title)
    return figure


def plot_precision_recall_curve(curves, title=None):
    """Precision-recall distribution curves (Sajjadi et al. 2018), one per model.

    Args:
        curves: dict `label -> curve`, each a
            `kfreqgan.fidelity_diversity.PRDCurve` or a `(precision, recall)`
            pair of equal-length arrays.
        title: optional figure title.

    Returns:
        `matplotlib.figure.Figure`: recall on x, precision on y, both in
        [0, 1]; the legend gives `F_8 / F_1/8` where the curve carries them.
    """
    if not curves:
        raise ValueError("`curves` must hold at least one curve. Received: curves={}")
    figure = _figure(figsize=(4.4, 4.2))
    axis = figure.subplots()
    for label, curve in curves.items():
        precision, recall = np.asarray(curve[0], np.float64), np.asarray(curve[1], np.float64)
        if precision.ndim != 1 or precision.shape != recall.shape:
            raise ValueError(
                f"Curve {label!r} needs 1-D precision and recall of one length. "
                f"Received: shapes {precision.shape} and {recall.shape}"
            )
        if len(curve) == 4:
            label = f"{label} (F8 {curve[2]:.2f}, F1/8 {curve[3]:.2f})"
        axis.plot(recall, precision, label=label)
    axis.set_xlim(0, 1.02)
    axis.set_ylim(0, 1.02)
    axis.set_xlabel("recall")
    axis.set_ylabel("precision")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize="small", loc="lower left")
    if title:
        axis.set_title(title)
    return figure


def figure_to_png(figure, dpi=100):
    """Encodes a Figure as PNG bytes (for TensorBoard or files)."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
