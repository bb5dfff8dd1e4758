"""Set comparisons, the frequency-bias measure, plots, the monitor, the CLI."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan.callbacks import SpectrumMonitor
from kfreqgan.analysis import compare_image_sets
from kfreqgan.analysis import frequency_bias
from kfreqgan.analysis import plot_band_errors
from kfreqgan.analysis import plot_radial_power
from kfreqgan.analysis import plot_spectra_2d
from kfreqgan.analysis import plot_spectral_evolution
from kfreqgan.analysis import set_spectrum
from kfreqgan.analysis import spectrum_cli
from kfreqgan.data import photo_patches


@pytest.fixture(scope="module")
def patches():
    """48 real 32x32 patches of the bundled training photos."""
    return photo_patches(("rocket", "chelsea", "motorcycle", "flower", "immunohistochemistry", "hubble_deep_field"), 32, 8, seed=3, short_side=96)


def blur(images, scale=0.12):
    return np.clip(spectral.band_filter(images, 0.0, scale, "gaussian").numpy(), 0, 1)


def test_set_spectrum_statistics(patches):
    stats = set_spectrum(patches, batch_size=20)  # several batches
    assert stats["log_power_db"].shape == (48, 16) and stats["mean_log_spectrum_db"].shape == (32, 32)
    np.testing.assert_allclose(stats["mean_db"], stats["log_power_db"].mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats["band_energy"].sum(axis=1), 1.0, atol=1e-5)
    # Natural images: power falls with frequency.
    assert stats["mean_db"][1] > stats["mean_db"][-1] + 10


def test_frequency_bias_is_zero_for_the_same_set_and_rises_for_blur(patches):
    same = frequency_bias(patches, patches)
    np.testing.assert_allclose(same["band_error_db"], 0.0, atol=1e-9)
    assert np.isnan(same["high_to_low"])  # 0 / 0: no bias, not an infinite one (it said inf)
    blurred = frequency_bias(patches, blur(patches))
    errors = blurred["band_error_db"]
    assert blurred["slope_db_per_cycle"] > 10 and blurred["high_to_low"] > 3
    assert errors[-1] > errors[0]
    # W1 of equal-size samples is the mean gap of the sorted values.
    rings = lambda x: 10 * np.log10(spectral.radial_power_profile(x, 8).numpy()[..., 0] + 1e-12)  # noqa: E731
    a, b = rings(patches), rings(blur(patches))
    np.testing.assert_allclose(errors, np.abs(np.sort(a, 0) - np.sort(b, 0)).mean(0), rtol=1e-4)


def test_compare_image_sets_report_is_json_and_signed(patches):
    report, arrays = compare_image_sets(patches, blur(patches))
    json.dumps(report)
    assert report["bands"]["high"]["mean_gap_db"] < -5 < report["bands"]["low"]["mean_gap_db"]
    assert report["spectral_distance_db"] > 3
    assert report["bands"]["high"]["fake_energy_share"][0] < report["bands"]["high"]["real_energy_share"][0]
    with pytest.raises(ValueError, match="same height"):
        compare_image_sets(patches, patches[:, :16, :16])
    with pytest.raises(ValueError, match="at least 2"):
        compare_image_sets(patches[:1], patches[:1])


def test_bands_may_be_a_list_of_pairs_as_the_models_take_them(patches):
    # A list of (low, high) pairs, as unet_generator and band_ranges take,
    # raised AttributeError: 'list' object has no attribute 'values'.
    pairs = [(0.0, 0.08), (0.08, 0.25), (0.25, None)]
    report, arrays = compare_image_sets(patches[:8], blur(patches[:8]), bands=pairs)
    named, _ = compare_image_sets(patches[:8], blur(patches[:8]))
    assert list(report["bands"]) == ["band_0", "band_1", "band_2"]
    assert [band["mean_gap_db"] for band in report["bands"].values()] == [band["mean_gap_db"] for band in named["bands"].values()]
    np.testing.assert_array_equal(set_spectrum(patches[:8], bands=pairs)["band_energy"], arrays["real"]["band_energy"])


def test_plots_render(patches, tmp_path):
    stats = set_spectrum(patches)
    figures = [
        plot_spectra_2d({"a": stats["mean_log_spectrum_db"], "b": stats["mean_log_spectrum_db"] - 3}),
        plot_band_errors(np.linspace(0.03, 0.47, 8), {"x": np.arange(8.0), "y": np.ones(8)}),
        plot_spectral_evolution([1, 2, 3], stats["frequencies"], np.random.default_rng(0).normal(size=(3, 16))),
        # Bands as the models take them, a list of pairs (AttributeError before).
        plot_radial_power(stats["frequencies"], {"a": stats["mean_db"], "b": stats["mean_db"] - 1}, bands=[(0.0, 0.1), (0.1, None)], reference="a"),
    ]
    for index, figure in enumerate(figures):
        path = tmp_path / f"{index}.png"
        figure.savefig(path)
        assert path.stat().st_size > 5000
    with pytest.raises(ValueError, match="shape"):
        plot_spectral_evolution([1, 2], stats["frequencies"], np.zeros((3, 16)))
    with pytest.raises(ValueError, match="one shape"):
        plot_spectra_2d({"a": np.zeros((4, 4)), "b": np.zeros((5, 5))})


def test_spectrum_monitor_records_history_and_writes_tensorboard(patches, tmp_path):
    from kfreqgan.models import FreqGAN
    from kfreqgan.models import dcgan_discriminator
    from kfreqgan.models import dcgan_generator

    keras.utils.set_random_seed(4)
    gan = FreqGAN(dcgan_generator(8, 32, 3, filters=4), dcgan_discriminator((32, 32, 3), filters=4), mode="unconditional")
    gan.compile()
    latent = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)
    monitor = SpectrumMonitor(patches[:12], latent, every_n_epochs=2, log_dir=str(tmp_path / "tb"))
    with pytest.raises(ValueError, match="no measurement"):
        monitor.plot_evolution()
    history = gan.fit(patches, batch_size=12, epochs=4, verbose=0, callbacks=[monitor])
    assert list(monitor.history["epochs"]) == [2, 4]
    assert monitor.history["gap_db"].shape == (2, 16)
    assert np.isfinite(monitor.history["distance_db"]).all()
    # 12 real + 6 generated images per measurement, in a positive time.
    assert monitor.history["images_per_second"].shape == (2,) and np.all(monitor.history["images_per_second"] > 0)
    # The distance also reaches the logs (and so History) at measured epochs.
    np.testing.assert_allclose(history.history["spectral_distance_db"], monitor.history["distance_db"], rtol=1e-6)
    assert any(name.startswith("events") for name in os.listdir(tmp_path / "tb"))
    monitor.plot_evolution().savefig(tmp_path / "evolution.png")
    with pytest.raises(ValueError, match="every_n_epochs"):
        SpectrumMonitor(patches, latent, every_n_epochs=0)


def _write_folder(directory, images):
    os.makedirs(directory, exist_ok=True)
    for index, image in enumerate(images):
        data = tf.io.encode_png(tf.cast(np.round(np.clip(image, 0, 1) * 255), tf.uint8))
        tf.io.write_file(os.path.join(directory, f"{index:03d}.png"), data)


def test_spectrum_cli_compares_two_folders(patches, tmp_path, capsys):
    _write_folder(tmp_path / "real", patches[:16])
    _write_folder(tmp_path / "fake", blur(patches[16:32]))
    out = tmp_path / "report"
    assert spectrum_cli.main([str(tmp_path / "real"), str(tmp_path / "fake"), "--out", str(out)]) == 0
    for name in ("radial.png", "spectra_2d.png", "bias.png", "report.json"):
        assert (out / name).stat().st_size > 0
    report = json.loads((out / "report.json").read_text())
    assert report["images"] == {"real": 16, "fake": 16, "shape": [32, 32, 3]}
    assert report["frequency_bias"]["slope_db_per_cycle"] > 0
    assert "frequency-bias slope" in capsys.readouterr().out


def test_spectrum_cli_errors_name_the_problem(patches, tmp_path, capsys):
    _write_folder(tmp_path / "real", patches[:4])
    _write_folder(tmp_path / "mixed", patches[:3])
    tf.io.write_file(str(tmp_path / "mixed" / "big.png"), tf.io.encode_png(tf.zeros((40, 40, 3), tf.uint8)))
    os.makedirs(tmp_path / "empty")
    cases = [
        ([str(tmp_path / "real"), str(tmp_path / "mixed")], "different sizes"),
        ([str(tmp_path / "real"), str(tmp_path / "empty")], "empty"),
        ([str(tmp_path / "real"), str(tmp_path / "nope.keras")], "Model file not found"),
        ([str(tmp_path / "missing"), str(tmp_path / "real")], "does not exist"),
    ]
    for argv, message in cases:
        assert spectrum_cli.main(argv + ["--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "out").exists()
    # --resize makes mixed sizes comparable.
    assert spectrum_cli.main([str(tmp_path / "real"), str(tmp_path / "mixed"), "--resize", "16", "--out", str(tmp_path / "out")]) == 0


def test_spectrum_cli_samples_a_saved_generator(patches, tmp_path):
    from kfreqgan.models import dcgan_generator

    keras.utils.set_random_seed(0)
    dcgan_generator(8, 32, 3, filters=4).save(tmp_path / "g.keras")
    _write_folder(tmp_path / "real", patches[:8])
    out = tmp_path / "report"
    argv = [str(tmp_path / "real"), str(tmp_path / "g.keras"), "--num-samples", "8", "--out", str(out)]
    assert spectrum_cli.main(argv) == 0
    assert json.loads((out / "report.json").read_text())["images"]["fake"] == 8
