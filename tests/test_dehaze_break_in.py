"""Break-in cases for `kfreqgan.dehazing` and `kfreqgan-dehaze`: models that
shrink or break their images, arguments out of range, output paths that
would leave `--out`, names that would break a one-line error."""

import os

import keras
import numpy as np
import pytest
from PIL import Image

from kfreqgan import dehaze_cli
from kfreqgan import dehazing
from kfreqgan import tiling
from kfreqgan.command_line import printable
from kfreqgan.data import image_files
from kfreqgan.models import unet_generator
from kfreqgan.models.image_to_image import check_image_to_image


def _halving_model():
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(3, 3, strides=2, padding="same")(inputs))


def _nan_model():
    inputs = keras.Input((None, None, 3))
    layer = keras.layers.Conv2D(3, 3, padding="same")
    outputs = layer(inputs)
    layer.kernel.assign(np.full(layer.kernel.shape, np.nan, np.float32))
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    keras.utils.set_random_seed(4)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    unet_generator((None, None, 3), filters=4, depth=2).save(path)
    return path


@pytest.fixture
def photo(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "a.png")
    return folder


def run_cli(argv, capsys):
    code = dehaze_cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- models and arguments ---------------------------------------------------


def test_a_size_free_model_that_shrinks_its_images_is_refused():
    # Its symbolic shapes are all None; the concrete shape says it halves.
    with pytest.raises(ValueError, match=r"output must have its input's size\. Received: input_shape=\(1, 128, 192, 3\), output_shape=\(1, 64, 96, 3\)$"):
        check_image_to_image(_halving_model())
    with pytest.raises(ValueError, match="input's size"):
        dehazing.Dehazer(_halving_model())


def _two_outputs():
    images = keras.Input((8, 8, 3))
    return keras.Model(images, [images, images])


def _latent():
    latent = keras.Input((16,))
    return keras.Model(latent, keras.layers.Dense(4)(latent))


def _other_shape():
    images = keras.Input((8, 8, 3))
    return keras.Model(images, keras.layers.Conv2D(1, 1)(images))


NOT_IMAGE_TO_IMAGE = {
    "not a model": (lambda: keras.layers.Dense(3), r"`model` must be a keras\.Model\. Received: model=Dense$"),
    "two outputs": (_two_outputs, r"one input and one output can be exported\. Received: len\(model\.inputs\)=1, len\(model\.outputs\)=2$"),
    "latent vectors": (_latent, r"takes latent vectors\)\. Received: input_shape=\(None, 16\)$"),
    "other shape": (_other_shape, r"input's shape\. Received: input_shape=\(None, 8, 8, 3\), output_shape=\(None, 8, 8, 1\)$"),
}


@pytest.mark.parametrize("case", list(NOT_IMAGE_TO_IMAGE))
def test_check_image_to_image_says_what_it_received_as_name_value(case):
    build, message = NOT_IMAGE_TO_IMAGE[case]
    with pytest.raises(ValueError, match=message):
        check_image_to_image(build())


def test_a_model_with_non_finite_output_is_an_error_not_nan_pixels():
    with pytest.raises(ValueError, match=r"output is not finite"):
        dehazing.receptive_radius(_nan_model(), probe=32)
    dehazer = dehazing.Dehazer(_nan_model(), tile_size=32, margin=2)  # no radius probe
    for image in (np.full((20, 30, 3), 0.5, np.float32), np.full((20, 30, 3), 128, np.uint8)):
        with pytest.raises(ValueError, match=r"output is not finite \(NaN or Inf\).*Received: 1800 non-finite values"):
            dehazer(image)


def test_receptive_radius_of_a_model_that_ignores_its_input_is_zero():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 0.0 + 0.5)(inputs))
    assert dehazing.receptive_radius(model, probe=16) == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"threshold": 2.0}, r"`threshold` must be a finite number > 0 and < 1\. Received: threshold=2\.0"),
        ({"threshold": float("nan")}, r"Received: threshold=nan"),
        ({"probe": 0}, r"`probe` must be a positive integer\. Received: probe=0"),
        ({"probe": 2}, r"`probe` must be at least 3 pixels"),
    ],
)
def test_receptive_radius_checks_its_arguments(kwargs, message):
    inputs = keras.Input((None, None, 3))
    with pytest.raises(ValueError, match=message):
        dehazing.receptive_radius(keras.Model(inputs, inputs), **kwargs)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((32, 0), {}, r"`multiple` must be a positive integer\. Received: multiple=0"),
        ((0, 4), {}, r"`tile_size` must be a positive integer"),
        ((2, 4), {}, r"`tile_size` must be at least the network's multiple 4\. Received: tile_size=2"),
        ((64, 16), {"margin": -3}, r"`margin` must be None or an integer >= 0\. Received: margin=-3"),
        ((64, 16), {"overlap": -5}, r"`overlap` must be None or an integer >= 0\. Received: overlap=-5"),
        ((64, 16), {"overlap": 2.5}, r"Received: overlap=2\.5"),
        ((32, 4), {"overlap": 29}, r"at most 28 pixels .* Received: overlap=29 \(rounded up to 32\)"),
    ],
)
def test_choose_margin_and_overlap_checks_its_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dehazing.choose_margin_and_overlap(*args, **kwargs)


