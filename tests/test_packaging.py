"""Installation layout: `training` and `export` live under `kfreqgan.` only."""

import importlib.metadata
import os
import subprocess
import sys


def test_no_bare_top_level_training_or_export_module(tmp_path):
    # Run from an empty folder so that the repository root is not on sys.path.
    code = (
        "import importlib.util, kfreqgan.training, kfreqgan.export;"
        "assert importlib.util.find_spec('training') is None, 'bare training module installed';"
        "assert importlib.util.find_spec('export') is None, 'bare export module installed';"
        "print(kfreqgan.training.__name__, kfreqgan.export.__name__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["kfreqgan.training", "kfreqgan.export"]


def test_console_script_and_version_are_declared():
    distribution = importlib.metadata.distribution("kfreqgan")
    scripts = {entry.name: entry.value for entry in distribution.entry_points if entry.group == "console_scripts"}
    assert scripts["kfreqgan-demo"] == "kfreqgan.training.demo:main"
    import kfreqgan

    assert kfreqgan.__version__ == distribution.version


def test_the_wheel_holds_every_subpackage_and_the_shipped_weights(wheel):
    """An editable install hides a package missing from pyproject's list; a wheel does not
    (the `wheel` fixture builds it from a copy of the sources)."""
    import pathlib
    import zipfile

    root = pathlib.Path(__file__).resolve().parents[1]
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"kfreqgan/{p.relative_to(root / 'kfreqgan').as_posix()}" for p in (root / "kfreqgan").rglob("__init__.py")}
    expected |= {"kfreqgan/training/__init__.py", "kfreqgan/export/__init__.py"}
    assert expected <= names, sorted(expected - names)
    assert {"kfreqgan/pretrained/dehazer.weights.npz", "kfreqgan/pretrained/dehazer.json"} <= names
    assert not any(name.startswith(("training/", "export/", "tests/", "bench/")) for name in names)
