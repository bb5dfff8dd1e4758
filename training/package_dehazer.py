"""Packages a finished `kfreqgan-train` dehazing run as the shipped dehazer.

    python -m kfreqgan.training.package_dehazer RUN_DIR [RUN_DIR ...] \\
        --quality RESULTS_JSON --out outputs/pretrained [--install]

This is a packaging step, not a trainer: the shipped model is trained by
`kfreqgan-train` (crash-safe backup, divergence stop): `--config dehaze-v2`,
continued with `--config dehaze-v3` on more photos.
The run folders are one training, earliest sitting first: a continuation
run (a later folder started from a copy of the earlier one's `backup/`,
e.g. with lower learning rates) comes after the run it continued, as does
a run that fine-tuned the one before it (`--set init_generator=` that
run's `generator.keras`). The first folder may be a fine-tune of the
shipped dehazer (`--set init_generator=pretrained:dehazer`): the shipped
card's commands, steps, epochs, wall time and photos then come first.
The last folder's `generator.keras` is shipped.

It writes, into `--out`:

- `dehazer.weights.npz`: the generator's weights as float16 arrays keyed
  `layer/index` (`kfreqgan.pretrained.save_weights`), checked on the spot:
  the float16-loaded model against the float32 run model on a held-out
  photo (largest absolute difference, recorded in the card, refused above
  `MAX_FLOAT16_ERROR`);
- `dehazer.json`: the card. The `kfreqgan-train` command of each sitting
  of each folder (the named config and every key its config changes, as
  `--set`; `metrics.json`'s `sittings`, or its config for a folder from
  before that record; a continuation that began as a copy of the whole
  folder before it leaves out the sittings it copied), the photo sources
  with package, version, author and licence
  (`kfreqgan.data.photo_sources`) and the bundled photos, the held-out
  photos (never trained on), the generator steps and epochs of all the
  folders (a fine-tuned folder counts both afresh, a widened one its
  steps: the folder before it adds to them), the wall time (the sum
  over folders and sittings of the span of each TensorBoard event file,
  first to last event: training only, not start-up), and the held-out
  scores of `bench/dehaze_quality.py`'s `results.json` (`--quality`), and
  the weights file's SHA-256.

Everything is checked before anything is written: `--out` (a folder or
new; not a run folder, not the quality file), each run folder (a finished
run whose backup is the state its `metrics.json` records; none given
twice, by any spelling), the widening chain, the quality file's keys,
and the float16 weights. An existing package in `--out` is then replaced
as a pair: both files go to temporaries beside their targets, the weights
move into place and the card last (`write_package`). A failure leaves the
previous pair as it was.

`--install` copies both files into the package (`kfreqgan/pretrained/`)
the same way.
"""

import glob
import json
import os
import sys

import numpy as np

from kfreqgan._validation import is_integer
from kfreqgan.atomic_files import write_atomically
from kfreqgan.command_line import ArgumentParser
from kfreqgan.command_line import output_folder
from kfreqgan.command_line import run_main

MAX_FLOAT16_ERROR = 1e-2
"""Largest absolute output difference allowed between the float16-stored
weights and the run's float32 model (pixel values in [0, 1])."""


