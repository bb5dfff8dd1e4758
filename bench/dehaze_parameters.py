"""Where a dehazer's error comes from: its transmission and airlight against
the haze each pair was made with.

    python bench/dehaze_parameters.py --model pretrained:dehazer --model RUN/freqgan.keras --seeds 3

For generators of RGB images of any size that invert the haze model
(they end in `kfreqgan.layers.InvertScattering`: `coherent_dehazer`, the
shipped dehazer, `unet_generator(head="scattering")` built without a fixed
size), on the synthetic held-out set of `bench/dehaze_quality.py` (the same photos, haze
levels and haze draws: its `synthetic_pairs`), each model is run once per
image through `kfreqgan.models.scattering.scattering_view`, which gives its
output, transmission `t` and airlight `A` together. Per haze level it
reports

- PSNR and SSIM of the output (`dehaze_quality.score`),
- the airlight's bias and mean absolute error (the estimate's mean over
  channels against the true one's),
- the transmission's bias and mean absolute error (over pixels, then
  images),
- the airlight estimate's line against the truth, `estimate = a + b A`
  over all images: a head that regresses to the middle of its range has
  `b < 1`.

With several models, each is paired with the `--baseline` one (default:
the first) photo by photo: a photo's difference is the mean over its haze
draws (`--seeds`), then the mean, its standard error and the number of
photos ahead are taken over photos. Two models see exactly the same
hazy images, so the difference is far less noisy than the two means.

Writes `--out`/results.json: every image's row and the tables (strict
JSON). Inference is deterministic, so the figures do not depend on the
machine's load; no time is measured. Errors are one line on stderr and exit
status 2 (`kfreqgan.command_line`).
"""

import importlib.util
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))


