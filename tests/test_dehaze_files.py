"""`kfreqgan-dehaze` and its files: originals are never written by any path
spelling, every image mode round-trips (identity model) or fails in one line,
FIFOs and leftovers, and fixed-size models that just work."""

import hashlib
import os
import signal
import struct

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import PngImagePlugin

from kfreqgan import dehaze_cli
from kfreqgan.data.image_files import read_image
from kfreqgan.dehazing import Dehazer
from kfreqgan.dehazing import choose_margin_and_overlap

RNG = np.random.default_rng(1)
A8 = RNG.integers(0, 256, (21, 34, 4), dtype=np.uint8)
A16 = RNG.integers(0, 65536, (21, 34, 4), dtype=np.uint16)


@pytest.fixture(scope="module")
def identity_model(tmp_path_factory):
    """A size-free image-to-image model that returns its input."""
    inputs = keras.Input((None, None, 3), name="image")
    outputs = keras.layers.Activation("linear", name="output")(inputs)
    path = tmp_path_factory.mktemp("model") / "identity.keras"
    keras.Model(inputs, outputs).save(path)
    return path


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    Image.fromarray(A8[..., :3]).save(root / "a.png")
    Image.fromarray(A8[..., :3]).save(root / "sub" / "b.jpg", quality=95)
    Image.fromarray(A8).save(root / "c.png")
    return root


def hashes(root):
    return {
        os.path.relpath(os.path.join(folder, name), root): hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
        for folder, _, names in os.walk(root)
        for name in names
        if not os.path.islink(os.path.join(folder, name))
    }


