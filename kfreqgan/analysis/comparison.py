"""Compare two image sets in the frequency domain ("is my GAN getting the
spectrum right, and where not?").

`compare_image_sets(real, fake)` gathers, for each set, the mean and spread
over images of the radial power curve (dB), the mean 2D log spectrum and the
energy per band, and for the pair the per-ring gap (`spectral_distance`) and
the frequency-bias measure (`frequency_bias`). Everything is computed in
batches, so sets of any size fit in memory, and returned as a JSON-ready
dict of lists (`report`) plus NumPy arrays for plotting.
"""

import numpy as np
import scipy.stats
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan._validation import as_image_batch
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_integer
from kfreqgan.bands import named_bands


def _check_batch_size(batch_size):
    return check_positive_int(batch_size, "batch_size")


def _batches(images, batch_size):
    images = np.asarray(images) if not tf.is_tensor(images) else images
    for start in range(0, int(images.shape[0]), batch_size):
        yield as_image_batch(images[start : start + batch_size])


def _check_set(images, name):
    if not hasattr(images, "__len__"):  # a scalar or None: as_image_batch names it
        as_image_batch(images, name=name)
    tensor = as_image_batch(images[:1] if len(images) else images, name=name)
    if len(images) < 2:
        raise ValueError(f"`{name}` needs at least 2 images to measure a spread. Received: {len(images)} image(s)")
    return tuple(tensor.shape[1:])


def set_spectrum(images, num_bins=None, bands=None, batch_size=64):
    """Spectral statistics of one image set (grey, per image, then over images).

    Args:
        images: `(N, H, W, C)` float array or tensor in [0, 1], N >= 2.
        num_bins: radial bins (default `min(H, W) // 2`, up to Nyquist).
        bands: dict `name -> (low, high)` for the band energies
            (`DEFAULT_BANDS` if None); energies exclude the DC term.
        batch_size: images per batch.

    Returns:
        dict of NumPy arrays: `frequencies` (B,), `log_power_db` (N, B)
        per-image radial power in dB, `mean_db` / `std_db` (B,),
        `mean_log_spectrum_db` (H, W) centred, `band_energy` (N, len(bands)).
    """
    bands = named_bands(bands)
    batch_size = _check_batch_size(batch_size)
    height, width, _ = _check_set(images, "images")
    curves, energies, spectrum_sum, count = [], [], 0.0, 0
    band_list = list(bands.values())
    for batch in _batches(images, batch_size):
        curves.append(spectral.radial_power_db(batch, num_bins, epsilon=1e-12)[..., 0].numpy())
        energies.append(spectral.band_energy(batch, band_list, include_dc=False)[..., 0].numpy())
        log_power = spectral.decibels(spectral.power_spectrum(batch)[..., 0], 1e-12)
        spectrum_sum += tf.reduce_sum(log_power, axis=0).numpy()
        count += int(batch.shape[0])
    curves = np.concatenate(curves)
    return {
        "frequencies": spectral.radial_bin_frequencies(height, width, num_bins),
        "log_power_db": curves,
        "mean_db": curves.mean(axis=0),
        "std_db": curves.std(axis=0),
        "mean_log_spectrum_db": spectrum_sum / count,
        "band_energy": np.concatenate(energies),
    }


