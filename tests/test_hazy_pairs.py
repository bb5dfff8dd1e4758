"""The `hazy_pairs` TFDS builder, built from a few small real photos in tmp folders."""

import importlib.util
import math
import shutil
import tempfile

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from kfreqgan.data import load_photo
from kfreqgan.data.hazy_pairs import HazyPairs
from kfreqgan.data.hazy_pairs import HazyPairsConfig
from kfreqgan.data.hazy_pairs import example_seeds
from kfreqgan.data.hazy_pairs import split_sources
from kfreqgan.spectral import GRAY_WEIGHTS

HEIGHT, WIDTH = 48, 64
PHOTOS = ("astronaut", "chelsea", "china", "coffee", "rocket")
# A solid red swatch checks the ITU-R 601 grey conversion. Its stem hashes
# below 0.1, so with the default test_fraction it is the one test image.
FILES = {"astronaut": "astronaut.png", "chelsea": "chelsea.png", "china": "china.png",
         "coffee": "coffee.jpg", "rocket": "rocket.png", "swatch": "swatch.png"}  # fmt: skip
TEST_STEMS = ("swatch",)
TRAIN_STEMS = tuple(sorted(set(FILES) - set(TEST_STEMS)))


def _to_uint8(image):
    return np.round(np.clip(np.asarray(image), 0.0, 1.0) * 255.0).astype(np.uint8)


def write_manual_dir(folder):
    """Clean images in the layout `hazy_pairs` reads, with two depth maps.

    - `chelsea` has a constant 16-bit PNG depth (normalised: 1 everywhere),
    - `rocket` a float .npy depth, 2 in the top half and 4 in the bottom half
      (normalised: 0.5 and 1),
    - `china` is stored grey, `coffee` as JPEG, `swatch` is solid red.
    """
    folder = str(folder)
    tf.io.gfile.makedirs(folder + "/depth")
    for stem in PHOTOS:
        photo = _to_uint8(tf.image.resize(load_photo(stem), (HEIGHT, WIDTH), method="area", antialias=True))
        if stem == "china":
            photo = photo[..., :1]
        encoded = tf.io.encode_jpeg(photo, quality=95) if FILES[stem].endswith(".jpg") else tf.io.encode_png(photo)
        tf.io.write_file(f"{folder}/{FILES[stem]}", encoded)
    red = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    red[..., 0] = 255
    tf.io.write_file(f"{folder}/swatch.png", tf.io.encode_png(red))
    tf.io.write_file(f"{folder}/depth/chelsea.png", tf.io.encode_png(np.full((HEIGHT, WIDTH, 1), 3000, np.uint16)))
    rocket_depth = np.full((HEIGHT, WIDTH), 4.0, np.float32)
    rocket_depth[: HEIGHT // 2] = 2.0
    with tf.io.gfile.GFile(f"{folder}/depth/rocket.npy", "wb") as handle:
        np.save(handle, rocket_depth)
    with tf.io.gfile.GFile(f"{folder}/.DS_Store", "wb") as handle:  # hidden: skipped
        handle.write(b"junk")
    return folder


def _build(config, data_dir, manual_dir):
    builder = HazyPairs(config=config, data_dir=str(data_dir))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
    return builder


def _examples(builder, split):
    return list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))


@pytest.fixture(scope="module")
def manual_dir(tmp_path_factory):
    return write_manual_dir(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="module")
def rgb64(manual_dir, tmp_path_factory):
    return _build("rgb-64", tmp_path_factory.mktemp("tfds"), manual_dir)


@pytest.fixture(scope="module")
def gray28(manual_dir, tmp_path_factory):
    return _build("gray-28", tmp_path_factory.mktemp("tfds"), manual_dir)


# --- TFDS's own builder checks ---------------------------------------------------


# tfds.testing needs `dill` (from TFDS's test extra). The base class is not
# bound to a module name: pytest would collect it as a test case of its own.
if importlib.util.find_spec("dill") is None:

    @pytest.mark.skip(reason="tensorflow_datasets.testing needs `dill`; pip install dill")
    def test_tfds_builder_harness():
        """Stands in for HazyPairsTfdsTest, so the skip and its reason show."""

else:

    class HazyPairsTfdsTest(tfds.testing.DatasetBuilderTestCase):
        """TFDS's harness: registration, info, encode/decode round trip, counts,
        no example in two splits, reload from disk, and no `os`/`open` in the
        builder module (only `tf.io.gfile`, so remote folders work)."""

        DATASET_CLASS = HazyPairs
        BUILDER_CONFIG_NAMES_TO_TEST = ["gray-28"]
        SPLITS = {"train": len(TRAIN_STEMS) * 16, "test": len(TEST_STEMS) * 16}
        SKIP_CHECKSUMS = True  # nothing is downloaded

        @classmethod
        def setUpClass(cls):
            cls.EXAMPLE_DIR = write_manual_dir(tempfile.mkdtemp(prefix="hazy_pairs_dummy_"))
            super().setUpClass()

        @classmethod
        def tearDownClass(cls):
            super().tearDownClass()
            shutil.rmtree(cls.EXAMPLE_DIR, ignore_errors=True)


