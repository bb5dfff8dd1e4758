"""Trained models that ship inside the package (no download).

- `dehazer()`: the dehazer of the v2 design, `kfreqgan.models.coherent_dehazer`
  (a whole-image coarse transmission and airlight at a fixed 128-pixel
  view, refined edge-aware by a guided filter at full resolution and kept
  above the haze model's floor; trained as a `FreqGAN` by `kfreqgan-train
  --config dehaze-v2` to `--config dehaze-v7`: the card says which
  version and how), size-free: it takes
  RGB images of any size in [0, 1]. Use it through
  `kfreqgan.dehazing.Dehazer` (whole image, untiled) or `kfreqgan-dehaze`.
  How it was made (the commands, the photo sources and their licences,
  the held-out photos, steps, wall time, held-out scores) is in
  `dehazer_card()`, written by `python -m kfreqgan.training.package_dehazer`
  from the run folders; the benchmark is in BENCHMARKS.md.
"""

import json
import os

DEHAZER_WEIGHTS_FILE = "dehazer.weights.npz"
DEHAZER_CARD_FILE = "dehazer.json"
"""File names of the shipped dehazer's weights and card, in this package and
in the folder `python -m kfreqgan.training.package_dehazer` writes."""

DEHAZER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), DEHAZER_WEIGHTS_FILE)
"""Path of the shipped dehazer's weights: float16 arrays keyed `layer/index`
(half the size of float32; the outputs move by less than 1e-2, see the tests)."""

_CARD_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), DEHAZER_CARD_FILE)


def save_weights(model, path):
    """Writes `model`'s weights as float16 arrays keyed `layer/index` (`.npz`)."""
    import numpy as np

    arrays = {
        f"{layer.name}/{index}": np.asarray(weight, np.float16)
        for layer in model.layers
        for index, weight in enumerate(layer.get_weights())
    }
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


BUILDERS = {"coherent": "kfreqgan.models.coherent_dehazer.coherent_dehazer"}
"""The builders a card's `architecture["builder"]` may name (`module.function`)."""


def build_dehazer(architecture):
    """The size-free dehazer a card's `architecture` describes: the builder it
    names (`architecture["builder"]`, a key of `BUILDERS`) called with its
    `architecture["arguments"]`.

    Raises:
        ValueError: for a builder this version of kfreqgan does not know.
    """
    import importlib

    builder = architecture.get("builder")
    if builder not in BUILDERS:
        raise ValueError(f"Unknown dehazer builder {builder!r}; known: {', '.join(BUILDERS)}. Received: builder={builder!r}")
    module, function = BUILDERS[builder].rsplit(".", 1)
    return getattr(importlib.import_module(module), function)(**architecture.get("arguments", {}), name="kfreqgan_dehazer")


def load_weights(model, path):
    """Sets `model`'s weights from a `save_weights` file (float16 arrays keyed
    `layer/index`), as float32.

    Raises:
        ValueError: if the file lacks a weight of `model` or holds one that
            `model` has no place for (a different architecture).
    """
    import numpy as np

    with np.load(path) as arrays:
        expected = {f"{layer.name}/{index}" for layer in model.layers for index in range(len(layer.weights))}
        if expected != set(arrays.files):
            missing, extra = sorted(expected - set(arrays.files)), sorted(set(arrays.files) - expected)
            raise ValueError(
                f"{path} does not hold this model's weights. Received: missing={missing[:5]}, unexpected={extra[:5]}"
            )
        for layer in model.layers:
            count = len(layer.weights)
            if count:
                layer.set_weights([arrays[f"{layer.name}/{index}"].astype(np.float32) for index in range(count)])
    return model


def dehazer():
    """Loads the shipped dehazer: a `keras.Model` `(N, H, W, 3) -> (N, H, W, 3)`.

    Returns a new, uncompiled model on every call; any H and W work (the
    learned part sees the whole photo resized to a fixed size; see
    `kfreqgan.models.coherent_dehazer`).

    Raises:
        FileNotFoundError: if the weights file is missing from the install.
        ValueError: if the weights are not the ones the card was written
            for (a card that records `weights_sha256`: an interrupted
            `package_dehazer --install`, or files mixed by hand).
    """
    if not os.path.exists(DEHAZER_PATH) or not os.path.exists(_CARD_PATH):
        raise FileNotFoundError(
            f"The shipped dehazer is missing from this installation. Expected: {DEHAZER_PATH!r}; "
            "reinstall kfreqgan, or train one with `kfreqgan-train --config dehaze-v2` and package it with "
            "`python -m kfreqgan.training.package_dehazer RUN_DIR --install`."
        )
    card = dehazer_card()
    check_weights_match(card, DEHAZER_PATH)
    return load_weights(build_dehazer(card["architecture"]), DEHAZER_PATH)


def check_weights_match(card, path):
    """Refuses weights at `path` whose SHA-256 differs from the card's
    `weights_sha256` (cards written before it was recorded pass).

    Raises:
        ValueError: naming both files.
    """
    from kfreqgan.paths import file_sha256

    expected = card.get("weights_sha256")
    if expected is None:
        return
    actual = file_sha256(path)
    if actual != expected:
        raise ValueError(
            f"{path} is not the weights file its card ({_CARD_PATH}) was written for (SHA-256 {actual[:12]}..., the card "
            f"records {expected[:12]}...): reinstall kfreqgan, or package the dehazer again. Received: path={path!r}"
        )


def dehazer_card():
    """How the shipped dehazer was made: a dict (command, photos, steps, ...)."""
    with open(_CARD_PATH, encoding="utf-8") as file:
        return json.load(file)
