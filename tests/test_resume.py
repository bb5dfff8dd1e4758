"""Reliability of training: resuming after a kill, crash-safe backups, stopping on divergence."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import backup_crash
import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.callbacks import AtomicBackupAndRestore
from kfreqgan.callbacks import DivergenceError
from kfreqgan.callbacks import StopOnDivergence
from kfreqgan.callbacks import atomic_backup_and_restore as atomic_backup
from kfreqgan.callbacks.stop_on_divergence import non_finite_logs
from kfreqgan.training import configs
from kfreqgan.training import train
from tiny_configs import train_argv

# The smallest dehazing GAN that still runs the whole program: 12 steps an epoch.
TINY = {
    "frequency_aware": False,
    "image_size": 16,
    "photo_short_side": 64,
    "patches_per_photo": 16,
    "eval_patches_per_photo": 1,
    "batch_size": 8,
    "epochs": 2,
    "generator_filters": 4,
    "generator_depth": 1,
    "discriminator_filters": 4,
    "discriminator_layers": 1,
}
STEPS_PER_EPOCH = len(configs.TRAIN_PHOTOS) * TINY["patches_per_photo"] // TINY["batch_size"]


def _backup_steps(backup_dir):
    """(metadata, {optimizer: iterations} read from the weights file it names)."""
    metadata = AtomicBackupAndRestore.read_metadata(backup_dir)
    with h5py.File(os.path.join(backup_dir, metadata["weights"]), "r") as weights:
        steps = {name: int(weights[f"{name}/vars/0"][()]) for name in ("generator_optimizer", "discriminator_optimizer")}
    return metadata, steps


def _all_finite(path):
    values = []
    with h5py.File(path, "r") as weights:
        weights.visititems(lambda name, item: values.append(item[()]) if isinstance(item, h5py.Dataset) else None)
    return bool(values) and all(np.isfinite(np.asarray(v, np.float64)).all() for v in values)


def _argv(out, **overrides):
    return train_argv(out, {**TINY, **overrides})


class _Training:
    """`kfreqgan-train` with the TINY configuration in a subprocess; its output is read line by line."""

    def __init__(self, out, **env):
        script = os.path.join(os.path.dirname(sys.executable), "kfreqgan-train")
        command = [script] if os.path.exists(script) else [sys.executable, "-m", "kfreqgan.training.train"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", **env}
        if backup_crash.CRASH_ENV in env:  # tests/crash_hook/sitecustomize.py installs the crash point
            hook = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_hook")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [hook, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            command + _argv(out), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self._reader.start()

    @property
    def output(self):
        return "".join(self.lines)

    def wait_until(self, condition, timeout=300):
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"kfreqgan-train exited early:\n{self.output[-3000:]}"
            assert time.monotonic() < deadline, f"timed out:\n{self.output[-3000:]}"
            time.sleep(0.02)

    def finish(self, timeout=300):
        self.process.wait(timeout)
        self._reader.join(timeout)
        return self.process.returncode


def _run_again(out, capsys, **overrides):
    """The same command again, in this process (TensorFlow is already imported): (exit status, stdout)."""
    capsys.readouterr()
    status = train.main(_argv(out, **overrides))
    captured = capsys.readouterr()
    assert status == 0, captured.err[-3000:]
    return captured.out


@pytest.mark.slow
def test_killed_mid_epoch_resumes_after_the_last_backup(tmp_path, capsys):
    backup_dir = tmp_path / "backup" / "worker-0"
    first = _Training(tmp_path)
    # "Epoch 2/2" is printed once epoch 1's backup is committed and epoch 2
    # begins; kill a moment into epoch 2 (its 12 steps take over 0.5 s here).
    first.wait_until(lambda: "Epoch 2/2" in first.output and AtomicBackupAndRestore.read_metadata(backup_dir))
    time.sleep(0.1)
    first.process.send_signal(signal.SIGKILL)
    assert first.finish() == -signal.SIGKILL
    metadata, steps = _backup_steps(backup_dir)
    assert metadata["epoch"] == 1, "killed after epoch 2 had ended; kill earlier"
    assert steps == metadata["steps"] == {"generator_optimizer": STEPS_PER_EPOCH, "discriminator_optimizer": STEPS_PER_EPOCH}
    assert not (tmp_path / "generator.keras").exists()

    output = _run_again(tmp_path, capsys)
    assert "Epoch 2/2" in output and "Epoch 1/2" not in output  # epoch 1 is not trained again
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1
    # As many epochs and steps as an uninterrupted run; with the optimizers'
    # counters reset on restore they would read one epoch's steps.
    assert len(metrics["history"]["g_loss"]) == TINY["epochs"]
    assert metrics["generator_steps"] == metrics["discriminator_steps"] == TINY["epochs"] * STEPS_PER_EPOCH
    metadata, steps = _backup_steps(backup_dir)
    assert metadata["epoch"] == TINY["epochs"] and set(steps.values()) == {TINY["epochs"] * STEPS_PER_EPOCH}


@pytest.mark.slow
def test_killed_while_writing_the_backup_resumes_from_the_previous_one(tmp_path, capsys):
    backup_dir = tmp_path / "backup" / "worker-0"
    # The writer kills itself with half of epoch 2's weights file written.
    first = _Training(tmp_path, **{backup_crash.CRASH_ENV: "weights:2"})
    assert first.finish() == -signal.SIGKILL, first.output[-3000:]
    torn = [name for name in os.listdir(backup_dir) if name.startswith(".tmp-")]
    assert len(torn) == 1 and torn[0].endswith(".weights.h5")
    with pytest.raises(OSError):  # what Keras's own callback would now hold in latest.weights.h5
        h5py.File(backup_dir / torn[0], "r")
    metadata, steps = _backup_steps(backup_dir)
    assert metadata["epoch"] == 1 and set(steps.values()) == {STEPS_PER_EPOCH}

    # Resumed with a lower generator learning rate, as after a divergence:
    # the configuration's rate replaces the one stored in the backup.
    output = _run_again(tmp_path, capsys, generator_lr=5e-4)
    assert "Epoch 2/2" in output and "Epoch 1/2" not in output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1 and len(metrics["history"]["g_loss"]) == TINY["epochs"]
    assert metrics["generator_steps"] == metrics["discriminator_steps"] == TINY["epochs"] * STEPS_PER_EPOCH
    assert not [name for name in os.listdir(backup_dir) if name.startswith(".tmp-")]  # swept
    metadata = AtomicBackupAndRestore.read_metadata(backup_dir)
    with h5py.File(backup_dir / metadata["weights"], "r") as weights:
        assert weights["generator_optimizer/vars/1"][()] == np.float32(5e-4)  # the learning rate
        assert weights["discriminator_optimizer/vars/1"][()] == np.float32(configs.get_config("dehaze-demo")["discriminator_lr"])


@pytest.mark.slow
def test_divergence_stops_training_and_keeps_the_last_good_backup(tmp_path, capsys):
    assert train.main(_argv(tmp_path, epochs=1)) == 0
    written = {name: (tmp_path / name).read_bytes() for name in ("generator.keras", "freqgan.keras", "metrics.json")}
    capsys.readouterr()
    # Resumed for epoch 2 with learning rates that blow it up.
    assert train.main(_argv(tmp_path, generator_lr=1e30, discriminator_lr=1e30)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    backup_dir = tmp_path / "backup" / "worker-0"
    match = re.fullmatch(
        rf"kfreqgan-train: error: training diverged at global step (\d+) \(epoch 2/2, batch (\d+)/{STEPS_PER_EPOCH}\): "
        rf"non-finite (.+); stopped before saving: {re.escape(str(backup_dir))} holds epoch 1, no model file was written\.",
        err[0],
    )
    assert match, err[0]
    assert int(match[1]) == STEPS_PER_EPOCH + int(match[2])  # the global step counts epoch 1 too
    terms = dict(term.split("=") for term in match[3].split(", "))
    assert set(terms) <= {"d_fake", "d_loss", "d_real", "g_adversarial", "g_l1", "g_loss"}
    assert set(terms.values()) <= {"nan", "inf", "-inf"}
    metadata = AtomicBackupAndRestore.read_metadata(backup_dir)
    assert metadata["epoch"] == 1 and _all_finite(backup_dir / metadata["weights"])
    for name, content in written.items():
        assert (tmp_path / name).read_bytes() == content, f"{name} was overwritten"


# -- the callbacks on a tiny model (fast) ------------------------------------


def _tiny_model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse", run_eagerly=True)  # no tracing: fast
    return model


_X = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
_Y = _X.sum(axis=1, keepdims=True)


class _Killed(BaseException):
    pass


class _RecordWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


@pytest.mark.parametrize("stage", backup_crash.STAGES)
def test_a_crash_at_any_point_of_the_write_keeps_the_previous_backup(stage, tmp_path, monkeypatch):
    def kill():
        raise _Killed()  # stands in for SIGKILL; the subprocess test kills for real

    backup_crash.install(stage, 2, kill=kill, set_attribute=monkeypatch.setattr)
    model, record = _tiny_model(), _RecordWeights()
    with pytest.raises(_Killed):
        model.fit(_X, _Y, batch_size=8, epochs=3, verbose=0, callbacks=[record, AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)])
    metadata = AtomicBackupAndRestore.read_metadata(tmp_path)
    assert metadata["epoch"] == 1 and metadata["steps"] == {"optimizer": 2} and len(metadata["history"]["loss"]) == 1
    monkeypatch.undo()

    restored, backup = _tiny_model(), AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)
    backup.set_model(restored)
    backup.on_train_begin()
    assert backup.restored_epoch == 1 and restored._initial_epoch == 1
    for got, want in zip(restored.get_weights(), record.weights[0]):
        np.testing.assert_array_equal(got, want)
    assert int(restored.optimizer.iterations) == 2
    # The next save goes to the slot the metadata does not name.
    history = restored.fit(_X, _Y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    assert len(history.history["loss"]) == 1 and len(backup.history["loss"]) == 2
    metadata = AtomicBackupAndRestore.read_metadata(tmp_path)
    assert metadata["epoch"] == 2 and metadata["steps"] == {"optimizer": 4}
    assert sorted(os.listdir(tmp_path)) == sorted([*atomic_backup.SLOTS, atomic_backup.METADATA])


def test_write_backup_is_what_the_callback_restores(tmp_path):
    # The one writer of the format, used outside `fit` (python -m kfreqgan.training.widen).
    model = _tiny_model()
    model.fit(_X, _Y, batch_size=8, epochs=1, verbose=0)
    history = {"loss": [0.5, 0.25]}
    first = AtomicBackupAndRestore.write_backup(tmp_path, model, 2, history=history)
    second = AtomicBackupAndRestore.write_backup(tmp_path, model, 2, history=history, previous_slot=first)
    assert {first, second} == set(atomic_backup.SLOTS)
    metadata = AtomicBackupAndRestore.read_metadata(tmp_path)
    assert metadata == {"epoch": 2, "batch": 0, "weights": second, "steps": {"optimizer": 2}, "history": history}
    restored, backup = _tiny_model(), AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)
    backup.set_model(restored)
    backup.on_train_begin()
    assert backup.restored_epoch == 2 and backup.history == history and int(restored.optimizer.iterations) == 2
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_restores_a_backup_written_by_keras_own_callback(tmp_path):
    model = _tiny_model()
    model.fit(_X, _Y, batch_size=8, epochs=1, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)])
    restored, backup = _tiny_model(), AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)
    backup.set_model(restored)
    backup.on_train_begin()
    assert backup.restored_epoch == 1 and int(restored.optimizer.iterations) == 2
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_refuses_to_restore_into_an_optimizer_that_is_not_built(tmp_path):
    _tiny_model().fit(_X, _Y, batch_size=8, epochs=1, verbose=0, callbacks=[AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)])
    restored, backup = _tiny_model(), AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)
    restored.extra_optimizer = keras.optimizers.Adam()  # keras-team/keras#19389 would drop its state
    backup.set_model(restored)
    with pytest.raises(ValueError, match="extra_optimizer"):
        backup.on_train_begin()


def test_non_finite_logs_reads_scalars_and_rank_1_logs():
    logs = {
        "g_loss": 1.5,
        "d_loss": float("nan"),
        "g_l1": np.array([np.inf], np.float32),  # rank 1, as under MultiWorkerMirroredStrategy
        "d_real": tf.constant([0.5]),
        "d_fake": tf.constant(-np.inf),
        "note": "text",
    }
    bad = non_finite_logs(logs)
    assert list(bad) == ["d_loss", "g_l1", "d_fake"]
    assert np.isnan(bad["d_loss"]) and bad["g_l1"] == np.inf and bad["d_fake"] == -np.inf
    assert list(non_finite_logs(logs, names=("g_loss", "g_l1"))) == ["g_l1"]
    assert non_finite_logs(None) == {}


def test_stop_on_divergence_names_the_step_epoch_and_terms():
    guard = StopOnDivergence()
    guard.set_model(_tiny_model())
    guard.set_params({"epochs": 5, "steps": 6})
    guard.model.optimizer.build(guard.model.trainable_variables)
    guard.model.optimizer.iterations.assign(14)
    guard.on_epoch_begin(2)
    guard.on_train_batch_end(0, {"loss": np.array([0.3])})
    with pytest.raises(DivergenceError) as caught:
        guard.on_train_batch_end(1, {"loss": np.array([np.nan]), "mae": 1.0})
    assert str(caught.value) == "training diverged at global step 14 (epoch 3/5, batch 2/6): non-finite loss=nan"
    assert caught.value.step == 14 and caught.value.epoch == 3 and list(caught.value.terms) == ["loss"]
    with pytest.raises(ValueError, match="Received: monitor='loss'"):
        StopOnDivergence(monitor="loss")
    with pytest.raises(ValueError, match="check_weights"):
        StopOnDivergence(check_weights=1)
    assert StopOnDivergence.from_config(StopOnDivergence(["g_loss"]).get_config()).monitor == ("g_loss",)


class _PoisonAt(keras.callbacks.Callback):
    """NaN in the kernel at the end of epoch `epoch`, after the epoch's losses were logged."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.layers[0].kernel
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))


