"""Trained models that ship inside the package (no download).

- `dehazer()`: a frequency-aware dehazing generator (U-Net with
  band-filtered inputs and a scattering head, trained as a `FreqGAN`),
  size-free: it takes RGB images of any size in [0, 1]. Use it through
  `kfreqgan.dehazing.Dehazer` (tiling, bounded memory) or `kfreqgan-dehaze`.
  How it was made (the command, the training photos, steps, time) is in
  `dehazer_card()`; its scores against the hazy input and the dark channel
  prior are in BENCHMARKS.md.
"""

import json
import os

DEHAZER_WEIGHTS_FILE = "dehazer.weights.npz"
DEHAZER_CARD_FILE = "dehazer.json"
"""File names of the shipped dehazer's weights and card, in this package and
in the folder `python -m kfreqgan.training.pretrained_dehazer` writes."""

DEHAZER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), DEHAZER_WEIGHTS_FILE)
"""Path of the shipped dehazer's weights: float16 arrays keyed `layer/index`
(half the size of float32; the outputs move by less than 1e-3, see the tests)."""

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


def build_dehazer(architecture):
    """The size-free dehazing U-Net described by a card's `architecture`."""
    from kfreqgan.models import unet_generator

    return unet_generator(
        (None, None, architecture["channels"]),
        architecture["filters"],
        architecture["depth"],
        bands=[tuple(band) for band in architecture["bands"]],
        head=architecture["head"],
        name="kfreqgan_dehazer",
    )


def dehazer():
    """Loads the shipped dehazer: a `keras.Model` `(N, H, W, 3) -> (N, H, W, 3)`.

    Returns a new, uncompiled model on every call; any H and W work (the
    network reflect-pads to a multiple of 16 and crops back).

    Raises:
        FileNotFoundError: if the weights file is missing from the install.
    """
    import numpy as np

    if not os.path.exists(DEHAZER_PATH) or not os.path.exists(_CARD_PATH):
        raise FileNotFoundError(
            f"The shipped dehazer is missing from this installation. Expected: {DEHAZER_PATH!r}; "
            "reinstall kfreqgan or train one with `python -m kfreqgan.training.pretrained_dehazer`."
        )
    model = build_dehazer(dehazer_card()["architecture"])
    with np.load(DEHAZER_PATH) as arrays:
        for layer in model.layers:
            count = len(layer.weights)
            if count:
                layer.set_weights([arrays[f"{layer.name}/{index}"].astype(np.float32) for index in range(count)])
    return model


def dehazer_card():
    """How the shipped dehazer was made: a dict (command, photos, steps, ...)."""
    with open(_CARD_PATH, encoding="utf-8") as file:
        return json.load(file)
