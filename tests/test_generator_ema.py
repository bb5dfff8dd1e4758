"""`generator_ema`: `kfreqgan-train` keeps a moving average of the
generator's weights; the run's generator is the average (with `keep_best`,
the best epoch's average), training goes on with the raw weights."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.training import configs
from kfreqgan.training import package_dehazer
from kfreqgan.training import train
from tiny_configs import DEHAZE_V2_TINY
from tiny_configs import KEEP_BEST_TINY

pytest.importorskip("skimage")


def test_the_momentum_is_checked():
    assert configs.get_config("dehaze-v2", {"generator_ema": 0.995})["generator_ema"] == 0.995
    assert configs.get_config("dcgan-32", {"generator_ema": 0.9})["generator_ema"] == 0.9
    for bad in (0, 1, 1.5, -0.1, True, "0.9", float("nan")):
        with pytest.raises(ValueError, match="generator_ema"):
            configs.get_config("dehaze-v2", {"generator_ema": bad})


class _RawWeights(keras.callbacks.Callback):
    """The generator's trainable weights after every step."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([variable.numpy() for variable in self.model.generator.trainable_variables])


def _moving_average(steps, momentum):
    """The average by its definition: the first step's weights, then
    average <- momentum * average + (1 - momentum) * weights after each step."""
    average = steps[0]
    for weights in steps[1:]:
        average = [momentum * a + (1 - momentum) * w for a, w in zip(average, weights)]
    return average


def _trainable(model):
    return [variable.numpy() for variable in model.trainable_variables]


