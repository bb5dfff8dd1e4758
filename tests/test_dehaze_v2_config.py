"""The `dehaze-v2` training path: its config, and one tiny run of it on the
bundled photos (the registry catalogue is not needed)."""

import hashlib
import json
import os

import numpy as np
import pytest

from kfreqgan.training import configs
from kfreqgan.training import train
from tiny_configs import DEHAZE_V2_TINY

pytest.importorskip("skimage")


def test_config_values_are_checked():
    config = configs.get_config("dehaze-v2")
    assert config["generator_architecture"] == "coherent" and config["photo_catalogue"] is True
    assert not set(config["train_photos"]) & set(config["eval_photos"])
    for key, value, match in (
        ("generator_architecture", "transformer", "generator_architecture"),
        ("coarse_size", 0, "coarse_size"),
        ("guide_epsilon", 0.0, "guide_epsilon"),
        ("crop_range", [0.9, 0.5], "crop_range"),
        ("airlight_tint", -0.1, "airlight_tint"),
    ):
        with pytest.raises(ValueError, match=match):
            configs.get_config("dehaze-v2", {key: value})


def test_v3_is_v2_on_the_second_catalogue_release():
    from kfreqgan.data import photo_sources

    v2, v3 = configs.get_config("dehaze-v2"), configs.get_config("dehaze-v3")
    assert (v2["catalogue_release"], v3["catalogue_release"]) == (1, 2)
    changed = {key for key in v2 if v2[key] != v3[key]}
    assert changed == {"catalogue_release", "epochs", "generator_lr", "discriminator_lr"}
    for value in (0, photo_sources.LATEST_RELEASE + 1, True, 1.0):
        with pytest.raises(ValueError, match="catalogue_release"):
            configs.get_config("dehaze-v3", {"catalogue_release": value})


def test_v4_continues_v3_with_a_smoothness_prior_and_a_wider_guided_filter():
    v3, v4 = configs.get_config("dehaze-v3"), configs.get_config("dehaze-v4")
    changed = {key for key in v3 if v3[key] != v4[key]}
    assert changed == {"epochs", "guide_radius", "transmission_smoothness"}
    assert v4["epochs"] > v3["epochs"] and v3["transmission_smoothness"] == 0.0 < v4["transmission_smoothness"]
    # Neither change adds a weight, so a v3 run's backup restores into v4.
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    old = train.build_gan(configs.get_config("dehaze-v3", tiny))
    new = train.build_gan(configs.get_config("dehaze-v4", tiny))
    assert [w.shape for w in old.generator.weights] == [w.shape for w in new.generator.weights]
    assert "transmission_smoothness" in [layer.name for layer in new.generator.layers]
    with pytest.raises(ValueError, match="transmission_smoothness"):
        configs.get_config("dehaze-v4", {"transmission_smoothness": -1.0})


def test_v5_is_v4_with_a_grey_airlight_and_continues_a_v4_run(tmp_path):
    v4, v5 = configs.get_config("dehaze-v4"), configs.get_config("dehaze-v5")
    assert {key for key in v4 if v4[key] != v5[key]} == {"grey_airlight"}
    assert v4["grey_airlight"] is False and v5["grey_airlight"] is True
    # A v4 generator's weights file loads into v5's (by layer name, as a
    # backup restores), and v5's airlight is then v4's averaged over channels.
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    old = train.build_generator(configs.get_config("dehaze-v4", tiny))
    new = train.build_generator(configs.get_config("dehaze-v5", tiny))
    path = str(tmp_path / "v4.weights.h5")
    old.save_weights(path)
    new.load_weights(path)
    from kfreqgan.models.coherent_dehazer import transmission_model

    images = np.random.default_rng(0).uniform(0.2, 0.9, (1, 40, 40, 3)).astype(np.float32)
    a_old = transmission_model(old)(images)[1].numpy()
    a_new = transmission_model(new)(images)[1].numpy()
    np.testing.assert_allclose(a_new, np.repeat(a_old.mean(axis=-1, keepdims=True), 3, axis=-1), atol=1e-6)
    with pytest.raises(ValueError, match="grey_airlight"):
        configs.get_config("dehaze-v5", {"grey_airlight": 1})


