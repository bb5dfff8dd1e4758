"""Training programs of kfreqgan (installed as `kfreqgan.training`).

- `train.py`: `kfreqgan-train` (named configurations in `configs.py`; its
  `--out` lock in `folder_lock.py`);
- `demo.py`: `kfreqgan-demo`; `spectral_demo.py`: the spectra of real photos
  and degraded copies; `package_dehazer.py`: turns a finished
  `kfreqgan-train --config dehaze-v2` run into the shipped dehazer's
  weights and card (a packaging step; the training is `kfreqgan-train`'s).

Every program has the shape of `kfreqgan.command_line` (one-line errors,
exit statuses, `--debug`). The core (`kfreqgan/`) never imports this package.
"""
