"""Trains the dehazer that ships in the package (`kfreqgan.pretrained.dehazer()`).

The exact command that made the shipped weights (recorded, with the
training photos, steps and time, in `kfreqgan/pretrained/dehazer.json`):

    python -m kfreqgan.training.pretrained_dehazer --out outputs/pretrained

Data: the bundled training photos (`kfreqgan.data.TRAIN_PHOTOS`; the
held-out photos `HELDOUT_PHOTOS` are never read here), each rescaled by a
random factor, hazed *as a whole* with the atmospheric scattering model
(depth prior `synthetic_depth` over the whole photo, `beta` and airlight in
the RESIDE ITS ranges), then cut into random crops with random flips. Hazing
whole photos rather than patches gives crops the depth range that a patch
of a real hazy photo has, which is what the dehazer meets at inference.

Model: `FreqGAN` with the frequency-aware U-Net (band-filtered inputs,
scattering head), the two-branch (spatial + band-filtered) discriminator
and the L1 + focal frequency + least-squares adversarial loss of the
`dehaze-rgb-64` configuration, trained with a cosine learning-rate decay.

Writes into `--out`: `dehazer.keras` (the size-free generator in float32:
any image size), `dehazer.weights.npz` (its weights in float16, what the
package ships), `dehazer.json` (how it was made, and the architecture) and
TensorBoard logs; `--install` copies the last two into `kfreqgan/pretrained/`.
"""

import json
import os
import shutil
import sys
import time

import numpy as np

from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import run_main

DEFAULTS = {
    "crop": 64,
    "batch_size": 12,
    "crops_per_photo": 4,
    "scale_range": [0.25, 1.0],
    "steps_per_epoch": 100,
    "epochs": 30,
    "generator_filters": 16,
    "generator_depth": 4,
    "discriminator_filters": 16,
    "discriminator_layers": 3,
    "generator_lr": 3e-4,
    "discriminator_lr": 2e-4,
    "seed": 7,
}


