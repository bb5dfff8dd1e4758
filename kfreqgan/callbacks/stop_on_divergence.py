"""`StopOnDivergence`: end `fit` at the first NaN or Inf, before anything saves it.

A GAN that diverges keeps going: every later step logs NaN, and the
callbacks that save at the end of an epoch (`BackupAndRestore`,
`ModelCheckpoint`) write NaN weights over the last good ones.
`keras.callbacks.TerminateOnNaN` watches only the `loss` log (FreqGAN logs
`g_loss`, `d_loss`, ...) and by default stops *gracefully*, which still runs
`on_epoch_end` and so still saves the backup.

`StopOnDivergence` checks every logged value after every batch and raises
`DivergenceError`, which ends `fit` at once: no callback's `on_epoch_end` or
`on_train_end` runs after it, so nothing saves the diverged weights. At the
end of each epoch it also checks the model's weights, since a step with a
finite loss can still write non-finite weights. Put it before the
checkpointing callbacks in the `callbacks` list so that its end-of-epoch
check runs first.
"""

import keras
import numpy as np

from kfreqgan._validation import check_bool
from kfreqgan.callbacks.atomic_backup_and_restore import optimizer_steps


class DivergenceError(RuntimeError):
    """Training produced a NaN or infinite loss or weight.

    Attributes:
        step: the global optimizer step (the optimizers' `iterations`, which
            count every step since the first run, resumed runs included)
            after which it was found, or None if the model has no optimizer.
        epoch: the epoch, counted from 1 as Keras prints it.
        terms: `{log name: value}` of the non-finite logs, or
            `{weight path: "non-finite"}` for the weights check.
    """

    def __init__(self, message, step=None, epoch=None, terms=None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.terms = dict(terms or {})


def non_finite_logs(logs, names=None):
    """The logged values that contain a NaN or an infinity.

    Args:
        logs: a dict of logs as callbacks receive them: Python floats,
            scalars, or rank-1 arrays or tensors (FreqGAN's logs under
            `MultiWorkerMirroredStrategy`). Values that are not numbers are
            skipped.
        names: the log names to check; None checks all.

    Returns:
        `{name: first non-finite value}`, in the order of `logs`.
    """
    bad = {}
    for name, value in (logs or {}).items():
        if names is not None and name not in names:
            continue
        try:
            array = np.asarray(value, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            continue
        finite = np.isfinite(array)
        if not finite.all():
            bad[name] = float(array[~finite][0])
    return bad


@keras.saving.register_keras_serializable(package="kfreqgan")
class StopOnDivergence(keras.callbacks.Callback):
    """Raises `DivergenceError` at the first NaN or Inf in the logs or the weights.

    The message names the non-finite logs (e.g. `d_loss=nan, g_l1=nan`),
    the global optimizer step, the epoch and the batch, on one line:

        training diverged at global step 14 (epoch 3/5, batch 2/6): non-finite d_loss=nan, g_loss=nan

    Args:
        monitor: the log names to check (e.g. `["g_loss", "d_loss"]`); None
            (the default) checks every logged number.
        check_weights: also check the model's floating-point weights at the
            end of every epoch.
    """

    def __init__(self, monitor=None, check_weights=True):
        super().__init__()
        if monitor is not None:
            if not isinstance(monitor, (list, tuple)) or not monitor or not all(isinstance(name, str) for name in monitor):
                raise ValueError(f"`monitor` must be None or a non-empty list of log names. Received: monitor={monitor!r}")
            monitor = tuple(monitor)
        self.monitor = monitor
        self.check_weights = check_bool(check_weights, "check_weights")
        self._epoch = 0

    def get_config(self):
        return {"monitor": None if self.monitor is None else list(self.monitor), "check_weights": self.check_weights}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = non_finite_logs(logs, self.monitor)
        if bad:
            self._raise(bad, f"batch {batch + 1}{self._of('steps')}")

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch
        bad = non_finite_logs(logs, self.monitor)
        if bad:
            self._raise(bad, "end of the epoch")
        if self.check_weights:
            paths = [
                weight.path
                for weight in self.model.weights
                if "float" in str(weight.dtype) and not bool(keras.ops.all(keras.ops.isfinite(weight)))
            ]
            if paths:
                shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
                self._raise(
                    {path: "non-finite" for path in paths},
                    "end of the epoch",
                    f"non-finite weights in {shown} (the logged values are finite)",
                )

    def _of(self, key):
        total = (self.params or {}).get(key)
        return f"/{total}" if total else ""

    def _raise(self, bad, where, what=None):
        steps = optimizer_steps(self.model) if self.model is not None else {}
        step = max(steps.values()) if steps else None
        what = what or "non-finite " + ", ".join(f"{name}={value}" for name, value in bad.items())
        at = f"global step {step} " if step is not None else ""
        raise DivergenceError(
            f"training diverged at {at}(epoch {self._epoch + 1}{self._of('epochs')}, {where}): {what}",
            step=step,
            epoch=self._epoch + 1,
            terms=bad,
        )
