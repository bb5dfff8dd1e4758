"""`learning_rate_drops`: a step schedule of both learning rates as a config
key (`training.configs.learning_rates`), followed by `kfreqgan-train` epoch
by epoch and across a continuation from the backup."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kfreqgan.training import configs
from kfreqgan.training import train
from tiny_configs import DEHAZE_V2_TINY


def test_rates_drop_after_each_named_epoch_and_compound():
    config = configs.get_config("dehaze-v2", {"epochs": 30, "learning_rate_drops": [[12, 0.3], [20, 0.5]]})
    g, d = config["generator_lr"], config["discriminator_lr"]
    expected = {0: 1.0, 11: 1.0, 12: 0.3, 19: 0.3, 20: 0.15, 29: 0.15}  # epoch counted from 0, as Keras counts
    for epoch, factor in expected.items():
        assert configs.learning_rates(config, epoch) == pytest.approx((g * factor, d * factor), rel=1e-12)
    off = configs.get_config("dehaze-v2")
    assert off["learning_rate_drops"] is None and configs.learning_rates(off, 100) == (off["generator_lr"], off["discriminator_lr"])
    older = {key: value for key, value in off.items() if key != "learning_rate_drops"}  # an older run folder's config
    assert configs.learning_rates(older, 5) == (off["generator_lr"], off["discriminator_lr"])
    assert configs.get_config("dcgan-32", {"epochs": 4, "learning_rate_drops": [[2, 0.1]]})["learning_rate_drops"] == [[2, 0.1]]


@pytest.mark.parametrize(
    "drops, match",
    [
        ([], "None or a list of \\[epoch, factor\\] pairs"),
        ({12: 0.3}, "expects NoneType|None or a list"),
        ([12, 0.3], "must hold \\[epoch, factor\\] pairs"),
        ([[12, 0.3, 1]], "must hold \\[epoch, factor\\] pairs"),
        ([[0, 0.3]], "each in 1 .. epochs - 1 = 19"),
        ([[20, 0.3]], "each in 1 .. epochs - 1 = 19"),  # after the last epoch: does nothing
        ([[12, 0.3], [12, 0.5]], "increase"),
        ([[12, 0.3], [5, 0.5]], "increase"),
        ([[12.0, 0.3]], "must be integers"),
        ([[True, 0.3]], "must be integers"),
        ([[12, 0.0]], "finite numbers > 0"),
        ([[12, -0.3]], "finite numbers > 0"),
        ([[12, float("nan")]], "finite numbers > 0"),
        ([[12, 10**400]], "finite numbers > 0"),
        ([[12, "0.3"]], "finite numbers > 0"),
        ([[12, True]], "finite numbers > 0"),
    ],
)
def test_bad_drops_are_refused_by_name(drops, match):
    with pytest.raises(ValueError, match=match) as error:
        configs.get_config("dehaze-v2", {"epochs": 20, "learning_rate_drops": drops})
    assert "learning_rate_drops" in str(error.value)


def test_numpy_epochs_and_factors_are_taken():
    config = configs.get_config("dehaze-v2", {"epochs": 20, "learning_rate_drops": [[np.int64(4), np.float32(0.5)]]})
    assert configs.learning_rates(config, 4)[0] == pytest.approx(config["generator_lr"] * 0.5)


class _RatesSeen(keras.callbacks.Callback):
    """The rates both optimizers hold at each epoch's first step."""

    def __init__(self):
        super().__init__()
        self.rates, self._epoch = {}, None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            gan = self.model
            self.rates[self._epoch] = (
                float(gan.generator_optimizer.learning_rate.numpy()),
                float(gan.discriminator_optimizer.learning_rate.numpy()),
            )


def test_training_follows_the_schedule_and_a_continuation_keeps_it(tmp_path):
    strategy = tf.distribute.get_strategy()
    drops = [[1, 0.5], [2, 0.2]]
    base = dict(DEHAZE_V2_TINY, generator_lr=1e-3, discriminator_lr=4e-4)
    seen = _RatesSeen()
    train.train(configs.get_config("dehaze-v2", dict(base, epochs=3, learning_rate_drops=drops)), tmp_path / "one", strategy, verbose=0, callbacks=[seen])
    expected = {0: (1e-3, 4e-4), 1: (5e-4, 2e-4), 2: (1e-4, 4e-5)}
    assert sorted(seen.rates) == sorted(expected)
    for epoch, rates in expected.items():
        assert seen.rates[epoch] == pytest.approx(rates, rel=1e-6)

    # Two sittings: the second continues the backup at epoch 2 and sets that
    # epoch's rates, not the backup's (epoch 1's) nor the undropped ones.
    out = tmp_path / "two"
    train.train(configs.get_config("dehaze-v2", dict(base, epochs=2, learning_rate_drops=drops[:1])), out, strategy, verbose=0)
    seen = _RatesSeen()
    result = train.train(configs.get_config("dehaze-v2", dict(base, epochs=3, learning_rate_drops=drops)), out, strategy, verbose=0, callbacks=[seen])
    assert result["resumed_from_epoch"] == 2
    assert list(seen.rates) == [2] and seen.rates[2] == pytest.approx((1e-4, 4e-5), rel=1e-6)


def test_v16_drops_its_rates_to_v3s_after_epoch_12():
    v3, v16 = configs.get_config("dehaze-v3"), configs.get_config("dehaze-v16")
    assert v16["learning_rate_drops"] == [[12, 0.3]]
    assert configs.learning_rates(v16, 11) == (5e-4, 2e-4)
    assert configs.learning_rates(v16, 12) == pytest.approx((v3["generator_lr"], v3["discriminator_lr"]))
