"""`init_generator`: a `kfreqgan-train` run that fine-tunes a trained
generator (the shipped dehazer, or a run's `.keras` file) instead of
starting from a fresh initialisation."""

import json
import os
import shutil

import keras
import numpy as np
import pytest

from kfreqgan.paths import file_sha256
from kfreqgan.training import configs
from kfreqgan.training import train
from tiny_configs import KEEP_BEST_TINY

pytest.importorskip("skimage")


@pytest.mark.parametrize(
    "value, match",
    [
        (5, "init_generator` must be None"),
        ("", "init_generator` must be None"),
        ("no/such/generator.keras", "init_generator`: Model file not found"),
        ("pretrained:nope", "init_generator`: Unknown pretrained model"),
        ("README.md", "init_generator`: A model must be a .keras file"),
    ],
)
def test_bad_values_are_refused_before_anything_loads(value, match):
    with pytest.raises(ValueError, match=match):
        configs.get_config("dehaze-v6", {"init_generator": value})


def test_a_keras_file_that_is_no_generator_of_the_task_is_named_as_init_generator(tmp_path):
    """Not as a model that cannot be exported (the loader's words for kfreqgan-export)."""
    path = str(tmp_path / "dense.keras")
    keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)]).save(path)
    config = configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, init_generator=path))
    with pytest.raises(ValueError, match=r"^`init_generator`: .*image-to-image generator.* Received: init_generator='.*dense.keras'$"):
        train.initialise_generator(train.build_generator(config), config)


def test_the_shipped_dehazer_is_a_dehazer():
    assert configs.get_config("dehaze-v6", {"init_generator": "pretrained:dehazer"})["init_generator"] == "pretrained:dehazer"
    with pytest.raises(ValueError, match="for task 'dehaze'"):
        configs.get_config("dcgan-32", {"init_generator": "pretrained:dehazer"})


def test_the_shipped_dehazer_loads_into_its_config_and_computes_the_same():
    from kfreqgan import pretrained

    card = pretrained.dehazer_card()
    config = configs.get_config(card["model"].split("config ")[1].split()[0], {"init_generator": "pretrained:dehazer"})
    generator = train.build_generator(config)
    record = train.initialise_generator(generator, config)
    image = np.random.default_rng(0).uniform(size=(1, config["image_size"], config["image_size"], 3)).astype(np.float32)
    np.testing.assert_allclose(generator(image), pretrained.dehazer()(image), atol=1e-5)
    assert record["sha256"] == card["weights_sha256"] and record["card"]["commands"] == card["commands"]
    # Another width does not fit: the first weight that differs is named.
    narrow = configs.get_config("dehaze-v6", {"generator_filters": 8, "init_generator": "pretrained:dehazer"})
    with pytest.raises(ValueError, match=r"does not fit this config's generator: its weight .* has shape"):
        train.initialise_generator(train.build_generator(narrow), narrow)


