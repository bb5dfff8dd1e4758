"""Image files on disk: listing, reading and writing them, one way for everyone.

Every part of kfreqgan that touches image files goes through this module:
`kfreqgan-dehaze`, the paired folders of `kfreqgan.data.folders`
(`image_pair_dataset`, `load_image`), `kfreqgan-spectrum`, int8 calibration
and the `hazy_pairs` builder. So a phone JPEG is read upright (its EXIF
orientation applied) everywhere, and every image mode is handled by one
policy:

- `list_image_files(directory, recursive=..., strict=...)`: the regular
  files named `*.png`, `*.jpg`, ... (`IMAGE_EXTENSIONS`, any letter case),
  sorted; hidden names (`.DS_Store`, `.tmp-*`) are skipped, and FIFOs,
  sockets, devices and folders are never images, whatever their name.
- `read_image(path)`: the pixels as float32 `(H, W, C)` in [0, 1] and an
  `ImageInfo` that says how to write them back; `load_image(path)`: the
  same as RGB `(H, W, 3)` (grey repeated, alpha dropped) for models;
  `read_image_bytes` / `load_image_bytes` decode a file's bytes held in
  memory the same way (a photo inside a Qt resource bundle).
- `write_image(path, pixels, info)`: atomically, in the format of `path`'s
  extension (or the one `format_name` gives), with the mode, bit depth,
  alpha, colour profile and resolution (dpi) of `info`, and the
  permissions of an ordinary new file (umask). A PNG's colour chunks
  (gamma `gAMA`, chromaticities `cHRM`, sRGB rendering intent `sRGB`) are
  kept like its ICC profile, when PNG is written; its text chunks are not.

The image-mode policy (Pillow decodes; it is a dependency through
matplotlib). Each mode round-trips, or is refused with one line naming the
file and the mode; nothing is ever converted silently into something else:

| file holds                                   | read as            | written back as     |
|----------------------------------------------|--------------------|---------------------|
| 8-bit grey (L), grey + alpha (LA)            | L / LA, 8 bits     | the same            |
| 8-bit RGB, RGBA; RGBX (BMP, TIFF)            | RGB / RGBA         | the same (RGBX: RGB;|
|                                              |                    | no RGBA BMP: refused)|
| grey or RGB with a tRNS colour key (PNG)     | LA / RGBA          | LA / RGBA           |
| palette (P, PA), with or without transparency| RGB, or RGBA       | RGB, or RGBA        |
| 1-bit (bilevel)                              | L (0 and 1)        | 8-bit L             |
| 16-bit grey PNG/TIFF (I;16, I;16B, ...)      | L, 16 bits         | 16-bit grey         |
| 16-bit grey+alpha, RGB, RGBA PNG             | LA/RGB/RGBA, 16 b. | the same, 16 bits   |
| CMYK JPEG/TIFF with an ICC profile           | RGB (ICC to sRGB)  | RGB tagged sRGB     |
| CMYK without profile or without LittleCMS    | refused            |                     |
| 16-bit colour TIFF, 16-bit PNG with tRNS     | refused            |                     |
| an ICC profile of another colour space (RGB tagged CMYK, grey tagged RGB) | refused |      |
| 32-bit int (I), float (F), premultiplied (La, RGBa), YCbCr, LAB, HSV | refused |  |
| animated GIF/PNG/WebP, multi-page TIFF       | refused            |                     |
| GIF, and formats other than PNG, JPEG (and MPO, a phone JPEG's primary image), BMP, TIFF, WebP | refused | |

The ICC profile of an RGB or grey image is carried over unchanged (a CMYK
profile never is: those images are converted to sRGB). EXIF is kept for
JPEG, PNG and WebP with its orientation removed, as the pixels are stored
upright; 16-bit colour PNGs are written with their ICC profile but without
EXIF. JPEG and lossy WebP are written at quality 95 (JPEG with 4:4:4
chroma), so only they do not round-trip bit-exactly; lossless WebP stays
lossless and TIFF keeps its compression.
"""

import dataclasses
import io
import math
import os
import stat
import struct
import warnings
import zlib

