"""Installs that work (#17 item 1): the wheel in a fresh virtual environment,
without extras (every command's main path; TFLite names the extra before
writing anything) and with the `export` extra (TFLite).

Installing TensorFlow from PyPI into each fresh venv would cost minutes and
~600 MB, so the fresh venv sees the third-party packages of the environment
running the tests through a folder of symlinks (one per installed
distribution), minus kfreqgan itself (editable finder, metadata) and minus the
extra's packages; the wheel is installed into it with `pip --no-deps
--no-index`. The dependency *list* is checked separately against the wheel's
metadata, so a core dependency missing from pyproject fails here too.
"""

import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import zipfile

import numpy as np
import pytest

EXTRA_PACKAGES = {"export": ("ai_edge_litert",)}


def _requirements(wheel):
    """(core, extras) requirement names from the wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(name).decode().splitlines()
    core, extras = set(), {}
    for line in lines:
        if line.startswith("Requires-Dist:"):
            requirement = line.split(":", 1)[1].strip()
            package = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", requirement)
            (extras.setdefault(extra.group(1), set()) if extra else core).add(package)
    return core, extras


def _fresh_venv(tmp_path, name, wheel, hide):
    """A venv with the wheel installed, seeing this environment's packages except kfreqgan and `hide`."""
    site = pathlib.Path(sysconfig.get_paths()["purelib"])
    farm = tmp_path / f"{name}-site"
    farm.mkdir()
    for entry in site.iterdir():
        lowered = entry.name.lower()
        if lowered.startswith(("kfreqgan", "__editable__", "_kfreqgan")) or entry.suffix == ".pth":
            continue
        if any(lowered == module or lowered.startswith(module + "-") for module in hide):
            continue
        (farm / entry.name).symlink_to(entry)
    venv = tmp_path / name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (pathlib.Path(purelib) / "parent_packages.pth").write_text(f"{farm}\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return venv / "bin"


def _run(bin_dir, command, *args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL")}
    return subprocess.run([str(bin_dir / command), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _photos(folder, count, seed):
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(seed)
    for index in range(count):
        coarse = rng.random((4, 5, 3))
        image = np.kron(coarse, np.ones((8, 8, 1)))[:32, :36]
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(folder / f"{index}.png")


@pytest.mark.slow
def test_the_wheel_declares_what_every_command_imports(wheel):
    core, extras = _requirements(wheel)
    assert {"tensorflow", "keras", "pillow", "scikit-image", "scikit-learn", "tensorflow-serving-api"} <= core
    assert extras["export"] == {"ai-edge-litert"}
    assert "ai-edge-litert" not in core


@pytest.mark.slow
def test_plain_install_runs_every_command_and_tflite_names_the_extra(wheel, tmp_path):
    bin_dir = _fresh_venv(tmp_path, "plain", wheel, hide=EXTRA_PACKAGES["export"])
    work = tmp_path / "work"
    work.mkdir()
    _photos(work / "a", 3, 0)
    _photos(work / "b", 3, 1)

    no_litert = subprocess.run([str(bin_dir / "python"), "-c", "import ai_edge_litert"], capture_output=True, cwd=work)
    assert no_litert.returncode != 0  # the extra really is missing here
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import kfreqgan, sys; print(kfreqgan.__file__)"], capture_output=True, text=True, cwd=work
    )
    assert where.returncode == 0 and str(bin_dir.parent) in where.stdout, where.stdout + where.stderr  # the wheel, not the checkout

    result = _run(bin_dir, "kfreqgan-dehaze", "a", "--out", "dehazed", cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(os.listdir(work / "dehazed")) >= ["0.png", "1.png", "2.png"]
    result = _run(bin_dir, "kfreqgan-spectrum", "a", "b", "--out", "spectrum", cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    result = _run(bin_dir, "kfreqgan-export", "pretrained:dehazer", "--out", "serving", cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / "serving" / "dehazer" / "1" / "saved_model.pb").exists()
    settings = ["--set", "patches_per_photo=2", "--set", "eval_patches_per_photo=1", "--set", "batch_size=4"]
    settings += ["--set", "generator_filters=4", "--set", "discriminator_filters=4"]
    result = _run(bin_dir, "kfreqgan-train", "--config", "dehaze-demo", "--epochs", "1", "--out", "run", "--quiet", *settings, cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / "run" / "generator.keras").exists()
    # TFLite without the extra: one line naming the install, nothing written.
    result = _run(bin_dir, "kfreqgan-export", "pretrained:dehazer", "--out", "tflite_out", "--image-size", "32", cwd=work)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        'kfreqgan-export: error: TFLite export (--formats tflite) needs ai-edge-litert, which is not installed: '
        'pip install "kfreqgan[export]"'
    )
    assert not (work / "tflite_out").exists()


@pytest.mark.slow
def test_install_with_the_export_extra_writes_tflite(wheel, tmp_path):
    bin_dir = _fresh_venv(tmp_path, "export", wheel, hide=())
    work = tmp_path / "work"
    work.mkdir()
    result = _run(
        bin_dir, "kfreqgan-export", "pretrained:dehazer", "--out", "serving", "--image-size", "32", "--variants", "float32",
        cwd=work,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / "serving" / "tflite" / "dehazer" / "1" / "dehazer_float32.tflite").exists()
    assert not re.search(r"^[IWE]\d{4} ", result.stderr, re.M), result.stderr[-2000:]
