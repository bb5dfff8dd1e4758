"""The main demo (`make demo`): train a frequency-aware dehazing GAN on real
photos in a few minutes on a CPU, then show what it does on photos it has
never seen.

1. Trains `FreqGAN` with the `dehaze-demo` configuration (U-Net generator
   with band-filtered inputs, spatial + frequency discriminator, L1 + focal
   frequency loss) on 32x32 patches of the bundled training photos, with
   haze synthesised on the fly (atmospheric scattering model, RESIDE ITS
   ranges). No image is downloaded. The demo shows the frequency parts at
   work, not that they pay: at equal wall time the spatial twin (the same
   U-Net without them) scores better (BENCHMARKS.md, "Dehazing ablation").
2. Dehazes the held-out photos (`kfreqgan.data.HELDOUT_PHOTOS`, never used in
   training) with synthetic haze, whole (128x128), with the same weights in
   a fully convolutional copy of the generator.
3. Prints PSNR / SSIM / high-frequency spectral error of the hazy inputs and
   of the dehazed outputs, and writes into `--out`: `before_after.png`
   (hazy / dehazed / clean, one column per held-out photo),
   `spectrum.png` (radial power of clean, hazy and dehazed photos),
   `demo.json`, and the training outputs of `kfreqgan-train`
   (`generator.keras`, `samples.png`, `metrics.json`, ...).

    python -m kfreqgan.training.demo --out outputs/demo [--epochs N]
"""

import json
import os
import sys

import numpy as np

from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import int_at_least
from kfreqgan.command_line import output_folder
from kfreqgan.command_line import run_main


def dehaze_whole_photos(generator, config, size=128, seed=2024):
    """Held-out photos, hazed, and dehazed by a size-free copy of `generator`."""
    import tensorflow as tf

    from kfreqgan import spectral
    from kfreqgan.data import center_crop
    from kfreqgan.data import load_photo
    from kfreqgan.data import make_hazy_pairs
    from kfreqgan.training import train

    gray = config["channels"] == 1
    clean = np.stack([center_crop(load_photo(name), size) for name in config["eval_photos"]])
    if gray:
        clean = spectral.to_grayscale(clean).numpy()
    hazy = make_hazy_pairs(clean, seed, beta_range=config["beta_range"], airlight_range=config["airlight_range"])[0].numpy()
    any_size = train.size_free_generator(generator, config)
    dehazed = tf.clip_by_value(any_size(hazy, training=False), 0.0, 1.0).numpy()
    return clean, hazy, dehazed


def run(out, epochs=None, overrides=None, verbose=2):
    """Trains and evaluates; returns the demo report (also in demo.json)."""
    import tensorflow as tf

    from kfreqgan import spectral
    from kfreqgan.analysis import plot_radial_power
    from kfreqgan.atomic_files import write_atomically
    from kfreqgan.atomic_files import write_text_atomically
    from kfreqgan.bands import DEFAULT_BANDS
    from kfreqgan.models.loading import GENERATOR_FILE
    from kfreqgan.models.loading import load_generator
    from kfreqgan.training import configs
    from kfreqgan.training import train

    overrides = dict(overrides or {})
    if epochs is not None:
        overrides["epochs"] = epochs
    config = configs.get_config("dehaze-demo", overrides)
    result = train.train(config, out, tf.distribute.get_strategy(), verbose=verbose)
    generator = load_generator(os.path.join(out, GENERATOR_FILE), kinds=("keras",))
    clean, hazy, dehazed = dehaze_whole_photos(generator, config)
    whole = {"hazy_input": train.image_quality(clean, hazy), "dehazed": train.image_quality(clean, dehazed)}
    train.grid_png([hazy, dehazed, clean], os.path.join(out, "before_after.png"))

    num_bins = clean.shape[1] // 2
    frequencies = spectral.radial_bin_frequencies(clean.shape[1], clean.shape[2], num_bins)
    curves = {}
    for label, batch in (("clean", clean), ("hazy", hazy), ("dehazed", dehazed)):
        curves[label] = tf.reduce_mean(spectral.radial_power_db(batch, num_bins), axis=(0, 2)).numpy()
    figure = plot_radial_power(
        frequencies,
        curves,
        bands=DEFAULT_BANDS,
        reference="clean",
        title="Held-out photos: radial power of clean, hazy and dehazed images",
    )
    write_atomically(os.path.join(out, "spectrum.png"), lambda path: figure.savefig(path, dpi=110))
    report = {
        "train_seconds": result["train_seconds"],
        "epochs": config["epochs"],
        "held_out_patches": result["held_out"],
        "held_out_whole_photos": {"photos": config["eval_photos"], "size": int(clean.shape[1]), **whole},
    }
    write_text_atomically(os.path.join(out, "demo.json"), json.dumps(report, indent=2))
    return report


def _parser():
    parser = ArgumentParser(prog="kfreqgan-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/demo", type=output_folder, help="output folder")
    parser.add_argument("--epochs", type=int_at_least(1), help="training epochs (default: the config's)")
    return parser


def _run(args):
    report = run(args.out, args.epochs, verbose=1 if sys.stdout.isatty() else 2)
    print(f"\ntrained in {report['train_seconds']:.0f} s; held-out photos (never seen in training), synthetic haze:")
    print(f"{'':<34}{'PSNR dB':>9}{'SSIM':>8}{'HF error dB':>13}")
    for scope, label in (("held_out_patches", "32x32 patches"), ("held_out_whole_photos", "whole 128x128 photos")):
        for which in ("hazy_input", "dehazed"):
            q = report[scope][which]
            print(f"{label + ', ' + which.replace('_input', ''):<34}{q['psnr']:>9.2f}{q['ssim']:>8.3f}{q['high_frequency_error_db']:>13.2f}")
    print(f"wrote {args.out}/before_after.png, spectrum.png, samples.png, demo.json, generator.keras")
    return 0


def main(argv=None):
    """Runs the program with `argv` (default `sys.argv[1:]`); returns its exit status."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
