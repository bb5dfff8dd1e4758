"""SSD-GAN at CPU scale: does the spectral discriminator branch make a small
SNGAN's images more like real photos?

The `dcgan-32` GAN (DCGAN generator, spectrally normalised DCGAN
discriminator, hinge loss, Adam 2e-4 / 0.5, batch 32) is trained for
`--steps` steps on 32x32 patches of every real photo the package can use
(the nine bundled photos and the installed registry photo catalogue,
`kfreqgan.data.photo_sources`), in these variants:

- `sngan`: the spatial discriminator alone;
- `ssd-gan`: with `SpectralDiscriminator` as SSD-GAN has it (Chen et al.
  2021): the generator's gradient through the spectral branch is stopped,
  so the branch only shapes the discriminator;
- `ssd-gan-diff`: the same branch, differentiable for the generator too
  (`stop_generator_gradient=False`);
- `sngan-specreg` (not run by default: `--variants ...`): no branch, but a
  spectral regulariser on the generator (`FreqGAN(spectrum_matching_weight=
  1.0)`: the L1 gap between the generated and the real batch's mean log
  radial power spectrum, rings up to 0.5 cycles/pixel, after Durall et al.);
- `sngan-specreg-corners`: the same with rings out to the corners of the
  spectrum (`spectrum_matching_max_frequency=2 ** -0.5`).

Runs are paired by seed: a seed fixes the training patches, their order,
the initial weights and the latent vectors the samples are drawn from. Each
run is scored on `--samples` generated images against as many real patches
of a draw of their own (not the training batches):

- spectral distance (`kfreqgan.spectral.spectral_distance`: the per-bin dB
  gap of the mean radial power, 16 bins up to 0.5 cycles/pixel), its RMS
  over all bins and over the bins of each `DEFAULT_BANDS` band;
- spectral detectability (Durall, Keuper & Keuper, CVPR 2020): 5-fold
  stratified cross-validated accuracy of a logistic regression on the
  standardised azimuthal average of the log power spectrum (dB, one bin per
  pixel radius up to the corner); 50% = indistinguishable;
- Frechet distance in the 64-d features of `kfreqgan.metrics.
  random_conv_extractor(32)` (fixed-seed random convolutions: no weights
  to download; not comparable with published FIDs).

One JSON line per finished run goes to `OUT/runs.jsonl`; runs already there
are skipped, so the study resumes. `--summarize` reprints the table and the
paired tests from that file. `--save-samples` keeps each run's samples
(`OUT/samples/<variant>-seed<seed>.npy`) and `--explain FILE.npy ...` shows
what the detector keys on in them (its accuracy on parts of the 1D
spectrum, the mean gap and the spread ratio per radius).

    python bench/ssd_gan_study.py [--out outputs/ssd_gan_study] [--steps 800] [--seeds 0 1 2 3 4]
        [--variants sngan ssd-gan ssd-gan-diff sngan-specreg sngan-specreg-corners] [--summarize]
"""

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kfreqgan import metrics  # noqa: E402
from kfreqgan import spectral  # noqa: E402
from kfreqgan.atomic_files import write_atomically  # noqa: E402
from kfreqgan.bands import DEFAULT_BANDS  # noqa: E402

SIZE = 32
SHORT_SIDE = 128  # photos are shrunk to this shorter side before cutting patches
TRAIN_PER_PHOTO = 128
REFERENCE_SEED = 10_000  # the evaluation reference: a draw of its own
FLOOR_SEED = 20_000  # a second real draw: what a perfect generator would score

VARIANTS = {
    "sngan": dict(spectral_discriminator=False),
    "ssd-gan": dict(spectral_discriminator=True, spectral_stop_gradient=True),
    "ssd-gan-diff": dict(spectral_discriminator=True, spectral_stop_gradient=False),
    # Not a discriminator branch: a spectral regulariser on the generator
    # (losses.spectrum_matching_loss, weight 1, not tuned).
    "sngan-specreg": dict(spectral_discriminator=False, spectrum_matching_weight=1.0),
    # The same with its rings out to the corners of the spectrum (2 ** -0.5
    # cycles/pixel), where the generator's checkerboard lies.
    "sngan-specreg-corners": dict(
        spectral_discriminator=False, spectrum_matching_weight=1.0, spectrum_matching_max_frequency=2**-0.5
    ),
}
MAIN_VARIANTS = ("sngan", "ssd-gan", "ssd-gan-diff")
WIDTH = 21  # table column width

