"""SSD-GAN's spectral feature: kfreqgan vs SSD-GAN's code vs batched PyTorch vs the FFT floor.

The workload is SSD-GAN's spectral feature on a batch of 64 RGB 128x128
crops of the bundled photos (NHWC 64x128x128x3 for TensorFlow, NCHW
64x3x128x128 for PyTorch): grey -> 2D FFT -> log magnitude -> azimuthal
average over rings of integer pixel radius -> drop ring 0 and the last two ->
min-max per image. Contenders, all in this process on the same inputs:

- `SSD-GAN's code`: what the authors' `get_fft_feature` runs, re-implemented
  here (needs PyTorch): grey on the batch, a full complex `torch.fft.fft2`,
  the log of the magnitude, a quadrant-swap copy, a copy to the host and a
  Python loop that builds each image's ring map and averages with
  `np.bincount`, then min-max in torch.
- `NumPy per-image loop`: the same per-image loop in NumPy alone (no torch).
- `batched PyTorch`: the obvious batched version a PyTorch user writes: grey,
  `torch.fft.rfft2`, log magnitude, one `index_add_` ring average over the
  half spectrum with precomputed ring weights (needs PyTorch).
- `kfreqgan graph` / `kfreqgan XLA`: `kfreqgan.layers.SpectralProfile` in a
  `tf.function`, without and with `jit_compile=True`.
- floors: `tf.abs(tf.signal.rfft2d(grey))` on the grey 64x128x128 batch, the
  transform the feature cannot avoid, in a `tf.function` (`TF FFT floor`, the
  reference of the ratios) and under XLA; `torch.fft.rfft2(grey).abs()`.

Every contender is checked against a float64 NumPy computation of the
feature (kfreqgan must agree to 1e-5). Timing alternates the contenders call
by call, round after round, so that the load of a shared machine hits all of
them alike; it prints medians, quartiles and ratios. A contender whose
package is missing is skipped with a note.

    python bench/spectral_bench.py [--batch 64] [--size 128] [--rounds 60]

PyTorch is the optional `bench` extra (`pip install -e .[bench]`).
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan import spectral  # noqa: E402
from kfreqgan.data import PHOTO_NAMES  # noqa: E402
from kfreqgan.data import load_photo  # noqa: E402
from kfreqgan.layers import SpectralProfile  # noqa: E402

try:
    import torch
except ImportError:  # an optional contender
    torch = None

WEIGHTS = spectral.SSD_GAN_GRAY_WEIGHTS


def real_crops(batch, size, seed=0):
    """`batch` random size x size crops of the bundled photos, float32 RGB."""
    rng = np.random.default_rng(seed)
    photos = [load_photo(name) for name in PHOTO_NAMES]
    crops = []
    for index in range(batch):
        photo = photos[index % len(photos)]
        top = rng.integers(0, photo.shape[0] - size + 1)
        left = rng.integers(0, photo.shape[1] - size + 1)
        crops.append(photo[top : top + size, left : left + size])
    return np.stack(crops)


def ring_average(image):
    """Mean of a centred 2D map over rings of integer pixel radius, with the
    ring map built afresh for each image as SSD-GAN's `azimuthalAverage`
    does (radius from (H/2, W/2); sums over counts + 1e-10)."""
    height, width = image.shape
    y, x = np.indices((height, width))
    radius = np.sqrt((x - height / 2) ** 2 + (y - width / 2) ** 2).astype(int).ravel()
    return np.bincount(radius, image.ravel()) / (np.bincount(radius) + 1e-10)


def min_max(profiles):
    low = profiles.min(axis=1, keepdims=True)
    return (profiles - low) / (profiles.max(axis=1, keepdims=True) - low)


def numpy_feature(images):
    """Per-image NumPy loop; in the precision of `images` (float64: the reference)."""
    weights = np.array(WEIGHTS, images.dtype)
    out = []
    for image in images:
        log_mag = np.log(np.abs(np.fft.fftshift(np.fft.fft2(image @ weights))) + 1e-10)
        out.append(ring_average(log_mag)[1:-2])
    return min_max(np.stack(out))


def ssd_gan_feature(images_nchw):
    """What SSD-GAN's `get_fft_feature` runs, step by step (torch, NCHW)."""
    red, green, blue = images_nchw[:, 0], images_nchw[:, 1], images_nchw[:, 2]
    gray = WEIGHTS[0] * red + WEIGHTS[1] * green + WEIGHTS[2] * blue
    spectrum = torch.view_as_real(torch.fft.fft2(gray)) + 1e-8  # full, two-sided
    magnitude = torch.log(torch.sqrt(spectrum[..., 0] ** 2 + spectrum[..., 1] ** 2 + 1e-10) + 1e-10)
    height, width = magnitude.shape[-2:]
    half_h, half_w = height // 2, width // 2
    centred = torch.zeros(magnitude.size())  # quadrant swap into a new tensor
    centred[:, :half_h, :half_w] = magnitude[:, half_h:, half_w:]
    centred[:, :half_h, half_w:] = magnitude[:, half_h:, :half_w]
    centred[:, half_h:, :half_w] = magnitude[:, :half_h, half_w:]
    centred[:, half_h:, half_w:] = magnitude[:, :half_h, :half_w]
    host = centred.cpu().numpy()
    rows = [torch.from_numpy(ring_average(image)[1:-2]).float().unsqueeze(0) for image in host]
    out = torch.cat(rows, dim=0)
    low = torch.min(out, dim=1, keepdim=True)[0]
    return (out - low) / (torch.max(out, dim=1, keepdim=True)[0] - low)


