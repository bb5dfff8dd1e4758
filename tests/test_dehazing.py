"""Any-size dehazing: tiling, blending, the shipped dehazer, exported models."""

import os
import re
import tracemalloc

import keras
import numpy as np
import pytest

from kfreqgan import tiling
from kfreqgan.data import HELDOUT_PHOTOS
from kfreqgan.data import load_photo
from kfreqgan.dehazing import Dehazer
from kfreqgan.dehazing import dehaze
from kfreqgan.models import unet_generator


@pytest.fixture(scope="module")
def coffee():
    """A real held-out photo, cropped to an awkward size (not a multiple of 16)."""
    return load_photo("coffee")[:301, :437]


@pytest.fixture(scope="module")
def shipped():
    from kfreqgan import pretrained

    return pretrained.dehazer()


@pytest.fixture(scope="module")
def unet():
    """A v1-style dehazer (band-filtered U-Net, scattering head; seeded random
    weights): local context only, so `Dehazer` tiles it."""
    from kfreqgan.models import DEFAULT_BANDS

    keras.utils.set_random_seed(5)
    return unet_generator((None, None, 3), 8, 4, bands=DEFAULT_BANDS, head="scattering")


# --- tiling maths -------------------------------------------------------------


@pytest.mark.parametrize("length,tile,overlap", [(64, 64, 16), (100 * 16, 256, 64), (1000, 200, 40), (48, 16, 8)])
def test_tiles_start_on_the_grid_and_cover_the_axis(length, tile, overlap):
    starts = tiling.tile_starts(length, tile, tile - overlap, multiple=8)
    assert starts[0] == 0 and starts[-1] == length - tile
    assert all(start % 8 == 0 for start in starts)
    covered = np.zeros(length, bool)
    for start in starts:
        covered[start : start + tile] = True
    assert covered.all()
    # Neighbours share at least `overlap` pixels.
    assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:]))


def test_blend_weights_are_a_partition_of_unity_and_zero_at_inner_edges():
    grid = tiling.tile_grid(208, 336, 96, 32, multiple=16, margin=8)
    total = np.zeros((208, 336))
    for top, left, h, w, window in grid:
        assert window.min() >= 0 and window.max() <= 1
        total[top : top + h, left : left + w] += window
        # A side shared with a neighbour gets no weight in its outer 8 px
        # (the margin): there the tile lacked context.
        if top > 0:
            assert np.all(window[:8] == 0)
        if left + w < 336:
            assert np.all(window[:, -8:] == 0)
    assert total.min() > 0.99  # every pixel is covered with full weight ...
    blended = tiling.apply_tiled(lambda tiles: tiles * 0 + 0.5, np.zeros((208, 336, 1), np.float32), 96, 32, 16)
    np.testing.assert_allclose(blended, 0.5, atol=1e-6)  # ... and a constant blends to itself
    # Tiles of a non-square fixed-size model, as a tuple, list or array.
    for tile in ((64, 112), [64, 112], np.array([64, 112])):
        grid = tiling.tile_grid(208, 336, tile, 32, multiple=16, margin=8)
        assert {(h, w) for _, _, h, w, _ in grid} == {(64, 112)}
        total = np.zeros((208, 336))
        for top, left, h, w, window in grid:
            total[top : top + h, left : left + w] += window
        assert total.min() > 0.99


def test_tiling_rejects_bad_arguments(unet):
    with pytest.raises(ValueError, match="overlap"):
        tiling.tile_grid(64, 64, 32, 32, 16)
    with pytest.raises(ValueError, match="multiple of 16"):
        tiling.tile_grid(64, 64, 40, 16, 16)
    with pytest.raises(ValueError, match="margin"):
        tiling.tile_grid(64, 64, 48, 16, 16, margin=8)
    # Tiles smaller than the network's reach: defaults shrink to fit (tile-limited),
    # an explicit margin that cannot fit names the bound.
    small = Dehazer(unet, tile_size=96)
    assert small.overlap == 48 and small.overlap % 16 == 0 and 0 < 2 * small.margin < small.overlap
    with pytest.raises(ValueError, match=r"`margin` must be at most 39 pixels for tile_size=96\. Received: margin=96"):
        Dehazer(unet, tile_size=96, margin=96)