def read_metrics(run_dir):
    """The `metrics.json` of a finished `kfreqgan-train` run folder.

    A folder is finished when its `generator.keras` and `metrics.json` are
    there and its backup (`backup/worker-0`, if any) holds the state they
    were written from: the same epoch count and optimizer steps. A later
    sitting (a continuation with more epochs) that was killed, interrupted
    or stopped by a divergence leaves a backup ahead of them: the folder
    then mixes two trainings until that sitting finishes.

    Raises:
        FileNotFoundError: if `run_dir` has no `generator.keras` or `metrics.json`.
        ValueError: if its backup is not the state `metrics.json` records.
    """
    from kfreqgan.callbacks import AtomicBackupAndRestore
    from kfreqgan.models.loading import GENERATOR_FILE
    from kfreqgan.models.loading import RUN_METRICS_FILE

    for name in (GENERATOR_FILE, RUN_METRICS_FILE):
        if not os.path.isfile(os.path.join(run_dir, name)):
            raise FileNotFoundError(f"{run_dir} is not a finished kfreqgan-train run: it has no {name}.")
    metrics = _checked_record(os.path.join(run_dir, RUN_METRICS_FILE))
    backup = AtomicBackupAndRestore.read_metadata(os.path.join(run_dir, "backup", "worker-0"))
    if backup is not None:
        # metrics.json's history holds a value per completed epoch, those of earlier sittings included, for
        # the losses (validation scores start with the sitting that turned keep_best on).
        epochs = max((len(values) for values in metrics.get("history", {}).values()), default=None)
        recorded = {"generator_optimizer": metrics.get("generator_steps"), "discriminator_optimizer": metrics.get("discriminator_steps")}
        steps = {name: count for name, count in (backup.get("steps") or {}).items() if recorded.get(name) is not None}
        if (epochs is not None and epochs != int(backup["epoch"])) or int(backup.get("batch", 0)) or any(
            count != recorded[name] for name, count in steps.items()
        ):
            # The discriminator's optimizer counts every step of every sitting (a widened generator's starts afresh).
            step = "discriminator_optimizer" if "discriminator_optimizer" in steps else next(iter(steps), None)
            batch = f", batch {backup['batch']}" if int(backup.get("batch", 0)) else ""
            raise ValueError(
                f"{run_dir} is not a finished kfreqgan-train run: its backup holds epoch {backup['epoch']}{batch}"
                + (f" ({steps[step]} steps)" if step else "")
                + f", but its {RUN_METRICS_FILE} and {GENERATOR_FILE} are of "
                + (f"epoch {epochs}" if epochs is not None else "another state")
                + (f" ({recorded[step]} steps)" if step else "")
                + ": a later sitting in this folder stopped before it finished. Finish it: run that sitting's "
                f"kfreqgan-train command again (its --config and --set, --out {run_dir}; it resumes from the backup), "
                "or use a copy of the folder from before that sitting."
            )
    return metrics


def _record_problem(metrics):
    """What keeps `metrics` (a parsed `metrics.json`) from being the record
    `kfreqgan-train` writes, as the card reads it; None if nothing does."""

    def config_problem(config, whose):
        if not isinstance(config, dict) or not isinstance(config.get("task"), str):
            return f"{whose} config without a task"
        for key in ("train_photos", "validation_photos"):
            names = config.get(key, [])
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                return f"{whose} config whose {key} is not a list of photo names"
        return None

    if not isinstance(metrics, dict):
        return f"a JSON {type(metrics).__name__}, not an object"
    history = metrics.get("history", {})
    if not isinstance(history, dict) or not all(isinstance(values, list) for values in history.values()):
        return "a history that is not lists of values by name"
    for key in ("generator_steps", "discriminator_steps"):
        if metrics.get(key) is not None and not (is_integer(metrics[key]) and metrics[key] >= 0):
            return f"a {key} that is not an integer >= 0"
    sittings = metrics.get("sittings")
    if sittings is not None:
        if not isinstance(sittings, list) or not all(isinstance(sitting, dict) for sitting in sittings):
            return "sittings that are not a list of {config, last_epoch}"
        for sitting in sittings:
            if not (is_integer(sitting.get("last_epoch")) and sitting["last_epoch"] >= 0):
                return "a sitting whose last_epoch is not an integer >= 0"
            problem = config_problem(sitting.get("config"), "a sitting's")
            if problem:
                return problem
    return config_problem(metrics.get("config"), "a")


def _checked_record(path):
    """The `metrics.json` at `path`, or a `ValueError` naming it and what is
    wrong: a damaged or hand-edited record failed later with a bare
    `'config'` or `'list' object has no attribute 'get'`, without the file,
    and a `train_photos` string put each of its letters on the card."""
    try:
        with open(path, encoding="utf-8") as file:
            metrics = json.load(file)
    except ValueError as error:  # invalid JSON or UTF-8
        raise ValueError(f"The run's metrics.json is not JSON ({error}). Received: path={path!r}") from None
    problem = _record_problem(metrics)
    if problem:
        raise ValueError(
            f"The run's metrics.json is not the record kfreqgan-train writes: it holds {problem}. Restore the file "
            "kfreqgan-train wrote, or run the run's last kfreqgan-train command again (with nothing left to train, it "
            f"writes the file anew from the backup). Received: path={path!r}"
        )
    return metrics


