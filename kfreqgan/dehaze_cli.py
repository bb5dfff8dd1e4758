"""`kfreqgan-dehaze`: dehaze photos (a file or a folder) with a trained dehazer.

    kfreqgan-dehaze hazy.jpg --out dehazed/
    kfreqgan-dehaze photos/ --out dehazed/ --model outputs/demo/generator.keras
    kfreqgan-dehaze photos/ --out dehazed/ --model dehazer.tflite

Every image is written under `--out` with its own name (and, for a folder,
its path below the folder), at its own size, in its own format (PNG stays
PNG, JPEG stays JPEG); images with an EXIF orientation are turned upright
first, and written upright. Any size works: large photos are tiled with
overlapping, blended tiles (`kfreqgan.dehazing.Dehazer`), so memory stays
bounded.

`--model` takes a `.keras` file (a generator from `kfreqgan-train`), a
SavedModel directory or a `.tflite` file from `kfreqgan-export`; the default
is the dehazer that ships with the package (`kfreqgan.pretrained`).

A file that cannot be read or written gets one line on stderr and the rest
go on; the summary names the failures and the exit status is 1 if any
failed (2 for a bad command line, input path or model).
"""

import argparse
import os
import sys

import numpy as np

from kfreqgan._cli import ArgumentParser
from kfreqgan._cli import error_line
from kfreqgan.dehazing import DEFAULT_TILE_SIZE

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class UsageError(Exception):
    """A bad command line, input path or model: exit status 2."""


def find_images(path):
    """`[(source, relative_name)]` for a file, or the images below a folder.

    Raises:
        UsageError: if `path` does not exist, or a folder holds no image.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UsageError(f"input not found: {path}")
    if os.path.isfile(path):
        return [(path, os.path.basename(path))]
    found = []
    for root, directories, files in os.walk(path):
        directories.sort()
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith("."):
                source = os.path.join(root, name)
                found.append((source, os.path.relpath(source, path)))
    if not found:
        raise UsageError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in folder: {path}")
    return found


def read_image(path):
    """`(rgb uint8 (H, W, 3), PIL image upright, alpha or None)` from a file.

    Raises:
        ValueError: for a file PIL cannot decode (one line, naming the file).
    """
    from PIL import Image
    from PIL import ImageOps

    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except Image.DecompressionBombError as error:
        raise ValueError(f"image too large to decode safely ({error})") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"not a readable image ({str(error).splitlines()[0] if str(error) else type(error).__name__})") from error
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    return np.asarray(image.convert("RGB")), image, alpha


def write_image(path, rgb, original, alpha):
    """Writes `rgb` in the format of `original`'s file name, atomically."""
    from PIL import Image

    from kfreqgan.atomic_files import write_atomically

    image = Image.fromarray(rgb, "RGB")
    if original.mode in ("L", "LA", "I;16", "I", "F"):
        image = image.convert("L")
    if alpha is not None:
        image.putalpha(alpha)
    extension = os.path.splitext(path)[1].lower()
    options = {}
    if extension in (".jpg", ".jpeg"):
        image = image.convert("RGB") if image.mode == "RGBA" else image
        options = {"quality": 95, "subsampling": 0}
        exif = original.getexif()
        if exif:
            options["exif"] = exif.tobytes()
    if original.info.get("icc_profile"):
        options["icc_profile"] = original.info["icc_profile"]
    format_name = Image.registered_extensions().get(extension)

    def save(temporary):
        image.save(temporary, format=format_name, **options)

    write_atomically(path, save)


class _Progress:
    """A progress bar over files (tqdm on a terminal, plain lines otherwise)."""

    def __init__(self, total, quiet):
        self.total, self.quiet, self.bar, self.index = total, quiet, None, 0
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="image", file=sys.stderr)

    def step(self, name):
        if self.bar is not None:
            self.bar.set_postfix_str(name[-40:])
            self.bar.update(1)
        elif not self.quiet:
            self.index += 1
            print(f"[{self.index}/{self.total}] {name}", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _parser():
    parser = ArgumentParser(
        prog="kfreqgan-dehaze", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("input", help="an image file or a folder of images")
    parser.add_argument("--out", required=True, help="output folder (created; never the input folder)")
    parser.add_argument("--model", help="a .keras file, a SavedModel folder or a .tflite file (default: the shipped dehazer)")
    parser.add_argument(
        "--tile-size", type=int, default=DEFAULT_TILE_SIZE, help=f"largest tile side in pixels (default {DEFAULT_TILE_SIZE})"
    )
    parser.add_argument(
        "--overlap", type=int, help="pixels shared by neighbouring tiles (default: twice the network's receptive radius, plus 32)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def run(args):
    """Dehazes what `args` names; returns `(done, failures)`."""
    from kfreqgan.dehazing import Dehazer

    images = find_images(args.input)
    out = os.path.abspath(args.out)
    source_root = os.path.abspath(args.input if os.path.isdir(args.input) else os.path.dirname(args.input) or ".")
    if out == source_root:
        raise UsageError(f"--out must not be the input folder (the originals would be overwritten): {args.out}")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out exists and is not a folder: {args.out}")
    if args.tile_size < 16:
        raise UsageError(f"--tile-size must be >= 16. Received: {args.tile_size}")
    if args.overlap is not None and not 0 <= args.overlap < args.tile_size:
        raise UsageError(f"--overlap must be in [0, --tile-size). Received: {args.overlap}")
    try:
        if args.model is None:
            from kfreqgan import pretrained

            model = pretrained.dehazer()
        else:
            model = args.model
        dehazer = Dehazer(model, tile_size=args.tile_size, overlap=args.overlap)
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(f"cannot use model {args.model or 'kfreqgan.pretrained.dehazer'}: {error}") from error

    failures = []
    progress = _Progress(len(images), args.quiet)
    try:
        for source, name in images:
            try:
                rgb, original, alpha = read_image(source)
                dehazed = dehazer(rgb)
                target = os.path.join(out, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                write_image(target, dehazed, original, alpha)
            except Exception as error:  # one bad file must not stop the folder
                if args.debug:
                    import traceback

                    traceback.print_exc()
                message = error_line(error)
                failures.append((source, message))
                print(f"kfreqgan-dehaze: error: {source}: {message}", file=sys.stderr, flush=True)
            progress.step(name)
    finally:
        progress.close()
    return len(images) - len(failures), failures


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        done, failures = run(args)
    except UsageError as error:
        if args.debug:
            raise
        print(f"kfreqgan-dehaze: error: {error_line(error)}", file=sys.stderr)
        return 2
    total = done + len(failures)
    print(f"dehazed {done} of {total} image{'s' if total != 1 else ''} into {args.out}")
    if failures:
        print(f"failed ({len(failures)}): " + "; ".join(f"{path} ({reason})" for path, reason in failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
