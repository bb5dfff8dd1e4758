"""How much of a dehazer's error is the haze's global density, and can the
image's global statistics tell it.

    python bench/haze_density_probe.py --model pretrained:dehazer --seeds 2

A dehazer that inverts the haze model (`kfreqgan.layers.InvertScattering`)
estimates a transmission map `t` and an airlight `A`. Most of a map's
shape comes from the scene (what is near, what is far); its overall level
comes from how dense the haze is, one number per photo that a single image
leaves ambiguous (a hazy scene, or a low-contrast clear one?). This bench
separates the two on the synthetic held-out set of `bench/dehaze_quality.py`
(its photos, haze levels and haze draws):

- **the ceiling of a global correction**: per image, the best exponent `s`
  of `t' = t ** s` (which scales the optical depth `-log t`, that is the
  haze's density, and keeps the map's shape), with the model's airlight
  and with the true one. It is what knowing the density exactly would be
  worth, an oracle, not a method;
- **the probe**: a ridge regression of the best `log s` on global
  statistics of the hazy image and of the model's own `t` and `A` (their
  quantiles, the dark channel's, the airlight, brightness, contrast,
  saturation, and the exponent the dark channel prior's lower bound on
  `t` allows), fitted on the training photos' synthetic haze
  (`synthetic_pairs(training_photos=True)`, other draws) and scored on the
  held-out photos, paired photo by photo with the model as it is;
- **repeatability**: with two or more haze seeds, the correlation of a
  photo's best `log s` between draws at the same level. A high value with
  a poor probe means the misjudged density belongs to the scene, not to
  the draw.

Inference is deterministic, so the figures do not depend on the machine's
load. Writes `--out`/results.json. Errors are one line on stderr and exit
status 2 (`kfreqgan.command_line`).
"""

import importlib.util
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))

# Exponents searched for the best global correction: steps of 3% in s from
# 0.49 to 2.94, with s = 1 (the model as it is) exactly among them.
EXPONENTS = np.exp(0.03 * np.arange(-24, 37))
DARK_WINDOW = 15  # pixels at the held-out size (He et al.'s 15 x 15)
RIDGE = 10.0