def test_v6_continues_v5_on_release_3_and_selects_on_unseen_photos():
    from kfreqgan.data import photo_sources

    v5, v6 = configs.get_config("dehaze-v5"), configs.get_config("dehaze-v6")
    changed = {key for key in v5 if v5[key] != v6[key]}
    assert changed == {"catalogue_release", "validation_photos", "keep_best", "epochs", "generator_lr", "discriminator_lr"}
    assert v6["catalogue_release"] == 3 and v6["epochs"] > v5["epochs"] and v6["generator_lr"] < v5["generator_lr"]
    # The validation photos: the lowest-hash quarter of each scene of release
    # 3's train split, so none of them was trained on by v2 to v5 (releases 1
    # and 2) or by v6, and none is a held-out (test) photo.
    split = photo_sources.split_photos([photo for photo in photo_sources.CATALOGUE if photo.release <= 3])
    expected = []
    for scene in photo_sources.SCENES:
        group = sorted(
            (photo for photo in split["train"] if photo.release == 3 and photo.scene == scene),
            # split_photos' ranking, written out: the key's SHA-256, first 8 bytes.
            key=lambda photo: hashlib.sha256(photo.key.encode()).digest()[:8],
        )
        expected += [photo.key for photo in group[: round(len(group) / 4)]]
    assert sorted(v6["validation_photos"]) == sorted(expected)
    assert {photo.scene for photo in photo_sources.CATALOGUE if photo.key in expected} == set(photo_sources.SCENES)


def test_tiny_run_on_bundled_photos(tmp_path):
    # NumPy numbers, which the checks take (a scene weight of np.float32(3)
    # too): run_config.json failed to be written, after the data had loaded.
    overrides = dict(DEHAZE_V2_TINY, crop_range=[np.float32(side) for side in configs.get_config("dehaze-v2")["crop_range"]])
    overrides["frequency_aware"] = True  # v2 as it is: with the frequency parts the other tiny runs leave out
    config = configs.get_config("dehaze-v2", overrides)
    out = str(tmp_path / "run")
    import tensorflow as tf

    result = train.train(config, out, tf.distribute.get_strategy(), verbose=0)
    assert result["generator_steps"] == 2  # 4 photos x 4 crops / batch 8
    assert np.isfinite(result["history"]["g_frequency"]).all()  # the focal frequency loss trained
    held = result["held_out"]
    assert held["examples"] == len(config["eval_photos"])
    assert np.isfinite(held["dehazed"]["psnr"])
    for name in ("generator.keras", "freqgan.keras", "samples.png", "metrics.json"):
        assert os.path.exists(os.path.join(out, name))
    import keras

    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    assert generator(np.zeros((1, 37, 51, 3), np.float32)).shape == (1, 37, 51, 3)  # any size
    assert json.load(open(os.path.join(out, "metrics.json")))["config"]["generator_architecture"] == "coherent"
    assert json.load(open(os.path.join(out, train.RUN_CONFIG_FILE)))["crop_range"] == pytest.approx(config["crop_range"])


def test_v7_is_v6_with_the_haze_models_bound_and_loads_v6_weights():
    v6, v7 = configs.get_config("dehaze-v6"), configs.get_config("dehaze-v7")
    assert {key for key in v6 if v6[key] != v7[key]} == {"dark_channel_bound", "keep_best_min_delta"}
    assert v6["dark_channel_bound"] == 0.0 < v7["dark_channel_bound"] <= 1.0
    assert configs.coherent_dehazer_arguments(v7)["dark_channel_bound"] == v7["dark_channel_bound"]
    # The bound adds no weight and moves none: v6's generator fits v7's one
    # by one (as init_generator and a backup load them).
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    old = train.build_generator(configs.get_config("dehaze-v6", tiny))
    new = train.build_generator(configs.get_config("dehaze-v7", tiny))
    assert [v.path for v in old.weights] == [v.path for v in new.weights]
    assert "haze_bound" in [layer.name for layer in new.layers]
    for bad in (-0.5, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"`dark_channel_bound` must be a number in \[0, 1\]"):
            configs.get_config("dehaze-v7", {"dark_channel_bound": bad})
    with pytest.raises(ValueError, match="does not build. Received: dark_channel_bound=0.95, generator_architecture='unet'"):
        configs.get_config("dehaze-v7", {"generator_architecture": "unet"})