# --- splits, counts and features ---------------------------------------------------


def test_each_source_image_feeds_one_split_only(rgb64):
    config = rgb64.builder_config
    assert {name: split.num_examples for name, split in rgb64.info.splits.items()} == {
        "train": len(TRAIN_STEMS) * config.examples_per_image,
        "test": len(TEST_STEMS) * config.examples_per_image,
    }
    sources = {}
    for split in ("train", "test"):
        names = [example["source"].decode() for example in _examples(rgb64, split)]
        counts = {name: names.count(name) for name in set(names)}
        assert set(counts.values()) == {config.examples_per_image}  # every crop of an image stays together
        sources[split] = set(counts)
    assert not sources["train"] & sources["test"]
    assert sources["train"] == {FILES[stem] for stem in TRAIN_STEMS}
    assert sources["test"] == {FILES[stem] for stem in TEST_STEMS}
    assert split_sources(FILES) == {"train": list(TRAIN_STEMS), "test": list(TEST_STEMS)}


def test_features_have_the_documented_shapes_and_dtypes(rgb64, gray28):
    for builder, shape in ((rgb64, (64, 64, 3)), (gray28, (28, 28, 1))):
        features = builder.info.features
        assert features["hazy"].shape == features["clean"].shape == shape
        assert features["hazy"].np_dtype == features["clean"].np_dtype == np.uint8
        assert features["transmission"].shape == shape[:2] + (1,)
        assert builder.info.supervised_keys == ("hazy", "clean")
        example = _examples(builder, "train")[0]
        assert example["hazy"].shape == example["clean"].shape == shape and example["hazy"].dtype == np.uint8
        assert example["transmission"].shape == shape[:2] + (1,) and example["transmission"].dtype == np.float32
        assert example["beta"].dtype == example["airlight"].dtype == np.float32
        hazy, clean = next(iter(builder.as_dataset(split="test", as_supervised=True)))
        assert hazy.shape == clean.shape == shape


# --- the physics --------------------------------------------------------------------


@pytest.mark.parametrize("which", ["rgb64", "gray28"])
def test_stored_arrays_satisfy_the_scattering_model(which, request):
    builder = request.getfixturevalue(which)
    config = builder.builder_config
    examples = _examples(builder, "train") + _examples(builder, "test")
    for example in examples:
        clean, hazy = example["clean"] / 255.0, example["hazy"] / 255.0
        t, beta, airlight = example["transmission"], example["beta"], example["airlight"]
        assert config.beta_range[0] <= beta <= config.beta_range[1]
        assert config.airlight_range[0] <= airlight <= config.airlight_range[1]
        assert np.all((t > 0) & (t <= 1))
        # hazy = clean t + A (1 - t), to within the uint8 rounding of hazy.
        assert np.abs(hazy - (clean * t + airlight * (1 - t))).max() <= 0.5 / 255 + 1e-6
        # t = exp(-beta d) with depth normalised to [0, 1].
        depth = -np.log(t) / beta
        assert depth.min() >= -1e-6 and depth.max() <= 1 + 1e-5
    # Haze scales local detail by t < 1: neighbour differences shrink on real content.
    def detail(image):
        image = image.astype(np.float64)
        return np.abs(np.diff(image, axis=0)).mean() + np.abs(np.diff(image, axis=1)).mean()

    ratios = np.array([detail(e["hazy"]) / detail(e["clean"]) for e in examples if e["source"] != b"swatch.png"])
    assert np.median(ratios) < 0.75 and np.mean(ratios < 1) > 0.95


