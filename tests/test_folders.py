"""Paired dehazing folders (RESIDE layout), on real photos hazed with `add_haze`."""

import os
import re

import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.data import find_image_pairs
from kfreqgan.data import image_pair_dataset
from kfreqgan.data import list_image_files
from kfreqgan.data import load_image
from kfreqgan.data import load_image_pair
from kfreqgan.data import load_photo
from kfreqgan.data import haze

HEIGHT, WIDTH = 40, 56
CLEAR = {"0001": "chelsea", "0002": "coffee", "0003": "rocket"}
# RESIDE-style hazy names: <id>_<airlight>_<beta>.
HAZE = ((0.8, 0.9), (0.95, 1.6))


def _to_uint8(image):
    return np.round(np.clip(np.asarray(image), 0.0, 1.0) * 255.0).astype(np.uint8)


def _write_png(path, pixels):
    """Writes a uint8 (H, W, C) array as a PNG (lossless)."""
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


def _small_photo(name, height=HEIGHT, width=WIDTH):
    """A real photo shrunk to (height, width), quantised to uint8."""
    photo = tf.image.resize(load_photo(name), (height, width), method="area", antialias=True)
    return _to_uint8(photo)


def _name(path):
    return str(path).rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def reside(tmp_path_factory):
    """hazy/ and clear/ folders in RESIDE naming: 3 clear photos, 2 hazy each.

    Returns (hazy_dir, clear_dir, truth), truth mapping each hazy file name to
    the clean uint8 image, its depth, beta, airlight and the hazy uint8."""
    root = tmp_path_factory.mktemp("reside")
    hazy_dir, clear_dir = root / "hazy", root / "clear"
    hazy_dir.mkdir()
    clear_dir.mkdir()
    truth = {}
    for index, (image_id, photo) in enumerate(CLEAR.items()):
        clean = _small_photo(photo)
        _write_png(clear_dir / f"{image_id}.png", clean)
        depth = haze.synthetic_depth(HEIGHT, WIDTH, (index, 7)).numpy()
        for airlight, beta in HAZE:
            hazy, _ = haze.add_haze(clean.astype(np.float32) / 255.0, depth, beta, airlight)
            hazy = _to_uint8(hazy)
            name = f"{image_id}_{airlight}_{beta}.png"
            _write_png(hazy_dir / name, hazy)
            truth[name] = dict(clean=clean, depth=depth, beta=beta, airlight=airlight, hazy=hazy, clear=f"{image_id}.png")
    (hazy_dir / ".DS_Store").write_bytes(b"\x00\x01 finder junk")  # hidden: skipped
    (clear_dir / "thumbs").mkdir()  # sub-folders are not searched
    return hazy_dir, clear_dir, truth


def _pair_dirs(tmp_path, clear, hazy):
    """Makes clear/ and hazy/ under tmp_path from {file name: uint8 image or bytes}."""
    dirs = []
    for label, files in (("clear", clear), ("hazy", hazy)):
        folder = tmp_path / label
        folder.mkdir()
        for name, content in files.items():
            if isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                _write_png(folder / name, content)
        dirs.append(folder)
    return dirs[1], dirs[0]  # hazy_dir, clear_dir


def _window_of(crop, image):
    """(top, left) of the one window of `image` equal to `crop`."""
    size = crop.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size, image.shape[-1]))[..., 0, :, :, :]
    hits = np.argwhere(np.all(windows == crop, axis=(2, 3, 4)))
    assert len(hits) == 1, f"crop found {len(hits)} times"
    return tuple(hits[0])


# --- pairing ---------------------------------------------------------------------