def test_no_overlap_takes_margin_0():
    # Plain tiles without blending: an explicit margin=0 was refused as
    # "`margin` must be at most -1 pixels".
    assert dehazing.choose_margin_and_overlap(32, 4, margin=0, overlap=0) == (0, 0)
    assert dehazing.choose_margin_and_overlap(32, 4, margin=np.int64(0), overlap=np.int64(0)) == (0, 0)
    with pytest.raises(ValueError, match=r"`margin` must be at most 0 pixels for tile_size=32\. Received: margin=1"):
        dehazing.choose_margin_and_overlap(32, 4, margin=1, overlap=0)


IMAGE = np.zeros((8, 8, 3), np.float32)


@pytest.mark.parametrize(
    "call, message",
    [
        # Each of these reached Python's or NumPy's own error.
        (lambda: tiling.apply_tiled(lambda b: b, IMAGE, 4, 0, batch_size=0), r"`batch_size` must be a positive integer\. Received: batch_size=0"),
        (lambda: tiling.apply_tiled(lambda b: b, IMAGE[..., 0], 4, 0), r"`image` must be an array of shape \(height, width, channels\)\. Received: shape=\(8, 8\)"),
        (lambda: tiling.apply_tiled(lambda b: b, IMAGE, 4, 0, out_channels=2.0), r"`out_channels` must be a positive integer\. Received: out_channels=2\.0"),
        (lambda: tiling.tile_starts(16, 4, 0), r"`step` must be a positive integer\. Received: step=0"),
        (lambda: tiling.tile_starts(16, 4, 4, multiple=0), r"`multiple` must be a positive integer\. Received: multiple=0"),
        # TypeError: 'bool' object is not callable, after the first batch ran.
        (lambda: tiling.apply_tiled(lambda b: b, IMAGE, 4, 0, progress=True), r"`progress` must be None or a callable progress\(done, total\)\. Received: progress=True"),
        # An image of height 0 got a row of empty tiles.
        (lambda: tiling.tile_grid(0, 16, 4, 0), r"`height` must be a positive integer\. Received: height=0"),
    ],
)
def test_tiling_names_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_tiling_takes_numpy_integers():
    image = np.random.default_rng(0).random((12, 20, 3)).astype(np.float32)
    tiled = tiling.apply_tiled(lambda b: b, image, np.int64(8), np.int64(4), batch_size=np.int32(3), margin=np.int64(1))
    np.testing.assert_allclose(tiled, image, atol=1e-6)


def test_image_arguments_get_clear_errors(tiny_model):
    with pytest.raises(ValueError, match=r"`path` must be a file or folder path\. Received: path=123 of type int"):
        dehazing.load_dehazing_model(123)
    dehazer = dehazing.Dehazer(tiny_model, tile_size=32)
    ragged = [np.zeros((4, 4, 3)).tolist(), np.zeros((5, 4, 3)).tolist()]
    with pytest.raises(ValueError, match=r"`image` must be one array of shape \(height, width, channels\)"):
        dehazer(ragged)
    overshoot = np.full((8, 8, 3), 0.5, np.float32)
    overshoot[0, 0, 0] = np.nextafter(np.float32(1.0), np.float32(2.0))
    with pytest.raises(ValueError, match=r"range=\[0\.5, 1\.0000001"):  # the overshoot is shown, not rounded away
        dehazer(overshoot)
    nan = overshoot.copy()
    nan[0, :3, 0] = np.nan
    with pytest.raises(ValueError, match=r"Received: progress='tiles'"):  # a whole-image or tiled model failed after running
        dehazer(overshoot * 0.5, progress="tiles")
    # The messages are check_unit_range's, which every NumPy entry point uses.
    with pytest.raises(ValueError, match=r"^`image` must be a finite floating-point image in \[0, 1\]\. Received: 3 non-finite of 192 values$"):
        dehazer(nan)
    # float64 beyond float32's range is out of [0, 1], not "NaN or Inf" (the cast made it inf).
    huge = np.full((8, 8, 3), 0.5)
    huge[1, 1, 1] = 1e300
    with pytest.raises(ValueError, match=r"^`image` must be a finite floating-point image in \[0, 1\] \(divide uint8 pixels by 255\)\. Received: range=\[0\.5, 1e\+300\]$"):
        dehazer(huge)


