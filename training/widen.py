"""Continues a dehazing run with a wider generator that starts as the old one.

    python -m kfreqgan.training.widen SOURCE_RUN --config NAME [--set KEY=VALUE ...] --out NEW_RUN
    kfreqgan-train --config NAME [--set KEY=VALUE ...] --out NEW_RUN

A generator with more filters cannot load a narrower one's weights, and
training it from scratch throws away the hours that made the narrow one.
This writes, into the empty folder `NEW_RUN`, a `kfreqgan-train` backup
(`backup/worker-0`, the format of `kfreqgan.callbacks.AtomicBackupAndRestore`)
of the GAN that `--config` describes, in which:

- the generator is SOURCE_RUN's `generator.keras` (the epoch that run
  chose, or its last) widened *function-preservingly* (`widen_weights`):
  every old filter keeps its weights, the new filters start from the new
  layer's own initialisation, and every weight that reads a new filter
  into an old one is zero, so the wider generator computes exactly what
  the narrow one did and its new filters come in through training (like a
  zero-initialised residual branch; Chen, Goodfellow & Shlens, "Net2Net",
  2016, widen by copying filters instead, which needs noise to break the
  copies' symmetry);
- the discriminator and its optimizer's state are SOURCE_RUN's last
  backed-up state (the same architecture);
- the generator's optimizer starts afresh (Adam's moments have no
  counterpart for the new weights; its step count starts at 0, so its
  bias correction is right), at the config's learning rate;
- the epoch count and the per-epoch history are SOURCE_RUN's, so `epochs`
  counts from the start of the first run and `keep_best` first scores the
  starting weights (the narrow generator's function) and hands back a
  later epoch only if one beats it.

At the same width the generator is copied as it is: that only starts a
new generator optimizer (as a plain continuation that switches on
`generator_ema` does: Keras skips a saved state without averages, with a
warning).

`kfreqgan-train` with the same config and `--out` then continues from it
(one worker: the default strategy). `widened_from.json` records where it
came from. The config must describe the same model as SOURCE_RUN's but for
`generator_filters` (at least the old value): the same generator
architecture and arguments, and the same discriminator. A weightless
option (`grey_airlight`, `dark_channel_bound`, `bright_bound`) is changed
afterwards, by the continuation's `--set`: widen with the source's value.
"""

import json
import os
import sys

import numpy as np

from kfreqgan.atomic_files import write_text_atomically

PROVENANCE_FILE = "widened_from.json"

# Config keys that shape the GAN's weights; all but generator_filters must match.
# The weightless generator options are among them: a widened generator must
# compute what the source's did, and a continuation of the widened run may
# then change them (kfreqgan-train's STRUCTURE_KEYS leave them out).
_MODEL_KEYS = (
    "task",
    "image_size",
    "channels",
    "generator_architecture",
    "coarse_size",
    "guide_radius",
    "guide_epsilon",
    "grey_airlight",
    "dark_channel_bound",
    "bright_bound",
    "discriminator_filters",
    "discriminator_layers",
    "frequency_aware",
    "frequency_inputs",
    "frequency_discriminator",
    "minibatch_std",
)


def _channel_maps(target, source):
    """Yields `(target_layer, source_layer, input_maps)` for every layer of
    two functional models of one builder (matched by position), where
    `input_maps[i][k]` is the source channel that channel `k` of the target
    layer's `i`-th input holds (-1: a new channel), and records each
    layer's output map."""
    if len(target.layers) != len(source.layers):
        raise ValueError(
            f"{target.name!r} and {source.name!r} are not one architecture at two widths: "
            f"{len(target.layers)} layers against {len(source.layers)}."
        )
    maps = {}
    for new, old in zip(target.layers, source.layers):
        if type(new) is not type(old):
            raise ValueError(
                f"{target.name!r} and {source.name!r} are not one architecture at two widths: "
                f"layer {new.name!r} is a {type(new).__name__}, the source's {old.name!r} a {type(old).__name__}."
            )
        if len(new._inbound_nodes) != 1:
            raise ValueError(f"Layer {new.name!r} is called {len(new._inbound_nodes)} times; widen_weights needs each layer called once.")
        inputs = new._inbound_nodes[0].input_tensors
        input_maps = []
        for tensor in inputs:
            operation, _, index = tensor._keras_history
            input_maps.append(maps[(id(operation), index)])
        yield new, old, input_maps
        outputs = new._inbound_nodes[0].output_tensors
        if len(outputs) != 1:
            raise ValueError(f"Layer {new.name!r} has {len(outputs)} outputs; widen_weights handles one.")
        new_channels, old_channels = int(new.output.shape[-1]), int(old.output.shape[-1])
        if new.weights:
            kernel = old.weights[0]
            out_old = int(kernel.shape[-1])
            output_map = np.concatenate([np.arange(out_old), -np.ones(new_channels - out_old, int)])
        elif not inputs:  # an Input
            if new_channels != old_channels:
                raise ValueError(f"Input {new.name!r} has {new_channels} channels, the source's {old_channels}.")
            output_map = np.arange(new_channels)
        elif type(new).__name__ == "Concatenate" and new.axis in (-1, len(new.output.shape) - 1):
            parts, offset = [], 0
            for part in input_maps:
                parts.append(np.where(part >= 0, part + offset, -1))
                offset += int((part >= 0).sum())
            output_map = np.concatenate(parts)
        elif len(input_maps) == 1 and len(input_maps[0]) == new_channels and int((input_maps[0] >= 0).sum()) == old_channels:
            output_map = input_maps[0]  # per-channel: activations, pooling, resizing, reshapes to (1, 1, C)
        elif all((m >= 0).all() for m in input_maps) and new_channels == old_channels:
            output_map = np.arange(new_channels)  # reads unwidened inputs only (a dark channel, a luminance)
        else:
            raise ValueError(
                f"Cannot widen through layer {new.name!r} ({type(new).__name__}): it mixes widened channels "
                "without weights to widen."
            )
        if int((output_map >= 0).sum()) != old_channels:
            raise ValueError(
                f"Layer {new.name!r}: {int((output_map >= 0).sum())} of its channels come from the source, "
                f"whose layer has {old_channels}."
            )
        maps[(id(new), 0)] = output_map


