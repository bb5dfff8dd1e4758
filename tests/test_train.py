"""kfreqgan-train: configurations, the CLI, resuming, multi-worker, the demo."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.data import haze
from kfreqgan.layers import InvertScattering
from kfreqgan.training import configs
from kfreqgan.training import train
from tiny_configs import DEHAZE_V2_TINY
from tiny_configs import train_argv

TINY = {
    "patches_per_photo": 8,
    "eval_patches_per_photo": 2,
    "batch_size": 8,
    "epochs": 1,
    "generator_filters": 8,
    "discriminator_filters": 8,
}


def test_configs_override_and_reject_bad_keys():
    config = configs.get_config("dehaze-demo", {"epochs": 3, "l1_weight": 50})
    assert config["epochs"] == 3 and config["l1_weight"] == 50.0
    assert configs.get_config("dehaze-gray-28")["channels"] == 1
    assert set(configs.CONFIGS) >= {"dehaze-rgb-64", "dehaze-gray-28", "dehaze-demo", "dcgan-32"}
    with pytest.raises(ValueError, match="Unknown config"):
        configs.get_config("dehaze-rgb-9000")
    with pytest.raises(ValueError, match="no key 'epoch'"):
        configs.get_config("dehaze-demo", {"epoch": 3})
    with pytest.raises(ValueError, match="expects int"):
        configs.get_config("dehaze-demo", {"epochs": "many"})
    for name in configs.CONFIGS:
        assert not set(configs.get_config(name)["train_photos"]) & set(configs.get_config(name).get("eval_photos", []))


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.5", 0.5),
        ("[0.3, 3.0]", [0.3, 3.0]),
        ("None", None),
        ("'psnr'", "psnr"),
        ("'a#b'", "a#b"),  # a '#' inside quotes is the string's
        ("runs/x.keras", "runs/x.keras"),
        # A '#' outside quotes began a comment: the number 2 and the list [0.3].
        ("2#x.keras", "2#x.keras"),
        ("[0.3]#,3.0]", "[0.3]#,3.0]"),
        ("pretrained:dehazer", "pretrained:dehazer"),
    ],
)
def test_set_values_are_literals_or_the_text_itself(text, value):
    assert train.parse_overrides([f"key={text}"]) == {"key": value}


def test_dcgan_config_chooses_whether_the_generator_learns_through_the_spectral_branch():
    """`spectral_stop_gradient` (default True: SSD-GAN detaches the spectral
    feature) reaches the SpectralDiscriminator that build_gan makes: with it,
    the generator step's input gradient is the spatial branch's alone."""
    small = {"generator_filters": 8, "discriminator_filters": 8}
    assert configs.get_config("dcgan-32")["spectral_stop_gradient"] is True
    with pytest.raises(ValueError, match="expects bool"):
        configs.get_config("dcgan-32", {"spectral_stop_gradient": "no"})
    images = tf.random.stateless_uniform((2, 32, 32, 3), seed=(1, 2))
    for stop in (True, False):
        discriminator = train.build_gan(configs.get_config("dcgan-32", dict(small, spectral_stop_gradient=stop))).discriminator
        assert discriminator.stop_generator_gradient is stop
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(images)
            combined = tf.reduce_sum(discriminator(images, generator_step=True))
            spatial = tf.reduce_sum((1.0 - discriminator.spectral_weight) * discriminator.spatial(images))
        through_spectral = (tape.gradient(combined, images) - tape.gradient(spatial, images)).numpy()
        assert bool(np.abs(through_spectral).max() < 1e-6) is stop


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--config", "nope"], "Unknown config"),
        (["--set", "epochs"], "key=value"),
        (["--set", "colour=1"], "no key 'colour'"),
        (["--epochs", "0"], "`epochs` must be a positive integer. Received: epochs=0"),
        (["--strategy", "multiworker"], "TF_CONFIG"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert train.main(argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kfreqgan-train: error:") and message in err[0]
    assert not os.listdir(tmp_path)


def test_invert_scattering_undoes_the_haze_model(photos_64):
    depth = np.stack([haze.synthetic_depth(64, 64, (i, 3)).numpy() for i in range(6)])
    airlight = np.full((6, 1, 1, 3), 0.85, np.float32)
    hazy, transmission = haze.add_haze(photos_64, depth, 1.0, 0.85)
    clean = InvertScattering(min_transmission=0.05)([hazy, transmission, airlight]).numpy()
    np.testing.assert_allclose(clean, photos_64, atol=1e-4)
    layer = InvertScattering.from_config(InvertScattering(0.2).get_config())
    assert layer.min_transmission == 0.2
    with pytest.raises(ValueError, match="min_transmission"):
        InvertScattering(0.0)


@pytest.mark.slow
def test_train_writes_everything(tmp_path):
    config = configs.get_config("dehaze-demo", TINY)
    result = train.train(config, str(tmp_path), tf.distribute.get_strategy(), verbose=0)
    for name in ("generator.keras", "freqgan.keras", "samples.png", "metrics.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["held_out"]["photos"] == list(configs.HELDOUT_PHOTOS)
    assert len(metrics["history"]["g_loss"]) == 1 and result["chief"]
    generator = keras.models.load_model(tmp_path / "generator.keras")
    assert generator.output_shape == (None, 32, 32, 3)
    assert result["generator_steps"] == len(configs.TRAIN_PHOTOS) * 8 // 8
    # Resuming (after a clean stop, a SIGKILL mid-epoch or mid-write) is
    # tested end to end in test_resume.py.


def _cli(argv):
    """kfreqgan-train in this process: (status, stderr lines)."""
    import contextlib
    import io

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        status = train.main(argv)
    return status, [line for line in errors.getvalue().splitlines() if line.strip()]


def _tiny_argv(out, **extra):
    return train_argv(out, {**TINY, **extra})


def test_out_with_someone_elses_files_is_refused_and_kept(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "generator.keras").write_text("mine")
    (out / "metrics.json").write_text("notes")
    status, lines = _cli(_tiny_argv(out))
    assert status == 2 and len(lines) == 1
    assert "--out holds files but no kfreqgan-train run" in lines[0] and "were not written by kfreqgan-train" in lines[0]
    assert (out / "generator.keras").read_text() == "mine" and (out / "metrics.json").read_text() == "notes"
    assert sorted(os.listdir(out)) == ["generator.keras", "metrics.json"]


def test_what_counts_as_a_run_folder(tmp_path):
    for name, make in {
        "a backup folder of another tool": lambda d: ((d / "backup").mkdir(), (d / "samples.png").write_bytes(b"mine")),
        "a metrics.json of another tool": lambda d: (d / "metrics.json").write_text('{"config": {}}'),
    }.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        make(folder)
        with pytest.raises(ValueError, match="--out holds files but no kfreqgan-train run"):
            train.check_run_folder(str(folder))
    quiet = tmp_path / "only_hidden"
    (quiet / ".ipynb_checkpoints").mkdir(parents=True)
    (quiet / ".DS_Store").write_bytes(b"")
    train.check_run_folder(str(quiet))  # hidden files do not make a folder someone else's


def test_a_continuation_that_cannot_load_the_backup_is_refused_before_any_work(tmp_path):
    out = tmp_path / "run"
    assert _cli(_tiny_argv(out))[0] == 0
    assert json.loads((out / train.RUN_CONFIG_FILE).read_text())["generator_filters"] == TINY["generator_filters"]
    (out / "notes.txt").write_text("a file of mine beside the run")  # a run folder may hold the user's notes
    before = {name: (out / name).read_bytes() for name in ("generator.keras", "metrics.json", train.RUN_CONFIG_FILE)}
    cases = [
        ({"generator_filters": 16}, "generator_filters 8 -> 16"),
        ({"mixed_precision": "mixed_float16", "epochs": 2}, "mixed_precision None -> 'mixed_float16'"),
        ({"frequency_aware": False, "epochs": 2}, "frequency_aware True -> False"),
    ]
    coherent = train_argv(out, {**DEHAZE_V2_TINY, "epochs": 2}, config="dehaze-v2")
    for argv, change in [(_tiny_argv(out, **extra), change) for extra, change in cases] + [(coherent, "generator_architecture 'unet' -> 'coherent'")]:
        status, lines = _cli(argv)
        assert status == 2 and len(lines) == 1 and "holds a run of another model or precision" in lines[0] and change in lines[0], lines
        assert ("widen" in lines[0]) == ("generator_filters 8 -> 16" in lines[0])  # the hint only where widen applies
    assert {name: (out / name).read_bytes() for name in before} == before  # the refusals rewrote nothing
    # The continuation asks for fewer epochs than the backup holds.
    assert _cli(_tiny_argv(out, epochs=2))[0] == 0
    status, lines = _cli(_tiny_argv(out, epochs=1))
    assert status == 2 and "holds 2 epochs, more than epochs=1: nothing to train" in lines[0]
    # Nothing the refusals saw was rewritten; the user's file is kept.
    assert (out / "notes.txt").read_text() == "a file of mine beside the run"
    assert json.loads((out / "metrics.json").read_text())["config"]["epochs"] == 2


def _free_port():
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_multi_worker_training_on_two_local_workers(tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    command = [sys.executable, "-m", "kfreqgan.training.train", "--strategy", "multiworker"]
    command += train_argv(tmp_path / "run", {**TINY, "epochs": 2, "batch_size": 4})
    workers = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [worker.communicate(timeout=400)[0] for worker in workers]
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
    run = tmp_path / "run"
    assert (run / "generator.keras").exists() and (run / "metrics.json").exists()
    assert sorted(os.listdir(run / "backup")) == ["worker-0", "worker-1"]
    assert "wrote" in outputs[0] and "wrote" not in outputs[1]  # only the chief writes
    history = json.loads((run / "metrics.json").read_text())["history"]
    assert len(history["g_loss"]) == 2 and np.isfinite(history["g_loss"]).all()


@pytest.mark.slow
def test_demo_dehazer_beats_the_hazy_input_by_3_db_on_held_out_photos(tmp_path):
    from kfreqgan.training import demo

    report = demo.run(str(tmp_path), verbose=0)
    for scope in ("held_out_patches", "held_out_whole_photos"):
        hazy, dehazed = report[scope]["hazy_input"], report[scope]["dehazed"]
        assert dehazed["psnr"] >= hazy["psnr"] + 3.0, report[scope]
        assert dehazed["ssim"] > hazy["ssim"]
    assert report["held_out_patches"]["output_spread"] > 1e-3  # outputs differ across inputs
    for name in ("before_after.png", "spectrum.png", "demo.json", "generator.keras"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dehaze-gray-28", "dcgan-32"])
def test_other_named_configs_train(name, tmp_path):
    overrides = {"patches_per_photo": 8, "batch_size": 8, "epochs": 1, "generator_filters": 8, "discriminator_filters": 8}
    if name.startswith("dehaze"):
        overrides["eval_patches_per_photo"] = 2
    config = configs.get_config(name, overrides)
    result = train.train(config, str(tmp_path), tf.distribute.get_strategy(), verbose=0)
    generator = keras.models.load_model(tmp_path / "generator.keras")
    if name == "dehaze-gray-28":
        assert generator.output_shape == (None, 28, 28, 1)  # the user's 28x28 grey setting
        assert result["held_out"]["dehazed"]["psnr"] > 0
    else:
        assert generator.output_shape == (None, 32, 32, 3)
    assert np.isfinite(result["history"]["g_loss"]).all()


@pytest.mark.parametrize(
    "overrides,band_inputs,branches,loss",
    [
        ({}, True, 2, "focal"),  # frequency_aware: every part on
        ({"frequency_aware": False}, False, 1, None),  # the spatial twin: no part, whatever the other keys say
        ({"frequency_inputs": False, "frequency_discriminator": False, "frequency_loss": "band_log"}, False, 1, "band_log"),
        ({"frequency_discriminator": False, "frequency_loss": "focal_log"}, True, 1, "focal_log"),
    ],
)
def test_frequency_parts_choose_the_networks_and_the_loss(overrides, band_inputs, branches, loss):
    config = configs.get_config("dehaze-demo", overrides)
    gan = train.build_gan(config)
    has_bands = any(layer.name.startswith("band_") for layer in gan.generator.layers)
    assert has_bands == band_inputs
    assert len(gan.discriminator.outputs) == branches
    assert gan.frequency_loss == loss
    # The size-free copy (whole photos) has the same architecture, so every weight copies over.
    any_size = train.size_free_generator(gan.generator, config)
    assert any(layer.name.startswith("band_") for layer in any_size.layers) == band_inputs
    hazy = np.random.default_rng(0).uniform(size=(1, 48, 48, 3)).astype("float32")
    assert any_size(hazy).shape == (1, 48, 48, 3)


def test_held_out_photo_names_name_the_catalogue_split_too():
    """metrics.json and the closing line name every held-out photo, the registry
    catalogue's held-out split included (not only the bundled eval photos)."""
    from kfreqgan.data import photo_sources

    demo = configs.get_config("dehaze-demo")
    assert train.held_out_photo_names(demo) == list(demo["eval_photos"])
    for name, release in (("dehaze-v2", 1), ("dehaze-v3", 2)):
        config = configs.get_config(name)
        try:
            photos = photo_sources.installed_photos(release=release)
        except FileNotFoundError:
            pytest.skip("the photo catalogue's packages are not installed (make dehazer-data)")
        catalogue = [photo.key for photo in photo_sources.split_photos(photos)["heldout"]]
        names = train.held_out_photo_names(config)
        assert names == list(config["eval_photos"]) + catalogue
        assert not set(names) & set(config["train_photos"])


@pytest.mark.parametrize(
    "name, overrides, examples, what",
    [
        ("dehaze-v2", dict(DEHAZE_V2_TINY, patches_per_photo=3), 12, "patches_per_photo=3 x 4 photos"),  # whole photos
        ("dehaze-demo", {"patches_per_photo": 8, "train_photos": ["chelsea", "rocket"]}, 16, "patches_per_photo=8 x 2 photos"),
        ("dcgan-32", {"patches_per_photo": 32, "train_photos": ["chelsea"]}, 32, "patches_per_photo=32 x 1 photos"),
    ],
)
def test_an_epoch_smaller_than_one_global_batch_is_refused(name, overrides, examples, what):
    """On two replicas the global batch is twice batch_size, which the config
    check (one replica) allows: the incomplete batch was dropped, and such a
    run trained no step and still "finished"."""
    config = configs.get_config(name, overrides)
    data = train.unconditional_data if config["task"] == "unconditional" else train.dehazing_data
    global_batch = 2 * config["batch_size"]
    with pytest.raises(ValueError, match=rf"{examples} training examples .*fewer than one global batch of {global_batch} .*no training step") as error:
        data(config, global_batch)
    assert what in str(error.value)
    data(config, examples)  # exactly one batch: fine
