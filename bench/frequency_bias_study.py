"""Reproduce the spatial frequency bias of GANs on carrier datasets.

Khayatkhoei & Elgammal (AAAI 2022): a convolutional GAN learns the same
distribution worse when its content sits at high spatial frequencies, and
frequency shifting (learning the content at baseband, then moving it to the
band with a carrier) removes the handicap. This script trains the same small
unconditional GAN (DCGAN generator, SN discriminator, hinge loss) for the
same budget on versions of one distribution, band-limited patches of the
bundled training photos (`kfreqgan.data.carriers`):

- *low*: the patches as they are (carrier frequency 0);
- *high f0*: the same patches on a carrier of frequency `f0`;
- *high f0 + FrequencyShift*: the *high f0* data, with a generator whose
  output passes through `FrequencyShift(f0)` (it generates at baseband).

Two carriers of almost the same radius by default. A DCGAN generator makes
high frequencies from the spectral copies ("images") that its stride-2
upsamplings create: at 32x32 those copies of its low-frequency content sit on
the lattice of multiples of 1/8 cycle/pixel. (0.25, 0.25) (radius 0.354) lies
*on* that lattice, so the generator gets it almost for free; (3/16, 5/16)
(radius 0.364) is a cell centre, as far from the lattice as a frequency can
be, which is where the bias should show.

To compare like with like, generated and real images of the high versions
are demodulated back to baseband (`carriers.demodulate`), so all versions
are scored on the same content with the same measures: the frequency-bias
band error (`kfreqgan.analysis.frequency_bias`, the primary measure), the
spectral distance (RMS dB gap of radial power) and the pixel statistics'
Wasserstein distance. Lower is better. GAN scores oscillate from epoch to
epoch, so each run is scored at several epochs of the second half of
training (`--snapshots`) and the scores averaged; seeds are paired (same
patches and initial weights for every variant of a seed), and the script
prints the per-seed differences with a paired t-test.

    python bench/frequency_bias_study.py [--epochs 80] [--seeds 0 1 2 3 4 5] [--out outputs/bias_study]
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.figure  # noqa: E402
import numpy as np  # noqa: E402

from kfreqgan.analysis.carrier_scores import MEASURES  # noqa: E402
from kfreqgan.analysis.carrier_scores import carrier_scores  # noqa: E402
from kfreqgan.analysis.carrier_scores import paired_differences  # noqa: E402
from kfreqgan.atomic_files import write_atomically  # noqa: E402
from kfreqgan.atomic_files import write_text_atomically  # noqa: E402
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


def score(real, fake, carrier):
    return carrier_scores(real, fake, carrier, BANDWIDTH)


class SnapshotScores(keras.callbacks.Callback):
    """Scores fixed latent samples against the real set at chosen epochs."""

    def __init__(self, reference, latents, carrier, epochs):
        super().__init__()
        self.reference, self.latents, self.carrier = reference, latents, carrier
        self.epochs = set(epochs)
        self.scores = {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            samples = self.model.generator.predict(self.latents, batch_size=256, verbose=0)
            self.scores[epoch + 1] = score(self.reference, samples, self.carrier)


def run(carrier, shift, epochs, snapshots, seed, latent=32, filters=16):
    keras.utils.set_random_seed(seed)
    data = carriers.carrier_dataset(carrier, size=32, bandwidth=BANDWIDTH, per_photo=128, seed=seed)
    gan = make_gan(latent, filters, shift)
    gan.compile(jit_compile=True)
    # A random reference subset: the dataset is ordered photo by photo.
    reference = data[np.random.default_rng(seed).permutation(len(data))[:512]]
    latents = np.random.default_rng(seed + 100).standard_normal((512, latent)).astype(np.float32)
    at = np.unique(np.linspace(epochs // 2, epochs, snapshots).round().astype(int))
    scorer = SnapshotScores(reference, latents, carrier, at)
    gan.fit(data, batch_size=32, epochs=epochs, verbose=0, callbacks=[scorer])
    mean = {key: float(np.mean([s[key] for s in scorer.scores.values()])) for key in MEASURES}
    return {**mean, "snapshots": {str(k): v for k, v in scorer.scores.items()}}


def variant_names(frequencies):
    variants = {"low": ((0.0, 0.0), None)}
    for f0 in frequencies:
        label = f"({f0[0]:g}, {f0[1]:g})"
        variants[f"high {label}"] = (f0, None)
        variants[f"high {label} + FrequencyShift"] = (f0, f0)
    return variants


def paired(results, a, b, key="band_error_db"):
    """Per-seed differences `a - b` of one measure, with a paired t-test."""
    return paired_differences([x[key] for x in results[a]], [y[key] for y in results[b]])


def plot(results, path):
    names = list(results)
    figure = matplotlib.figure.Figure(figsize=(8, 3.6), layout="constrained")
    axis = figure.subplots()
    for index, name in enumerate(names):
        values = [r["band_error_db"] for r in results[name]]
        axis.bar(index, np.mean(values), color="C0" if name == "low" else ("C2" if "Shift" in name else "C3"), alpha=0.6)
        axis.plot(np.full(len(values), index), values, "k.", alpha=0.7)
    axis.set_xticks(range(len(names)), [n.replace(" + ", "\n+ ") for n in names], fontsize="small")
    axis.set_ylabel("band error at baseband (dB)")
    axis.set_title("frequency-bias band error, mean over seeds (dots: seeds); lower is better")
    axis.grid(True, axis="y", alpha=0.3)
    write_atomically(path, lambda temporary: figure.savefig(temporary, dpi=100))


def summarize(results, frequencies, header):
    """Prints the table and the paired comparisons; returns (means, comparisons)."""
    print(f"\n{header}")
    print(f"{'variant':<38}{'band error dB':>16}{'spectral dB':>14}{'pixel W1':>10}")
    means = {}
    for name, runs in results.items():
        means[name] = {key: float(np.mean([r[key] for r in runs])) for key in MEASURES}
        sd = np.std([r["band_error_db"] for r in runs], ddof=1) if len(runs) > 1 else 0.0
        m = means[name]
        print(f"{name:<38}{m['band_error_db']:>9.2f} ± {sd:<4.2f}{m['spectral_distance_db']:>14.2f}{m['pixel_w1']:>10.4f}")
    comparisons = {}
    print("\npaired per-seed differences of the band error (dB):")
    for f0 in frequencies:
        label = f"({f0[0]:g}, {f0[1]:g})"
        high, shifted = f"high {label}", f"high {label} + FrequencyShift"
        for a, b in ((high, "low"), (high, shifted), (shifted, "low")):
            c = comparisons[f"{a} - {b}"] = paired(results, a, b)
            print(f"  {a} - {b}: {c['mean']:+.2f} ± {c['sd']:.2f} (sd), > 0 in {c['positive']}/{c['n']} seeds, paired t-test p = {c['p']:.3f}")
    return means, comparisons


def read_runs(path, setup):
    """The runs already in `path` (one JSON object per line), keyed by (seed, variant)."""
    done = {}
    if not os.path.exists(path):
        return done
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            entry = json.loads(line)
            if entry["setup"] != setup:
                raise SystemExit(
                    f"{path}, line {number}: a run with another setup ({entry['setup']}, this one is {setup}); "
                    "use another --out"
                )
            done[(entry["seed"], entry["variant"])] = entry["scores"]
    return done


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--snapshots", type=int, default=6, help="epochs of the second half of training that are scored and averaged")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--carriers", type=float, nargs="+", default=[0.25, 0.25, 0.1875, 0.3125], help="carrier frequencies fy fx [fy fx ...] in cycles/pixel")
    parser.add_argument("--out", default="outputs/bias_study")
    parser.add_argument(
        "--summarize", action="store_true", help="train nothing: summarize the seeds of --seeds whose runs are all in --out/runs.jsonl"
    )
    args = parser.parse_args()
    if len(args.carriers) % 2:
        parser.error(f"--carriers takes pairs fy fx; received {len(args.carriers)} numbers")
    if args.epochs < 2 or args.snapshots < 1:
        parser.error("--epochs must be >= 2 and --snapshots >= 1")
    frequencies = [tuple(args.carriers[i : i + 2]) for i in range(0, len(args.carriers), 2)]
    variants = variant_names(frequencies)
    setup = {"epochs": args.epochs, "snapshots": args.snapshots, "filters": args.filters}
    os.makedirs(args.out, exist_ok=True)
    # Every finished run is appended to runs.jsonl at once, so an interrupted
    # study resumes where it stopped (same --out) instead of starting over.
    runs_path = os.path.join(args.out, "runs.jsonl")
    done = read_runs(runs_path, setup)
    started = time.time()
    for seed in args.seeds:
        for name, (carrier, shift) in variants.items():
            if (seed, name) in done:
                r = done[(seed, name)]
            elif args.summarize:
                continue
            else:
                r = done[(seed, name)] = run(carrier, shift, args.epochs, args.snapshots, seed, filters=args.filters)
                with open(runs_path, "a") as handle:
                    handle.write(json.dumps({"seed": seed, "variant": name, "setup": setup, "scores": r}) + "\n")
            print(f"seed {seed}  {name:<36} band error {r['band_error_db']:.2f} dB  spectral {r['spectral_distance_db']:.2f} dB  W1 {r['pixel_w1']:.4f}", flush=True)
    seeds = [seed for seed in args.seeds if all((seed, name) in done for name in variants)]
    if len(seeds) < 2:
        raise SystemExit(f"need at least two complete seeds to compare; complete: {seeds}")
    results = {name: [done[(seed, name)] for seed in seeds] for name in variants}
    minutes = "" if args.summarize else f", {(time.time() - started) / 60:.0f} min"
    header = (
        f"same GAN ({args.filters} filters), {args.epochs} epochs, seeds {seeds}{minutes}; scored at baseband, "
        f"mean of {args.snapshots} snapshots from epoch {args.epochs // 2} (lower is better)"
    )
    means, comparisons = summarize(results, frequencies, header)
    record = {"seeds": seeds, "runs": results, "means": means, "comparisons": comparisons, "args": vars(args)}
    write_text_atomically(os.path.join(args.out, "bias_study.json"), json.dumps(record, indent=2))
    plot(results, os.path.join(args.out, "bias_study.png"))


if __name__ == "__main__":
    main()
