"""`kfreqgan.data.image_files` (one reader and writer of image files, one mode
policy), `kfreqgan.paths` (outputs never land on inputs) and
`kfreqgan.atomic_files` (permissions, leftovers of killed writers)."""

import dataclasses
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageOps

from kfreqgan import atomic_files
from kfreqgan import paths
from kfreqgan.data import image_files
from kfreqgan.data.image_files import ImageInfo
from kfreqgan.data.image_files import read_image
from kfreqgan.data.image_files import write_image

RNG = np.random.default_rng(0)
A8 = RNG.integers(0, 256, (9, 13, 4), dtype=np.uint8)
A16 = RNG.integers(0, 65536, (9, 13, 4), dtype=np.uint16)
ICC = b"\x00\x00\x01\x00fake-but-carried-verbatim" + bytes(range(200))


def _png16(path, array, chunks=None):
    """A 16-bit PNG from TensorFlow's encoder, with the chunks of a PngInfo
    `chunks` put after IHDR."""
    data = tf.io.encode_png(array).numpy()
    extra = b"".join(
        struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        for kind, payload, *_ in (chunks.chunks if chunks else ())
    )
    path.write_bytes(data[:33] + extra + data[33:])


def _cmyk_profile():
    """A small but real ICC v2 CMYK -> Lab profile (lut8 A2B0), built by hand:
    LittleCMS accepts it, so the conversion goes through ImageCms."""

    def tag_desc(text):
        ascii_text = text.encode() + b"\x00"
        return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(4 + 4 + 2 + 1 + 67)

    def s15(value):
        return struct.pack(">i", round(value * 65536))

    corners = []
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    lightness = max(0.0, 1 - 0.3 * (c + m + y) - 0.9 * k)
                    a = 128 + 60 * (m - c) * (1 - k)
                    b = 128 + 60 * (y - (c + m) / 2) * (1 - k)
                    corners += [round(255 * lightness), round(a), round(b)]
    identity = b"".join(s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    ramp = bytes(range(256))
    lut = b"mft1" + bytes(4) + bytes([4, 3, 2, 0]) + identity + ramp * 4 + bytes(corners) + ramp * 3
    tags = [(b"desc", tag_desc("test CMYK")), (b"wtpt", b"XYZ " + bytes(4) + s15(0.9642) + s15(1.0) + s15(0.8249)),
            (b"cprt", b"text" + bytes(4) + b"none\x00"), (b"A2B0", lut)]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"prtrCMYKLab " + bytes(12) + b"acsp"
              + bytes(4 + 4 + 4 + 4 + 8 + 4) + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(4 + 16 + 28))
    return header + struct.pack(">I", len(tags)) + table + body


def _srgb_profile():
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- the mode policy: what round-trips ------------------------------------------------