def train_command(config, run_dir, widened_from=None):
    """The `kfreqgan-train` command that gives `config`: the named config of
    the same task that trains on the same catalogue release and needs the
    fewest `--set` overrides, and those. With `widened_from` (a run
    folder), the `python -m kfreqgan.training.widen` command, with the same
    config and overrides, that prepared `run_dir` from it.

    A run folder from before a config key existed has no value for it; the
    key's default is the behaviour the code had before the key (new keys
    default to what was done before them), so the command leaves it out.
    Keys the run has and the named config lacks rule a config out.
    """
    from kfreqgan.training.configs import CONFIGS
    from kfreqgan.training.configs import catalogue_release

    if catalogue_release(config) is not None:
        config = dict(config, catalogue_release=catalogue_release(config))  # run folders from before the key

    def changes(named):
        return {key: value for key, value in config.items() if key in named and named[key] != value}

    candidates = [name for name, named in CONFIGS.items() if named["task"] == config["task"] and set(config) <= set(named)]
    if not candidates:
        raise ValueError(f"No named config of task {config['task']!r} has all the run's keys. Received: run_dir={run_dir!r}")

    def rank(name):
        named = CONFIGS[name]
        other_data = config.get("catalogue_release") != named.get("catalogue_release")
        return other_data, len(set(named) - set(config)), len(changes(named))

    name = min(candidates, key=rank)
    sets = [f"--set {_shell_word(f'{key}={_set_value(value)}')}" for key, value in changes(CONFIGS[name]).items()]
    run_dir = _shell_word(run_dir)
    return " ".join(["kfreqgan-train", "--config", name, "--out", run_dir, *sets]) if not widened_from else " ".join(
        ["python -m kfreqgan.training.widen", _shell_word(widened_from), "--config", name, *sets, "--out", run_dir]
    )


def _set_value(value):
    """`value` as `kfreqgan-train --set` reads it back (`ast.literal_eval`,
    else a bare string): a bare string where that reads back, else its
    repr, without spaces outside strings."""
    import ast

    from kfreqgan.training.train import parse_overrides

    if isinstance(value, str):
        return value if parse_overrides([f"key={value}"])["key"] == value else repr(value)
    text = repr(value)
    compact = text.replace(" ", "")
    return compact if ast.literal_eval(compact) == value else text