def test_pairs_every_hazy_version_with_its_clear_image(reside):
    hazy_dir, clear_dir, truth = reside
    pairs = find_image_pairs(hazy_dir, clear_dir)
    assert [(_name(h), _name(c)) for h, c in pairs] == sorted((name, info["clear"]) for name, info in truth.items())
    assert len(pairs) == len(CLEAR) * len(HAZE)  # several hazy per clear
    assert all(h.startswith(str(hazy_dir)) and c.startswith(str(clear_dir)) for h, c in pairs)
    # .DS_Store and the sub-folder were skipped without complaint.
    assert len(list_image_files(clear_dir, "clear_dir")) == len(CLEAR)


def test_pairing_ignores_extension_case_and_falls_back_to_the_full_stem(tmp_path):
    pixels = _small_photo("chelsea", 8, 8)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path,
        clear={"0001.PNG": pixels, "img_7.png": pixels, "12.bmp": pixels, "12_1.png": pixels},
        hazy={"0001.png": pixels, "0001_0.8_0.2.JPG": pixels, "img_7.png": pixels, "12_1_0.9.jpeg": pixels},
    )
    pairs = {_name(h): _name(c) for h, c in find_image_pairs(hazy_dir, clear_dir)}
    assert pairs == {
        "0001.png": "0001.PNG",  # hazy named exactly like its clear image (SOTS)
        "0001_0.8_0.2.JPG": "0001.PNG",
        "12_1_0.9.jpeg": "12.bmp",  # the id before the first underscore wins over a longer match
        "img_7.png": "img_7.png",  # no clear 'img': matched by the whole stem
    }


def test_an_exact_name_wins_over_the_reside_id(tmp_path):
    """A hazy `img_3.png` is the clear `img_3.png`'s, not `img.png`'s; a hazy
    `img_0.8.png` (no clear image of that name) is `img.png`'s."""
    pixels = _small_photo("chelsea", 8, 8)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path,
        clear={"img.png": pixels, "img_3.png": pixels},
        hazy={"img_3.png": pixels, "img_0.8.png": pixels},
    )
    pairs = {_name(h): _name(c) for h, c in find_image_pairs(hazy_dir, clear_dir)}
    assert pairs == {"img_3.png": "img_3.png", "img_0.8.png": "img.png"}


def test_real_haze_benchmark_names_pair_by_their_hazy_and_gt_words(tmp_path):
    """O-HAZE, I-HAZE, Dense-Haze and NH-HAZE name a pair alike but for the
    word hazy / GT (any case; `clear` too), next to RESIDE's names."""
    pixels = _small_photo("chelsea", 8, 8)
    clear = ["01_GT.png", "02_gt.png", "01_outdoor_GT.jpg", "01_indoor_Clear.JPG", "0001.png", "1400.png", "GT-7.png"]
    hazy = ["01_hazy.png", "02_HAZY.png", "01_outdoor_hazy.jpg", "01_indoor_hazy.jpg", "0001_0.8_0.2.png", "1400_1.png", "hazy-7.png"]
    hazy_dir, clear_dir = _pair_dirs(tmp_path, clear=dict.fromkeys(clear, pixels), hazy=dict.fromkeys(hazy, pixels))
    pairs = {_name(h): _name(c) for h, c in find_image_pairs(hazy_dir, clear_dir)}
    assert pairs == dict(zip(hazy, clear))


def test_ambiguous_pairings_name_every_candidate(tmp_path):
    pixels = _small_photo("chelsea", 8, 8)
    for case in "abc":
        (tmp_path / case).mkdir()
    # By the RESIDE id '01' and by the word: two clear images.
    hazy_dir, clear_dir = _pair_dirs(tmp_path / "a", clear={"01.png": pixels, "01_GT.png": pixels}, hazy={"01_hazy.png": pixels})
    with pytest.raises(ValueError, match=r"hazy image '.*01_hazy\.png' could pair with any of the clear images '.*01\.png', '.*01_GT\.png'"):
        find_image_pairs(hazy_dir, clear_dir)
    # Two clear images differ from the hazy name by the word alone.
    hazy_dir, clear_dir = _pair_dirs(tmp_path / "b", clear={"5_GT.png": pixels, "5_clear.png": pixels}, hazy={"5_hazy.png": pixels})
    with pytest.raises(ValueError, match=r"5_hazy\.png' could pair with any of the clear images '.*5_GT\.png', '.*5_clear\.png'"):
        find_image_pairs(hazy_dir, clear_dir)
    # A hazy name with the word but no partner says which names were looked for.
    hazy_dir, clear_dir = _pair_dirs(tmp_path / "c", clear={"01_GT.png": pixels}, hazy={"02_hazy.png": pixels})
    with pytest.raises(ValueError, match=r"02_hazy\.png' has no clear partner.*'02_hazy' or '02' \(or its name with 'hazy' written as 'GT'"):
        find_image_pairs(hazy_dir, clear_dir)