class BatchedTorchFeature:
    """The obvious batched PyTorch version: one `index_add_` over the half spectrum."""

    def __init__(self, height, width):
        ky = torch.fft.fftfreq(height, 1.0 / height)
        kx = torch.fft.rfftfreq(width, 1.0 / width)
        radius = torch.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2).long()
        weights = torch.full(radius.shape, 2.0)  # mirrored columns count twice
        weights[:, 0] = 1.0
        if width % 2 == 0:
            weights[:, -1] = 1.0
        self.num_rings = int(radius.max()) + 1
        counts = torch.zeros(self.num_rings).index_add_(0, radius.flatten(), weights.flatten())
        self.index = radius.flatten()
        self.factors = (weights / counts[radius]).flatten()
        self.gray = torch.tensor(WEIGHTS)

    def __call__(self, images_nchw):
        gray = torch.einsum("nchw,c->nhw", images_nchw, self.gray)
        log_mag = torch.log(torch.fft.rfft2(gray).abs() + 1e-10).flatten(1) * self.factors
        rings = torch.zeros(len(gray), self.num_rings).index_add_(1, self.index, log_mag)
        profile = rings[:, 1:-2]
        low = profile.min(dim=1, keepdim=True)[0]
        return (profile - low) / (profile.max(dim=1, keepdim=True)[0] - low)