def test_receptive_radius_matches_what_a_crop_changes(unet):
    """Outside the measured radius, cropping the input no longer changes the output."""
    from kfreqgan.dehazing import receptive_radius

    radius = receptive_radius(unet)
    assert 24 <= radius < 256
    image = load_photo("astronaut")
    transmission = keras.Model(unet.inputs, unet.get_layer("transmission").output)
    whole = transmission(image[None])[0, ..., 0].numpy()
    crop = transmission(image[None, 96:352, 96:352])[0, ..., 0].numpy()
    difference = np.abs(crop - whole[96:352, 96:352])
    inner = slice(radius + 8, 256 - radius - 8)
    assert difference[inner, inner].max() < 5e-4  # the radius's threshold: gradients below 1e-4 of the peak
    assert difference.max() > 1e-2  # near the crop's edge it does change


# --- any size -----------------------------------------------------------------


@pytest.mark.parametrize("head", ["scattering", "residual"])
def test_size_free_generator_predicts_any_size_and_aspect(head):
    keras.utils.set_random_seed(1)
    model = unet_generator((None, None, 3), 4, 3, head=head)
    for shape in [(1, 37, 91, 3), (2, 64, 24, 3), (1, 9, 9, 3)]:
        outputs = model.predict(np.random.default_rng(0).random(shape, np.float32), verbose=0)
        assert outputs.shape == shape and np.all(np.isfinite(outputs))


def test_tiled_dehazing_equals_untiled_away_from_the_border(unet):
    """A v1-style U-Net dehazer on a hazed held-out photo: 4 tiles of 320 px vs one pass.

    Away from the photo's border (farther than the margin plus 32 px) the
    two agree to float32 round-off. Nearer, they differ because the
    untiled pass's band filters wrap around the whole photo (top row next to
    the bottom row) while a border tile's wrap around the tile.
    """
    from kfreqgan.data import haze

    clean = load_photo("astronaut")
    hazy = haze.add_haze(clean[None], haze.synthetic_depth(512, 512, (1, 1))[None], 1.0, 0.9)[0][0].numpy()
    untiled = np.clip(unet.predict(hazy[None], verbose=0)[0], 0, 1)
    dehazer = Dehazer(unet, tile_size=320)
    assert dehazer.margin >= 24  # the measured receptive radius, not a guess
    counts = []
    tiled = dehazer(hazy, progress=lambda done, total: counts.append(total))
    assert counts[-1] == 4 and tiled.shape == hazy.shape and tiled.dtype == np.float32
    border = dehazer.margin + 32
    difference = np.abs(tiled - untiled)
    assert difference[border:-border, border:-border].max() < 1e-4, difference[border:-border, border:-border].max()
    assert difference.mean() < 2e-3


def test_a_scattering_head_is_found_by_its_inversion_not_by_layer_names():
    """The Dehazer split a generator into transmission and airlight by the
    U-Net's layer names: a scattering model named otherwise was tiled as a
    black box (each tile its own airlight: tiled != untiled), and a model
    with those names but no InvertScattering was refused ("No such layer:
    output"). Now the split is `haze_model_parts`, as for the re-hazing loss."""
    from kfreqgan.dehazing import receptive_radius
    from kfreqgan.layers import InvertScattering
    from kfreqgan.models import coherent_dehazer

    keras.utils.set_random_seed(4)
    hazy = keras.Input((None, None, 3))
    t = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="t_head")(hazy)
    a = keras.layers.Dense(3, activation="sigmoid", name="a_head")(keras.layers.GlobalAveragePooling2D()(hazy))
    scattering = keras.Model(hazy, InvertScattering(name="invert")([hazy, t, keras.layers.Reshape((1, 1, 3))(a)]))
    x = keras.Input((None, None, 3))
    x_out = keras.layers.Conv2D(3, 1, activation="sigmoid", name="airlight")(keras.layers.Conv2D(3, 1, name="transmission")(x))
    named = keras.Model(x, x_out)
    # Dark on the left, bright on the right: each tile's own airlight differs.
    image = np.clip(np.linspace(0.05, 0.95, 112)[None, :, None] + np.random.default_rng(0).normal(0, 0.05, (80, 112, 3)), 0, 1)
    image = image.astype(np.float32)
    for model in (scattering, named):
        counts = []
        tiled = Dehazer(model, tile_size=32, overlap=16, margin=4)(image, progress=lambda done, total: counts.append(total))
        assert counts[-1] > 1
        np.testing.assert_allclose(tiled, np.clip(model.predict(image[None], verbose=0)[0], 0, 1), atol=1e-5)
    # A whole-image dehazer's transmission looks at the whole probe (the
    # clipped output's gradient was 0 at a saturated centre pixel).
    assert receptive_radius(coherent_dehazer(coarse_size=32, filters=4), probe=64) == 32


