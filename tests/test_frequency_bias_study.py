"""The frequency-bias study's scoring (`kfreqgan.analysis.carrier_scores`,
used by bench/frequency_bias_study.py).

The study's numbers in BENCHMARKS.md rest on three things tested here: the
high versions are scored on the same content as the low one (demodulated to
baseband), a perfect generator scores zero while a wrong one does not, and
the paired per-seed comparison is the plain difference of the runs. The
study script's own bookkeeping (variant names, resuming from its runs file)
is tested by loading the script from its path, not through `sys.path`.
"""

import functools
import importlib.util
import json
import os

import numpy as np
import pytest

from kfreqgan.analysis.carrier_scores import baseband
from kfreqgan.analysis.carrier_scores import carrier_scores
from kfreqgan.analysis.carrier_scores import paired_differences
from kfreqgan.data import carriers

@functools.lru_cache(maxsize=None)
def _study():
    """bench/frequency_bias_study.py as a module (it is a script, not part of the package)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "frequency_bias_study.py")
    spec = importlib.util.spec_from_file_location("frequency_bias_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BANDWIDTH = _study().BANDWIDTH  # the study's content band


def score(real, fake, carrier):
    return carrier_scores(real, fake, carrier, BANDWIDTH)

CARRIERS = [(0.25, 0.25), (0.1875, 0.3125)]


@pytest.fixture(scope="module")
def low_set():
    return carriers.carrier_dataset((0.0, 0.0), size=32, bandwidth=BANDWIDTH, per_photo=16, seed=3)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_high_versions_are_scored_on_the_low_versions_content(low_set, carrier):
    high = carriers.modulate(low_set, carrier).numpy()
    # Not exact: the patches are clipped to [0, 1] after band-limiting, and
    # the little content that clipping puts near the corners of the spectrum
    # folds into the band on demodulation (measured: < 1e-3).
    np.testing.assert_allclose(baseband(high, carrier, BANDWIDTH), baseband(low_set, (0.0, 0.0), BANDWIDTH), atol=2e-3)


@pytest.mark.parametrize("carrier", [(0.0, 0.0)] + CARRIERS)
def test_a_perfect_generator_scores_zero_and_a_wrong_one_does_not(low_set, carrier):
    real = carriers.modulate(low_set, carrier).numpy() if carrier != (0.0, 0.0) else low_set
    perfect = score(real, real, carrier)
    assert perfect == pytest.approx({"band_error_db": 0.0, "spectral_distance_db": 0.0, "pixel_w1": 0.0}, abs=1e-6)
    # Right band, half the contrast: every measure sees it.
    weak = 0.5 + 0.5 * (real - 0.5)
    wrong = score(real, weak, carrier)
    assert wrong["band_error_db"] > 2.0 and wrong["spectral_distance_db"] > 2.0 and wrong["pixel_w1"] > 0.01


def test_paired_differences_are_per_seed():
    results = {
        "a": [{"band_error_db": 3.0}, {"band_error_db": 2.0}, {"band_error_db": 4.0}],
        "b": [{"band_error_db": 1.0}, {"band_error_db": 2.5}, {"band_error_db": 1.0}],
    }
    comparison = paired_differences([r["band_error_db"] for r in results["a"]], [r["band_error_db"] for r in results["b"]])
    assert _study().paired(results, "a", "b") == comparison  # the study compares through it
    assert comparison["per_seed"] == [2.0, -0.5, 3.0]
    assert comparison["positive"] == 2 and comparison["n"] == 3
    assert comparison["mean"] == pytest.approx(1.5)
    assert 0.0 < comparison["p"] < 1.0


@pytest.mark.parametrize("a, b", [([3.0], [1.0, 2.5, 1.0]), ([3.0], [1.0]), ([3.0, 2.0], [1.0, 2.0, 3.0])])
def test_paired_differences_need_equally_many_seeds(a, b):
    # One value against three broadcast into three "seeds"; one seed gave NaN.
    with pytest.raises(ValueError, match=r"equally long sequences of one measure, two seeds or more\. Received: a\.shape="):
        paired_differences(a, b)


def test_variants_pair_each_carrier_with_its_shifted_generator():
    variants = _study().variant_names(CARRIERS)
    assert variants["low"] == ((0.0, 0.0), None)
    assert variants["high (0.1875, 0.3125)"] == ((0.1875, 0.3125), None)
    assert variants["high (0.1875, 0.3125) + FrequencyShift"] == ((0.1875, 0.3125), (0.1875, 0.3125))
    assert len(variants) == 5


def test_finished_runs_are_read_back_only_for_the_same_setup(tmp_path):
    read_runs = _study().read_runs
    setup = {"epochs": 80, "snapshots": 6, "filters": 16}
    path = tmp_path / "runs.jsonl"
    scores = {"band_error_db": 2.5, "spectral_distance_db": 1.5, "pixel_w1": 0.03}
    path.write_text(json.dumps({"seed": 3, "variant": "low", "setup": setup, "scores": scores}) + "\n\n")
    assert read_runs(str(path), setup) == {(3, "low"): scores}
    assert read_runs(str(tmp_path / "missing.jsonl"), setup) == {}
    with pytest.raises(SystemExit, match="line 1: a run with another setup"):
        read_runs(str(path), {**setup, "epochs": 20})
