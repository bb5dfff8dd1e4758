"""`kfreqgan-dehaze`: dehaze photos (a file or a folder) with a trained dehazer.

    kfreqgan-dehaze hazy.jpg --out dehazed/
    kfreqgan-dehaze photos/ --out dehazed/ --model outputs/demo/generator.keras
    kfreqgan-dehaze photos/ --out dehazed/ --model dehazer.tflite

Every image is written under `--out` with its own name (and, for a folder,
its path below the folder), at its own size, in its own format (PNG stays
PNG, JPEG stays JPEG; the format the file holds, whatever its name says),
mode and bit depth, with its alpha channel, colour profile and resolution
(`kfreqgan.data.image_files` says which modes round-trip and which are
refused); images with an EXIF orientation are turned upright first, and
written upright. Any size works: the shipped dehazer, a whole-image model,
runs once on the whole photo (about a second for 12 megapixels); other
models are run on overlapping, blended tiles (`kfreqgan.dehazing.Dehazer`),
so memory stays bounded; a photo that takes more than a few seconds
reports its tiles as it goes.

The originals are never written: `--out` may not be the input folder or an
input file by any spelling (symlinks, `..`, bind mounts, hard links;
`kfreqgan.paths`). An `--out` inside the input folder is allowed and left
out of the input, so a rerun never dehazes earlier outputs. `--out` is
created and checked writable before anything is dehazed.

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

from kfreqgan.command_line import EXIT_PARTIAL
from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import error_line
from kfreqgan.command_line import output_folder
from kfreqgan.command_line import printable
from kfreqgan.command_line import raise_if_interrupted
from kfreqgan.command_line import run_main
from kfreqgan.data.image_files import IMAGE_EXTENSIONS
from kfreqgan.dehazing import DEFAULT_TILE_SIZE

class UsageError(Exception):
    """A bad command line, input path or model: exit status 2."""


def find_images(path, exclude=()):
    """`[(source, relative_name)]` for a file, or the images below a folder.

    A folder is searched recursively for regular files with an image
    extension (`kfreqgan.data.image_files.list_image_files`, non-strict:
    other files are skipped); the trees in `exclude` are left out.

    Raises:
        UsageError: if `path` does not exist, is not a regular file or
            folder, or a folder holds no image.
    """
    from kfreqgan.data.image_files import list_image_files
    from kfreqgan.paths import is_regular_file

    path = os.fspath(path)
    if not os.path.exists(path):
        if os.path.lexists(path):
            raise UsageError(f"input is a symlink to nothing (broken, or a loop of links): {path}")
        raise UsageError(f"input not found: {path}")
    if not os.path.isdir(path):
        if not is_regular_file(path):
            raise UsageError(f"input is not a regular file or a folder: {path}")
        if not path.lower().endswith(IMAGE_EXTENSIONS):
            raise UsageError(f"input is not an image kfreqgan reads and writes back ({', '.join(IMAGE_EXTENSIONS)}): {path}")
        return [(path, os.path.basename(path))]
    try:
        found = list_image_files(path, "input", recursive=True, strict=False, exclude=exclude)
    except ValueError:
        raise UsageError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in folder: {path}") from None
    return [(source, os.path.relpath(source, path)) for source in found]


def dehaze_file(dehazer, source, target, progress=None):
    """Reads `source`, dehazes it and writes it to `target` in the same
    mode, bit depth and format (the one the file holds), alpha, colour
    profile and resolution kept.

    Grey images are dehazed as RGB (R = G = B) and written back as grey
    (luma); a 1-channel model gets the grey channel itself.
    """
    from kfreqgan.data.image_files import read_image
    from kfreqgan.data.image_files import write_image
    from kfreqgan.spectral import GRAY_WEIGHTS

    if not target.lower().endswith(IMAGE_EXTENSIONS):  # checked before the work, not after it
        raise ValueError(f"cannot write this format back (kfreqgan writes {', '.join(IMAGE_EXTENSIONS)}): {target}")
    pixels, info = read_image(source)
    colour = pixels[..., : 1 if info.is_grey else 3]
    if dehazer.runner.channels == 3 and info.is_grey:
        colour = np.repeat(colour, 3, axis=-1)
    dehazed = dehazer(colour, progress=progress)
    if info.is_grey and dehazed.shape[-1] == 3:
        dehazed = np.clip(dehazed @ np.asarray(GRAY_WEIGHTS, np.float32), 0.0, 1.0)[..., None]
    if info.has_alpha:
        dehazed = np.concatenate([dehazed, pixels[..., -1:]], axis=-1)
    # The format the file holds, not the one its name says: a PNG named
    # .jpg stays lossless PNG (under its own name).
    write_image(target, dehazed, info, format_name=info.format)


class _Progress:
    """Progress over files (tqdm on a terminal, plain lines otherwise), and
    over the tiles of a photo that takes longer than `tile_after` seconds
    (a line at most every `tile_every` seconds without a terminal)."""

    def __init__(self, total, quiet, tile_after=5.0, tile_every=10.0):
        self.total, self.quiet, self.bar, self.index = total, quiet, None, 0
        self.tile_after, self.tile_every = tile_after, tile_every
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="image", file=sys.stderr)

    def tiles(self, name):
        """A `progress(done, total)` callback for the tiles of one image."""
        import time

        start = last = time.monotonic()

        def report(done, total):
            nonlocal last
            now = time.monotonic()
            if self.quiet or total < 2 or now - start < self.tile_after:
                return
            if self.bar is not None:
                self.bar.set_postfix_str(f"{printable(name)[-30:]}: tile {done}/{total}")
            elif now - last >= self.tile_every or done == total:
                last = now
                print(f"[{self.index + 1}/{self.total}] {printable(name)}: tile {done}/{total}", file=sys.stderr, flush=True)

        return report

    def step(self, name):
        if self.bar is not None:
            self.bar.set_postfix_str(printable(name)[-40:])
            self.bar.update(1)
        elif not self.quiet:
            self.index += 1
            print(f"[{self.index}/{self.total}] {printable(name)}", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _parser():
    parser = ArgumentParser(
        prog="kfreqgan-dehaze", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("input", help="an image file or a folder of images")
    parser.add_argument("--out", required=True, type=output_folder, help="output folder (created; never the input folder)")
    parser.add_argument("--model", help="a .keras file, a SavedModel folder or a .tflite file (default: the shipped dehazer)")
    parser.add_argument(
        "--tile-size", type=int, default=DEFAULT_TILE_SIZE, help=f"largest tile side in pixels for tiled models (default {DEFAULT_TILE_SIZE}; a whole-image model such as the shipped one is not tiled)"
    )
    parser.add_argument(
        "--overlap",
        type=int,
        help="pixels shared by neighbouring tiles (default: twice the network's receptive radius, plus 32; "
        "fitted to the tile for a fixed-size model)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser


OUTPUT_MARKER = ".kfreqgan-dehaze-output"
"""Marks an `--out` folder inside the input folder as this command's own."""