@pytest.mark.parametrize("mirrored", [False, True])
def test_the_generator_is_the_moving_average_of_the_steps(tmp_path, mirrored, request):
    momentum = 0.6
    strategy = request.getfixturevalue("mirrored_strategy") if mirrored else tf.distribute.get_strategy()
    # Under MirroredStrategy over two CPUs the global batch is twice the size: 1 step an epoch.
    config = configs.get_config("dehaze-v2", dict(DEHAZE_V2_TINY, epochs=3 if mirrored else 2, generator_ema=momentum, generator_lr=1e-2))
    raw = _RawWeights()
    out = str(tmp_path / "run")
    train.train(config, out, strategy, verbose=0, callbacks=[raw])
    assert len(raw.steps) == (3 if mirrored else 4)
    expected = _moving_average(raw.steps, momentum)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    for got, want, last in zip(_trainable(generator), expected, raw.steps[-1]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert any(np.abs(a - b).max() > 1e-4 for a, b in zip(_trainable(generator), raw.steps[-1]))
    # The GAN (to continue from) holds the raw weights.
    gan = keras.models.load_model(os.path.join(out, "freqgan.keras"), compile=False)
    for got, want in zip(_trainable(gan.generator), raw.steps[-1]):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_keep_best_keeps_the_best_average_and_training_goes_on_raw(tmp_path):
    config = configs.get_config(
        "dehaze-v2",
        dict(KEEP_BEST_TINY, patches_per_photo=8, epochs=3, generator_lr=2e-2, generator_ema=0.5),
    )
    raw = _RawWeights()
    out = str(tmp_path / "run")
    result = train.train(config, out, tf.distribute.get_strategy(), verbose=0, callbacks=[raw])
    chosen = result["validation"]
    # generator.keras scores what the record says, and it is an average, not
    # the raw weights at the end of that epoch.
    hazy, clean = train.validation_pairs(config)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    psnr = tf.image.psnr(np.clip(generator.predict(hazy, verbose=0), 0, 1), clean, 1.0).numpy().mean()
    assert psnr == pytest.approx(chosen["selected_scores"]["val_psnr"], abs=1e-3)
    steps_per_epoch = len(raw.steps) // 3
    end_of_epoch = raw.steps[steps_per_epoch * chosen["selected_epoch"] - 1]
    assert any(np.abs(a - b).max() > 1e-4 for a, b in zip(_trainable(generator), end_of_epoch))
    # Training went on from the raw weights: the backup and freqgan.keras hold them.
    gan = keras.models.load_model(os.path.join(out, "freqgan.keras"), compile=False)
    for got, want in zip(_trainable(gan.generator), raw.steps[-1]):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_switched_on_in_a_continuation_it_starts_with_a_new_generator_optimizer(tmp_path):
    # A backup without averages cannot fill an optimizer with them: Keras
    # skips the generator optimizer's state (with a warning), so its step
    # count and moments start afresh and the average starts at the
    # continuation's first step; the discriminator's state is restored.
    momentum = 0.6
    out = str(tmp_path / "run")
    strategy = tf.distribute.get_strategy()
    first = train.train(configs.get_config("dehaze-v2", dict(DEHAZE_V2_TINY, epochs=1)), out, strategy, verbose=0)
    # Switched on in a sitting with no epoch left to train, the new optimizer
    # took no step and holds no average: generator.keras stays the last
    # epoch's generator (it was the optimizer's zero-initialised slots).
    last = _trainable(keras.models.load_model(os.path.join(out, "generator.keras")))
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        train.train(configs.get_config("dehaze-v2", dict(DEHAZE_V2_TINY, epochs=1, generator_ema=momentum)), out, strategy, verbose=0)
    for got, want in zip(_trainable(keras.models.load_model(os.path.join(out, "generator.keras"))), last):
        np.testing.assert_array_equal(got, want)
    # Its metrics record the steps of the state it wrote (the backup's), so
    # the folder still reads as finished (package_dehazer, widen).
    metrics = package_dehazer.read_metrics(out)
    assert metrics["generator_steps"] == first["generator_steps"] > 0
    assert metrics["discriminator_steps"] == first["discriminator_steps"]
    raw = _RawWeights()
    config = dict(DEHAZE_V2_TINY, epochs=2, generator_ema=momentum, generator_lr=1e-2)
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        result = train.train(configs.get_config("dehaze-v2", config), out, strategy, verbose=0, callbacks=[raw])
    assert result["resumed_from_epoch"] == 1 and len(raw.steps) == 2
    assert result["generator_steps"] == 2 and result["discriminator_steps"] == first["discriminator_steps"] + 2
    expected = _moving_average(raw.steps, momentum)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    for got, want in zip(_trainable(generator), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("momentum", [None, 0.5])
def test_keep_best_restore_false_scores_every_epoch_and_writes_the_last(tmp_path, momentum):
    # keep_best_restore=False: the validation photos stay out of training and
    # every epoch is scored, but generator.keras is the last epoch's
    # generator (its moving average with generator_ema), not the best's.
    config = configs.get_config(
        "dehaze-v2",
        dict(KEEP_BEST_TINY, patches_per_photo=8, epochs=3, generator_lr=2e-2, generator_ema=momentum, keep_best_restore=False),
    )
    raw = _RawWeights()
    out = str(tmp_path / "run")
    result = train.train(config, out, tf.distribute.get_strategy(), verbose=0, callbacks=[raw])
    chosen = result["validation"]
    assert chosen["restored"] is False and chosen["selected_epoch"] == 3
    assert chosen["scores_this_sitting"]["epoch"] == [1, 2, 3]
    assert chosen["selected_scores"]["val_psnr"] == chosen["scores_this_sitting"]["val_psnr"][-1]
    assert result["history"]["val_psnr"] == chosen["scores_this_sitting"]["val_psnr"]
    expected = raw.steps[-1] if momentum is None else _moving_average(raw.steps, momentum)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    for got, want in zip(_trainable(generator), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    hazy, clean = train.validation_pairs(config)
    psnr = tf.image.psnr(np.clip(generator.predict(hazy, verbose=0), 0, 1), clean, 1.0).numpy().mean()
    assert psnr == pytest.approx(chosen["selected_scores"]["val_psnr"], abs=1e-3)
    # The best epoch is still kept in best/, and freqgan.keras holds the raw weights.
    assert chosen["best_epoch"] == 1 + int(np.argmax(chosen["scores_this_sitting"]["val_psnr"]))
    assert os.path.exists(os.path.join(out, "best", "worker-0", "best.json"))
    gan = keras.models.load_model(os.path.join(out, "freqgan.keras"), compile=False)
    for got, want in zip(_trainable(gan.generator), raw.steps[-1]):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_keep_best_restore_false_needs_keep_best():
    with pytest.raises(ValueError, match="keep_best_restore=False.*keep_best` is off"):
        configs.get_config("dehaze-v2", {"keep_best_restore": False})
    with pytest.raises(ValueError, match="keep_best_restore"):
        configs.get_config("dehaze-v2", dict(KEEP_BEST_TINY, keep_best_restore=1))


def test_keep_best_restore_false_after_a_finished_run_writes_its_last_average(tmp_path):
    # A run that kept its best epoch, started again with keep_best_restore=False
    # and nothing left to train, writes the last epoch's average from its backup.
    momentum = 0.5
    settings = dict(KEEP_BEST_TINY, patches_per_photo=8, epochs=2, generator_lr=2e-2, generator_ema=momentum)
    raw = _RawWeights()
    out = str(tmp_path / "run")
    strategy = tf.distribute.get_strategy()
    first = train.train(configs.get_config("dehaze-v2", settings), out, strategy, verbose=0, callbacks=[raw])
    again = train.train(configs.get_config("dehaze-v2", dict(settings, keep_best_restore=False)), out, strategy, verbose=0)
    expected = _moving_average(raw.steps, momentum)
    generator = keras.models.load_model(os.path.join(out, "generator.keras"))
    for got, want in zip(_trainable(generator), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert again["validation"]["selected_epoch"] == 2
    assert again["validation"]["selected_scores"]["val_psnr"] == first["history"]["val_psnr"][-1]
