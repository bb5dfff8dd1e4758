"""`kfreqgan-train`: train a FreqGAN from a named configuration.

    kfreqgan-train --config dehaze-rgb-64 --out runs/dehaze
    kfreqgan-train --config dehaze-demo --set epochs=4 --strategy mirrored
    kfreqgan-train --list-configs

Writes into `--out`:

- `backup/`: the training state after the last completed epoch
  (`kfreqgan.callbacks.AtomicBackupAndRestore`, which a kill mid-write cannot
  tear); a run that is interrupted and started again with the same
  arguments resumes from it (weights, both optimizers, epoch counter);
- `logs/`: TensorBoard logs;
- `generator.keras` and `freqgan.keras`: the trained generator and GAN
  (with `keep_best`, `generator.keras` is the generator of the epoch that
  scored best on `validation_photos`, kept in `best/` by
  `kfreqgan.callbacks.KeepBestWeights` across interruptions, and
  `freqgan.keras` the GAN as the last epoch left it; with
  `keep_best_restore=False` every epoch is still scored but
  `generator.keras` is the last epoch's generator; with `generator_ema`,
  a generator is its moving average);
- `samples.png`: held-out examples (dehazing: hazy / dehazed / clean rows;
  unconditional: a grid of samples);
- `run_config.json`: the configuration of the latest start, so that a
  continuation with a different model (filters, depth, architecture,
  channels, precision, ...), which cannot load the backup, is refused with
  the keys that differ;
- `initialised_from.json`: with `init_generator` (a fine-tune of a trained
  generator), what the run's generator started from: the model's name,
  the real path and SHA-256 of its file and, for the shipped dehazer, its card;
- `metrics.json`: the configuration, the training history (every epoch,
  those before an interruption included), the configuration of each
  sitting in this folder with the epoch it ended at (`sittings`: a later
  sitting may switch a weightless option or the moving average on) and, for
  dehazing, PSNR / SSIM / spectral error of the hazy inputs and of the
  dehazed outputs on held-out photos; with `keep_best`, the selected epoch
  and the validation scores (`val_psnr`, `val_ssim` are in the history too).

`--strategy multiworker` reads the cluster from `TF_CONFIG`; every worker
runs the same command, and only the chief (worker 0) writes the outputs.

`--out` must be new, empty, or a run folder of this command (it holds a
`backup/`, `run_config.json` or a `metrics.json` this command wrote); a
continuation must not ask for fewer epochs than its backup holds.

A NaN or Inf in a loss stops training with a one-line error naming the
global step, the epoch and the loss terms (exit status 2), before the
diverged weights reach the backup or any output file.

Errors follow `kfreqgan.command_line`: one line and exit status 2 (a bad
`--set` value or task is refused before any data loads or file is
written; a full disk is one line too), 130 on Ctrl-C (rerun to resume).
While it runs, the command holds a lock in `--out`
(`kfreqgan.training.folder_lock`): a second run into the same folder stops
at once, naming the first one's pid; a lock left by a killed run is taken
over.
"""

import ast
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from kfreqgan.atomic_files import write_atomically
from kfreqgan.atomic_files import write_text_atomically
from kfreqgan.command_line import deferred_interrupts
from kfreqgan.command_line import interrupt_callback
from kfreqgan.paths import file_sha256


def make_strategy(name):
    """The tf.distribute strategy for `--strategy` (created before anything else)."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy multiworker needs the cluster in the TF_CONFIG environment variable.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"Unknown strategy {name!r}; use default, mirrored or multiworker.")


def _worker(strategy):
    """(is_chief, worker_id) of this process."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True, 0
    chief = resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)
    return chief, int(resolver.task_id or 0)


def supervises_haze(config):
    """Whether the config's losses need the haze's true parameters in the data."""
    return bool(config.get("airlight_supervision_weight", 0.0) or config.get("transmission_supervision_weight", 0.0))


def _hazify(config, with_parameters=False):
    """A map function (clean, seed) -> (hazy, clean) with the config's haze;
    `with_parameters`: (hazy, clean, `haze.supervision_targets`)."""
    from kfreqgan.data import make_hazy_pairs
    from kfreqgan.data.haze import supervision_targets

    def apply(clean, seed):
        hazy, clean, parameters = make_hazy_pairs(
            clean, seed, beta_range=config["beta_range"], airlight_range=config["airlight_range"], return_parameters=True
        )
        if not with_parameters:
            return hazy, clean
        return hazy, clean, supervision_targets(parameters)

    return apply


def check_steps(examples, global_batch_size, what):
    """Refuses an epoch of fewer training examples than one global batch:
    the dataset drops the incomplete batch, so not one step would run and
    the run would still "finish", its weights untouched.

    Raises:
        ValueError: naming both numbers and `what` makes the examples.
    """
    if examples < global_batch_size:
        raise ValueError(
            f"An epoch has {examples} training examples ({what}), fewer than one global batch of {global_batch_size} "
            "(batch_size x replicas): the incomplete batch is dropped, so no training step would run. Lower batch_size, "
            f"or raise patches_per_photo or add photos. Received: {examples} examples, global batch {global_batch_size}"
        )


