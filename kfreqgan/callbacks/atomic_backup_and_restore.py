"""`AtomicBackupAndRestore`: Keras's `BackupAndRestore`, safe against a kill mid-write.

Keras's `keras.callbacks.BackupAndRestore` (3.15) overwrites
`latest.weights.h5` and then `training_metadata.json` in place. A process
killed while it writes leaves a torn weights file (the next start fails, or
with `double_checkpoint` falls back by copying), or new weights beside the
previous epoch count (the next start repeats an epoch whose optimizer steps
the weights already contain).

`AtomicBackupAndRestore` keeps Keras's contract (restore in `on_train_begin`,
save at the end of every epoch or every `save_freq` batches) and changes how
the files are written. Every file is written to a temporary file in the
backup folder, flushed to disk (`fsync`) and moved into place with
`os.replace`, and the weights alternate between two slots:

1. the new weights go to the slot the current metadata does *not* name
   (`backup-a.weights.h5` or `backup-b.weights.h5`);
2. `training_metadata.json` is then replaced. It names the slot and records
   the epoch count, the optimizers' step counters (`"steps"`) and the
   per-epoch logs so far (`"history"`).

Step 2 is the commit. A process killed at any moment leaves either the old
metadata with the old, complete slot or the new metadata with the new,
complete slot, never a mixed or torn pair. Temporary files that killed
processes left (`.tmp-<pid>-*`) are removed at the next start, by the rule
of `kfreqgan.atomic_files.sweep_temporaries`: only those of processes no
longer running, so a backup that another live process is writing into the
same folder keeps its temporary file. A backup folder written by
Keras's own callback (`latest.weights.h5`) is still restored. Local file
systems only (Keras's callback also takes `gs://` paths).

A damaged backup is refused before anything is restored or removed
(`DamagedBackupError`, naming the file and what is wrong with it): metadata
that is not the JSON object `write_backup` writes, a weights name other than
the two slots (or Keras's `latest.weights.h5`, so never a path out of the
folder), a weights file that is missing, not an HDF5 file or truncated, or
one that holds a NaN or infinite value (a diverged state: the one scan of
the file, at restore).

Optimizer state is restored only for optimizers that exist and are built
when `fit` starts (keras-team/keras#19389): `FreqGAN.compile` builds both of
its optimizers, a plain model's `optimizer` is built here, and any other
unbuilt optimizer attribute raises an error instead of losing its state.

The tests kill a process at each point of a write (`tests/backup_crash.py`,
which wraps this module's `write_atomically` from the test process; nothing
of it ships in the package).
"""

import json
import os
import reprlib

import keras
import numpy as np

from kfreqgan._validation import first_line
from kfreqgan.atomic_files import sweep_temporaries
from kfreqgan.atomic_files import write_atomically

METADATA = "training_metadata.json"
SLOTS = ("backup-a.weights.h5", "backup-b.weights.h5")
KERAS_WEIGHTS = "latest.weights.h5"  # Keras's own BackupAndRestore


def optimizer_steps(model):
    """`{attribute: iterations}` for every built optimizer attribute of `model`.

    That is `optimizer` for a model compiled the usual way and
    `generator_optimizer` / `discriminator_optimizer` for a `FreqGAN`.
    """
    steps = {}
    for name, value in sorted(vars(model).items()):
        if isinstance(value, keras.optimizers.Optimizer) and value.built:
            steps[name] = int(keras.ops.convert_to_numpy(value.iterations))
    return steps