def test_a_fine_tune_of_the_shipped_dehazer_does_not_score_it_on_photos_it_trained_on():
    """keep_best's epoch 0 would be the shipped dehazer's score on one of its
    own training photos (motorcycle), which a fine-tune could hardly beat."""
    config = configs.get_config("dehaze-v6", dict(KEEP_BEST_TINY, generator_filters=16, init_generator="pretrained:dehazer"))
    with pytest.raises(ValueError, match=r"the shipped dehazer trained on: \['motorcycle'\]"):
        train.initialise_generator(train.build_generator(config), config)
    # Held-out photos alike.
    config = configs.get_config("dehaze-v6", dict(config, validation_photos=[], keep_best=None, eval_photos=["motorcycle"]))
    with pytest.raises(ValueError, match=r"the shipped dehazer trained on: \['motorcycle'\]"):
        train.initialise_generator(train.build_generator(config), config)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`(generator.keras, steps per epoch)` of a finished one-epoch tiny run."""
    import tensorflow as tf

    first = str(tmp_path_factory.mktemp("init") / "first")
    result = train.train(configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, epochs=1)), first, tf.distribute.get_strategy(), verbose=0)
    return os.path.join(first, "generator.keras"), result["generator_steps"]


def _psnr(generator_file, config):
    """The mean validation PSNR of the generator in `generator_file`, as keep_best scores it."""
    import tensorflow as tf

    hazy, clean = train.validation_pairs(config)
    outputs = keras.models.load_model(generator_file).predict(hazy, verbose=0)
    return tf.image.psnr(np.clip(outputs, 0, 1), clean, 1.0).numpy().mean()


def test_a_fine_tune_starts_from_the_trained_generator_and_keeps_it_unless_beaten(trained, tmp_path, monkeypatch):
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    source, per_epoch = trained

    tune = str(tmp_path / "tune")
    config = configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, epochs=2, init_generator=source, seed=3))
    result = train.train(config, tune, strategy, verbose=0)
    # keep_best scored the starting weights first, as epoch 0: the source generator's score.
    start = _psnr(source, config)
    sitting = result["validation"]["scores_this_sitting"]
    assert sitting["epoch"] == [0, 1, 2]
    assert sitting["val_psnr"][0] == pytest.approx(start, abs=1e-3)
    assert result["validation"]["selected_scores"]["val_psnr"] == pytest.approx(max(sitting["val_psnr"]), abs=1e-4)
    # The record: what it started from, by content.
    record = json.load(open(os.path.join(tune, train.INIT_PROVENANCE_FILE)))
    assert record["file"] == os.path.realpath(source) and record["sha256"] == file_sha256(source)
    assert json.load(open(os.path.join(tune, "metrics.json")))["initialised_from"] == record
    # Its own step count: the optimizers started afresh.
    assert result["generator_steps"] == 2 * per_epoch

    # A second sitting continues from the backup, not from init_generator again.
    again = train.train(configs.get_config("dehaze-v2", dict(config, epochs=3)), tune, strategy, verbose=0)
    assert again["validation"]["scores_this_sitting"]["epoch"] == [2, 3]
    assert again["validation"]["scores_this_sitting"]["val_psnr"][0] == pytest.approx(sitting["val_psnr"][2], abs=1e-4)
    assert again["initialised_from"] == record and again["generator_steps"] == 3 * per_epoch

    # A sitting that leaves init_generator out continues the fine-tune too, and
    # run_config.json and metrics.json keep what the run started from (the
    # card's command of this folder is made from them).
    last = train.train(configs.get_config("dehaze-v2", dict(config, epochs=4, init_generator=None)), tune, strategy, verbose=0)
    assert last["generator_steps"] == 4 * per_epoch and last["config"]["init_generator"] == source
    assert json.load(open(os.path.join(tune, train.RUN_CONFIG_FILE)))["init_generator"] == source
    # One that names another generator is refused: it would not be loaded.
    other = os.path.join(os.path.dirname(source), "freqgan.keras")
    with pytest.raises(ValueError, match="loads no init_generator"):
        train.train(configs.get_config("dehaze-v2", dict(config, epochs=5, init_generator=other)), tune, strategy, verbose=0)

    # keep_best_min_delta is the callback's margin: with 100 dB no later epoch replaces the kept one.
    import kfreqgan.callbacks

    made = []

    class Recorded(kfreqgan.callbacks.KeepBestWeights):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(kfreqgan.callbacks, "KeepBestWeights", Recorded)
    margin = train.train(
        configs.get_config("dehaze-v2", dict(config, epochs=5, init_generator=None, keep_best_min_delta=100.0)), tune, strategy, verbose=0
    )
    assert [keep.min_delta for keep in made] == [100.0]
    assert margin["validation"]["scores_this_sitting"]["epoch"] == [4, 5]
    assert margin["validation"]["selected_epoch"] == last["validation"]["selected_epoch"]


def test_a_run_from_a_fresh_initialisation_is_not_continued_as_a_fine_tune(trained, tmp_path):
    """Its backup, not init_generator, would be loaded: refused before anything is written."""
    import tensorflow as tf

    run = shutil.copytree(os.path.dirname(trained[0]), tmp_path / "run")
    before = {name: os.path.getmtime(run / name) for name in os.listdir(run)}
    config = configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, epochs=2, init_generator=trained[0]))
    with pytest.raises(ValueError, match="did not start from init_generator"):
        train.train(config, str(run), tf.distribute.get_strategy(), verbose=0)
    assert {name: os.path.getmtime(run / name) for name in os.listdir(run)} == before


def test_a_generator_of_another_width_is_refused_before_the_run_is_recorded(trained, tmp_path, monkeypatch):
    """... and before the data loads (a photo catalogue's takes minutes)."""
    import tensorflow as tf

    def no_data(*args):
        raise AssertionError("the data was loaded before the weights were checked")

    monkeypatch.setattr(train, "dehazing_data", no_data)
    out = tmp_path / "wide"
    wide = configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, generator_filters=8, init_generator=trained[0]))
    with pytest.raises(ValueError, match="does not fit this config's generator"):
        train.train(wide, str(out), tf.distribute.get_strategy(), verbose=0)
    assert not out.exists() or not os.listdir(out)


