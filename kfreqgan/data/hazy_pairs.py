"""TFDS builder `hazy_pairs`: clean/hazy training pairs made from your own photos.

The builder reads a local folder of clean images (TFDS's `manual_dir`; it
never downloads anything), cuts `examples_per_image` random square crops
from each, and hazes every crop with the atmospheric scattering model
(`kfreqgan.data.make_hazy_pairs`), storing the clean crop, the hazy crop,
the transmission map and the haze parameters:

    import tensorflow_datasets as tfds
    from kfreqgan.data.hazy_pairs import HazyPairs  # registers `hazy_pairs`

    builder = HazyPairs(config="rgb-64", data_dir="~/tensorflow_datasets")
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir="~/photos"))
    train = builder.as_dataset(split="train", as_supervised=True)  # (hazy, clean)

Folder layout (`manual_dir`):

    photos/0001.png           clean images: png, jpg, jpeg or bmp
    photos/beach.jpg
    photos/depth/0001.png     optional depth map of 0001.png: a 16-bit PNG or
    photos/depth/beach.npy    an (H, W) / (H, W, 1) .npy, same size as the image

What the builder does with each image, in order:

1. Depth: a depth map from `depth/<stem>.png|.npy` is scaled to [0, 1] by
   its own maximum (`normalize_depth`), so `beta` means the same on every
   scene. Images without one get the synthetic prior `synthetic_depth` (a
   tilted ground plane plus smooth relief), drawn per crop.
2. Scale: the image (and its depth) is resized so its shorter side is
   `short_side` pixels, area filter when shrinking, bicubic (bilinear for
   depth) when enlarging. The built-in configs use `short_side = 2 * size`,
   so each crop sees about half of the scene's shorter side: enough context
   for haze, which grows with distance, to look like haze rather than a
   uniform veil over a texture patch. With `short_side=None` crops are cut
   at native resolution; images smaller than `size` are then enlarged to it.
3. Crops: `examples_per_image` uniformly random `size x size` windows,
   converted to grey with the ITU-R 601 weights when `channels=1`.
4. Haze: the clean crop is rounded to uint8 first and the haze computed from
   that, so the stored arrays satisfy `hazy = clean t + A (1 - t)` to within
   the rounding of `hazy` (0.5 / 255), with `t` and `A` as stored.

Everything is deterministic. Crop windows and the `make_hazy_pairs` seed
(depth, `beta`, airlight) are hashed from (config seed, image stem, crop
index), so two builds give
identical examples and adding an image changes nothing about the others.
Each *image* (not each crop) goes to `train` or `test` by a hash of its stem
(`split_sources`), so no scene feeds both splits, and the assignment is the
same for every config and seed.
"""

import dataclasses
import hashlib

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from etils import epath

from kfreqgan._validation import is_real_number
from kfreqgan.data import haze
from kfreqgan.data.image_files import list_image_files
from kfreqgan.data.image_files import load_image
from kfreqgan.spectral import GRAY_WEIGHTS  # ITU-R BT.601, for the grey configs

DEPTH_EXTENSIONS = (".png", ".npy")
"""Depth map formats read from `<manual_dir>/depth/`."""

_RESIDE_CITATION = """\
@article{li2019benchmarking,
  title={Benchmarking Single-Image Dehazing and Beyond},
  author={Li, Boyi and Ren, Wenqi and Fu, Dengpan and Tao, Dacheng and Feng, Dan and Zeng, Wenjun and Wang, Zhangyang},
  journal={IEEE Transactions on Image Processing},
  volume={28},
  number={1},
  pages={492--505},
  year={2019}
}"""


# Graph versions of the haze functions: traced once per crop size and config
# (Python arguments), then reused for every example, ~10x faster than eager.
_make_hazy_pairs = tf.function(haze.make_hazy_pairs)


def _is_int(value):
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