def _shell_word(text):
    """`text` as one word of a POSIX shell command: as it is if the shell
    leaves it so, else in double quotes where nothing in it is special
    there (readable: `"train_photos=['a','b']"`), else in single quotes."""
    import shlex

    if shlex.quote(text) == text:
        return text
    if not set(text) & set('"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def wall_seconds(run_dir):
    """Seconds of training in `run_dir`: per TensorBoard event file (one per
    sitting) the span from its first to its last event, summed."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    total = 0.0
    for path in sorted(glob.glob(os.path.join(run_dir, "logs", "*", "train", "events.out.tfevents.*"))):
        times = [event_pb2.Event.FromString(record.numpy()).wall_time for record in tf.data.TFRecordDataset(path)]
        if times:
            total += max(times) - min(times)
    return total


def photo_records(configs, shipped=None):
    """`(sources, heldout)` for the runs' configs, one training: the
    catalogue's photos any of them trained on (with package, version,
    author, licence, scene, release, and where the package took it from;
    `licence_url` for a licence SPDX has no identifier for, `registry` for
    a photo from a PyPI distribution) and the photos held out by the last
    one. With `shipped` (the card of the shipped dehazer the first run
    fine-tuned), its training photos come first.

    Raises:
        ValueError: if a photo the last run holds out was trained on by an
            earlier run (cannot happen with `split_photos`' per-release
            split; checked so that the card never claims it).
    """
    from kfreqgan.data import photo_sources
    from kfreqgan.training.configs import catalogue_release
    from kfreqgan.training.configs import validation_photo_keys

    def split(release):
        try:
            photos = photo_sources.installed_photos(release=release)
        except FileNotFoundError:
            photos = [photo for photo in photo_sources.CATALOGUE if photo.release <= release]
        return photo_sources.split_photos(photos)

    releases = [catalogue_release(config) for config in configs]
    trained = {}
    for release, config in zip(releases, configs):
        if release is not None:
            validation = set(validation_photo_keys(config))
            trained.update((photo.key, photo) for photo in split(release)["train"] if photo.key not in validation)
    heldout = split(releases[-1])["heldout"] if releases[-1] is not None else []
    earlier = {photo["key"]: photo for photo in (shipped or {}).get("training_photos", {}).get("catalogue", [])}
    leaked = sorted((set(trained) | set(earlier)) & {photo.key for photo in heldout})
    if leaked:
        raise ValueError(f"The last run holds out photos an earlier run trained on: {leaked}")

    def record(photo):
        fields = {"key": photo.key, "package": photo.package, "version": photo.version, "author": photo.author,
                  "licence": photo.licence, "scene": photo.scene, "release": photo.release}
        if photo.member is not None:
            fields["member"] = f"{photo.path}:{photo.member}"
            fields["changes"] = ("resized and re-encoded as WebP by GCompris; the photos of its erase activity also "
                                 "cropped and sharpened (the activity's README in the bundle lists the changes)")
        if photo.source is not None:
            fields["source"] = photo.source
        if photo.licence in photo_sources.LICENCE_URLS:  # a LicenseRef-: where its text is
            fields["licence_url"] = photo_sources.LICENCE_URLS[photo.licence]
        if photo.registry != "debian":
            fields["registry"] = photo.registry
        return fields

    order = {photo.key: index for index, photo in enumerate(photo_sources.CATALOGUE)}
    records = [*earlier.values(), *(record(p) for p in sorted(trained.values(), key=lambda p: order[p.key]) if p.key not in earlier)]
    return records, [record(p) for p in heldout]


def initialisation(run_dir, previous_dir):
    """The `initialised_from.json` record of `run_dir` (a run that
    fine-tuned a trained generator: `init_generator`), or None.

    A run that started from the shipped dehazer must be the first folder
    (its card, kept in the record, holds the training before it); one that
    started from a `.keras` file must come just after the run folder that
    holds that file, still as it was (the same SHA-256).

    Raises:
        ValueError: naming what does not chain.
    """
    from kfreqgan.paths import file_sha256
    from kfreqgan.paths import same_place
    from kfreqgan.training.train import read_initialisation

    record = read_initialisation(run_dir)
    if record is None:
        return None
    if "card" in record:
        if previous_dir is not None:
            raise ValueError(
                f"{run_dir} started from the shipped dehazer ({record['init_generator']}), so it must be the first run "
                f"folder: the shipped dehazer's card holds the training before it. Received: {previous_dir} before it"
            )
        return record
    source = record["file"]
    if previous_dir is None or not same_place(os.path.dirname(source), previous_dir):
        raise ValueError(
            f"{run_dir} started from {source}, so the run folder that holds it must come just before it. "
            f"Received: {previous_dir or 'nothing'} before it"
        )
    if not os.path.isfile(source) or file_sha256(source) != record["sha256"]:
        raise ValueError(
            f"{run_dir} started from {source}, which has changed since (SHA-256 {record['sha256'][:12]}... then): "
            f"{previous_dir} trained on after it. Received: {source}"
        )
    return record


def widening(run_dir, previous_dir):
    """The `widened_from.json` record of `run_dir` (`kfreqgan.training.widen`),
    or None for a folder that was not widened.

    Raises:
        ValueError: if it was widened from another folder than `previous_dir`
            (the folder before it on the command line), or is the first.
    """
    from kfreqgan.paths import same_place
    from kfreqgan.training.widen import PROVENANCE_FILE

    path = os.path.join(run_dir, PROVENANCE_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as file:
        provenance = json.load(file)
    if previous_dir is None or not same_place(provenance["source_run"], previous_dir):
        raise ValueError(
            f"{run_dir} was widened from {provenance['source_run']}, which must be the run folder just before it. "
            f"Received: {previous_dir or 'nothing'} before it"
        )
    return provenance


def float16_error(model, packed, image):
    """Largest absolute output difference of `packed` (float16-loaded) vs `model`."""
    return float(np.max(np.abs(model.predict(image[None], verbose=0) - packed.predict(image[None], verbose=0))))


QUALITY_KEYS = ("command", "pairs", "summary")
"""Keys of `bench/dehaze_quality.py`'s results.json that the card needs."""


