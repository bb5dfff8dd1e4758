"""bench/dehaze_quality.py on a tiny folder of pairs: every contender scored,
the numbers are the ones the metrics give, the montage and record written."""

import dataclasses
import importlib.util
import json
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

BENCH = os.path.join(os.path.dirname(__file__), "..", "bench", "dehaze_quality.py")


def _load_bench():
    spec = importlib.util.spec_from_file_location("dehaze_quality", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pairs_folder_with_a_whole_image_candidate(tmp_path):
    from kfreqgan.data import make_hazy_pairs
    from kfreqgan.data import photo_patches
    from kfreqgan.models import coherent_dehazer

    bench = _load_bench()
    hazy_dir, clear_dir, out = tmp_path / "hazy", tmp_path / "clear", tmp_path / "out"
    hazy_dir.mkdir()
    clear_dir.mkdir()
    clean = photo_patches(["astronaut"], 48, 2, seed=0)
    hazy, _ = make_hazy_pairs(clean, 1)
    for index in range(2):
        for folder, image, name in ((clear_dir, clean[index], f"{index}.png"), (hazy_dir, hazy[index], f"{index}_0.8_0.1.png")):
            tf.io.write_file(str(folder / name), tf.io.encode_png(tf.cast(tf.round(image * 255), tf.uint8)))
    keras.utils.set_random_seed(0)
    model_path = str(tmp_path / "v2.keras")
    coherent_dehazer(coarse_size=32, filters=4).save(model_path)

    assert bench.main(["--pairs", str(hazy_dir), str(clear_dir), "--model", model_path, "--out", str(out)]) == 0
    record = json.load(open(out / "results.json"))
    assert record["pairs"] == 2
    methods = ["hazy input", "DCP", "DCP + guided filter", "kfreqgan shipped", "candidate"]
    assert list(record["summary"]) == methods
    for method in methods:
        assert record["summary"][method]["real"]["count"] == 2
        assert record["summary"][method]["seconds_per_megapixel"] >= 0
    # The hazy input's score is the metric of the files as read back.
    from kfreqgan.data import load_image

    expected = np.mean(
        [
            float(tf.image.psnr(load_image(str(clear_dir / f"{i}.png")), load_image(str(hazy_dir / f"{i}_0.8_0.1.png")), 1.0))
            for i in range(2)
        ]
    )
    np.testing.assert_allclose(record["summary"]["hazy input"]["all"]["psnr"], expected, rtol=1e-5)
    montage = tf.io.decode_png(tf.io.read_file(str(out / "montage.png"))).numpy()
    assert montage.shape[0] > 100 and montage.shape[1] > 5 * 100  # 2 rows; 5 columns


def test_training_photos_are_the_seen_scenes_and_never_the_held_out_ones():
    """`--training-photos` scores the same haze on the photos dehaze-v3 trains
    on (a model's generalisation gap is the difference from the default set):
    no photo is in both sets, and every seen photo is one the config trains on."""
    from kfreqgan.data import photo_sources
    from kfreqgan.training import configs

    bench = _load_bench()
    seen = bench.synthetic_pairs(48, 0, training_photos=True)
    held_out = bench.synthetic_pairs(48, 0)
    seen_names = {name for name, *_ in seen}
    assert seen_names and not seen_names & {name for name, *_ in held_out}
    try:
        catalogue = {photo.key for photo in photo_sources.split_photos(photo_sources.installed_photos())["train"]}
    except FileNotFoundError:  # the wallpaper packages are not installed: bundled photos only
        catalogue = set()
    bundled = {f"bundled/{name}" for name in configs.get_config("dehaze-v2")["train_photos"]}
    assert bundled <= seen_names <= catalogue | bundled
    assert {level for _, level, *_ in seen} == set(bench.LEVELS)
    # dehaze-v6 chooses its epoch on photos of the train split it never trains on: not training photos.
    validation = set(configs.get_config("dehaze-v6")["validation_photos"])
    assert not seen_names & validation
    if catalogue & validation:
        assert seen_names == (catalogue - validation) | bundled


def test_training_photos_cannot_go_with_a_folder_of_pairs_or_the_airlight_check(tmp_path, capsys):
    import pytest

    bench = _load_bench()
    for extra in (["--pairs", str(tmp_path), str(tmp_path)], ["--airlight"]):
        with pytest.raises(SystemExit) as stop:
            bench.main([*extra, "--training-photos"])
        assert stop.value.code == 2
        assert "--training-photos" in capsys.readouterr().err


def test_the_outputs_never_land_on_the_pairs_or_the_model(tmp_path, capsys):
    """--out that is a pairs folder (by another spelling) or inside one, or a
    --model file named like an output in --out, is refused before anything
    is read or written; the user's files are untouched."""
    import pytest

    bench = _load_bench()
    hazy_dir, clear_dir = tmp_path / "hazy", tmp_path / "clear"
    hazy_dir.mkdir()
    clear_dir.mkdir()
    (clear_dir / "montage.png").write_bytes(b"the user's own file")
    model = tmp_path / "results.json"
    model.write_bytes(b"not really a model")
    cases = [
        ["--pairs", str(hazy_dir), str(clear_dir), "--out", str(hazy_dir / ".." / "clear")],
        ["--pairs", str(hazy_dir), str(clear_dir), "--out", str(hazy_dir / "report")],
        ["--model", str(model), "--out", str(tmp_path)],
    ]
    for argv in cases:
        with pytest.raises(SystemExit) as stop:
            bench.main(argv)
        assert stop.value.code == 2
        assert "--out" in capsys.readouterr().err
    assert (clear_dir / "montage.png").read_bytes() == b"the user's own file"
    assert model.read_bytes() == b"not really a model"
    assert not (hazy_dir / "report").exists()


def test_real_haze_photos_are_shown_and_measured_without_ground_truth(tmp_path, monkeypatch, capsys):
    """--real-haze: every installed real hazy photo gets a montage row
    (hazy / DCP + guided filter / shipped / candidate) and the rough
    indicators, computed as they say (mean dark channel, share clipped,
    flat-region wander)."""
    import pytest

    from kfreqgan.dark_channel_prior import dark_channel
    from kfreqgan.data import photo_patches
    from kfreqgan.data import photo_sources

    bench = _load_bench()
    photos = photo_patches(["coffee", "astronaut"], 40, 1, seed=0)
    files = []
    for index, photo in enumerate(photo_sources.REAL_HAZE[:2]):
        path = tmp_path / f"{index}.png"
        tf.io.write_file(str(path), tf.io.encode_png(tf.cast(tf.round(photos[index] * 255), tf.uint8)))
        files.append(dataclasses.replace(photo, path=str(path), member=None))
    monkeypatch.setattr(photo_sources, "real_haze_photos", lambda: files)
    darker = lambda image: np.clip(image * 1.5 - 0.25, 0.0, 1.0)  # clips some pixels on purpose
    methods = {"hazy input": lambda image: image, "DCP + guided filter": darker, "kfreqgan shipped": darker, "candidate": darker}
    rows, table = bench.real_haze(methods, max_side=40)
    assert len(rows) == 2 and all(len(row) == 4 for row in rows)
    images = [(np.round(np.asarray(photos[i]) * 255) / 255).astype(np.float32) for i in range(2)]
    expected_dark = np.mean([dark_channel(darker(image)).mean() for image in images])
    expected_clipped = np.mean([np.mean((darker(image) <= 0) | (darker(image) >= 1)) for image in images])
    assert table["candidate"]["dark_channel"] == pytest.approx(expected_dark, abs=1e-5)
    assert table["candidate"]["clipped"] == pytest.approx(expected_clipped, abs=1e-6) and expected_clipped > 0
    assert table["hazy input"]["clipped"] < table["candidate"]["clipped"]
    expected_wander = np.mean([bench.flat_region_wander(image, darker(image)) for image in images])
    assert table["candidate"]["flat_wander"] == pytest.approx(expected_wander, abs=1e-6)
    assert table["candidate"]["photos"] == [photo.key for photo in files]

    monkeypatch.setattr(photo_sources, "real_haze_photos", lambda: [])
    with pytest.raises(FileNotFoundError, match="make dehazer-data"):
        bench.real_haze(methods, max_side=40)
    for extra in (["--pairs", "a", "b"], ["--training-photos"], ["--release", "1"], ["--airlight"]):
        with pytest.raises(SystemExit):
            bench.main(["--real-haze", *extra, "--out", str(tmp_path / "out")])
        assert "--real-haze is a set of its own" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_real_haze_photos_are_never_in_the_catalogue(tmp_path):
    from kfreqgan.data import photo_sources

    keys = {photo.key for photo in photo_sources.CATALOGUE}
    assert len(photo_sources.REAL_HAZE) >= 8 and not keys & {photo.key for photo in photo_sources.REAL_HAZE}
    assert photo_sources.real_haze_photos(root=str(tmp_path)) == []
    plasma = photo_sources.REAL_HAZE[0]
    path = tmp_path / plasma.path.lstrip("/")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    assert [photo.key for photo in photo_sources.real_haze_photos(root=str(tmp_path))] == [plasma.key]


def test_the_paired_difference_is_taken_image_by_image():
    import pytest

    bench = _load_bench()
    shipped = [{"image": str(i), "level": "thin", "psnr": p, "ssim": 0.5} for i, p in enumerate([10.0, 30.0, 20.0, 25.0])]
    candidate = [dict(e, psnr=e["psnr"] + d, ssim=0.6) for e, d in zip(shipped, [1.0, -0.5, 2.0, 0.5])]
    paired = bench.paired_difference({"kfreqgan shipped": shipped, "candidate": candidate})
    differences = np.array([1.0, -0.5, 2.0, 0.5])
    assert paired["psnr"] == pytest.approx(differences.mean())
    assert paired["psnr_standard_error"] == pytest.approx(differences.std(ddof=1) / 2.0)
    assert paired["ssim"] == pytest.approx(0.1) and paired["ahead"] == 3 and paired["images"] == 4
    assert bench.paired_difference({"kfreqgan shipped": shipped}) is None


def test_more_seeds_draw_more_haze_on_the_same_photos(tmp_path, capsys):
    import pytest

    bench = _load_bench()
    one = bench.synthetic_pairs(32, 0)
    again = bench.synthetic_pairs(32, 1)
    assert [p[0] for p in one] == [p[0] for p in again]
    assert not np.allclose(one[0][2], again[0][2])
    for argv in (["--seeds", "0"], ["--seeds", "2", "--pairs", "a", "b"], ["--real-haze", "--seeds", "2"], ["--seed", "-1"]):
        with pytest.raises(SystemExit):
            bench.main([*argv, "--out", str(tmp_path / "out")])
        assert capsys.readouterr().err.strip()


def test_flat_region_wander_sees_blotches_not_an_even_stretch():
    """In a flat foggy region, an even contrast stretch of the photo (what
    an even transmission does) wanders 0; a dark blotch does not; textured
    regions are not counted."""
    import pytest

    bench = _load_bench()
    rows, cols = np.mgrid[0:96, 0:128]
    fog = (0.75 + 0.1 * rows / 96.0)[..., None] * np.ones(3)  # a smooth fog gradient
    texture = np.random.default_rng(0).random((96, 128, 3))
    hazy = np.where((rows < 48)[..., None], fog, 0.3 + 0.4 * texture).astype(np.float32)
    stretched = np.clip(1.6 * hazy - 0.5, 0.0, 1.0)
    assert bench.flat_region_wander(hazy, hazy) == pytest.approx(0.0, abs=1e-9)
    assert bench.flat_region_wander(hazy, stretched) == pytest.approx(0.0, abs=1e-6)
    blotched = stretched.copy()
    blotched[5:30, 20:60] -= 0.2  # a dark patch in the fog
    assert bench.flat_region_wander(hazy, blotched) > 0.05
    rough = stretched.copy()
    rough[48:] = np.random.default_rng(1).random((48, 128, 3))  # anything goes where the photo is textured
    assert bench.flat_region_wander(hazy, rough) == pytest.approx(0.0, abs=1e-6)
    assert bench.flat_region_wander(texture.astype(np.float32), texture) == 0.0  # nothing flat: 0


def _write_pairs(root, clear, hazy):
    """clear/ and hazy/ under root from {file name: float (H, W, 3) image}."""
    folders = []
    for label, files in (("hazy", hazy), ("clear", clear)):
        folder = root / label
        folder.mkdir(parents=True)
        for name, image in files.items():
            tf.io.write_file(str(folder / name), tf.io.encode_png(tf.cast(tf.round(np.asarray(image) * 255), tf.uint8)))
        folders.append(str(folder))
    return folders


def test_bad_pair_folders_and_arguments_are_one_line_errors(tmp_path, capsys):
    """Every mistake a user can make with --pairs ends in one line on stderr
    (`dehaze_quality.py: error: ...`, no traceback) and exit status 2, before
    any model runs, and nothing is written."""
    from kfreqgan.data import photo_patches

    bench = _load_bench()
    image = np.asarray(photo_patches(["coffee"], 16, 1, seed=0)[0])
    ok = _write_pairs(tmp_path / "ok", {"0001.png": image}, {"0001_1.png": image})
    cases = {
        "no clear partner": (_write_pairs(tmp_path / "mis", {"0001.png": image}, {"0002_1.png": image}), [], r"0002_1\.png' has no clear partner"),
        "size": (_write_pairs(tmp_path / "size", {"0001.png": image}, {"0001_1.png": image[:14]}), [], r"shape=\(14, 16, 3\) and .*shape=\(16, 16, 3\)"),
        "tiny": (_write_pairs(tmp_path / "tiny", {"0001.png": image[:9, :12]}, {"0001_1.png": image[:9, :12]}), [], r"0001_1\.png' is 9x12 pixels; SSIM needs at least 11"),
        "same folder": ([ok[0], ok[0]], [], "the same folder"),
        "missing folder": ([ok[0], str(tmp_path / "nowhere")], [], "`clear_dir` does not exist"),
        # The model is checked before the pairs are read: the size mismatch is never reached.
        "missing model": (_write_pairs(tmp_path / "size2", {"0001.png": image}, {"0001_1.png": image[:14]}), ["--model", str(tmp_path / "none.keras")], "Model file not found.*none.keras"),
        "limit 0": (ok, ["--limit", "0"], "--limit: must be an integer >= 1"),
        "limit -1": (ok, ["--limit", "-1"], "--limit: must be an integer >= 1"),
    }
    stray = _write_pairs(tmp_path / "stray", {"0001.png": image}, {"0001_1.png": image})
    (tmp_path / "stray" / "hazy" / "notes.txt").write_text("beta 0.8")
    cases["stray file"] = (stray, [], r"not an image: '.*notes\.txt'")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases["empty folder"] = ([str(empty), ok[1]], [], "`hazy_dir` contains no images")
    for case, (pairs, extra, message) in cases.items():
        out = tmp_path / "out"
        try:
            status = bench.main(["--pairs", *pairs, *extra, "--out", str(out)])
        except SystemExit as stop:  # argparse's usage errors
            status = stop.code
        err = capsys.readouterr().err
        assert status == 2, case
        assert err.startswith("dehaze_quality.py: error: ") and err.count("\n") == 1 and "Traceback" not in err, (case, err)
        assert re.search(message, err), (case, err)
        assert not out.exists(), case


def test_a_clear_border_is_cropped_and_a_perfect_pair_gives_strict_json(tmp_path, capsys):
    """SOTS-indoor: a clear image with a border around its hazy one is
    centre-cropped, and the output says how many were. A hazy image equal to
    its clear one (PSNR infinite) leaves results.json strict JSON: its PSNR
    is null, left out of the means and counted."""
    from kfreqgan.data import load_image
    from kfreqgan.data import make_hazy_pairs
    from kfreqgan.data import photo_patches

    bench = _load_bench()
    clean = np.asarray(photo_patches(["astronaut", "coffee"], 40, 1, seed=0))
    hazy, _ = make_hazy_pairs(clean[:, 4:-4, 4:-4], 1)
    hazy_dir, clear_dir = _write_pairs(
        tmp_path / "pairs",
        clear={"0001.png": clean[0], "0002.png": clean[1, 4:-4, 4:-4]},
        hazy={"0001_1.png": hazy[0], "0002_1.png": clean[1, 4:-4, 4:-4]},
    )
    out = tmp_path / "out"
    assert bench.main(["--pairs", hazy_dir, clear_dir, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 of 2 clear images were larger than their hazy image by a border" in printed
    assert "1 outputs equal their clear image exactly (PSNR infinite)" in printed

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    record = json.loads((out / "results.json").read_text(), parse_constant=refuse)
    assert record["clear_border_cropped"] == 1
    hazy_input = {entry["image"]: entry for entry in record["per_image"]["hazy input"]}
    assert hazy_input["0002_1.png"]["psnr"] is None and hazy_input["0002_1.png"]["ssim"] == 1.0
    # The one finite PSNR is the hazy file against the clear file's centre.
    expected = float(tf.image.psnr(load_image(str(tmp_path / "pairs" / "clear" / "0001.png"))[4:-4, 4:-4], load_image(f"{hazy_dir}/0001_1.png"), 1.0))
    assert hazy_input["0001_1.png"]["psnr"] == pytest.approx(expected, rel=1e-5)
    summary = record["summary"]["hazy input"]["all"]
    assert summary["psnr"] == pytest.approx(expected, rel=1e-5) and summary["psnr_infinite"] == 1 and summary["count"] == 2
    assert record["summary"]["kfreqgan shipped"]["all"]["psnr_infinite"] == 0


def test_strict_json_writes_null_for_every_non_finite_number():
    from kfreqgan.analysis.spectrum_cli import strict_json  # the one pass the bench, the spectrum report and training use

    value = {"a": [float("inf"), np.float32("nan"), 1.5, np.float64(2.0)], "b": (float("-inf"), 3), "c": "text"}
    assert strict_json(value) == {"a": [None, None, 1.5, 2.0], "b": [None, 3], "c": "text"}
    json.dumps(strict_json(value), allow_nan=False)


def test_a_photo_too_small_for_ssim_names_max_side_before_any_method_runs(tmp_path, capsys, monkeypatch):
    """A wide photo at a small --max-side (a catalogue photo is 9x16 at 16)
    was refused by SSIM on its first scored image, after every method had
    run on it, in words that named no argument."""
    from kfreqgan.data import whole_photos

    bench = _load_bench()
    monkeypatch.setattr(whole_photos, "load_photos", lambda *args: (["wide"], [np.full((9, 16, 3), 0.5, np.float32)]))
    monkeypatch.setattr(bench, "contenders", lambda *args: pytest.fail("a method was set up"))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        bench.main(["--max-side", "16", "--out", str(out)])
    assert stop.value.code == 2
    assert "--max-side 16 shrinks the photo 'wide' to 9x16 pixels; SSIM needs at least 11" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("failure", ["unserialisable value", "serialiser raises"])
def test_an_error_while_writing_results_keeps_the_earlier_results_json(failure, tmp_path, monkeypatch):
    """results.json (of this bench and of bench/dehaze_parameters.py, which
    writes through `write_results`) was `open(..., "w")`: an error while
    serialising left an empty or half-written file where an earlier run's
    complete one stood."""
    from kfreqgan.analysis import spectrum_cli

    bench = _load_bench()
    bench.write_results(str(tmp_path), {"rows": [1.5, float("nan")]})
    earlier = (tmp_path / "results.json").read_text()
    record = {"rows": [2.5], "tables": {}}
    if failure == "unserialisable value":
        record["tables"]["model"] = object()  # json.dump had written '{"rows": [2.5], "tables": {"model": '
    else:

        def serialiser_fails(value):
            raise RuntimeError("serialiser fails")

        monkeypatch.setattr(spectrum_cli, "strict_json", serialiser_fails)
    with pytest.raises((TypeError, RuntimeError)):
        bench.write_results(str(tmp_path), record)
    assert (tmp_path / "results.json").read_text() == earlier
    assert json.loads(earlier) == {"rows": [1.5, None]}
    assert sorted(os.listdir(tmp_path)) == ["results.json"]


def test_a_failed_montage_write_keeps_the_earlier_montage(tmp_path, monkeypatch):
    """montage.png was `tf.io.write_file` onto the target: a write that
    failed partway left a truncated PNG in place of an earlier run's."""
    bench = _load_bench()
    path = str(tmp_path / "montage.png")
    image = np.full((8, 8, 3), 0.5, np.float32)
    bench.montage([[image]], path, height=8)
    earlier = (tmp_path / "montage.png").read_bytes()
    write_file = tf.io.write_file

    def fails_partway(target, contents):
        write_file(target, contents.numpy()[:10])
        raise OSError("disk full")

    monkeypatch.setattr(tf.io, "write_file", fails_partway)
    with pytest.raises(OSError, match="disk full"):
        bench.montage([[image, image]], path, height=8)
    assert (tmp_path / "montage.png").read_bytes() == earlier
    assert sorted(os.listdir(tmp_path)) == ["montage.png"]
