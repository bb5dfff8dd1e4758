"""The error contract every command keeps (`kfreqgan.command_line`): one line
and exit status 2 for usage, input and OS errors, 130 with one line on
Ctrl-C, no traceback, nothing written before a bad configuration is refused."""

import errno
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import command_line
from kfreqgan.training import train
from kfreqgan.training.folder_lock import FolderLock
from tiny_configs import train_argv

PROGRAMS = {
    "kfreqgan-train": ("kfreqgan.training.train", []),
    "kfreqgan-demo": ("kfreqgan.training.demo", []),
    "kfreqgan-spectrum": ("kfreqgan.analysis.spectrum_cli", ["a", "b", "--out", "o"]),
    "kfreqgan-export": ("kfreqgan.export.cli", ["m.keras", "--out", "o"]),
    "kfreqgan-dehaze": ("kfreqgan.dehaze_cli", ["in", "--out", "o"]),
    "python -m kfreqgan.training.spectral_demo": ("kfreqgan.training.spectral_demo", []),
    "python -m kfreqgan.training.package_dehazer": ("kfreqgan.training.package_dehazer", ["run", "--quality", "q.json"]),
    "python -m kfreqgan.training.widen": ("kfreqgan.training.widen", ["run", "--config", "dehaze-v2", "--out", "o"]),
}
TINY = {
    "patches_per_photo": 8,
    "eval_patches_per_photo": 1,
    "batch_size": 8,
    "epochs": 1,
    "generator_filters": 4,
    "discriminator_filters": 4,
    "generator_depth": 1,
    "discriminator_layers": 1,
    "frequency_aware": False,
    "image_size": 16,
    "photo_short_side": 64,
}


def _train_argv(out, **overrides):
    return train_argv(out, {**TINY, **overrides})


def _error_lines(err):
    """stderr without TensorFlow's start-up logs."""
    return [line for line in err.splitlines() if line.strip() and not line.startswith(("I0000", "E0000", "W0000", "WARNING: All log"))]


# ---------------------------------------------------------------------------
# run_main itself


def _parser():
    parser = command_line.ArgumentParser(prog="prog")
    parser.add_argument("--n", type=int)
    return parser