def log_value(value):
    """A logged value as a Python float (rank-1 logs, as under
    MultiWorkerMirroredStrategy, give their first element), or None if it is
    not a number."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(array.ravel()[0]) if array.size else None


class DamagedBackupError(ValueError):
    """A backup that cannot be restored; nothing of it was changed.

    The message names the damaged file and what is wrong with it, and says
    to remove the backup folder to train afresh.

    Attributes:
        backup_dir: the backup folder.
        path: the damaged (or missing) file in it.
    """

    def __init__(self, message, backup_dir, path):
        super().__init__(message)
        self.backup_dir = backup_dir
        self.path = path


def _damaged(backup_dir, name, problem):
    path = os.path.join(backup_dir, name)
    return DamagedBackupError(
        f"Cannot restore the backup in {backup_dir}: {path} {problem}. "
        f"Remove {backup_dir} to train afresh; nothing in it was changed.",
        backup_dir,
        path,
    )


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 300  # long enough for a path


def _short(value):
    """`repr(value)`, shortened: a damaged file may hold anything."""
    return _REPR.repr(value)


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _metadata_problem(metadata):
    """What is wrong with the parsed metadata, or None if it has the shape
    that `write_backup` (or Keras's own callback) writes."""
    if not isinstance(metadata, dict):
        kind = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(metadata), "null")
        return f"must hold a JSON object. Received: a JSON {kind} {_short(metadata)}"
    epoch = metadata.get("epoch")
    if not _is_count(epoch):
        return f"must give `epoch` as a whole number >= 0. Received: epoch={_short(epoch)}"
    if "batch" in metadata and not _is_count(metadata["batch"]):
        return f"must give `batch` as a whole number >= 0. Received: batch={_short(metadata['batch'])}"
    if "weights" in metadata and metadata["weights"] not in (*SLOTS, KERAS_WEIGHTS):
        names = ", ".join((*SLOTS, KERAS_WEIGHTS))
        return f"must name one of {names} as `weights`. Received: weights={_short(metadata['weights'])}"
    steps = metadata.get("steps", {})
    if not (isinstance(steps, dict) and all(_is_count(value) for value in steps.values())):
        return f"must give `steps` as {{optimizer: whole number >= 0}}. Received: steps={_short(steps)}"
    history = metadata.get("history", {})
    number = (int, float)
    if not (
        isinstance(history, dict)
        and all(
            isinstance(values, list) and all(isinstance(v, number) and not isinstance(v, bool) for v in values)
            for values in history.values()
        )
    ):
        return f"must give `history` as {{log name: [numbers]}}. Received: history={_short(history)}"
    longer = sorted(key for key, values in history.items() if len(values) > epoch)
    if longer:
        return f"holds more `history` values than completed epochs. Received: epoch={epoch}, {len(history[longer[0]])} values of {longer[0]!r}"
    return None


def check_weights_file(backup_dir, name):
    """Refuses the weights file `name` in `backup_dir` unless it is a
    regular HDF5 file whose values are all finite (the one scan of it, at
    restore).

    Raises:
        DamagedBackupError: missing, a link or folder, empty, not HDF5 or
            truncated, holding no values, or holding a NaN or infinity.
        OSError: it cannot be read for another reason (permissions).
    """
    import h5py

    path = os.path.join(backup_dir, name)
    if not os.path.lexists(path):
        raise _damaged(backup_dir, name, f"is missing: it holds the weights that go with {METADATA}")
    if os.path.islink(path) or not os.path.isfile(path):
        raise _damaged(backup_dir, name, "is not a regular file (a backup holds its own weights, never a link or folder)")
    if os.path.getsize(path) == 0:
        raise _damaged(backup_dir, name, "is empty (0 bytes)")
    not_finite, datasets = [], []
    try:
        with h5py.File(path, "r") as weights:
            weights.visititems(lambda key, item: datasets.append(key) if isinstance(item, h5py.Dataset) else None)
            for key in datasets:
                dataset = weights[key]
                if dataset.dtype.kind in "fc" and not np.isfinite(dataset[()]).all():
                    not_finite.append(key)
    except OSError as error:
        if error.errno is not None:
            raise  # permissions and the like: named by the caller's error reporting
        raise _damaged(backup_dir, name, f"is not a readable HDF5 weights file, truncated or damaged ({first_line(error)})") from error
    if not datasets:
        raise _damaged(backup_dir, name, "holds no weights")
    if not_finite:
        more = f" and {len(not_finite) - 1} more" if len(not_finite) > 1 else ""
        raise _damaged(backup_dir, name, f"holds NaN or infinite values (a diverged state) in {not_finite[0]}{more}")