def hazy_photo_crops(photos, crop, batch_size, seed, scale_range=(0.25, 1.0), crops_per_photo=4, config=None):
    """An endless dataset of `(hazy, clean)` crop batches from whole hazed photos.

    Args:
        photos: list of float32 `(H, W, 3)` photos in [0, 1].
        crop: side of the square crops (a multiple of the network's `2 ** depth`).
        batch_size: crops per batch.
        seed: int; the dataset is deterministic for a seed.
        scale_range: `(min, max)` of the random rescaling factor applied to
            each photo before hazing (smaller crops of more scene).
        crops_per_photo: crops cut from each hazed photo.
        config: haze ranges, `{"beta_range": ..., "airlight_range": ...}`
            (default: the RESIDE ITS ranges).

    Returns:
        A `tf.data.Dataset` of `(hazy, clean)` float32 `(batch, crop, crop, 3)`.
    """
    import tensorflow as tf

    from kfreqgan.data import haze
    from kfreqgan.data import make_hazy_pairs

    config = config or {}
    beta_range = config.get("beta_range", haze.ITS_BETA_RANGE)
    airlight_range = config.get("airlight_range", haze.ITS_AIRLIGHT_RANGE)
    low, high = scale_range
    for photo in photos:
        if min(photo.shape[:2]) * low < crop:
            raise ValueError(
                f"A photo of {photo.shape[0]}x{photo.shape[1]} rescaled by {low} is smaller than "
                f"the {crop}-pixel crop. Received: scale_range={scale_range}"
            )

    def pick():
        rng = np.random.default_rng(seed)
        while True:
            index = int(rng.integers(len(photos)))
            yield photos[index], rng.integers(0, 2**31 - 1, size=4)

    def haze_whole(photo, seeds):
        size = tf.cast(tf.shape(photo)[:2], tf.float32)
        scale = tf.random.stateless_uniform((), seeds[0:2], low, high)
        shape = tf.cast(tf.round(size * scale), tf.int32)
        clean = tf.image.resize(photo, shape, method="area")
        hazy, _ = make_hazy_pairs(clean, seeds[2:4], beta_range=beta_range, airlight_range=airlight_range)
        pair = tf.concat([hazy, clean], axis=-1)
        crops = []
        for index in range(crops_per_photo):
            crop_seed = seeds[0:2] + index + 1
            window = tf.image.stateless_random_crop(pair, (crop, crop, 6), crop_seed)
            crops.append(tf.image.stateless_random_flip_left_right(window, crop_seed + 7))
        crops = tf.clip_by_value(tf.stack(crops), 0.0, 1.0)
        return tf.data.Dataset.from_tensor_slices((crops[..., :3], crops[..., 3:]))

    dataset = tf.data.Dataset.from_generator(
        pick,
        output_signature=(tf.TensorSpec((None, None, 3), tf.float32), tf.TensorSpec((4,), tf.int64)),
    )
    dataset = dataset.map(lambda photo, seeds: (photo, tf.cast(seeds, tf.int32)))
    dataset = dataset.interleave(haze_whole, cycle_length=4, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.shuffle(8 * batch_size, seed=seed).batch(batch_size, drop_remainder=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def build(settings):
    """The FreqGAN to train (the `dehaze-rgb-64` recipe at `settings`' sizes)."""
    from kfreqgan.training import configs
    from kfreqgan.training import train

    config = configs.get_config(
        "dehaze-rgb-64",
        {
            "image_size": settings["crop"],
            "generator_filters": settings["generator_filters"],
            "generator_depth": settings["generator_depth"],
            "discriminator_filters": settings["discriminator_filters"],
            "discriminator_layers": settings["discriminator_layers"],
        },
    )
    return train.build_gan(config), config


def run(out, settings, verbose=2):
    import keras

    from kfreqgan import pretrained
    from kfreqgan.atomic_files import write_atomically
    from kfreqgan.atomic_files import write_text_atomically
    from kfreqgan.data import TRAIN_PHOTOS
    from kfreqgan.data import load_photo
    from kfreqgan.models import DEFAULT_BANDS
    from kfreqgan.training import train

    keras.utils.set_random_seed(settings["seed"])
    photos = [load_photo(name) for name in TRAIN_PHOTOS]
    dataset = hazy_photo_crops(
        photos,
        settings["crop"],
        settings["batch_size"],
        settings["seed"],
        settings["scale_range"],
        settings["crops_per_photo"],
    )
    gan, config = build(settings)
    total = settings["steps_per_epoch"] * settings["epochs"]
    gan.compile(
        keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(settings["generator_lr"], total, alpha=0.05), beta_1=0.5),
        keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(settings["discriminator_lr"], total, alpha=0.05), beta_1=0.5),
    )
    started = time.time()
    history = gan.fit(
        dataset,
        epochs=settings["epochs"],
        steps_per_epoch=settings["steps_per_epoch"],
        verbose=verbose,
        callbacks=[keras.callbacks.TensorBoard(os.path.join(out, "logs"), update_freq="epoch")],
    )
    seconds = time.time() - started
    dehazer = train.size_free_generator(gan.generator, config, name="kfreqgan_dehazer")
    os.makedirs(out, exist_ok=True)
    write_atomically(os.path.join(out, "dehazer.keras"), dehazer.save)
    write_atomically(os.path.join(out, pretrained.DEHAZER_WEIGHTS_FILE), lambda path: pretrained.save_weights(dehazer, path))
    card = {
        "command": "python -m kfreqgan.training.pretrained_dehazer " + " ".join(sys.argv[1:]),
        "training_photos": list(TRAIN_PHOTOS),
        "settings": settings,
        "generator": {
            "filters": config["generator_filters"],
            "depth": config["generator_depth"],
            "bands": "kfreqgan.models.DEFAULT_BANDS",
            "head": config["generator_head"],
            "parameters": int(dehazer.count_params()),
        },
        "architecture": {
            "channels": config["channels"],
            "filters": config["generator_filters"],
            "depth": config["generator_depth"],
            "bands": [list(band) for band in DEFAULT_BANDS.values()],
            "head": config["generator_head"],
        },
        "weights": f"{pretrained.DEHAZER_WEIGHTS_FILE} (float16)",
        "losses": {
            "l1_weight": config["l1_weight"],
            "frequency_loss": config["frequency_loss"],
            "frequency_weight": config["frequency_weight"],
            "adversarial_loss": config["adversarial_loss"],
            "adversarial_weight": config["adversarial_weight"],
        },
        "haze": {"beta_range": config["beta_range"], "airlight_range": config["airlight_range"], "depth": "synthetic_depth over the whole photo"},
        "generator_steps": int(gan.generator_optimizer.iterations.numpy()),
        "train_seconds": round(seconds, 1),
        "final_losses": {name: float(np.ravel(values[-1])[0]) for name, values in history.history.items()},
        "versions": {"tensorflow": __import__("tensorflow").__version__, "keras": keras.__version__},
    }
    write_text_atomically(os.path.join(out, pretrained.DEHAZER_CARD_FILE), json.dumps(card, indent=2) + "\n")
    return card


def _parser():
    parser = ArgumentParser(prog="python -m kfreqgan.training.pretrained_dehazer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/pretrained", help="output folder")
    for key, value in DEFAULTS.items():
        kind = type(value[0]) if isinstance(value, list) else type(value)
        nargs = len(value) if isinstance(value, list) else None
        parser.add_argument(f"--{key.replace('_', '-')}", type=kind, nargs=nargs, default=value)
    parser.add_argument("--install", action="store_true", help="copy the result into kfreqgan/pretrained/")
    return parser


def _run(args):
    settings = {key: getattr(args, key) for key in DEFAULTS}
    card = run(args.out, settings, verbose=1 if sys.stdout.isatty() else 2)
    print(f"trained {card['generator_steps']} steps in {card['train_seconds']:.0f} s; wrote {args.out}/dehazer.keras")
    if args.install:
        from kfreqgan import pretrained

        # Where the package loads them from: the source tree for an editable
        # install, site-packages otherwise.
        target = os.path.dirname(pretrained.DEHAZER_PATH)
        for name in (pretrained.DEHAZER_WEIGHTS_FILE, pretrained.DEHAZER_CARD_FILE):
            shutil.copyfile(os.path.join(args.out, name), os.path.join(target, name))
        print(f"installed into {target}")
    return 0


def main(argv=None):
    """Runs the program with `argv` (default `sys.argv[1:]`); returns its exit status."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
