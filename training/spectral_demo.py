"""Spectral demo: how common degradations change the spectrum of real photos.

It loads the real photos that ship with scikit-image and
scikit-learn, degrades them in ways whose spectral signature is known (blur
and down-sampling remove high frequencies, noise adds them, JPEG removes
fine detail in 8x8 blocks, haze scales everything down and lifts the DC
term) and measures each with `kfreqgan.spectral`: the mean radial power
curve, the per-bin gap to the originals (`spectral_distance`) and the share
of energy in a low, mid and high band (`band_energy`).

Writes `spectral_demo.png` (radial power curves with the bands shaded, and
their differences to the originals) and `spectral_demo.json` (all numbers)
into `--out`, and prints a summary table.

    python -m kfreqgan.training.spectral_demo --out outputs/spectral_demo
"""

import json
import math
import os
import sys

import numpy as np
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan.analysis import plot_radial_power
from kfreqgan.atomic_files import write_atomically
from kfreqgan.atomic_files import write_text_atomically
from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import int_at_least
from kfreqgan.command_line import output_folder
from kfreqgan.command_line import run_main
from kfreqgan.data import PHOTO_NAMES
from kfreqgan.data import center_crop
from kfreqgan.data import load_photo

BANDS = {"low": (0.0, 0.05), "mid": (0.05, 0.2), "high": (0.2, None)}


def _gaussian_blur(images, sigma):
    radius = int(math.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    kernel = np.outer(taps, taps)[:, :, None, None]
    kernel = np.repeat(kernel, images.shape[-1], axis=2).astype(np.float32)
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")


def degradations(images, seed=0):
    """The degraded versions of `images` (N, H, W, 3), by name."""
    size = images.shape[1]
    generator = tf.random.Generator.from_seed(seed)
    jpeg = tf.stack([tf.image.adjust_jpeg_quality(image, 15) for image in tf.unstack(images)])
    small = tf.image.resize(images, (size // 4, size // 4), method="area", antialias=True)
    return {
        "blur (sigma 1.5 px)": _gaussian_blur(images, 1.5),
        "down x4 + bilinear up": tf.image.resize(small, (size, size), method="bilinear"),
        "JPEG quality 15": tf.cast(jpeg, tf.float32),
        "noise (sigma 0.05)": tf.clip_by_value(
            images + 0.05 * generator.normal(tf.shape(images)), 0.0, 1.0
        ),
        "haze (t 0.55, A 0.9)": images * 0.55 + 0.9 * (1.0 - 0.55),
    }


def analyse(images, degraded):
    """Spectral numbers for the originals and each degradation."""
    num_bins = images.shape[1] // 2
    frequencies = spectral.radial_bin_frequencies(images.shape[1], images.shape[2], num_bins)
    bands = list(BANDS.values())

    def summary(batch):
        decibels = tf.reduce_mean(spectral.radial_power_db(batch, num_bins), axis=(0, 2))
        energy = tf.reduce_mean(spectral.band_energy(batch, bands, include_dc=False), axis=(0, 2))
        return decibels.numpy(), energy.numpy()

    report = {"frequencies_cycles_per_pixel": frequencies.tolist(), "bands": BANDS, "sets": {}}
    curves = {}
    for label, batch in {"original": images, **degraded}.items():
        decibels, energy = summary(batch)
        curves[label] = decibels
        entry = {
            "mean_radial_power_db": decibels.round(4).tolist(),
            "band_energy_fraction_without_dc": dict(zip(BANDS, energy.round(6).tolist())),
        }
        if label != "original":
            distance = spectral.spectral_distance(images, batch, num_bins)
            per_bin = distance.per_bin.numpy()
            entry["spectral_distance_db"] = round(float(distance.distance), 4)
            entry["mean_gap_db_by_band"] = {
                name: round(float(per_bin[(frequencies >= low) & (frequencies < (high or 1.0))].mean()), 4)
                for name, (low, high) in BANDS.items()
            }
        report["sets"][label] = entry
    return report, frequencies, curves


def run(out, size=256, photos=PHOTO_NAMES):
    """Runs the demo and writes its PNG and JSON into `out`; returns the report."""
    images = tf.constant(np.stack([center_crop(load_photo(name), size) for name in photos]))
    report, frequencies, curves = analyse(images, degradations(images))
    report["photos"] = list(photos)
    report["size"] = size
    os.makedirs(out, exist_ok=True)
    figure = plot_radial_power(
        frequencies,
        curves,
        bands=BANDS,
        reference="original",
        title=f"Radial power spectra of {len(photos)} real photos ({size}x{size}) and degraded copies",
    )
    write_atomically(os.path.join(out, "spectral_demo.png"), lambda path: figure.savefig(path, dpi=110))

    write_text_atomically(os.path.join(out, "spectral_demo.json"), json.dumps(report, indent=2))
    return report


def _parser():
    parser = ArgumentParser(prog="python -m kfreqgan.training.spectral_demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/demo", type=output_folder, help="output folder (created if missing)")
    parser.add_argument("--size", type=int_at_least(16), default=256, help="crop size in pixels (default 256)")
    parser.add_argument(
        "--photos", nargs="+", default=list(PHOTO_NAMES), choices=PHOTO_NAMES, help="bundled photos to use"
    )
    return parser


def _run(args):
    report = run(args.out, args.size, tuple(args.photos))
    print(f"{len(report['photos'])} real photos at {args.size}x{args.size}; spectral gap to the originals:")
    print(f"{'set':<24}{'distance dB':>12}{'low dB':>9}{'mid dB':>9}{'high dB':>9}   energy low/mid/high (no DC)")
    for label, entry in report["sets"].items():
        gaps = entry.get("mean_gap_db_by_band", {})
        energy = entry["band_energy_fraction_without_dc"]
        numbers = "".join(f"{gaps[name]:>9.2f}" if gaps else f"{'-':>9}" for name in BANDS)
        distance = f"{entry['spectral_distance_db']:>12.2f}" if gaps else f"{'-':>12}"
        shares = "/".join(f"{energy[name]:.3f}" for name in BANDS)
        print(f"{label:<24}{distance}{numbers}   {shares}")
    print(f"wrote {os.path.join(args.out, 'spectral_demo.png')} and spectral_demo.json")
    return 0


def main(argv=None):
    """Runs the program with `argv` (default `sys.argv[1:]`); returns its exit status."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