@keras.saving.register_keras_serializable(package="kfreqgan")
class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Backs up and restores the training state; a kill mid-write loses nothing.

    Use it like `keras.callbacks.BackupAndRestore`: a `fit` that is
    interrupted and started again with the same model, data and callback
    continues after the last completed epoch, with the weights, the
    optimizers' state (including their step counters and learning rates)
    and the epoch count of that epoch. The difference is in how the backup
    is written (see the module docstring): a process killed while it writes
    leaves the previous backup intact, and the next start resumes from it.

    After `on_train_begin`, `restored_epoch` is the epoch count that was
    restored (0 for a fresh start) and `history` holds the logs of every
    completed epoch, those of earlier runs included.

    Args:
        backup_dir: the folder of the backup, used by this callback only
            (one per training run and per worker).
        save_freq: `"epoch"`, or save every `save_freq` batches as well.
            A restart still continues at an epoch boundary, as in Keras.
        delete_checkpoint: remove the backup folder when `fit` completes.

    Example:

    ```python
    backup = AtomicBackupAndRestore("runs/dehaze/backup")
    gan.fit(dataset, epochs=20, callbacks=[StopOnDivergence(), backup])
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__(backup_dir, save_freq=save_freq, double_checkpoint=False, delete_checkpoint=delete_checkpoint)
        self._slot = None  # the slot that the committed metadata names
        self.restored_epoch = 0
        self.history = {}

    def get_config(self):
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq, "delete_checkpoint": self.delete_checkpoint}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @staticmethod
    def read_metadata(backup_dir):
        """The committed metadata of the backup in `backup_dir` as a dict, or
        None if there is none. `"weights"` names the weights file (in
        `backup_dir`) that belongs to it: one of the two slots, or
        `latest.weights.h5` for a backup of Keras's own callback.

        Raises:
            DamagedBackupError: the metadata file is not the JSON object
                `write_backup` writes (empty, truncated, a field of the
                wrong type, a weights name other than those above).
        """
        path = os.path.join(backup_dir, METADATA)
        if not os.path.lexists(path):
            return None
        with open(path, "rb") as handle:
            text = handle.read()
        if not text.strip():
            raise _damaged(backup_dir, METADATA, f"is empty ({len(text)} bytes)")
        try:
            metadata = json.loads(text.decode("utf-8"))
        except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
            raise _damaged(backup_dir, METADATA, f"is not valid JSON, truncated or damaged ({error})") from None
        problem = _metadata_problem(metadata)
        if problem is not None:
            raise _damaged(backup_dir, METADATA, problem)
        return {**metadata, "weights": metadata.get("weights", KERAS_WEIGHTS)}

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(
                "AtomicBackupAndRestore needs a built model before `fit()`. "
                f"Received: unbuilt model {self.model.name!r}; build it (or call it on a batch) first."
            )
        # Everything is checked before anything is restored or removed.
        metadata = self.read_metadata(self.backup_dir)
        name = KERAS_WEIGHTS if metadata is None else metadata["weights"]
        weights = metadata is not None or os.path.lexists(os.path.join(self.backup_dir, name))
        if weights:
            check_weights_file(self.backup_dir, name)
            self._build_optimizers()
        sweep_temporaries(self.backup_dir)  # a killed writer's leftovers, never a live process's
        self._slot, self.restored_epoch, self.history = None, 0, {}
        if weights:
            self.model.load_weights(os.path.join(self.backup_dir, name))
        if metadata is not None:
            self.restored_epoch = int(metadata["epoch"])
            self.model._initial_epoch = self.restored_epoch  # what Keras's callback sets
            self._current_epoch = self.restored_epoch
            self.history = {key: list(values) for key, values in metadata.get("history", {}).items()}
            self._slot = name if name in SLOTS else None

    def _build_optimizers(self):
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        unbuilt = [
            name
            for name, value in sorted(vars(self.model).items())
            if isinstance(value, keras.optimizers.Optimizer) and not value.built
        ]
        if unbuilt:
            raise ValueError(
                "Cannot restore the state of optimizers that are not built yet (keras-team/keras#19389). "
                f"Build them before `fit()`. Received: unbuilt optimizers {unbuilt}"
            )

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            number = log_value(value)
            if number is not None:
                self.history.setdefault(key, []).append(number)
        super().on_epoch_end(epoch, logs)  # sets the epoch count and calls _save_model

    def _save_model(self):
        self._slot = self.write_backup(
            self.backup_dir, self.model, self._current_epoch, batch=self._last_batch_seen, history=self.history, previous_slot=self._slot
        )

    @staticmethod
    def write_backup(backup_dir, model, epoch, batch=0, history=None, previous_slot=None):
        """Writes `model`'s state as the backup in `backup_dir`; returns the slot.

        The one writer of the backup format (see the module docstring): the
        weights go to the slot that `previous_slot` (the one the committed
        metadata names) is not, then the metadata commits them. A backup
        written here is what `on_train_begin` restores, so a tool that
        prepares a run's starting state (`python -m kfreqgan.training.widen`)
        writes it with this instead of a copy of the format.

        Args:
            backup_dir: the backup folder (created if missing).
            model: the built model, its optimizers built too.
            epoch: the number of completed epochs the backup stands for.
            batch: the last batch seen in that epoch (0 for an epoch boundary).
            history: `{log name: [one value per completed epoch]}`.
            previous_slot: the slot of the committed backup, or None.
        """
        os.makedirs(backup_dir, exist_ok=True)
        slot = SLOTS[1] if previous_slot == SLOTS[0] else SLOTS[0]

        def write_weights(temporary):
            model.save_weights(temporary, overwrite=True)

        write_atomically(os.path.join(backup_dir, slot), write_weights, suffix=".weights.h5", sync=True)
        text = json.dumps(
            {"epoch": int(epoch), "batch": int(batch), "weights": slot, "steps": optimizer_steps(model), "history": history or {}}
        )

        def write_metadata(temporary):
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)

        write_atomically(os.path.join(backup_dir, METADATA), write_metadata, sync=True)
        return slot
