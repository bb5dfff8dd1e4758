"""Reproduce the spatial frequency bias of GANs on carrier datasets.

Khayatkhoei & Elgammal (AAAI 2022): a convolutional GAN learns the same
distribution worse when its content sits at high spatial frequencies, and
frequency shifting (learning the content at baseband, then moving it to the
band with a carrier) removes the handicap. This script trains the same small
unconditional GAN (DCGAN generator, SN discriminator, hinge loss) for the
same budget on three versions of one distribution, band-limited patches of
the bundled training photos (`kfreqgan.data.carriers`):

- *low*: the patches as they are (carrier frequency 0);
- *high*: the same patches on a carrier of frequency `f0` (default
  (0.25, 0.25) cycles/pixel, radius 0.354);
- *high + FrequencyShift*: the *high* data, with a generator whose output
  passes through `FrequencyShift(f0)` (it generates at baseband).

To compare like with like, generated and real images of the high versions
are demodulated back to baseband (`carriers.demodulate`), so all three are
scored on the same content with the same measures: the spectral distance
(RMS dB gap of radial power), the frequency-bias band error, and the pixel
statistics' Wasserstein distance. Lower is better.

    python bench/frequency_bias_study.py [--epochs 30] [--seeds 0 1] [--out outputs/bias_study]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import scipy.stats  # noqa: E402

from kfreqgan import spectral  # noqa: E402
from kfreqgan.analysis import frequency_bias  # noqa: E402
from kfreqgan.analysis import plot_band_errors  # noqa: E402
from kfreqgan.data import carriers  # noqa: E402
from kfreqgan.layers import FrequencyShift  # noqa: E402
from kfreqgan.models import FreqGAN  # noqa: E402
from kfreqgan.models import dcgan_discriminator  # noqa: E402
from kfreqgan.models import dcgan_generator  # noqa: E402

BANDWIDTH = 0.1


def make_gan(latent, filters, shift):
    generator = dcgan_generator(latent, 32, 1, filters)
    if shift is not None:
        z = keras.Input((latent,))
        x = keras.layers.Rescaling(1.0, offset=-0.5)(generator(z))
        x = FrequencyShift(shift)(x)
        generator = keras.Model(z, keras.layers.Rescaling(1.0, offset=0.5)(x), name="shifted_generator")
    return FreqGAN(generator, dcgan_discriminator((32, 32, 1), filters), mode="unconditional", adversarial_loss="hinge")


def baseband(images, carrier):
    """The content band of each image, back at baseband: demodulated for a
    carrier, low-passed to the same band for the low version, so that all
    variants are scored on the same band (out-of-band output is ignored)."""
    if carrier != (0.0, 0.0):
        return carriers.demodulate(images, carrier, BANDWIDTH).numpy()
    return (0.5 + spectral.band_filter(images - 0.5, 0.0, BANDWIDTH)).numpy()


def score(real, fake, carrier):
    real, fake = baseband(real, carrier), baseband(fake, carrier)
    # Baseband content lies within BANDWIDTH; 4 rings of one DFT step (1/32).
    bias = frequency_bias(real, fake, num_bands=4, max_frequency=0.125)
    return {
        "spectral_distance_db": float(spectral.spectral_distance(real, fake, num_bins=4, max_frequency=0.125).distance),
        "band_error_db": float(np.mean(bias["band_error_db"])),
        "pixel_w1": float(scipy.stats.wasserstein_distance(real.ravel(), fake.ravel())),
    }


def run(name, carrier, shift, epochs, seed, latent=32, filters=32):
    keras.utils.set_random_seed(seed)
    data = carriers.carrier_dataset(carrier, size=32, bandwidth=BANDWIDTH, per_photo=128, seed=seed)
    gan = make_gan(latent, filters, shift)
    gan.compile()
    gan.fit(data, batch_size=32, epochs=epochs, verbose=0)
    samples = gan.predict(np.random.default_rng(seed + 100).standard_normal((512, latent)).astype(np.float32), verbose=0)
    # A random reference subset: the dataset is ordered photo by photo.
    reference = data[np.random.default_rng(seed).permutation(len(data))[:512]]
    return score(reference, samples, carrier)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--carrier", type=float, nargs=2, default=[0.25, 0.25])
    parser.add_argument("--out", default="outputs/bias_study")
    args = parser.parse_args()
    high = tuple(args.carrier)
    variants = {"low": ((0.0, 0.0), None), "high": (high, None), "high + FrequencyShift": (high, high)}
    results = {name: [] for name in variants}
    for seed in args.seeds:
        for name, (carrier, shift) in variants.items():
            results[name].append(run(name, carrier, shift, args.epochs, seed))
            print(f"done: {name}, seed {seed}: {results[name][-1]}", flush=True)
    print(f"\nsame GAN, {args.epochs} epochs, seeds {args.seeds}, carrier {high} c/px; scored at baseband (lower is better)")
    print(f"{'variant':<24}{'spectral dist dB':>18}{'band error dB':>15}{'pixel W1':>10}")
    means = {}
    for name, runs in results.items():
        means[name] = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
        m = means[name]
        print(f"{name:<24}{m['spectral_distance_db']:>18.2f}{m['band_error_db']:>15.2f}{m['pixel_w1']:>10.4f}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bias_study.json"), "w") as handle:
        json.dump({"runs": results, "means": means, "epochs": args.epochs, "carrier": high}, handle, indent=2)
    figure = plot_band_errors(
        np.arange(3.0),
        {key: np.array([means[name][key] for name in variants]) for key in ("spectral_distance_db", "band_error_db")},
        ylabel="error at baseband (dB)",
        title="low | high | high + FrequencyShift",
    )
    figure.savefig(os.path.join(args.out, "bias_study.png"), dpi=100)


if __name__ == "__main__":
    main()
