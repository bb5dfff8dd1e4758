"""The quick-start demo on real bundled photos: files written, numbers right."""

import json
import math
import os
import subprocess
import sys

import pytest

from kfreqgan.training import spectral_demo as demo


@pytest.mark.slow
def test_demo_writes_plot_and_report_with_the_expected_spectral_signatures(tmp_path):
    report = demo.run(str(tmp_path), size=64, photos=("astronaut", "coffee", "china"))
    png = tmp_path / "spectral_demo.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert json.loads((tmp_path / "spectral_demo.json").read_text()) == json.loads(json.dumps(report))
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tmp-")]

    sets = report["sets"]
    # Haze with t = 0.55 scales every non-DC frequency by 0.55: -5.19 dB.
    haze = sets["haze (t 0.55, A 0.9)"]["mean_gap_db_by_band"]
    for band in ("mid", "high"):
        assert haze[band] == pytest.approx(20 * math.log10(0.55), abs=0.01)
    # Blur and down-sampling remove high frequencies, noise adds them.
    assert sets["blur (sigma 1.5 px)"]["mean_gap_db_by_band"]["high"] < -5
    assert sets["down x4 + bilinear up"]["mean_gap_db_by_band"]["high"] < -5
    assert sets["noise (sigma 0.05)"]["mean_gap_db_by_band"]["high"] > 0.3
    for entry in sets.values():
        assert sum(entry["band_energy_fraction_without_dc"].values()) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.slow
def test_demo_command_line_runs_and_rejects_bad_arguments(tmp_path, capsys):
    command = [sys.executable, "-m", "kfreqgan.training.spectral_demo", "--out", str(tmp_path), "--size", "32"]
    result = subprocess.run(command + ["--photos", "rocket", "flower"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "haze" in result.stdout and (tmp_path / "spectral_demo.png").exists()
    # Bad arguments, in-process (argparse exits with status 2).
    from kfreqgan.training import spectral_demo

    for argv, message in ((["--photos", "nope"], "invalid choice"), (["--size", "4"], "argument --size: must be an integer >= 16. Received: '4'")):
        with pytest.raises(SystemExit) as exit_info:
            spectral_demo.main(["--out", str(tmp_path)] + argv)
        assert exit_info.value.code != 0 and message in capsys.readouterr().err