def test_dehaze_loads_the_shipped_model_once(monkeypatch):
    from kfreqgan import pretrained

    loads = []
    load = pretrained.dehazer
    monkeypatch.setattr(pretrained, "dehazer", lambda: loads.append(1) or load())
    image = np.full((40, 60, 3), 0.7, np.float32)
    results = [dehazing.dehaze(image) for _ in range(3)]
    assert len(loads) <= 1  # at most once in this process, not once per call
    np.testing.assert_array_equal(results[0], results[2])
    # an unhashable argument still reaches Dehazer's own check
    with pytest.raises(ValueError, match="tile_size"):
        dehazing.dehaze(image, tile_size=[64])


# --- the command line ---------------------------------------------------------


def test_a_symlinked_folder_inside_out_is_refused_and_nothing_outside_is_touched(tiny_model, tmp_path, capsys):
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(source / "sub" / "x.png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.png").write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere, out / "sub")
    code, stdout, stderr = run_cli([str(source), "--out", str(out), "--model", str(tiny_model), "--quiet"], capsys)
    assert code == 2 and "is a symlink, and outputs stay inside --out" in stderr and len(stderr.strip().splitlines()) == 1
    assert (elsewhere / "x.png").read_bytes() == b"precious"


@pytest.mark.parametrize("obstacle", ["file_for_folder", "folder_for_file"])
def test_an_obstacle_in_out_is_named_before_any_work(obstacle, tiny_model, tmp_path, capsys):
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(source / "sub" / "x.png")
    out = tmp_path / "out"
    out.mkdir()
    if obstacle == "file_for_folder":
        (out / "sub").write_bytes(b"a file")
        message = "is a file, where a folder must be made"
    else:
        (out / "sub" / "x.png").mkdir(parents=True)
        message = "a folder of that name exists"
    code, _, stderr = run_cli([str(source), "--out", str(out), "--model", str(tiny_model), "--quiet"], capsys)
    assert code == 2 and message in stderr and "Traceback" not in stderr


def test_option_and_model_errors_are_told_apart(tiny_model, photo, tmp_path, capsys):
    code, _, stderr = run_cli([str(photo), "--out", str(tmp_path / "o1"), "--model", "", "--quiet"], capsys)
    assert code == 2 and "cannot use model '':" in stderr and "pretrained" not in stderr
    argv = [str(photo), "--out", str(tmp_path / "o2"), "--model", str(tiny_model), "--tile-size", "32", "--overlap", "29", "--quiet"]
    code, _, stderr = run_cli(argv, capsys)
    assert code == 2 and "--tile-size/--overlap do not fit model" in stderr and "overlap=29 (rounded up to 32)" in stderr
    code, _, stderr = run_cli([str(photo), "--out", str(tmp_path / "o3"), "--model", str(tmp_path / "half.keras"), "--quiet"], capsys)
    assert code == 2 and "cannot use model" in stderr


def test_overlap_is_bounded_by_a_fixed_size_models_own_tile_not_tile_size(photo, tmp_path, capsys):
    """A fixed-size model tiles with its own size, whatever --tile-size says:
    --overlap 40 fits a 64x64 model's tiles, and was refused as not below
    --tile-size 32; --overlap 70 does not fit them, and is refused naming
    the model's bound (it passed the command's check at --tile-size 512)."""
    keras.utils.set_random_seed(5)
    fixed = tmp_path / "fixed64.keras"
    unet_generator((64, 64, 3), filters=4, depth=2).save(fixed)
    argv = [str(photo), "--out", str(tmp_path / "o1"), "--model", str(fixed), "--tile-size", "32", "--overlap", "40", "--quiet"]
    code, _, stderr = run_cli(argv, capsys)
    assert code == 0, stderr
    assert (tmp_path / "o1" / "a.png").exists()
    argv = [str(photo), "--out", str(tmp_path / "o2"), "--model", str(fixed), "--overlap", "70", "--quiet"]
    code, _, stderr = run_cli(argv, capsys)
    assert code == 2 and "--tile-size/--overlap do not fit model" in stderr and "fixed 64x64 input" in stderr
    code, _, stderr = run_cli([str(photo), "--out", str(tmp_path / "o3"), "--model", str(fixed), "--overlap", "-1", "--quiet"], capsys)
    assert code == 2 and "--overlap must be >= 0. Received: -1" in stderr
    assert not (tmp_path / "o2").exists() or not any((tmp_path / "o2").iterdir())


