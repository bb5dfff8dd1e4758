"""The shipped dehazer vs the hazy input and the dark channel prior, on
held-out photos; and the time and memory of tiled dehazing of a large photo.

Quality: each held-out photo (`kfreqgan.data.HELDOUT_PHOTOS`, never used in
training) at its full size, hazed `--draws` times with the atmospheric
scattering model (depth prior `synthetic_depth` over the whole photo,
`beta` and airlight drawn from the RESIDE ITS ranges with fixed seeds, the
same draws for every method), then dehazed by

- the dark channel prior (He, Sun & Tang 2009: 15x15 patch, omega 0.95,
  t >= 0.1; `kfreqgan/dark_channel_prior.py`), raw and with the guided-filter
  refinement that usually replaces soft matting,
- `kfreqgan.pretrained.dehazer()` through `kfreqgan.dehazing.Dehazer`
  (default 768-pixel tiles, `DEFAULT_TILE_SIZE`).

PSNR and SSIM (TensorFlow's, peak 1) against the clean photo.

Scale (`--large`): a 4000x3000 photo (a held-out photo upscaled) dehazed in
a subprocess; prints wall time and the process's peak resident memory.

    python bench/dehaze_bench.py [--draws 3] [--large]
"""

import argparse
import subprocess
import sys
import time

import numpy as np

from kfreqgan.dark_channel_prior import dehaze_dark_channel

BENCH_SEED = 2026


def hazy_versions(clean, photo_index, draws):
    """`draws` hazed copies of one photo, seeded by photo (`make_hazy_pairs`: draw `i` is image `i`)."""
    from kfreqgan.data import make_hazy_pairs

    copies = np.repeat(np.asarray(clean, np.float32)[None], draws, axis=0)
    return list(make_hazy_pairs(copies, np.array([BENCH_SEED, photo_index]))[0].numpy())


def quality(clean, image):
    import tensorflow as tf

    from kfreqgan.metrics import psnr
    from kfreqgan.metrics import ssim

    clean, image = tf.constant(clean[None], tf.float32), tf.constant(image[None], tf.float32)
    return float(psnr(clean, image)[0]), float(ssim(clean, image)[0])


def quality_table(draws):
    from kfreqgan import pretrained
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.data import load_photo
    from kfreqgan.dehazing import Dehazer

    dehazer = Dehazer(pretrained.dehazer())
    methods = {
        "hazy input": lambda hazy: hazy,
        "dark channel prior": lambda hazy: dehaze_dark_channel(hazy)[0],
        "dark channel prior + guided filter": lambda hazy: dehaze_dark_channel(hazy, refine="guided")[0],
        "kfreqgan.pretrained.dehazer": dehazer,
    }
    scores = {name: {} for name in methods}
    seconds = {name: 0.0 for name in methods}
    for index, photo in enumerate(HELDOUT_PHOTOS):
        clean = load_photo(photo)
        for hazy in hazy_versions(clean, index, draws):
            for name, method in methods.items():
                started = time.perf_counter()
                result = np.asarray(method(hazy), np.float32)
                seconds[name] += time.perf_counter() - started
                scores[name].setdefault(photo, []).append(quality(clean, result))
    count = len(HELDOUT_PHOTOS) * draws
    print(f"held-out photos {', '.join(HELDOUT_PHOTOS)} at full size, {draws} haze draws each ({count} images)")
    header = f"{'method':<36}{'PSNR dB':>9}{'SSIM':>8}" + "".join(f"{p[:10]:>12}" for p in HELDOUT_PHOTOS) + f"{'s/image':>9}"
    print(header)
    print(" " * 36 + " " * 17 + "".join(f"{'PSNR/SSIM':>12}" for _ in HELDOUT_PHOTOS))
    for name in methods:
        values = np.array([pair for photo in HELDOUT_PHOTOS for pair in scores[name][photo]])
        per_photo = "".join(
            f"{np.mean([p for p, _ in scores[name][photo]]):>6.2f}/{np.mean([s for _, s in scores[name][photo]]):.2f}"
            for photo in HELDOUT_PHOTOS
        )
        print(f"{name:<36}{values[:, 0].mean():>9.2f}{values[:, 1].mean():>8.3f}{per_photo:>12}{seconds[name] / count:>9.2f}")


LARGE = """
import resource, sys, time
import numpy as np
from kfreqgan import pretrained
from kfreqgan.data import load_photo
from kfreqgan.dehazing import Dehazer
dehazer = Dehazer(pretrained.dehazer())
dehazer(np.zeros((64, 64, 3), np.uint8))  # load and trace once
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
photo = np.round(load_photo("astronaut") * 255).astype(np.uint8)
rows, columns = np.arange(3000) * 512 // 3000, np.arange(4000) * 512 // 4000
image = photo[rows][:, columns]  # 4000x3000 uint8, nearest-neighbour upscaling
started = time.perf_counter()
tiles = []
result = dehazer(image, progress=lambda done, total: tiles.append(total))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"4000x3000 uint8 photo: {tiles[-1]} tiles of {dehazer.tile_size}x{dehazer.tile_size} (overlap {dehazer.overlap}), "
      f"{seconds:.1f} s; peak RSS {peak:.0f} MiB (before the photo, with TensorFlow and the model loaded: {before:.0f} MiB); "
      f"output {result.shape} {result.dtype}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=3, help="haze draws per held-out photo")
    parser.add_argument("--large", action="store_true", help="also time a 4000x3000 photo")
    args = parser.parse_args()
    quality_table(args.draws)
    if args.large:
        result = subprocess.run([sys.executable, "-c", LARGE], capture_output=True, text=True)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        if result.returncode:
            raise SystemExit(result.stderr[-2000:])
        print(*lines, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