def frequency_bias(real, fake, num_bands=8, max_frequency=0.5, batch_size=64):
    """How well each spatial-frequency band of the data distribution is learned.

    Khayatkhoei & Elgammal (AAAI 2022) show that GANs learn the distribution
    of low frequencies well and of high ones badly. This measure makes that
    a number per band:

    1. split `[0, max_frequency]` cycles/pixel into `num_bands` equal rings;
    2. for every image, take the ring's mean power in dB (grey image);
    3. per ring, the 1-Wasserstein distance between the real and the fake
       distributions of that value over images, in dB. It is 0 when the
       band's distribution (level *and* spread across images) is
       reproduced, and grows with any mismatch;
    4. `slope`: the least-squares slope of those distances against the ring
       centre frequency, in dB per cycle/pixel. A positive slope means high
       frequencies are learned worse than low ones: a frequency bias.
       `high_to_low` is the mean distance of the upper half of the rings
       over that of the lower half.

    Args:
        real, fake: image sets `(N, H, W, C)` and `(M, H, W, C)`, N, M >= 2.
        num_bands: number of rings.
        max_frequency: outer radius in cycles/pixel.
        batch_size: images per batch.

    Returns:
        dict with `band_centres` (num_bands,), `band_error_db`
        (num_bands,), `slope_db_per_cycle`, `high_to_low`.
    """
    batch_size = _check_batch_size(batch_size)
    if not is_integer(num_bands) or num_bands < 2:
        raise ValueError(f"`num_bands` must be an integer >= 2. Received: num_bands={num_bands!r}")
    num_bands = int(num_bands)
    shape_real = _check_set(real, "real")
    shape_fake = _check_set(fake, "fake")
    if shape_real[:2] != shape_fake[:2]:
        raise ValueError(
            "`real` and `fake` must have the same height and width. "
            f"Received: real.shape={(len(real), *shape_real)}, fake.shape={(len(fake), *shape_fake)}"
        )

    def ring_db(images):
        rows = []
        for batch in _batches(images, batch_size):
            rows.append(spectral.radial_power_db(batch, num_bands, max_frequency, epsilon=1e-12)[..., 0].numpy())
        return np.concatenate(rows)

    real_db, fake_db = ring_db(real), ring_db(fake)
    errors = np.array([scipy.stats.wasserstein_distance(real_db[:, b], fake_db[:, b]) for b in range(num_bands)])
    centres = spectral.radial_bin_frequencies(shape_real[0], shape_real[1], num_bands, max_frequency)
    slope = float(np.polyfit(centres, errors, 1)[0])
    half = num_bands // 2
    low = float(errors[:half].mean())
    return {
        "band_centres": centres,
        "band_error_db": errors,
        "slope_db_per_cycle": slope,
        # 0 / 0 (both halves reproduced exactly) is no bias, not an infinite one.
        "high_to_low": float(errors[half:].mean() / low) if low > 0 else float("inf") if errors[half:].mean() > 0 else float("nan"),
    }


def compare_image_sets(real, fake, num_bins=None, bands=None, num_bias_bands=8, batch_size=64):
    """Spectral comparison of a reference set (`real`) and another (`fake`).

    Returns:
        `(report, arrays)`: `report` is a JSON-ready dict (lists and floats):
        frequencies, mean and spread of both sets' radial power (dB), the
        per-ring gap `fake - real` (dB) and its RMS (`spectral_distance_db`),
        a band table (mean and std of each set's energy share per band, and
        the mean gap in dB per band) and the frequency-bias measure;
        `arrays` holds the NumPy arrays the plots need (`real`, `fake`: the
        outputs of `set_spectrum`; `bias`: of `frequency_bias`).
    """
    bands = named_bands(bands)
    shape_real, shape_fake = _check_set(real, "real"), _check_set(fake, "fake")
    if shape_real != shape_fake:
        raise ValueError(
            "`real` and `fake` must have the same height, width and channels (resize them first). "
            f"Received: real.shape={(len(real), *shape_real)}, fake.shape={(len(fake), *shape_fake)}"
        )
    ours = set_spectrum(real, num_bins, bands, batch_size)
    theirs = set_spectrum(fake, num_bins, bands, batch_size)
    bias = frequency_bias(real, fake, num_bias_bands, batch_size=batch_size)
    frequencies = ours["frequencies"]
    gap = theirs["mean_db"] - ours["mean_db"]
    table = {}
    for index, (name, (low, high)) in enumerate(bands.items()):
        inside = (frequencies >= low) & (frequencies < (high if high is not None else 1.0))
        table[name] = {
            "range_cycles_per_pixel": [low, high],
            "real_energy_share": [float(ours["band_energy"][:, index].mean()), float(ours["band_energy"][:, index].std())],
            "fake_energy_share": [float(theirs["band_energy"][:, index].mean()), float(theirs["band_energy"][:, index].std())],
            "mean_gap_db": float(gap[inside].mean()) if inside.any() else None,
        }
    report = {
        "images": {"real": int(len(real)), "fake": int(len(fake)), "shape": list(shape_real)},
        "frequencies_cycles_per_pixel": frequencies.tolist(),
        "real_mean_db": ours["mean_db"].tolist(),
        "real_std_db": ours["std_db"].tolist(),
        "fake_mean_db": theirs["mean_db"].tolist(),
        "fake_std_db": theirs["std_db"].tolist(),
        "gap_db": gap.tolist(),
        "spectral_distance_db": float(np.sqrt(np.mean(gap**2))),
        "bands": table,
        "frequency_bias": {key: (value.tolist() if isinstance(value, np.ndarray) else value) for key, value in bias.items()},
    }
    return report, {"real": ours, "fake": theirs, "bias": bias}
