"""bench/dehaze_parameters.py: a dehazer's transmission and airlight against
the haze each held-out pair was made with, checked against a direct
recomputation, and the paired per-photo differences against hand-made rows."""

import json

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("bundled_photos_only")  # conftest.py


@pytest.fixture(scope="module")
def bench(load_bench):
    return load_bench("dehaze_parameters")


@pytest.fixture(scope="module")
def quality(load_bench):
    return load_bench("dehaze_quality")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from kfreqgan.models import coherent_dehazer

    folder = tmp_path_factory.mktemp("models")
    paths = []
    for seed, grey in ((0, True), (1, False)):
        keras.utils.set_random_seed(seed)
        path = str(folder / f"dehazer{seed}.keras")
        coherent_dehazer(coarse_size=32, filters=4, grey_airlight=grey).save(path)
        paths.append(path)
    return paths


def test_the_truth_it_is_given_remakes_each_hazy_image(quality):
    """synthetic_pairs(return_parameters=True) hands over the haze each
    image was made with: clear t + A (1 - t), clipped, is the hazy image."""
    pairs = quality.synthetic_pairs(48, 3, return_parameters=True)
    assert len(pairs) % 3 == 0 and {level for _, level, *_ in pairs} == {"thin", "its", "dense"}
    for name, level, hazy, clean, truth in pairs:
        assert truth["transmission"].shape == hazy.shape[:2] + (1,) and truth["airlight"].shape in ((1,), (3,))
        remade = np.clip(clean * truth["transmission"] + truth["airlight"] * (1 - truth["transmission"]), 0, 1)
        np.testing.assert_allclose(remade, hazy, atol=2e-6)