def run_cli(argv, capsys):
    code = dehaze_cli.main([str(arg) for arg in argv] + ["--quiet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- originals are sacred --------------------------------------------------------


SPELLINGS = {
    "the folder itself": lambda t, p: (p, p),
    "a trailing slash": lambda t, p: (p, f"{p}/"),
    "dot-dot": lambda t, p: (p, p / "sub" / ".."),
    "photos/../photos": lambda t, p: (p, p / ".." / "photos"),
    "a symlink to the folder": lambda t, p: (p, _link(t / "link", p)),
    "the input through a symlink": lambda t, p: (_link(t / "link", p), p),
    "a relative spelling": lambda t, p: (p, os.path.relpath(p)),
    "a single file, out its folder": lambda t, p: (p / "a.png", p),
    "a single file, out a symlink to its folder": lambda t, p: (p / "a.png", _link(t / "link", p)),
    "a single file through a symlinked folder": lambda t, p: (_link(t / "link", p) / "a.png", p / "sub" / ".."),
    "a symlinked single file": lambda t, p: (_link(_folder(t / "elsewhere") / "a.png", p / "a.png"), p),
    "a hard link in out to an original": lambda t, p: (p, _hard_link(t / "out", p)),
    "a symlink in out to an original": lambda t, p: (p, _soft_link(t / "out", p)),
}


def _folder(path):
    path.mkdir()
    return path


def _link(link, target):
    link.symlink_to(target)
    return link


def _hard_link(out, photos):
    out.mkdir()
    os.link(photos / "a.png", out / "a.png")
    return out


def _soft_link(out, photos):
    out.mkdir()
    (out / "c.png").symlink_to(photos / "c.png")
    return out


@pytest.mark.parametrize("case", list(SPELLINGS))
def test_no_spelling_of_out_overwrites_an_original(case, photos, tmp_path, capsys, monkeypatch, identity_model):
    monkeypatch.chdir(tmp_path)
    before = hashes(photos)
    source, out = SPELLINGS[case](tmp_path, photos)
    code, _, stderr = run_cli([source, "--out", out, "--model", identity_model], capsys)
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("kfreqgan-dehaze: error: --out ")
    assert "is the input folder" in stderr or "would overwrite the input file" in stderr
    assert hashes(photos) == before
    assert not any(name.startswith(".tmp") for _, _, names in os.walk(photos) for name in names)


def test_out_inside_the_input_is_left_out_on_every_rerun(photos, capsys, identity_model):
    before = hashes(photos)
    out = photos / "dehazed"
    for _ in range(3):
        code, stdout, stderr = run_cli([photos, "--out", out, "--model", identity_model], capsys)
        assert code == 0, stderr
        assert "dehazed 3 of 3 images" in stdout
    written = sorted(os.path.relpath(os.path.join(f, n), out) for f, _, ns in os.walk(out) for n in ns)
    assert written == [".kfreqgan-dehaze-output", "a.png", "c.png", os.path.join("sub", "b.jpg")]
    assert {k: v for k, v in hashes(photos).items() if not k.startswith("dehazed")} == before


# --- every mode round-trips through the command, or fails in one line -----------------


def _cases(root):
    Image.fromarray(A16[..., 0]).save(root / "grey16.png")
    root.joinpath("rgb16.png").write_bytes(tf.io.encode_png(A16[..., :3]).numpy())
    root.joinpath("rgba16.png").write_bytes(tf.io.encode_png(A16).numpy())
    Image.fromarray(A16[..., 0]).save(root / "grey16.tif")
    Image.fromarray(A8[..., :2]).save(root / "la.png")
    Image.fromarray(A8[..., :3]).convert("P").save(root / "palette.png", transparency=5)
    Image.fromarray(A8[..., :3]).save(root / "key.png", transparency=tuple(int(v) for v in A8[0, 0, :3]))
    Image.fromarray(A8[..., :3]).save(root / "icc.png", icc_profile=b"\0\0\0\x10an RGB profile")
    gamma = PngImagePlugin.PngInfo()
    gamma.add(b"gAMA", struct.pack(">I", 45455))
    gamma.add(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
    Image.fromarray(A8[..., :3]).save(root / "gamma.png", pnginfo=gamma)
    Image.fromarray(A8[..., 0]).save(root / "grey.bmp")
    Image.fromarray(A8[..., :3]).save(root / "lossless.webp", lossless=True)
    Image.fromarray(A8[..., 0].astype(np.float32)).save(root / "float.tif")
    Image.fromarray(A8, "CMYK").save(root / "cmyk.jpg")
    Image.fromarray(A8[..., :3]).save(root / "anim.png", save_all=True, append_images=[Image.fromarray(A8[..., 1:])])


def test_an_identity_dehazer_gives_every_kept_image_back_exactly(tmp_path, capsys, identity_model):
    root = tmp_path / "modes"
    root.mkdir()
    _cases(root)
    before = hashes(root)
    code, stdout, stderr = run_cli([root, "--out", tmp_path / "out", "--model", identity_model], capsys)
    assert code == 1 and "dehazed 11 of 14 images" in stdout
    errors = [line for line in stderr.splitlines() if line.startswith("kfreqgan-dehaze: error:")]
    assert len(errors) == 3 and all("which kfreqgan does not read" in line for line in errors)
    assert {os.path.basename(line.split(": ")[2]) for line in errors} == {"float.tif", "cmyk.jpg", "anim.png"}
    assert sorted(os.listdir(tmp_path / "out")) == sorted(set(before) - {"float.tif", "cmyk.jpg", "anim.png"})
    for name in os.listdir(tmp_path / "out"):
        original, info = read_image(root / name)
        written, info_written = read_image(tmp_path / "out" / name)
        kept = ("mode", "bit_depth", "icc_profile", "dpi", "gamma", "chromaticity", "srgb_intent")
        assert [getattr(info_written, key) for key in kept] == [getattr(info, key) for key in kept], name
        np.testing.assert_array_equal(written, original, err_msg=name)
    assert read_image(tmp_path / "out" / "gamma.png")[1].gamma == 0.45455
    assert hashes(root) == before


# --- files that are not images, leftovers, permissions ---------------------------------


def test_a_fifo_named_png_never_hangs_the_folder(photos, tmp_path, capsys, identity_model):
    os.mkfifo(photos / "pipe.png")
    (photos / "socket.png").mkdir()
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the run hung on a FIFO"))
    signal.alarm(120)
    try:
        code, stdout, stderr = run_cli([photos, "--out", tmp_path / "out", "--model", identity_model], capsys)
        assert code == 0 and "dehazed 3 of 3 images" in stdout, stderr
        code, _, stderr = run_cli([photos / "pipe.png", "--out", tmp_path / "out", "--model", identity_model], capsys)
        assert code == 2 and "input is not a regular file or a folder" in stderr
        os.mkfifo(tmp_path / "model.keras")
        code, _, stderr = run_cli([photos, "--out", tmp_path / "out2", "--model", tmp_path / "model.keras"], capsys)
        assert code == 2 and "not a FIFO, socket or device" in stderr and not (tmp_path / "out2").exists()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_outputs_honour_the_umask_and_leftovers_of_killed_runs_are_swept(photos, tmp_path, capsys, identity_model):
    out = tmp_path / "out"
    out.mkdir()
    dead = 2**22 + 12345  # above the default pid_max: no such process
    (out / f".tmp-{dead}-abcdefgh.png").write_bytes(b"")
    (out / ".tmp-mine.png").write_bytes(b"someone else's")
    old = os.umask(0o022)
    try:
        assert run_cli([photos, "--out", out, "--model", identity_model], capsys)[0] == 0
    finally:
        os.umask(old)
    assert os.stat(out / "a.png").st_mode & 0o777 == 0o644
    assert sorted(name for name in os.listdir(out) if name.startswith(".")) == [".tmp-mine.png"]


def test_an_out_that_cannot_be_a_folder_fails_before_any_work(photos, tmp_path, capsys, identity_model):
    # A usage error when the command line is read (command_line.output_folder), exit status 2.
    (tmp_path / "file.txt").write_text("x")
    for out in (tmp_path / "file.txt", tmp_path / "file.txt" / "sub"):
        with pytest.raises(SystemExit) as exit_info:
            run_cli([photos, "--out", out, "--model", identity_model], capsys)
        captured = capsys.readouterr()
        stderr = captured.err
        assert exit_info.value.code == 2 and stderr.count("\n") == 1 and str(tmp_path / "file.txt") in stderr and ".tmp" not in stderr
        assert stderr.startswith("kfreqgan-dehaze: error: argument --out: must be a folder")
        assert captured.out == ""


def test_slow_photos_report_their_tiles(capsys):
    progress = dehaze_cli._Progress(2, quiet=False, tile_after=0.0, tile_every=0.0)
    report = progress.tiles("big.jpg")
    for done in range(1, 4):
        report(done, 3)
    assert capsys.readouterr().err.splitlines() == [f"[1/2] big.jpg: tile {done}/3" for done in range(1, 4)]
    quiet = dehaze_cli._Progress(2, quiet=True, tile_after=0.0, tile_every=0.0).tiles("big.jpg")
    quiet(1, 3)
    assert capsys.readouterr().err == ""


# --- fixed-size models just work ----------------------------------------------------------


@pytest.mark.parametrize(
    "tile, multiple, radius, expected",
    [
        (32, 16, None, (4, 16)),  # the 32x32 demo model, depth 4: one step of 16
        (32, 8, None, (4, 24)),
        (32, 32, None, (0, 0)),  # one multiple per tile: no overlap possible
        (768, 16, 100, (100, 240)),  # a size-free model at the default tile size: margin = radius
        (64, 16, 100, (12, 32)),  # a small tile_size for a large radius: tile-limited
    ],
)
def test_margin_and_overlap_fit_the_tile(tile, multiple, radius, expected):
    margin, overlap = choose_margin_and_overlap(tile, multiple, radius=radius)
    assert (margin, overlap) == expected
    assert overlap % multiple == 0 and overlap <= tile - multiple and (overlap == 0 or overlap > 2 * margin)


def test_explicit_margin_or_overlap_that_cannot_fit_names_the_bounds():
    with pytest.raises(ValueError, match=r"`overlap` must be at most 16 pixels \(a multiple of 16\) for this model's fixed 32x32 input"):
        choose_margin_and_overlap(32, 16, overlap=20, fixed_size=(32, 32))
    with pytest.raises(ValueError, match=r"`margin` must be at most 7 pixels for this model's fixed 32x32 input"):
        choose_margin_and_overlap(32, 16, margin=9, fixed_size=(32, 32))
    assert choose_margin_and_overlap(32, 16, margin=7, fixed_size=(32, 32)) == (7, 16)


@pytest.fixture(scope="module")
def fixed_models(tmp_path_factory):
    """A 32x32 scattering-head U-Net of depth 4 (as `make demo` trains one at
    depth 2-3), its SavedModel and its TFLite file."""
    from kfreqgan.export import serving
    from kfreqgan.export import tflite
    from kfreqgan.models import unet_generator

    try:
        from kfreqgan.models.image_to_image import clipped_model
    except ImportError:  # before the loader moved into the core
        from kfreqgan.export.generator import clipped_model

    folder = tmp_path_factory.mktemp("fixed")
    keras.utils.set_random_seed(5)
    model = unet_generator((32, 32, 3), 4, 4, head="scattering")
    model.save(folder / "generator.keras")
    serving.save_serving_model(model, folder / "saved_model")
    (folder / "generator.tflite").write_bytes(tflite.convert_to_tflite(clipped_model(model)))
    return folder, model


@pytest.mark.parametrize("kind", ["generator.keras", "saved_model", "generator.tflite"])
def test_a_fixed_size_model_and_its_exports_just_work(kind, fixed_models, photos, tmp_path, capsys):
    folder, model = fixed_models
    code, stdout, stderr = run_cli([photos / "a.png", "--out", tmp_path / "out", "--model", folder / kind], capsys)
    assert code == 0, stderr
    written, _ = read_image(tmp_path / "out" / "a.png")
    reference = Dehazer(model)(A8[..., :3])
    assert written.shape == (21, 34, 3)
    assert np.abs(np.round(written * 255) - reference.astype(float)).max() <= 2  # exports round to uint8 / float32 TFLite


def test_a_bind_mount_of_the_input_is_the_input(photos, tmp_path, capsys, identity_model):
    """Real paths differ across a bind mount; (st_dev, st_ino) do not."""
    import subprocess

    bound = tmp_path / "bound"
    bound.mkdir()
    if subprocess.run(["mount", "--bind", str(photos), str(bound)], capture_output=True).returncode != 0:
        pytest.skip("bind mounts need privileges this machine does not give")
    try:
        assert os.path.realpath(bound) != os.path.realpath(photos)
        before = hashes(photos)
        for source, out in ((photos, bound), (bound / "a.png", photos), (photos / "a.png", bound)):
            code, _, stderr = run_cli([source, "--out", out, "--model", identity_model], capsys)
            assert code == 2 and stderr.count("\n") == 1, stderr
            assert "is the input folder" in stderr or "would overwrite the input file" in stderr
        assert hashes(photos) == before
    finally:
        subprocess.run(["umount", str(bound)], capture_output=True)


def test_an_existing_sub_folder_as_out_never_loses_its_own_originals(photos, capsys, identity_model):
    """`--out photos/sub`: sub's originals are not read (the out tree is left
    out) and never replaced, even where an output has the same name."""
    Image.fromarray(A8[..., 1:]).save(photos / "sub" / "a.png")  # same name as photos/a.png's output
    before = hashes(photos)
    code, _, stderr = run_cli([photos, "--out", photos / "sub", "--model", identity_model], capsys)
    assert code == 2 and "would overwrite the input file" in stderr and stderr.count("\n") == 1
    assert hashes(photos) == before
    # A sub-folder with originals of other names: written beside them, and reruns still work.
    os.remove(photos / "sub" / "a.png")
    before = hashes(photos)
    for _ in range(2):
        code, stdout, stderr = run_cli([photos, "--out", photos / "sub", "--model", identity_model], capsys)
        assert code == 0 and "dehazed 2 of 2 images" in stdout, stderr
    assert {k: v for k, v in hashes(photos).items() if k in before} == before
    assert sorted(os.listdir(photos / "sub")) == [".kfreqgan-dehaze-output", "a.png", "b.jpg", "c.png"]


def test_a_fixed_non_square_model_tiles_with_its_own_shape(tmp_path):
    """`kfreqgan-export --image-size 24x40` writes a non-square fixed-size
    model; `Dehazer` tiles with 24x40 tiles (it refused "a model with a
    square input"). A pointwise model makes tiling exact, so the result is
    the model applied to the whole photo, on a photo smaller than a tile
    on one side and larger on the other, and on a large one."""
    from kfreqgan.export import tflite
    from kfreqgan.models.image_to_image import clipped_model

    inputs = keras.Input((24, 40, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1, activation="sigmoid")(inputs))
    whole = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(3, 1, activation="sigmoid")])
    whole.set_weights(model.get_weights())
    path = tmp_path / "wide.tflite"
    path.write_bytes(tflite.convert_to_tflite(clipped_model(model)))
    rng = np.random.default_rng(0)
    for shape in ((17, 95, 3), (61, 33, 3), (130, 170, 3)):
        image = rng.uniform(size=shape).astype(np.float32)
        reference = whole.predict(image[None], verbose=0)[0]
        for source in (model, str(path)):
            dehazer = Dehazer(source)
            assert dehazer.tile_size == (24, 40)
            np.testing.assert_allclose(dehazer(image), reference, atol=2e-5)
