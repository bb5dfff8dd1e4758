"""Quiet, fast commands (#17 item 5): `--help` and usage errors import no
TensorFlow, and a normal run prints none of TensorFlow's C++ log lines."""

import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

COMMANDS = ("kfreqgan-demo", "kfreqgan-train", "kfreqgan-spectrum", "kfreqgan-export", "kfreqgan-dehaze")
TF_LOG_LINE = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog", re.MULTILINE)

# Runs a console script the way its pip-generated wrapper does (argv[0] is
# the command's name), with `import tensorflow` made to fail.
_BLOCKED = """
import importlib.metadata, sys
sys.modules["tensorflow"] = None
sys.argv = sys.argv[1:]
(entry,) = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == sys.argv[0]]
main = entry.load()
try:
    status = main()
except SystemExit as exit:
    status = exit.code
assert "tensorflow" not in sys.modules or sys.modules["tensorflow"] is None
assert not [m for m in sys.modules if m.startswith(("keras", "tensorflow."))], "keras or TensorFlow was imported"
sys.exit(status)
"""


def _run_blocked(command, *args, cwd):
    return subprocess.run(
        [sys.executable, "-c", _BLOCKED, command, *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_the_commands_are_the_console_scripts():
    from kfreqgan._startup import COMMANDS as startup_commands

    scripts = {e.name for e in importlib.metadata.entry_points(group="console_scripts") if e.name.startswith("kfreqgan")}
    assert scripts == set(COMMANDS) == set(startup_commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_answers_without_tensorflow(command, tmp_path):
    result = _run_blocked(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"usage: {command}"), result.stdout[:200]
    assert "--debug" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_usage_errors_answer_without_tensorflow(command, tmp_path):
    result = _run_blocked(command, "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{command}: error: "), line
    assert "--no-such-flag" in line or "required" in line, line


def _script(command):
    path = pathlib.Path(sys.executable).with_name(command)
    if not path.exists():
        pytest.skip(f"{command} is not installed next to {sys.executable}")
    return str(path)


@pytest.mark.slow
def test_a_run_prints_no_tensorflow_log_lines_unless_debug(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((40, 56, 3)) * 255).astype(np.uint8)).save(tmp_path / "a.png")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    command = [_script("kfreqgan-dehaze"), str(tmp_path / "a.png"), "--out", str(tmp_path / "out")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out" / "a.png").exists()
    assert not TF_LOG_LINE.search(result.stderr), result.stderr[-3000:]
    # --debug shows them (nothing is hidden from someone debugging).
    debug = subprocess.run(command[:-1] + [str(tmp_path / "debug"), "--debug"], capture_output=True, text=True, timeout=300, env=env)
    assert debug.returncode == 0, debug.stderr[-3000:]
    assert TF_LOG_LINE.search(debug.stderr), debug.stderr[-3000:]