def test_the_same_folder_for_hazy_and_clear_is_refused(tmp_path):
    """Every image would pair with itself (a perfect score), by any spelling."""
    pixels = _small_photo("chelsea", 8, 8)
    _write_png(tmp_path / "0001.png", pixels)
    _write_png(tmp_path / "0001_1.png", pixels)
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "link")
    for other in (tmp_path, tmp_path / "sub" / ".." / ".", tmp_path / "sub" / "link"):
        with pytest.raises(ValueError, match="`hazy_dir` and `clear_dir` are the same folder.*NH-HAZE"):
            find_image_pairs(tmp_path, other)


# --- loading ---------------------------------------------------------------------


def test_load_image_pair_returns_exactly_what_was_written(reside):
    hazy_dir, clear_dir, truth = reside
    for hazy_path, clear_path in find_image_pairs(hazy_dir, clear_dir):
        hazy, clear = load_image_pair(hazy_path, clear_path)
        info = truth[_name(hazy_path)]
        assert hazy.dtype == clear.dtype == np.float32 and hazy.shape == clear.shape == (HEIGHT, WIDTH, 3)
        np.testing.assert_allclose(hazy, info["hazy"] / 255.0, atol=1e-7)  # PNG is lossless
        np.testing.assert_allclose(clear, info["clean"] / 255.0, atol=1e-7)

def test_border_margin_is_an_even_frame_on_every_side():
    from kfreqgan.data.folders import border_margin

    assert border_margin((460, 620, 3), (480, 640, 3)) == 10  # SOTS-indoor
    assert border_margin((8, 9, 3), (8, 9, 3)) == 0
    for hazy, clear in (
        ((460, 620, 3), (481, 641, 3)),  # odd: no centred crop
        ((460, 620, 3), (480, 630, 3)),  # not the same margin on every side
        ((480, 640, 3), (460, 620, 3)),  # the hazy image is the larger
        ((460, 620, 3), (480, 640, 1)),  # channels differ
    ):
        assert border_margin(hazy, clear) is None, (hazy, clear)


def test_a_clear_border_is_cropped_only_when_asked(tmp_path):
    """SOTS-indoor: the clear image is the hazy scene plus a border. With
    `crop_border` the clear image is cut to exactly the hazy window;
    otherwise, and for any other size difference, an error names both."""
    clear = _small_photo("chelsea", 20, 26)
    inner = clear[3:-3, 3:-3]
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path,
        clear={"0001.png": clear, "0002.png": clear, "0003.png": inner},
        hazy={"0001_1.png": inner, "0002_1.png": clear[3:-3, 2:-4].copy()[:, :-1], "0003_1.png": inner},
    )
    hazy_path, clear_path = hazy_dir / "0001_1.png", clear_dir / "0001.png"
    with pytest.raises(ValueError, match=r"3-pixel border .*crop_border=True cuts it off.*'.*0001_1\.png' with shape=\(14, 20, 3\) and '.*0001\.png' with shape=\(20, 26, 3\)"):
        load_image_pair(hazy_path, clear_path)
    hazy, cropped, margin = load_image_pair(hazy_path, clear_path, crop_border=True)
    assert margin == 3 and cropped.shape == hazy.shape == (14, 20, 3)
    np.testing.assert_allclose(cropped, inner / 255.0, atol=1e-7)
    np.testing.assert_array_equal(cropped, hazy)
    _, same, margin = load_image_pair(hazy_dir / "0003_1.png", clear_dir / "0003.png", crop_border=True)
    assert margin == 0 and same.shape == (14, 20, 3)
    with pytest.raises(ValueError, match=r"same margin on every side.*0002_1\.png' with shape=\(14, 19, 3\) and '.*0002\.png' with shape=\(20, 26, 3\)"):
        load_image_pair(hazy_dir / "0002_1.png", clear_dir / "0002.png", crop_border=True)
    with pytest.raises(ValueError, match=r"0003\.png' with shape=\(14, 20, 3\) and '.*0001\.png' with shape=\(20, 26, 3\)"):
        load_image_pair(clear_dir / "0003.png", clear_dir / "0001.png", crop_border=False)
    with pytest.raises(ValueError, match="crop_border"):
        load_image_pair(hazy_path, clear_path, crop_border="yes")