def _files_not_ours(out):
    """The image files under an `--out` inside the input folder that this
    command did not write (none once it has marked the folder its own)."""
    from kfreqgan.data.image_files import list_image_files

    if not os.path.isdir(out) or os.path.exists(os.path.join(out, OUTPUT_MARKER)):
        return []
    try:
        return list_image_files(out, "--out", recursive=True, strict=False)
    except ValueError:  # no images
        return []


def _mark_as_ours(out, input_folder):
    """Marks an `--out` inside the input folder, so that reruns may replace
    what this run writes there (and never files that were there before)."""
    from kfreqgan import paths
    from kfreqgan.atomic_files import write_text_atomically

    if os.path.isdir(input_folder) and paths.is_inside(out, input_folder) and not os.path.exists(os.path.join(out, OUTPUT_MARKER)):
        write_text_atomically(
            os.path.join(out, OUTPUT_MARKER),
            "kfreqgan-dehaze writes its outputs here; this folder is not read as input.\n",
        )


def _check_paths(args):
    """The path-safety rule (`kfreqgan.paths`) for this run: `(images, out)`.

    `--out` may not be the input folder or an input file by any spelling; it
    may lie inside the input folder, and is then left out of the input. No
    output may land on an input file, nor on a file that was in an `--out`
    inside the input folder before this command first wrote there
    (`OUTPUT_MARKER`). `--out` must be writable (it is
    created, and checked again, once the model has loaded).
    """
    from kfreqgan import paths

    source_root = args.input if os.path.isdir(args.input) else os.path.dirname(args.input) or "."
    out = args.out
    try:
        if os.path.isdir(args.input):
            paths.check_output_folder(out, paths.InputFiles(folders=[args.input]), allow_inside=True)
        elif os.path.lexists(out) and not os.path.isdir(out):
            raise ValueError(f"--out exists and is not a folder. Received: --out={out}")
    except ValueError as error:
        raise UsageError(str(error)) from None
    images = find_images(args.input, exclude=[out] if os.path.isdir(args.input) else ())
    protected = _files_not_ours(out) if os.path.isdir(args.input) and paths.is_inside(out, args.input) else []
    inputs = paths.InputFiles(files=[source for source, _ in images] + protected, folders=[source_root])
    try:
        for _, name in images:
            paths.check_output_file(os.path.join(out, name), inputs)
            _check_way_to(out, name)
        paths.check_writable_folder(out, create=False)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return images, out