class _Killed(Exception):
    pass


class _KillInTheFirstStep(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        raise _Killed()


def test_a_fine_tune_killed_in_its_first_epoch_starts_again_from_the_trained_generator(trained, tmp_path):
    """keep_best has scored the starting weights (epoch 0) into best/ before
    the first backup: a rerun must start the fine-tune again, not refuse
    the folder as holding an earlier run's choice."""
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    out = str(tmp_path / "tune")
    config = configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, epochs=1, init_generator=trained[0]))
    with pytest.raises(_Killed):
        train.train(config, out, strategy, verbose=0, callbacks=[_KillInTheFirstStep()])
    assert os.path.isfile(os.path.join(out, "best", "worker-0", "best.json"))
    afresh = str(shutil.copytree(out, tmp_path / "afresh"))
    result = train.train(config, out, strategy, verbose=0)
    sitting = result["validation"]["scores_this_sitting"]
    assert sitting["epoch"] == [0, 1] and sitting["val_psnr"][0] == pytest.approx(_psnr(trained[0], config), abs=1e-3)
    assert result["initialised_from"]["sha256"] == file_sha256(trained[0])

    # A rerun of a killed first start without init_generator starts afresh: the
    # trained generator's score (epoch 0) is no candidate of that run.
    result = train.train(configs.get_config("dehaze-v2", dict(config, init_generator=None)), afresh, strategy, verbose=0)
    assert result["validation"]["scores_this_sitting"]["epoch"] == [1] and result["validation"]["selected_epoch"] == 1
    assert "initialised_from" not in result


def test_a_fine_tune_given_a_relative_path_is_continued_from_another_directory(trained, tmp_path, monkeypatch, capsys):
    """The same command, run elsewhere: the relative path names nothing
    there, but a continuation loads its backup, not init_generator."""
    from tiny_configs import train_argv

    shutil.copy(trained[0], tmp_path / "source.keras")
    out = tmp_path / "tune"
    settings = dict(KEEP_BEST_TINY, epochs=1, init_generator="source.keras")
    monkeypatch.chdir(tmp_path)
    assert train.main(train_argv(out, settings, config="dehaze-v2")) == 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert train.main(train_argv(out, dict(settings, epochs=2), config="dehaze-v2")) == 0, capsys.readouterr().err
    metrics = json.load(open(out / "metrics.json"))
    assert metrics["config"]["init_generator"] == "source.keras" and metrics["generator_steps"] == 2 * trained[1]
    # A first start there (no backup) still needs the file.
    assert train.main(train_argv(tmp_path / "new", settings, config="dehaze-v2")) == 2
    assert "Model file not found" in capsys.readouterr().err