def test_grey_images_become_rgb_and_alpha_is_dropped(tmp_path):
    rgb = _small_photo("coffee", 12, 10)
    grey = rgb[..., :1]
    rgba = np.concatenate([rgb, np.full((12, 10, 1), 77, np.uint8)], axis=-1)
    _write_png(tmp_path / "grey.png", grey)
    _write_png(tmp_path / "rgba.png", rgba)
    np.testing.assert_allclose(load_image(tmp_path / "grey.png"), np.repeat(grey, 3, axis=-1) / 255.0, atol=1e-7)
    np.testing.assert_allclose(load_image(tmp_path / "rgba.png"), rgb / 255.0, atol=1e-7)
    # A 16-bit PNG keeps its precision.
    deep = (np.linspace(0, 65535, 12 * 10).reshape(12, 10, 1)).astype(np.uint16)
    _write_png(tmp_path / "deep.png", deep)
    np.testing.assert_allclose(load_image(tmp_path / "deep.png")[..., 0], deep[..., 0] / 65535.0, atol=1e-6)


# --- the tf.data pipeline -----------------------------------------------------------


def test_dataset_of_whole_images_follows_the_pair_order(reside):
    hazy_dir, clear_dir, truth = reside
    dataset = image_pair_dataset(hazy_dir, clear_dir)
    assert dataset.element_spec[0].dtype == tf.float32 and dataset.element_spec[0].shape[-1] == 3
    pairs = find_image_pairs(hazy_dir, clear_dir)
    elements = list(dataset.as_numpy_iterator())
    assert len(elements) == len(pairs)
    for (hazy, clear), (hazy_path, _) in zip(elements, pairs):
        info = truth[_name(hazy_path)]
        np.testing.assert_allclose(hazy, info["hazy"] / 255.0, atol=1e-7)
        np.testing.assert_allclose(clear, info["clean"] / 255.0, atol=1e-7)


def test_random_crops_are_aligned_so_the_scattering_model_holds(reside):
    hazy_dir, clear_dir, truth = reside
    size = 16
    dataset = image_pair_dataset(hazy_dir, clear_dir, crop_size=size, seed=3)
    assert dataset.element_spec[0].shape == dataset.element_spec[1].shape == (size, size, 3)
    pairs = find_image_pairs(hazy_dir, clear_dir)
    windows = []
    for (hazy, clear), (hazy_path, _) in zip(dataset.as_numpy_iterator(), pairs):
        info = truth[_name(hazy_path)]
        top, left = _window_of(_to_uint8(clear), info["clean"])
        windows.append((top, left))
        depth = info["depth"][top : top + size, left : left + size]
        expected, _ = haze.add_haze(clear, depth, info["beta"], info["airlight"])
        # The hazy crop is add_haze of the clean crop, up to uint8 rounding...
        assert np.abs(hazy - expected.numpy()).max() <= 0.5 / 255 + 1e-6
        # ...which fails for the hazy window one pixel off.
        if left + 1 + size <= WIDTH:
            shifted = info["hazy"][top : top + size, left + 1 : left + 1 + size] / 255.0
            assert np.abs(shifted - expected.numpy()).max() > 2.0 / 255
    assert len(set(windows)) > 1  # random windows, not one fixed place