# (key, label, format); lower is better, except the signed high-band gap (0 is best).
METRICS = (
    ("spectral_db", "spectral dB", "{:.2f}"),
    ("spectral_low_db", "low dB", "{:.2f}"),
    ("spectral_mid_db", "mid dB", "{:.2f}"),
    ("spectral_high_db", "high dB", "{:.2f}"),
    ("high_gap_db", "high gap dB", "{:+.2f}"),
    ("detectability", "detect %", "{:.1f}"),
    ("fd", "FD", "{:.2f}"),
)


# ---------------------------------------------------------------------------
# Data.
# ---------------------------------------------------------------------------


def _shrink(photo, short_side):
    import tensorflow as tf

    scale = short_side / min(photo.shape[:2])
    shape = (max(int(round(photo.shape[0] * scale)), SIZE), max(int(round(photo.shape[1] * scale)), SIZE))
    return np.clip(tf.image.resize(photo, shape, method="area", antialias=True).numpy(), 0.0, 1.0)


def load_all_photos(short_side=SHORT_SIDE):
    """Every real photo the package can use, shrunk to `short_side`: `(names, photos)`.

    The bundled photos (`kfreqgan.data.PHOTO_NAMES`, training and held-out:
    an unconditional GAN has no held-out images, its reference is a separate
    draw of patches) and the installed registry catalogue; a catalogue
    package that is not installed is left out (and named).
    """
    from kfreqgan.data import PHOTO_NAMES
    from kfreqgan.data import load_photo
    from kfreqgan.data import photo_sources

    names = list(PHOTO_NAMES)
    photos = [_shrink(load_photo(name), short_side) for name in PHOTO_NAMES]
    missing = []
    # Release 1 of the catalogue: the photos the recorded study figures were measured on.
    for package in photo_sources.packages_of(1):
        try:
            found = photo_sources.installed_photos(package, release=1)
        except FileNotFoundError:
            missing.append(package)
            continue
        for photo in found:
            names.append(photo.key)
            photos.append(_shrink(photo_sources.read_photo(photo, max_side=4 * short_side), short_side))
    if missing:
        print(f"photo catalogue packages not installed, left out: {', '.join(missing)}")
    return names, photos


def cut_patches(photos, per_photo, seed, size=SIZE):
    """`per_photo` random `size` squares of each photo (random left-right flips), float32 NHWC."""
    rng = np.random.default_rng(seed)
    patches = []
    for photo in photos:
        height, width = photo.shape[:2]
        for _ in range(per_photo):
            y, x = rng.integers(0, height - size + 1), rng.integers(0, width - size + 1)
            patch = photo[y : y + size, x : x + size]
            patches.append(patch[:, ::-1] if rng.random() < 0.5 else patch)
    return np.stack(patches).astype(np.float32)