import numpy as np

from kfreqgan._validation import first_line

_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}

IMAGE_EXTENSIONS = tuple(_SAVE_FORMATS)
"""File extensions listed as images (compared case-insensitively): `.png`,
`.jpg`, `.jpeg`, `.bmp`, `.tif`, `.tiff`, `.webp`; `write_image` writes each
of them back, in the Pillow format its extension names."""

FORMATS = ("PNG", "JPEG", "MPO", "BMP", "TIFF", "WEBP")
"""Pillow formats that are read (MPO: a phone JPEG with preview frames;
its first frame is the photo)."""

_ORIENTATION = 0x0112
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
"""The eight bytes every PNG file starts with (also checked in the serving graph)."""


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    """How an image was stored, so that `write_image` can store it alike.

    Attributes:
        mode: what the pixels are: `"L"`, `"LA"`, `"RGB"` or `"RGBA"`.
        bit_depth: 8 or 16 (the scale of the [0, 1] pixels: 255 or 65535).
        format: the Pillow format of the file it was read from (`"PNG"`).
        source_mode: the file's own Pillow mode (`"P"`, `"CMYK"`, `"I;16"`).
        icc_profile: the ICC profile to write with the pixels, or None.
        exif: EXIF bytes without the orientation, or None.
        compression: TIFF compression to keep, `"lossless"` or `"lossy"` for
            WebP, or None.
        dpi: the `(x, y)` resolution in dots per inch the file records, or
            None; written back where the format holds one.
        gamma: a PNG's file gamma (its `gAMA` chunk, e.g. 0.45455), or None.
        chromaticity: a PNG's white point and primaries (its `cHRM`
            chunk: white x, y, red x, y, green x, y, blue x, y), or None.
        srgb_intent: a PNG's sRGB rendering intent (its `sRGB` chunk, 0 to
            3), or None.

    The three PNG colour chunks say how to show the pixels, as the ICC
    profile does, and are written back when PNG is written (not into other
    formats, which have no place for them); the `sRGB` chunk only without
    an ICC profile, as the PNG specification asks.
    """

    mode: str
    bit_depth: int = 8
    format: str = "PNG"
    source_mode: str = ""
    icc_profile: bytes = None
    exif: bytes = None
    compression: str = None
    dpi: tuple = None
    gamma: float = None
    chromaticity: tuple = None
    srgb_intent: int = None

    @property
    def channels(self):
        return len(self.mode)

    @property
    def has_alpha(self):
        return self.mode.endswith("A")

    @property
    def is_grey(self):
        return self.mode.startswith("L")


# --- listing ------------------------------------------------------------------


def has_image_extension(name):
    """Whether a file name ends with one of `IMAGE_EXTENSIONS` (any case)."""
    return os.fspath(name).lower().endswith(IMAGE_EXTENSIONS)


def _is_url(path):
    return "://" in path


def _check_directory(directory, name):
    """`directory` as a str after checking it exists and is a folder."""
    try:
        directory = os.fsdecode(directory)
    except TypeError:
        raise ValueError(f"`{name}` must be a path to a folder. Received: {name}={directory!r}") from None
    if not directory:
        raise ValueError(f"`{name}` must be a path to a folder. Received: {name}={directory!r}")
    if _is_url(directory):
        import tensorflow as tf

        exists, is_dir = tf.io.gfile.exists(directory), tf.io.gfile.isdir(directory)
    else:
        exists, is_dir = os.path.exists(directory), os.path.isdir(directory)
    if not exists:
        raise FileNotFoundError(f"`{name}` does not exist. Received: {name}={directory!r}")
    if not is_dir:
        raise ValueError(f"`{name}` must be a folder, not a file. Received: {name}={directory!r}")
    return directory