@pytest.mark.parametrize(
    "error, line",
    [
        (ValueError("`x` must be positive. Received: x=-1"), "prog: error: `x` must be positive. Received: x=-1"),
        (ValueError("first line\nsecond line"), "prog: error: first line (more with --debug)"),
        (RuntimeError(), "prog: error: RuntimeError"),
        (OSError(errno.ENOSPC, "Can't write data (pages of HDF5 text)\n...", "/runs/x/backup-a.weights.h5"),
         "prog: error: No space left on device: /runs/x/backup-a.weights.h5"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/out"), "prog: error: Permission denied: /srv/out"),
        (OSError(errno.EROFS, "Read-only file system", "/mnt/ro/report.json"), "prog: error: Read-only file system: /mnt/ro/report.json"),
        (OSError(errno.ENOSPC, "file write failed"), "prog: error: No space left on device"),
    ],
)
def test_errors_are_one_line_with_status_2(capsys, error, line):
    def run(args):
        raise error

    assert command_line.run_main(_parser(), run, []) == 2
    captured = capsys.readouterr()
    assert captured.err == line + "\n" and captured.out == ""


def test_interrupt_is_one_line_with_status_130(capsys):
    def run(args):
        raise KeyboardInterrupt

    assert command_line.run_main(_parser(), run, []) == 130
    assert capsys.readouterr().err == "prog: interrupted\n"


def test_status_debug_and_usage(capsys):
    assert command_line.run_main(_parser(), lambda args: None, []) == 0
    assert command_line.run_main(_parser(), lambda args: command_line.EXIT_PARTIAL, []) == 1

    def run(args):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        command_line.run_main(_parser(), run, ["--debug"])
    with pytest.raises(SystemExit) as caught:
        command_line.run_main(_parser(), run, ["--n", "x"])
    assert caught.value.code == 2
    assert capsys.readouterr().err == "prog: error: argument --n: invalid int value: 'x'\n"  # no usage text


# ---------------------------------------------------------------------------
# Every program has the same shape


@pytest.mark.parametrize("prog", list(PROGRAMS))
def test_every_program_has_one_line_usage_errors_and_debug(prog, capsys):
    name, argv = PROGRAMS[prog]
    module = importlib.import_module(name)
    with pytest.raises(SystemExit) as caught:
        module.main(argv + ["--bogus-flag"])
    assert caught.value.code == 2
    assert capsys.readouterr().err == f"{prog}: error: unrecognized arguments: --bogus-flag\n"
    with pytest.raises(SystemExit) as caught:
        module.main(["--help"])
    assert caught.value.code == 0
    assert "--debug" in capsys.readouterr().out


@pytest.mark.parametrize("prog", list(PROGRAMS))
def test_every_program_answers_an_interrupt_with_one_line_and_130(prog, capsys, monkeypatch):
    name, argv = PROGRAMS[prog]
    module = importlib.import_module(name)

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_run", interrupted)
    assert module.main(argv) == 130
    captured = capsys.readouterr()
    assert captured.err == f"{prog}: interrupted\n"


@pytest.mark.parametrize("prog", list(PROGRAMS))
def test_every_program_refuses_an_out_under_a_file_before_any_work(prog, tmp_path, capsys, monkeypatch):
    """`--out photo.jpg/sub` can never be made: refused as a usage error
    when the command line is read (`command_line.output_folder`), not as a
    NotADirectoryError once the model or data has loaded."""
    name, argv = PROGRAMS[prog]
    module = importlib.import_module(name)

    def no_work(args):
        raise AssertionError("the program ran")

    monkeypatch.setattr(module, "_run", no_work)
    (tmp_path / "photo.jpg").write_text("mine")
    for out in (tmp_path / "photo.jpg" / "sub", tmp_path / "photo.jpg"):
        with pytest.raises(SystemExit) as caught:
            module.main(argv + ["--out", str(out)])
        assert caught.value.code == 2
        assert capsys.readouterr().err == (
            f"{prog}: error: argument --out: must be a folder, not a file or a path under one "
            f"({tmp_path / 'photo.jpg'} is not a folder). Received: {str(out)!r}\n"
        )
    assert os.listdir(tmp_path) == ["photo.jpg"] and (tmp_path / "photo.jpg").read_text() == "mine"
    # A symlink to nothing is named as one (kfreqgan-train said so itself, after its config checks).
    os.symlink(tmp_path / "gone", tmp_path / "link")
    with pytest.raises(SystemExit) as caught:
        module.main(argv + ["--out", str(tmp_path / "link")])
    assert caught.value.code == 2
    assert capsys.readouterr().err == (
        f"{prog}: error: argument --out: must be a folder, not a file or a path under one "
        f"({tmp_path / 'link'} is a symlink to nothing). Received: {str(tmp_path / 'link')!r}\n"
    )


# ---------------------------------------------------------------------------
# kfreqgan-train


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"task": "bogus"}, "kfreqgan-train: error: `task` must be one of 'dehaze', 'unconditional'. Received: task='bogus'"),
        ({"task": "unconditional"}, "kfreqgan-train: error: task='unconditional' needs the keys latent_dim"),
    ],
)
def test_a_bad_task_is_refused_before_anything_is_written(tmp_path, capsys, overrides, message):
    out = tmp_path / "run"
    assert train.main(_train_argv(out, **overrides)) == 2
    lines = _error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith(message)
    assert not out.exists()  # no data loaded, no event file, no lock


def test_a_second_run_into_the_same_out_is_locked_out(tmp_path, capsys):
    out = tmp_path / "run"
    with FolderLock(out, name="kfreqgan-train-worker-0"):
        assert train.main(_train_argv(out)) == 2
    lines = _error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and f"Another process (pid {os.getpid()}) is writing into {out}" in lines[0]
    assert os.listdir(out) == []  # the holder's lock is gone after release; the refused run wrote nothing


def test_full_disk_during_training_is_one_line(tmp_path, capsys, monkeypatch):
    from kfreqgan.callbacks import atomic_backup_and_restore

    def full(path, write, *args, **kwargs):
        raise OSError(errno.ENOSPC, "Can't synchronously write data (file write failed: ...)", path)

    monkeypatch.setattr(atomic_backup_and_restore, "write_atomically", full)
    assert train.main(_train_argv(tmp_path / "run")) == 2
    lines = _error_lines(capsys.readouterr().err)
    assert lines == [f"kfreqgan-train: error: No space left on device: {tmp_path / 'run' / 'backup' / 'worker-0' / 'backup-a.weights.h5'}"]
    assert not (tmp_path / "run" / ".kfreqgan-train-worker-0.lock").exists()


