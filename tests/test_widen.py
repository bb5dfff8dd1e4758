"""`kfreqgan.training.widen`: a wider generator that starts as computing
exactly what the narrow one did, and a run folder `kfreqgan-train`
continues from it."""

import json
import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.models.coherent_dehazer import coherent_dehazer
from kfreqgan.training import configs
from kfreqgan.training import train
from kfreqgan.training import widen
from tiny_configs import KEEP_BEST_TINY


def _perturbed(model, seed):
    # Non-zero biases and no symmetric weights, so that a wrong copy shows.
    rng = np.random.default_rng(seed)
    model.set_weights([w + 0.05 * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def _dehazer(filters, **kwargs):
    return coherent_dehazer(coarse_size=32, filters=filters, radius=4, grey_airlight=True, **kwargs)


@pytest.mark.parametrize("filters", [4, 6, 8])
def test_the_wider_dehazer_computes_what_the_narrow_one_did(filters):
    keras.utils.set_random_seed(0)
    narrow = _perturbed(_dehazer(4, smoothness_weight=5.0), seed=1)
    wide = _dehazer(filters, smoothness_weight=5.0)
    widen.widen_weights(wide, narrow)
    images = np.random.default_rng(2).uniform(size=(2, 45, 70, 3)).astype("float32")
    np.testing.assert_allclose(wide(images), narrow(images), atol=1e-5)
    # The transmission (before the physics) too, and at another size.
    from kfreqgan.models.coherent_dehazer import transmission_model

    for got, want in zip(transmission_model(wide)(images[:, :33]), transmission_model(narrow)(images[:, :33])):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_old_filters_are_copied_and_new_inputs_of_old_filters_are_zero():
    keras.utils.set_random_seed(0)
    narrow = _perturbed(_dehazer(4), seed=3)
    wide = widen.widen_weights(_dehazer(8), narrow)
    old, new = narrow.get_layer("down1_conv"), wide.get_layer("down1_conv")  # 8 -> 16 filters, inputs 8 -> 16
    (old_kernel, old_bias), (new_kernel, new_bias) = old.get_weights(), new.get_weights()
    np.testing.assert_array_equal(new_kernel[:, :, :8, :8], old_kernel)
    np.testing.assert_array_equal(new_kernel[:, :, 8:, :8], 0.0)
    np.testing.assert_array_equal(new_bias[:8], old_bias)
    # The new filters keep their own initialisation: not zero, not copies.
    assert np.abs(new_kernel[..., 8:]).max() > 0.01
    assert not any(np.allclose(new_kernel[:, :, :8, j], old_kernel[..., i]) for j in range(8, 16) for i in range(8))
    # A skip concatenation: up1_conv reads [up1 (new 8 = old 4 + 4 new), stem (new 8 = old 4 + 4 new)].
    old_kernel = narrow.get_layer("up1_conv").get_weights()[0]
    new_kernel = wide.get_layer("up1_conv").get_weights()[0]
    np.testing.assert_array_equal(new_kernel[:, :, [0, 1, 2, 3, 8, 9, 10, 11], :4], old_kernel)
    np.testing.assert_array_equal(new_kernel[:, :, [4, 5, 6, 7, 12, 13, 14, 15], :4], 0.0)


def test_the_new_filters_learn():
    # Zero weights from the new filters into the old ones must not stay zero:
    # their gradient is the new activations times the old filters' error.
    keras.utils.set_random_seed(0)
    narrow = _perturbed(_dehazer(4), seed=4)
    wide = widen.widen_weights(_dehazer(8), narrow)
    images = np.random.default_rng(5).uniform(size=(2, 32, 32, 3)).astype("float32")
    layer = wide.get_layer("down1_conv")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(wide(images) - 0.5))
    gradient = tape.gradient(loss, layer.kernel).numpy()
    assert np.abs(gradient[:, :, 8:, :8]).max() > 0


def test_widen_array_against_a_loop():
    rng = np.random.default_rng(0)
    old = rng.standard_normal((3, 3, 2, 3))
    fresh = rng.standard_normal((3, 3, 4, 5))
    input_map = np.array([1, -1, 0, -1])
    got = widen.widen_array(old, fresh, input_map)
    for k in range(4):
        for j in range(5):
            if j >= 3:
                want = fresh[:, :, k, j]
            elif input_map[k] < 0:
                want = np.zeros((3, 3))
            else:
                want = old[:, :, input_map[k], j]
            np.testing.assert_array_equal(got[:, :, k, j], want)
    with pytest.raises(ValueError, match="Cannot widen a kernel"):
        widen.widen_array(old, rng.standard_normal((3, 3, 4, 2)), input_map)


def test_other_architectures_are_refused():
    with pytest.raises(ValueError, match="not one architecture at two widths"):
        widen.widen_weights(_dehazer(8, smoothness_weight=1.0), _dehazer(4))
    with pytest.raises(ValueError, match="not one architecture at two widths"):
        widen.widen_weights(_dehazer(8), keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]))