def _entries(directory):
    """`[(name, path, kind)]` in a folder; kind "file" (regular), "dir",
    "linked-dir" (a symlink to a folder) or "other" (FIFO, socket, device,
    dangling link)."""
    if _is_url(directory):
        import tensorflow as tf

        found = []
        for entry in tf.io.gfile.listdir(directory):
            entry = entry.rstrip("/")
            path = directory.rstrip("/") + "/" + entry
            found.append((entry, path, "dir" if tf.io.gfile.isdir(path) else "file"))
        return found
    found = []
    with os.scandir(directory) as scan:
        for entry in scan:
            try:
                mode = os.stat(entry.path).st_mode  # symlinks followed
            except OSError:
                kind = "other"  # a dangling link: not an image
            else:
                if stat.S_ISDIR(mode):
                    kind = "linked-dir" if entry.is_symlink() else "dir"  # linked folders: never followed
                else:
                    kind = "file" if stat.S_ISREG(mode) else "other"
            found.append((entry.name, entry.path, kind))
    return found


def list_image_files(directory, name="directory", *, recursive=False, strict=True, exclude=()):
    """Lists the image files in a folder, sorted by path.

    Hidden entries (names starting with `.`) are skipped, and so are
    symlinks to folders (no loops). Only regular files (or symlinks to them)
    are images: a FIFO, socket or device is never opened, whatever its name.

    Args:
        directory: the folder (str or path-like; `gs://` works).
        name: how the folder is called in messages (`"hazy_dir"`).
        recursive: also list the images in sub-folders (depth first, sorted).
        strict: refuse (`ValueError`, naming it) a non-hidden entry that is
            not an image file: a file without an image extension, or a
            FIFO, socket or device. With `strict=False` those are skipped.
            Sub-folders are never an error.
        exclude: folders whose trees are left out (compared by
            `kfreqgan.paths.same_place`, so any spelling), e.g. an output
            folder inside the input folder.

    Returns:
        List of str paths (`directory` joined with the relative path).

    Raises:
        FileNotFoundError: if `directory` does not exist.
        ValueError: if it is a file, holds no image, or (strict) holds a
            file that is not an image.
    """
    from kfreqgan.paths import same_place

    directory = _check_directory(directory, name)
    exclude = [os.fspath(path) for path in exclude]
    images, strays = [], []

    def visit(folder):
        for entry, path, kind in sorted(_entries(folder)):
            if entry.startswith("."):
                continue
            if kind in ("dir", "linked-dir"):
                if kind == "dir" and recursive and not any(same_place(path, excluded) for excluded in exclude):
                    visit(path)
            elif kind == "file" and has_image_extension(entry):
                images.append(path)
            elif kind == "other" and has_image_extension(entry):
                strays.append((path, "not a regular file"))
            else:
                strays.append((path, "not an image"))

    visit(directory)
    if strict and strays:
        (path, reason), others = strays[0], f" (and {len(strays) - 1} more)" if len(strays) > 1 else ""
        raise ValueError(
            f"`{name}` contains a file that is {reason}: {path!r}{others}. Expected only "
            f"{', '.join(IMAGE_EXTENSIONS)} files (hidden files are skipped); move other files elsewhere. "
            f"Received: {name}={directory!r}"
        )
    if not images:
        where = "" if recursive else "; sub-folders are not searched"
        raise ValueError(
            f"`{name}` contains no images ({', '.join(IMAGE_EXTENSIONS)}{where}). Received: {name}={directory!r}"
        )
    return images


# --- reading ------------------------------------------------------------------


class UnsupportedImageError(ValueError):
    """An image file in a mode or format that kfreqgan refuses (see the policy)."""


