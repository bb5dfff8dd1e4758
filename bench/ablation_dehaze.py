"""Dehazing study: the spatial twin vs frequency-aware dehazers at equal wall time.

Trains the `dehaze-demo` configuration (32x32 patches of the bundled training
photos, haze synthesised on the fly, U-Net with the scattering head) once per
variant and seed, every variant for the same *wall time*, and scores each run
on held-out photos it never saw:

- `patches`: the config's held-out 32x32 patches (astronaut, coffee, china);
- `whole128` / `whole256`: those three photos whole (largest centred
  square at 128x128 and 256x256), dehazed by a fully convolutional copy of
  the generator with the trained weights;
- `catalogue256`: the held-out split of `kfreqgan.data.photo_sources` (photos
  of the installed wallpaper packages, never trained on here either), whole,
  256x256 (skipped when no catalogue photo is installed).

Metrics (`kfreqgan.training.train.image_quality`): PSNR, SSIM and HF err, the
mean |dB gap| of the radial power above 0.25 cycles/pixel to the clean
images. The whole-photo test sets and their haze are fixed; the held-out
patches are drawn (crops and haze) with the run's seed, so they are the same
for every variant of a seed but differ between seeds.

Equal wall time: first a calibration times every variant's training steps
side by side in this process (alternating rounds of `--calibration-steps`
steps after a warm-up, each step timed; the median over a variant's timed
steps is its seconds per step); then each
variant trains for `round(budget / its seconds per step)` steps, so a slower
variant trains fewer steps. The calibration is written to
`OUT/calibration.json` and reused by later runs into the same OUT, or taken
from `--calibration FILE`, so that rerunning one seed trains the same step
counts. A variant missing from the stored calibration is timed beside the
reference variant and scaled to the reference's stored time.

Seeds are paired: seed `s` gives every variant the same training patches,
haze draws and global random seed (weights differ where the architectures
do). Each finished run is one JSON line in `OUT/runs.jsonl`; a run already
there is skipped, so the study resumes after an interruption and `--seeds 2`
reruns one seed. The summary (per-seed values, mean, min..max and, for each
variant against the reference, paired differences with their sign count and a
paired t-test) is printed and written to `OUT/summary.json`.

Variants (`--variants`, or `--variant NAME:key=value,key=value` for others;
the keys are `dehaze-demo` config overrides):

    python bench/ablation_dehaze.py --variants spatial default band-log-w2 --seeds 1 2 3 --out /work/runs/dehaze_study
    python bench/ablation_dehaze.py --seeds 2 --calibration bench/dehaze_study_calibration.json --out outputs/dehaze_rerun

The first is the study in BENCHMARKS.md; its calibration (the step counts
every variant trained) is kept in `bench/dehaze_study_calibration.json`, so
the second reruns one of its seeds with the same steps on any machine.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan.atomic_files import write_text_atomically  # noqa: E402
from kfreqgan.training import configs  # noqa: E402
from kfreqgan.training import demo  # noqa: E402
from kfreqgan.training import train  # noqa: E402

_PARTS_OFF = {"frequency_inputs": False, "frequency_discriminator": False}
VARIANTS = {
    # The spatial twin: plain U-Net input, PatchGAN on [hazy, image], L1 + adversarial.
    "spatial": {"frequency_aware": False},
    # The dehaze-demo default before this study: band inputs, band discriminator branch, focal loss.
    "default": {"frequency_aware": True, "frequency_inputs": True, "frequency_discriminator": True, "frequency_loss": "focal"},
    # A frequency loss on the spatial twin's networks only.
    "focal": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "focal"},
    "focal-log": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "focal_log"},
    "radial": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "radial"},
    "band-log": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "band_log"},
    # The screening's pick: the band-weighted log-spectral loss at weight 2 (about 1/4 of the L1 term).
    "band-log-w2": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "band_log", "frequency_weight": 2.0},
    "radial-w2": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "radial", "frequency_weight": 2.0},
    "band-log-w5": {"frequency_aware": True, **_PARTS_OFF, "frequency_loss": "band_log", "frequency_weight": 5.0},
    # Band-split generator inputs (no band discriminator branch).
    "bands": {"frequency_aware": True, "frequency_inputs": True, "frequency_discriminator": False, "frequency_loss": None},
    "bands+band-log": {"frequency_aware": True, "frequency_inputs": True, "frequency_discriminator": False, "frequency_loss": "band_log"},
    "bands+radial": {"frequency_aware": True, "frequency_inputs": True, "frequency_discriminator": False, "frequency_loss": "radial"},
}
METRICS = (("psnr", "PSNR dB", 1), ("ssim", "SSIM", 1), ("high_frequency_error_db", "HF err dB", -1))  # sign: +1 higher is better
SCOPES = ("patches", "whole128", "whole256", "catalogue256")
EVAL_HAZE_SEED = 2024


def parse_variant(text):
    """`NAME:key=value,key=value` -> (name, overrides)."""
    if ":" not in text:
        raise ValueError(f"--variant expects NAME:key=value,key=value. Received: {text!r}")
    name, pairs = text.split(":", 1)
    return name, train.parse_overrides([pair for pair in pairs.split(",") if pair])


def make_config(overrides, seed):
    return configs.get_config("dehaze-demo", {**overrides, "seed": seed})


def build(config):
    """(gan compiled as kfreqgan-train compiles it, repeating train dataset, eval_hazy, eval_clean)."""
    keras.backend.clear_session()
    gc.collect()
    keras.utils.set_random_seed(config["seed"])
    dataset, eval_hazy, eval_clean = train.dehazing_data(config, config["batch_size"])
    return train.compiled_gan(config), dataset.repeat(), eval_hazy, eval_clean


class StepTimer(keras.callbacks.Callback):
    """Seconds of each training step (batch begin to end: data, D and G steps)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_train_batch_begin(self, batch, logs=None):
        self._started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