ROUND_TRIPS = {
    "grey png": ("x.png", lambda p: Image.fromarray(A8[..., 0]).save(p), "L", 8),
    "grey+alpha png": ("x.png", lambda p: Image.fromarray(A8[..., :2]).save(p), "LA", 8),
    "rgb png": ("x.png", lambda p: Image.fromarray(A8[..., :3]).save(p), "RGB", 8),
    "rgba png": ("x.png", lambda p: Image.fromarray(A8).save(p), "RGBA", 8),
    "rgb png with icc": ("x.png", lambda p: Image.fromarray(A8[..., :3]).save(p, icc_profile=ICC), "RGB", 8),
    "rgb png with an sRGB profile": ("x.png", lambda p: Image.fromarray(A8[..., :3]).save(p, icc_profile=_srgb_profile()), "RGB", 8),
    "16-bit grey png": ("x.png", lambda p: Image.fromarray(A16[..., 0]).save(p), "L", 16),
    "16-bit grey tiff": ("x.tif", lambda p: Image.fromarray(A16[..., 0]).save(p), "L", 16),
    "16-bit big-endian grey tiff": ("x.tiff", lambda p: Image.fromarray(A16[..., 0].astype(">u2")).save(p), "L", 16),
    "16-bit grey+alpha png": ("x.png", lambda p: _png16(p, A16[..., :2]), "LA", 16),
    "16-bit rgb png": ("x.png", lambda p: _png16(p, A16[..., :3]), "RGB", 16),
    "16-bit rgba png": ("x.png", lambda p: _png16(p, A16), "RGBA", 16),
    "palette png": ("x.png", lambda p: Image.fromarray(A8[..., :3]).convert("P").save(p), "RGB", 8),
    "palette png, one transparent index": ("x.png", lambda p: Image.fromarray(A8[..., :3]).convert("P").save(p, transparency=3), "RGBA", 8),
    "palette png, alpha per index": (
        "x.png", lambda p: Image.fromarray(A8[..., :3]).convert("P").save(p, transparency=bytes(range(0, 256))), "RGBA", 8),
    "rgb png, tRNS colour key": (
        "x.png", lambda p: Image.fromarray(A8[..., :3]).save(p, transparency=tuple(int(v) for v in A8[2, 3, :3])), "RGBA", 8),
    "grey png, tRNS colour key": ("x.png", lambda p: Image.fromarray(A8[..., 0]).save(p, transparency=int(A8[1, 1, 0])), "LA", 8),
    "1-bit png": ("x.png", lambda p: Image.fromarray(A8[..., 0] > 128).save(p), "L", 8),
    "rgb bmp": ("x.bmp", lambda p: Image.fromarray(A8[..., :3]).save(p), "RGB", 8),
    "grey bmp": ("x.bmp", lambda p: Image.fromarray(A8[..., 0]).save(p), "L", 8),
    "rgb lzw tiff": ("x.TIF", lambda p: Image.fromarray(A8[..., :3]).save(p, "TIFF", compression="tiff_lzw"), "RGB", 8),
    "rgba tiff": ("x.tiff", lambda p: Image.fromarray(A8).save(p), "RGBA", 8),
    "lossless webp": ("x.webp", lambda p: Image.fromarray(A8[..., :3]).save(p, lossless=True), "RGB", 8),
    "lossless rgba webp": ("x.webp", lambda p: Image.fromarray(A8).save(p, lossless=True), "RGBA", 8),
}


@pytest.mark.parametrize("case", list(ROUND_TRIPS))
def test_every_kept_mode_round_trips_bit_exactly(case, tmp_path):
    name, make, mode, depth = ROUND_TRIPS[case]
    source = tmp_path / name
    make(source)
    pixels, info = read_image(source)
    assert (info.mode, info.bit_depth) == (mode, depth) and pixels.dtype == np.float32
    assert pixels.shape == (9, 13, len(mode)) and 0 <= pixels.min() and pixels.max() <= 1
    with Image.open(source) as image:  # the pixels are the file's, at full depth, transparency as alpha
        if image.mode in ("P", "PA") or "transparency" in image.info:
            reference = np.asarray(image.convert("RGBA" if mode == "RGBA" else "LA" if mode == "LA" else "RGB"))
        elif image.mode == "1":
            reference = np.asarray(image.convert("L"))
        elif depth == 16 and image.mode not in ("I;16", "I;16B", "I;16L"):
            reference = tf.io.decode_png(source.read_bytes(), dtype=tf.uint16).numpy()
        else:
            reference = np.asarray(image).astype(np.uint16 if depth == 16 else np.uint8)
    scale = 65535 if depth == 16 else 255
    np.testing.assert_array_equal(np.round(pixels * scale).astype(np.int64), reference.reshape(pixels.shape).astype(np.int64))
    target = tmp_path / "out" / name
    write_image(target, pixels, info)
    again, info_again = read_image(target)
    np.testing.assert_array_equal(again, pixels)
    assert (info_again.mode, info_again.bit_depth) == (mode, depth)
    assert info_again.icc_profile == info.icc_profile
    if "icc" in case:
        assert info_again.icc_profile == ICC
    with Image.open(target) as written:
        assert written.format == info.format


def _colour_chunks(*kinds):
    """A PngInfo with the gAMA (1/2.2), cHRM (Rec. 709 / D65) and sRGB
    (relative colorimetric) chunks named in `kinds`."""
    from PIL import PngImagePlugin

    payloads = {
        b"gAMA": struct.pack(">I", 45455),
        b"cHRM": struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000),
        b"sRGB": bytes([1]),
    }
    info = PngImagePlugin.PngInfo()
    for kind in kinds:
        info.add(kind, payloads[kind])
    return info