def _check_file(path):
    try:
        path = os.fsdecode(path)
    except TypeError:
        raise ValueError(f"`path` must be a path to an image file. Received: path={path!r}") from None
    if _is_url(path):
        import tensorflow as tf

        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"Image file does not exist. Received: path={path!r}")
        if tf.io.gfile.isdir(path):
            raise ValueError(f"Expected an image file, got a folder. Received: path={path!r}")
        return path
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"Image file does not exist. Received: path={path!r}") from None
    except OSError as error:
        raise ValueError(f"Could not read the image file {path!r}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise ValueError(f"Expected an image file, got a folder. Received: path={path!r}")
    if not stat.S_ISREG(mode):
        kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device or special file"
        raise ValueError(f"Expected an image file, got a {kind}. Received: path={path!r}")
    return path


def _read_bytes(path):
    try:
        if _is_url(path):
            import tensorflow as tf

            with tf.io.gfile.GFile(path, "rb") as handle:
                return handle.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise ValueError(f"Could not read the image file {path!r}: {error.strerror or error}") from None


def _refuse(path, what):
    return UnsupportedImageError(f"The image file {path!r} is {what}, which kfreqgan does not read.")


def _png_header(data):
    """(bit depth, colour type) from a PNG's IHDR, or (None, None)."""
    if data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR" and len(data) >= 26:
        return data[24], data[25]
    return None, None


def _orient(array, orientation):
    """Turns pixels stored with EXIF `orientation` upright (as Pillow's
    `ImageOps.exif_transpose` does)."""
    return {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, k=-1),
        7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
        8: lambda a: np.rot90(a, k=1),
    }.get(orientation, lambda a: a)(array)


def _cmyk_to_srgb(path, image, icc):
    """A CMYK image as sRGB through its ICC profile (Pillow's LittleCMS)."""
    if not icc:
        raise _refuse(path, "CMYK without an ICC profile (its colours are not defined)")
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    except ImportError:
        raise _refuse(path, "CMYK, and Pillow has no LittleCMS to convert it") from None
    except Exception as error:  # ImageCms.PyCMSError and friends
        raise _refuse(path, f"CMYK with an ICC profile that cannot be applied ({first_line(error)})") from None
    return np.asarray(converted), srgb.tobytes()


def _colour_key_alpha(array, key, maximum):
    """Alpha (fully opaque except where a pixel equals the tRNS colour key)."""
    key = np.asarray(key).reshape(-1)
    if array.ndim == 2:
        transparent = array == key[0]
    else:
        transparent = np.all(array == key[: array.shape[-1]], axis=-1)
    return np.where(transparent, 0, maximum).astype(array.dtype)


def _pixels(path, data, image):
    """`(integer array (H, W[, C]), mode, bit_depth, icc)` per the policy."""
    mode, info, icc = image.mode, image.info, image.info.get("icc_profile") or None
    depth, colour_type = _png_header(data)
    transparency = info.get("transparency")
    if image.format == "TIFF" and mode in ("RGB", "RGBA", "RGBX", "CMYK"):
        bits = image.tag_v2.get(258, (8,))
        bits = bits if isinstance(bits, tuple) else (bits,)
        if max(bits) > 8:
            raise _refuse(path, f"a {max(bits)}-bit colour TIFF (mode {mode}; Pillow would keep only 8 bits)")
    if depth == 16 and colour_type in (2, 4, 6):  # Pillow reduces these to 8 bits: decode all 16
        if transparency is not None:
            raise _refuse(path, "a 16-bit PNG with a transparent colour key (tRNS)")
        import tensorflow as tf

        array = tf.io.decode_png(data, channels=0, dtype=tf.uint16).numpy()
        return array, {2: "RGB", 4: "LA", 6: "RGBA"}[colour_type], 16, icc
    if mode in ("I;16", "I;16L", "I;16B", "I;16N") or (mode == "I" and depth == 16):
        if transparency is not None:
            raise _refuse(path, f"16-bit grey with a transparent colour key (mode {mode})")
        return np.asarray(image).astype(np.uint16), "L", 16, icc
    if mode == "1":
        return np.asarray(image.convert("L")), "L", 8, icc
    if mode in ("L", "RGB") and transparency is not None and not isinstance(transparency, bytes):
        array = np.asarray(image)
        alpha = _colour_key_alpha(array, transparency, 255)
        array = array[..., None] if array.ndim == 2 else array
        return np.concatenate([array, alpha[..., None]], axis=-1), mode[0] + "A" if mode == "L" else "RGBA", 8, icc
    if mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(image), mode, 8, icc
    if mode == "RGBX":
        return np.asarray(image.convert("RGB")), "RGB", 8, icc
    if mode in ("P", "PA"):
        target = "RGBA" if mode == "PA" or transparency is not None else "RGB"
        return np.asarray(image.convert(target)), target, 8, icc
    if mode == "CMYK":
        array, srgb = _cmyk_to_srgb(path, image, icc)
        return array, "RGB", 8, srgb
    described = {
        "I": "32-bit integer",
        "F": "32-bit floating-point",
        "La": "premultiplied grey + alpha",
        "RGBa": "premultiplied RGBA",
        "YCbCr": "YCbCr",
        "LAB": "CIE Lab",
        "HSV": "HSV",
    }.get(mode, "in an unusual mode")
    raise _refuse(path, f"{described} (mode {mode})")