def test_a_model_that_shrinks_images_is_refused_by_the_command(photo, tmp_path, capsys):
    _halving_model().save(tmp_path / "half.keras")
    code, _, stderr = run_cli([str(photo), "--out", str(tmp_path / "o"), "--model", str(tmp_path / "half.keras"), "--quiet"], capsys)
    assert code == 2 and "output must have its input's size" in stderr and "StridedSlice" not in stderr


def test_file_names_with_control_characters_stay_on_one_line(tiny_model, tmp_path, capsys):
    source = tmp_path / "in"
    source.mkdir()
    (source / "broken\nline\x1b[31m.png").write_bytes(b"not an image")
    code, _, stderr = run_cli([str(source), "--out", str(tmp_path / "out"), "--model", str(tiny_model), "--quiet"], capsys)
    assert code == 1
    errors = [line for line in stderr.splitlines() if line.startswith("kfreqgan-dehaze: error:")]
    assert len(errors) == 1 and "broken\\nline\\x1b[31m.png" in errors[0]
    assert "\x1b" not in stderr and len(stderr.strip().splitlines()) == 2  # the error and the summary
    assert printable("é 日本 ok") == "é 日本 ok"


def test_a_png_named_jpg_stays_lossless_png(tiny_model, tmp_path, capsys):
    source = tmp_path / "in"
    source.mkdir()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(source / "shot.jpg", format="PNG")
    out = tmp_path / "out"
    code, _, _ = run_cli([str(source), "--out", str(out), "--model", str(tiny_model), "--quiet"], capsys)
    assert code == 0
    with Image.open(out / "shot.jpg") as image:
        assert image.format == "PNG"


def test_inputs_that_are_not_images_or_lead_nowhere_are_named(tmp_path, capsys):
    os.symlink(tmp_path / "loop_b", tmp_path / "loop_a")
    os.symlink(tmp_path / "loop_a", tmp_path / "loop_b")
    code, _, stderr = run_cli([str(tmp_path / "loop_a"), "--out", str(tmp_path / "o1"), "--quiet"], capsys)
    assert code == 2 and "symlink to nothing (broken, or a loop of links)" in stderr
    Image.new("RGB", (4, 4)).save(tmp_path / "anim.gif")
    code, _, stderr = run_cli([str(tmp_path / "anim.gif"), "--out", str(tmp_path / "o2"), "--quiet"], capsys)
    assert code == 2 and "input is not an image kfreqgan reads and writes back" in stderr


def test_dpi_is_kept(tmp_path):
    pixels = np.full((8, 8, 3), 0.5, np.float32)
    for name in ("a.png", "a.jpg", "a.tif"):
        Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(tmp_path / name, dpi=(300, 300))
        _, info = image_files.read_image(tmp_path / name)
        assert info.dpi is not None and np.allclose(info.dpi, 300, atol=0.01)
        image_files.write_image(tmp_path / f"out_{name}", pixels, info)
        with Image.open(tmp_path / f"out_{name}") as image:
            assert np.allclose([float(v) for v in image.info["dpi"]], 300, atol=0.01)
    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(tmp_path / "none.png")
    assert image_files.read_image(tmp_path / "none.png")[1].dpi is None


def test_dpi_is_kept_in_a_16_bit_rgb_png(tmp_path):
    info = image_files.ImageInfo("RGB", bit_depth=16, dpi=(300.0, 300.0))
    image_files.write_image(tmp_path / "deep.png", np.full((8, 8, 3), 0.25, np.float32), info)
    pixels, read = image_files.read_image(tmp_path / "deep.png")
    assert read.bit_depth == 16 and np.allclose(read.dpi, 300, atol=0.01)
    np.testing.assert_allclose(pixels, 0.25, atol=1e-4)
