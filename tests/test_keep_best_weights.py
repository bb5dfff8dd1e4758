"""`KeepBestWeights`: the kept epoch is the one that scores best on the
validation data (checked against a NumPy PSNR), its weights come back with
`restore()`, and a crash or a resumed run does not lose them."""

import json
import os

import keras
import numpy as np
import pytest

from kfreqgan.callbacks import KeepBestWeights
from kfreqgan.callbacks.keep_best_weights import RECORD


def _images(count=6, size=8, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.45, (count, size, size, 1)).astype(np.float32)


def _scale_model(start, gain=None):
    """`y = w x`, one weight; with `gain`, `y = gain w x` (a layer without
    weights: an option a continuation may change)."""
    inputs = keras.Input((8, 8, 1))
    layer = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer=keras.initializers.Constant(start), name="w")
    outputs = layer(inputs)
    if gain is not None:
        outputs = keras.layers.Rescaling(gain)(outputs)  # automatically named
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    return model


def _weight(model):
    return float(model.get_layer("w").kernel.numpy().ravel()[0])


def _psnr(w, x):
    """The slow, obvious reference: PSNR of clip(w x) against x, mean per image."""
    out = np.clip(w * x, 0.0, 1.0)
    mse = ((out - x) ** 2).reshape(len(x), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1.0 / mse)))


class _Weights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.values = []

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(_weight(self.model))


def _fit(model, keep, epochs, initial_epoch=0):
    # Trained towards y = 2x: w climbs from its start past 1, where the
    # validation targets (y = x) score best, and the score then falls.
    x = _images(32, seed=1)
    weights = _Weights()
    history = model.fit(
        x, 2.0 * x, batch_size=32, epochs=epochs, initial_epoch=initial_epoch, verbose=0, shuffle=False,
        callbacks=[keep, weights],
    )
    return history, weights.values


def test_keeps_the_epoch_that_scores_best_and_restores_it(tmp_path):
    x = _images()
    model = _scale_model(0.3)
    keep = KeepBestWeights((x, x), tmp_path / "best")
    history, ws = _fit(model, keep, epochs=12)
    expected = [_psnr(w, x) for w in ws]
    np.testing.assert_allclose(history.history["val_psnr"], expected, rtol=1e-4)
    assert "val_ssim" in history.history
    best = int(np.argmax(expected))
    assert 0 < best < len(ws) - 1  # the score rose, then fell: a real choice
    assert keep.best_epoch == best + 1
    record = json.load(open(tmp_path / "best" / RECORD))
    assert record["epoch"] == best + 1 and record["score"] == pytest.approx(expected[best], rel=1e-4)
    assert [name for name in os.listdir(tmp_path / "best") if name.endswith(".h5")] == [record["weights"]]
    assert _weight(model) == pytest.approx(ws[-1])
    assert keep.restore()["epoch"] == best + 1
    assert _weight(model) == pytest.approx(ws[best])


def test_a_sub_model_is_kept(tmp_path):
    x = _images()
    inner = _scale_model(0.3)
    outer = keras.Model(inner.inputs, inner.outputs)  # stands in for a GAN holding a generator
    outer.generator = inner
    outer.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    keep = KeepBestWeights((x, x), tmp_path / "best", keep="generator")
    _, ws = _fit(outer, keep, epochs=8)
    inner.get_layer("w").kernel.assign(np.zeros((1, 1, 1, 1), np.float32))
    keep.restore()
    assert _weight(inner) == pytest.approx(ws[keep.best_epoch - 1])
    with pytest.raises(ValueError, match="keep='discriminator'"):
        _fit(outer, KeepBestWeights((x, x), tmp_path / "other", keep="discriminator"), epochs=1)


def test_a_resumed_run_keeps_the_best_of_both_sittings(tmp_path):
    x = _images()
    model = _scale_model(0.3)
    _, first = _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=12)
    best_first = int(np.argmax([_psnr(w, x) for w in first])) + 1
    # The second sitting goes on from w > 1, where every epoch is worse.
    again = KeepBestWeights((x, x), tmp_path / "best")
    _, second = _fit(model, again, epochs=16, initial_epoch=12)
    # It scores its starting weights (epoch 12) again, then epochs 13-16.
    assert again.best_epoch == best_first and again.history["epoch"] == list(range(12, 17))
    again.restore()
    assert _weight(model) == pytest.approx(first[best_first - 1])