def read_quality(path):
    """The `--quality` results (`bench/dehaze_quality.py`'s `results.json`).

    Raises:
        ValueError: naming the file, if it is not JSON, not an object, or
            lacks one of `QUALITY_KEYS` (or its `summary` is no object).
    """
    with open(path, encoding="utf-8") as file:
        try:
            results = json.load(file)
        except ValueError as error:
            raise ValueError(f"--quality {path} is not JSON ({error}). Received: --quality={path}") from None
    if not isinstance(results, dict):
        raise ValueError(f"--quality {path} is not a bench/dehaze_quality.py results.json: not a JSON object. Received: --quality={path}")
    missing = [key for key in QUALITY_KEYS if key not in results]
    if missing:
        raise ValueError(
            f"--quality {path} lacks {', '.join(map(repr, missing))}, which bench/dehaze_quality.py's results.json holds. "
            f"Received: keys {sorted(results)}"
        )
    if not isinstance(results["summary"], dict):
        raise ValueError(f"--quality {path}: 'summary' must be a JSON object. Received: summary={results['summary']!r}")
    return results


def check_run_dirs(run_dirs):
    """Raises ValueError if a run folder is given twice, by any spelling
    (real path, or the same folder through a hard link or bind mount)."""
    from kfreqgan.paths import same_place

    for index, run_dir in enumerate(run_dirs):
        for earlier in run_dirs[:index]:
            if same_place(run_dir, earlier):
                raise ValueError(
                    f"The run folder {earlier} is given twice: each folder is one sitting of the training, once. "
                    f"Received: {earlier!r} and {run_dir!r}"
                )


def write_package(folder, weights, card_text):
    """Writes the pair into `folder`: `weights` (the npz's bytes) and the
    card's text, each to a temporary file beside its target, then moves the
    weights into place and the card last. The card commits: every check
    and every computation is done before, so a failure (or a Ctrl-C) at
    any point before the card's move leaves the previous pair untouched;
    only a process killed between the two moves can leave new weights
    beside the old card, which the card's `weights_sha256` then tells."""
    from kfreqgan import pretrained

    def write_weights(temporary):
        with open(temporary, "wb") as file:
            file.write(weights)

    def write_card(temporary):
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(card_text)
        # Nested: the weights are moved into place after the card's text is
        # written and before the card itself is.
        write_atomically(os.path.join(folder, pretrained.DEHAZER_WEIGHTS_FILE), write_weights)

    write_atomically(os.path.join(folder, pretrained.DEHAZER_CARD_FILE), write_card)