@pytest.mark.parametrize("poison", ["data", "weights"])
def test_stop_on_divergence_ends_fit_before_the_backup_saves(poison, tmp_path):
    model = _tiny_model()
    callbacks = [StopOnDivergence(), AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)]
    if poison == "data":
        # One good epoch, then a resumed epoch 2 whose second batch holds a NaN.
        model.fit(_X, _Y, batch_size=8, epochs=1, verbose=0, callbacks=[AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)])
        x = _X.copy()
        x[8, 0] = np.nan
        expected = "training diverged at global step 4 (epoch 2/2, batch 2/2): non-finite loss=nan"
    else:
        # Finite losses, but the weights go NaN as epoch 2 ends.
        x = _X
        callbacks.insert(0, _PoisonAt(1))
        expected = "training diverged at global step 4 (epoch 2/2, end of the epoch): non-finite weights in "
    with pytest.raises(DivergenceError, match=re.escape(expected)):
        model.fit(x, _Y, batch_size=8, epochs=2, verbose=0, callbacks=callbacks)
    metadata = AtomicBackupAndRestore.read_metadata(tmp_path)
    assert metadata["epoch"] == 1 and _all_finite(tmp_path / metadata["weights"])


# -- a damaged backup is refused, naming the file, and left as it is ---------