@pytest.mark.parametrize("gain, more", [(1.05, 2), (0.5, 2), (0.5, 0)])
def test_a_continuation_under_another_function_scores_the_kept_weights_again(tmp_path, gain, more):
    x = _images()
    model = _scale_model(0.3, gain=1.0)
    _, first = _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=12)
    before = json.load(open(tmp_path / "best" / RECORD))
    # The next sitting changes the option without weights: the backup's
    # weights in a model built anew with another gain (no epoch to train
    # with more=0, as a continuation that only changes the option).
    changed = _scale_model(0.3, gain=gain)
    changed.set_weights(model.get_weights())
    again = KeepBestWeights((x, x), tmp_path / "best")
    _, second = _fit(changed, again, epochs=12 + more, initial_epoch=12)
    weights = {before["epoch"]: first[before["epoch"] - 1], **({12: first[-1]} if more else {}), **dict(zip(range(13, 13 + more), second))}
    scores = {epoch: _psnr(gain * w, x) for epoch, w in weights.items()}  # all under the new function
    if more:
        # The training weights were put back before the sitting scored them.
        assert again.history["epoch"][0] == 12 and again.history["val_psnr"][0] == pytest.approx(scores[12], rel=1e-4)
    best = max(scores, key=scores.get)
    assert again.best_epoch == best and again.best == pytest.approx(scores[best], rel=1e-4)
    record = json.load(open(tmp_path / "best" / RECORD))
    assert record["epoch"] == best and record["score"] == pytest.approx(scores[best], rel=1e-4)
    if best == before["epoch"]:
        assert record["rescored"] == {"function": before["function"], "score": before["score"]}
        assert record["function"] != before["function"]
    again.restore()
    assert _weight(changed) == pytest.approx(weights[best])
    if gain == 1.05:
        assert best == before["epoch"]  # a real rescoring of a kept epoch that stays


def test_the_function_fingerprint_ignores_weights_and_names(tmp_path):
    from kfreqgan.callbacks.keep_best_weights import function_fingerprint

    first = function_fingerprint(_scale_model(0.3, gain=0.5))
    keras.layers.Rescaling(2.0)  # takes an automatic name: the next model's differ
    assert function_fingerprint(_scale_model(0.7, gain=0.5)) == first
    assert function_fingerprint(_scale_model(0.3, gain=0.6)) != first
    inputs = keras.Input((8, 8, 1))
    policies = [
        function_fingerprint(keras.Model(inputs, keras.layers.Rescaling(0.5, dtype=dtype)(inputs)))
        for dtype in ("float32", "mixed_float16", "float32")
    ]
    assert policies[0] == policies[2] != policies[1]  # a dtype policy changes the function


def test_a_record_that_names_no_function_is_scored_again(tmp_path):
    # A record of a version that did not write the field: its score counts as
    # unknown, scored again once (same function here: the same score).
    x = _images()
    model = _scale_model(0.3)
    _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=2)
    record = json.load(open(tmp_path / "best" / RECORD))
    del record["function"]
    (tmp_path / "best" / RECORD).write_text(json.dumps(record))
    _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=2, initial_epoch=2)  # no epoch to train
    again = json.load(open(tmp_path / "best" / RECORD))
    assert again["function"] is not None and again["score"] == pytest.approx(record["score"], rel=1e-5)
    assert again["rescored"] == {"function": None, "score": record["score"]}


def test_kept_weights_that_score_nan_under_the_new_function_are_dropped(tmp_path):
    x = _images()
    model = _scale_model(0.3, gain=1.0)
    _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=2)
    changed = _scale_model(0.3, gain=float("inf"))
    changed.set_weights(model.get_weights())
    keep = KeepBestWeights((x, x), tmp_path / "best")
    _fit(changed, keep, epochs=2, initial_epoch=2)
    assert keep.best is None and keep.restore() is None and os.listdir(tmp_path / "best") == []