def package(run_dirs, quality, out):
    """Writes the npz and the card for `run_dirs` into `out`; returns the card.

    Everything is read and checked first: `out` (a folder, or new; never
    one of the run folders or a file read), the run folders (each a
    finished run, none twice, the widening chain), the quality file and
    the float16 weights; only then is the pair written (`write_package`).
    An existing package in `out` is replaced as a whole or not at all.
    """
    import hashlib
    import tempfile

    import keras
    import tensorflow as tf

    from kfreqgan import pretrained
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.data import load_photo
    from kfreqgan.models.loading import GENERATOR_FILE
    from kfreqgan.models.loading import load_generator
    from kfreqgan.paths import check_command_paths
    from kfreqgan.training.configs import coherent_dehazer_arguments

    check_command_paths(
        out,
        read_files=[quality],
        read_folders=run_dirs,
        writes=(pretrained.DEHAZER_WEIGHTS_FILE, pretrained.DEHAZER_CARD_FILE),
    )
    check_run_dirs(run_dirs)
    runs = [(os.path.abspath(run_dir), read_metrics(run_dir)) for run_dir in run_dirs]
    results = read_quality(quality)
    widened = [widening(run_dir, runs[index - 1][0] if index else None) for index, (run_dir, _) in enumerate(runs)]
    started = [initialisation(run_dir, runs[index - 1][0] if index else None) for index, (run_dir, _) in enumerate(runs)]
    # The shipped dehazer a first folder fine-tuned: its card is the training before the runs.
    shipped = started[0]["card"] if started[0] is not None else None
    last_dir, last = runs[-1]
    config = last["config"]
    if config.get("generator_architecture") != "coherent":
        raise ValueError(f"Only coherent dehazers are packaged. Received: generator_architecture={config.get('generator_architecture')!r}")
    # Each sitting's config in each folder: a later sitting may have switched
    # a weightless option on, or held out validation photos an earlier one
    # trained on (a folder from before the record: its last sitting's config).
    recorded = [[sitting["config"] for sitting in metrics.get("sittings") or [{"config": metrics["config"]}]] for _, metrics in runs]
    sitting_configs = [recorded[0]]
    for index in range(1, len(runs)):
        earlier, folder = recorded[index - 1], recorded[index]
        if widened[index] is None and started[index] is None and folder[: len(earlier)] == earlier:
            # A continuation that began as a copy of the whole folder before
            # it (its metrics.json too) holds that folder's sittings first.
            folder = folder[len(earlier) :] or folder[-1:]
        sitting_configs.append(folder)
    sources, heldout = photo_records([run_config for folder in sitting_configs for run_config in folder], shipped)
    commands = list(shipped["commands"]) if shipped else []
    for index, ((run_dir, metrics), provenance, init) in enumerate(zip(runs, widened, started)):
        # One command per sitting in the folder.
        for sitting, run_config in enumerate(sitting_configs[index]):
            if init is not None and "card" not in init:
                # The generator file of the folder before it, as that folder is
                # named here (the run may have been given a relative path, or
                # another spelling, from another working directory).
                run_config = dict(run_config, init_generator=os.path.join(runs[index - 1][0], os.path.basename(init["file"])))
            if provenance is not None and not sitting:
                commands.append(train_command(run_config, run_dir, widened_from=provenance["source_run"]))
            commands.append(train_command(run_config, run_dir))
    # A widened or fine-tuned folder's generator optimizer started afresh, so
    # the steps of the folder before it add to the last folder's count (a
    # continuation's count carries those of the folder it continued).
    steps = int(last["generator_steps"]) + sum(
        int(runs[index - 1][1]["generator_steps"])
        for index in range(1, len(runs))
        if widened[index] is not None or started[index] is not None
    )
    # A fine-tuned folder counts its epochs from 0 (a widened one goes on
    # counting): the epochs of the folder before it add to the last's.
    epochs = int(config["epochs"]) + sum(
        int(runs[index - 1][1]["config"]["epochs"]) for index in range(1, len(runs)) if started[index] is not None
    )
    if shipped:
        steps += int(shipped["generator_steps"])
        epochs += int(shipped["epochs"])
    seconds = [wall_seconds(run_dir) for run_dir, _ in runs]

    model = load_generator(os.path.join(last_dir, GENERATOR_FILE))
    arguments = dict(coherent_dehazer_arguments(config), min_transmission=float(model.get_layer("invert").min_transmission))
    architecture = {"builder": "coherent", "arguments": arguments}
    # The float16 check reads the very bytes that are shipped.
    with tempfile.TemporaryDirectory(prefix="kfreqgan-package-") as scratch:
        path = os.path.join(scratch, pretrained.DEHAZER_WEIGHTS_FILE)
        pretrained.save_weights(model, path)
        packed = pretrained.load_weights(pretrained.build_dehazer(architecture), path)
        with open(path, "rb") as file:
            weights = file.read()
    error = float16_error(model, packed, load_photo(HELDOUT_PHOTOS[0]))
    if not error <= MAX_FLOAT16_ERROR:
        raise ValueError(f"The float16 weights move the output by {error:.3g} > {MAX_FLOAT16_ERROR}. Received: run_dir={last_dir!r}")
    summary = results["summary"]
    card = {
        "model": f"kfreqgan dehazer, config {commands[-1].split()[2]} (kfreqgan.models.coherent_dehazer)",
        "commands": commands,
        "continuation": (list(shipped.get("continuation", [])) if shipped else [])
        + (
            [
                f"{runs[0][0]} fine-tuned the shipped dehazer of the commands before it (--set init_generator="
                f"{started[0]['init_generator']}; weights SHA-256 {started[0]['sha256']}) with a new discriminator and "
                "new optimizers"
            ]
            if shipped
            else []
        )
        + [
            f"{run_dir} fine-tuned {init['file']}, the generator {previous_dir} handed out, with a new discriminator and "
            "new optimizers"
            if init is not None
            else f"{run_dir} continued the training of {previous_dir} from its backup after its last epoch ({previous['config']['epochs']})"
            if provenance is None
            else f"{run_dir} continued the training of {previous_dir} after its last epoch ({previous['config']['epochs']}) with "
            f"that run's chosen generator widened from {provenance['generator_filters'][0]} to {provenance['generator_filters'][1]} "
            f"filters (the same function; python -m kfreqgan.training.widen), its discriminator's state and a new generator optimizer"
            for (previous_dir, previous), (run_dir, _), provenance, init in zip(runs, runs[1:], widened[1:], started[1:])
        ],
        "package_command": "python -m kfreqgan.training.package_dehazer "
        + " ".join(map(_shell_word, run_dirs))
        + f" --quality {_shell_word(quality)} --out {_shell_word(out)}",
        "config": config,
        "training_photos": {
            "catalogue": sources,
            "bundled": {
                # Those of every sitting of every folder (a fine-tune or a later sitting may train on other
                # photos), the shipped card's first.
                "photos": list(dict.fromkeys(
                    [
                        *(shipped["training_photos"]["bundled"]["photos"] if shipped else []),
                        *(name for folder in sitting_configs for run_config in folder for name in run_config["train_photos"]),
                    ]
                )),
                "source": "scikit-image / scikit-learn sample data (kfreqgan.data.photos)",
            },
        },
        "heldout_photos": {
            "never_trained_on": [photo["key"] for photo in heldout] + list(HELDOUT_PHOTOS),
            "catalogue": heldout,
            "note": "Never used for training. The choice between the runs' generators used bench/dehaze_quality.py on these "
            "photos, so they are no longer fully untouched for this model.",
        },
        "haze": {"beta_range": config["beta_range"], "airlight_range": config["airlight_range"],
                 "airlight_tint": config.get("airlight_tint", 0.0), "depth": "kfreqgan.data.haze.layered_depth"},
        "generator_steps": steps,
        "epochs": epochs,
        # With keep_best: the epoch whose generator ships (generator_steps and
        # epochs are where training stopped), on photos it did not train on.
        "epoch_selection": last.get("validation"),
        "train_seconds": round(sum(seconds) + (shipped["train_seconds"] if shipped else 0.0), 1),
        "train_seconds_per_folder": [round(s, 1) for s in seconds],
        "wall_time_measured_as": "sum over folders and sittings of first-to-last event time of each TensorBoard event file "
        "(logs/*/train): training only, no start-up; 2 shared CPU cores",
        **({"fine_tuned_from": {"init_generator": started[0]["init_generator"], "weights_sha256": started[0]["sha256"],
                                "model": shipped["model"], "train_seconds": shipped["train_seconds"]}} if shipped else {}),
        "heldout_scores": {
            "command": results["command"],
            "pairs": results["pairs"],
            "model": results.get("model"),
            "candidate": summary.get("candidate"),
            "dark_channel_prior_guided": summary.get("DCP + guided filter"),
            "hazy_input": summary.get("hazy input"),
        },
        "parameters": int(model.count_params()),
        "float16_max_output_difference": error,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "architecture": architecture,
        "weights": f"{pretrained.DEHAZER_WEIGHTS_FILE} (float16)",
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
    }
    write_package(out, weights, json.dumps(card, indent=2) + "\n")
    return card