def test_crops_are_seeded_and_fresh_on_each_pass(reside):
    hazy_dir, clear_dir, _ = reside

    def clear_crops(dataset):
        return np.stack([clear for _, clear in dataset.as_numpy_iterator()])

    first = clear_crops(image_pair_dataset(hazy_dir, clear_dir, crop_size=12, seed=5))
    again = clear_crops(image_pair_dataset(hazy_dir, clear_dir, crop_size=12, seed=5))
    other = clear_crops(image_pair_dataset(hazy_dir, clear_dir, crop_size=12, seed=6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    two_passes = clear_crops(image_pair_dataset(hazy_dir, clear_dir, crop_size=12, seed=5).repeat(2))
    np.testing.assert_array_equal(two_passes[: len(first)], first)
    assert not np.array_equal(two_passes[len(first) :], first)


def test_shuffling_reorders_pairs_but_keeps_them_together(reside):
    hazy_dir, clear_dir, truth = reside
    by_hazy = {info["hazy"].tobytes(): info for info in truth.values()}
    order = []
    for hazy, clear in image_pair_dataset(hazy_dir, clear_dir, shuffle=True, seed=1).as_numpy_iterator():
        info = by_hazy[_to_uint8(hazy).tobytes()]
        np.testing.assert_array_equal(_to_uint8(clear), info["clean"])
        order.append(info["hazy"].tobytes())
    assert sorted(order) == sorted(by_hazy)
    in_file_order = [truth[_name(h)]["hazy"].tobytes() for h, _ in find_image_pairs(hazy_dir, clear_dir)]
    assert order != in_file_order


# --- bad input: every error names the file ----------------------------------------------


def test_missing_file_and_empty_folders_are_named(tmp_path, reside):
    hazy_dir, clear_dir, _ = reside
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nowhere"))):
        find_image_pairs(tmp_path / "nowhere", clear_dir)
    with pytest.raises(FileNotFoundError, match="clear_dir.*nowhere"):
        image_pair_dataset(hazy_dir, tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"`hazy_dir` contains no images.*empty"):
        find_image_pairs(empty, clear_dir)
    a_file = tmp_path / "file.png"
    _write_png(a_file, _small_photo("coffee", 4, 4))
    with pytest.raises(ValueError, match="must be a folder, not a file.*file.png"):
        find_image_pairs(hazy_dir, a_file)


def test_a_stray_non_image_file_is_named(tmp_path):
    pixels = _small_photo("chelsea", 8, 8)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path, clear={"0001.png": pixels}, hazy={"0001_1.png": pixels, "notes.txt": b"beta=0.8"}
    )
    with pytest.raises(ValueError, match=r"not an image: '.*notes\.txt'"):
        find_image_pairs(hazy_dir, clear_dir)


def test_a_hazy_image_without_clear_partner_is_named(tmp_path):
    pixels = _small_photo("chelsea", 8, 8)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path, clear={"0001.png": pixels}, hazy={"0001_1.png": pixels, "0009_0.9_1.0.png": pixels}
    )
    with pytest.raises(ValueError, match=r"hazy image '.*0009_0\.9_1\.0\.png' has no clear partner.*'0009'"):
        find_image_pairs(hazy_dir, clear_dir)


def test_duplicate_clear_ids_are_named(tmp_path):
    pixels = _small_photo("chelsea", 8, 8)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path, clear={"0001.png": pixels, "0001.JPG": b"\xff\xd8 jpeg"}, hazy={"0001_1.png": pixels}
    )
    with pytest.raises(ValueError, match=r"two images with the id '0001'.*0001\.JPG.*0001\.png"):
        find_image_pairs(hazy_dir, clear_dir)