@pytest.mark.parametrize("after", ["rescaling", "relu_max_half", "relu_clip", "none"])
def test_only_a_model_whose_output_is_its_inversion_is_split(after):
    """The split re-forms the output from t and A with the inversion's
    formula: a layer after InvertScattering (here a rescaling, or a clip
    below 1) was left out of every tiled result. Such a model is tiled as
    a black box; the inversion itself, or a ReLU clip to [0, 1] of it, is
    still split. The airlight is a constant, so both tilings equal the
    untiled output."""
    from kfreqgan.layers import InvertScattering

    keras.utils.set_random_seed(7)
    hazy = keras.Input((None, None, 3))
    t = keras.layers.Conv2D(1, 1, activation="sigmoid")(hazy)
    pooled = keras.layers.GlobalAveragePooling2D()(hazy)
    a = keras.layers.Dense(3, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(0.7))(pooled)
    clean = InvertScattering()([hazy, t, keras.layers.Reshape((1, 1, 3))(a)])
    layers = {
        "rescaling": keras.layers.Rescaling(0.5, offset=0.25),
        "relu_max_half": keras.layers.ReLU(max_value=0.5),
        "relu_clip": keras.layers.ReLU(max_value=1.0),
        "none": None,
    }
    model = keras.Model(hazy, clean if layers[after] is None else layers[after](clean))
    image = np.random.default_rng(2).uniform(size=(40, 56, 3)).astype(np.float32)
    dehazer = Dehazer(model, tile_size=32, overlap=16, margin=2)
    assert dehazer.runner.scattering == (after in ("relu_clip", "none"))
    expected = np.clip(model.predict(image[None], verbose=0)[0], 0, 1)
    np.testing.assert_allclose(dehazer(image), expected, atol=1e-5)


def test_a_transmission_of_one_value_per_image_is_not_split():
    """A haze model with one t per image (1 x 1, which the inversion
    broadcasts) has no map to tile: the split refused to tile it ("must keep
    the tile size"); it is tiled as a black box, as before the split looked
    for InvertScattering in every model."""
    from kfreqgan.layers import InvertScattering

    keras.utils.set_random_seed(8)
    hazy = keras.Input((None, None, 3))
    pooled = keras.layers.GlobalAveragePooling2D(keepdims=True)(hazy)
    t = keras.layers.Dense(1, activation="sigmoid")(pooled)
    model = keras.Model(hazy, InvertScattering()([hazy, t, keras.layers.Dense(3, activation="sigmoid")(pooled)]))
    image = np.random.default_rng(3).uniform(size=(40, 56, 3)).astype(np.float32)
    dehazer = Dehazer(model, tile_size=32, overlap=16, margin=2)
    assert not dehazer.runner.scattering
    assert dehazer(image).shape == image.shape


def test_a_sequential_model_is_dehazed_as_a_black_box():
    """A Sequential generator has no haze model to split off: the lookup
    raised AttributeError ('no attribute _nodes_by_depth') from Dehazer and
    receptive_radius, which took it before they used haze_model_parts."""
    from kfreqgan.dehazing import receptive_radius

    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")])
    image = np.random.default_rng(1).uniform(size=(40, 56, 3)).astype(np.float32)
    dehazer = Dehazer(model, tile_size=32, overlap=16, margin=2)
    assert not dehazer.runner.scattering
    np.testing.assert_allclose(dehazer(image), model.predict(image[None], verbose=0)[0], atol=1e-5)
    assert receptive_radius(model, probe=16) == 1


def test_black_box_tiling_blends_without_seams(coffee):
    """A residual-head generator (no shared airlight): seams stay invisible."""
    keras.utils.set_random_seed(3)
    model = unet_generator((None, None, 3), 4, 3, head="residual")
    untiled = np.clip(model.predict(coffee[None], verbose=0)[0], 0, 1)
    tiled = Dehazer(model, tile_size=192)(coffee)
    assert np.abs(tiled - untiled)[16:-16, 16:-16].max() < 1e-3


@pytest.mark.parametrize("height, width", [(1, 1), (5, 7), (3, 1000)])
def test_uint8_in_uint8_out_and_tiny_images(shipped, height, width):
    rng = np.random.default_rng(height * width)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)  # smaller than one network cell
    result = dehaze(image, shipped)
    assert result.shape == image.shape and result.dtype == np.uint8
    as_float = dehaze(image.astype(np.float32) / 255, shipped)
    assert as_float.dtype == np.float32 and 0 <= as_float.min() and as_float.max() <= 1
    assert np.abs(as_float * 255 - result).max() <= 0.5 + 1e-3
    np.testing.assert_array_equal(dehaze(image, shipped), result)  # deterministic


