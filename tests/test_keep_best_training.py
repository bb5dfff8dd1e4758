"""`kfreqgan-train` with `keep_best`: the run scores `validation_photos` every
epoch, writes the best epoch's generator, and keeps that choice across a
resumed sitting. The config keys are checked before anything loads."""

import json
import os

import keras
import numpy as np
import pytest

from kfreqgan.training import configs
from kfreqgan.training import train
from tiny_configs import KEEP_BEST_TINY

pytest.importorskip("skimage")

# Bundled photos: no registry packages needed. Motorcycle validates, the
# other three train.
TINY = dict(KEEP_BEST_TINY, patches_per_photo=8, generator_lr=2e-2)  # a large rate, so that the epochs differ


def test_validation_keys_are_checked():
    heldout, trained = "mate-backgrounds/FreshFlower", "mate-backgrounds/Aqua"  # release 1's split
    good = configs.get_config("dehaze-v4", {"validation_photos": [trained], "keep_best": "ssim"})
    assert good["validation_photos"] == [trained]
    # A release-2 config may choose its epoch on release 3's train photos,
    # which it never trains on (a control for dehaze-v6 on less data).
    later = configs.get_config("dehaze-v6", {"catalogue_release": 2})
    assert later["validation_photos"] == configs.get_config("dehaze-v6")["validation_photos"]
    for overrides, match in (
        ({"validation_photos": [heldout], "keep_best": "psnr"}, "held-out photos are the test set"),
        ({"validation_photos": ["mate-backgrounds/NoSuchPhoto"], "keep_best": "psnr"}, "not in the photo catalogue"),
        ({"validation_photos": ["kphotoalbum/pool"], "keep_best": "psnr"}, "held-out photos are the test set"),
        ({"validation_photos": [trained, trained], "keep_best": "psnr"}, "twice"),
        ({"validation_photos": ["chelsea"], "keep_best": "psnr"}, "trained on"),
        ({"validation_photos": ["astronaut"], "keep_best": "psnr"}, "held out"),
        ({"validation_photos": [trained]}, "needs `keep_best`"),
        ({"keep_best": "psnr"}, "validation_photos` is empty|which is empty"),
        ({"keep_best": "loss", "validation_photos": [trained]}, "keep_best"),
        ({"validation_patches_per_photo": 0}, "validation_patches_per_photo"),
        ({"keep_best_min_delta": -0.5, "validation_photos": [trained], "keep_best": "psnr"}, "keep_best_min_delta"),
        ({"keep_best_min_delta": float("nan"), "validation_photos": [trained], "keep_best": "psnr"}, "keep_best_min_delta"),
        ({"keep_best_min_delta": 0.5}, "keep_best_min_delta` is the margin"),
    ):
        with pytest.raises(ValueError, match=match):
            configs.get_config("dehaze-v4", overrides)
    with pytest.raises(ValueError, match="catalogue"):
        configs.get_config("dehaze-v2", {"photo_catalogue": False, "validation_photos": [trained], "keep_best": "psnr"})


def test_the_run_writes_the_best_epoch_and_keeps_it_when_resumed(tmp_path):
    import tensorflow as tf

    out = str(tmp_path / "run")
    config = configs.get_config("dehaze-v2", dict(TINY, epochs=3))
    result = train.train(config, out, tf.distribute.get_strategy(), verbose=0)
    chosen = result["validation"]
    scores = result["history"]["val_psnr"]
    assert len(scores) == 3 and chosen["photos"] == ["motorcycle"] and chosen["examples"] == 2
    assert chosen["selected_epoch"] == int(np.argmax(scores)) + 1
    assert chosen["selected_scores"]["val_psnr"] == pytest.approx(max(scores), abs=1e-4)
    # generator.keras is the selected epoch's generator: it scores what the
    # record says on the validation pairs.
    hazy, clean = train.validation_pairs(config)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    psnr = tf.image.psnr(np.clip(generator.predict(hazy, verbose=0), 0, 1), clean, 1.0).numpy().mean()
    assert psnr == pytest.approx(max(scores), abs=1e-3)
    assert json.load(open(os.path.join(out, "metrics.json")))["validation"]["selected_epoch"] == chosen["selected_epoch"]

    # A second sitting (two more epochs) resumes from the backup and keeps
    # the first sitting's best unless it beats it.
    again = train.train(configs.get_config("dehaze-v2", dict(TINY, epochs=5)), out, tf.distribute.get_strategy(), verbose=0)
    all_scores = again["history"]["val_psnr"]
    assert len(all_scores) == 5 and all_scores[:3] == pytest.approx(scores)
    assert again["validation"]["selected_epoch"] == int(np.argmax(all_scores)) + 1
    # The sitting scored its starting weights (epoch 3, as recorded) first.
    sitting = again["validation"]["scores_this_sitting"]
    assert sitting["epoch"] == [3, 4, 5] and sitting["val_psnr"][0] == pytest.approx(scores[2], abs=1e-4)
    # The same generator built again (other automatic layer names) is the
    # same function: its record's scores stand.
    assert "rescored_from" not in again["validation"]

    # A folder whose backup is gone but whose choice is still there: refused
    # before training, nothing written.
    import shutil

    shutil.rmtree(os.path.join(out, "backup"))
    before = sorted(os.listdir(out))
    with pytest.raises(ValueError, match="earlier run's epoch choice"):
        train.train(configs.get_config("dehaze-v2", dict(TINY, epochs=1)), out, tf.distribute.get_strategy(), verbose=0)
    assert sorted(os.listdir(out)) == before