def _good_backup(directory):
    """A backup of one epoch of the tiny model (slot a) in `directory`."""
    _tiny_model().fit(_X, _Y, batch_size=8, epochs=1, verbose=0, callbacks=[AtomicBackupAndRestore(directory, delete_checkpoint=False)])
    return directory / atomic_backup.METADATA, directory / atomic_backup.SLOTS[0]


def _rewrite_metadata(change):
    def damage(metadata, weights, outside):
        content = json.loads(metadata.read_text())
        change(content)
        metadata.write_text(json.dumps(content))

    return damage


def _set_nan(path, key):
    with h5py.File(path, "r+") as weights:
        weights[key][...] = np.nan


def _link_to_outside(metadata, weights, outside):
    weights.unlink()
    weights.symlink_to(outside)


# name: (damage(metadata, weights, outside weights file), damaged file, what the error says about it).
# Every case restores without complaint, or with an error that names no file, before the checks.
_DAMAGE = {
    "empty metadata": (lambda m, w, o: m.write_text(""), "metadata", r"is empty \(0 bytes\)"),
    "truncated metadata": (
        lambda m, w, o: m.write_bytes(m.read_bytes()[:60]),
        "metadata",
        r"is not valid JSON, truncated or damaged \(.*char \d+\)\)",
    ),
    "metadata not UTF-8": (lambda m, w, o: m.write_bytes(b'{"epoch": 1\xff}'), "metadata", r"is not valid JSON, truncated or damaged \('utf-8' codec can't decode byte 0xff .*\)"),
    "metadata an array": (lambda m, w, o: m.write_text("[1, 2]"), "metadata", r"must hold a JSON object\. Received: a JSON array \[1, 2\]"),
    "epoch a string": (
        _rewrite_metadata(lambda c: c.update(epoch="x")),
        "metadata",
        r"must give `epoch` as a whole number >= 0\. Received: epoch='x'",
    ),
    "epoch missing": (_rewrite_metadata(lambda c: c.pop("epoch")), "metadata", r"must give `epoch` as a whole number >= 0\. Received: epoch=None"),
    "negative epoch": (_rewrite_metadata(lambda c: c.update(epoch=-1)), "metadata", r"must give `epoch` as a whole number >= 0\. Received: epoch=-1"),
    "history a string": (
        _rewrite_metadata(lambda c: c.update(history="bad")),
        "metadata",
        r"must give `history` as \{log name: \[numbers\]\}\. Received: history='bad'",
    ),
    "history of strings": (_rewrite_metadata(lambda c: c.update(history={"loss": ["x"]})), "metadata", r"must give `history` as \{log name: \[numbers\]\}\. Received: history=\{'loss': \['x'\]\}"),
    "history longer than the epochs": (
        _rewrite_metadata(lambda c: c.update(history={"loss": [1.0, 0.5]})),
        "metadata",
        r"holds more `history` values than completed epochs\. Received: epoch=1, 2 values of 'loss'",
    ),
    "steps not counts": (_rewrite_metadata(lambda c: c.update(steps={"optimizer": 2.5})), "metadata", r"must give `steps` as \{optimizer: whole number >= 0\}\. Received: steps=\{'optimizer': 2\.5\}"),
    "weights out of the folder": (
        _rewrite_metadata(lambda c: c.update(weights="../outside.weights.h5")),
        "metadata",
        r"must name one of backup-a\.weights\.h5, backup-b\.weights\.h5, latest\.weights\.h5 as `weights`\. "
        r"Received: weights='\.\./outside\.weights\.h5'",
    ),
    "weights an absolute path": (
        lambda m, w, o: _rewrite_metadata(lambda c: c.update(weights=str(o)))(m, w, o),
        "metadata",
        r"must name one of backup-a\.weights\.h5, backup-b\.weights\.h5, latest\.weights\.h5 as `weights`\. Received: weights='/.*/outside\.weights\.h5'",
    ),
    "slot missing": (lambda m, w, o: w.unlink(), "weights", r"is missing: it holds the weights that go with training_metadata\.json"),
    "slot a link out of the folder": (_link_to_outside, "weights", r"is not a regular file \(a backup holds its own weights, never a link or folder\)"),
    "empty weights": (lambda m, w, o: w.write_bytes(b""), "weights", r"is empty \(0 bytes\)"),
    "truncated weights": (
        lambda m, w, o: w.write_bytes(w.read_bytes()[:5000]),
        "weights",
        r"is not a readable HDF5 weights file, truncated or damaged \(.*truncated file: eof = 5000.*\)",
    ),
    "weights not HDF5": (lambda m, w, o: w.write_text("not weights"), "weights", r"is not a readable HDF5 weights file, truncated or damaged \(.*file signature not found\)\)"),
    "NaN weights": (
        lambda m, w, o: _set_nan(w, "layers/dense/vars/0"),
        "weights",
        r"holds NaN or infinite values \(a diverged state\) in layers/dense/vars/0",
    ),
    "NaN optimizer state": (
        lambda m, w, o: (_set_nan(w, "layers/dense/vars/1"), _set_nan(w, "optimizer/vars/1")),
        "weights",
        r"holds NaN or infinite values \(a diverged state\) in layers/dense/vars/1 and 1 more",
    ),
    "Keras metadata without its weights": (
        lambda m, w, o: (m.write_text('{"epoch": 1, "batch": 0}'), w.unlink()),
        "latest.weights.h5",
        r"is missing: it holds the weights that go with training_metadata\.json",
    ),
}