_GAMMA, _CHROMATICITY = 0.45455, (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06)

COLOUR_CHUNKS = {
    "rgb, gAMA": (lambda p: Image.fromarray(A8[..., :3]).save(p, pnginfo=_colour_chunks(b"gAMA")), (_GAMMA, None, None)),
    "grey, gAMA": (lambda p: Image.fromarray(A8[..., 0]).save(p, pnginfo=_colour_chunks(b"gAMA")), (_GAMMA, None, None)),
    "palette, gAMA cHRM": (
        lambda p: Image.fromarray(A8[..., :3]).convert("P").save(p, pnginfo=_colour_chunks(b"gAMA", b"cHRM")), (_GAMMA, _CHROMATICITY, None)),
    "rgba, gAMA cHRM sRGB": (
        lambda p: Image.fromarray(A8).save(p, pnginfo=_colour_chunks(b"gAMA", b"cHRM", b"sRGB")), (_GAMMA, _CHROMATICITY, 1)),
    "rgb with icc, gAMA": (
        lambda p: Image.fromarray(A8[..., :3]).save(p, icc_profile=ICC, pnginfo=_colour_chunks(b"gAMA")), (_GAMMA, None, None)),
    "16-bit grey, gAMA": (lambda p: Image.fromarray(A16[..., 0]).save(p, pnginfo=_colour_chunks(b"gAMA")), (_GAMMA, None, None)),
    "16-bit rgb, gAMA cHRM sRGB": (
        lambda p: _png16(p, A16[..., :3], _colour_chunks(b"gAMA", b"cHRM", b"sRGB")), (_GAMMA, _CHROMATICITY, 1)),
}


@pytest.mark.parametrize("case", list(COLOUR_CHUNKS))
def test_png_colour_chunks_are_kept_like_the_icc_profile(case, tmp_path):
    # gAMA, cHRM and sRGB say how to show the pixels, as an ICC profile
    # does; a viewer that honours gAMA shows a file that lost it lighter
    # or darker.
    make, expected = COLOUR_CHUNKS[case]
    make(tmp_path / "x.png")
    pixels, info = read_image(tmp_path / "x.png")
    assert (info.gamma, info.chromaticity, info.srgb_intent) == expected
    write_image(tmp_path / "y.png", pixels, info)
    again, info_again = read_image(tmp_path / "y.png")
    np.testing.assert_array_equal(again, pixels)
    assert (info_again.gamma, info_again.chromaticity, info_again.srgb_intent, info_again.icc_profile) == (
        *expected, info.icc_profile)
    with Image.open(tmp_path / "y.png") as written:  # what any PNG reader sees
        assert written.info["gamma"] == _GAMMA
    # A PNG without them gets none.
    write_image(tmp_path / "z.png", pixels, dataclasses.replace(info, gamma=None, chromaticity=None, srgb_intent=None))
    with Image.open(tmp_path / "z.png") as written:
        assert not {"gamma", "chromaticity", "srgb"} & set(written.info)


def test_grey_and_rgb_16_bit_are_not_clipped_at_255(tmp_path):
    """The issue's case: a 16-bit PNG read as 8 bits was 99.5% white."""
    deep = np.linspace(0, 65535, 9 * 13 * 3).reshape(9, 13, 3).astype(np.uint16)
    _png16(tmp_path / "rgb16.png", deep)
    Image.fromarray(deep[..., 0]).save(tmp_path / "grey16.png")
    for name, expected in (("rgb16.png", deep), ("grey16.png", deep[..., :1])):
        pixels, _ = read_image(tmp_path / name)
        np.testing.assert_allclose(pixels, expected / 65535.0, atol=1e-7)
        assert (pixels == 1).mean() < 0.05


