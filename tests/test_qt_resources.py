"""Reading files out of Qt resource bundles (the GCompris photos' container)."""

import io
import os

import numpy as np
import pytest

from kfreqgan.data import qt_resources
from kfreqgan.data.image_files import load_image_bytes
from qt_bundles import bundle_bytes
from qt_bundles import write_bundle

FILES = {
    "gcompris/src/activities/a/resource/one.txt": b"first file",
    "gcompris/src/activities/a/resource/deeper/two.bin": bytes(range(256)) * 3,
    "gcompris/top.txt": "ünïcode naming".encode("utf-8"),
    "x/é ü.txt": b"",
}


@pytest.mark.parametrize("version", [1, 2, 3])
def test_every_member_reads_back_exactly(tmp_path, version):
    path = write_bundle(str(tmp_path / "bundle.rcc"), FILES, version=version, zlib_members={"gcompris/top.txt"})
    assert sorted(qt_resources.list_members(path)) == sorted(FILES)
    for member, data in FILES.items():
        assert qt_resources.read_member(path, member) == data


def test_an_image_member_decodes_like_the_file(tmp_path):
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, format="PNG")
    path = write_bundle(str(tmp_path / "photos.rcc"), {"res/photo.png": encoded.getvalue()})
    image = load_image_bytes(qt_resources.read_member(path, "res/photo.png"), f"{path}:res/photo.png")
    np.testing.assert_array_equal(np.round(image * 255).astype(np.uint8), pixels)
    shrunk = load_image_bytes(encoded.getvalue(), "photo.png", max_side=10)
    assert shrunk.shape == (6, 10, 3)


def test_a_missing_member_names_some_that_exist(tmp_path):
    path = write_bundle(str(tmp_path / "bundle.rcc"), FILES)
    with pytest.raises(FileNotFoundError, match=r"holds no file 'nope.webp'. It holds 4 files: .*one.txt"):
        qt_resources.read_member(path, "nope.webp")


def test_bad_bundles_are_refused_in_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such Qt resource bundle"):
        qt_resources.list_members(str(tmp_path / "absent.rcc"))
    not_rcc = tmp_path / "photo.png"
    not_rcc.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(ValueError, match="not a Qt resource bundle"):
        qt_resources.list_members(str(not_rcc))
    data = bundle_bytes(FILES)
    future = tmp_path / "future.rcc"
    future.write_bytes(data[:4] + (9).to_bytes(4, "big") + data[8:])
    with pytest.raises(ValueError, match="format version 9"):
        qt_resources.list_members(str(future))
    for cut in (30, len(data) - 7):
        truncated = tmp_path / f"cut{cut}.rcc"
        truncated.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated|corrupt"):
            for member in qt_resources.list_members(str(truncated)):
                qt_resources.read_member(str(truncated), member)
    zstd = write_bundle(str(tmp_path / "zstd.rcc"), {"a.txt": b"abc"}, zstd_members={"a.txt"})
    with pytest.raises(ValueError, match="Zstandard"):
        qt_resources.read_member(zstd, "a.txt")


def test_a_looping_tree_is_refused(tmp_path):
    data = bytearray(bundle_bytes({"a/b.txt": b"x"}, version=1))
    tree = int.from_bytes(data[8:12], "big")
    # Point the directory "a" (node 1) at the root as its child: a loop.
    data[tree + 14 + 10 : tree + 14 + 14] = (0).to_bytes(4, "big")
    path = tmp_path / "loop.rcc"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="loops"):
        qt_resources.list_members(str(path))


GCOMPRIS = "/usr/share/gcompris-qt/rcc/erase.rcc"


@pytest.mark.skipif(not os.path.isfile(GCOMPRIS), reason="gcompris-qt-data is not installed (make dehazer-data)")
def test_gcompris_photos_read_from_the_installed_package():
    members = [name for name in qt_resources.list_members(GCOMPRIS) if name.endswith(".webp")]
    assert len(members) >= 30
    image = load_image_bytes(qt_resources.read_member(GCOMPRIS, members[0]), members[0], max_side=64)
    assert image.shape[2] == 3 and max(image.shape[:2]) == 64 and 0.05 < image.mean() < 0.95