def test_whole_image_model_runs_untiled_and_equals_predict(shipped, coffee, monkeypatch):
    """The shipped (whole-image) dehazer runs once on the whole photo: no tiles,
    no receptive radius measured, the same pixels as `model.predict`."""
    from kfreqgan import dehazing

    def no_probe(*args, **kwargs):
        raise AssertionError("receptive_radius was measured for a whole-image model")

    monkeypatch.setattr(dehazing, "receptive_radius", no_probe)
    assert dehazing.is_whole_image_model(shipped)
    dehazer = Dehazer(shipped, tile_size=128)  # tiling arguments do not apply
    assert dehazer.whole_image and dehazer.tile_size is None and dehazer.margin is None
    calls = []
    result = dehazer(coffee, progress=lambda done, total: calls.append((done, total)))
    expected = np.clip(shipped.predict(coffee[None], verbose=0)[0], 0, 1)
    assert calls == [(1, 1)] and result.shape == coffee.shape and result.dtype == np.float32
    np.testing.assert_allclose(result, expected, atol=1e-5)
    assert not dehazing.is_whole_image_model(unet_generator((None, None, 3), 4, 2, head="scattering"))


def test_a_size_free_saved_model_of_a_whole_image_model_runs_untiled(coffee, tmp_path):
    """Tiled, each tile of the SavedModel estimated its own airlight (the
    prior's haziest pixels of that tile) and coarse transmission; now it
    runs once, as its Keras model does. One exported at a fixed size, and a
    U-Net, are still tiled."""
    from kfreqgan.export.generator_export import export_generator
    from kfreqgan.models import coherent_dehazer
    from kfreqgan.models.loading import SavedModelGenerator

    keras.utils.set_random_seed(3)
    model = coherent_dehazer(coarse_size=32, filters=4, airlight_prior=True)
    export_generator(model, str(tmp_path), name="whole", formats=("saved_model",), verify=False)
    dehazer = Dehazer(str(tmp_path / "whole" / "1"), tile_size=128)
    assert dehazer.whole_image and dehazer.tile_size is None
    np.testing.assert_allclose(dehazer(coffee), np.clip(model(coffee[None]).numpy()[0], 0, 1), atol=1e-5)
    export_generator(model, str(tmp_path), name="fixed", formats=("saved_model",), image_size=(64, 64), verify=False)
    assert not Dehazer(str(tmp_path / "fixed" / "1")).whole_image
    keras.utils.set_random_seed(3)
    unet = unet_generator((None, None, 3), 4, 2, bands=None, head="scattering")
    export_generator(unet, str(tmp_path), name="unet", formats=("saved_model",), verify=False)
    assert not SavedModelGenerator(str(tmp_path / "unet" / "1")).whole_image


@pytest.mark.parametrize(
    "image,message",
    [
        (np.zeros((4, 4)), "shape"),
        (np.zeros((0, 4, 3), np.float32), r"^`image` has a zero-size dimension\. Received: shape=\(0, 4, 3\)$"),
        (np.zeros((4, 0, 3), np.uint8), r"^`image` has a zero-size dimension\. Received: shape=\(4, 0, 3\)$"),
        (np.zeros((4, 4, 0), np.float32), r"^`image` has a zero-size dimension\. Received: shape=\(4, 4, 0\)$"),
        (np.full((8, 8, 3), 2.0, np.float32), r"\[0, 1\]"),
        (np.full((8, 8, 3), np.nan, np.float32), r"must be a finite floating-point image in \[0, 1\]\. Received: 192 non-finite of 192 values"),
        (np.zeros((8, 8, 3), np.int32), "dtype"),
        (np.zeros((8, 8, 4), np.float32), "3-channel"),
    ],
)
def test_bad_images_get_clear_errors(shipped, image, message):
    with pytest.raises(ValueError, match=message):
        Dehazer(shipped)(image)