def calibrate(variants, steps, rounds, warmup):
    """Median seconds per training step of each variant, timed step by step in
    alternating rounds (the median over all timed steps shrugs off the load
    spikes of a shared machine, which hit whichever variant runs then)."""
    built = {}
    for name, overrides in variants.items():
        config = make_config(overrides, 0)
        keras.utils.set_random_seed(0)
        dataset, _, _ = train.dehazing_data(config, config["batch_size"])
        gan = train.compiled_gan(config)
        iterator = dataset.repeat()
        gan.fit(iterator, epochs=1, steps_per_epoch=warmup, shuffle=False, verbose=0)  # traces and warms up
        built[name] = (gan, iterator)
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (gan, iterator) in built.items():
            timer = StepTimer()
            gan.fit(iterator, epochs=1, steps_per_epoch=steps + 1, shuffle=False, verbose=0, callbacks=[timer])
            times[name].extend(timer.seconds[1:])  # the first waits for the new iterator's first batch
    del built
    keras.backend.clear_session()
    gc.collect()
    return {name: statistics.median(values) for name, values in times.items()}, times


def catalogue_heldout(size):
    """Held-out catalogue photos (centred squares, `size` pixels), or None."""
    from kfreqgan.data import center_crop
    from kfreqgan.data import photo_sources

    # Release 1: the photos the recorded ablation figures were measured on.
    photos = photo_sources.split_photos(photo_sources.installed_photos(release=1))["heldout"]
    if not photos:
        return None
    return np.stack([center_crop(photo_sources.read_photo(photo, max_side=2 * size), size) for photo in photos])


def score_whole(generator, config, clean):
    from kfreqgan.data import make_hazy_pairs

    hazy = make_hazy_pairs(clean, EVAL_HAZE_SEED, beta_range=config["beta_range"], airlight_range=config["airlight_range"])[0].numpy()
    any_size = train.size_free_generator(generator, config)
    dehazed = tf.clip_by_value(any_size(hazy, training=False), 0.0, 1.0).numpy()
    return train.image_quality(clean, dehazed), train.image_quality(clean, hazy)