def _empty_file(path):
    return ValueError(f"Could not decode the image file {path!r} (corrupt, or not an image): the file is empty.")


def _decode_error(path, error):
    """One line for a file the decoder rejects (its reason without the path)."""
    reason = first_line(error)
    if reason.startswith("cannot identify image file"):
        reason = "not a PNG, JPEG, BMP, TIFF or WebP image"
    return ValueError(f"Could not decode the image file {path!r} (corrupt, or not an image): {reason}")


def _check_profile(path, icc, mode):
    """Refuses an ICC profile for another colour space than the pixels'
    (RGB pixels tagged CMYK, grey tagged RGB): writing it back would keep a
    wrong image. Bytes that are not an ICC profile are carried as they are."""
    if not icc or len(icc) < 40 or icc[36:40] != b"acsp":
        return
    space = icc[16:20]
    expected = b"GRAY" if mode.startswith("L") else b"RGB "
    if space != expected:
        described = space.decode("ascii", "replace").strip()
        raise _refuse(path, f"{mode} pixels tagged with a {described} ICC profile (the profile does not describe them)")


def _webp_kind(data):
    """"lossless" or "lossy": the kind of a WebP file's bitstream (RIFF chunks)."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        if fourcc in (b"VP8L", b"VP8 "):
            return "lossless" if fourcc == b"VP8L" else "lossy"
        offset += 8 + size + (size & 1)
    return "lossy"


def _open_quietly(source):
    """`Image.open` without Pillow's DecompressionBombWarning: between its
    warning and error limits (~89M-179M pixels) a photo is read without a
    line on stderr; above, Pillow refuses it (DecompressionBombError)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", getattr(Image, "DecompressionBombWarning", Warning))
        return Image.open(source)


def read_image(path, max_side=None):
    """Reads an image file: `(pixels, info)`.

    The pixels are turned upright by the file's EXIF orientation, and
    converted per the module's mode policy (refused modes raise).

    Args:
        path: the image file (str or path-like; `gs://` works).
        max_side: if given, a larger image is shrunk (area filter, aspect
            kept) so that its longer side is this many pixels; a JPEG is
            first decoded at 1/2, 1/4 or 1/8 scale where that stays at
            least this large (fast: the DCT does the first reduction).

    Returns:
        `pixels`: float32 `(H, W, C)` in [0, 1], C = `len(info.mode)`
        (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA), scaled by 255 or 65535;
        `info`: an `ImageInfo` for `write_image`.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: for a folder, FIFO or other non-regular file, a file
            that is not a readable image, one too large to decode safely,
            and `UnsupportedImageError` (a `ValueError`) for a refused mode
            or format. The message is one line that names the file.
    """
    path = _check_file(path)
    return _decode(path, _read_bytes(path), max_side)


def read_image_bytes(data, name, max_side=None):
    """`read_image` for an image file's bytes held in memory (e.g. a member
    of a Qt resource bundle, `kfreqgan.data.qt_resources`): the same decoding,
    orientation and mode policy; `name` stands for the file in messages."""
    return _decode(name, bytes(data), max_side)


