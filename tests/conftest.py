"""Shared fixtures. TensorFlow is imported once per session; keep models tiny."""

import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property-based tests: by default the same examples on every run, so that a
# CI failure reproduces, and a failure prints a blob to replay it with
# @reproduce_failure. HYPOTHESIS_PROFILE=explore draws new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Two logical CPU devices, so that tf.distribute tests can mirror over them.
# This must happen before TensorFlow initialises its devices.
_CPUS = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _CPUS[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


@pytest.fixture(scope="session")
def load_bench():
    """`load_bench(name)`: the script `bench/<name>.py` as a module."""
    import importlib.util

    folder = os.path.join(os.path.dirname(__file__), "..", "bench")

    def load(name):
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def bundled_photos_only(monkeypatch):
    """The synthetic held-out and training sets without the registry
    catalogue (as on a machine without `make dehazer-data`): the bundled
    photos only, so that a bench's tests take the same seconds everywhere."""
    from kfreqgan.data import photo_sources

    def not_installed(*args, **kwargs):
        raise FileNotFoundError("the photo catalogue is left out in these tests.")

    monkeypatch.setattr(photo_sources, "installed_photos", not_installed)


@pytest.fixture(scope="session")
def photos_64():
    """Six real photos (bundled with scikit-image / scikit-learn) at 64x64 RGB."""
    from kfreqgan.data import center_crop
    from kfreqgan.data import load_photo

    names = ("astronaut", "coffee", "chelsea", "rocket", "china", "flower")
    return np.stack([center_crop(load_photo(name), 64) for name in names])


@pytest.fixture(scope="session")
def photos_32(photos_64):
    return tf.image.resize(photos_64, (32, 32), method="area", antialias=True).numpy()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the two logical CPUs, shared by all tests
    (separate instances in one process can collide on collective keys)."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


@pytest.fixture(scope="session")
def generator():
    """A tiny frequency-aware U-Net dehazer (32x32 RGB, random weights) for
    the export tests."""
    import keras

    from kfreqgan.models import unet_generator

    keras.utils.set_random_seed(5)
    return unet_generator((32, 32, 3), filters=4, depth=2)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The kfreqgan wheel, built once per session (for the packaging and
    fresh-install tests).

    Built from a copy of the sources, so that a stale build/ folder in the
    checkout cannot leak into (or fill gaps in) the wheel, and the build
    writes nothing into the checkout; with this environment's build backend
    (`--no-build-isolation`: nothing is downloaded).
    """
    import pathlib
    import shutil
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    for name in ("kfreqgan", "training", "export"):
        shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(folder), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (built,) = folder.glob("kfreqgan-*.whl")
    return built

# The suite builds thousands of Keras models and TF graphs: Python's cycle
# collector, run every 700 allocations over every object alive (TensorFlow's
# and Keras's modules included), cost time in every test: the objects alive
# now (the imports) are left out of it, and it runs less often (test_layers
# with test_models, one process: 1% and 11% faster in two paired runs).
gc.freeze()
gc.set_threshold(50000, 20, 20)