def test_the_config_must_describe_the_source_model_but_wider():
    source = configs.get_config("dehaze-v6")
    widen.check_widenable(source, configs.get_config("dehaze-v6-wide"))
    widen.check_widenable(source, configs.get_config("dehaze-v6-wide", {"generator_filters": 16}))
    for overrides, match in (
        ({"generator_filters": 8}, "at least the source run's 16"),
        ({"coarse_size": 160}, "coarse_size=160"),
        ({"discriminator_filters": 32}, "discriminator_filters"),
        # Weightless, but the widened generator must compute the source's
        # function (it failed after loading, on a count of layers).
        ({"dark_channel_bound": 0.95}, r"dark_channel_bound=0\.95 \(source 0\.0\)"),
    ):
        with pytest.raises(ValueError, match=match):
            widen.check_widenable(source, configs.get_config("dehaze-v6-wide", overrides))
    # A v6 run's record, written before the key, built no bound.
    older = {key: value for key, value in source.items() if key != "dark_channel_bound"}
    widen.check_widenable(older, configs.get_config("dehaze-v6-wide"))
    with pytest.raises(ValueError, match=r"dark_channel_bound=0\.95 \(source 0\.0\)"):
        widen.check_widenable(older, configs.get_config("dehaze-v6-wide", {"dark_channel_bound": 0.95}))
    # The bright bound too (it passed, and widen_run failed after loading both
    # GANs on the outputs' difference); a v7 run's record from before the key
    # built none.
    v7 = configs.get_config("dehaze-v7")
    with pytest.raises(ValueError, match=r"bright_bound=True \(source False\)"):
        widen.check_widenable(v7, configs.get_config("dehaze-v7", {"bright_bound": True}))
    widen.check_widenable({key: value for key, value in v7.items() if key != "bright_bound"}, v7)
    # A run of another generator is named by its model.
    with pytest.raises(ValueError, match="coherent.*Received: source 'unet', config 'coherent'"):
        widen.check_widenable(configs.get_config("dehaze-rgb-64"), configs.get_config("dehaze-v6-wide"))


def test_dehaze_v7_widens_v6():
    v6, v7 = configs.get_config("dehaze-v6"), configs.get_config("dehaze-v6-wide")
    assert v7["generator_filters"] == 2 * v6["generator_filters"] and v7["epochs"] > v6["epochs"]
    assert {k: v for k, v in v7.items() if k not in ("generator_filters", "epochs", "generator_lr")} == {
        k: v for k, v in v6.items() if k not in ("generator_filters", "epochs", "generator_lr")
    }


TINY = dict(KEEP_BEST_TINY, transmission_smoothness=1.0)


@pytest.fixture(scope="module")
def narrow_run(tmp_path_factory):
    """A finished two-epoch run of a tiny coherent dehazer with keep_best: (folder, result)."""
    run = str(tmp_path_factory.mktemp("widen") / "narrow")
    return run, train.train(configs.get_config("dehaze-v2", dict(TINY, epochs=2)), run, tf.distribute.get_strategy(), verbose=0)


class _Stop(Exception):
    """Stands for a killed or interrupted sitting."""


def interrupted_continuation(run, copy, epochs):
    """A copy of the finished `run` whose continuation to `epochs` stopped
    after its first new epoch: the backup is one epoch ahead of
    metrics.json and generator.keras."""

    class StopAfterAnEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise _Stop()  # after the backup callback saved the epoch

    shutil.copytree(run, copy)
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as file:
        config = dict(json.load(file)["config"], epochs=epochs)
    with pytest.raises(_Stop):
        train.train(config, copy, tf.distribute.get_strategy(), verbose=0, callbacks=[StopAfterAnEpoch()])
    return copy


def _results(path, model):
    scores = {"all": {"psnr": 18.0, "ssim": 0.8, "count": 3}}
    path.write_text(json.dumps({"command": "bench", "pairs": 3, "model": model, "summary": {"candidate": scores}}))
    return str(path)


