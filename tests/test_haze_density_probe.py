"""bench/haze_density_probe.py: the global-density ceiling and the probe,
checked on haze made with a known exponent and against the model's own
output."""

import json
import os

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("bundled_photos_only")  # conftest.py


@pytest.fixture(scope="module")
def bench(load_bench):
    return load_bench("haze_density_probe")


@pytest.fixture(scope="module")
def quality(load_bench):
    return load_bench("dehaze_quality")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    from kfreqgan.models import coherent_dehazer

    keras.utils.set_random_seed(0)
    path = str(tmp_path_factory.mktemp("models") / "dehazer.keras")
    coherent_dehazer(coarse_size=32, filters=4).save(path)
    return path


def _hazy_scene(seed=0, size=48, depths=(0.2, 1.5)):
    """A clear scene with a black pixel in every 15-pixel window, its
    transmission from a depth ramp, and the hazy image (grey airlight 0.9)."""
    rng = np.random.default_rng(seed)
    clean = rng.uniform(0.2, 0.9, (size, size, 3))
    clean[::7, ::7, :] = 0.0
    depth = np.linspace(*depths, size)[:, None] * np.ones((1, size))
    transmission = np.exp(-1.2 * depth)
    airlight = np.full(3, 0.9)
    hazy = clean * transmission[..., None] + airlight * (1 - transmission[..., None])
    return clean, transmission, airlight, hazy


def test_the_curve_at_exponent_one_is_the_models_own_error(bench, quality, model_path):
    """The NumPy inversion at s = 1 reproduces the model's output: the
    ceiling is measured from the model as it is."""
    from kfreqgan.models.loading import load_generator
    from kfreqgan.models.scattering import scattering_view

    generator = load_generator(model_path)
    pairs = quality.synthetic_pairs(48, 0, return_parameters=True)[:3]
    rows = bench.image_rows(pairs, scattering_view(generator), 0.05)
    one = int(np.argmin(np.abs(bench.EXPONENTS - 1.0)))
    assert bench.EXPONENTS[one] == 1.0
    for row, (_, _, hazy, clean, _) in zip(rows, pairs):
        output = np.clip(generator(hazy[None], training=False).numpy()[0], 0, 1)
        np.testing.assert_allclose(bench.psnr(row["mse"][one]), quality.score(clean, output)[0], atol=2e-3)
        assert min(row["mse"]) <= row["mse"][one]
        assert set(row["statistics"]) >= {"log_t_mean", "dark_exponent", "airlight"}


def test_the_oracle_finds_the_exponent_the_haze_was_made_with(bench):
    """A map with the right shape and half the optical depth (t_model = t **
    0.5) needs s = 2: the curve's minimum is there and the output is exact."""
    clean, transmission, airlight, hazy = _hazy_scene()
    curve = bench.exponent_curve(hazy, clean, np.sqrt(transmission), airlight, 0.05)
    row = {"mse": curve.tolist()}
    np.testing.assert_allclose(np.exp(bench.best_log_exponent(row)), 2.0, rtol=0.02)
    assert min(curve) < 1e-4 < 1e-2 < curve[int(np.argmin(np.abs(bench.EXPONENTS - 1.0)))]


def test_the_dark_channel_exponent_reads_the_depth_scale_where_every_window_has_a_black_pixel(bench):
    """Exact where the haze is even over each window; where the depth
    changes within one, the nearest point bounds the window and the
    estimate comes out low, never high."""
    even = _hazy_scene(depths=(0.8, 0.8))
    ramp = _hazy_scene()
    for true_exponent in (0.7, 1.0, 1.6):
        clean, transmission, airlight, hazy = even
        statistics = bench.global_statistics(hazy, transmission ** (1.0 / true_exponent), airlight)
        np.testing.assert_allclose(np.exp(statistics["dark_exponent"]), true_exponent, rtol=1e-3)
        clean, transmission, airlight, hazy = ramp
        statistics = bench.global_statistics(hazy, transmission ** (1.0 / true_exponent), airlight)
        assert 0.5 * true_exponent < np.exp(statistics["dark_exponent"]) < true_exponent