@dataclasses.dataclass(eq=False)
class HazyPairsConfig(tfds.core.BuilderConfig):
    """Configuration of a `hazy_pairs` variant.

    Besides TFDS's `name`, `description` and `version`:

    Attributes:
        size: side in pixels of the square crops (>= 2).
        channels: 3 for RGB, 1 for grey (ITU-R 601 luma).
        beta_range: `(min, max)` of the uniform scattering coefficient, for
            depth normalised to [0, 1] (RESIDE ITS: `(0.6, 1.8)`).
        airlight_range: `(min, max)` of the uniform grey airlight, within
            [0, 1] (RESIDE ITS: `(0.7, 1.0)`).
        examples_per_image: crops cut from each source image (>= 1).
        seed: int >= 0 seeding crops and haze; the train/test assignment
            does not depend on it.
        short_side: each source image is resized so its shorter side has
            this many pixels (an int >= size) before cropping; `"auto"`
            (the default) means `2 * size`; None crops at native resolution
            (enlarging images smaller than `size`).
        test_fraction: expected share of source images in `test`, in (0, 1).

    Raises:
        ValueError: on construction, for any field out of range.
    """

    size: int = 64
    channels: int = 3
    beta_range: tuple = haze.ITS_BETA_RANGE
    airlight_range: tuple = haze.ITS_AIRLIGHT_RANGE
    examples_per_image: int = 8
    seed: int = 0
    short_side: int | str | None = "auto"
    test_fraction: float = 0.1

    def __post_init__(self):
        where = f"HazyPairsConfig {self.name!r}"
        if not _is_int(self.size) or self.size < 2:
            raise ValueError(f"{where}: `size` must be an integer >= 2. Received: size={self.size!r}")
        if self.channels not in (1, 3) or isinstance(self.channels, bool):
            raise ValueError(f"{where}: `channels` must be 3 (RGB) or 1 (grey). Received: channels={self.channels!r}")
        if not _is_int(self.examples_per_image) or self.examples_per_image < 1:
            raise ValueError(
                f"{where}: `examples_per_image` must be an integer >= 1. "
                f"Received: examples_per_image={self.examples_per_image!r}"
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"{where}: `seed` must be an integer >= 0. Received: seed={self.seed!r}")
        if self.short_side == "auto":
            self.short_side = 2 * self.size
        if self.short_side is not None and (not _is_int(self.short_side) or self.short_side < self.size):
            raise ValueError(
                f"{where}: `short_side` must be 'auto', None or an integer >= size ({self.size}). "
                f"Received: short_side={self.short_side!r}"
            )
        if not is_real_number(self.test_fraction) or not (
            0.0 < self.test_fraction < 1.0
        ):
            raise ValueError(
                f"{where}: `test_fraction` must lie strictly between 0 and 1. Received: test_fraction={self.test_fraction!r}"
            )
        try:
            self.beta_range = haze.check_range(self.beta_range, "beta_range")
            self.airlight_range = haze.check_range(self.airlight_range, "airlight_range", 0.0, 1.0)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None