def test_depth_maps_are_read_and_normalised_else_synthetic(rgb64):
    depths = {}
    for example in _examples(rgb64, "train"):
        depth = -np.log(example["transmission"]) / example["beta"]
        depths.setdefault(example["source"].decode(), []).append(depth)
    # chelsea: constant 16-bit PNG depth, normalised to 1: t = exp(-beta) everywhere.
    np.testing.assert_allclose(np.stack(depths["chelsea.png"]), 1.0, atol=1e-5)
    # rocket: .npy of 2 (top) and 4 (bottom) -> 0.5 and 1, blended only near the seam.
    rocket = np.stack(depths["rocket.png"])
    assert rocket.min() >= 0.5 - 1e-5 and rocket.max() <= 1 + 1e-5
    assert np.isclose(rocket, 0.5, atol=1e-4).mean() > 0.2 and np.isclose(rocket, 1.0, atol=1e-4).mean() > 0.2
    # No depth file: the synthetic prior, far at the top, near at the bottom, different per crop.
    for name in ("astronaut.png", "coffee.jpg", "china.png"):
        synthetic = np.stack(depths[name])
        assert np.all(synthetic[:, :8].mean(axis=(1, 2, 3)) > synthetic[:, -8:].mean(axis=(1, 2, 3)) + 0.3)
        assert not np.allclose(synthetic[0], synthetic[1])


def test_gray_config_uses_itu_601_weights(gray28, rgb64):
    assert gray28.builder_config.size == 28 and gray28.builder_config.channels == 1
    red_gray = round(255 * GRAY_WEIGHTS[0])
    for example in _examples(gray28, "test"):
        assert example["source"] == b"swatch.png"
        assert example["clean"].shape == (28, 28, 1)
        np.testing.assert_array_equal(example["clean"], red_gray)
    for example in _examples(rgb64, "test"):
        np.testing.assert_array_equal(example["clean"], np.broadcast_to([255, 0, 0], (64, 64, 3)))
    # The grey source image comes back grey in the RGB config.
    china = [e["clean"] for e in _examples(rgb64, "train") if e["source"] == b"china.png"]
    assert all(np.array_equal(c[..., 0], c[..., 1]) and np.array_equal(c[..., 1], c[..., 2]) for c in china)


# --- determinism -------------------------------------------------------------------


def test_two_builds_are_identical(rgb64, manual_dir, tmp_path):
    again = _build("rgb-64", tmp_path, manual_dir)
    for split in ("train", "test"):
        first, second = _examples(rgb64, split), _examples(again, split)
        assert len(first) == len(second)
        for a, b in zip(first, second):
            assert a.keys() == b.keys()
            for key in a:
                np.testing.assert_array_equal(a[key], b[key])


def test_example_seeds_are_sha256_of_seed_stem_and_index():
    # Fixed values: Python's hash() is salted per process, SHA-256 is not, so
    # a build in another process (or on another machine) draws the same crops.
    crop, haze_seed = example_seeds(0, "swatch", 0)
    assert crop == [2966497225, 2693365841, 1903245051, 2025559399]
    assert list(haze_seed) == [3082852629, 1824982342]  # make_hazy_pairs splits it into depth and haze seeds
    others = [example_seeds(1, "swatch", 0), example_seeds(0, "swatch", 1), example_seeds(0, "chelsea", 0)]
    assert all(list(other[1]) != list(haze_seed) for other in others)


def test_custom_config_seed_fraction_and_native_resolution(manual_dir, tmp_path, rgb64):
    config = HazyPairsConfig(
        name="tiny-native", size=16, short_side=None, examples_per_image=2, seed=7, test_fraction=0.25
    )
    builder = _build(config, tmp_path, manual_dir)
    expected = split_sources(FILES, test_fraction=0.25)
    assert expected["test"] == ["chelsea", "coffee", "swatch"]  # hashes 0.12, 0.215, 0.089
    for split, stems in expected.items():
        examples = _examples(builder, split)
        assert sorted({e["source"].decode() for e in examples}) == sorted(FILES[s] for s in stems)
        assert len(examples) == 2 * len(stems)
    # Native resolution: every clean crop is a window of the source image.
    from kfreqgan.data import load_image  # the one image reader (Pillow; tf.io's JPEG decoder differs by a level or two)

    coffee = np.round(load_image(f"{manual_dir}/coffee.jpg") * 255).astype(np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(coffee, (16, 16, 3))[..., 0, :, :, :]
    for example in _examples(builder, "test"):
        if example["source"] == b"coffee.jpg":
            assert np.all(windows == example["clean"], axis=(2, 3, 4)).any()
    # Another seed draws other haze parameters.
    betas = {e["source"]: e["beta"] for e in _examples(builder, "test")}
    betas_64 = {e["source"]: e["beta"] for e in _examples(rgb64, "test")}
    assert betas[b"swatch.png"] != betas_64[b"swatch.png"]


def test_split_sources_is_a_stable_hash_with_a_small_folder_fallback():
    many = [f"scene{i:03d}" for i in range(400)]
    splits = split_sources(many, test_fraction=0.1)
    assert set(splits["train"]).isdisjoint(splits["test"])
    assert sorted(splits["train"] + splits["test"]) == many
    assert 0.06 < len(splits["test"]) / len(many) < 0.14
    # An image's split does not depend on the other images.
    half = split_sources(many[::2], test_fraction=0.1)
    assert set(half["test"]) == set(splits["test"]) & set(many[::2])
    # Two images that both hash above 0.1: the lower hash goes to test.
    assert split_sources(["coffee", "astronaut"]) == {"train": ["astronaut"], "test": ["coffee"]}
    with pytest.raises(ValueError, match="at least two source images"):
        split_sources(["coffee"])
    with pytest.raises(ValueError, match="unique"):
        split_sources(["coffee", "coffee"])


# --- bad input -------------------------------------------------------------------


def test_missing_or_empty_manual_folder_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"needs a local folder of clean images.*nowhere"):
        _build("rgb-64", tmp_path / "data", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty"):
        _build("rgb-64", tmp_path / "data", tmp_path / "empty")
    only_junk = tmp_path / "junk"
    (only_junk / "depth").mkdir(parents=True)
    (only_junk / ".DS_Store").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"`manual_dir` contains no images.*junk"):
        _build("rgb-64", tmp_path / "data", only_junk)


