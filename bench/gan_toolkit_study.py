"""What the fidelity/diversity metrics say that FID does not, and what each
stabilizer does to a small GAN, on the bundled photos.

Part 1 (`metrics`): the reference set is 256 random 32x32 patches of the
bundled training photos; each candidate set has 256 images as well: other
patches of the same photos (the best a generator can do), patches of only 2
of the 6 photos (mode dropping), all photos blurred (sigma 1 px) or with
noise (sigma 0.08), and one patch repeated (total collapse). For each:
FID, precision, recall, density, coverage, the PRD summaries F8/F1/8 and
the diversity ratio, all on the features of a small random-init conv net
(64-d; no Inception weights are needed or downloaded).

Part 2 (`gans`): the `dcgan-32` GAN (DCGAN generator, SSD-GAN
discriminator, hinge loss) trained on the training photos' patches with no
stabilizer and with each stabilizer alone, for `--epochs` epochs and
`--seeds` seeds, then measured as in part 1 on 256 samples against the
part-1 reference patches (a draw of their own, not the training batches). One line per run goes to
`OUT/runs.jsonl`; runs already there are skipped, so the study resumes.

    python bench/gan_toolkit_study.py [--out outputs/gan_toolkit] [--epochs 12] [--seeds 3] [--part all]
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import scipy.ndimage  # noqa: E402

from kfreqgan import fidelity_diversity as fd  # noqa: E402
from kfreqgan import metrics  # noqa: E402
from kfreqgan.data import TRAIN_PHOTOS  # noqa: E402
from kfreqgan.data import photo_patches  # noqa: E402

SIZE = 32
COUNT = 256

VARIANTS = {
    "none": {},
    "r1 (gamma 0.1)": dict(gradient_penalty="r1", gradient_penalty_weight=0.1),
    "r1 lazy (gamma 0.1, every 4)": dict(gradient_penalty="r1", gradient_penalty_weight=0.1, gradient_penalty_interval=4),
    "wgan-gp (lambda 10)": dict(adversarial_loss="wasserstein", gradient_penalty="wgan_gp", gradient_penalty_weight=10.0),
    "minibatch std": dict(minibatch_std=True),
    "feature matching (1.0)": dict(feature_matching_weight=1.0),
    "instance noise (0.1, linear)": dict(instance_noise=0.1, instance_noise_decay="linear"),
}


def measure(real_features, images, embed):
    fake = embed(np.clip(images, 0, 1))
    result = fd.prdc(real_features, fake, nearest_k=5)
    curve = fd.prd_curve(real_features, fake, num_runs=5)
    return {
        "fid": metrics.frechet_distance(*metrics.feature_statistics(real_features), *metrics.feature_statistics(fake)),
        **result._asdict(),
        "prd_f8": curve.f_beta,
        "prd_f1_8": curve.f_beta_inv,
        "diversity": fd.diversity_ratio(real_features, fake),
    }


def reference_patches(seed):
    per_photo = COUNT // len(TRAIN_PHOTOS) + 1
    patches = photo_patches(TRAIN_PHOTOS, SIZE, per_photo, seed=seed, short_side=128)
    return patches[np.random.default_rng(seed).permutation(len(patches))[:COUNT]]


def part_metrics(embed):
    real = reference_patches(100)
    real_features = embed(real)
    other = reference_patches(200)
    rng = np.random.default_rng(0)
    two = photo_patches(TRAIN_PHOTOS[:2], SIZE, COUNT // 2, seed=300, short_side=128)
    candidates = {
        "other real patches": other,
        f"mode dropping ({' + '.join(TRAIN_PHOTOS[:2])} only)": two,
        "blurred (sigma 1 px)": scipy.ndimage.gaussian_filter(other, sigma=(0, 1, 1, 0)),
        "noisy (sigma 0.08)": np.clip(other + rng.normal(0, 0.08, other.shape), 0, 1).astype(np.float32),
        "collapsed (one patch)": np.repeat(other[:1], COUNT, axis=0),
    }
    print(f"Part 1: {COUNT} candidate images vs {COUNT} real patches of {', '.join(TRAIN_PHOTOS)} ({SIZE}x{SIZE})")
    header = f"  {'candidate set':<40}{'FID':>8}{'prec':>7}{'recall':>7}{'dens':>7}{'cover':>7}{'F1/8':>7}{'F8':>7}{'divers':>8}"
    print(header)
    for name, images in candidates.items():
        m = measure(real_features, images, embed)
        print(
            f"  {name:<40}{m['fid']:8.2f}{m['precision']:7.2f}{m['recall']:7.2f}{m['density']:7.2f}"
            f"{m['coverage']:7.2f}{m['prd_f1_8']:7.2f}{m['prd_f8']:7.2f}{m['diversity']:8.2f}"
        )


def train_one(name, options, seed, epochs, embed, real_features):
    from kfreqgan.training import configs
    from kfreqgan.training import train

    config = configs.get_config("dcgan-32", dict(options, seed=seed, epochs=epochs, patches_per_photo=128))
    keras.utils.set_random_seed(seed)
    dataset, _ = train.unconditional_data(config, config["batch_size"])
    gan = train.build_gan(config)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    started = time.perf_counter()
    history = gan.fit(dataset, epochs=epochs, verbose=0).history
    seconds = time.perf_counter() - started
    latent = np.random.default_rng(1000 + seed).standard_normal((COUNT, config["latent_dim"])).astype(np.float32)
    samples = gan.predict(latent, verbose=0)
    result = measure(real_features, samples, embed)
    finite = all(np.all(np.isfinite(v)) for v in history.values())
    return {"variant": name, "seed": seed, "epochs": epochs, "seconds": round(seconds, 1), "finite": bool(finite), **result}


def part_gans(embed, out, epochs, seeds):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "runs.jsonl")
    done = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                done[(row["variant"], row["seed"], row["epochs"])] = row
    # The part-1 reference: a draw of patches of its own (seed 100), not the
    # training batches (they come from the same photos).
    real_features = embed(reference_patches(100))
    for seed in range(seeds):
        for name, options in VARIANTS.items():
            if (name, seed, epochs) in done:
                continue
            row = train_one(name, options, seed, epochs, embed, real_features)
            done[(name, seed, epochs)] = row
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
            print(f"  done {name} seed {seed}: fid {row['fid']:.2f} ({row['seconds']} s)", flush=True)
    print(f"Part 2: dcgan-32 (SSD-GAN discriminator, hinge), {epochs} epochs of 24 steps x 32, "
          f"seeds 0..{seeds - 1}; mean (min..max over seeds) on {COUNT} samples")
    keys = ("fid", "precision", "recall", "density", "coverage", "diversity")
    print(f"  {'stabilizer':<30}" + "".join(f"{k[:9]:>17}" for k in keys) + f"{'s/run':>8}")
    for name in VARIANTS:
        rows = [done[(name, seed, epochs)] for seed in range(seeds) if (name, seed, epochs) in done]
        if not rows:
            continue
        cells = []
        for key in keys:
            values = [row[key] for row in rows]
            cells.append(f"{statistics.mean(values):7.2f} ({min(values):.2f}..{max(values):.2f})".rjust(17))
        seconds = statistics.mean(row["seconds"] for row in rows)
        print(f"  {name:<30}" + "".join(cells) + f"{seconds:8.0f}" + ("" if all(r["finite"] for r in rows) else "  NaN!"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/gan_toolkit")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--part", choices=("all", "metrics", "gans"), default="all")
    args = parser.parse_args()
    embed = metrics.random_conv_extractor(SIZE)
    if args.part in ("all", "metrics"):
        part_metrics(embed)
    if args.part in ("all", "gans"):
        part_gans(embed, args.out, args.epochs, args.seeds)


if __name__ == "__main__":
    main()