def test_rehazing_weight_reaches_the_gan_and_needs_a_haze_model():
    v7, v8 = configs.get_config("dehaze-v7"), configs.get_config("dehaze-v8")
    assert {key for key in v7 if v7[key] != v8[key]} == {"rehazing_weight", "keep_best_min_delta", "epochs"}
    assert v7["rehazing_weight"] == 0.0 < v8["rehazing_weight"]
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    gan = train.build_gan(configs.get_config("dehaze-v8", tiny))
    assert gan.rehazing_weight == v8["rehazing_weight"] and gan._scattering_view is not None
    # The U-Net's scattering head has a haze model too.
    assert train.build_gan(configs.get_config("dehaze-rgb-64", {"rehazing_weight": 5.0})).rehazing_weight == 5.0
    for overrides in ({"generator_head": "direct"}, {"generator_head": "residual"}):
        with pytest.raises(ValueError, match="this config's generator has none"):
            configs.get_config("dehaze-rgb-64", {"rehazing_weight": 5.0, **overrides})
    with pytest.raises(ValueError, match="`rehazing_weight` must be"):
        configs.get_config("dehaze-v8", {"rehazing_weight": -1.0})
    with pytest.raises(ValueError, match="has no key 'rehazing_weight'"):
        configs.get_config("dcgan-32", {"rehazing_weight": 1.0})
    # Its options at weight 0 would change nothing: refused, naming them.
    for overrides in ({"rehazing_weighting": "haze"}, {"rehazing_target": "airlight"}):
        with pytest.raises(ValueError, match=f"shapes the re-hazing loss, which is off.*Received: rehazing_weight=0.0, {next(iter(overrides))}"):
            configs.get_config("dehaze-v7", overrides)
    with pytest.raises(ValueError, match="`rehazing_weighting` and `rehazing_target` shape the re-hazing loss"):
        configs.get_config("dehaze-v8-haze", {"rehazing_weight": 0.0, "rehazing_target": "airlight"})
    assert configs.get_config("dehaze-v8-haze")["rehazing_weighting"] == "haze"


def test_the_v8_variants_change_only_the_rehazing_options_and_reach_the_gan():
    v8 = configs.get_config("dehaze-v8")
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    for name, changed in (
        ("dehaze-v8-haze", {"rehazing_weighting": "haze", "rehazing_weight": 600.0}),
        ("dehaze-v8-airlight", {"rehazing_target": "airlight"}),
    ):
        variant = configs.get_config(name)
        assert {key: variant[key] for key in variant if variant[key] != v8[key]} == changed
        gan = train.build_gan(configs.get_config(name, tiny))
        assert (gan.rehazing_weight, gan.rehazing_weighting, gan.rehazing_target) == (
            variant["rehazing_weight"],
            variant["rehazing_weighting"],
            variant["rehazing_target"],
        )
    assert (v8["rehazing_weighting"], v8["rehazing_target"]) == ("uniform", "both")
    # A run folder's config from before the keys builds what it built then.
    old = {key: value for key, value in configs.get_config("dehaze-v8", tiny).items() if key not in ("rehazing_weighting", "rehazing_target")}
    gan = train.build_gan(old)
    assert (gan.rehazing_weighting, gan.rehazing_target) == ("uniform", "both")
    for key, value in (("rehazing_weighting", "strength"), ("rehazing_target", "transmission")):
        with pytest.raises(ValueError, match=f"`{key}` must be one of"):
            configs.get_config("dehaze-v8", {key: value})


def test_bright_bound_is_a_weightless_option_of_the_dark_channel_bound():
    v7 = configs.get_config("dehaze-v7")
    assert v7["bright_bound"] is False and configs.coherent_dehazer_arguments(v7)["bright_bound"] is False
    on = configs.get_config("dehaze-v7", {"bright_bound": True})
    assert configs.coherent_dehazer_arguments(on)["bright_bound"] is True
    # An older run folder's config, from before the key: no bright bound.
    older = {key: value for key, value in on.items() if key != "bright_bound"}
    assert configs.coherent_dehazer_arguments(older)["bright_bound"] is False
    tiny = {"coarse_size": 32, "generator_filters": 4, "image_size": 64, "discriminator_filters": 4}
    plain = train.build_generator(configs.get_config("dehaze-v7", tiny))
    bright = train.build_generator(configs.get_config("dehaze-v7", dict(tiny, bright_bound=True)))
    assert [v.path for v in plain.weights] == [v.path for v in bright.weights]
    assert bright.get_layer("haze_bound").bright and not plain.get_layer("haze_bound").bright
    with pytest.raises(ValueError, match=r"`dark_channel_bound` is off. Received: bright_bound=True, dark_channel_bound=0\.0"):
        configs.get_config("dehaze-v6", {"bright_bound": True})
    with pytest.raises(ValueError, match="bright_bound"):
        configs.get_config("dehaze-v7", {"bright_bound": 1})