def test_memory_is_bounded_by_the_tile_for_a_4000x3000_photo():
    """The network sees one tile at a time; NumPy memory stays a few image copies."""
    seen = []

    class Runner:  # a stand-in network: records what it is given
        channels, fixed_size, multiple, scattering = 3, None, 16, False

        def run(self, batch):
            seen.append(batch.shape)
            return batch * 0.5

    image = np.full((3000, 4000, 3), 200, np.uint8)
    tracemalloc.start()
    result = Dehazer(Runner(), tile_size=512, overlap=64, margin=16)(image)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.shape == image.shape and np.all(result == 100)
    assert max(h * w for _, h, w, _ in seen) == 512 * 512 and len(seen) == 7 * 9
    float_image = 3000 * 4000 * 3 * 4
    assert peak < 5 * float_image, f"peak {peak / 2**20:.0f} MiB"


# --- the shipped dehazer --------------------------------------------------------


def test_shipped_dehazer_loads_offline_is_small_and_documented(shipped):
    from kfreqgan import pretrained

    assert os.path.getsize(pretrained.DEHAZER_PATH) <= 20 * 2**20
    card = pretrained.dehazer_card()
    # One training path: kfreqgan-train with a named config, then the packaging step.
    from kfreqgan.training import configs

    named = [re.match(r"kfreqgan-train --config (\S+) --out \S+", command) for command in card["commands"]]
    assert card["commands"] and all(named), card["commands"]
    assert all(configs.get_config(match.group(1))["generator_architecture"] == "coherent" for match in named)
    assert card["package_command"].startswith("python -m kfreqgan.training.package_dehazer ")
    assert card["architecture"]["builder"] == "coherent"
    assert shipped.count_params() == card["parameters"]
    assert card["float16_max_output_difference"] < 1e-2
    assert card["generator_steps"] > 0 and card["train_seconds"] > 0
    # Photo sources with their licences; held-out photos never trained on.
    sources = card["training_photos"]["catalogue"]
    assert sources and all(source["package"] and source["version"] and source["licence"] for source in sources)
    held = set(card["heldout_photos"]["never_trained_on"])
    assert set(HELDOUT_PHOTOS) <= held
    assert not held & ({source["key"] for source in sources} | set(card["training_photos"]["bundled"]["photos"]))
    scores = card["heldout_scores"]
    assert scores["command"].startswith("python bench/dehaze_quality.py")
    assert scores["candidate"]["all"]["psnr"] > scores["hazy_input"]["all"]["psnr"]
    assert card["haze"]["beta_range"] and card["haze"]["airlight_range"]  # kfreqgan-export calibrates with these


def test_float16_weights_round_trip_and_refuse_another_architecture(shipped, tmp_path):
    from kfreqgan import pretrained

    path = tmp_path / "weights.npz"
    pretrained.save_weights(shipped, path)
    again = pretrained.load_weights(pretrained.build_dehazer(pretrained.dehazer_card()["architecture"]), path)
    for a, b in zip(shipped.weights, again.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="does not hold this model's weights"):
        pretrained.load_weights(unet_generator((None, None, 3), 4, 2, head="scattering"), path)
    with pytest.raises(ValueError, match="Unknown dehazer builder 'unet'"):
        pretrained.build_dehazer({"builder": "unet", "arguments": {}})


def test_shipped_dehazer_clears_haze_on_a_held_out_photo(shipped):
    from kfreqgan.data import haze
    from kfreqgan.metrics import psnr

    clean = load_photo("astronaut")[::2, ::2]
    depth = haze.synthetic_depth(256, 256, (5, 5))
    hazy = haze.add_haze(clean[None], depth[None], 1.2, 0.85)[0][0].numpy()
    dehazed = dehaze(hazy, shipped)
    gain = float(psnr(clean[None], dehazed[None])[0] - psnr(clean[None], hazy[None])[0])
    assert gain > 3.0, gain


def test_copy_weights_by_name_moves_training_weights_to_the_size_free_build(photos_32):
    from kfreqgan.models import copy_weights_by_name

    keras.utils.set_random_seed(6)
    fixed = unet_generator((32, 32, 3), filters=4, depth=2)
    size_free = copy_weights_by_name(fixed, unet_generator((None, None, 3), filters=4, depth=2))
    np.testing.assert_allclose(size_free(photos_32[:2]).numpy(), fixed(photos_32[:2]).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match=r"^`source`'s layer 'stem' must have the weight shapes of `target`'s, .*Received: shapes=\[\(3, 3, 12, 4\), \(4,\)\]$"):
        copy_weights_by_name(fixed, unet_generator((None, None, 3), filters=8, depth=2))
    with pytest.raises(ValueError, match=r"^`source` must have a layer named 'down2' .*Received: source='unet_generator'$"):
        copy_weights_by_name(fixed, unet_generator((None, None, 3), filters=4, depth=3))