def _dehaze_quality():
    """bench/dehaze_quality.py as a module (the synthetic set and the scores)."""
    spec = importlib.util.spec_from_file_location("dehaze_quality", os.path.join(_HERE, "dehaze_quality.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_rows(pairs, views, score):
    """One dict per (model, image): photo, level, psnr, ssim, true and
    estimated airlight (means over channels), t bias and |t| error.

    Args:
        pairs: `[(name, level, hazy, clean, parameters)]` with the true
            `transmission` `(H, W, 1)` and `airlight` `(C,)`.
        views: one `hazy -> (output, t, A)` model per contender.
        score: `(clean, output) -> (psnr, ssim, ...)`.
    """
    rows = []
    for name, level, hazy, clean, truth in pairs:
        for model, view in enumerate(views):
            output, transmission, airlight = (np.asarray(x) for x in view(hazy[None], training=False))
            psnr, ssim = score(clean, np.clip(output[0], 0.0, 1.0))[:2]
            error = transmission[0] - truth["transmission"]
            rows.append(
                {
                    "model": model,
                    "photo": name,
                    "level": level,
                    "psnr": float(psnr),
                    "ssim": float(ssim),
                    "airlight_true": float(np.mean(truth["airlight"])),
                    "airlight": float(np.mean(airlight)),
                    "t_bias": float(np.mean(error)),
                    "t_abs": float(np.mean(np.abs(error))),
                }
            )
    return rows


def parameter_table(rows, model, levels):
    """{level: means} of one model's rows, and its airlight line over all."""
    mine = [row for row in rows if row["model"] == model]
    table = {}
    for level in levels:
        chosen = [row for row in mine if row["level"] == level]
        if not chosen:
            continue
        airlight_error = np.array([row["airlight"] - row["airlight_true"] for row in chosen])
        table[level] = {
            "images": len(chosen),
            "psnr": float(np.mean([row["psnr"] for row in chosen])),
            "ssim": float(np.mean([row["ssim"] for row in chosen])),
            "airlight_bias": float(airlight_error.mean()),
            "airlight_abs": float(np.abs(airlight_error).mean()),
            "t_bias": float(np.mean([row["t_bias"] for row in chosen])),
            "t_abs": float(np.mean([row["t_abs"] for row in chosen])),
        }
    truth = np.array([row["airlight_true"] for row in mine])
    estimate = np.array([row["airlight"] for row in mine])
    if len(mine) > 1 and np.ptp(truth) > 0:
        slope, intercept = np.polyfit(truth, estimate, 1)
        correlation = float(np.corrcoef(truth, estimate)[0, 1]) if np.ptp(estimate) > 0 else float("nan")
        table["airlight_line"] = {"intercept": float(intercept), "slope": float(slope), "correlation": correlation}
    else:
        table["airlight_line"] = None
    return table


def paired_by_photo(rows, model, baseline, level=None):
    """`model` minus `baseline` per photo (the mean of a photo's images at
    `level`, or at every level), then over photos: {key: (mean, standard
    error, photos ahead, photos)} for PSNR and SSIM."""
    chosen = [row for row in rows if level is None or row["level"] == level]
    photos = sorted({row["photo"] for row in chosen})
    result = {}
    for key in ("psnr", "ssim"):
        differences = []
        for photo in photos:
            mine = [row[key] for row in chosen if row["photo"] == photo and row["model"] == model]
            theirs = [row[key] for row in chosen if row["photo"] == photo and row["model"] == baseline]
            differences.append(np.mean(mine) - np.mean(theirs))
        differences = np.array(differences)
        error = float(differences.std(ddof=1) / np.sqrt(len(differences))) if len(differences) > 1 else float("nan")
        result[key] = {
            "mean": float(differences.mean()),
            "standard_error": error,
            "ahead": int(np.sum(differences > 0)),
            "photos": len(differences),
        }
    return result


def _parser():
    from kfreqgan.command_line import ArgumentParser
    from kfreqgan.command_line import int_at_least

    parser = ArgumentParser("dehaze_parameters.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", action="append", required=True,
        help="a generator that inverts the haze model (.keras, or pretrained:dehazer); repeat it to pair models",
    )
    parser.add_argument("--baseline", type=int_at_least(1), default=1, help="which --model (1: the first) the others are paired with")
    parser.add_argument("--max-side", type=int_at_least(16), default=512, help="held-out photos' longer side")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="the first haze seed")
    parser.add_argument("--seeds", type=int_at_least(1), default=1, help="haze drawn with seeds --seed ... --seed + N - 1")
    parser.add_argument("--release", type=int, help="photo catalogue release of the held-out set (default: the latest)")
    parser.add_argument("--out", default="outputs/dehaze_parameters", help="folder for results.json")
    return parser


def main(argv=None):
    from kfreqgan.command_line import run_main

    parser = _parser()
    return run_main(parser, lambda args: _run(args, parser), argv)


def _run(args, parser):
    if args.baseline > len(args.model):
        parser.error(f"--baseline must name one of the {len(args.model)} --model. Received: --baseline {args.baseline}")
    quality = _dehaze_quality()
    quality.check_release_argument(parser, args.release)
    from kfreqgan.models.loading import pretrained_name
    from kfreqgan.paths import InputFiles
    from kfreqgan.paths import check_output_file
    from kfreqgan.paths import check_output_folder

    # A model that ships in the package is no file of the user's.
    inputs = InputFiles(files=[path for path in args.model if pretrained_name(path) is None], folders=[])
    try:
        check_output_folder(args.out, inputs)
        check_output_file(os.path.join(args.out, "results.json"), inputs)
    except ValueError as error:
        parser.error(str(error))
    from kfreqgan.models.image_to_image import check_image_to_image
    from kfreqgan.models.loading import load_generator
    from kfreqgan.models.scattering import scattering_view

    # Every model loads, has a haze model and takes the held-out photos (RGB,
    # each at its own size) before any image is made.
    views = []
    for path in args.model:
        generator = load_generator(path, kinds=("keras",))
        views.append(scattering_view(generator))
        height, width, channels = check_image_to_image(generator)
        if (height, width, channels) != (None, None, 3):
            parser.error(
                "--model must take RGB images of any size (the held-out photos come at their own sizes); "
                f"{path} takes {height or 'any'}x{width or 'any'}x{channels}. Received: --model {path}"
            )
    pairs = []
    for seed in range(args.seed, args.seed + args.seeds):
        pairs += quality.synthetic_pairs(args.max_side, seed, release=args.release, return_parameters=True)
    try:
        quality.check_max_side(pairs, args.max_side)
    except ValueError as error:
        parser.error(str(error))
    rows = image_rows(pairs, views, quality.score)
    levels = list(quality.LEVELS)
    tables = {path: parameter_table(rows, index, levels) for index, path in enumerate(args.model)}
    base = args.baseline - 1
    paired = {
        path: {level or "all": paired_by_photo(rows, index, base, level) for level in levels + [None]}
        for index, path in enumerate(args.model)
        if index != base
    }
    photos = len({row["photo"] for row in rows})
    print(f"{len(pairs)} hazy images: {photos} held-out photos x {len(levels)} haze levels x {args.seeds} seed(s), longer side {args.max_side}")
    print("bias = mean(estimate - truth); |.| = mean absolute error (t: over pixels, then images)")
    print(f"{'model':<42}{'level':<7}{'PSNR':>7}{'SSIM':>8}{'A bias':>8}{'|A|':>7}{'t bias':>8}{'|t|':>7}")
    for path, table in tables.items():
        for level in levels:
            if level in table:
                cell = table[level]
                print(
                    f"{path[-41:]:<42}{level:<7}{cell['psnr']:>7.2f}{cell['ssim']:>8.4f}{cell['airlight_bias']:>+8.3f}"
                    f"{cell['airlight_abs']:>7.3f}{cell['t_bias']:>+8.3f}{cell['t_abs']:>7.3f}"
                )
        line = table["airlight_line"]
        if line:
            print(f"{'':<42}airlight estimate = {line['intercept']:.3f} + {line['slope']:.3f} A (correlation {line['correlation']:.3f})")
    for path, by_level in paired.items():
        print(f"{path[-41:]} - {args.model[base][-41:]}, per photo:")
        for level, result in by_level.items():
            p, s = result["psnr"], result["ssim"]
            print(
                f"  {level:<6} PSNR {p['mean']:+.3f} +- {p['standard_error']:.3f} dB ({p['ahead']} of {p['photos']} ahead)"
                f"   SSIM {s['mean']:+.4f} +- {s['standard_error']:.4f} ({s['ahead']} ahead)"
            )
    os.makedirs(args.out, exist_ok=True)
    quality.write_results(
        args.out,
        {
            "models": args.model,
            "baseline": args.model[base],
            "max_side": args.max_side,
            "seeds": list(range(args.seed, args.seed + args.seeds)),
            "release": args.release,
            "tables": tables,
            "paired": paired,
            "rows": rows,
        },
    )
    print(f"wrote {os.path.join(args.out, 'results.json')}")


if __name__ == "__main__":
    sys.exit(main())