def _check_way_to(out, name):
    """Checks that the output `name` (a path relative to `--out`) can be
    written inside `out`: every folder on the way is a real folder inside
    `out` (a symlinked sub-folder would send the file, and the overwrite,
    elsewhere), no file stands where a folder must be made, and no folder
    where the file goes.

    Raises:
        ValueError: naming the output and the obstacle.
    """
    target = os.path.join(out, name)
    folder = out
    for part in os.path.normpath(name).split(os.sep)[:-1]:
        folder = os.path.join(folder, part)
        if os.path.islink(folder):
            raise ValueError(f"cannot write {target}: {folder} is a symlink, and outputs stay inside --out. Received: --out={out}")
        if os.path.lexists(folder) and not os.path.isdir(folder):
            raise ValueError(f"cannot write {target}: {folder} is a file, where a folder must be made. Received: --out={out}")
    if os.path.isdir(target) and not os.path.islink(target):
        raise ValueError(f"cannot write {target}: a folder of that name exists. Received: --out={out}")


def run(args):
    """Dehazes what `args` names; returns `(done, failures)`."""
    from kfreqgan.dehazing import Dehazer
    from kfreqgan.dehazing import load_dehazing_model

    if args.tile_size < 16:
        raise UsageError(f"--tile-size must be >= 16. Received: {args.tile_size}")
    # Its upper bound is the tile's, which a fixed-size model sets (not
    # --tile-size): the Dehazer checks it with the model and names it.
    if args.overlap is not None and args.overlap < 0:
        raise UsageError(f"--overlap must be >= 0. Received: {args.overlap}")
    images, out = _check_paths(args)
    shown = "kfreqgan.pretrained.dehazer" if args.model is None else repr(args.model) if not args.model else args.model
    try:
        if args.model is None:
            from kfreqgan import pretrained

            runner = load_dehazing_model(pretrained.dehazer())
        else:
            runner = load_dehazing_model(args.model)
        runner.radius  # noqa: B018 - measured here, so that a model that fails its probe is named as the model
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(f"cannot use model {shown}: {error}") from error
    try:
        dehazer = Dehazer(runner, tile_size=args.tile_size, overlap=args.overlap)
    except ValueError as error:  # the tiling options do not fit this model
        raise UsageError(f"--tile-size/--overlap do not fit model {shown}: {error}") from error
    try:
        from kfreqgan.paths import check_writable_folder

        check_writable_folder(out)
        _mark_as_ours(out, args.input)
    except (ValueError, OSError) as error:
        raise UsageError(error_line(error)) from None

    failures = []
    progress = _Progress(len(images), args.quiet)
    try:
        for source, name in images:
            raise_if_interrupted()
            try:
                dehaze_file(dehazer, source, os.path.join(out, name), progress.tiles(name))
            except Exception as error:  # one bad file must not stop the folder
                if args.debug:
                    import traceback

                    traceback.print_exc()
                message = error_line(error)
                failures.append((source, message))
                print(f"kfreqgan-dehaze: error: {printable(source)}: {printable(message)}", file=sys.stderr, flush=True)
            progress.step(name)
    finally:
        progress.close()
    return len(images) - len(failures), failures


def _run(args):
    done, failures = run(args)
    total = done + len(failures)
    print(f"dehazed {done} of {total} image{'s' if total != 1 else ''} into {printable(args.out)}")
    if failures:
        print(f"failed ({len(failures)}): " + printable("; ".join(f"{path} ({reason})" for path, reason in failures)), file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def main(argv=None):
    """Runs `kfreqgan-dehaze`; returns the exit status: 0, 1 when some images
    failed (the others are written), 2 with one line for a usage or input
    error, 130 when interrupted (`kfreqgan.command_line`)."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