def test_jpeg_round_trip_is_close_and_keeps_exif_but_not_its_orientation(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 3  # upside down
    exif[0x010F] = "TestCam"  # Make
    Image.fromarray(A8[..., :3]).save(tmp_path / "x.jpg", quality=98, exif=exif.tobytes(), icc_profile=ICC)
    pixels, info = read_image(tmp_path / "x.jpg")
    write_image(tmp_path / "y.jpg", pixels, info)
    again, info_again = read_image(tmp_path / "y.jpg")
    assert np.abs(again - pixels).mean() < 4 / 255 and info_again.icc_profile == ICC
    with Image.open(tmp_path / "y.jpg") as written:
        assert written.getexif().get(0x010F) == "TestCam" and written.getexif().get(0x0112, 1) == 1


def test_a_phone_mpo_jpeg_is_its_first_frame_written_as_jpeg(tmp_path):
    Image.fromarray(A8[..., :3]).save(tmp_path / "x.jpg", "MPO", save_all=True, append_images=[Image.fromarray(A8[..., 1:])], quality=95)
    with Image.open(tmp_path / "x.jpg") as image:
        assert image.format == "MPO" and image.n_frames == 2
        first = np.asarray(image.convert("RGB"))
    pixels, info = read_image(tmp_path / "x.jpg")
    assert info.format == "JPEG" and info.mode == "RGB"
    np.testing.assert_array_equal(np.round(pixels * 255).astype(np.uint8), first)


def test_max_side_shrinks_with_an_area_filter_and_jpeg_draft(tmp_path):
    from kfreqgan.data import load_photo

    photo = np.round(load_photo("coffee") * 255).astype(np.uint8)  # 400 x 600
    Image.fromarray(photo).save(tmp_path / "x.jpg", quality=95)
    Image.fromarray(photo).save(tmp_path / "x.png")
    full = image_files.load_image(tmp_path / "x.png")
    expected = tf.image.resize(full, (100, 150), method="area", antialias=True).numpy()
    np.testing.assert_allclose(image_files.load_image(tmp_path / "x.png", max_side=150), expected, atol=1e-6)
    small = image_files.load_image(tmp_path / "x.jpg", max_side=150)  # decoded at 1/2 scale first, then area-filtered
    assert small.shape == (100, 150, 3) and np.abs(small - expected).mean() < 0.01
    assert image_files.load_image(tmp_path / "x.png", max_side=1000).shape == (400, 600, 3)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(photo).save(tmp_path / "r.jpg", exif=exif.tobytes())
    assert image_files.load_image(tmp_path / "r.jpg", max_side=150).shape == (150, 100, 3)  # upright


@pytest.mark.parametrize("name", ["x.png", "x.jpg", "x.tif"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_like_pillow(orientation, name, tmp_path):
    # A TIFF holds its orientation as a tag of its own, and Pillow reports
    # its size upright already: image_size must not turn it a second time
    # (the eager size check of image_pair_dataset compares these sizes).
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(A8[..., :3]).save(tmp_path / name, exif=exif.tobytes())
    pixels, _ = read_image(tmp_path / name)
    with Image.open(tmp_path / name) as image:
        expected = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(np.round(pixels * 255).astype(np.uint8), expected)
    assert image_files.image_size(tmp_path / name) == expected.shape[:2]
    np.testing.assert_array_equal(image_files.load_image(tmp_path / name), pixels)


def test_cmyk_with_its_profile_becomes_srgb_and_never_keeps_the_cmyk_profile(tmp_path):
    from PIL import ImageCms

    profile = _cmyk_profile()
    cmyk = Image.fromarray(A8, "CMYK")
    cmyk.save(tmp_path / "x.jpg", icc_profile=profile, quality=100)
    pixels, info = read_image(tmp_path / "x.jpg")
    assert info.mode == "RGB" and info.source_mode == "CMYK" and info.icc_profile != profile
    assert ImageCms.getProfileName(ImageCms.ImageCmsProfile(__import__("io").BytesIO(info.icc_profile))).strip().startswith("sRGB")
    with Image.open(tmp_path / "x.jpg") as image:
        expected = ImageCms.profileToProfile(
            image, ImageCms.ImageCmsProfile(__import__("io").BytesIO(profile)), ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
        naive = np.asarray(image.convert("RGB"))
    np.testing.assert_array_equal(np.round(pixels * 255).astype(np.uint8), np.asarray(expected))
    assert np.abs(np.asarray(expected).astype(int) - naive).max() > 10  # the profile mattered
    write_image(tmp_path / "y.jpg", pixels, info)
    with Image.open(tmp_path / "y.jpg") as written:
        assert written.mode == "RGB" and written.info.get("icc_profile") == info.icc_profile


# --- the mode policy: what is refused, in one line ---------------------------------------

REFUSED = {
    "float tiff": ("x.tif", lambda p: Image.fromarray(A8[..., 0].astype(np.float32) / 255).save(p), r"32-bit floating-point \(mode F\)"),
    "int32 tiff": ("x.tiff", lambda p: Image.fromarray(A8[..., 0].astype(np.int32) * 1000).save(p), r"32-bit integer \(mode I\)"),
    "cmyk jpeg without profile": ("x.jpg", lambda p: Image.fromarray(A8, "CMYK").save(p), r"CMYK without an ICC profile"),
    "cmyk tiff without profile": ("x.tif", lambda p: Image.fromarray(A8, "CMYK").save(p), r"CMYK without an ICC profile"),
    "cmyk jpeg with a broken profile": ("x.jpg", lambda p: Image.fromarray(A8, "CMYK").save(p, icc_profile=b"garbage" * 20), r"CMYK with an ICC profile that cannot be applied"),
    "animated png": ("x.png", lambda p: Image.fromarray(A8[..., :3]).save(p, save_all=True, append_images=[Image.fromarray(A8[..., 1:])]), r"animated or multi-page PNG \(2 frames\)"),
    "animated webp": ("x.webp", lambda p: Image.fromarray(A8[..., :3]).save(p, save_all=True, append_images=[Image.fromarray(A8[..., 1:])]), r"animated or multi-page WEBP \(2 frames\)"),
    "multi-page tiff": ("x.tif", lambda p: Image.fromarray(A8[..., :3]).save(p, save_all=True, append_images=[Image.fromarray(A8[..., 1:])] * 2), r"multi-page TIFF \(3 frames\)"),
    "gif named png": ("x.png", lambda p: Image.fromarray(A8[..., :3]).convert("P").save(p, "GIF"), r"a GIF file"),
    "animated gif": ("x.gif", lambda p: Image.fromarray(A8[..., :3]).save(p, save_all=True, append_images=[Image.fromarray(A8[..., 1:])]), r"a GIF file"),
    "ycbcr tiff": ("x.tif", lambda p: Image.fromarray(A8[..., :3]).convert("YCbCr").save(p, "TIFF"), r"YCbCr \(mode YCbCr\)"),
    "lab tiff": ("x.tif", lambda p: Image.fromarray(A8[..., :3]).convert("LAB").save(p, "TIFF"), r"CIE Lab \(mode LAB\)"),
    "rgb tagged with a cmyk profile": ("x.png", lambda p: Image.fromarray(A8[..., :3]).save(p, icc_profile=_cmyk_profile()), r"RGB pixels tagged with a CMYK ICC profile"),
    "rgb jpeg tagged with a cmyk profile": ("x.jpg", lambda p: Image.fromarray(A8[..., :3]).save(p, icc_profile=_cmyk_profile()), r"RGB pixels tagged with a CMYK ICC profile"),
    "grey tagged with an sRGB profile": ("x.png", lambda p: Image.fromarray(A8[..., 0]).save(p, icc_profile=_srgb_profile()), r"L pixels tagged with a RGB ICC profile"),
    "16-bit png with a colour key": ("x.png", lambda p: Image.fromarray(A16[..., 0]).save(p, transparency=int(A16[0, 0, 0])), r"colour key"),
    "empty file": ("x.png", lambda p: p.write_bytes(b""), r"the file is empty"),
    "garbage": ("x.jpg", lambda p: p.write_bytes(os.urandom(300)), r"not a PNG, JPEG, BMP, TIFF or WebP image"),
    "truncated png": ("x.png", lambda p: (Image.fromarray(A8).save(p), p.write_bytes(p.read_bytes()[:80])), r"corrupt, or not an image"),
    "truncated 16-bit png": ("x.png", lambda p: p.write_bytes(tf.io.encode_png(A16[..., :3]).numpy()[:70]), r"corrupt, or not an image"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_modes_and_files_are_one_line_naming_the_file(case, tmp_path):
    name, make, message = REFUSED[case]
    make(tmp_path / name)
    with pytest.raises(ValueError, match=message) as caught:
        read_image(tmp_path / name)
    text = str(caught.value)
    assert "\n" not in text and str(tmp_path / name) in text
    with pytest.raises(ValueError, match=message):
        image_files.load_image(tmp_path / name)
    if case in ("empty file", "garbage"):  # what the header alone shows: the same words
        with pytest.raises(ValueError, match=message):
            image_files.image_size(tmp_path / name)


def test_a_16_bit_colour_tiff_is_refused(tmp_path):
    """Pillow would keep only 8 of its bits: refused, not truncated."""
    height, width = 3, 4
    pixels = A16[:height, :width, :3].astype("<u2").tobytes()
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 3, 8 + 12 + 12 * 12 + 2), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, 0), (277, 3, 1, 3), (278, 3, 1, height), (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    ifd_end = 8 + 2 + 12 * len(entries) + 4
    entries[2] = (258, 3, 3, ifd_end)
    entries[5] = (273, 4, 1, ifd_end + 6)
    data = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        data += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3 and count == 1 else struct.pack("<I", value))
    data += struct.pack("<I", 0) + struct.pack("<HHH", 16, 16, 16) + pixels
    (tmp_path / "x.tif").write_bytes(data)
    with pytest.raises(ValueError, match=r"16-bit colour TIFF \(mode RGB; Pillow would keep only 8 bits\)"):
        read_image(tmp_path / "x.tif")


def test_writing_refuses_what_the_format_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match=r"JPEG cannot hold 16-bit RGB pixels"):
        write_image(tmp_path / "x.jpg", np.zeros((2, 2, 3)), ImageInfo("RGB", 16))
    with pytest.raises(ValueError, match=r"JPEG cannot hold RGBA pixels"):
        write_image(tmp_path / "x.jpeg", np.zeros((2, 2, 4)), ImageInfo("RGBA"))
    with pytest.raises(ValueError, match=r"BMP cannot hold RGBA pixels"):
        write_image(tmp_path / "x.bmp", np.zeros((2, 2, 4)), ImageInfo("RGBA"))
    with pytest.raises(ValueError, match=r"use one of \.png"):
        write_image(tmp_path / "x.gif", np.zeros((2, 2, 3)), ImageInfo("RGB"))
    with pytest.raises(ValueError, match=r"shape \(height, width, 3\) for mode RGB\. Received: shape=\(2, 2, 4\)"):
        write_image(tmp_path / "x.png", np.zeros((2, 2, 4)), ImageInfo("RGB"))
    with pytest.raises(ValueError, match="NaN"):
        write_image(tmp_path / "x.png", np.full((2, 2, 3), np.nan), ImageInfo("RGB"))
    assert os.listdir(tmp_path) == []


# --- listing ------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "photos"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for path in ("a.png", "B.JPG", "c.Jpeg", "d.tif", "e.TIFF", "f.webp", "g.bmp", "sub/h.png", "sub/deeper/i.png", ".hidden/j.png"):
        Image.fromarray(A8[..., :3]).save(root / path, format=Image.registered_extensions()[os.path.splitext(path)[1].lower()])
    (root / ".DS_Store").write_bytes(b"x")
    (root / ".tmp-123-abcdefgh.png").write_bytes(b"")
    (root / "notes.txt").write_text("not an image")
    (root / "folder.png").mkdir()  # a folder with an image name
    os.mkfifo(root / "fifo.png")
    (root / "dangling.png").symlink_to(root / "missing.png")
    (root / "linked-dir").symlink_to(root / "sub")
    (root / "link.png").symlink_to(root / "a.png")
    return root


def test_listing_is_recursive_only_when_asked_and_only_regular_image_files(tree):
    flat = image_files.list_image_files(tree, strict=False)
    assert [os.path.relpath(p, tree) for p in flat] == ["B.JPG", "a.png", "c.Jpeg", "d.tif", "e.TIFF", "f.webp", "g.bmp", "link.png"]
    deep = image_files.list_image_files(tree, recursive=True, strict=False)
    assert [os.path.relpath(p, tree) for p in deep][-2:] == ["sub/deeper/i.png", "sub/h.png"]
    assert not any("hidden" in p or "fifo" in p or "linked-dir" in p or "folder.png" in p for p in deep)
    excluded = image_files.list_image_files(tree, recursive=True, strict=False, exclude=[tree / "sub" / ".." / "sub"])
    assert not any(os.sep + "sub" + os.sep in p for p in excluded)


def test_strict_listing_refuses_strays_and_non_regular_image_names(tree, tmp_path):
    with pytest.raises(ValueError, match=r"contains a file that is not a regular file: '.*dangling\.png' \(and 2 more\)"):
        image_files.list_image_files(tree, name="hazy_dir")
    clean = tmp_path / "clean"
    clean.mkdir()
    Image.fromarray(A8[..., :3]).save(clean / "a.png")
    os.mkfifo(clean / "b.png")
    with pytest.raises(ValueError, match=r"not a regular file: '.*b\.png'"):
        image_files.list_image_files(clean)
    os.remove(clean / "b.png")
    (clean / "c.txt").write_text("x")
    with pytest.raises(ValueError, match=r"not an image: '.*c\.txt'"):
        image_files.list_image_files(clean)


@pytest.mark.parametrize("kind", ["fifo", "folder", "socket"])
def test_reading_a_non_regular_file_never_blocks(kind, tmp_path):
    path = tmp_path / "x.png"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        import socket

        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    with pytest.raises(ValueError, match=r"Expected an image file, got a (FIFO|folder|socket)\. Received: path='.*x\.png'"):
        read_image(path)


# --- paths: one rule, every spelling -------------------------------------------------------------


def test_an_output_never_resolves_onto_an_input(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.png").write_bytes(b"original")
    (tmp_path / "link").symlink_to(photos)
    (tmp_path / "out").mkdir()
    os.link(photos / "a.png", tmp_path / "out" / "hard.png")
    (tmp_path / "out" / "soft.png").symlink_to(photos / "a.png")
    inputs = paths.InputFiles(files=[photos / "a.png"], folders=[photos])
    for spelling in (photos / "a.png", tmp_path / "link" / "a.png", photos / ".." / "photos" / "a.png",
                     tmp_path / "out" / "hard.png", tmp_path / "out" / "soft.png", f"{photos}//./a.png"):
        with pytest.raises(ValueError, match=r"would overwrite the input file .*a\.png"):
            paths.check_output_file(spelling, inputs)
    paths.check_output_file(tmp_path / "out" / "a.png", inputs)
    for spelling in (photos, tmp_path / "link", photos / ".." / "photos", f"{photos}/"):
        with pytest.raises(ValueError, match=r"is the input folder"):
            paths.check_output_folder(spelling, inputs)
    with pytest.raises(ValueError, match=r"lies inside the input folder"):
        paths.check_output_folder(tmp_path / "link" / "new", inputs)
    paths.check_output_folder(tmp_path / "link" / "new", inputs, allow_inside=True)
    with pytest.raises(ValueError, match=r"exists and is not a folder"):
        paths.check_output_folder(photos / "a.png", inputs)
    for spelling in (photos / "a.png" / "sub", photos / "a.png" / "x" / "y", f"{photos}/a.png/"):
        with pytest.raises(ValueError, match=r"--out lies under .*a\.png, which is not a folder\. Received: --out="):
            paths.check_output_folder(spelling, inputs)


def test_one_call_applies_the_rule_for_a_command(tmp_path):
    """`check_command_paths`, as `kfreqgan-export` uses it: its model file
    and calibration folder are inputs, `models.config` is what it writes."""
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.png").write_bytes(b"original")
    (tmp_path / "model.keras").write_bytes(b"model")
    (tmp_path / "link").symlink_to(photos)
    for out in (photos, tmp_path / "link", photos / ".." / "photos"):
        with pytest.raises(ValueError, match=r"--out is the input folder"):
            paths.check_command_paths(out, [tmp_path / "model.keras"], [photos], ["models.config"])
    with pytest.raises(ValueError, match=r"would overwrite the input file .*model\.keras"):
        paths.check_command_paths(tmp_path, [tmp_path / "model.keras"], [], ["model.keras"])
    with pytest.raises(ValueError, match=r"--out exists and is not a folder"):
        paths.check_command_paths(tmp_path / "model.keras", [], [photos])
    paths.check_command_paths(photos / "exported", [tmp_path / "model.keras"], [photos], ["models.config"])
    paths.check_command_paths(tmp_path / "exported", [tmp_path / "model.keras"], [photos], ["models.config"])
    assert sorted(os.listdir(tmp_path)) == ["link", "model.keras", "photos"]  # nothing created


# --- atomic files -----------------------------------------------------------------------------


def test_written_files_get_the_umask_permissions_or_keep_their_own(tmp_path):
    old = os.umask(0o027)
    try:
        write_image(tmp_path / "a.png", A8[..., :3], ImageInfo("RGB"))
        assert os.stat(tmp_path / "a.png").st_mode & 0o777 == 0o640
        os.chmod(tmp_path / "a.png", 0o604)
        write_image(tmp_path / "a.png", A8[..., :3], ImageInfo("RGB"))
        assert os.stat(tmp_path / "a.png").st_mode & 0o777 == 0o604
        os.umask(0o002)
        atomic_files.write_text_atomically(tmp_path / "r.json", "{}")
        assert os.stat(tmp_path / "r.json").st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_a_killed_writer_leaves_a_temporary_that_the_next_run_sweeps(tmp_path):
    """SIGKILL in the middle of a write; only that writer's leftovers go."""
    script = (
        "import os, signal, sys; from kfreqgan.atomic_files import write_atomically\n"
        "write_atomically(sys.argv[1], lambda t: (open(t, 'w').write('half'), os.kill(os.getpid(), signal.SIGKILL)))\n"
    )
    target = tmp_path / "out" / "a.png"
    (tmp_path / "out").mkdir()
    keep = [".tmp-abcdefgh.png", f".tmp-{os.getpid()}-abcdefgh.png", ".tmp-12-short.png", "mine.png"]
    for name in keep:
        (tmp_path / "out" / name).write_text("not the writer's")
    result = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == -9
    left = sorted(set(os.listdir(tmp_path / "out")) - set(keep))
    assert len(left) == 1 and left[0].startswith(".tmp-") and not target.exists()
    atomic_files.sweep_temporaries(tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out")) == sorted(keep)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_named_not_the_temporary_file(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as caught:
            write_image(folder / "a.png", A8[..., :3], ImageInfo("RGB"))
        assert str(folder / "a.png") in str(caught.value) and ".tmp-" not in str(caught.value)
        with pytest.raises(ValueError, match=r"cannot write into --out .*locked/new: Permission denied"):
            paths.check_writable_folder(folder / "new")
    finally:
        folder.chmod(0o700)


def test_an_os_error_while_writing_names_the_target(tmp_path):
    def fail(temporary):
        raise OSError(28, "No space left on device", temporary)

    with pytest.raises(OSError) as caught:
        atomic_files.write_atomically(tmp_path / "a.png", fail)
    assert str(caught.value) == f"[Errno 28] No space left on device: '{tmp_path / 'a.png'}'"
    assert os.listdir(tmp_path) == []


def test_zlib_and_struct_are_used(tmp_path):
    """The 16-bit colour PNG writer adds a valid iCCP chunk (CRC checked by Pillow)."""
    pixels = A16[..., :3] / 65535.0
    write_image(tmp_path / "x.png", pixels, ImageInfo("RGB", 16, icc_profile=ICC))
    with Image.open(tmp_path / "x.png") as image:
        assert image.info["icc_profile"] == ICC
    data = (tmp_path / "x.png").read_bytes()
    assert data[12:16] == b"IHDR" and data[37:41] == b"iCCP" and zlib.decompress(data[41 + 13 :][: struct.unpack(">I", data[33:37])[0] - 13]) == ICC