def dehazing_data(config, global_batch_size):
    """Training dataset (haze synthesised on the fly) and a fixed held-out set.

    Returns:
        `(train_dataset, eval_hazy, eval_clean)`; the held-out arrays come from
        `config["eval_photos"]`, which share no photo with the training set.
    """
    import tensorflow as tf

    from kfreqgan.data import photo_patches

    if config.get("photo_catalogue") is not None:
        return whole_photo_data(config, global_batch_size)
    overlap = set(config["train_photos"]) & set(config["eval_photos"])
    if overlap:
        raise ValueError(f"train_photos and eval_photos overlap: {sorted(overlap)}")
    gray = config["channels"] == 1
    size, seed = config["image_size"], config["seed"]
    clean = photo_patches(
        config["train_photos"], size, config["patches_per_photo"], seed=seed, short_side=config["photo_short_side"], gray=gray
    )
    check_steps(len(clean), global_batch_size, f"patches_per_photo={config['patches_per_photo']} x {len(config['train_photos'])} photos")
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2, drop_remainder=True)
    train = (
        tf.data.Dataset.from_tensor_slices(clean)
        .shuffle(len(clean), seed=seed, reshuffle_each_iteration=True)
        .repeat(1)
    )
    train = tf.data.Dataset.zip(train, seeds)
    train = train.map(_hazify(config, supervises_haze(config)), num_parallel_calls=tf.data.AUTOTUNE)
    train = train.batch(global_batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    train = train.with_options(options)

    eval_clean = photo_patches(
        config["eval_photos"],
        size,
        config["eval_patches_per_photo"],
        seed=seed + 1,
        short_side=config["photo_short_side"],
        gray=gray,
    )
    eval_hazy = _hazify(config)(eval_clean, seed + 7)[0].numpy()
    return train, eval_hazy, eval_clean


def whole_photo_data(config, global_batch_size):
    """`dehazing_data` for configs with `photo_catalogue` (e.g. `dehaze-v2`):
    square crops of whole photos with layered depth (`kfreqgan.data.whole_photos`).

    Training photos: the bundled `train_photos` and, if `photo_catalogue`,
    the registry catalogue's train split; held out: `eval_photos` and the
    catalogue's held-out split, one centred square each.
    """
    from kfreqgan.data import whole_photos

    train_sources, eval_sources = [], []
    if config["photo_catalogue"]:
        split = catalogue_split(config)
        train_sources, eval_sources = split["train"], split["heldout"]
        from kfreqgan.training.configs import validation_photo_keys

        validation = set(validation_photo_keys(config))
        train_sources = [photo for photo in train_sources if photo.key not in validation]
    haze_ranges = _haze_ranges(config)
    max_side, seed = config["photo_max_side"], config["seed"]
    # Before the photos load: weights that leave nothing to draw fail at once.
    photo_weights = scene_photo_weights(train_sources, len(config["train_photos"]), config.get("scene_weights"))
    _, photos = whole_photos.load_photos(train_sources, config["train_photos"], max_side)
    depths = whole_photos.depth_maps(photos, config["depth_variants"], seed)
    examples = config["patches_per_photo"] * len(photos)
    check_steps(examples, global_batch_size, f"patches_per_photo={config['patches_per_photo']} x {len(photos)} photos")
    train = whole_photos.whole_photo_pairs(
        photos,
        depths,
        config["image_size"],
        examples,
        global_batch_size,
        seed,
        config["crop_range"],
        return_parameters=supervises_haze(config),
        photo_weights=photo_weights,
        **haze_ranges,
    )
    _, held = whole_photos.load_photos(eval_sources, config["eval_photos"], max_side)
    eval_hazy, eval_clean = whole_photos.heldout_pairs(
        held, config["image_size"], seed + 1, config["eval_patches_per_photo"], **haze_ranges
    )
    return train, eval_hazy, eval_clean


def scene_photo_weights(catalogue_photos, bundled_count, scene_weights):
    """The odds of drawing each training photo (`whole_photos.load_photos`'
    order: the catalogue's, then `bundled_count` bundled ones) under a
    config's `scene_weights`, or None (uniform) without any.

    Raises:
        ValueError: if the weights leave no photo to draw.
    """
    if scene_weights is None:
        return None
    weights = [float(scene_weights.get(photo.scene, 1.0)) for photo in catalogue_photos] + [1.0] * bundled_count
    if not any(weights):
        raise ValueError(
            "`scene_weights` gives every training photo a weight of 0, so none could be drawn. "
            f"Received: scene_weights={scene_weights!r} for {len(catalogue_photos)} catalogue photos"
        )
    return weights


def _haze_ranges(config):
    return {
        "beta_range": config["beta_range"],
        "airlight_range": config["airlight_range"],
        "airlight_tint": config.get("airlight_tint", 0.0),
    }


def validation_pairs(config):
    """Fixed `(hazy, clean)` arrays of `config`'s `validation_photos` (catalogue
    photos of the train split, of the config's release or a later one, that
    the run does not train on, or bundled photos outside `train_photos` and
    `eval_photos`), scored every
    epoch for `keep_best`: the largest centred square of each photo with
    `validation_patches_per_photo` haze draws (`whole_photos.heldout_pairs`,
    seeded apart from the held-out set's)."""
    from kfreqgan.data import PHOTO_NAMES
    from kfreqgan.data import photo_sources
    from kfreqgan.data import whole_photos
    from kfreqgan.training.configs import validation_photo_keys

    keys = validation_photo_keys(config)
    bundled = [name for name in keys if name in PHOTO_NAMES]
    photos = []
    wanted = set(keys) - set(bundled)
    if wanted:
        # Any release's train split (configs._check_validation checked them).
        packages = sorted({photo.package for photo in photo_sources.CATALOGUE if photo.key in wanted})
        photos = [photo for photo in photo_sources.installed_photos(packages) if photo.key in wanted]
    _, images = whole_photos.load_photos(photos, bundled, config["photo_max_side"])
    return whole_photos.heldout_pairs(
        images, config["image_size"], config["seed"] + 2, config["validation_patches_per_photo"], **_haze_ranges(config)
    )


def catalogue_split(config):
    """The train / held-out split of the photo catalogue release a config
    with `photo_catalogue` draws on (`configs.catalogue_release`)."""
    from kfreqgan.data import photo_sources
    from kfreqgan.training.configs import catalogue_release

    return photo_sources.split_photos(photo_sources.installed_photos(release=catalogue_release(config)))


def held_out_photo_names(config):
    """The photos the held-out examples come from: `eval_photos` and, with
    `photo_catalogue`, the registry catalogue's held-out split (installed ones)."""
    names = list(config["eval_photos"])
    if config.get("photo_catalogue"):
        names += [photo.key for photo in catalogue_split(config)["heldout"]]
    return names


def unconditional_data(config, global_batch_size):
    import tensorflow as tf

    from kfreqgan.data import photo_patches

    clean = photo_patches(
        config["train_photos"],
        config["image_size"],
        config["patches_per_photo"],
        seed=config["seed"],
        short_side=config["photo_short_side"],
        gray=config["channels"] == 1,
    )
    check_steps(len(clean), global_batch_size, f"patches_per_photo={config['patches_per_photo']} x {len(config['train_photos'])} photos")
    dataset = tf.data.Dataset.from_tensor_slices(clean).shuffle(len(clean), seed=config["seed"])
    dataset = dataset.batch(global_batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options), clean


def _stabilizers(config):
    """The FreqGAN stabilizer options of `config` (off where a key is missing)."""
    from kfreqgan.instance_noise import InstanceNoiseSchedule

    noise = config.get("instance_noise", 0.0)
    return {
        "gradient_penalty": config.get("gradient_penalty"),
        "gradient_penalty_weight": config.get("gradient_penalty_weight", 10.0),
        "gradient_penalty_interval": config.get("gradient_penalty_interval", 1),
        "feature_matching_weight": config.get("feature_matching_weight", 0.0),
        "spectrum_matching_weight": config.get("spectrum_matching_weight", 0.0),
        "spectrum_matching_max_frequency": config.get("spectrum_matching_max_frequency", 0.5),
        "instance_noise": InstanceNoiseSchedule(
            noise, config["instance_noise_decay_steps"], kind=config["instance_noise_decay"]
        )
        if noise
        else None,
    }


def compiled_gan(config):
    """The FreqGAN of `config`, compiled as `kfreqgan-train` compiles it
    (Adam with beta_1 0.5 at the configured learning rates; with
    `generator_ema`, the generator's Adam keeps a moving average of its
    weights). Call it inside the strategy's scope."""
    import keras

    gan = build_gan(config)
    ema = config.get("generator_ema")  # absent from older run folders' configs: off
    gan.compile(
        keras.optimizers.Adam(config["generator_lr"], beta_1=0.5, use_ema=ema is not None, ema_momentum=ema or 0.99),
        keras.optimizers.Adam(config["discriminator_lr"], beta_1=0.5),
        jit_compile=config["jit_compile"],
    )
    return gan


def build_generator(config):
    """The generator `config` describes (the one `build_gan` puts in its GAN)."""
    from kfreqgan.models import DEFAULT_BANDS
    from kfreqgan.models import dcgan_generator
    from kfreqgan.models import unet_generator

    size, channels = config["image_size"], config["channels"]
    if config["task"] == "unconditional":
        return dcgan_generator(config["latent_dim"], size, channels, config["generator_filters"])
    if config.get("generator_architecture") == "coherent":
        from kfreqgan.models.coherent_dehazer import coherent_dehazer
        from kfreqgan.training.configs import coherent_dehazer_arguments

        return coherent_dehazer(
            **coherent_dehazer_arguments(config),
            smoothness_weight=config.get("transmission_smoothness", 0.0),  # absent from older run folders' configs
        )
    # The band inputs are a part of frequency awareness (key absent from older configs: on).
    band_inputs = config["frequency_aware"] and config.get("frequency_inputs", True)
    return unet_generator(
        (size, size, channels),
        config["generator_filters"],
        config["generator_depth"],
        bands=DEFAULT_BANDS if band_inputs else None,
        head=config["generator_head"],
    )


def build_gan(config):
    """The FreqGAN described by `config` (not compiled)."""
    from kfreqgan.models import FreqGAN
    from kfreqgan.models import SpectralDiscriminator
    from kfreqgan.models import dcgan_discriminator
    from kfreqgan.models import dehazing_discriminator
    from kfreqgan.models import patchgan_discriminator

    size, channels = config["image_size"], config["channels"]
    shape = (size, size, channels)
    generator = build_generator(config)
    if config["task"] == "unconditional":
        discriminator = dcgan_discriminator(
            shape, config["discriminator_filters"], minibatch_std=config.get("minibatch_std", False)
        )
        if config["spectral_discriminator"]:
            discriminator = SpectralDiscriminator(
                discriminator, stop_generator_gradient=config.get("spectral_stop_gradient", True)
            )
        return FreqGAN(
            generator, discriminator, mode="unconditional", adversarial_loss=config["adversarial_loss"], **_stabilizers(config)
        )
    aware = config["frequency_aware"]
    # The discriminator's part of frequency awareness (key absent from older configs: on).
    band_discriminator = aware and config.get("frequency_discriminator", True)
    if band_discriminator:
        discriminator = dehazing_discriminator(
            shape,
            config["discriminator_filters"],
            config["discriminator_layers"],
            minibatch_std=config.get("minibatch_std", False),
        )
    else:
        discriminator = patchgan_discriminator(
            shape,
            channels,
            config["discriminator_filters"],
            config["discriminator_layers"],
            minibatch_std=config.get("minibatch_std", False),
        )
    return FreqGAN(
        generator,
        discriminator,
        mode="paired",
        adversarial_loss=config["adversarial_loss"],
        adversarial_weight=config["adversarial_weight"],
        l1_weight=config["l1_weight"],
        frequency_loss=config["frequency_loss"] if aware else None,
        frequency_weight=config["frequency_weight"],
        # Absent from older run folders' configs:
        rehazing_weight=config.get("rehazing_weight", 0.0),
        rehazing_weighting=config.get("rehazing_weighting", "uniform"),
        rehazing_target=config.get("rehazing_target", "both"),
        airlight_supervision_weight=config.get("airlight_supervision_weight", 0.0),
        transmission_supervision_weight=config.get("transmission_supervision_weight", 0.0),
        **_stabilizers(config),
    )


def size_free_generator(generator, config, name="unet_generator"):
    """The dehazing generator of `config` rebuilt for any image size, with
    `generator`'s trained weights (copied by layer name)."""
    from kfreqgan.models import DEFAULT_BANDS
    from kfreqgan.models import copy_weights_by_name
    from kfreqgan.models import unet_generator

    size_free = unet_generator(
        (None, None, config["channels"]),
        config["generator_filters"],
        config["generator_depth"],
        bands=DEFAULT_BANDS if config["frequency_aware"] and config.get("frequency_inputs", True) else None,
        head=config["generator_head"],
        name=name,
    )
    return copy_weights_by_name(generator, size_free)


def image_quality(clean, images):
    """PSNR, SSIM and the high-frequency spectral error of `images` vs `clean`."""
    import tensorflow as tf

    from kfreqgan import spectral

    clean = tf.constant(clean, tf.float32)
    images = tf.clip_by_value(tf.constant(images, tf.float32), 0.0, 1.0)
    gap = spectral.spectral_distance(clean, images)
    high = gap.frequencies.numpy() >= 0.25
    return {
        "psnr": float(tf.reduce_mean(tf.image.psnr(clean, images, 1.0))),
        "ssim": float(tf.reduce_mean(tf.image.ssim(clean, images, 1.0))),
        "spectral_distance_db": float(gap.distance),
        "high_frequency_error_db": float(np.mean(np.abs(gap.per_bin.numpy()[high]))),
    }


def grid_png(rows, path):
    """Saves rows of equally sized images as one PNG (atomically)."""
    import tensorflow as tf

    tiles = [np.concatenate(list(np.clip(row, 0, 1)), axis=1) for row in rows]
    grid = np.concatenate(tiles, axis=0)
    if grid.shape[-1] == 1:
        grid = np.repeat(grid, 3, axis=-1)
    data = tf.io.encode_png(tf.cast(np.round(grid * 255), tf.uint8)).numpy()
    write_atomically(path, lambda temporary: tf.io.write_file(temporary, data))


def _with_the_average(gan):
    """Two callbacks: at the end of an epoch the first puts the generator's
    moving average (its optimizer's `use_ema`) into its weights, the second
    puts the raw weights back; the callbacks between them see the average."""
    import keras

    raw = []

    def average(epoch, logs=None):
        raw[:] = [variable.numpy() for variable in gan.generator.trainable_variables]
        gan.generator_optimizer.finalize_variable_values(gan.generator.trainable_variables)

    def back(epoch, logs=None):
        for variable, value in zip(gan.generator.trainable_variables, raw):
            variable.assign(value)
        raw.clear()

    return keras.callbacks.LambdaCallback(on_epoch_end=average), keras.callbacks.LambdaCallback(on_epoch_end=back)


def _put_the_average(gan):
    """Puts the generator's moving average into its weights. A generator
    optimizer that took no step (`generator_ema` switched on in a sitting
    with no epoch left to train: its optimizer starts afresh) holds no
    average, only its zero-initialised slots; the weights then stay as they
    are, the average of no step by Keras's own first step."""
    if int(gan.generator_optimizer.iterations.numpy()) == 0:
        print(
            "kfreqgan-train: warning: generator_ema was switched on in a sitting that trained no step, so there is no "
            "moving average; generator.keras holds the generator's weights as they are.",
            file=sys.stderr,
        )
        return
    gan.generator_optimizer.finalize_variable_values(gan.generator.trainable_variables)


def _set_learning_rates(gan, config, epoch):
    """Both optimizers' rates for the epoch `epoch` (from 0), from the
    configuration and its `learning_rate_drops`, not from the backup."""
    from kfreqgan.training.configs import learning_rates

    generator_lr, discriminator_lr = learning_rates(config, epoch)
    gan.generator_optimizer.learning_rate = generator_lr
    gan.discriminator_optimizer.learning_rate = discriminator_lr


RUN_CONFIG_FILE = "run_config.json"

# The keys that decide the variables of the models and of their optimizers:
# a backup written under one value cannot be loaded under another (and
# `image_size` for an unconditional GAN, whose dense layers it sizes). Keys
# of layers without variables (coarse_size, guide_radius, grey_airlight,
# the smoothness prior) and of the data or losses may change between
# sittings; `generator_ema` may be switched on or off (the generator's
# optimizer then starts afresh, README "Stabilizers").
STRUCTURE_KEYS = (
    "task",
    "channels",
    "latent_dim",
    "generator_architecture",
    "generator_filters",
    "generator_depth",
    "generator_head",
    "frequency_aware",
    "frequency_inputs",
    "frequency_discriminator",
    "discriminator_filters",
    "discriminator_layers",
    "minibatch_std",
    "spectral_discriminator",
    "mixed_precision",
)

INIT_PROVENANCE_FILE = "initialised_from.json"
"""The run folder's record of what `init_generator` started the generator from."""

# What this command writes into --out (a folder holding anything else and
# no run is someone else's).
_RUN_ENTRIES = (
    "backup", "best", "logs", "metrics.json", "generator.keras", "freqgan.keras", "samples.png", RUN_CONFIG_FILE,
    INIT_PROVENANCE_FILE,
)


def initialise_generator(generator, config):
    """Sets `generator`'s weights from `config["init_generator"]` (see
    `configs`: `pretrained:dehazer` or a `.keras` file) and returns the
    provenance record `kfreqgan-train` writes to `initialised_from.json`.

    The two generators must be one architecture: the same number of
    weights, each of the same shape, in the same order (the config's
    builder with the trained model's settings; the fixed image size of
    training and a size-free saved model hold the same weights). Or the
    config's generator is the trained one with layers added (e.g.
    `airlight_prior`): every weighted layer of the trained model has a
    same-named layer of same-shaped weights in it; those are copied by
    name, the added ones keep their initial weights and are listed in the
    record (`new_layers`).

    Raises:
        ValueError: naming the first weight that does not fit, or the
            counts.
    """
    from kfreqgan.models.image_to_image import check_image_to_image
    from kfreqgan.models.loading import load_generator
    from kfreqgan.models.loading import pretrained_name

    spec = config["init_generator"]
    if pretrained_name(spec) is not None:
        _check_unseen_photos(config, spec)
    try:
        source = load_generator(spec, kinds=("keras",), image_to_image=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"`init_generator`: {error}") from None
    if config["task"] == "dehaze":
        try:
            check_image_to_image(source)
        except ValueError:
            shapes = [tuple(tensor.shape) for tensor in getattr(source, "inputs", None) or []]
            outputs = [tuple(tensor.shape) for tensor in getattr(source, "outputs", None) or []]
            raise ValueError(
                "`init_generator`: a dehaze config starts from an image-to-image generator (one image input, one output "
                f"of its shape); this model takes {shapes} and returns {outputs}. Received: init_generator={spec!r}"
            ) from None
    theirs, ours = source.weights, generator.weights
    added = _added_layers(source, generator) if len(theirs) < len(ours) else None
    if added is not None:
        for layer in source.layers:
            if layer.weights:
                generator.get_layer(layer.name).set_weights(layer.get_weights())
    elif len(theirs) != len(ours):
        raise ValueError(
            f"init_generator {spec!r} is another architecture than this config's generator: {len(theirs)} weights "
            f"({source.count_params()} parameters) against {len(ours)} ({generator.count_params()}). Give a config "
            f"that describes its model (for the shipped dehazer: --config dehaze-v7). Received: init_generator={spec!r}"
        )
    for mine, their in zip(ours, theirs) if added is None else ():
        if tuple(mine.shape) != tuple(their.shape):
            raise ValueError(
                f"init_generator {spec!r} does not fit this config's generator: its weight {their.path} has shape "
                f"{tuple(their.shape)}, this config's {mine.path} {tuple(mine.shape)} (another width or architecture). "
                f"Received: init_generator={spec!r}"
            )
    if added is None:
        generator.set_weights(source.get_weights())
    record = {"init_generator": spec, "parameters": int(generator.count_params())}
    if added:
        record["new_layers"] = added
    if pretrained_name(spec) is not None:
        from kfreqgan import pretrained

        record.update(file=pretrained.DEHAZER_PATH, sha256=file_sha256(pretrained.DEHAZER_PATH), card=pretrained.dehazer_card())
    else:
        # The file itself: a symlink may be repointed, and its folder is not the run's.
        record.update(file=os.path.realpath(spec), sha256=file_sha256(spec))
    return record


def _added_layers(source, target):
    """The names of `target`'s weighted layers that `source` lacks, when
    `target` is `source` with layers added (every weighted layer of
    `source` has a same-named one in `target` with weights of the same
    shapes); None otherwise."""
    theirs = {layer.name: layer for layer in source.layers if layer.weights}
    mine = {layer.name: layer for layer in target.layers if layer.weights}
    for name, layer in theirs.items():
        if name not in mine or [tuple(w.shape) for w in layer.weights] != [tuple(w.shape) for w in mine[name].weights]:
            return None
    added = [name for name in mine if name not in theirs]
    return added or None


def _check_unseen_photos(config, spec):
    """Refuses a fine-tune of the shipped dehazer that scores it on photos
    it trained on (its card's): keep_best's epoch 0 and the held-out
    scores would favour the starting weights there."""
    from kfreqgan import pretrained
    from kfreqgan.training.configs import validation_photo_keys

    photos = pretrained.dehazer_card()["training_photos"]
    trained = {photo["key"] for photo in photos.get("catalogue", [])} | set(photos.get("bundled", {}).get("photos", []))
    scored = [*validation_photo_keys(config), *config.get("eval_photos", [])]
    seen = [name for name in dict.fromkeys(scored) if name in trained]
    if seen:
        raise ValueError(
            f"`init_generator` {spec!r}: validation_photos and eval_photos must be photos the starting generator did "
            f"not train on; these are photos the shipped dehazer trained on: {seen} (its card's training_photos). "
            f"Received: init_generator={spec!r}, validation_photos={config.get('validation_photos')!r}, "
            f"eval_photos={config.get('eval_photos')!r}"
        )


def read_initialisation(out):
    """The `initialised_from.json` record of the run in `out`, or None."""
    path = os.path.join(out, INIT_PROVENANCE_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def continued_initialisation(config, out):
    """`config` for a continuation of the run in `out` (a sitting that
    resumes from its backup and loads no `init_generator`), with the
    `init_generator` the run started from, so that `run_config.json` and
    `metrics.json` keep it: a sitting may leave it out.

    Raises:
        ValueError: if `config` names another generator than the run
            started from (by name, path or content), or a run that started
            without `initialised_from.json` is continued with one.
    """
    record = read_initialisation(out)
    given = config.get("init_generator")
    started = record["init_generator"] if record is not None else None
    if given is not None and given != started:
        if record is None:
            raise ValueError(
                f"{out} holds a run that did not start from init_generator (it has no {INIT_PROVENANCE_FILE}: a fresh "
                "initialisation, or another folder's backup); a continuation resumes from its backup "
                f"and loads no init_generator. Leave init_generator out to continue it, or use another --out to "
                f"fine-tune {given}. Received: init_generator={given!r}"
            )
        from kfreqgan.models.loading import pretrained_name

        same_file = (
            pretrained_name(given) is None
            and os.path.isfile(given)
            and (os.path.realpath(given) == record.get("file") or file_sha256(given) == record.get("sha256"))
        )
        if not same_file:
            raise ValueError(
                f"{out} holds a fine-tune of {started} ({record.get('file')}); a continuation resumes from its backup "
                f"and loads no init_generator. Give that one or leave it out to continue it, or use another --out to "
                f"fine-tune {given}. Received: init_generator={given!r}"
            )
    return dict(config, init_generator=started)


def record_sitting(out, config, last_epoch, resumed=None, history=None):
    """The `sittings` of `metrics.json`: those of the finished run in `out`
    (None: a fresh start, whose folder holds no earlier sitting), then
    `config` ending at `last_epoch`. A run folder from before the record
    counts as one sitting of its `metrics.json` config; a sitting with the
    config of the one before it (a restart after an interruption) extends it.

    `resumed` is `(started, epoch)`: the config the run in `out` last
    started with (`run_config.json`, read before this sitting replaced it)
    and the epoch its backup held when this sitting resumed. A sitting that
    stopped (interrupted, diverged) after epochs the record lacks ends at
    that epoch with its own config, also when this one has another (lower
    learning rates after a divergence).

    `history` is the backup's (every epoch of this run): a `metrics.json`
    whose history it does not continue is another training's (the folder's
    backup was removed to train afresh into it), and none of its sittings
    are this run's."""
    from kfreqgan.analysis.spectrum_cli import strict_json

    def as_written(value):
        """`value` as metrics.json holds it (strict JSON, tuples as lists), to compare with what it holds."""
        return json.loads(json.dumps(strict_json(value)))

    sittings = []
    path = os.path.join(out, "metrics.json") if out else None
    if path and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as handle:
                previous = json.load(handle)
            sittings = previous.get("sittings") or [
                {"config": previous["config"], "last_epoch": max(map(len, previous.get("history", {}).values()), default=0)}
            ]
            if not all(
                isinstance(sitting, dict) and isinstance(sitting.get("config"), dict) and isinstance(sitting.get("last_epoch"), int)
                for sitting in sittings
            ):
                raise ValueError("a sitting without a config or last_epoch")
            if history is not None:
                ours = as_written(history)
                if any(key in ours and ours[key][: len(values)] != values for key, values in previous.get("history", {}).items()):
                    sittings = []
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            # The training is done: an unreadable record of earlier sittings
            # must not cost its outputs.
            print(
                f"kfreqgan-train: warning: {path} cannot be read ({error!r}), so the earlier sittings in this folder "
                "are not recorded; metrics.json records this sitting only.",
                file=sys.stderr,
            )
            sittings = []
    ended = [{"config": as_written(config), "last_epoch": int(last_epoch)}]
    if resumed is not None and resumed[0] is not None and resumed[1] > (sittings[-1]["last_epoch"] if sittings else 0):
        ended.insert(0, {"config": as_written(resumed[0]), "last_epoch": int(resumed[1])})
    for sitting in ended:
        if sittings and sittings[-1]["config"] == sitting["config"]:
            sittings = sittings[:-1]
        sittings = [*sittings, sitting]
    return sittings


def previous_config(out, finished=True):
    """The configuration the run in `out` last started with (`run_config.json`,
    else, with `finished`, a finished run's `metrics.json`), or None.

    A file that holds no configuration (unreadable, or edited into one
    without a `task`) is passed over: `{}` read as a U-Net run refused the
    continuation of a coherent one as "a run of another model".
    `finished=False` is for the config of a sitting that stopped: a
    finished run's `metrics.json` is an earlier sitting's (a continuation's
    has other epochs), so its config would take the stopped sitting's
    epochs in the record of sittings."""
    for name, key in ((RUN_CONFIG_FILE, None), ("metrics.json", "config"))[: 2 if finished else 1]:
        path = os.path.join(out, name)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
            except (OSError, ValueError):
                continue
            data = data.get(key) if key and isinstance(data, dict) else data
            if isinstance(data, dict) and isinstance(data.get("task"), str):
                return data
    return None


def check_run_folder(out):
    """Refuses an `--out` that holds files but no kfreqgan-train run: its
    files would be overwritten or mixed with the run's.

    Raises:
        ValueError: naming a few of the files.
    """
    from kfreqgan.atomic_files import TEMPORARY_PREFIX

    from kfreqgan.callbacks.atomic_backup_and_restore import METADATA
    from kfreqgan.training.configs import TASKS

    if not os.path.isdir(out):
        return
    backup = os.path.join(out, "backup")
    backed_up = os.path.isdir(backup) and any(
        os.path.isfile(os.path.join(backup, worker, METADATA)) for worker in os.listdir(backup) if worker.startswith("worker-")
    )
    recorded = previous_config(out)
    if backed_up or (recorded is not None and recorded.get("task") in TASKS):
        return  # a run (the user's own files beside a run are left alone)
    # Not a run: empty, or what a first start that stopped early leaves (its
    # lock, temporaries, folders), or hidden files (.ipynb_checkpoints,
    # .DS_Store), else someone else's.
    entries = [name for name in os.listdir(out) if not name.startswith(".") and name not in ("logs", "best", "backup", "lost+found")]
    if entries:
        shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
        ours = [name for name in entries if name in _RUN_ENTRIES]
        why = f"; {', '.join(sorted(ours))} there were not written by kfreqgan-train" if ours else ""
        raise ValueError(
            f"--out holds files but no kfreqgan-train run ({shown}{why}); they would be overwritten or mixed with "
            f"the run's. Use a new or empty folder. Received: --out={out}"
        )


def check_continuation(config, out, backup_dir):
    """Refuses to continue the run in `out` with a configuration its backup
    cannot be loaded into (`STRUCTURE_KEYS`), or with fewer epochs than the
    backup holds.

    Raises:
        ValueError: naming the keys that differ, or the epochs;
            `DamagedBackupError` (a ValueError) naming a damaged file.
    """
    from kfreqgan.callbacks import AtomicBackupAndRestore
    from kfreqgan.callbacks.atomic_backup_and_restore import check_weights_file

    metadata = AtomicBackupAndRestore.read_metadata(backup_dir)  # refuses a damaged one, naming the file
    if metadata is None:
        return
    # Checked here too (the restore checks it again), so that a damaged
    # backup is refused before anything of this start is written.
    check_weights_file(backup_dir, metadata["weights"])
    previous = previous_config(out)
    if previous is not None:
        keys = STRUCTURE_KEYS + (("image_size",) if config["task"] == "unconditional" else ())
        # A key an older run's record lacks (added to the configs since) is
        # not known to differ, but for the architecture, whose absence
        # names a default (configs.generator_name).
        from kfreqgan.training.configs import generator_name

        previous = {**previous, "generator_architecture": generator_name(previous)}
        current = {**config, "generator_architecture": generator_name(config)}
        changed = [
            f"{key} {previous[key]!r} -> {current[key]!r}" for key in keys if key in previous and key in current and previous[key] != current[key]
        ]
        wider = isinstance(previous.get("generator_filters"), int) and isinstance(current.get("generator_filters"), int) and (
            current["generator_filters"] > previous["generator_filters"]
        )
        if changed:
            raise ValueError(
                f"{out} holds a run of another model or precision, whose backup cannot be loaded into this one "
                f"({'; '.join(changed)}). Continue it with its own values, or use another --out"
                + (" (python -m kfreqgan.training.widen widens a dehazer)" if wider else "")
                + f". Received: --out={out}"
            )
    epoch = int(metadata.get("epoch", 0)) if isinstance(metadata, dict) else 0
    if config["epochs"] < epoch:
        raise ValueError(
            f"The backup in {backup_dir} holds {epoch} epochs, more than epochs={config['epochs']}: nothing to train, and its "
            f"outputs would be rewritten as if it had {config['epochs']}. Give epochs >= {epoch} (more to continue it). "
            f"Received: epochs={config['epochs']}"
        )


def train(config, out, strategy, verbose=2, callbacks=()):
    """Trains `config` under `strategy`, writes the outputs into `out`.

    Resumes from `out`'s backup if there is one (see the module docstring),
    with the learning rates of `config`. Under `kfreqgan.command_line.run_main`
    (`kfreqgan-train`, the demo) a Ctrl-C stops it between two steps
    (`deferred_interrupts`, `interrupt_callback`), never inside one.

    Returns:
        The metrics dict that is also written to `metrics.json`.

    Raises:
        kfreqgan.callbacks.DivergenceError: a loss or weight became NaN or
            infinite; the backup keeps the last good epoch and no output
            file is written.
    """
    import keras

    from kfreqgan.callbacks import AtomicBackupAndRestore
    from kfreqgan.callbacks import DivergenceError
    from kfreqgan.analysis.spectrum_cli import strict_json
    from kfreqgan.callbacks import StopOnDivergence
    from kfreqgan.training.configs import validation_photo_keys

    chief, worker_id = _worker(strategy)
    backup_dir = os.path.join(out, "backup", f"worker-{worker_id}")
    check_continuation(config, out, backup_dir)
    resumed_backup = AtomicBackupAndRestore.read_metadata(backup_dir)
    resuming = resumed_backup is not None
    # The config of the sitting this one resumes (record_sitting), before this start replaces its record.
    last_started = previous_config(out, finished=False) if resuming else None
    if resuming:
        config = continued_initialisation(config, out)
    initialised = initial_weights = None
    if config.get("init_generator") is not None and not resuming:
        # A fine-tune's first start (a run with a backup continues from it).
        # Its weights are checked on a generator of its own before the data
        # loads (a photo catalogue's takes minutes), and set after the run's
        # generator is built (under the strategy, after the seed).
        generator = build_generator(config)
        initialised = initialise_generator(generator, config)
        initial_weights = generator.get_weights()
        del generator
    keras.utils.set_random_seed(config["seed"])
    if config["mixed_precision"]:
        keras.mixed_precision.set_global_policy(config["mixed_precision"])
    global_batch = config["batch_size"] * strategy.num_replicas_in_sync
    if config["task"] == "dehaze":
        dataset, eval_hazy, eval_clean = dehazing_data(config, global_batch)
    else:
        dataset, clean = unconditional_data(config, global_batch)

    with strategy.scope():
        gan = compiled_gan(config)
    if initial_weights is not None:
        gan.generator.set_weights(initial_weights)
    if chief:
        # After the generator is built (and initialised): a start refused
        # above leaves no record behind.
        # As metrics.json is written: a NumPy number the checks take (a
        # scene weight of np.float32(3)) failed here, after the data had loaded.
        write_text_atomically(os.path.join(out, RUN_CONFIG_FILE), json.dumps(strict_json(config), indent=2))
        provenance = os.path.join(out, INIT_PROVENANCE_FILE)
        if initialised is not None:
            write_text_atomically(provenance, json.dumps(initialised, indent=2))
        elif not resuming and os.path.exists(provenance):
            os.remove(provenance)  # an earlier first start's, this one starts afresh

    # Each worker gets its own backup directory (one shared file fails on its lock).
    backup = AtomicBackupAndRestore(backup_dir, delete_checkpoint=False)
    logs = os.path.join(out, "logs", f"worker-{worker_id}")
    keep = []
    if config.get("keep_best"):
        from kfreqgan.callbacks import KeepBestWeights

        best_dir = os.path.join(out, "best", f"worker-{worker_id}")
        recorded = KeepBestWeights.read_record(best_dir) if not resuming else None
        if recorded is not None and recorded.get("epoch") == 0:
            # A fine-tune's first start stopped before its first backup: the
            # score of its starting weights (epoch 0), which this start scores
            # again if it starts from them, and must not offer otherwise.
            shutil.rmtree(best_dir)
        elif recorded is not None:
            raise ValueError(
                f"{best_dir} holds an earlier run's epoch choice, but {backup_dir} holds no backup to continue: "
                f"remove {os.path.join(out, 'best')} to train afresh into this folder, or use another --out. "
                f"Received: --out {out}"
            )

        # Before the backup, so that the epoch's val_psnr / val_ssim reach its
        # history; it scores a continuation's restored weights first.
        keep = [
            KeepBestWeights(
                validation_pairs(config),
                best_dir,
                metric=config["keep_best"],
                keep="generator",
                batch_size=config["batch_size"],
                score_initial=initialised is not None,
                min_delta=config.get("keep_best_min_delta", 0.0),  # absent from older run folders' configs
            )
        ]
    average = []
    if config.get("generator_ema") is not None and keep:
        # keep_best scores and keeps the generator's moving average; training
        # and the backup go on with the raw weights.
        average = list(_with_the_average(gan))
    started = time.time()
    try:
        # Under run_main a Ctrl-C only sets a flag while fit runs; the last
        # callback raises it between steps, never inside one.
        with deferred_interrupts():
            gan.fit(
                dataset,
                epochs=config["epochs"],
                shuffle=False,  # the dataset shuffles itself
                verbose=verbose,
                callbacks=[
                    # First, so that a NaN stops fit before the backup saves it.
                    StopOnDivergence(),
                    *average[:1],
                    *keep,
                    *average[1:],
                    backup,
                    # After the restore: the learning rates come from the
                    # configuration, not the backup, so that a resumed run may
                    # change them (e.g. lower them after a divergence), and
                    # follow its learning_rate_drops by the epoch's number.
                    keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: _set_learning_rates(gan, config, epoch)),
                    keras.callbacks.TensorBoard(logs, update_freq="epoch"),
                    *callbacks,
                    interrupt_callback(),
                ],
            )
    except DivergenceError as error:
        saved = AtomicBackupAndRestore.read_metadata(backup_dir)
        kept = f"{backup_dir} holds epoch {saved['epoch']}" if saved else "no epoch was backed up"
        raise DivergenceError(
            f"{error}; stopped before saving: {kept}, no model file was written.",
            step=error.step,
            epoch=error.epoch,
            terms=error.terms,
        ) from error
    seconds = time.time() - started
    steps = {
        "generator_steps": int(gan.generator_optimizer.iterations.numpy()),
        "discriminator_steps": int(gan.discriminator_optimizer.iterations.numpy()),
    }
    if backup.restored_epoch >= config["epochs"]:
        # A sitting with nothing left to train writes the backup's state:
        # its step counts are the backup's, also where an optimizer started
        # afresh (generator_ema switched on or off) and counts none. Nothing
        # was trained, so the backup is still the one read at the start.
        saved = (resumed_backup or {}).get("steps") or {}
        for name in ("generator", "discriminator"):
            if f"{name}_optimizer" in saved:
                steps[f"{name}_steps"] = int(saved[f"{name}_optimizer"])

    result = {
        "config": config,
        # Every completed epoch, those before an interruption included.
        "history": backup.history,
        "resumed_from_epoch": backup.restored_epoch,
        "train_seconds": round(seconds, 2),
        "chief": chief,
        **steps,
    }
    result["sittings"] = record_sitting(
        out if backup.restored_epoch else None,
        config,
        max(map(len, backup.history.values()), default=0),
        resumed=(last_started, backup.restored_epoch),
        history=backup.history,
    )
    started_from = read_initialisation(out)
    if started_from is not None:
        result["initialised_from"] = started_from
    final_generator = None
    ema = config.get("generator_ema") is not None
    if keep or ema:
        # The outputs are the selected epoch's generator or the moving
        # average; freqgan.keras keeps the GAN as training left it (the
        # backup's state, to continue from).
        final_generator = gan.generator.get_weights()
    if keep and config.get("keep_best_restore", True):  # absent from older run folders' configs: True
        record = keep[0].restore()
        if record is None:
            print(
                f"kfreqgan-train: warning: no epoch scored a finite {config['keep_best']} on the validation photos; "
                "generator.keras is the last epoch's generator.",
                file=sys.stderr,
            )
            record = {"epoch": None, "val_psnr": None, "val_ssim": None}
        selection = {
            "selected_epoch": record["epoch"],
            "selected_scores": {"val_psnr": record["val_psnr"], "val_ssim": record["val_ssim"]},
        }
        if record.get("rescored"):
            # The selected epoch was scored under another function of the
            # generator (a weightless option changed since); selected_scores
            # are its weights' scores under this one, the one written.
            selection["rescored_from"] = record["rescored"]
    else:
        if ema:
            _put_the_average(gan)
        if keep:
            # keep_best_restore=False: keep_best scored every epoch, the
            # outputs are the last epoch's generator and the kept weights
            # stay in best/. The last epoch's scores: this sitting's, or, for
            # a sitting with no epoch left to train (switching the option on
            # after a finished run), the written generator's scored now: the
            # history's were taken under the earlier sittings' function,
            # validation photos and weights, which this sitting may change (a
            # weightless option, generator_ema, a backup from another run).
            last = config["epochs"]
            scored = keep[0].history
            if scored["epoch"] and scored["epoch"][-1] == last:
                selected = {key: scored[key][-1] for key in ("val_psnr", "val_ssim")}
            else:
                # Every worker takes the same branch, so all run this predict.
                selected = keep[0].scores()
            selection = {"restored": False, "selected_epoch": last, "selected_scores": selected, "best_epoch": keep[0].best_epoch}
    if keep:
        result["validation"] = {
            "photos": validation_photo_keys(config),
            "examples": int(len(keep[0].targets)),
            "metric": config["keep_best"],
            **selection,
            "scores_this_sitting": keep[0].history,
        }
    if config["task"] == "dehaze":
        dehazed = gan.predict(eval_hazy, batch_size=config["batch_size"], verbose=0)
        result["held_out"] = {
            "photos": held_out_photo_names(config),
            "examples": int(len(eval_clean)),
            "hazy_input": image_quality(eval_clean, eval_hazy),
            "dehazed": image_quality(eval_clean, dehazed),
            "output_spread": float(np.std(dehazed, axis=0).mean()),
        }
        step = max(len(eval_clean) // 8, 1)
        rows = [eval_hazy[::step][:8], dehazed[::step][:8], eval_clean[::step][:8]]
    else:
        latent = np.random.default_rng(config["seed"]).standard_normal((16, config["latent_dim"])).astype(np.float32)
        samples = gan.predict(latent, verbose=0)
        rows = [samples[:8], samples[8:]]

    # Every worker saves (saving may read synchronised variables), only the
    # chief into `out`; the others into a directory that is then removed.
    from kfreqgan.models import loading

    target = out if chief else tempfile.mkdtemp(prefix=f"kfreqgan-worker-{worker_id}-")
    try:
        write_atomically(os.path.join(target, loading.GENERATOR_FILE), gan.generator.save)
        if final_generator is not None:
            gan.generator.set_weights(final_generator)
        write_atomically(os.path.join(target, loading.GAN_FILE), gan.save)
        grid_png(rows, os.path.join(target, "samples.png"))
        # Strict JSON: a NaN score (a validation pass whose outputs were not
        # finite) is written as null.
        text = json.dumps(strict_json(result), indent=2, allow_nan=False)
        write_text_atomically(os.path.join(target, loading.RUN_METRICS_FILE), text)
    finally:
        if not chief:
            shutil.rmtree(target, ignore_errors=True)
    return result


def parse_overrides(pairs):
    """`KEY=VALUE` strings (`kfreqgan-train --set`) as a dict for `configs.get_config`.

    Each value is read as a Python literal (`0.5`, `[0.3, 3.0]`, `True`,
    `None`), else kept as a bare string. A value with a `#` outside quotes
    is a bare string: Python reads the rest as a comment, so `2#x.keras`
    would have become the number 2 and `[0.3]#,3.0]` the list `[0.3]`.

    Raises:
        ValueError: for an entry without `=`, or a key given twice.
    """
    overrides = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ValueError(f"--set expects key=value. Received: {pair!r}")
        key, text = pair.split("=", 1)
        try:
            value = text if _has_comment(text) else ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text  # a bare string
        if key.strip() in overrides:
            raise ValueError(f"--set gives {key.strip()!r} twice; give each key once. Received: {pair!r}")
        overrides[key.strip()] = value
    return overrides


def _has_comment(text):
    """Whether Python would read part of `text` as a comment (a `#` outside
    string literals); text that does not tokenize has none to hide."""
    import io
    import tokenize

    try:
        return any(token.type == tokenize.COMMENT for token in tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return False


def _continuation_overrides(overrides, out):
    """`overrides` without an `init_generator` that a continuation of the
    (one-worker) run in `out` would not load: the one its
    `initialised_from.json` records, as given then. A relative path may
    name nothing in another working directory, and the file may be gone;
    `train` keeps the recorded value in the run's records.
    """
    from kfreqgan.callbacks import AtomicBackupAndRestore

    given = overrides.get("init_generator")
    if given is None or not os.path.isdir(out):
        return overrides
    try:
        record = read_initialisation(out)
        backed_up = AtomicBackupAndRestore.read_metadata(os.path.join(out, "backup", "worker-0")) is not None
    except ValueError:
        return overrides  # not this run's files: check_run_folder and train name them
    if record is None or record.get("init_generator") != given or not backed_up:
        return overrides  # (without a backup, a first start again: it loads init_generator)
    return {key: value for key, value in overrides.items() if key != "init_generator"}


def _parser():
    from kfreqgan.command_line import ArgumentParser
    from kfreqgan.command_line import output_folder

    parser = ArgumentParser(prog="kfreqgan-train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="dehaze-demo", help="named configuration (see --list-configs)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override one configuration entry")
    parser.add_argument("--epochs", type=int, help="shorthand for --set epochs=N")
    parser.add_argument("--out", default="outputs/train", type=output_folder, help="output folder")
    parser.add_argument("--strategy", default="default", choices=("default", "mirrored", "multiworker"))
    parser.add_argument("--quiet", action="store_true", help="one line per epoch instead of a progress bar")
    parser.add_argument("--list-configs", action="store_true", help="print the configurations and exit")
    return parser


def _run(args):
    from kfreqgan.training import configs
    from kfreqgan.training.folder_lock import FolderLock

    if args.list_configs:
        print(configs.describe())
        return 0
    # Everything that can be checked is checked before data loads or a file is written.
    overrides = parse_overrides(args.set)
    if args.epochs is not None:
        if "epochs" in overrides:
            raise ValueError(f"--epochs and --set epochs=... both give the epochs; give one. Received: --epochs {args.epochs}")
        overrides["epochs"] = args.epochs
    if args.strategy != "multiworker" and args.out:
        overrides = _continuation_overrides(overrides, args.out)
    config = configs.get_config(args.config, overrides)  # checks every value
    if not args.out:
        raise ValueError("--out must name a folder. Received: --out=''")
    check_run_folder(args.out)
    from kfreqgan.paths import check_writable_folder  # before any data is loaded (kfreqgan.paths)

    check_writable_folder(args.out, create=False)
    strategy = make_strategy(args.strategy)
    verbose = 2 if args.quiet or not sys.stdout.isatty() else 1
    _, worker_id = _worker(strategy)
    # One run per --out (and worker): a second one stops here, naming the first's pid.
    with FolderLock(args.out, name=f"kfreqgan-train-worker-{worker_id}"):
        result = train(config, args.out, strategy, verbose=verbose)
    if "held_out" in result:
        held = result["held_out"]
        print(
            f"held-out {held['examples']} {'crops' if config.get('photo_catalogue') is not None else 'patches'} of "
            f"{len(held['photos'])} photos ({', '.join(held['photos'])}): "
            f"hazy PSNR {held['hazy_input']['psnr']:.2f} dB / SSIM {held['hazy_input']['ssim']:.3f} -> "
            f"dehazed PSNR {held['dehazed']['psnr']:.2f} dB / SSIM {held['dehazed']['ssim']:.3f}"
        )
    if result["chief"]:
        from kfreqgan.command_line import printable

        print(f"wrote {printable(args.out)}/generator.keras, freqgan.keras, samples.png, metrics.json")
    return 0


def main(argv=None):
    """Runs `kfreqgan-train` (see the module docstring); returns the exit status
    (`kfreqgan.command_line`: 2 with one line on error, 130 when interrupted)."""
    from kfreqgan.command_line import run_main

    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