def widen_array(old, new, input_map):
    """A kernel `new` (the wider layer's freshly initialised one) with `old`
    written into it: output channels `[:old.shape[-1]]` get `old`'s weights
    where the input channel holds a source channel (`input_map[k] >= 0`) and
    zero where it holds a new one; the new output channels keep `new`'s
    values. Works for Conv2D kernels `(..., in, out)` and Dense `(in, out)`."""
    old, widened = np.asarray(old), np.array(new, copy=True)
    out_old = old.shape[-1]
    if widened.shape[:-2] != old.shape[:-2] or widened.shape[-1] < out_old or len(input_map) != widened.shape[-2]:
        raise ValueError(f"Cannot widen a kernel of shape {old.shape} into one of shape {widened.shape}.")
    kept = np.flatnonzero(input_map >= 0)
    widened[..., :out_old] = 0.0
    widened[..., kept, :out_old] = old[..., input_map[kept], :]
    return widened


def widen_weights(target, source):
    """Sets the weights of functional model `target` so that it computes
    what `source` does, where `target` is `source`'s architecture with as
    many or more filters in some layers (the same builder called with
    wider settings; layers matched by position). See the module docstring.

    Only Conv2D/Dense-style layers (kernel, then bias) may hold weights.
    The outputs match to float32 round-off.

    Raises:
        ValueError: if the two models are not one architecture at two
            widths, or a layer cannot be widened (see `_channel_maps`).
    """
    for new, old, input_maps in _channel_maps(target, source):
        if not old.weights:
            continue
        if len(new.weights) != len(old.weights) or len(new.weights) > 2 or len(input_maps) != 1:
            raise ValueError(f"Cannot widen layer {new.name!r} ({type(new).__name__}): expected a kernel and a bias on one input.")
        old_values, new_values = old.get_weights(), new.get_weights()
        values = [widen_array(old_values[0], new_values[0], input_maps[0])]
        if len(old_values) == 2:
            bias = np.zeros_like(new_values[1])
            bias[: old_values[1].shape[0]] = old_values[1]
            values.append(bias)
        new.set_weights(values)
    return target


def _model_value(config, key):
    """`config[key]`; for a weightless option an older run's record lacks
    (a dehaze-v6 run has no dark_channel_bound), what its absence meant."""
    from kfreqgan.training.configs import WEIGHTLESS_DEFAULTS
    from kfreqgan.training.configs import weightless_option

    return weightless_option(config, key) if key in WEIGHTLESS_DEFAULTS else config.get(key)


def check_widenable(source_config, config):
    """Raises ValueError unless `config` describes `source_config`'s GAN with
    as many or more generator filters (see the module docstring)."""
    from kfreqgan.training.configs import generator_name

    if generator_name(source_config) != "coherent" or generator_name(config) != "coherent":
        raise ValueError(
            "Widening continues a `coherent` dehazing run (generator_architecture='coherent'). Received: "
            f"source {generator_name(source_config)!r}, config {generator_name(config)!r}"
        )
    differ = [key for key in _MODEL_KEYS if _model_value(source_config, key) != _model_value(config, key)]
    if differ:
        raise ValueError(
            "The config must describe the source run's model but for generator_filters. Received different: "
            + ", ".join(f"{key}={_model_value(config, key)!r} (source {_model_value(source_config, key)!r})" for key in differ)
        )
    if config["generator_filters"] < source_config["generator_filters"]:
        raise ValueError(
            f"generator_filters must be at least the source run's {source_config['generator_filters']}. "
            f"Received: generator_filters={config['generator_filters']}"
        )