def test_a_continuation_scores_its_starting_weights_first(tmp_path):
    x = _images()
    model = _scale_model(1.02)  # already near the best; training only moves it away
    keep = KeepBestWeights((x, x), tmp_path / "best")
    _fit(model, keep, epochs=8, initial_epoch=5)
    assert keep.history["epoch"][0] == 5 and keep.best_epoch == 5
    keep.restore()
    assert _weight(model) == pytest.approx(1.02)


def test_a_kill_while_saving_leaves_the_last_complete_pair(tmp_path, monkeypatch):
    x = _images()
    model = _scale_model(0.3)
    keep = KeepBestWeights((x, x), tmp_path / "best")
    _fit(model, keep, epochs=2)
    before = json.load(open(tmp_path / "best" / RECORD))
    kept = _weight(model)

    def torn(path, overwrite=True):
        open(path, "wb").write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save_weights", torn)
    with pytest.raises(KeyboardInterrupt):
        _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=3, initial_epoch=2)
    monkeypatch.undo()
    assert json.load(open(tmp_path / "best" / RECORD)) == before
    model.get_layer("w").kernel.assign(np.zeros((1, 1, 1, 1), np.float32))
    with pytest.raises(ValueError, match="needs a model"):
        KeepBestWeights((x, x), tmp_path / "best").restore()
    KeepBestWeights((x, x), tmp_path / "best").restore(model)
    assert _weight(model) == pytest.approx(kept)


def test_records_of_other_data_or_a_missing_file_are_refused(tmp_path):
    x = _images()
    model = _scale_model(0.3)
    _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=2)
    with pytest.raises(ValueError, match="other validation data"):
        _fit(model, KeepBestWeights((x[:3], x[:3]), tmp_path / "best"), epochs=3, initial_epoch=2)
    with pytest.raises(ValueError, match="other validation data"):
        _fit(model, KeepBestWeights((x, x), tmp_path / "best", metric="ssim"), epochs=3, initial_epoch=2)
    record = json.load(open(tmp_path / "best" / RECORD))
    os.remove(tmp_path / "best" / record["weights"])
    with pytest.raises(FileNotFoundError, match=r"which is missing\. .*Received: directory='.*best'$"):
        _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=3, initial_epoch=2)


@pytest.mark.parametrize(
    "arguments, match",
    [
        (dict(validation_data=np.zeros((2, 8, 8, 1))), r"pair .*Received: type\(validation_data\)=ndarray$"),
        (dict(metric="loss"), "metric"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=2.0), "batch_size"),
        (dict(batch_size=True), "batch_size"),
        (dict(min_delta=-1.0), "min_delta"),
        (dict(min_delta="0"), "min_delta"),
        (dict(score_initial="no"), "score_initial"),
        (dict(score_initial=None), "score_initial"),
        (dict(min_delta=float("nan")), "min_delta"),
        (dict(keep=3), "keep"),
        (dict(validation_data=(np.zeros((2, 8, 8, 1)), np.full((2, 8, 8, 1), 2.0))), r"\[0, 1\]\. Received: range=\[2\.0, 2\.0\]$"),
        (dict(validation_data=(np.zeros((3, 8, 8, 1)), np.zeros((2, 8, 8, 1)))), r"as many inputs .*Received: len\(inputs\)=3, len\(targets\)=2$"),
    ],
)
def test_bad_arguments(tmp_path, arguments, match):
    x = _images()
    arguments = {"validation_data": (x, x), "directory": tmp_path, **arguments}
    with pytest.raises(ValueError, match=match):
        KeepBestWeights(**arguments)


def test_numpy_numbers_are_numbers(tmp_path):
    x = _images()
    keep = KeepBestWeights((x, x), tmp_path, batch_size=np.int64(4), min_delta=np.float32(0.5), score_initial=np.True_)
    assert (keep.batch_size, keep.min_delta, keep.score_initial) == (4, 0.5, True)
    assert type(keep.batch_size) is int and type(keep.score_initial) is bool