def test_corrupt_and_missing_files_are_named(tmp_path):
    pixels = _small_photo("chelsea", 8, 8)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path, clear={"0001.png": pixels}, hazy={"0001_1.png": b"\x89PNG but truncated", "0001_2.png": pixels}
    )
    with pytest.raises(ValueError, match=r"Could not decode the image file '.*0001_1\.png'"):
        load_image_pair(hazy_dir / "0001_1.png", clear_dir / "0001.png")
    with pytest.raises(FileNotFoundError, match=r"0002\.png"):
        load_image_pair(hazy_dir / "0001_2.png", clear_dir / "0002.png")
    # The dataset reads every header up front, so it fails before training starts.
    with pytest.raises(ValueError, match=r"Could not decode the image file '.*0001_1\.png'"):
        image_pair_dataset(hazy_dir, clear_dir)


def _truncated(pixels, extension):
    """The bytes of `pixels` saved as `extension`, cut to two thirds: the
    header is whole and reads, the pixel data stops short."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format={"jpg": "JPEG", "tif": "TIFF", "bmp": "BMP"}[extension])
    data = buffer.getvalue()
    return data[: len(data) * 2 // 3]


def test_truncated_files_are_refused_before_training_all_named(tmp_path):
    # Their headers read, so the dataset was made, and training failed
    # mid-epoch at the first of them.
    pixels = _small_photo("chelsea", 32, 48)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path,
        clear={"0001.png": pixels, "0002.tif": _truncated(pixels, "tif"), "0003.png": pixels},
        hazy={"0001_1.jpg": _truncated(pixels, "jpg"), "0002_1.png": pixels, "0003_1.bmp": _truncated(pixels, "bmp")},
    )
    message = (
        r"^3 image files cannot be read; fix or remove them: "
        r"Could not decode the image file '.*clear/0002\.tif' \(corrupt, or not an image\): image file is truncated.*; "
        r"Could not decode the image file '.*hazy/0001_1\.jpg' .*truncated.*; "
        r"Could not decode the image file '.*hazy/0003_1\.bmp' .*truncated"
    )
    with pytest.raises(ValueError, match=message):
        image_pair_dataset(hazy_dir, clear_dir)
    (hazy_dir / "0001_1.jpg").unlink()
    (hazy_dir / "0003_1.bmp").unlink()
    with pytest.raises(ValueError, match=r"^Could not decode the image file '.*clear/0002\.tif' .*truncated"):
        image_pair_dataset(hazy_dir, clear_dir, crop_size=16)


def _tiff(pixels, mode):
    """The bytes of `pixels` (uint8 RGB) saved as a TIFF in a mode the reader
    refuses: "CMYK" (without an ICC profile) or "F" (32-bit float grey)."""
    import io

    from PIL import Image

    image = Image.fromarray(pixels)
    image = image.convert("CMYK") if mode == "CMYK" else image.convert("L").convert("F")
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF")
    return buffer.getvalue()


def test_refused_modes_are_refused_before_training_all_named(tmp_path):
    # Pillow decodes them whole, so the eager pass let them through, and
    # training failed mid-epoch when the pipeline's reader refused them.
    pixels = _small_photo("chelsea", 32, 48)
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path,
        clear={"0001.png": pixels, "0002.tif": _tiff(pixels, "CMYK"), "0003.png": pixels},
        hazy={"0001_1.png": pixels, "0002_1.png": pixels, "0003_1.tif": _tiff(pixels, "F")},
    )
    message = (
        r"^2 image files cannot be read; fix or remove them: "
        r"The image file '.*clear/0002\.tif' is CMYK without an ICC profile .*which kfreqgan does not read\.; "
        r"The image file '.*hazy/0003_1\.tif' is 32-bit floating-point \(mode F\), which kfreqgan does not read\.$"
    )
    with pytest.raises(ValueError, match=message):
        image_pair_dataset(hazy_dir, clear_dir)
    (hazy_dir / "0003_1.tif").unlink()
    with pytest.raises(ValueError, match=r"^The image file '.*clear/0002\.tif' is CMYK without an ICC profile"):
        image_pair_dataset(hazy_dir, clear_dir, crop_size=16)


def test_size_mismatch_names_both_files_and_shapes(tmp_path):
    hazy_dir, clear_dir = _pair_dirs(
        tmp_path,
        clear={"0001.png": _small_photo("chelsea", 8, 8)},
        hazy={"0001_1.png": _small_photo("chelsea", 8, 10)},
    )
    message = r"'.*0001_1\.png' with shape=\(8, 10, 3\) and '.*0001\.png' with shape=\(8, 8, 3\)"
    with pytest.raises(ValueError, match=message):
        load_image_pair(hazy_dir / "0001_1.png", clear_dir / "0001.png")
    with pytest.raises(ValueError, match=r"0001_1\.png' with \(height, width\)=\(8, 10\) and '.*0001\.png'"):
        image_pair_dataset(hazy_dir, clear_dir)


def test_crop_larger_than_an_image_names_it(reside, tmp_path):
    hazy_dir, clear_dir, _ = reside
    with pytest.raises(ValueError, match=rf"0001_0\.8_0\.9\.png.*smaller than the crop.*crop_size={HEIGHT + 1}"):
        image_pair_dataset(hazy_dir, clear_dir, crop_size=HEIGHT + 1)
    for bad in (0, -3, 2.5, True, "16"):
        with pytest.raises(ValueError, match="crop_size"):
            image_pair_dataset(hazy_dir, clear_dir, crop_size=bad)
    with pytest.raises(ValueError, match="seed"):
        image_pair_dataset(hazy_dir, clear_dir, seed=1.5)
    with pytest.raises(ValueError, match="shuffle"):
        image_pair_dataset(hazy_dir, clear_dir, shuffle="yes")


def test_a_phone_photo_is_read_upright_by_the_pipeline_too(tmp_path):
    """One reader (`kfreqgan.data.image_files`): EXIF orientation 6 (stored
    sideways) comes out upright in `load_image`, the header size check and
    inside `image_pair_dataset`, as in `kfreqgan-dehaze`."""
    from PIL import Image

    stored = _small_photo("coffee", 12, 20)
    exif = Image.Exif()
    exif[0x0112] = 6
    hazy_dir, clear_dir = _pair_dirs(tmp_path, clear={"0001.png": np.ascontiguousarray(np.rot90(stored, k=-1))}, hazy={})
    Image.fromarray(stored).save(hazy_dir / "0001_a.png", exif=exif.tobytes())
    upright = np.rot90(stored, k=-1) / 255.0
    np.testing.assert_allclose(load_image(hazy_dir / "0001_a.png"), upright, atol=1e-7)
    (hazy, clear), = list(image_pair_dataset(hazy_dir, clear_dir, crop_size=8, seed=3).as_numpy_iterator())
    np.testing.assert_array_equal(hazy, clear)  # the same window of the same upright pixels
    (whole, _), = list(image_pair_dataset(hazy_dir, clear_dir).as_numpy_iterator())
    np.testing.assert_allclose(whole, upright, atol=1e-7)


def test_listing_is_not_recursive_and_strict_by_default(tmp_path):
    _write_png(tmp_path / "a.png", _small_photo("coffee", 4, 4))
    (tmp_path / "sub").mkdir()
    _write_png(tmp_path / "sub" / "b.png", _small_photo("coffee", 4, 4))
    assert [os.path.basename(p) for p in list_image_files(tmp_path)] == ["a.png"]
    os.mkfifo(tmp_path / "c.png")
    with pytest.raises(ValueError, match=r"not a regular file: '.*c\.png'"):
        list_image_files(tmp_path, "clear_dir")