def run_one(name, overrides, seed, steps, catalogue):
    config = make_config(overrides, seed)
    gan, dataset, eval_hazy, eval_clean = build(config)
    started = time.time()
    gan.fit(dataset, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    seconds = time.time() - started
    logs = {k: float(np.asarray(v).mean()) for k, v in gan.get_metrics_result().items()}
    if not all(np.isfinite(v) for v in logs.values()):
        raise RuntimeError(f"{name}, seed {seed}: a loss is not finite: {logs}")
    dehazed = gan.predict(eval_hazy, batch_size=config["batch_size"], verbose=0)
    scores = {"patches": train.image_quality(eval_clean, dehazed)}
    hazy_scores = {"patches": train.image_quality(eval_clean, eval_hazy)}
    for size in (128, 256):
        clean, hazy, whole = demo.dehaze_whole_photos(gan.generator, config, size=size, seed=EVAL_HAZE_SEED)
        scores[f"whole{size}"] = train.image_quality(clean, whole)
        hazy_scores[f"whole{size}"] = train.image_quality(clean, hazy)
    if catalogue is not None:
        scores["catalogue256"], hazy_scores["catalogue256"] = score_whole(gan.generator, config, catalogue)
    return {
        "variant": name,
        "seed": seed,
        "overrides": overrides,
        "steps": steps,
        "epochs_equivalent": round(steps * config["batch_size"] / (config["patches_per_photo"] * len(config["train_photos"])), 2),
        "train_seconds": round(seconds, 1),
        "final_logs": logs,
        "scores": scores,
        "hazy": hazy_scores,
    }


def paired_test(differences):
    from scipy import stats

    differences = np.asarray(differences, float)
    if len(differences) < 2 or np.all(differences == differences[0]):
        return float("nan")
    return float(stats.ttest_rel(differences, np.zeros_like(differences)).pvalue)


def summarise(runs, variants, reference, seeds):
    """Per-seed values, means, spreads and paired differences against `reference`."""
    by = {(r["variant"], r["seed"]): r for r in runs}
    summary, lines = {"reference": reference, "seeds": seeds, "variants": {}}, []
    scopes = [s for s in SCOPES if all(s in r["scores"] for r in runs)]
    hazy_run = next(iter(runs))
    for scope in scopes:
        lines.append(f"\n[{scope}] hazy input: " + ", ".join(f"{label} {hazy_run['hazy'][scope][key]:.3f}" for key, label, _ in METRICS))
        lines.append(f"{'variant':<16}{'steps':>7}{'train s':>9}" + "".join(f"{label + ' mean [min..max]':>30}" for _, label, _ in METRICS))
        for name in variants:
            have = [by[(name, s)] for s in seeds if (name, s) in by]
            if not have:
                continue
            row = f"{name:<16}{statistics.mean(r['steps'] for r in have):>7.0f}{statistics.mean(r['train_seconds'] for r in have):>9.0f}"
            entry = summary["variants"].setdefault(name, {})
            for key, label, _ in METRICS:
                values = [r["scores"][scope][key] for r in have]
                entry.setdefault(scope, {})[key] = {
                    "per_seed": dict(zip([r["seed"] for r in have], values)),
                    "mean": float(np.mean(values)),
                    "min": float(np.min(values)),
                    "max": float(np.max(values)),
                }
                row += f"{f'{np.mean(values):.3f} [{np.min(values):.3f}..{np.max(values):.3f}]':>30}"
            lines.append(row)
        for name in variants:
            if name == reference:
                continue
            paired = [s for s in seeds if (name, s) in by and (reference, s) in by]
            if not paired:
                continue
            row = f"  {name} - {reference} (seeds {paired}):"
            for key, label, sign in METRICS:
                diffs = [by[(name, s)]["scores"][scope][key] - by[(reference, s)]["scores"][scope][key] for s in paired]
                better = sum(1 for d in diffs if sign * d > 0)
                p = paired_test(diffs)
                summary["variants"][name][scope][key]["paired_vs_reference"] = {
                    "differences": dict(zip(paired, diffs)),
                    "mean_difference": float(np.mean(diffs)),
                    "better_in": better,
                    "of": len(diffs),
                    "t_test_p": p,
                }
                row += f"  {label} {np.mean(diffs):+.3f} (better {better}/{len(diffs)}, p={p:.3f})"
            lines.append(row)
    return summary, "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["spatial", "default", "band-log-w2"], help=f"from {sorted(VARIANTS)}")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:key=value,...", help="an extra variant")
    parser.add_argument("--reference", default="spatial", help="the variant the others are compared with")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--budget-seconds", type=float, default=120.0, help="training time of every variant, in calibrated seconds")
    parser.add_argument("--calibration", help="a calibration.json to reuse (default: OUT/calibration.json if there)")
    parser.add_argument("--calibration-steps", type=int, default=5, help="timed steps per variant and round")
    parser.add_argument("--calibration-rounds", type=int, default=30)
    parser.add_argument("--out", default="outputs/dehaze_study")
    parser.add_argument("--summary-only", action="store_true", help="summarise OUT/runs.jsonl, train nothing")
    args = parser.parse_args()

    variants = {}
    for name in args.variants:
        if name not in VARIANTS:
            parser.error(f"unknown variant {name!r}; known: {', '.join(sorted(VARIANTS))}")
        variants[name] = VARIANTS[name]
    for text in args.variant:
        name, overrides = parse_variant(text)
        variants[name] = overrides
    if args.reference not in variants:
        parser.error(f"--reference {args.reference!r} is not among the variants {list(variants)}")
    for overrides in variants.values():
        make_config(overrides, 0)  # a bad override fails here, before any training
    os.makedirs(args.out, exist_ok=True)
    runs_path = os.path.join(args.out, "runs.jsonl")
    runs = []
    if os.path.exists(runs_path):
        with open(runs_path) as handle:
            runs = [json.loads(line) for line in handle if line.strip()]

    if not args.summary_only:
        stored_path = args.calibration or os.path.join(args.out, "calibration.json")
        calibration = None
        if os.path.exists(stored_path):
            with open(stored_path) as handle:
                calibration = json.load(handle)
            print(f"calibration from {stored_path}: {calibration['seconds_per_step']}", flush=True)
        missing = [name for name in variants if calibration is None or name not in calibration["seconds_per_step"]]
        if missing:
            timed = dict.fromkeys([args.reference] if calibration else []) | dict.fromkeys(missing)
            print(f"calibrating {list(timed)}: {args.calibration_rounds} alternating rounds of {args.calibration_steps} steps", flush=True)
            medians, samples = calibrate({n: variants[n] for n in timed}, args.calibration_steps, args.calibration_rounds, 10)
            if calibration is None:
                calibration = {
                    "budget_seconds": args.budget_seconds,
                    "reference": args.reference,
                    "seconds_per_step": {},
                    "samples": {},
                    "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, load {os.getloadavg()[0]:.1f} at calibration",
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                }
                scale = 1.0
            else:
                # Timed again beside the reference: scale to its stored time.
                scale = calibration["seconds_per_step"][calibration["reference"]] / medians[calibration["reference"]]
            for name in missing:
                calibration["seconds_per_step"][name] = medians[name] * scale
                calibration["samples"][name] = [round(v, 4) for v in samples[name]]
                calibration.setdefault("overrides", {})[name] = variants[name]
            if scale != 1.0:
                calibration.setdefault("scaled", {}).update({name: scale for name in missing})
            print(f"seconds per step: {calibration['seconds_per_step']}", flush=True)
            write_text_atomically(os.path.join(args.out, "calibration.json"), json.dumps(calibration, indent=2))
        budget = calibration["budget_seconds"]
        steps = {name: max(1, round(budget / calibration["seconds_per_step"][name])) for name in variants}
        print(f"budget {budget:.0f} s -> steps {steps}", flush=True)
        catalogue = catalogue_heldout(256)
        done = {(r["variant"], r["seed"]) for r in runs}
        for seed in args.seeds:
            for name, overrides in variants.items():
                if (name, seed) in done:
                    continue
                result = run_one(name, overrides, seed, steps[name], catalogue)
                with open(runs_path, "a") as handle:
                    handle.write(json.dumps(result) + "\n")
                runs.append(result)
                whole = result["scores"]["whole128"]
                print(
                    f"done: {name}, seed {seed}, {steps[name]} steps in {result['train_seconds']:.0f} s; whole128 "
                    f"PSNR {whole['psnr']:.2f} SSIM {whole['ssim']:.3f} HF {whole['high_frequency_error_db']:.2f}",
                    flush=True,
                )

    runs = [r for r in runs if r["variant"] in variants and r["seed"] in args.seeds]
    if not runs:
        sys.exit("no finished runs to summarise")
    summary, text = summarise(runs, list(variants), args.reference, args.seeds)
    print(f"\ndehaze-demo at equal wall time; held-out photos with fixed synthetic haze; seeds {args.seeds}")
    print(text)
    write_text_atomically(os.path.join(args.out, "summary.json"), json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