def test_a_widened_run_continues_where_the_narrow_one_stopped_and_packages(narrow_run, tmp_path):
    from kfreqgan.training import package_dehazer

    narrow_dir, narrow = narrow_run
    wide_run = str(tmp_path / "wide")
    wide_config = configs.get_config("dehaze-v2", dict(TINY, epochs=3, generator_filters=8))

    provenance = widen.widen_run(narrow_dir, wide_config, wide_run)
    assert provenance["source_epoch"] == 2 and provenance["generator_filters"] == [4, 8]
    assert json.load(open(os.path.join(wide_run, widen.PROVENANCE_FILE))) == provenance

    result = train.train(wide_config, wide_run, tf.distribute.get_strategy(), verbose=0)
    assert result["resumed_from_epoch"] == 2
    # The history goes on from the narrow run's; the wide run's first
    # validation score is that of the narrow run's chosen generator.
    assert result["history"]["val_psnr"][:2] == pytest.approx(narrow["history"]["val_psnr"])
    assert len(result["history"]["val_psnr"]) == 3
    first = result["validation"]["scores_this_sitting"]
    assert first["epoch"] == [2, 3]
    assert first["val_psnr"][0] == pytest.approx(narrow["validation"]["selected_scores"]["val_psnr"], abs=1e-3)
    generator = keras.models.load_model(os.path.join(wide_run, "generator.keras"))
    assert generator.get_layer("stem").get_weights()[0].shape[-1] == 8
    # The generator's optimizer started afresh: one epoch of steps.
    assert result["generator_steps"] == result["discriminator_steps"] - narrow["discriminator_steps"]

    # The card says how: the widen command before the folder's training
    # command, and the steps of both folders.
    quality = _results(tmp_path / "results.json", os.path.join(wide_run, "generator.keras"))
    card = package_dehazer.package([narrow_dir, wide_run], quality, str(tmp_path / "packaged"))
    widen_command, train_command = card["commands"][1:]
    assert widen_command.startswith(f"python -m kfreqgan.training.widen {os.path.abspath(narrow_dir)} --config dehaze-v2 ")
    assert widen_command.endswith(f" --out {os.path.abspath(wide_run)}") and "--set generator_filters=8" in widen_command
    assert train_command.startswith(f"kfreqgan-train --config dehaze-v2 --out {os.path.abspath(wide_run)} ")
    assert widen_command.split("--config dehaze-v2 ")[1].split(" --out")[0] == train_command.split(f"{os.path.abspath(wide_run)} ")[1]
    assert "widened from 4 to 8 filters" in card["continuation"][0]
    assert card["generator_steps"] == narrow["generator_steps"] + result["generator_steps"] == result["discriminator_steps"]
    assert card["architecture"]["arguments"]["filters"] == 8
    # Packaged out of order, the chain is refused.
    with pytest.raises(ValueError, match="must be the run folder just before it"):
        package_dehazer.package([wide_run], quality, str(tmp_path / "refused"))
    assert not (tmp_path / "refused").exists()  # checked before anything is written


def test_widen_run_refuses_without_touching_anything(narrow_run, tmp_path):
    run, _ = narrow_run
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    wide = configs.get_config("dehaze-v2", dict(TINY, epochs=3, generator_filters=8))
    with pytest.raises(ValueError, match="new or empty folder"):
        widen.widen_run(run, wide, str(occupied))
    assert os.listdir(occupied) == ["notes.txt"] and (occupied / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="nothing is left to train"):
        widen.widen_run(run, configs.get_config("dehaze-v2", dict(TINY, epochs=2, generator_filters=8)), str(tmp_path / "a"))
    with pytest.raises(ValueError, match="generator_filters"):
        widen.widen_run(run, configs.get_config("dehaze-v2", dict(TINY, epochs=3, generator_filters=2)), str(tmp_path / "b"))
    with pytest.raises(FileNotFoundError, match="is not a finished kfreqgan-train run: it has no generator.keras"):
        widen.widen_run(str(tmp_path / "missing"), wide, str(tmp_path / "c"))
    assert not any((tmp_path / name).exists() for name in ("a", "b", "c"))


def test_the_command_line(narrow_run, tmp_path, capsys):
    run, _ = narrow_run
    sets = [f"--set={key}={value!r}" for key, value in dict(TINY, epochs=3, generator_filters=6).items()]
    assert widen.main([run, "--config", "dehaze-v2", *sets, "--out", str(tmp_path / "wide")]) == 0
    assert "continue with kfreqgan-train --config dehaze-v2" in capsys.readouterr().out
    assert widen.main([run, "--config", "dehaze-v2", *sets, "--out", str(tmp_path / "wide")]) == 2
    assert "new or empty folder" in capsys.readouterr().err


def test_a_source_whose_continuation_was_interrupted_is_refused(narrow_run, tmp_path):
    """Its generator.keras is of epoch 2, its backup (the discriminator and
    the history) of epoch 3: widening it would mix the two."""
    run = interrupted_continuation(narrow_run[0], str(tmp_path / "continued"), epochs=4)
    wide = configs.get_config("dehaze-v2", dict(TINY, epochs=5, generator_filters=8))
    with pytest.raises(ValueError, match="is not a finished kfreqgan-train run: its backup holds epoch 3") as raised:
        widen.widen_run(run, wide, str(tmp_path / "wide"))
    assert f"--out {run}" in str(raised.value)
    assert not (tmp_path / "wide").exists()