@pytest.mark.parametrize("case", list(_DAMAGE))
def test_a_damaged_backup_is_refused_naming_the_file_and_left_as_it_is(case, tmp_path):
    backup_dir = tmp_path / "backup"
    metadata, weights = _good_backup(backup_dir)
    outside = tmp_path / "outside.weights.h5"
    _tiny_model().save_weights(outside)  # a good weights file, but not the backup's
    damage, damaged, problem = _DAMAGE[case]
    damage(metadata, weights, outside)
    leftover = backup_dir / ".tmp-1-abcdefgh.weights.h5"  # as a killed writer leaves it
    leftover.write_bytes(b"torn")
    before = {name: os.readlink(backup_dir / name) if os.path.islink(backup_dir / name) else (backup_dir / name).read_bytes() for name in os.listdir(backup_dir)}

    model = _tiny_model()
    model.optimizer.build(model.trainable_variables)
    initial = model.get_weights()
    backup = AtomicBackupAndRestore(backup_dir, delete_checkpoint=False)
    backup.set_model(model)
    with pytest.raises(ValueError) as caught:
        backup.on_train_begin()
    path = {"metadata": metadata, "weights": weights}.get(damaged, backup_dir / damaged)
    message = str(caught.value)
    assert re.fullmatch(
        rf"Cannot restore the backup in {re.escape(str(backup_dir))}: {re.escape(str(path))} {problem}\. "
        rf"Remove {re.escape(str(backup_dir))} to train afresh; nothing in it was changed\.",
        message,
    ), message
    assert "\n" not in message
    assert isinstance(caught.value, atomic_backup.DamagedBackupError) and caught.value.path == str(path)
    # Nothing restored, nothing removed or rewritten (the killed writer's leftover included).
    for got, want in zip(model.get_weights(), initial):
        np.testing.assert_array_equal(got, want)
    assert backup.restored_epoch == 0 and not model._initial_epoch and int(model.optimizer.iterations) == 0
    after = {name: os.readlink(backup_dir / name) if os.path.islink(backup_dir / name) else (backup_dir / name).read_bytes() for name in os.listdir(backup_dir)}
    assert after == before