def _parser():
    parser = ArgumentParser(prog="python -m kfreqgan.training.package_dehazer", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="kfreqgan-train run folders of one training, earliest first")
    parser.add_argument("--quality", required=True, help="bench/dehaze_quality.py's results.json for the last folder's generator")
    parser.add_argument("--out", default="outputs/pretrained", type=output_folder, help="output folder")
    parser.add_argument("--install", action="store_true", help="copy the result into kfreqgan/pretrained/")
    return parser


def _run(args):
    card = package(args.run_dirs, args.quality, args.out)
    print(f"packaged {card['generator_steps']} steps ({card['train_seconds'] / 60:.0f} min); float16 max output "
          f"difference {card['float16_max_output_difference']:.2g}; wrote {args.out}")
    if args.install:
        from kfreqgan import pretrained

        # Where the package loads them from: the source tree for an editable
        # install, site-packages otherwise.
        target = os.path.dirname(pretrained.DEHAZER_PATH)
        # As in --out: the previous pair stays until both files are ready, the card moves in last.
        with open(os.path.join(args.out, pretrained.DEHAZER_WEIGHTS_FILE), "rb") as file:
            weights = file.read()
        with open(os.path.join(args.out, pretrained.DEHAZER_CARD_FILE), encoding="utf-8") as file:
            card_text = file.read()
        write_package(target, weights, card_text)
        print(f"installed into {target}")
    return 0


def main(argv=None):
    """Runs the program with `argv` (default `sys.argv[1:]`); returns its exit status."""
    return run_main(_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