def _photo_folder(tmp_path, stems=("chelsea", "coffee")):
    folder = tmp_path / "photos"
    (folder / "depth").mkdir(parents=True)
    for stem in stems:
        photo = _to_uint8(tf.image.resize(load_photo(stem), (HEIGHT, WIDTH), method="area", antialias=True))
        tf.io.write_file(str(folder / f"{stem}.png"), tf.io.encode_png(photo))
    return folder


@pytest.mark.parametrize(
    "setup,error,message",
    [
        (lambda f: (f / "notes.txt").write_text("x"), ValueError, r"not an image: '.*notes\.txt'"),
        (lambda f: np.save(f / "depth" / "tree.npy", np.ones((HEIGHT, WIDTH))), ValueError, r"tree\.npy' has no image"),
        (lambda f: np.save(f / "depth" / "coffee.npy", np.ones((8, 8))), ValueError, r"coffee\.npy' must have the size of its image '.*coffee\.png'"),
        (lambda f: np.save(f / "depth" / "coffee.npy", np.zeros((HEIGHT, WIDTH))), ValueError, r"coffee\.npy' must be finite, >= 0 and not all zero"),
        (lambda f: (f / "depth" / "coffee.png").write_bytes(b"not a png"), ValueError, r"Could not read the depth map '.*coffee\.png'"),
        (lambda f: (f / "depth" / "coffee.exr").write_bytes(b"x"), ValueError, r"not a depth map: '.*coffee\.exr'"),
        (lambda f: (f / "coffee.png").write_bytes(b"garbage"), ValueError, r"Could not decode the image file '.*coffee\.png'"),
        (lambda f: (f / "chelsea.png").unlink(), ValueError, r"at least two source images"),
        (lambda f: (f / "chelsea.jpg").write_bytes(b"x"), ValueError, r"two images with the stem 'chelsea'"),
    ],
    ids=["stray-file", "orphan-depth", "depth-size", "zero-depth", "corrupt-depth", "depth-format", "corrupt-image",
         "one-image", "same-stem"],
)  # fmt: skip
def test_bad_manual_folders_name_the_file(tmp_path, setup, error, message):
    folder = _photo_folder(tmp_path)
    setup(folder)
    with pytest.raises(error, match=message):
        _build("gray-28", tmp_path / "data", folder)


@pytest.mark.parametrize(
    "field,value",
    [("size", 1), ("channels", 2), ("examples_per_image", 0), ("seed", -1), ("short_side", 8),
     ("test_fraction", 1.0), ("beta_range", (2.0, 1.0)), ("airlight_range", (0.5, 1.5))],
)  # fmt: skip
def test_config_rejects_bad_fields(field, value):
    fields = {"size": 16, field: value}
    with pytest.raises(ValueError, match=rf"HazyPairsConfig 'bad'.*{field}"):
        HazyPairsConfig(name="bad", **fields)


def test_built_in_configs():
    configs = {config.name: config for config in HazyPairs.BUILDER_CONFIGS}
    assert set(configs) == {"rgb-64", "rgb-128", "gray-28"}
    assert (configs["rgb-64"].size, configs["rgb-64"].channels) == (64, 3)
    assert (configs["rgb-128"].size, configs["rgb-128"].channels) == (128, 3)
    assert (configs["gray-28"].size, configs["gray-28"].channels) == (28, 1)
    for config in configs.values():
        assert config.short_side == 2 * config.size
        assert config.beta_range == (0.6, 1.8) and config.airlight_range == (0.7, 1.0)
    assert HazyPairsConfig(name="auto", size=20).short_side == 40
    assert math.isclose(sum(GRAY_WEIGHTS), 1.0)
