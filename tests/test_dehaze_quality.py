"""bench/dehaze_quality.py on a tiny folder of pairs: every contender scored,
the numbers are the ones the metrics give, the montage and record written."""

import importlib.util
import json
import os

import keras
import numpy as np
import tensorflow as tf

BENCH = os.path.join(os.path.dirname(__file__), "..", "bench", "dehaze_quality.py")


def _load_bench():
    spec = importlib.util.spec_from_file_location("dehaze_quality", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pairs_folder_with_a_whole_image_candidate(tmp_path):
    from kfreqgan.data import make_hazy_pairs
    from kfreqgan.data import photo_patches
    from kfreqgan.models import coherent_dehazer

    bench = _load_bench()
    hazy_dir, clear_dir, out = tmp_path / "hazy", tmp_path / "clear", tmp_path / "out"
    hazy_dir.mkdir()
    clear_dir.mkdir()
    clean = photo_patches(["astronaut"], 48, 2, seed=0)
    hazy, _ = make_hazy_pairs(clean, 1)
    for index in range(2):
        for folder, image, name in ((clear_dir, clean[index], f"{index}.png"), (hazy_dir, hazy[index], f"{index}_0.8_0.1.png")):
            tf.io.write_file(str(folder / name), tf.io.encode_png(tf.cast(tf.round(image * 255), tf.uint8)))
    keras.utils.set_random_seed(0)
    model_path = str(tmp_path / "v2.keras")
    coherent_dehazer(coarse_size=32, filters=4).save(model_path)

    assert bench.main(["--pairs", str(hazy_dir), str(clear_dir), "--model", model_path, "--out", str(out)]) == 0
    record = json.load(open(out / "results.json"))
    assert record["pairs"] == 2
    methods = ["hazy input", "DCP", "DCP + guided filter", "kfreqgan shipped", "candidate"]
    assert list(record["summary"]) == methods
    for method in methods:
        assert record["summary"][method]["real"]["count"] == 2
        assert record["summary"][method]["seconds_per_megapixel"] >= 0
    # The hazy input's score is the metric of the files as read back.
    from kfreqgan.data import load_image

    expected = np.mean(
        [
            float(tf.image.psnr(load_image(str(clear_dir / f"{i}.png")), load_image(str(hazy_dir / f"{i}_0.8_0.1.png")), 1.0))
            for i in range(2)
        ]
    )
    np.testing.assert_allclose(record["summary"]["hazy input"]["all"]["psnr"], expected, rtol=1e-5)
    montage = tf.io.decode_png(tf.io.read_file(str(out / "montage.png"))).numpy()
    assert montage.shape[0] > 100 and montage.shape[1] > 5 * 100  # 2 rows; 5 columns