def widen_run(source_run, config, out):
    """Writes the widened starting backup into the empty folder `out` (see
    the module docstring) and returns the provenance dict it records.

    Raises:
        FileNotFoundError: if `source_run` lacks `metrics.json`,
            `generator.keras` or a backup.
        ValueError: if `out` holds anything, `source_run` is unfinished (a
            later sitting's backup is ahead of its `generator.keras`: see
            `package_dehazer.read_metrics`), the config does not widen the
            source's model, or `epochs` leaves nothing to train.
    """
    import keras

    from kfreqgan.callbacks import AtomicBackupAndRestore
    from kfreqgan.models.loading import GENERATOR_FILE
    from kfreqgan.training.package_dehazer import read_metrics
    from kfreqgan.training.train import compiled_gan

    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise ValueError(f"--out must be a new or empty folder (nothing in it is overwritten). Received: --out={out!r}")
    # A finished run: generator.keras and metrics.json of the epoch its backup holds.
    source_metrics = read_metrics(source_run)
    source_backup = os.path.join(source_run, "backup", "worker-0")
    metadata = AtomicBackupAndRestore.read_metadata(source_backup)
    if metadata is None:
        raise FileNotFoundError(f"{source_run} has no backup ({source_backup}) to take the discriminator's state from.")
    source_config = source_metrics["config"]
    check_widenable(source_config, config)
    epoch = int(metadata["epoch"])
    if config["epochs"] <= epoch:
        raise ValueError(
            f"epochs counts from the start of the source run, which stopped at epoch {epoch}; nothing is left to train. "
            f"Received: epochs={config['epochs']}"
        )

    keras.utils.set_random_seed(config["seed"])
    source = compiled_gan(source_config)
    source.load_weights(os.path.join(source_backup, metadata["weights"]))
    # The generator that run handed out: its chosen epoch's (keep_best) or its last.
    chosen = keras.saving.load_model(os.path.join(source_run, GENERATOR_FILE), compile=False)
    if [w.shape for w in chosen.weights] != [w.shape for w in source.generator.weights]:
        raise ValueError(f"{source_run}'s generator.keras does not match its config's generator.")
    source.generator.set_weights(chosen.get_weights())

    target = compiled_gan(config)
    widen_weights(target.generator, source.generator)
    # The widening must not change what the generator computes (a layer that
    # mixes channels without weights would): checked on random images.
    size, channels = config["image_size"], config["channels"]
    images = np.random.default_rng(0).uniform(size=(2, size, size, channels)).astype(np.float32)
    difference = float(np.max(np.abs(target.generator(images) - source.generator(images))))
    if not difference <= 1e-4:
        raise ValueError(f"The widened generator's outputs differ from the source's by {difference:.3g}; it cannot be widened this way.")
    target.discriminator.set_weights(source.discriminator.get_weights())
    for new, old in zip(target.discriminator_optimizer.variables, source.discriminator_optimizer.variables):
        if tuple(new.shape) != tuple(old.shape):
            raise ValueError("The discriminator optimizers' states do not match.")
        new.assign(old)
    target.discriminator_optimizer.learning_rate = config["discriminator_lr"]

    provenance = {
        "source_run": os.path.abspath(source_run),
        "source_epoch": epoch,
        "source_selected_epoch": (source_metrics.get("validation") or {}).get("selected_epoch"),
        "generator_filters": [source_config["generator_filters"], config["generator_filters"]],
        "generator_parameters": [int(source.generator.count_params()), int(target.generator.count_params())],
    }
    backup_dir = os.path.join(out, "backup", "worker-0")
    AtomicBackupAndRestore.write_backup(backup_dir, target, epoch, history=metadata.get("history", {}))
    write_text_atomically(os.path.join(out, PROVENANCE_FILE), json.dumps(provenance, indent=2))
    return provenance


def _parser():
    from kfreqgan.command_line import ArgumentParser
    from kfreqgan.command_line import output_folder

    parser = ArgumentParser(prog="python -m kfreqgan.training.widen", description=__doc__.split("\n\n")[0])
    parser.add_argument("source_run", metavar="SOURCE_RUN", help="a finished kfreqgan-train run folder with its backup")
    parser.add_argument("--config", required=True, help="named configuration of the wider run (see kfreqgan-train --list-configs)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override one configuration entry")
    parser.add_argument("--out", required=True, type=output_folder, help="the new run folder (new or empty)")
    return parser


def _run(args):
    from kfreqgan.training import configs
    from kfreqgan.training.train import parse_overrides

    config = configs.get_config(args.config, parse_overrides(args.set))
    provenance = widen_run(args.source_run, config, args.out)
    low, high = provenance["generator_parameters"]
    what = f"widened from {low} to {high} parameters" if high != low else f"({low} parameters) with a new optimizer"
    print(
        f"wrote {args.out}/backup: {args.source_run}'s generator {what} at epoch "
        f"{provenance['source_epoch']}; continue with kfreqgan-train --config {args.config}"
        + "".join(f" --set {item}" for item in args.set or [])
        + f" --out {args.out}"
    )
    return 0


def main(argv=None):
    from kfreqgan.command_line import run_main

    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