def test_ridge_recovers_a_linear_law(bench):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3)) * [1.0, 10.0, 0.1]
    y = 2.0 * x[:, 0] - 0.1 * x[:, 1] + 5.0 * x[:, 2] + 0.5
    predict = bench.fit_ridge(x, y, penalty=1e-9)
    np.testing.assert_allclose(predict(x[:5]), y[:5], atol=1e-6)
    # A large penalty shrinks to the mean, not to zero.
    np.testing.assert_allclose(bench.fit_ridge(x, y, penalty=1e9)(x[:5]), np.full(5, y.mean()), atol=1e-3)


def test_paired_averages_a_photos_images_first(bench):
    rows = [{"photo": "a", "level": "thin"}, {"photo": "a", "level": "dense"}, {"photo": "b", "level": "thin"}]
    every = bench.paired(rows, [1.0, 3.0, -1.0])
    assert every == {"mean": 0.5, "standard_error": pytest.approx(1.5), "ahead": 1, "photos": 2}
    dense = bench.paired(rows, [1.0, 3.0, -1.0], "dense")
    assert (dense["mean"], dense["ahead"], dense["photos"]) == (3.0, 1, 1) and np.isnan(dense["standard_error"])
    thin = bench.paired(rows, [1.0, 3.0, -1.0], "thin")
    assert thin["mean"] == 0.0 and thin["photos"] == 2


def test_repeatability_correlates_a_photos_draws(bench):
    exponents = bench.EXPONENTS
    rows = []
    for seed, shift in ((0, 0), (1, 0)):
        for index, photo in enumerate("abcd"):
            curve = np.abs(np.arange(len(exponents)) - (10 + 5 * index + shift)).astype(float)
            rows.append({"photo": photo, "level": "its", "seed": seed, "mse": curve.tolist()})
    assert bench.repeatability(rows, [0, 1]) == {"its": pytest.approx(1.0)}
    assert bench.repeatability(rows, [0]) == {}


def test_the_program_writes_its_record(bench, model_path, tmp_path, capsys):
    out = tmp_path / "out"
    assert bench.main(["--model", model_path, "--max-side", "48", "--seeds", "2", "--out", str(out)]) == 0
    record = json.loads((out / "results.json").read_text())
    assert set(record["paired"]) == {"oracle s, model A", "oracle s, true A", "probe s (fitted on training photos)"}
    oracle = record["paired"]["oracle s, model A"]
    assert set(oracle) == {"thin", "its", "dense", "all"} and oracle["all"]["mean"] >= 0
    assert record["seeds"] == [0, 1] and set(record["repeatability"]) == {"thin", "its", "dense"}
    row = record["rows"][0]
    assert {"photo", "level", "seed", "psnr", "best_log_exponent", "probe_log_exponent", "statistics"} <= set(row)
    printed = capsys.readouterr().out
    assert "oracle s, true A - model" in printed and "R^2" in printed


def test_a_model_without_a_haze_model_is_named_before_any_image_is_made(bench, tmp_path, capsys):
    from kfreqgan.models import unet_generator

    path = str(tmp_path / "unet.keras")
    unet_generator((32, 32, 3), 4, 2, bands=None, head="residual").save(path)
    out = tmp_path / "out"
    assert bench.main(["--model", path, "--out", str(out)]) == 2
    assert "InvertScattering" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--release", "99"], "`release` must be one of the photo catalogue's releases"),
        (["--seeds", "0"], "argument --seeds"),
        (["--training-seed", "-1"], "argument --training-seed"),
    ],
)
def test_the_program_refuses_bad_arguments_before_any_work(bench, model_path, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        bench.main(["--model", model_path, "--out", str(out), *extra])
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not out.exists()


def test_the_program_never_writes_over_its_model(bench, model_path, tmp_path, capsys):
    before = open(model_path, "rb").read()
    for out in (model_path, os.path.join(os.path.dirname(model_path), ".", os.path.basename(model_path))):
        with pytest.raises(SystemExit) as stop:
            bench.main(["--model", model_path, "--out", out, "--max-side", "48"])
        assert stop.value.code == 2 and "--out exists and is not a folder" in capsys.readouterr().err
    assert open(model_path, "rb").read() == before