def _decode(path, data, max_side):
    from PIL import Image

    if not data:
        raise _empty_file(path)
    bomb = getattr(Image, "DecompressionBombError", ())
    try:
        with _open_quietly(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise _refuse(path, f"a {image.format} file (kfreqgan reads PNG, JPEG, BMP, TIFF and WebP)")
            frames = getattr(image, "n_frames", 1)
            if frames > 1 and image.format != "MPO":
                raise _refuse(path, f"an animated or multi-page {image.format} ({frames} frames)")
            if max_side is not None and image.format in ("JPEG", "MPO") and max(image.size) > max_side:
                scale = max_side / max(image.size)
                image.draft(image.mode, tuple(max(1, math.ceil(side * scale)) for side in image.size))
            image.load()
            exif = image.getexif()
            orientation = exif.get(_ORIENTATION, 1)
            array, mode, bit_depth, icc = _pixels(path, data, image)
            _check_profile(path, icc, mode)
            info_format = "JPEG" if image.format == "MPO" else image.format
            compression = image.info.get("compression") if image.format == "TIFF" else None
            compression = _webp_kind(data) if image.format == "WEBP" else compression
            dpi = _dpi(image.info.get("dpi"))
            colour = _png_colour(image) if image.format == "PNG" else {}
    except UnsupportedImageError:
        raise
    except bomb as error:
        raise ValueError(f"Could not decode the image file {path!r} (too large to decode safely): {first_line(error)}") from None
    except Exception as error:  # Pillow's OSError/SyntaxError/..., TensorFlow's decode_png errors
        raise _decode_error(path, error) from None
    if _ORIENTATION in exif:
        del exif[_ORIENTATION]
    array = array[..., None] if array.ndim == 2 else array
    array = np.ascontiguousarray(_orient(array, orientation))
    pixels = array.astype(np.float32) / np.float32(65535.0 if bit_depth == 16 else 255.0)
    if max_side is not None and max(pixels.shape[:2]) > max_side:
        pixels = _shrink(pixels, max_side)
    info = ImageInfo(
        mode=mode,
        bit_depth=bit_depth,
        format=info_format,
        source_mode=image.mode,
        icc_profile=icc,
        exif=exif.tobytes() if len(exif) else None,
        compression=compression,
        dpi=dpi,
        **colour,
    )
    return pixels, info


def _png_colour(image):
    """The `ImageInfo` fields of a PNG's gAMA, cHRM and sRGB chunks that it has."""
    colour = {}
    if image.info.get("gamma"):
        colour["gamma"] = float(image.info["gamma"])
    if image.info.get("chromaticity"):
        colour["chromaticity"] = tuple(float(value) for value in image.info["chromaticity"])
    if image.info.get("srgb") in (0, 1, 2, 3):
        colour["srgb_intent"] = int(image.info["srgb"])
    return colour


def _dpi(value):
    """A file's recorded `(x, y)` dots per inch as floats, or None if it
    records none (or nonsense: Pillow reports TIFF's missing unit as 1)."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x, y) if x > 1 and y > 1 and math.isfinite(x) and math.isfinite(y) else None


def _shrink(pixels, max_side):
    """Area-filtered resize so that the longer side is `max_side`."""
    import tensorflow as tf

    height, width = pixels.shape[:2]
    scale = max_side / max(height, width)
    size = (max(int(round(height * scale)), 1), max(int(round(width * scale)), 1))
    shrunk = tf.image.resize(pixels, size, method="area", antialias=True).numpy()
    return np.clip(shrunk, 0.0, 1.0).astype(np.float32)


def load_image(path, max_side=None):
    """Reads an image file as float32 RGB `(H, W, 3)` in [0, 1], for models.

    `read_image` (upright, the mode policy, `max_side`), then grey is
    repeated over the three channels and an alpha channel is dropped (not
    composited).

    Raises:
        FileNotFoundError / ValueError: as `read_image`.
    """
    return _as_rgb(*read_image(path, max_side=max_side))


def _as_rgb(pixels, info):
    if info.is_grey:
        return np.repeat(pixels[..., :1], 3, axis=-1)
    return np.ascontiguousarray(pixels[..., :3])


def load_image_bytes(data, name, max_side=None):
    """`load_image` for an image file's bytes held in memory (see
    `read_image_bytes`): float32 RGB `(H, W, 3)` in [0, 1]."""
    return _as_rgb(*read_image_bytes(data, name, max_side=max_side))


def image_size(path, decode=False):
    """`(height, width)` of an image as `read_image` returns it (upright),
    from the header only, without decoding the pixels.

    With `decode`, the file is then read by `read_image` as well (every
    pixel decoded, which is what fails on a truncated or corrupt file, and
    the mode policy applied, which refuses a CMYK file without a profile or
    a float TIFF), so that such a file is refused now rather than when its
    pixels are first needed. That costs one reading of the file (~1 ms for
    a 600x400 JPEG, against ~0.05 ms for the header alone).

    Raises:
        FileNotFoundError / ValueError: as `read_image`, for what the header
            (and with `decode`, the pixel data and its mode) shows; the
            header is read first, so an image too large to decode is named
            as such without decoding it.
    """
    from PIL import Image

    path = _check_file(path)
    bomb = getattr(Image, "DecompressionBombError", ())
    if not _is_url(path) and os.stat(path).st_size == 0:
        raise _empty_file(path)  # as read_image says it, not "not a PNG, JPEG, ..."
    try:
        if _is_url(path):
            data = io.BytesIO(_read_bytes(path))
        else:
            data = path
        with _open_quietly(data) as image:
            width, height = image.size
            if image.format == "TIFF":
                # Pillow reports a TIFF's size upright already (and turns
                # its pixels on load); the stored size is in the tags.
                width, height = image.tag_v2.get(256, width), image.tag_v2.get(257, height)
            orientation = image.getexif().get(_ORIENTATION, 1)
    except bomb as error:  # a header that claims billions of pixels
        raise ValueError(f"The image file {path!r} is too large to read: {first_line(error)}") from None
    except Exception as error:
        raise _decode_error(path, error) from None
    if decode:
        pixels, _ = _decode(path, data.getvalue() if _is_url(path) else _read_bytes(path), None)
        return pixels.shape[:2]
    return (width, height) if orientation in (5, 6, 7, 8) else (height, width)


# --- writing ------------------------------------------------------------------


def _png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def _png_colour_chunks(info):
    """`(type, payload)` of the gAMA, cHRM and sRGB chunks `info` records
    (sRGB only without an ICC profile: the PNG specification allows one of
    the two), for both PNG writers."""
    chunks = []
    if info.gamma:
        chunks.append((b"gAMA", struct.pack(">I", round(info.gamma * 100000))))
    if info.chromaticity:
        chunks.append((b"cHRM", struct.pack(">8I", *(round(value * 100000) for value in info.chromaticity))))
    if info.srgb_intent is not None and not info.icc_profile:
        chunks.append((b"sRGB", bytes([info.srgb_intent])))
    return chunks


def _encode_png16(array, icc_profile, dpi=None, colour_chunks=()):
    """A 16-bit PNG (any channel count) with optional iCCP and pHYs (dpi)
    chunks, and the colour chunks of `_png_colour_chunks`."""
    import tensorflow as tf

    data = tf.io.encode_png(array.astype(np.uint16)).numpy()
    chunks = b"".join(_png_chunk(kind, payload) for kind, payload in colour_chunks)
    if icc_profile:
        chunks += _png_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile))
    if dpi:
        per_metre = [round(value / 0.0254) for value in dpi]
        chunks += _png_chunk(b"pHYs", struct.pack(">IIB", per_metre[0], per_metre[1], 1))
    end_of_ihdr = 8 + 4 + 4 + 13 + 4
    return data[:end_of_ihdr] + chunks + data[end_of_ihdr:]


_EIGHT_BIT_MODES = {"JPEG": ("L", "RGB"), "BMP": ("L", "RGB"), "WEBP": ("RGB", "RGBA")}  # Pillow reads RGBA BMPs back as RGB


def _quantised(pixels, info):
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.shape[-1] != info.channels:
        raise ValueError(f"`pixels` must have shape (height, width, {info.channels}) for mode {info.mode}. Received: shape={pixels.shape}")
    maximum = 65535 if info.bit_depth == 16 else 255
    dtype = np.uint16 if info.bit_depth == 16 else np.uint8
    if np.issubdtype(pixels.dtype, np.integer):
        if pixels.min(initial=0) < 0 or pixels.max(initial=0) > maximum:
            raise ValueError(f"Integer `pixels` must lie in [0, {maximum}]. Received: dtype={pixels.dtype}")
        return pixels.astype(dtype)
    pixels = np.asarray(pixels, np.float64)
    if not np.all(np.isfinite(pixels)):
        raise ValueError("`pixels` contains NaN or Inf values.")
    return np.round(np.clip(pixels, 0.0, 1.0) * maximum).astype(dtype)


def write_image(path, pixels, info, format_name=None):
    """Writes pixels as an image file like the one `info` describes, atomically.

    Args:
        path: the file to write; its extension picks the format (one of
            `IMAGE_EXTENSIONS`) unless `format_name` does. Its folder is
            created if missing.
        pixels: float `(H, W, C)` in [0, 1] (clipped, then rounded to the
            bit depth), or integers at `info.bit_depth`; C = `len(info.mode)`.
        info: an `ImageInfo` (from `read_image`, or made for new images,
            e.g. `ImageInfo("RGB")`).
        format_name: the Pillow format to write (`"PNG"`, `"JPEG"`, ...,
            one of `_SAVE_FORMATS`' values) whatever the extension says; for
            a file whose name and content disagree (a PNG named `.jpg`),
            `info.format` keeps the content's format.

    Raises:
        ValueError: if the format cannot hold `info`'s mode or bit depth
            (say, 16 bits as JPEG), or the pixels do not fit `info`.
        OSError: if the file cannot be written (naming `path`).
    """
    from PIL import Image

    from kfreqgan.atomic_files import write_atomically

    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if format_name is None:
        format_name = _SAVE_FORMATS.get(extension)
        if format_name is None:
            raise ValueError(f"Cannot write an image with this extension (use one of {', '.join(IMAGE_EXTENSIONS)}). Received: path={path!r}")
    elif format_name not in set(_SAVE_FORMATS.values()):
        raise ValueError(f"`format_name` must be one of {sorted(set(_SAVE_FORMATS.values()))}. Received: format_name={format_name!r}")
    array = _quantised(pixels, info)
    if info.bit_depth == 16:
        if format_name not in ("PNG", "TIFF") or (format_name == "TIFF" and info.mode != "L"):
            raise ValueError(f"{format_name} cannot hold 16-bit {info.mode} pixels without losing bits. Received: path={path!r}")
        if info.mode == "L":
            image = Image.fromarray(np.ascontiguousarray(array[..., 0]))  # uint16: I;16
        else:
            encoded = _encode_png16(array, info.icc_profile, info.dpi, _png_colour_chunks(info))

            def save_encoded(temporary):
                with open(temporary, "wb") as handle:
                    handle.write(encoded)

            write_atomically(path, save_encoded)
            return
    else:
        if format_name in _EIGHT_BIT_MODES and info.mode not in _EIGHT_BIT_MODES[format_name]:
            raise ValueError(f"{format_name} cannot hold {info.mode} pixels. Received: path={path!r}")
        image = Image.fromarray(np.ascontiguousarray(array[..., 0] if info.mode == "L" else array))  # uint8: L, LA, RGB, RGBA
    options = {}
    if info.icc_profile:
        options["icc_profile"] = info.icc_profile
    if info.exif and format_name in ("JPEG", "PNG", "WEBP"):
        options["exif"] = info.exif
    if info.dpi and format_name in ("JPEG", "PNG", "TIFF", "BMP"):
        options["dpi"] = info.dpi
    if format_name == "PNG" and _png_colour_chunks(info):
        from PIL import PngImagePlugin

        options["pnginfo"] = PngImagePlugin.PngInfo()
        for kind, payload in _png_colour_chunks(info):
            options["pnginfo"].add(kind, payload)
    if format_name == "JPEG":
        options.update(quality=95, subsampling=0)
    elif format_name == "WEBP":
        options.update(lossless=True) if info.compression == "lossless" else options.update(quality=95)
    elif format_name == "TIFF" and info.compression in ("raw", "tiff_lzw", "tiff_deflate", "tiff_adobe_deflate", "packbits"):
        options["compression"] = info.compression

    def save(temporary):
        image.save(temporary, format=format_name, **options)

    write_atomically(path, save)