def _unit_hash(text):
    """A stable float in [0, 1) from a string (SHA-256, not Python's hash)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2.0**64


def split_sources(stems, test_fraction=0.1):
    """Assigns source images to `train` / `test` by a stable hash of their stem.

    An image goes to `test` when the SHA-256 of its stem (file name without
    extension), read as a number in [0, 1), is below `test_fraction`, so its
    split never depends on the other images, the config or the seed. Only
    if that leaves a split empty (small folders) does the image with the
    lowest hash move to `test` (or the highest to `train`): TFDS cannot
    write an empty split.

    Args:
        stems: the source images' names without extension (unique).
        test_fraction: expected share of images in `test`, in (0, 1).

    Returns:
        `{"train": [...], "test": [...]}`: sorted, disjoint lists of stems
        that together hold all of `stems`.

    Raises:
        ValueError: for fewer than two images, or repeated stems.
    """
    stems = list(stems)
    if len(set(stems)) != len(stems):
        raise ValueError(f"Source image stems must be unique. Received: stems={sorted(stems)}")
    if len(stems) < 2:
        raise ValueError(
            "hazy_pairs needs at least two source images, one for each of `train` and `test`. "
            f"Received: {len(stems)} image(s) {stems}"
        )
    scores = {stem: _unit_hash(stem) for stem in stems}
    test = [stem for stem in stems if scores[stem] < test_fraction]
    train = [stem for stem in stems if scores[stem] >= test_fraction]
    if not test:
        first = min(train, key=scores.get)
        train.remove(first)
        test.append(first)
    elif not train:
        last = max(test, key=scores.get)
        test.remove(last)
        train.append(last)
    return {"train": sorted(train), "test": sorted(test)}


def example_seeds(config_seed, stem, index):
    """(crop seed for NumPy, haze seed (2,) for `make_hazy_pairs`) for one example."""
    digest = hashlib.sha256(f"hazy_pairs/{config_seed}/{stem}/{index}".encode("utf-8")).digest()
    words = np.frombuffer(digest, dtype="<u4").astype(np.int64)
    return [int(word) for word in words[:4]], words[4:6]


def _to_uint8(image):
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def _resize(image, shape, enlarge_method):
    height, width = image.shape[:2]
    if (height, width) == tuple(shape):
        return image
    shrinking = shape[0] <= height and shape[1] <= width
    method = "area" if shrinking else enlarge_method
    return tf.image.resize(image, shape, method=method, antialias=shrinking).numpy()


def _target_shape(height, width, short_side):
    scale = short_side / min(height, width)
    if height <= width:
        return short_side, max(short_side, int(round(width * scale)))
    return max(short_side, int(round(height * scale))), short_side


def _read_depth(path, image_path, image_shape):
    """Reads a depth map as float32 (H, W, 1), normalised to [0, 1]."""
    path = str(path)
    try:
        with tf.io.gfile.GFile(path, "rb") as handle:
            if path.lower().endswith(".npy"):
                depth = np.load(handle, allow_pickle=False)
            else:
                depth = tf.io.decode_png(handle.read(), channels=0, dtype=tf.uint16).numpy()
    except (tf.errors.OpError, OSError, ValueError) as error:
        reason = str(getattr(error, "message", error)).strip().splitlines()[0]
        raise ValueError(f"Could not read the depth map {path!r} (a 16-bit PNG or .npy array): {reason}") from None
    if depth.ndim == 2:
        depth = depth[..., np.newaxis]
    if depth.ndim != 3 or depth.shape[-1] != 1 or not (
        np.issubdtype(depth.dtype, np.floating) or np.issubdtype(depth.dtype, np.integer)
    ):
        raise ValueError(
            f"The depth map {path!r} must be a numeric (H, W) or (H, W, 1) array (one channel). "
            f"Received: shape={depth.shape}, dtype={depth.dtype}"
        )
    depth = depth.astype(np.float32)
    if depth.shape[:2] != tuple(image_shape[:2]):
        raise ValueError(
            f"The depth map {path!r} must have the size of its image {image_path!r}. "
            f"Received: depth (height, width)={depth.shape[:2]}, image (height, width)={tuple(image_shape[:2])}"
        )
    if not np.all(np.isfinite(depth)) or depth.min() < 0 or depth.max() <= 0:
        raise ValueError(
            f"The depth map {path!r} must be finite, >= 0 and not all zero. "
            f"Received: min={np.nanmin(depth):.4g}, max={np.nanmax(depth):.4g}"
        )
    return haze.normalize_depth(depth).numpy()


def _find_sources(manual_dir):
    """Lists `(stem, image_path, depth_path or None)` for the manual folder."""
    images = list_image_files(manual_dir, "manual_dir")
    by_stem = {}
    for path in images:
        stem = epath.Path(path).stem
        if stem in by_stem:
            raise ValueError(
                f"`manual_dir` holds two images with the stem {stem!r}: {by_stem[stem]!r} and {path!r}. "
                f"Rename or remove one. Received: manual_dir={str(manual_dir)!r}"
            )
        by_stem[stem] = path
    depths = {}
    depth_dir = epath.Path(manual_dir) / "depth"
    if depth_dir.is_dir():
        for entry in sorted(depth_dir.iterdir(), key=lambda p: p.name):
            if entry.name.startswith(".") or entry.is_dir():
                continue
            stem, extension = entry.stem, entry.suffix.lower()
            if extension not in DEPTH_EXTENSIONS:
                raise ValueError(
                    f"The depth folder holds a file that is not a depth map: {str(entry)!r}. "
                    f"Expected {' or '.join(DEPTH_EXTENSIONS)} files named after an image."
                )
            if stem not in by_stem:
                raise ValueError(
                    f"The depth map {str(entry)!r} has no image: `manual_dir` has no image with the stem {stem!r}. "
                    f"Depth maps must be named like their image, e.g. depth/{stem}.png for {stem}.jpg."
                )
            if stem in depths:
                raise ValueError(f"Two depth maps for the image {by_stem[stem]!r}: {depths[stem]!r} and {str(entry)!r}.")
            depths[stem] = str(entry)
    return [(stem, by_stem[stem], depths.get(stem)) for stem in sorted(by_stem)]


class HazyPairs(tfds.core.GeneratorBasedBuilder):
    """Paired hazy/clean crops synthesised from a local folder of clean photos.

    Each example holds `hazy` and `clean` (uint8 images, `(size, size,
    channels)`), `transmission` (float32 `(size, size, 1)`), the scalars
    `beta` and `airlight`, and `source` (the image's file name). Use
    `as_supervised=True` for `(hazy, clean)` tuples. See the module
    docstring for the folder layout and every processing step.

    Configs: `rgb-64` (default), `rgb-128` and `gray-28`; make others with
    `HazyPairs(config=HazyPairsConfig(name=..., ...))`.
    """

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Haze made by kfreqgan.data.make_hazy_pairs (one seeding scheme for the project): "
        "same ranges and crops, other draws of depth, beta and airlight.",
    }
    BUILDER_CONFIGS = [
        HazyPairsConfig(
            name="rgb-64",
            description="64x64 RGB crops of images resized to a 128-pixel short side, 8 per image.",
            size=64,
            channels=3,
            short_side=128,
            examples_per_image=8,
        ),
        HazyPairsConfig(
            name="rgb-128",
            description="128x128 RGB crops of images resized to a 256-pixel short side, 4 per image.",
            size=128,
            channels=3,
            short_side=256,
            examples_per_image=4,
        ),
        HazyPairsConfig(
            name="gray-28",
            description="28x28 grey (ITU-R 601) crops of images resized to a 56-pixel short side, 16 per image.",
            size=28,
            channels=1,
            short_side=56,
            examples_per_image=16,
        ),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "rgb-64"
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    hazy_pairs downloads nothing. Put your clean (haze-free) photos, as png,
    jpg, jpeg or bmp files, directly in the manual folder and pass it with
    `download_config=tfds.download.DownloadConfig(manual_dir=...)`. Depth
    maps are optional: `<manual_dir>/depth/<stem>.png` (16-bit) or
    `<stem>.npy`, the size of the image `<stem>.<ext>`. Hidden files are
    skipped; at least two images are needed (one per split).
    """

    def _info(self):
        """Features for the config's crop size and channels."""
        config = self.builder_config
        image_shape = (config.size, config.size, config.channels)
        return self.dataset_info_from_configs(
            description=(
                "Hazy/clean image pairs synthesised with the atmospheric scattering model "
                "I = J t + A (1 - t), t = exp(-beta d), from a local folder of clean photos, "
                "with real or synthetic depth."
            ),
            features=tfds.features.FeaturesDict(
                {
                    "hazy": tfds.features.Image(shape=image_shape, dtype=np.uint8, encoding_format="png"),
                    "clean": tfds.features.Image(shape=image_shape, dtype=np.uint8, encoding_format="png"),
                    "transmission": tfds.features.Tensor(
                        shape=(config.size, config.size, 1), dtype=np.float32, encoding=tfds.features.Encoding.ZLIB
                    ),
                    "beta": tfds.features.Scalar(dtype=np.float32, doc="Scattering coefficient."),
                    "airlight": tfds.features.Scalar(dtype=np.float32, doc="Grey atmospheric light A in [0, 1]."),
                    "source": tfds.features.Text(doc="File name of the source image."),
                }
            ),
            supervised_keys=("hazy", "clean"),
            citation=_RESIDE_CITATION,
        )

    def _split_generators(self, dl_manager):
        """Lists the manual folder and assigns each image to train or test."""
        try:
            manual_dir = dl_manager.manual_dir
        except AssertionError as error:
            raise FileNotFoundError(
                "hazy_pairs needs a local folder of clean images (it downloads nothing), passed as "
                f"`download_config=tfds.download.DownloadConfig(manual_dir=...)`. TFDS reports: {error}"
            ) from None
        sources = _find_sources(manual_dir)
        splits = split_sources([stem for stem, _, _ in sources], self.builder_config.test_fraction)
        by_stem = {stem: (stem, image, depth) for stem, image, depth in sources}
        return {name: self._generate_examples([by_stem[stem] for stem in stems]) for name, stems in splits.items()}

    def _generate_examples(self, sources):
        """Yields `examples_per_image` examples per source, keyed `<stem>/<index>`."""
        for stem, image_path, depth_path in sources:
            image, depth = self._load_source(image_path, depth_path)
            source = epath.Path(image_path).name
            for index in range(self.builder_config.examples_per_image):
                yield f"{stem}/{index}", self._make_example(image, depth, stem, source, index)

    def _load_source(self, image_path, depth_path):
        """The image (and normalised depth or None), resized per the config."""
        config = self.builder_config
        image = load_image(image_path)
        depth = None if depth_path is None else _read_depth(depth_path, image_path, image.shape)
        height, width = image.shape[:2]
        if config.short_side is not None:
            shape = _target_shape(height, width, config.short_side)
        elif min(height, width) < config.size:
            shape = _target_shape(height, width, config.size)
        else:
            shape = (height, width)
        image = np.clip(_resize(image, shape, "bicubic"), 0.0, 1.0)
        if depth is not None:
            depth = np.clip(_resize(depth, shape, "bilinear"), 0.0, 1.0)
        return image, depth

    def _make_example(self, image, depth, stem, source, index):
        """One hazed crop; every random choice is seeded by (seed, stem, index)."""
        config = self.builder_config
        size = config.size
        crop_seed, haze_seed = example_seeds(config.seed, stem, index)
        rng = np.random.default_rng(crop_seed)
        top = int(rng.integers(0, image.shape[0] - size + 1))
        left = int(rng.integers(0, image.shape[1] - size + 1))
        clean = image[top : top + size, left : left + size]
        if config.channels == 1:
            clean = clean @ np.asarray(GRAY_WEIGHTS, np.float32)[:, np.newaxis]
        clean = _to_uint8(clean)
        crop_depth = None if depth is None else tf.constant(depth[top : top + size, left : left + size], tf.float32)
        hazy, _, parameters = _make_hazy_pairs(
            tf.constant(clean, tf.float32) / 255.0,
            tf.constant(haze_seed, tf.int64),
            depth=crop_depth,
            beta_range=config.beta_range,
            airlight_range=config.airlight_range,
            return_parameters=True,
        )
        transmission, beta, airlight = parameters["transmission"], parameters["beta"], parameters["airlight"]
        return {
            "hazy": _to_uint8(hazy.numpy()),
            "clean": clean,
            "transmission": transmission.numpy().astype(np.float32),
            "beta": np.float32(beta.numpy()),
            "airlight": np.float32(airlight.numpy().reshape(-1)[0]),
            "source": source,
        }