def median_seconds(function, repeats):
    """Median wall time of `repeats` calls of `function` (used by gan_bench.py)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def contenders(images_np):
    """name -> (function returning a NumPy feature or None for floors, note)."""
    images = tf.constant(images_np)
    gray = tf.constant(images_np @ np.array(WEIGHTS, np.float32))
    layer = SpectralProfile()
    graph = tf.function(layer)
    xla = tf.function(layer, jit_compile=True)
    floor = tf.function(lambda: tf.abs(tf.signal.rfft2d(gray)))
    floor_xla = tf.function(lambda: tf.abs(tf.signal.rfft2d(gray)), jit_compile=True)
    table = {
        "NumPy per-image loop": (lambda: numpy_feature(images_np), True),
        "kfreqgan graph": (lambda: graph(images).numpy(), True),
        "kfreqgan XLA": (lambda: xla(images).numpy(), True),
        "TF FFT floor": (lambda: floor().numpy(), False),
        "TF FFT floor, XLA": (lambda: floor_xla().numpy(), False),
    }
    if torch is not None:
        nchw = torch.from_numpy(np.ascontiguousarray(images_np.transpose(0, 3, 1, 2)))
        gray_t = torch.from_numpy(gray.numpy())
        batched = BatchedTorchFeature(*images_np.shape[1:3])
        table["SSD-GAN's code"] = (lambda: ssd_gan_feature(nchw).numpy(), True)
        table["batched PyTorch"] = (lambda: batched(nchw).numpy(), True)
        table["torch FFT floor"] = (lambda: torch.fft.rfft2(gray_t).abs().numpy(), False)
    return table


def profile_stages(images_np):
    """name -> zero-argument function: the stages of the feature, one at a time.

    Graph-mode stages are what the layer ran before it was compiled (one
    TensorFlow op after another, each a pass over memory); the XLA stages
    are what it runs now."""
    images = tf.constant(images_np)
    height, width = images_np.shape[1:3]
    gray = tf.constant(images_np @ np.array(WEIGHTS, np.float32))
    spectrum = tf.signal.rfft2d(gray)
    full = tf.signal.fft2d(tf.complex(gray, tf.zeros_like(gray)))
    power = tf.square(tf.math.real(spectrum)) + tf.square(tf.math.imag(spectrum))
    log_power = tf.math.log(power + 1e-10)
    bins = spectral.radial_bins(height, width, None, 0.5, "integer", "half")
    _, factors = spectral.ring_factors(height, width, None, 0.5, "integer", 0.5)
    matrix = np.zeros((factors.size, bins.num_bins), np.float32)
    kept = bins.segment_ids < bins.num_bins
    matrix[np.flatnonzero(kept), bins.segment_ids[kept]] = factors[kept]
    ids = tf.constant(np.broadcast_to(bins.segment_ids, (len(images_np), factors.size)))
    flat_log = tf.reshape(log_power, (len(images_np), -1))
    args = ((None, 0.5, "integer"), 1e-10)
    layer = SpectralProfile()
    channels_first = tf.constant(np.ascontiguousarray(images_np.transpose(0, 3, 1, 2)))
    graph, xla = tf.function, (lambda f: tf.function(f, jit_compile=True))
    return {
        "floor: rfft2d + abs (graph)": graph(lambda: tf.abs(tf.signal.rfft2d(gray))),
        "grey, matvec (graph)": graph(lambda: spectral.to_grayscale(images, WEIGHTS)),
        "grey, channel sum (XLA)": xla(lambda: WEIGHTS[0] * images[..., 0] + WEIGHTS[1] * images[..., 1] + WEIGHTS[2] * images[..., 2]),
        "rfft2d mean-free, |F|^2 (graph)": graph(lambda: spectral.dft_power(gray[..., None], half=True)),
        "rfft2d, half (graph)": graph(lambda: tf.signal.rfft2d(gray)),
        "fft2d, full (graph)": graph(lambda: tf.signal.fft2d(tf.complex(gray, tf.zeros_like(gray)))),
        "fftshift of full (graph)": graph(lambda: tf.signal.fftshift(full, axes=(1, 2))),
        "|F|^2 re/im (graph)": graph(lambda: tf.square(tf.math.real(spectrum)) + tf.square(tf.math.imag(spectrum))),
        "abs, complex (graph)": graph(lambda: tf.abs(spectrum)),
        "log (graph)": graph(lambda: tf.math.log(power + 1e-10)),
        "log power (XLA)": xla(lambda: tf.math.log(tf.square(tf.math.real(spectrum)) + tf.square(tf.math.imag(spectrum)) + 1e-10)),
        "rings, segment sum (graph)": graph(lambda: spectral.bin_average(log_power[..., None], bins)),
        "rings, matmul (graph)": graph(lambda: tf.matmul(flat_log, matrix)),
        "rings, bincount (graph)": graph(
            lambda: tf.math.bincount(ids, weights=flat_log * factors, minlength=bins.num_bins + 1, axis=-1)
        ),
        "rings, segment sum (XLA)": xla(
            lambda: spectral.ring_means(log_power, height, width, None, 0.5, "integer", 0.5)
        ),
        "all, graph ops": graph(
            lambda: spectral.bin_average(
                0.5 * tf.math.log(spectral.dft_power(spectral.to_grayscale(images, WEIGHTS), half=True) + 1e-10), bins
            )
        ),
        "all, compiled kernel": xla(lambda: spectral.radial_log_magnitude_core(images, *args, gray_weights=WEIGHTS)),
        "SpectralProfile (graph)": graph(lambda: layer(images)),
        "radial_power_profile (graph)": graph(lambda: spectral.radial_power_profile(images)),
        # The band filter works on all three channels and needs both transforms.
        "RGB floor: rfft2d + abs (graph)": graph(lambda: tf.abs(tf.signal.rfft2d(channels_first))),
        "RGB rfft2d + irfft2d (graph)": graph(
            lambda: tf.signal.irfft2d(tf.signal.rfft2d(channels_first), fft_length=[height, width])
        ),
        # The same pair on NHWC images: the transforms act on the last two
        # axes, so NHWC input costs a transpose each way whatever the filter.
        "NHWC rfft2d + irfft2d (graph)": graph(
            lambda: tf.transpose(
                tf.signal.irfft2d(tf.signal.rfft2d(tf.transpose(images, (0, 3, 1, 2))), fft_length=[height, width]),
                (0, 2, 3, 1),
            )
        ),
        "band_filter (graph)": graph(lambda: spectral.band_filter(images, 0.1, 0.3)),
    }


def time_alternating(table, rounds):
    """name -> list of seconds, the functions called in turn, round after round."""
    times = {name: [] for name in table}
    names = list(table)
    for round_index in range(rounds):
        # Rotate the order too, so that no contender always follows another.
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            table[name]()
            times[name].append(time.perf_counter() - start)
    return times


def run_profile(images_np, rounds):
    table = profile_stages(images_np)
    for function in table.values():
        function()
        function()
    times = time_alternating({name: lambda f=f: np.asarray(f()) for name, f in table.items()}, rounds)
    floor = statistics.median(times["floor: rfft2d + abs (graph)"])
    print(
        f"Stages of SSD-GAN's feature, batch {len(images_np)} of 3x{images_np.shape[1]}x{images_np.shape[2]}, "
        f"{rounds} alternating rounds, load average {os.getloadavg()[0]:.1f}"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<30}{median * 1e3:8.2f} ms  {median / floor:5.2f}x the floor")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--profile", action="store_true", help="time the stages of the feature instead")
    parser.add_argument("--torch-threads", type=int, help="torch.set_num_threads (default: torch's own)")
    args = parser.parse_args()
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    images_np = real_crops(args.batch, args.size)
    if args.profile:
        run_profile(images_np, args.rounds)
        return
    table = contenders(images_np)
    if torch is None:
        print("PyTorch is not installed: skipping SSD-GAN's code, batched PyTorch and the torch floor")
    exact = numpy_feature(images_np.astype(np.float64))
    for name, (function, is_feature) in table.items():
        result = function()  # also the warm-up (tracing, XLA compilation)
        function()
        if is_feature:
            error = float(np.abs(result - exact).max())
            print(f"{name:<22} max abs difference to the float64 feature: {error:.1e}")
            if name.startswith("kfreqgan"):
                assert error < 1e-5, f"{name}: {error:.2e} > 1e-5"

    with torch.no_grad() if torch is not None else _nothing():
        times = time_alternating({name: function for name, (function, _) in table.items()}, args.rounds)

    medians = {name: statistics.median(values) for name, values in times.items()}
    threads = f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ""
    print(
        f"\nSSD-GAN's feature, batch {args.batch} of 3x{args.size}x{args.size}, {args.rounds} "
        f"alternating rounds, {os.cpu_count()} CPU cores ({platform.machine()}), load average "
        f"{os.getloadavg()[0]:.1f}; TF {tf.__version__}, NumPy {np.__version__}{threads}"
    )
    reference = medians.get("SSD-GAN's code", medians["NumPy per-image loop"])
    reference_name = "SSD-GAN's code" if "SSD-GAN's code" in medians else "the NumPy loop"
    floor = medians["TF FFT floor"]
    print(f"  {'contender':<22}{'median':>10}{'quartiles':>20}{'vs ' + reference_name:>22}{'vs TF floor':>13}")
    for name in sorted(medians, key=medians.get, reverse=True):
        q1, q3 = np.percentile(times[name], [25, 75]) * 1e3
        print(
            f"  {name:<22}{medians[name] * 1e3:8.2f} ms{q1:9.2f} -{q3:6.2f} ms"
            f"{reference / medians[name]:20.2f}x{medians[name] / floor:12.2f}x"
        )


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main()