def _small_tmpfs(path):
    """A 3 MiB tmpfs at `path`, or None where mounting is not allowed (not root, containers)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return None
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(path)], capture_output=True)
    return path if result.returncode == 0 else None


def _console(name, argv, **kwargs):
    script = os.path.join(os.path.dirname(sys.executable), name)
    module = {"kfreqgan-train": "kfreqgan.training.train"}[name]
    command = [script] if os.path.exists(script) else [sys.executable, "-m", module]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command + argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
def test_a_really_full_disk_ends_in_one_line_not_a_crash(tmp_path):
    disk = _small_tmpfs(tmp_path / "disk")
    if disk is None:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        process = _console("kfreqgan-train", _train_argv(disk / "run", generator_filters=32, discriminator_filters=32, epochs=2))
        out, err = process.communicate(timeout=600)
        assert process.returncode == 2, err[-3000:]  # not 139 (h5py crashing at exit)
        lines = _error_lines(err)
        assert "Traceback" not in err and "Exception ignored" not in err
        assert len(lines) == 1 and lines[0].startswith("kfreqgan-train: error: No space left on device: "), lines
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
def test_ctrl_c_during_training_is_one_line_and_130(tmp_path):
    # So many epochs that training cannot end before the signal arrives: a
    # tiny epoch takes well under a second, and a parent slowed by a loaded
    # machine may read "Epoch 2/" from the pipe long after it was written
    # (with 50 epochs the run had once finished by then: exit 0, no signal).
    # As from a terminal: a pytest-xdist worker ignores SIGINT, and an ignored
    # SIGINT is inherited by the child (Python then keeps ignoring it).
    process = _console(
        "kfreqgan-train", _train_argv(tmp_path / "run", epochs=100000),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    seen = ""
    while "Epoch 2/" not in seen:  # well into training
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()[-3000:]
        seen += process.stdout.readline()
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    if process.returncode == -signal.SIGABRT:
        # Seen about 1 run in 5 in session 5 under a loaded `-n 2` run: glibc
        # aborted the child ("free(): invalid next size") while it unwound from
        # the interrupt. Not reproduced since (40 tries); training now defers
        # the interrupt to a point between steps (deferred_interrupts), the
        # suspected cause being a KeyboardInterrupt raised inside h5py's or
        # TensorFlow's own Python code. Kept visible as an xfail if it recurs.
        pytest.xfail(f"kfreqgan-train aborted natively on SIGINT: {err[-300:]}")
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert _error_lines(err) == ["kfreqgan-train: interrupted"]


# ---------------------------------------------------------------------------
# kfreqgan-spectrum


def test_the_spectrum_report_is_strict_json(tmp_path, capsys):
    from kfreqgan.analysis import spectrum_cli

    folder = tmp_path / "images"
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    for index, image in enumerate(pixels):
        tf.io.write_file(str(folder / f"{index}.png"), tf.io.encode_png(image))
    # The same set twice: zero error in every band, so the high/low error ratio is not a finite number.
    assert spectrum_cli.main([str(folder), str(folder), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.json").read_text()

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    report = json.loads(text, parse_constant=refuse)
    assert report["frequency_bias"]["high_to_low"] is None
    assert report["spectral_distance_db"] == 0.0


def test_spectrum_names_the_image_size_not_an_internal_argument(tmp_path, capsys):
    from kfreqgan.analysis import spectrum_cli

    folder = tmp_path / "tiny"
    folder.mkdir()
    for index in range(2):
        tf.io.write_file(str(folder / f"{index}.png"), tf.io.encode_png(np.zeros((1, 9, 3), np.uint8)))
    assert spectrum_cli.main([str(folder), str(folder), "--out", str(tmp_path / "report")]) == 2
    line = _error_lines(capsys.readouterr().err)[0]
    assert line.startswith("kfreqgan-spectrum: error: The images are 1x9 pixels: too small for a radial spectrum")
    assert "num_bins" not in line


def test_a_ctrl_c_swallowed_by_a_finalizer_still_stops_the_command(capsys):
    """Python ignores a KeyboardInterrupt raised in `__del__` (TensorFlow frees
    resources there): run_main remembers the Ctrl-C, and the next
    `raise_if_interrupted()` (after every training batch, before every image
    in kfreqgan-dehaze) stops the command with its one line and 130."""
    import gc

    from kfreqgan import command_line

    steps = []

    class Resource:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, in the finalizer

    def run(args):
        import sys

        hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: None
        try:
            Resource()
            gc.collect()
        finally:
            sys.unraisablehook = hook
        steps.append("still running")  # the interrupt was swallowed
        for _ in range(3):
            command_line.raise_if_interrupted()
            steps.append("one more step")
        return 0

    parser = command_line.ArgumentParser(prog="kfreqgan-test")
    # As in a terminal (a pytest-xdist worker ignores SIGINT; run_main leaves
    # an ignored SIGINT ignored, see the last check).
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert command_line.run_main(parser, run, []) == command_line.EXIT_INTERRUPTED
        assert steps == ["still running"]
        assert capsys.readouterr().err.strip().splitlines()[-1] == "kfreqgan-test: interrupted"
        # The next command starts afresh, with Python's own handler back afterwards.
        assert command_line.run_main(parser, lambda args: command_line.raise_if_interrupted(), []) == 0
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        # A SIGINT the parent made ignored (a background job) stays ignored.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        assert command_line.run_main(parser, lambda args: 0 if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else 3, []) == 0
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, outer)


def test_a_ctrl_c_in_a_deferred_block_is_raised_between_steps_not_inside_one(capsys):
    """Training runs in `deferred_interrupts()`: the signal is remembered, the
    step under way (a backup write, TensorFlow's own code) runs to its end, and
    the interrupt is raised at the next `raise_if_interrupted()` or when the
    block ends. Outside `run_main` Ctrl-C stays Python's own."""
    from kfreqgan import command_line

    def command(steps, poll):
        def run(args):
            with command_line.deferred_interrupts():
                os.kill(os.getpid(), signal.SIGINT)
                steps.append("step finished")  # not cut short by the signal
                if poll:
                    command_line.raise_if_interrupted()
                    steps.append("after the poll")
            steps.append("after the block")
            return 3

        return run

    parser = command_line.ArgumentParser(prog="kfreqgan-test")
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for poll in (True, False):
            steps = []
            assert command_line.run_main(parser, command(steps, poll), []) == command_line.EXIT_INTERRUPTED
            assert steps == ["step finished"]
            assert capsys.readouterr().err.strip().splitlines()[-1] == "kfreqgan-test: interrupted"
        # A second Ctrl-C is not deferred: a hanging step can still be stopped.
        def twice(args):
            with command_line.deferred_interrupts():
                os.kill(os.getpid(), signal.SIGINT)
                steps.append("after the first")
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler runs at the next bytecode, well before this line ends
                steps.append("after the second")
            return 3

        steps = []
        assert command_line.run_main(parser, twice, []) == command_line.EXIT_INTERRUPTED
        assert steps == ["after the first"]
        # The interrupted command leaves nothing behind: training later in the
        # same process (a notebook, a test run) is not stopped by its Ctrl-C.
        with command_line.deferred_interrupts():
            pass
        command_line.raise_if_interrupted()
        # Without run_main's handler the block defers nothing.
        steps = []
        with pytest.raises(KeyboardInterrupt):
            with command_line.deferred_interrupts():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
                steps.append("step finished")
        assert steps == []
    finally:
        signal.signal(signal.SIGINT, outer)


def test_errors_pass_through_the_interrupt_handling_as_one_line(capsys):
    """An error inside a command ends as its one line and 2, whatever the SIGINT handler."""
    from kfreqgan import command_line

    def fail(args):
        raise ValueError("bad input named here")

    parser = command_line.ArgumentParser(prog="kfreqgan-test")
    for handler in (signal.default_int_handler, signal.SIG_IGN):
        outer = signal.signal(signal.SIGINT, handler)
        try:
            assert command_line.run_main(parser, fail, []) == command_line.EXIT_ERROR
            assert capsys.readouterr().err.strip().splitlines()[-1] == "kfreqgan-test: error: bad input named here"
            assert signal.getsignal(signal.SIGINT) == handler
        finally:
            signal.signal(signal.SIGINT, outer)