def _dehaze_quality():
    """bench/dehaze_quality.py as a module (the synthetic set and the scores)."""
    spec = importlib.util.spec_from_file_location("dehaze_quality", os.path.join(_HERE, "dehaze_quality.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def invert(hazy, transmission, airlight, min_transmission):
    """`InvertScattering` in NumPy, clipped to [0, 1]: `hazy` (H, W, C),
    `transmission` (H, W), `airlight` (C,)."""
    t = np.maximum(transmission, min_transmission)[..., None]
    return np.clip((hazy - airlight) / t + airlight, 0.0, 1.0)


def exponent_curve(hazy, clean, transmission, airlight, min_transmission, exponents=EXPONENTS):
    """Mean squared error of the output with `t ** s`, for each `s`."""
    return np.array([np.mean((invert(hazy, transmission**s, airlight, min_transmission) - clean) ** 2) for s in exponents])


def psnr(mse):
    """PSNR in dB of a mean squared error on [0, 1] images."""
    return float(10.0 * np.log10(1.0 / max(float(mse), 1e-12)))


def dark_channel(image, window=DARK_WINDOW):
    """He et al.'s dark channel: the minimum over channels and a square window."""
    from scipy.ndimage import minimum_filter

    return minimum_filter(np.min(image, axis=-1), size=window, mode="nearest")


def global_statistics(hazy, transmission, airlight):
    """{name: value}: the image-level statistics the probe may use."""
    log_t = np.log(np.clip(transmission, 1e-3, 1.0))
    dark = dark_channel(hazy / np.maximum(airlight, 1e-3))
    # He et al.'s transmission 1 - dark(I / A) is a lower bound on the true
    # one where the haze is even over a window, reached where the window's
    # darkest radiance is 0: t ** s >= it wherever s <= log(bound) / log(t),
    # so a low quantile of that ratio is the dark channel's estimate of the
    # exponent (low where the depth changes within a window: the window's
    # nearest point sets its bound).
    usable = transmission < 0.95
    if np.count_nonzero(usable) >= 16:
        ratio = np.log(np.clip(1.0 - dark[usable], 1e-3, 1.0)) / log_t[usable]
        dark_exponent = float(np.log(np.clip(np.quantile(ratio, 0.05), EXPONENTS[0], EXPONENTS[-1])))
    else:
        dark_exponent = 0.0
    luminance = hazy.mean(axis=-1)
    return {
        "log_t_mean": float(log_t.mean()),
        "log_t_q10": float(np.quantile(log_t, 0.1)),
        "log_t_q50": float(np.quantile(log_t, 0.5)),
        "airlight": float(np.mean(airlight)),
        "dark_q01": float(np.quantile(dark, 0.01)),
        "dark_q05": float(np.quantile(dark, 0.05)),
        "dark_q10": float(np.quantile(dark, 0.1)),
        "dark_q50": float(np.quantile(dark, 0.5)),
        "dark_exponent": dark_exponent,
        "luminance_mean": float(luminance.mean()),
        "luminance_std": float(luminance.std()),
        "luminance_q01": float(np.quantile(luminance, 0.01)),
        "luminance_q99": float(np.quantile(luminance, 0.99)),
        "min_channel_mean": float(hazy.min(axis=-1).mean()),
        "saturation_mean": float((hazy.max(axis=-1) - hazy.min(axis=-1)).mean()),
    }


def image_rows(pairs, view, min_transmission, exponents=EXPONENTS):
    """One dict per image: photo, level, the error curve over `exponents`
    with the model's airlight and with the true one, and the statistics."""
    rows = []
    for name, level, hazy, clean, truth in pairs:
        _, transmission, airlight = (np.asarray(x)[0] for x in view(hazy[None], training=False))
        transmission, airlight = transmission[..., 0], airlight.reshape(-1)
        true_airlight = np.asarray(truth["airlight"], np.float64).reshape(-1)
        rows.append(
            {
                "photo": name,
                "level": level,
                "mse": exponent_curve(hazy, clean, transmission, airlight, min_transmission, exponents).tolist(),
                "mse_true_airlight": exponent_curve(hazy, clean, transmission, true_airlight, min_transmission, exponents).tolist(),
                "statistics": global_statistics(hazy, transmission, airlight),
            }
        )
    return rows


def best_log_exponent(row, exponents=EXPONENTS, key="mse"):
    return float(np.log(exponents[int(np.argmin(row[key]))]))


def fit_ridge(features, targets, penalty=RIDGE):
    """Ridge regression on standardised features (the intercept is not
    penalised): returns `predict(features) -> targets`."""
    features, targets = np.asarray(features, np.float64), np.asarray(targets, np.float64)
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.c_[(features - mean) / scale, np.ones(len(features))]
    penalties = np.diag([penalty] * features.shape[1] + [0.0])
    weights = np.linalg.solve(design.T @ design + penalties, design.T @ targets)
    return lambda x: np.c_[(np.asarray(x, np.float64) - mean) / scale, np.ones(len(x))] @ weights


def mse_at(row, log_exponent, exponents=EXPONENTS):
    """The row's error at the searched exponent nearest `exp(log_exponent)`."""
    return row["mse"][int(np.argmin(np.abs(np.log(exponents) - log_exponent)))]


def paired(rows, gains, level=None):
    """Per-photo mean of `gains` (dB, one per row), then (mean, standard
    error, photos ahead, photos) over photos."""
    photos = sorted({row["photo"] for row in rows if level is None or row["level"] == level})
    per_photo = np.array(
        [np.mean([g for row, g in zip(rows, gains) if row["photo"] == p and (level is None or row["level"] == level)]) for p in photos]
    )
    error = float(per_photo.std(ddof=1) / np.sqrt(len(per_photo))) if len(per_photo) > 1 else float("nan")
    return {"mean": float(per_photo.mean()), "standard_error": error, "ahead": int(np.sum(per_photo > 0)), "photos": len(per_photo)}


def repeatability(rows, seeds):
    """{level: correlation of best log s between the first two seeds' draws
    of the same photo}, or {} with fewer than two seeds."""
    if len(seeds) < 2:
        return {}
    result = {}
    for level in sorted({row["level"] for row in rows}):
        first = {row["photo"]: best_log_exponent(row) for row in rows if row["level"] == level and row["seed"] == seeds[0]}
        second = {row["photo"]: best_log_exponent(row) for row in rows if row["level"] == level and row["seed"] == seeds[1]}
        common = sorted(set(first) & set(second))
        a, b = np.array([first[p] for p in common]), np.array([second[p] for p in common])
        result[level] = float(np.corrcoef(a, b)[0, 1]) if len(common) > 2 and a.std() > 0 and b.std() > 0 else float("nan")
    return result


def _parser():
    from kfreqgan.command_line import ArgumentParser
    from kfreqgan.command_line import int_at_least

    parser = ArgumentParser("haze_density_probe.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="pretrained:dehazer", help="a generator that inverts the haze model (.keras, or pretrained:dehazer)")
    parser.add_argument("--max-side", type=int_at_least(16), default=512, help="photos' longer side")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="the first held-out haze seed")
    parser.add_argument("--seeds", type=int_at_least(1), default=2, help="held-out haze drawn with seeds --seed ... --seed + N - 1")
    parser.add_argument(
        "--training-seed", type=int_at_least(0), default=100,
        help="haze seed of the training photos the probe is fitted on (other draws than the held-out ones)",
    )
    parser.add_argument("--release", type=int, help="photo catalogue release (default: the latest)")
    parser.add_argument("--out", default="outputs/haze_density_probe", help="folder for results.json")
    return parser


def main(argv=None):
    from kfreqgan.command_line import run_main

    parser = _parser()
    return run_main(parser, lambda args: _run(args, parser), argv)


def _run(args, parser):
    quality = _dehaze_quality()
    quality.check_release_argument(parser, args.release)
    from kfreqgan.models.image_to_image import check_image_to_image
    from kfreqgan.models.loading import load_generator
    from kfreqgan.models.loading import pretrained_name
    from kfreqgan.models.scattering import haze_model_parts
    from kfreqgan.models.scattering import scattering_view
    from kfreqgan.paths import InputFiles
    from kfreqgan.paths import check_output_file
    from kfreqgan.paths import check_output_folder

    inputs = InputFiles(files=[] if pretrained_name(args.model) else [args.model], folders=[])
    try:
        check_output_folder(args.out, inputs)
        check_output_file(os.path.join(args.out, "results.json"), inputs)
    except ValueError as error:
        parser.error(str(error))
    generator = load_generator(args.model, kinds=("keras",))
    view = scattering_view(generator)  # refuses a model without the haze model, naming it
    if check_image_to_image(generator) != (None, None, 3):
        parser.error(f"--model must take RGB images of any size (the photos come at their own sizes). Received: --model {args.model}")
    min_transmission = haze_model_parts(generator)[0].min_transmission

    seeds = list(range(args.seed, args.seed + args.seeds))
    held = []
    for seed in seeds:
        pairs = quality.synthetic_pairs(args.max_side, seed, release=args.release, return_parameters=True)
        held += [dict(row, seed=seed) for row in image_rows(pairs, view, min_transmission)]
    pairs = quality.synthetic_pairs(args.max_side, args.training_seed, training_photos=True, release=args.release, return_parameters=True)
    training = image_rows(pairs, view, min_transmission)
    if not training or not held:
        parser.error("no photos to fit or score the probe on: install the photo catalogue (`make dehazer-data`).")

    names = sorted(training[0]["statistics"])
    predict = fit_ridge([[row["statistics"][n] for n in names] for row in training], [best_log_exponent(row) for row in training])
    predicted = predict([[row["statistics"][n] for n in names] for row in held])
    targets = np.array([best_log_exponent(row) for row in held])
    explained = float(1.0 - np.mean((predicted - targets) ** 2) / np.var(targets)) if np.var(targets) > 0 else float("nan")
    base = np.array([psnr(mse_at(row, 0.0)) for row in held])  # s = 1: the model as it is
    contenders = {
        "oracle s, model A": [psnr(min(row["mse"])) for row in held],
        "oracle s, true A": [psnr(min(row["mse_true_airlight"])) for row in held],
        "probe s (fitted on training photos)": [psnr(mse_at(row, p)) for row, p in zip(held, predicted)],
    }
    levels = [level for level in quality.LEVELS if any(row["level"] == level for row in held)]
    table = {}
    print(
        f"{len(held)} held-out images ({len({row['photo'] for row in held})} photos x {len(levels)} levels x {len(seeds)} seed(s)); "
        f"probe fitted on {len(training)} training images (seed {args.training_seed}), longer side {args.max_side}"
    )
    print(f"{'':<38}" + "".join(f"{level:>24}" for level in levels + ["all"]))
    print(f"{'model as it is (PSNR)':<38}" + "".join(f"{np.mean([b for row, b in zip(held, base) if row['level'] == level]):>24.2f}" for level in levels) + f"{base.mean():>24.2f}")
    for label, scores in contenders.items():
        gains = np.array(scores) - base
        table[label] = {level or "all": paired(held, gains, level) for level in levels + [None]}
        cells = [table[label][level] for level in levels + ["all"]]
        print(f"{label + ' - model':<38}" + "".join(f"{c['mean']:+8.2f} +- {c['standard_error']:.2f} ({c['ahead']:>2}/{c['photos']})" for c in cells))
    correlation = repeatability(held, seeds)
    print(f"probe: R^2 of best log s on held-out images {explained:.2f}; best s median {np.exp(np.median(targets)):.2f}, sd of log s {targets.std():.2f}")
    if correlation:
        print("repeatability of best log s between seeds " + ", ".join(f"{level} {value:.2f}" for level, value in correlation.items()))
    os.makedirs(args.out, exist_ok=True)
    quality.write_results(
        args.out,
        {
            "model": args.model,
            "max_side": args.max_side,
            "seeds": seeds,
            "training_seed": args.training_seed,
            "release": args.release,
            "exponents": EXPONENTS.tolist(),
            "statistics": names,
            "paired": table,
            "explained_variance": explained,
            "repeatability": correlation,
            "rows": [
                dict(
                    {key: value for key, value in row.items() if key not in ("mse", "mse_true_airlight")},
                    psnr=float(b), best_log_exponent=float(target), probe_log_exponent=float(p),
                )
                for row, b, target, p in zip(held, base, targets, predicted)
            ],
        },
    )
    print(f"wrote {os.path.join(args.out, 'results.json')}")


if __name__ == "__main__":
    sys.exit(main())
