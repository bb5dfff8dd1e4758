"""Test-only: make `AtomicBackupAndRestore` die at a chosen point of a backup write.

Nothing of this ships in the package: the tests install it into the
callback's module from outside, in their own process (`install`, with
pytest's `monkeypatch.setattr`) or, for a `kfreqgan-train` subprocess,
through `tests/crash_hook/sitecustomize.py`, which Python imports at start-up
when that folder is on `PYTHONPATH` and calls `install` when the
environment variable `CRASH_ENV` is `"<stage>:<epoch>"`.

Stages (`STAGES`), during the save of the backup whose epoch count is
`<epoch>`: `weights` dies after half of the temporary weights file is
written, `slot` after the new slot is in place but before the metadata
names it, `metadata` after half of the temporary metadata file is written.
"""

import os
import signal

CRASH_ENV = "KFREQGAN_TEST_CRASH_BACKUP"
STAGES = ("weights", "slot", "metadata")


def _sigkill():
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def install(stage, epoch, kill=_sigkill, set_attribute=setattr):
    """Wraps the callback module's `write_atomically` so that `kill()` runs at `stage` of `epoch`'s save.

    Args:
        stage: one of `STAGES`.
        epoch: the epoch count of the backup to interrupt.
        kill: what "dying" does (default: SIGKILL to this process).
        set_attribute: how to patch (`monkeypatch.setattr` undoes it after a test).
    """
    from kfreqgan.callbacks import atomic_backup_and_restore as module

    if stage not in STAGES:
        raise ValueError(f"`stage` must be one of {STAGES}. Received: stage={stage!r}")
    write_atomically = module.write_atomically
    save_model = module.AtomicBackupAndRestore._save_model
    saving = {"epoch": None}

    def saving_epoch(self):
        saving["epoch"] = self._current_epoch
        try:
            return save_model(self)
        finally:
            saving["epoch"] = None

    def interrupted_write(path, write, *args, **kwargs):
        name = os.path.basename(path)
        here = saving["epoch"] == epoch
        torn = here and ((stage == "weights" and name in module.SLOTS) or (stage == "metadata" and name == module.METADATA))

        def write_then_die(temporary):
            write(temporary)
            if torn:
                with open(temporary, "r+b") as handle:
                    handle.truncate(os.path.getsize(temporary) // 2)
                kill()

        result = write_atomically(path, write_then_die, *args, **kwargs)
        if here and stage == "slot" and name in module.SLOTS:
            kill()
        return result

    set_attribute(module, "write_atomically", interrupted_write)
    set_attribute(module.AtomicBackupAndRestore, "_save_model", saving_epoch)
