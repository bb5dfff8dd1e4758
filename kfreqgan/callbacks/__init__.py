"""Keras callbacks for training kfreqgan models, one module per callback
(as `keras.callbacks`).

- `AtomicBackupAndRestore` (`atomic_backup_and_restore.py`): Keras's
  `BackupAndRestore`, safe against a kill mid-write; a damaged backup is
  refused with `DamagedBackupError`, naming the file.
- `StopOnDivergence` (`stop_on_divergence.py`): ends `fit` at the first NaN
  or Inf, before anything saves it (raises `DivergenceError`).
- `SpectrumMonitor` (`spectrum_monitor.py`): records how far a generator's
  spectrum is from the real one, per epoch (TensorBoard optional).
- `GANMetricsMonitor` (`gan_metrics_monitor.py`): precision, recall,
  density, coverage and diversity of generated samples every N epochs.
- `KeepBestWeights` (`keep_best_weights.py`): scores the model on fixed
  validation data every epoch and keeps the best epoch's weights,
  crash-safe across a resumed run.
"""

from kfreqgan.callbacks.atomic_backup_and_restore import AtomicBackupAndRestore
from kfreqgan.callbacks.atomic_backup_and_restore import DamagedBackupError
from kfreqgan.callbacks.gan_metrics_monitor import GANMetricsMonitor
from kfreqgan.callbacks.keep_best_weights import KeepBestWeights
from kfreqgan.callbacks.spectrum_monitor import SpectrumMonitor
from kfreqgan.callbacks.stop_on_divergence import DivergenceError
from kfreqgan.callbacks.stop_on_divergence import StopOnDivergence

__all__ = [
    "AtomicBackupAndRestore",
    "DamagedBackupError",
    "DivergenceError",
    "GANMetricsMonitor",
    "KeepBestWeights",
    "SpectrumMonitor",
    "StopOnDivergence",
]
