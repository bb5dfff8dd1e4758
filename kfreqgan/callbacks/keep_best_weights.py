"""`KeepBestWeights`: score a model on fixed validation data every epoch and
keep the best weights, so that a run that goes on past its best epoch
(a GAN drifting, a model overfitting its training scenes) still hands over
that epoch's model."""

import hashlib
import json
import os
import sys

import keras
import numpy as np

from kfreqgan._validation import as_image_batch
from kfreqgan._validation import check_bool
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_real_number
from kfreqgan.atomic_files import write_atomically
from kfreqgan.atomic_files import write_text_atomically

RECORD = "best.json"
"""The file in `directory` that names the kept weights and their score."""

METRICS = ("psnr", "ssim")
"""Scores `KeepBestWeights` can select on (higher is better for both)."""


def fingerprint(*arrays):
    """A SHA-256 of arrays' shapes, dtypes and bytes (which data was scored)."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


TRAINING_ONLY = ("_initializer", "_regularizer", "_constraint")
"""Endings of layer config keys that `function_fingerprint` leaves out."""


def function_fingerprint(model):
    """A SHA-256 of `model`'s function without its weights: its config
    (`get_config`: layers, their options and dtype policies, the graph),
    with the layer names and the model's own replaced by their order, so
    that the same model built again (in another process, after other
    models took the automatic names) fingerprints the same, and without
    what only shapes training (initializers, regularizers, constraints,
    `trainable`).

    Returns:
        The hex digest, or None when the config cannot be read or written
        as JSON (a subclassed model without `get_config`): unknown.
    """
    try:
        config = model.get_config()
    except Exception:  # noqa: BLE001 (a subclassed model Keras cannot describe: unknown, never a failed fit)
        return None
    labels = {}

    def collect(value):
        # The layers of the model and of models nested in it, in order.
        if isinstance(value, dict):
            layers = value.get("layers")
            for layer in layers if isinstance(layers, list) else ():
                if isinstance(layer, dict):
                    name = layer.get("name") or (layer.get("config") or {}).get("name")  # Sequential: config only
                    if isinstance(name, str):
                        labels.setdefault(name, f"layer-{len(labels)}")
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)

    def renamed(value):
        # Names only where Keras writes them: a "name" entry and a tensor's
        # [layer, node, tensor] reference (a dtype policy's name stays).
        # What only shapes training goes: initializers, regularizers,
        # constraints, trainable flags.
        if isinstance(value, dict):
            return {
                key: labels.get(item, item) if key == "name" and isinstance(item, str) else renamed(item)
                for key, item in value.items()
                if not (key == "trainable" or key.endswith(TRAINING_ONLY))
            }
        if isinstance(value, (list, tuple)):
            if len(value) == 3 and isinstance(value[0], str) and all(type(item) is int for item in value[1:]):
                return [labels.get(value[0], value[0]), *value[1:]]
            return [renamed(item) for item in value]
        return value

    def plain(value):
        if isinstance(value, (np.ndarray, np.generic)):
            return value.tolist()
        raise TypeError(type(value).__name__)

    if isinstance(config, dict) and isinstance(config.get("name"), str):
        labels[config["name"]] = "model"
    collect(config)
    try:
        text = json.dumps(renamed(config), sort_keys=True, default=plain)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


class KeepBestWeights(keras.callbacks.Callback):
    """Keeps the weights of the epoch that scores best on validation data.

    After every epoch it runs `model.predict` on the validation inputs (for
    a `FreqGAN`: the generator's outputs), scores them against the targets
    (mean PSNR and SSIM per image, `kfreqgan.metrics`), adds the scores to
    the epoch's logs as `val_psnr` and `val_ssim` (so `History`, TensorBoard
    and a backup's history record them: put this callback before those),
    and when `metric` improves saves the weights of the model, or of its
    sub-model `keep` (`"generator"` for a GAN), into `directory`.

    The kept weights survive a crash and a resumed run: the weights are
    written under a name that carries the epoch, atomically, and only then
    `best.json` (atomically) names them, so a kill at any moment leaves the
    last complete pair (a weights file no record names is removed at the
    next start). A run that starts again reads `best.json` and only
    replaces the kept weights with a better epoch; a record ahead of the
    epoch training starts from (an earlier run's, left in the folder) is
    refused. A run that starts past epoch 0 (a continuation from another
    run's backup, `fit(initial_epoch=...)`, a resumed run) first scores the
    weights it starts from, as that many completed epochs, so a
    continuation that only gets worse hands back its starting weights.
    With `score_initial=True` a run that starts at epoch 0 does so too
    (weights loaded before `fit`: a fine-tune of a trained model).

    A recorded score describes the kept weights under one function of the
    model, so `best.json` also records `function_fingerprint` of the kept
    model (its config without weights, layer names or initializers). A
    sitting whose model computes another function (a weightless option
    changed between sittings, such as a haze bound or a grey airlight)
    first scores the kept weights again under the current one (a sitting
    with no epoch left to train: at its end), without touching the weights
    it trains on. That score replaces the recorded one, which the record
    keeps as `rescored` (`{"function": ..., "score": ...}`, until a better
    epoch replaces the record) and a line on stderr reports; kept weights
    whose outputs are no longer finite are dropped. Every comparison, the
    record and the weights `restore()` loads then describe the same
    model. A record without the field (from before it existed) counts as
    another function: scored again once, it then names this one. A model
    whose config cannot be fingerprinted (a subclassed model without
    `get_config`) has its kept weights scored again at every start (one
    `predict` pass).

    Validation data must be data the model does not train on (other photos
    than the training ones, not the test photos), or the selection
    measures fit, not generalisation.

    Args:
        validation_data: `(inputs, targets)`: model inputs and float NHWC
            target images in [0, 1], with as many targets as inputs.
        directory: where the weights and `best.json` go (created).
        metric: `"psnr"` or `"ssim"`, the score to select on (higher is
            better).
        keep: name of the attribute of the model whose weights are kept
            (`"generator"` for `FreqGAN`), or None for the model itself.
        batch_size: batch size of `predict`.
        min_delta: an epoch must beat the best score by more than this to
            replace it.
        score_initial: also score the weights a run starting at epoch 0
            starts from, as epoch 0 (for weights that were trained
            elsewhere; a fresh initialisation is not worth the pass).

    Attributes:
        best: the best score so far (None before the first).
        best_epoch: the number of completed epochs that scored it.
        history: `{"epoch": [...], "val_psnr": [...], "val_ssim": [...]}`
            of the scores this callback took of the epochs (this run only;
            not a kept epoch's scoring again under a new function).

    Raises:
        ValueError: for bad arguments; at the start of training when
            `directory` holds a record of other validation data or another
            metric (scores that cannot be compared), or when `keep` names
            no sub-model.

    Example:

    ```python
    keep = KeepBestWeights((val_hazy, val_clean), "runs/dehaze/best", keep="generator")
    gan.fit(dataset, epochs=40, callbacks=[StopOnDivergence(), keep, backup])
    keep.restore()  # the generator now holds the best epoch's weights
    ```
    """

    def __init__(self, validation_data, directory, metric="psnr", keep=None, batch_size=8, min_delta=0.0, score_initial=False):
        super().__init__()
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(
                "`validation_data` must be a pair (inputs, targets). "
                f"Received: type(validation_data)={type(validation_data).__name__}"
            )
        if metric not in METRICS:
            raise ValueError(f"`metric` must be one of {list(METRICS)}. Received: metric={metric!r}")
        if keep is not None and not isinstance(keep, str):
            raise ValueError(f"`keep` must be an attribute name or None. Received: keep={keep!r}")
        batch_size = check_positive_int(batch_size, "batch_size")
        if not is_real_number(min_delta) or not 0 <= min_delta < float("inf"):
            raise ValueError(f"`min_delta` must be a finite number >= 0. Received: min_delta={min_delta!r}")
        score_initial = check_bool(score_initial, "score_initial")
        inputs, targets = validation_data
        targets = as_image_batch(targets, name="validation targets").numpy()
        if targets.min() < 0.0 or targets.max() > 1.0:
            raise ValueError(
                "The targets of `validation_data` must lie in [0, 1]. "
                f"Received: range=[{float(targets.min())!r}, {float(targets.max())!r}]"
            )
        inputs = np.asarray(inputs)
        if len(inputs) != len(targets):
            raise ValueError(
                "`validation_data` needs as many inputs as targets. "
                f"Received: len(inputs)={len(inputs)}, len(targets)={len(targets)}"
            )
        self.inputs, self.targets = inputs, targets
        self.directory = os.fspath(directory)
        self.metric = metric
        self.keep = keep
        self.batch_size = batch_size
        self.min_delta = float(min_delta)
        self.score_initial = score_initial
        self.best, self.best_epoch = None, None
        self.history = {"epoch": [], "val_psnr": [], "val_ssim": []}
        self._data = fingerprint(np.asarray(self.inputs, np.float32), self.targets)
        self._first_epoch = True
        self._record = None
        self._function = None

    def get_config(self):
        return {
            "directory": self.directory,
            "metric": self.metric,
            "keep": self.keep,
            "batch_size": self.batch_size,
            "min_delta": self.min_delta,
            "score_initial": self.score_initial,
        }

    @staticmethod
    def read_record(directory):
        """The `best.json` of `directory` as a dict, or None if there is none."""
        path = os.path.join(directory, RECORD)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    def _kept_model(self):
        if self.keep is None:
            return self.model
        kept = getattr(self.model, self.keep, None)
        if not isinstance(kept, keras.Model):
            raise ValueError(
                f"`keep` must name a sub-model of the model being trained. "
                f"Received: keep={self.keep!r}, which is {type(kept).__name__} on {type(self.model).__name__}"
            )
        return kept

    def scores(self):
        """`{"val_psnr": ..., "val_ssim": ...}` of the model as it is now."""
        from kfreqgan import metrics

        outputs = self.model.predict(self.inputs, batch_size=self.batch_size, verbose=0)
        if isinstance(outputs, dict) and len(outputs) == 1:
            outputs = next(iter(outputs.values()))
        elif isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        if isinstance(outputs, (dict, list, tuple)):
            raise ValueError(
                "KeepBestWeights scores a model with one image output; this one returns several. "
                f"Received: outputs of type {type(outputs).__name__} with {len(outputs)} entries"
            )
        outputs = np.asarray(outputs, np.float32)
        if outputs.shape != self.targets.shape:
            raise ValueError(
                "The model's outputs on the validation inputs must have the targets' shape. "
                f"Received: outputs.shape={outputs.shape}, targets.shape={self.targets.shape}"
            )
        if not np.isfinite(outputs).all():  # before clipping, which would hide an Inf
            return {"val_psnr": float("nan"), "val_ssim": float("nan")}
        outputs = np.clip(outputs, 0.0, 1.0)
        targets = self.targets
        psnr = np.minimum(metrics.psnr(outputs, targets).numpy(), 100.0)  # identical images: inf
        size = min(11, targets.shape[1], targets.shape[2])
        ssim = metrics.ssim(outputs, targets, filter_size=size).numpy()
        return {"val_psnr": float(np.mean(psnr)), "val_ssim": float(np.mean(ssim))}

    def on_train_begin(self, logs=None):
        self._function = function_fingerprint(self._kept_model())
        self.history = {"epoch": [], "val_psnr": [], "val_ssim": []}
        record = self.read_record(self.directory)
        self.best, self.best_epoch = None, None
        path = os.path.join(self.directory, RECORD)
        if record is not None:
            if record.get("metric") != self.metric or record.get("data") != self._data:
                raise ValueError(
                    f"{path} records the best epoch of another run: scores on other validation data or by "
                    "another metric, which cannot be compared with this run's; use another directory or remove it. "
                    f"Received: metric={self.metric!r} and validation data {self._data[:12]}, the record's "
                    f"metric={record.get('metric')!r} and data {str(record.get('data'))[:12]}"
                )
            if not os.path.exists(os.path.join(self.directory, record["weights"])):
                raise FileNotFoundError(
                    f"{path} names the weights file {record['weights']!r}, which is missing. Remove the record (or the "
                    f"folder) to train afresh. Received: directory={self.directory!r}"
                )
            self.best, self.best_epoch = float(record["score"]), int(record["epoch"])
        self._record = record
        self._remove_unnamed(record["weights"] if record else None)
        self._first_epoch = True

    def _remove_unnamed(self, keep):
        """Weights files no record names: left by a kill between the weights
        and the record."""
        if os.path.isdir(self.directory):
            for name in os.listdir(self.directory):
                if name.startswith("epoch-") and name.endswith(".weights.h5") and name != keep:
                    os.remove(os.path.join(self.directory, name))

    def on_epoch_begin(self, epoch, logs=None):
        # Here rather than in on_train_begin: a backup callback placed after
        # this one has restored the weights by now.
        if not self._first_epoch:
            return
        self._first_epoch = False
        if self.best_epoch is not None and self.best_epoch > epoch + 1:
            # A record ahead of the weights training starts from (at most the
            # epoch being redone after a kill is allowed): another run's.
            raise ValueError(
                f"{os.path.join(self.directory, RECORD)} records epoch {self.best_epoch}, but training starts "
                f"after epoch {epoch}: it is an earlier run's choice. Remove it (or the folder) to train afresh. "
                f"Received: initial_epoch={epoch}, recorded epoch={self.best_epoch}"
            )
        self._rescore_if_another_function()
        if epoch > 0 or self.score_initial:
            # The weights training starts from are a candidate (a
            # continuation of another run's backup, or a resumed run, whose
            # score is already recorded and is then not replaced). Every
            # sitting scores them, so that under a multi-worker strategy all
            # workers run the same predict calls, whatever their records say.
            self._consider(epoch, self.scores())

    def on_train_end(self, logs=None):
        if self._first_epoch:
            # No epoch to train (a continuation whose backup holds them all,
            # to change a weightless option): the record must still describe
            # the function `restore()` will load the weights into.
            self._first_epoch = False
            self._rescore_if_another_function()

    def _rescore_if_another_function(self):
        """Scores the kept weights under the model's current function, if
        the record's score is of another (or an unknown) one, and makes that
        the record's score; the model's weights are put back."""
        if self._record is None or (self._function is not None and self._record.get("function") == self._function):
            return
        # Under a multi-worker strategy every worker's record names the same
        # function (all write at the same epochs), so all run this predict
        # or none does.
        model = self._kept_model()
        current = model.get_weights()
        try:
            model.load_weights(os.path.join(self.directory, self._record["weights"]))
            scores = self.scores()
        finally:
            model.set_weights(current)
        before = self._record
        score = scores[f"val_{self.metric}"]
        print(
            f"KeepBestWeights: the kept epoch {before['epoch']} was scored under "
            f"{'another function of the model' if before.get('function') else 'a function the record does not name'}"
            f"; scored again under this one: {self.metric} {before['score']} -> {score}.",
            file=sys.stderr,
        )
        if not np.isfinite(score):
            # Not a candidate under this function: as if nothing was kept.
            os.remove(os.path.join(self.directory, RECORD))
            self._remove_unnamed(None)
            self._record, self.best, self.best_epoch = None, None, None
            return
        rescored = {"function": before.get("function"), "score": before["score"]}
        record = {**before, "score": score, **scores, "function": self._function, "rescored": rescored}
        write_text_atomically(os.path.join(self.directory, RECORD), json.dumps(record, indent=2))
        self._record, self.best = record, score

    def on_epoch_end(self, epoch, logs=None):
        scores = self.scores()
        if logs is not None:
            logs.update(scores)
        self._consider(epoch + 1, scores)

    def _consider(self, completed, scores):
        self.history["epoch"].append(completed)
        for key, value in scores.items():
            self.history[key].append(value)
        score = scores[f"val_{self.metric}"]
        if not np.isfinite(score):
            return
        if self.best is not None and score <= self.best + self.min_delta:
            return
        self._save(completed, score, scores)

    def _save(self, completed, score, scores):
        name = f"epoch-{completed:05d}.weights.h5"
        if self._record is not None and self._record["weights"] == name:
            # A redone epoch beats the record: never overwrite the file the
            # committed record names.
            name = f"epoch-{completed:05d}-b.weights.h5"
        model = self._kept_model()
        write_atomically(os.path.join(self.directory, name), lambda path: model.save_weights(path, overwrite=True), suffix=".weights.h5", sync=True)
        record = {
            "epoch": completed, "weights": name, "metric": self.metric, "score": score, **scores, "data": self._data,
            "function": self._function,
        }
        write_text_atomically(os.path.join(self.directory, RECORD), json.dumps(record, indent=2))
        self._record = record
        # Only now is the older file unnamed; remove it (and any orphan of a kill).
        self._remove_unnamed(name)
        self.best, self.best_epoch = score, completed

    def restore(self, model=None):
        """Loads the kept weights into the model (or its `keep` sub-model).

        Args:
            model: the model to load into (or whose `keep` sub-model);
                default: the one this callback was trained with.

        Returns:
            The record (`epoch`, `score`, `val_psnr`, `val_ssim`, ...), or None
            when nothing was kept (the model is left as it is).
        """
        record = self.read_record(self.directory)
        if record is None:
            return None
        if model is not None:
            self.set_model(model)
        if self.model is None:
            raise ValueError("`restore()` needs a model: pass one, or call it after `fit`. Received: model=None")
        self._kept_model().load_weights(os.path.join(self.directory, record["weights"]))
        return record