def reference_patches(photos, count, seed):
    """`count` patches, spread evenly over the photos, from a draw seeded `seed`."""
    per_photo = -(-count // len(photos))
    patches = cut_patches(photos, per_photo, seed)
    return patches[np.random.default_rng(seed).permutation(len(patches))[:count]]


# ---------------------------------------------------------------------------
# Measures (pure functions of image sets; tested in tests/test_ssd_gan_study.py).
# ---------------------------------------------------------------------------


def spectral_scores(real, fake, bands=DEFAULT_BANDS):
    """Spectral distance of `fake` to `real` in dB (`spectral.spectral_distance`,
    16 bins to 0.5 cycles/pixel): the RMS over all bins (`spectral_db`), over
    the bins whose centre lies in each band (`spectral_<band>_db`), the signed
    mean gap of the high band (`high_gap_db`, < 0: too little power) and the
    per-bin gaps."""
    result = spectral.spectral_distance(real, fake)
    per_bin = result.per_bin.numpy().astype(np.float64)
    centres = result.frequencies.numpy()
    scores = {"spectral_db": float(result.distance.numpy()), "per_bin_db": [round(float(v), 3) for v in per_bin]}
    for name, (low, high) in bands.items():
        inside = (centres >= low) & (centres < (np.inf if high is None else high))
        scores[f"spectral_{name}_db"] = float(np.sqrt(np.mean(per_bin[inside] ** 2)))
        if name == "high":
            scores["high_gap_db"] = float(per_bin[inside].mean())
    return scores


def spectrum_features(images):
    """Durall et al.'s 1D spectrum: the azimuthal average of the grey log power
    (dB), one bin per integer pixel radius up to the corner, `(N, 23)` at 32x32."""
    return spectral.radial_power_db(images, binning="integer").numpy()[..., 0]


def detectability(real, fake, folds=5, seed=0):
    """Cross-validated accuracy of telling `fake` from `real` by their 1D
    spectra: standardised `spectrum_features`, logistic regression, stratified
    `folds`-fold CV (shuffled with `seed`). 0.5 = indistinguishable."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([spectrum_features(real), spectrum_features(fake)])
    y = np.concatenate([np.zeros(len(real)), np.ones(len(fake))])
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(classifier, x, y, cv=cv, scoring="accuracy").mean())


def frechet(real_features, fake_features):
    """Frechet distance between two feature sets (Gaussian fits)."""
    return float(
        metrics.frechet_distance(*metrics.feature_statistics(real_features), *metrics.feature_statistics(fake_features))
    )


def measure(real, real_features, images, embed):
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    return {
        **spectral_scores(real, images),
        "detectability": 100.0 * detectability(real, images),
        "fd": frechet(real_features, embed(images)),
    }


def paired_test(a, b):
    """Paired comparison of `a - b` over seeds: mean, sd (ddof 1), how many are
    < 0 (a better where lower is better), paired t-test and Wilcoxon
    signed-rank p-values (two-sided; with 5 pairs the Wilcoxon p cannot go
    below 0.0625)."""
    import scipy.stats

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = a - b
    nonzero = diff[diff != 0]
    return {
        "mean": float(diff.mean()),
        "sd": float(diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
        "lower": int((diff < 0).sum()),
        "n": len(diff),
        "t_p": float(scipy.stats.ttest_rel(a, b).pvalue) if len(diff) > 1 else float("nan"),
        "wilcoxon_p": float(scipy.stats.wilcoxon(a, b).pvalue) if len(nonzero) else 1.0,
    }


# ---------------------------------------------------------------------------
# Training.
# ---------------------------------------------------------------------------


def train_one(name, seed, steps, photos, real, real_features, embed, samples, save_dir=None):
    import tensorflow as tf

    from kfreqgan.models import SpectralDiscriminator
    from kfreqgan.training import configs
    from kfreqgan.training import train

    config = configs.get_config("dcgan-32", dict(VARIANTS[name], seed=seed))
    keras.utils.set_random_seed(seed)
    patches = cut_patches(photos, TRAIN_PER_PHOTO, seed)
    batch = config["batch_size"]
    dataset = (
        tf.data.Dataset.from_tensor_slices(patches)
        .shuffle(len(patches), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    gan = train.compiled_gan(config)
    chunk = min(100, steps)
    started = time.perf_counter()
    history = gan.fit(dataset, epochs=steps // chunk, steps_per_epoch=chunk, verbose=0).history
    seconds = time.perf_counter() - started
    latent = np.random.default_rng(1000 + seed).standard_normal((samples, config["latent_dim"])).astype(np.float32)
    images = gan.generator.predict(latent, batch_size=256, verbose=0)
    if save_dir:
        os.makedirs(save_dir, exist_ok=True)
        samples = np.clip(images, 0.0, 1.0).astype(np.float32)
        write_atomically(os.path.join(save_dir, f"{name}-seed{seed}.npy"), lambda temporary: np.save(temporary, samples))
    row = {
        "variant": name,
        "seed": seed,
        "steps": (steps // chunk) * chunk,
        "samples": samples,
        "seconds": round(seconds, 1),
        "finite": bool(all(np.all(np.isfinite(v)) for v in history.values())),
        "d_loss": [round(float(v), 4) for v in history["d_loss"]],
        "g_loss": [round(float(v), 4) for v in history["g_loss"]],
        **measure(real, real_features, images, embed),
    }
    if isinstance(gan.discriminator, SpectralDiscriminator):
        # How well the spectral branch itself tells the reference from the
        # samples at the end: mean logit gap and its sign accuracy.
        real_logits = gan.discriminator.spectral_logits(tf.constant(real)).numpy().ravel()
        fake_logits = gan.discriminator.spectral_logits(tf.constant(np.clip(images, 0, 1))).numpy().ravel()
        threshold = 0.5 * (real_logits.mean() + fake_logits.mean())
        row["spectral_logit_gap"] = float(real_logits.mean() - fake_logits.mean())
        row["spectral_branch_accuracy"] = float(
            0.5 * ((real_logits > threshold).mean() + (fake_logits <= threshold).mean())
        )
    return row


def explain(real, fake, name):
    """What the detector keys on: its accuracy on parts of the 1D spectrum,
    and how each set's per-image spectra spread."""
    feature_real, feature_fake = spectrum_features(real), spectrum_features(fake)
    parts = {
        "all radii 0..22": slice(0, 23),
        "radii 1..15 (0.03-0.47 c/p)": slice(1, 16),
        "radii 16..22 (the corners)": slice(16, 23),
        "radii 1..4 (< 0.16 c/p)": slice(1, 5),
        "radii 5..10": slice(5, 11),
        "radii 11..15": slice(11, 16),
    }
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def accuracy(x_real, x_fake):
        x = np.concatenate([x_real, x_fake])
        y = np.concatenate([np.zeros(len(x_real)), np.ones(len(x_fake))])
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        return 100 * cross_val_score(classifier, x, y, cv=cv, scoring="accuracy").mean()

    print(f"\n{name}: detectability (%) from parts of the 1D log spectrum (dB per integer pixel radius)")
    for label, part in parts.items():
        print(f"  {label:<30}{accuracy(feature_real[:, part], feature_fake[:, part]):6.1f}")
    # The same features with each image's own mean level removed (spectral shape only).
    shape_real = feature_real[:, 1:16] - feature_real[:, 1:16].mean(axis=1, keepdims=True)
    shape_fake = feature_fake[:, 1:16] - feature_fake[:, 1:16].mean(axis=1, keepdims=True)
    print(f"  {'radii 1..15, own mean removed':<30}{accuracy(shape_real, shape_fake):6.1f}")
    gap = feature_fake.mean(axis=0) - feature_real.mean(axis=0)
    spread = feature_fake.std(axis=0) / feature_real.std(axis=0)
    print("  per radius 0..22: mean gap fake - real (dB) and sd(fake) / sd(real)")
    print("   gap  " + " ".join(f"{v:+5.1f}" for v in gap))
    print("   sd   " + " ".join(f"{v:5.2f}" for v in spread))


# ---------------------------------------------------------------------------
# Reporting.
# ---------------------------------------------------------------------------


def load_runs(path):
    done = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    done[(row["variant"], row["seed"], row["steps"], row["samples"])] = row
    return done


def summarize(done, variants, seeds, steps, samples, floor=None):
    print(
        f"\ndcgan-32 (DCGAN G, SN DCGAN D, hinge), {steps} steps of batch 32, seeds {list(seeds)}; "
        f"{samples} samples vs {samples} reference patches; mean (min..max) over seeds; lower is better"
    )
    header = f"  {'variant':<22}" + "".join(f"{label:>{WIDTH}}" for _, label, _ in METRICS) + f"{'s/run':>7}"
    print(header)
    if floor:
        cells = "".join(fmt.format(floor[key]).rjust(WIDTH) for key, _, fmt in METRICS)
        print(f"  {'real vs real':<22}" + cells)
    for name in variants:
        rows = [done[(name, s, steps, samples)] for s in seeds if (name, s, steps, samples) in done]
        if not rows:
            continue
        cells = []
        for key, _, fmt in METRICS:
            values = [row[key] for row in rows]
            cell = f"{fmt.format(statistics.mean(values))} ({fmt.format(min(values))}..{fmt.format(max(values))})"
            cells.append(cell.rjust(WIDTH))
        seconds = statistics.mean(row["seconds"] for row in rows)
        flags = "" if all(r["finite"] for r in rows) else "  NaN!"
        print(f"  {name:<22}" + "".join(cells) + f"{seconds:7.0f}" + (f"  ({len(rows)} seeds)" if len(rows) != len(seeds) else "") + flags)
    for name in variants:
        rows = [done[(name, s, steps, samples)] for s in seeds if (name, s, steps, samples) in done]
        if rows and "spectral_logit_gap" in rows[0]:
            gaps = [r["spectral_logit_gap"] for r in rows]
            accuracy = [100 * r["spectral_branch_accuracy"] for r in rows]
            print(
                f"  {name}: spectral branch at the end, logit(real) - logit(fake) {statistics.mean(gaps):+.3f} "
                f"({min(gaps):+.3f}..{max(gaps):+.3f}), its accuracy {statistics.mean(accuracy):.1f}% "
                f"({min(accuracy):.1f}..{max(accuracy):.1f})"
            )
    print("\n  mean per-bin gap fake - real (dB), bin centres in cycles/pixel:")
    centres = spectral.radial_bin_frequencies(SIZE, SIZE)
    print(f"  {'':<22}" + "".join(f"{c:6.3f}" for c in centres))
    for name in variants:
        rows = [done[(name, s, steps, samples)] for s in seeds if (name, s, steps, samples) in done]
        if rows:
            mean_bins = np.mean([r["per_bin_db"] for r in rows], axis=0)
            print(f"  {name:<22}" + "".join(f"{v:+6.1f}" for v in mean_bins))

    # Every variant against the first (the baseline), and the two branches against each other.
    pairs = [(other, variants[0]) for other in variants[1:]]
    if "ssd-gan" in variants[1:] and "ssd-gan-diff" in variants[1:]:
        pairs.append(("ssd-gan-diff", "ssd-gan"))
    if pairs:
        print("\n  paired differences over seeds (a - b; < 0: a better): mean ± sd, a lower in k/n, t-test p, Wilcoxon p")
    for other, base in pairs:
        common = [s for s in seeds if (other, s, steps, samples) in done and (base, s, steps, samples) in done]
        if len(common) < 2:
            continue
        print(f"  {other} - {base} ({len(common)} seeds):")
        for key, label, fmt in METRICS:
            a = [done[(other, s, steps, samples)][key] for s in common]
            b = [done[(base, s, steps, samples)][key] for s in common]
            if key == "high_gap_db":  # signed: compare its size
                a, b, label = np.abs(a), np.abs(b), "|high gap| dB"
            t = paired_test(a, b)
            print(
                f"    {label:<13}{t['mean']:+8.3f} ± {t['sd']:.3f}   lower {t['lower']}/{t['n']}   "
                f"t p = {t['t_p']:.3f}   Wilcoxon p = {t['wilcoxon_p']:.3f}"
            )


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} CPU cores, {platform.machine()}, {model}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/ssd_gan_study")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--variants", nargs="+", default=list(MAIN_VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--summarize", action="store_true", help="only reprint the results in OUT/runs.jsonl")
    parser.add_argument("--save-samples", action="store_true", help="keep each run's samples in OUT/samples/")
    parser.add_argument("--explain", nargs="+", metavar="SAMPLES.npy", help="only run `explain` on saved samples")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "runs.jsonl")
    done = load_runs(path)
    steps = (args.steps // min(100, args.steps)) * min(100, args.steps)
    print(f"# {machine()}")

    names, photos = load_all_photos()
    bundled = sum(1 for name in names if "/" not in name)
    print(
        f"{len(photos)} photos ({bundled} bundled, {len(photos) - bundled} from the registry catalogue), "
        f"shorter side {SHORT_SIDE} px; {TRAIN_PER_PHOTO * len(photos)} training patches per seed "
        f"({TRAIN_PER_PHOTO} per photo), {args.samples} reference patches (seed {REFERENCE_SEED})"
    )
    embed = metrics.random_conv_extractor(SIZE)
    real = reference_patches(photos, args.samples, REFERENCE_SEED)
    real_features = embed(real)
    other = reference_patches(photos, args.samples, FLOOR_SEED)
    floor = measure(real, real_features, other, embed)

    if args.explain:
        for sample_path in args.explain:
            explain(real, np.load(sample_path), os.path.basename(sample_path))
        return
    if not args.summarize:
        for seed in args.seeds:
            for name in args.variants:
                if (name, seed, steps, args.samples) in done:
                    continue
                save_dir = os.path.join(args.out, "samples") if args.save_samples else None
                row = train_one(name, seed, steps, photos, real, real_features, embed, args.samples, save_dir)
                done[(name, seed, steps, args.samples)] = row
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
                print(
                    f"seed {seed}  {name:<15} spectral {row['spectral_db']:.2f} dB (high {row['spectral_high_db']:.2f}, "
                    f"gap {row['high_gap_db']:+.2f})  detect {row['detectability']:.1f}%  FD {row['fd']:.3f}  "
                    f"({row['seconds']} s)",
                    flush=True,
                )
    summarize(done, list(args.variants), args.seeds, steps, args.samples, floor)


if __name__ == "__main__":
    main()