def test_rows_equal_a_direct_recomputation(bench, quality, models):
    from kfreqgan.models.coherent_dehazer import transmission_model
    from kfreqgan.models.loading import load_generator
    from kfreqgan.models.scattering import scattering_view

    pairs = quality.synthetic_pairs(48, 0, return_parameters=True)[:6]
    generators = [load_generator(path) for path in models]
    rows = bench.image_rows(pairs, [scattering_view(g) for g in generators], quality.score)
    assert len(rows) == 2 * len(pairs)
    for index, row in enumerate(rows):
        name, level, hazy, clean, truth = pairs[index // 2]
        generator = generators[row["model"]]
        output = np.clip(generator(hazy[None], training=False).numpy()[0], 0, 1)
        t, a = (x.numpy() for x in transmission_model(generator)(hazy[None], training=False))
        assert (row["photo"], row["level"]) == (name, level)
        psnr, ssim = quality.score(clean, output)[:2]
        np.testing.assert_allclose([row["psnr"], row["ssim"]], [psnr, ssim], rtol=1e-4)
        np.testing.assert_allclose(row["t_bias"], np.mean(t[0] - truth["transmission"]), atol=1e-5)
        np.testing.assert_allclose(row["t_abs"], np.mean(np.abs(t[0] - truth["transmission"])), atol=1e-5)
        np.testing.assert_allclose([row["airlight"], row["airlight_true"]], [np.mean(a), np.mean(truth["airlight"])], atol=1e-6)


def _rows(model, photo, values, level="thin"):
    return [{"model": model, "photo": photo, "level": level, "psnr": p, "ssim": s} for p, s in values]


def test_paired_by_photo_averages_a_photos_draws_first(bench):
    rows = (
        _rows(0, "a", [(20.0, 0.8), (22.0, 0.9)])
        + _rows(1, "a", [(21.0, 0.8), (21.0, 0.9)])  # a: +0.0 dB
        + _rows(0, "b", [(18.0, 0.7)])
        + _rows(1, "b", [(19.0, 0.75)])  # b: +1.0 dB
        + _rows(0, "c", [(25.0, 0.9)], level="dense")
        + _rows(1, "c", [(24.0, 0.8)], level="dense")  # c: -1.0 dB
    )
    thin = bench.paired_by_photo(rows, 1, 0, "thin")
    assert thin["psnr"] == {"mean": 0.5, "standard_error": pytest.approx(0.5), "ahead": 1, "photos": 2}
    np.testing.assert_allclose(thin["ssim"]["mean"], 0.025)
    every = bench.paired_by_photo(rows, 1, 0)
    assert every["psnr"]["mean"] == 0.0 and every["psnr"]["photos"] == 3 and every["psnr"]["ahead"] == 1
    assert bench.paired_by_photo(rows, 0, 0)["psnr"]["mean"] == 0.0


def test_parameter_table_finds_an_airlight_head_that_regresses_to_the_middle(bench):
    truth = np.linspace(0.6, 1.0, 9)
    rows = [
        {"model": 0, "photo": str(i), "level": "its", "psnr": 20.0, "ssim": 0.9, "airlight_true": a,
         "airlight": 0.4 + 0.5 * a, "t_bias": 0.1, "t_abs": 0.2}
        for i, a in enumerate(truth)
    ]
    table = bench.parameter_table(rows, 0, ["thin", "its", "dense"])
    assert set(table) == {"its", "airlight_line"}
    line = table["airlight_line"]
    np.testing.assert_allclose([line["intercept"], line["slope"], line["correlation"]], [0.4, 0.5, 1.0], atol=1e-9)
    np.testing.assert_allclose(table["its"]["airlight_bias"], np.mean(0.4 - 0.5 * truth))


def test_the_program_pairs_two_models_and_writes_its_record(bench, models, tmp_path, capsys):
    out = tmp_path / "out"
    status = bench.main(["--model", models[0], "--model", models[1], "--max-side", "48", "--baseline", "2", "--out", str(out)])
    assert status == 0
    record = json.loads((out / "results.json").read_text())
    assert record["baseline"] == models[1] and list(record["paired"]) == [models[0]]
    assert set(record["paired"][models[0]]) == {"thin", "its", "dense", "all"}
    rows = record["rows"]
    assert {row["model"] for row in rows} == {0, 1} and len(rows) % 6 == 0
    expected = bench.paired_by_photo(rows, 0, 1)
    assert record["paired"][models[0]]["all"] == json.loads(json.dumps(expected))
    printed = capsys.readouterr().out
    assert "airlight estimate =" in printed and "per photo" in printed


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--baseline", "3"], "--baseline must name one of the 2 --model"),
        (["--seeds", "0"], "--seeds"),
        (["--release", "99"], "release"),
        # The haze seeds are non-negative: -1 failed after the photos loaded,
        # in NumPy's words ("expected non-negative integer").
        (["--seed", "-1"], "argument --seed: must be an integer >= 0. Received: '-1'"),
    ],
)
def test_the_program_refuses_bad_arguments_before_any_work(bench, models, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        bench.main(["--model", models[0], "--model", models[1], "--out", str(out), *extra])
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not out.exists()


def test_a_model_without_a_haze_model_is_named_before_any_image_is_made(bench, models, tmp_path, capsys):
    from kfreqgan.models import unet_generator

    path = str(tmp_path / "unet.keras")
    unet_generator((32, 32, 3), 4, 2, bands=None, head="residual").save(path)
    out = tmp_path / "out"
    assert bench.main(["--model", models[0], "--model", path, "--out", str(out)]) == 2
    assert "InvertScattering" in capsys.readouterr().err
    assert not out.exists()


def test_a_photo_too_small_for_ssim_names_max_side_before_any_model_runs(bench, models, tmp_path, capsys, monkeypatch):
    """A wide photo at a small --max-side (a catalogue photo is 9x16 at
    16) was refused by SSIM on its first scored image, after the models had
    run, in words that named no argument."""
    from kfreqgan.data import whole_photos

    monkeypatch.setattr(whole_photos, "load_photos", lambda *args: (["wide"], [np.full((9, 16, 3), 0.5, np.float32)]))
    monkeypatch.setattr(keras.Model, "__call__", lambda *args, **kwargs: pytest.fail("a model ran"))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        bench.main(["--model", models[0], "--max-side", "16", "--out", str(out)])
    assert stop.value.code == 2
    assert "--max-side 16 shrinks the photo 'wide' to 9x16 pixels; SSIM needs at least 11" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("kind, takes", [("fixed", "32x32x3"), ("grey", "anyxanyx1")])
def test_a_model_that_cannot_take_the_photos_is_named_before_any_image_is_made(bench, models, tmp_path, capsys, kind, takes):
    """A fixed-size scattering U-Net, or a grey dehazer, failed on the first
    photo in Keras's words, after the photos were made."""
    from kfreqgan.models import coherent_dehazer
    from kfreqgan.models import unet_generator

    path = str(tmp_path / f"{kind}.keras")
    if kind == "fixed":
        unet_generator((32, 32, 3), 4, 2, bands=None, head="scattering").save(path)
    else:
        coherent_dehazer(coarse_size=32, filters=4, channels=1).save(path)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        bench.main(["--model", models[0], "--model", path, "--max-side", "48", "--out", str(out)])
    assert stop.value.code == 2
    assert f"--model must take RGB images of any size (the held-out photos come at their own sizes); {path} takes {takes}." in capsys.readouterr().err
    assert not out.exists()