def test_read_metadata_checks_the_metadata_and_names_keras_weights(tmp_path):
    assert AtomicBackupAndRestore.read_metadata(tmp_path) is None
    (tmp_path / atomic_backup.METADATA).write_text('{"epoch": 3, "batch": 0}')  # Keras's own callback's format
    assert AtomicBackupAndRestore.read_metadata(tmp_path) == {"epoch": 3, "batch": 0, "weights": "latest.weights.h5"}
    (tmp_path / atomic_backup.METADATA).write_text('{"epoch": true}')
    with pytest.raises(atomic_backup.DamagedBackupError, match=r"training_metadata\.json must give `epoch` as a whole number >= 0\. Received: epoch=True\. Remove "):
        AtomicBackupAndRestore.read_metadata(tmp_path)


def test_a_good_backup_with_a_killed_writers_leftover_still_restores(tmp_path):
    _, weights = _good_backup(tmp_path)
    dead = 2**22 + 12345  # above the default pid_max: no such process
    leftover = tmp_path / f".tmp-{dead}-abcdefgh.weights.h5"
    leftover.write_bytes(b"torn")
    # What is not a killed writer's is kept (the rule of
    # atomic_files.sweep_temporaries): the file a second, live process is
    # writing into the same folder (here the parent's pid, and this
    # process's own), and a `.tmp-` file that write_atomically did not name.
    kept = [f".tmp-{os.getppid()}-abcdefgh.weights.h5", f".tmp-{os.getpid()}-abcdefgh.json", ".tmp-notes.txt"]
    for name in kept:
        (tmp_path / name).write_bytes(b"in progress")
    restored, backup = _tiny_model(), AtomicBackupAndRestore(tmp_path, delete_checkpoint=False)
    backup.set_model(restored)
    backup.on_train_begin()
    assert backup.restored_epoch == 1 and not leftover.exists()
    assert sorted(name for name in os.listdir(tmp_path) if name.startswith(".tmp-")) == sorted(kept)
    with h5py.File(weights, "r") as stored:
        np.testing.assert_array_equal(restored.layers[0].kernel.numpy(), stored["layers/dense/vars/0"][()])


@pytest.mark.slow
def test_kfreqgan_train_refuses_a_nan_backup_in_one_line_and_keeps_the_run(tmp_path, capsys):
    assert train.main(_argv(tmp_path, epochs=1)) == 0
    backup_dir = tmp_path / "backup" / "worker-0"
    metadata = AtomicBackupAndRestore.read_metadata(backup_dir)
    _set_nan(backup_dir / metadata["weights"], "generator/layers/conv2d/vars/0")
    def kept():
        # The backup and the outputs; not logs/ (TensorBoard) or run_config.json (the latest start's configuration).
        return {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "logs" not in p.parts and p.name != "run_config.json"}

    before = kept()
    assert {p.name for p in before} >= {metadata["weights"], "training_metadata.json", "generator.keras", "freqgan.keras", "metrics.json"}
    capsys.readouterr()
    assert train.main(_argv(tmp_path)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"kfreqgan-train: error: Cannot restore the backup in {backup_dir}: {backup_dir / metadata['weights']} holds NaN or "
        f"infinite values (a diverged state) in generator/layers/conv2d/vars/0. Remove {backup_dir} to train afresh; nothing in it was changed."
    ]
    assert kept() == before