def test_score_initial_scores_the_starting_weights_as_epoch_0(tmp_path):
    x = _images()
    keep = KeepBestWeights((x, x), tmp_path / "best", score_initial=True)
    _fit(_scale_model(1.0), keep, epochs=1)
    assert keep.history["epoch"][0] == 0 and keep.history["val_psnr"][0] == 100.0  # the identity, before training
    assert keep.best_epoch == 0
    plain = KeepBestWeights((x, x), tmp_path / "plain")
    _fit(_scale_model(1.0), plain, epochs=1)
    assert plain.history["epoch"] == [1]


def test_an_earlier_runs_record_is_refused(tmp_path):
    x = _images()
    _fit(_scale_model(0.3), KeepBestWeights((x, x), tmp_path / "best"), epochs=8)
    # A fresh model trained from epoch 0 into the same folder.
    with pytest.raises(ValueError, match=r"earlier run's choice\. .*Received: initial_epoch=0, recorded epoch=\d+$"):
        _fit(_scale_model(0.3), KeepBestWeights((x, x), tmp_path / "best"), epochs=2)


def test_outputs_that_are_not_finite_score_nan_and_are_never_kept(tmp_path):
    x = _images()
    model = _scale_model(0.3)
    keep = KeepBestWeights((x, x), tmp_path / "best")
    keep.set_model(model)
    model.get_layer("w").kernel.assign(np.full((1, 1, 1, 1), np.inf, np.float32))
    assert all(np.isnan(value) for value in keep.scores().values())  # not the clipped 1.0
    keep.on_epoch_end(0, {})  # the callback's own path after epoch 1
    assert keep.best is None and not os.path.exists(tmp_path / "best" / RECORD)


def test_a_redone_epoch_that_beats_the_record_gets_a_file_of_its_own(tmp_path):
    x = _images()
    model = _scale_model(0.5)
    keep = KeepBestWeights((x, x), tmp_path / "best")
    keep.set_model(model)
    keep.on_train_begin()
    keep.on_epoch_end(2, {})  # epoch 3 completed
    first = json.load(open(tmp_path / "best" / RECORD))["weights"]
    # Killed before the backup; epoch 3 is redone and scores better.
    again = KeepBestWeights((x, x), tmp_path / "best")
    again.set_model(model)
    again.on_train_begin()
    model.get_layer("w").kernel.assign(np.ones((1, 1, 1, 1), np.float32) * 0.9)
    again.on_epoch_end(2, {})  # epoch 3 redone
    second = json.load(open(tmp_path / "best" / RECORD))["weights"]
    assert second != first and os.listdir(tmp_path / "best").count(first) == 0
    model.get_layer("w").kernel.assign(np.zeros((1, 1, 1, 1), np.float32))
    again.restore()
    assert _weight(model) == pytest.approx(0.9)


def test_a_weights_file_no_record_names_is_removed_at_the_next_start(tmp_path):
    x = _images()
    model = _scale_model(0.3)
    _fit(model, KeepBestWeights((x, x), tmp_path / "best"), epochs=2)
    orphan = tmp_path / "best" / "epoch-00003.weights.h5"
    orphan.write_bytes(b"left by a kill before the record")
    keep = KeepBestWeights((x, x), tmp_path / "best")
    keep.set_model(model)
    keep.on_train_begin()
    assert not orphan.exists() and (tmp_path / "best" / json.load(open(tmp_path / "best" / RECORD))["weights"]).exists()


def test_a_model_with_one_output_in_a_list_is_scored_and_several_are_refused(tmp_path):
    x = _images()
    inputs = keras.Input((8, 8, 1))
    single = keras.Model(inputs, [keras.layers.Identity()(inputs)])
    keep = KeepBestWeights((x, x), tmp_path / "a")
    keep.set_model(single)
    assert keep.scores()["val_psnr"] == pytest.approx(100.0)  # identical images, capped
    double = keras.Model(inputs, [inputs * 1.0, inputs * 0.5])
    keep.set_model(double)
    with pytest.raises(ValueError, match="several"):
        keep.scores()