def test_a_sitting_that_changes_a_weightless_option_scores_the_kept_epoch_again(tmp_path):
    # The kept epoch's score is the generator's it writes: a continuation
    # with a grey airlight (the v5 change, no epoch left to train) scores
    # the kept weights again under it, and metrics.json says so.
    import tensorflow as tf

    out = str(tmp_path / "run")
    first = train.train(configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, epochs=1)), out, tf.distribute.get_strategy(), verbose=0)
    config = configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, epochs=1, grey_airlight=True))
    bound = train.train(config, out, tf.distribute.get_strategy(), verbose=0)
    hazy, clean = train.validation_pairs(config)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    psnr = tf.image.psnr(np.clip(generator.predict(hazy, verbose=0), 0, 1), clean, 1.0).numpy().mean()
    chosen, before = bound["validation"], first["validation"]["selected_scores"]["val_psnr"]
    assert chosen["selected_epoch"] == 1 and chosen["selected_scores"]["val_psnr"] == pytest.approx(psnr, abs=1e-3)
    assert chosen["rescored_from"]["score"] == pytest.approx(before) and abs(psnr - before) > 1e-3
    # With keep_best_restore=False (the last epoch, here the same weights) the
    # score is the written generator's under this function too, not the
    # history's of the first sitting's.
    settings = dict(KEEP_BEST_TINY, epochs=1, grey_airlight=True, keep_best_restore=False)
    last = train.train(configs.get_config("dehaze-v2", settings), out, tf.distribute.get_strategy(), verbose=0)
    assert last["validation"]["selected_epoch"] == 1 and not last["validation"]["restored"]
    assert last["validation"]["selected_scores"]["val_psnr"] == pytest.approx(psnr, abs=1e-3)


def test_training_leaves_catalogue_validation_photos_out(monkeypatch):
    from kfreqgan.data import photo_sources
    from kfreqgan.data import whole_photos

    photos = {photo.key: photo for photo in photo_sources.CATALOGUE}
    train_split = [photos["mate-backgrounds/Aqua"], photos["mate-backgrounds/Blinds"], photos["mate-backgrounds/Dune"]]
    monkeypatch.setattr(train, "catalogue_split", lambda config: {"train": train_split, "heldout": []})
    # As if the packages were installed (the tests do not need them).
    monkeypatch.setattr(
        photo_sources, "installed_photos",
        lambda packages=None, root="/", release=None: [p for p in photo_sources.CATALOGUE if p.package in packages],
    )
    loaded = []
    real_load = whole_photos.load_photos

    def load(catalogue_photos=(), bundled_names=(), max_side=384):
        loaded.append([photo.key for photo in catalogue_photos])
        rng = np.random.default_rng(len(loaded))
        names, images = real_load((), bundled_names, max_side)
        fakes = [rng.uniform(0, 1, (96, 128, 3)).astype(np.float32) for _ in catalogue_photos]
        return [photo.key for photo in catalogue_photos] + names, fakes + images

    monkeypatch.setattr(whole_photos, "load_photos", load)
    config = configs.get_config(
        "dehaze-v2",
        dict(TINY, photo_catalogue=True, train_photos=["chelsea"], eval_photos=["astronaut"],
             validation_photos=["mate-backgrounds/Blinds", "motorcycle"]),
    )
    train.dehazing_data(config, config["batch_size"])
    assert loaded[0] == ["mate-backgrounds/Aqua", "mate-backgrounds/Dune"]  # trained on
    hazy, clean = train.validation_pairs(config)
    assert loaded[-1] == ["mate-backgrounds/Blinds"] and len(clean) == 2 * 2  # and motorcycle, bundled
