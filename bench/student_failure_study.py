"""A reported failure, rebuilt and fixed (issue #16, part 3).

A student project tried frequency-aware dehazing on 15k pairs of 28x28 grey
images and got all-black outputs (approach 1) or the same output for every
input (approach 2, mode collapse). This script rebuilds both approaches from
kfreqgan parts in the `dehaze-gray-28` setting, trains kfreqgan's own recipe
next to them on the same pairs for the same number of steps, and then fixes
the rebuilds one change at a time.

The rebuild (our reading of the report; the report gives no code):

- Spatial pair: generator `G_s` (hazy -> image, sigmoid output) and an
  unconditional discriminator `D_s` (it sees an image, not the hazy input).
  Both networks are plain conv stacks that downsample with max-pooling
  (28 -> 14 -> 7; the generator upsamples back by nearest-neighbour
  upsampling and a convolution, no skip connections).
- Frequency generators `G_b`, one per band `b` of the centred spectrum
  (`kfreqgan.spectral.band_mask`, kfreqgan's `DEFAULT_BANDS`: low
  [0, 0.08), mid [0.08, 0.25), high >= 0.25 cycles/pixel).
  Approach 1: three of them (low, mid, high), each fed the masked
  *magnitude* spectrum `M_b * log(1 + |F(hazy)|)`. Approach 2: one, fed the
  inverse FFT of the masked high-pass magnitude, `IFFT(M_high |F(hazy)|)`
  (phase set to zero). Each `G_b` outputs an image `g_b`; what it adds to
  the output is its band, again from the magnitude only:
  `IFFT(M_b |F(g_b)|)`. The output is `G_s(hazy) + sum_b` those bands,
  i.e. the generators' frequency responses combined.
- Frequency discriminator `D_f`: judges the output's log-magnitude spectrum
  `log(1 + |F(output)|)`; its real samples are `log(1 + |F(clean)|)`.
- The discriminator output is the average `(D_s + D_f) / 2`; only `G_s`
  and `D_s` are trained (the frequency pairs keep their initial weights and
  only add to the averaged output). Plain non-saturating GAN loss, no
  reconstruction loss, Adam(2e-4, beta_1=0.5) for both players.

Fixes (each the broken approach plus one change; then cumulative):

- `l1`: add a reconstruction loss, `100 * L1(output, clean)` (kfreqgan's
  weight);
- `phase`: keep the phase: the frequency generators get the band-filtered
  hazy image (`kfreqgan.layers.FFTBandFilter`, magnitude *and* phase) and
  add the band of their output `FFTBandFilter(g_b)`, which rebuild the
  input exactly (bands sum back to the image) where magnitude-only does not;
- `strided`: strided 3x3 convolutions instead of convolution + max-pooling,
  in both networks;
- `train_freq`: train the frequency generators and `D_f` too;
- `lsgan` / `hinge`: least squares or hinge loss instead of non-saturating
  (`kfreqgan.losses`).

kfreqgan's recipe is `kfreqgan.training.train.train` on the
`dehaze-gray-28` config (frequency-aware U-Net with band-filtered inputs,
scattering head, PatchGAN + frequency discriminator, least squares, L1 100,
focal frequency loss 20), on the same data (`train.dehazing_data` of the
same config; 15,000 training pairs by default, as the student's) for the
same number of steps.

Every variant is scored on held-out pairs (patches of the held-out photos,
never trained on): the spread of the outputs across inputs (mean per-pixel
standard deviation over the test set, relative to the clean targets': 1 is
as varied as the truth, 0 the same output for every input), the fraction of
near-black outputs (mean intensity < 0.05), PSNR and SSIM against the clean
image (`kfreqgan.metrics`), and a Frechet distance between the outputs and
the clean targets in the feature space of `kfreqgan.metrics.
random_conv_extractor(28)` (three stride-2 ReLU convolutions with fixed
random He weights, seed 7; grey images are tiled to three channels). That
distance compares runs of this study only; it is not comparable with
published FIDs (no Inception network; 64 features).

One JSON line per finished (variant, seed) goes to `OUT/runs.jsonl`; those
already there are skipped, so the study resumes, and one seed can be rerun
on its own (`--seeds 1`). Sample grids (rows: hazy / output / clean) are
saved as `OUT/samples-<variant>-seed<seed>.png`.

    python bench/student_failure_study.py [--seeds 0] [--variants all] [--out outputs/student_failure]
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan import losses  # noqa: E402
from kfreqgan import metrics  # noqa: E402
from kfreqgan import spectral  # noqa: E402
from kfreqgan.atomic_files import write_text_atomically  # noqa: E402
from kfreqgan.layers import FFTBandFilter  # noqa: E402
from kfreqgan.models import DEFAULT_BANDS  # noqa: E402
from kfreqgan.training import configs  # noqa: E402
from kfreqgan.training import train as kfreqgan_train  # noqa: E402

SIZE = 28
CONFIG = "dehaze-gray-28"
BLACK_LEVEL = 0.05
"""An output whose mean intensity is below this counts as near-black."""
L1_WEIGHT = 100.0
LEARNING_RATE = 2e-4

BROKEN = {"l1": False, "phase": False, "pool": "max", "train_freq": False, "loss": "non_saturating"}
FIXES = {
    "l1": {"l1": True},
    "phase": {"phase": True},
    "strided": {"pool": "strided"},
    "train_freq": {"train_freq": True},
    "lsgan": {"loss": "least_squares"},
    "hinge": {"loss": "hinge"},
}
CUMULATIVE = (
    ("l1", "phase"),
    ("l1", "phase", "strided"),
    ("l1", "phase", "strided", "train_freq"),
    ("l1", "phase", "strided", "train_freq", "lsgan"),
)


def _variant_options(fixes):
    options = dict(BROKEN)
    for fix in fixes:
        options.update(FIXES[fix])
    return options


def variants():
    """Ordered `{name: (approach, options)}`; `kfreqgan` is the package's recipe."""
    table = {}
    for approach in (1, 2):
        table[f"a{approach}-broken"] = (approach, _variant_options(()))
        for fix in FIXES:
            table[f"a{approach}+{fix}"] = (approach, _variant_options((fix,)))
        for fixes in CUMULATIVE:
            table[f"a{approach}+" + "+".join(fixes)] = (approach, _variant_options(fixes))
    table["kfreqgan"] = (None, None)
    return table


MAIN_VARIANTS = (
    "a1-broken",
    "a2-broken",
    "a1+l1",
    "a2+l1",
    "a1+l1+phase+strided",
    "a2+l1+phase+strided",
    "kfreqgan",
    "a1+lsgan",
    "a1+l1+phase+strided+train_freq",
)
"""The variants worth several seeds: the broken approaches, the one single
fix that works, the cumulative fixes, kfreqgan's recipe, and the two that
seed 0 singled out (the darkest outputs; the best rebuild)."""


# ---------------------------------------------------------------------------
# Spectra: magnitude-only (the student's) and magnitude + phase (the fix).
# ---------------------------------------------------------------------------


def centred_spectrum(images):
    """Centred complex 2D DFT of `(N, H, W, 1)` images -> `(N, H, W)`."""
    images = tf.cast(images[..., 0], tf.float32)
    images = tf.complex(images, tf.zeros_like(images))
    return tf.signal.fftshift(tf.signal.fft2d(images), axes=(1, 2))


def from_centred_spectrum(spectrum):
    """Real part of the inverse of `centred_spectrum`, `(N, H, W, 1)`."""
    images = tf.signal.ifft2d(tf.signal.ifftshift(spectrum, axes=(1, 2)))
    return tf.math.real(images)[..., None]


def magnitude_only_band(images, band):
    """The band of `images` rebuilt from the masked magnitude with the phase
    dropped (set to zero): `IFFT(M_b |F(x)|)`, the student's reconstruction."""
    mask = spectral.band_mask((SIZE, SIZE), *band)
    magnitude = tf.abs(centred_spectrum(images)) * mask
    return from_centred_spectrum(tf.complex(magnitude, tf.zeros_like(magnitude)))


def log_magnitude(images, mask=None):
    """`log(1 + |F(x)|)` (centred), optionally masked, as `(N, H, W, 1)`."""
    values = tf.math.log1p(tf.abs(centred_spectrum(images)))
    if mask is not None:
        values = values * mask
    return values[..., None]


# ---------------------------------------------------------------------------
# Networks.
# ---------------------------------------------------------------------------


def _down(x, filters, pool, name, activation):
    if pool == "max":
        x = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv")(x)
        x = activation(x)
        return keras.layers.MaxPooling2D(2, name=f"{name}_maxpool")(x)
    if pool == "strided":
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", name=f"{name}_strided")(x)
        return activation(x)
    raise ValueError(f"`pool` must be 'max' or 'strided'. Received: pool={pool!r}")


def generator(pool, output="sigmoid", filters=16, name="generator"):
    """28x28x1 -> 28x28x1 encoder-decoder (no skips): two downsamplings
    (max-pool or strided), a bottleneck convolution, two upsamplings."""
    inputs = keras.Input((SIZE, SIZE, 1))
    x = inputs
    for i, width in enumerate((filters, 2 * filters)):
        x = _down(x, width, pool, f"down{i}", keras.layers.ReLU())
    x = keras.layers.Conv2D(2 * filters, 3, padding="same", activation="relu", name="bottleneck")(x)
    for i, width in enumerate((2 * filters, filters)):
        x = keras.layers.UpSampling2D(2, name=f"up{i}")(x)
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"up{i}_conv")(x)
    outputs = keras.layers.Conv2D(1, 3, padding="same", activation=output, name="image")(x)
    return keras.Model(inputs, outputs, name=name)


def discriminator(pool, filters=16, name="discriminator"):
    """28x28x1 -> one logit: two downsamplings (max-pool or strided), dense."""
    inputs = keras.Input((SIZE, SIZE, 1))
    x = inputs
    for i, width in enumerate((filters, 2 * filters)):
        x = _down(x, width, pool, f"down{i}", keras.layers.LeakyReLU(0.2))
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(1, name="logit")(x), name=name)


class StudentGAN:
    """Both rebuilt approaches and their fixes (see the module docstring).

    Args:
        approach: 1 (three frequency generators on the low, mid and high
            magnitude spectra) or 2 (one on the inverse FFT of the high-pass
            magnitude).
        l1, phase, pool, train_freq, loss: the options of `BROKEN` / `FIXES`.
    """

    def __init__(self, approach, l1=False, phase=False, pool="max", train_freq=False, loss="non_saturating"):
        if approach not in (1, 2):
            raise ValueError(f"`approach` must be 1 or 2. Received: approach={approach!r}")
        self.approach, self.l1, self.phase, self.train_freq, self.loss = approach, l1, phase, train_freq, loss
        names = ("low", "mid", "high") if approach == 1 else ("high",)
        self.bands = {name: DEFAULT_BANDS[name] for name in names}
        self.masks = {name: spectral.band_mask((SIZE, SIZE), *band) for name, band in self.bands.items()}
        self.filters = {name: FFTBandFilter(*band, name=f"band_{name}") for name, band in self.bands.items()}
        self.spatial_generator = generator(pool, name="spatial_generator")
        self.spatial_discriminator = discriminator(pool, name="spatial_discriminator")
        # Band generators output images of either sign (a band has zero mean).
        self.band_generators = {name: generator(pool, output=None, name=f"{name}_generator") for name in self.bands}
        self.frequency_discriminator = discriminator(pool, name="frequency_discriminator")
        self.generator_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5)
        self.discriminator_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5)
        self.generator_variables = list(self.spatial_generator.trainable_variables)
        self.discriminator_variables = list(self.spatial_discriminator.trainable_variables)
        if train_freq:
            for model in self.band_generators.values():
                self.generator_variables += model.trainable_variables
            self.discriminator_variables += self.frequency_discriminator.trainable_variables
        self.train_step = tf.function(self.update)  # compiled; `update` runs the same step eagerly

    def band_input(self, hazy, name):
        """What band generator `name` sees of the hazy image."""
        if self.phase:
            return self.filters[name](hazy)
        if self.approach == 1:
            return log_magnitude(hazy, self.masks[name])
        return magnitude_only_band(hazy, self.bands[name])

    def band_output(self, image, name):
        """The band that generator `name`'s output `image` adds to the result."""
        if self.phase:
            return self.filters[name](image)
        return magnitude_only_band(image, self.bands[name])

    def __call__(self, hazy, training=False):
        output = self.spatial_generator(hazy, training=training)
        for name, model in self.band_generators.items():
            output = output + self.band_output(model(self.band_input(hazy, name), training=training), name)
        return output

    def logits(self, images, training=False):
        """The averaged discriminator output `(D_s(x) + D_f(log |F(x)|)) / 2`."""
        spatial = self.spatial_discriminator(images, training=training)
        frequency = self.frequency_discriminator(log_magnitude(images), training=training)
        return 0.5 * (spatial + frequency)

    def update(self, hazy, clean):
        """One discriminator step, then one generator step; returns the losses."""
        with tf.GradientTape() as tape:
            fake = self(hazy, training=True)
            d_loss = tf.reduce_mean(
                losses.discriminator_adversarial_loss(
                    self.logits(clean, True), self.logits(tf.stop_gradient(fake), True), self.loss
                )
            )
        grads = tape.gradient(d_loss, self.discriminator_variables)
        self.discriminator_optimizer.apply_gradients(zip(grads, self.discriminator_variables))
        with tf.GradientTape() as tape:
            fake = self(hazy, training=True)
            adversarial = tf.reduce_mean(losses.generator_adversarial_loss(self.logits(fake, True), self.loss))
            reconstruction = tf.reduce_mean(losses.l1_loss(clean, fake))
            g_loss = adversarial + (L1_WEIGHT * reconstruction if self.l1 else 0.0)
        grads = tape.gradient(g_loss, self.generator_variables)
        self.generator_optimizer.apply_gradients(zip(grads, self.generator_variables))
        return {"d_loss": d_loss, "g_adversarial": adversarial, "l1": reconstruction}

    def predict(self, hazy, batch_size=256):
        return np.concatenate([self(hazy[i : i + batch_size]).numpy() for i in range(0, len(hazy), batch_size)])


# ---------------------------------------------------------------------------
# Data, scores, runs.
# ---------------------------------------------------------------------------


def study_config(args, seed):
    """The `dehaze-gray-28` config with the study's data size, budget and seed."""
    return configs.get_config(
        CONFIG,
        {
            "patches_per_photo": args.patches_per_photo,
            "eval_patches_per_photo": args.eval_patches_per_photo,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "seed": seed,
        },
    )


_EXTRACTOR = []


def frechet_distance(clean, outputs):
    """Frechet distance of `random_conv_extractor(28)` features (grey tiled to RGB)."""
    if not _EXTRACTOR:
        _EXTRACTOR.append(metrics.random_conv_extractor(SIZE))
    tile = lambda images: np.repeat(np.clip(images, 0.0, 1.0), 3, axis=-1).astype(np.float32)  # noqa: E731
    return float(metrics.fid(tile(clean), tile(outputs), _EXTRACTOR[0]))


def output_spread(images):
    """Mean over pixels of the standard deviation across the set."""
    return float(np.std(images, axis=0).mean())


def score(hazy, clean, outputs):
    """The study's scores of `outputs` (clipped to [0, 1]) against `clean`."""
    outputs = np.clip(np.nan_to_num(outputs, nan=0.0), 0.0, 1.0).astype(np.float32)
    return {
        "spread_ratio": output_spread(outputs) / output_spread(clean),
        "black_fraction": float(np.mean(outputs.mean(axis=(1, 2, 3)) < BLACK_LEVEL)),
        "mean_intensity": float(outputs.mean()),
        "psnr": float(np.mean(metrics.psnr(clean, outputs).numpy())),
        "ssim": float(np.mean(metrics.ssim(clean, outputs).numpy())),
        "frechet": frechet_distance(clean, outputs),
    }


def references(hazy, clean):
    """Scores of the hazy input itself and of one fixed output for every input."""
    constant = np.repeat(clean.mean(axis=0, keepdims=True), len(clean), axis=0)
    return {
        "clean_black_fraction": float(np.mean(clean.mean(axis=(1, 2, 3)) < BLACK_LEVEL)),
        "hazy_input": score(hazy, clean, hazy),
        "mean_clean_for_every_input": score(hazy, clean, constant),
    }


def train_student(approach, options, config, log_every=200):
    """Trains one rebuilt variant on `train.dehazing_data(config)`; returns
    (model, history, steps, seconds, eval_hazy, eval_clean)."""
    keras.utils.set_random_seed(config["seed"])
    dataset, eval_hazy, eval_clean = kfreqgan_train.dehazing_data(config, config["batch_size"])
    model = StudentGAN(approach, **options)
    history, steps, started = [], 0, time.time()
    for epoch in range(config["epochs"]):
        for hazy, clean in dataset:
            logs = model.train_step(hazy, clean)
            steps += 1
            if steps % log_every == 0:
                logs = {key: round(float(value), 4) for key, value in logs.items()}
                history.append({"step": steps, **logs})
                if not all(np.isfinite(value) for value in logs.values()):
                    break
    return model, history, steps, time.time() - started, eval_hazy, eval_clean


def run_student(name, approach, options, config, out):
    model, history, steps, seconds, hazy, clean = train_student(approach, options, config)
    outputs = model.predict(hazy)
    record = {
        "variant": name,
        "approach": approach,
        "options": options,
        "seed": config["seed"],
        "steps": steps,
        "train_seconds": round(seconds, 1),
        "test_pairs": int(len(clean)),
        "history": history,
        **score(hazy, clean, outputs),
        "raw_mean_output": float(np.mean(outputs)),
    }
    save_samples(hazy, outputs, clean, os.path.join(out, f"samples-{name}-seed{config['seed']}.png"))
    return record, hazy, clean


def run_kfreqgan(config, out):
    folder = os.path.join(out, f"kfreqgan-seed{config['seed']}")
    result = kfreqgan_train.train(config, folder, tf.distribute.get_strategy(), verbose=0)
    _, hazy, clean = kfreqgan_train.dehazing_data(config, config["batch_size"])
    from kfreqgan.models import loading

    generator_model = keras.models.load_model(os.path.join(folder, loading.GENERATOR_FILE))
    outputs = generator_model.predict(hazy, batch_size=256, verbose=0)
    record = {
        "variant": "kfreqgan",
        "approach": None,
        "options": {"config": CONFIG, "overrides": {k: config[k] for k in ("patches_per_photo", "epochs", "batch_size", "seed")}},
        "seed": config["seed"],
        "steps": result["generator_steps"],
        "train_seconds": result["train_seconds"],
        "test_pairs": int(len(clean)),
        "history": [{k: round(float(v[-1]), 4) for k, v in result["history"].items() if v}],
        **score(hazy, clean, outputs),
        "raw_mean_output": float(np.mean(outputs)),
    }
    save_samples(hazy, outputs, clean, os.path.join(out, f"samples-kfreqgan-seed{config['seed']}.png"))
    return record, hazy, clean


def save_samples(hazy, outputs, clean, path, count=8):
    step = max(len(clean) // count, 1)
    kfreqgan_train.grid_png([hazy[::step][:count], outputs[::step][:count], clean[::step][:count]], path)


def finished(path):
    done = set()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                line = line.strip()
                if line:
                    record = json.loads(line)
                    done.add((record["variant"], record["seed"]))
    return done


def append(path, record):
    with open(path, "a", encoding="utf-8") as lines:
        lines.write(json.dumps(record) + "\n")
        lines.flush()
        os.fsync(lines.fileno())


COLUMNS = ("spread_ratio", "black_fraction", "psnr", "ssim", "frechet")
"""The scores the table prints (with `mean_intensity`, the mean output pixel; the clean targets' is about 0.48)."""


def table(records):
    """Mean (and min-max over seeds) per variant, in `variants()` order."""
    order = list(variants())
    by_variant = {}
    for record in records:
        by_variant.setdefault(record["variant"], []).append(record)
    lines = [f"{'variant':<40}{'seeds':>6}{'spread':>8}{'black':>7}{'mean':>6}{'PSNR':>7}{'SSIM':>7}{'Frechet':>9}{'steps':>7}{'s/run':>7}"]
    for name in sorted(by_variant, key=lambda n: order.index(n) if n in order else len(order)):
        runs = by_variant[name]
        mean = {key: np.mean([run[key] for run in runs]) for key in (*COLUMNS, "mean_intensity", "steps", "train_seconds")}
        lines.append(
            f"{name:<40}{len(runs):>6}{mean['spread_ratio']:8.3f}{mean['black_fraction']:7.2f}{mean['mean_intensity']:6.2f}{mean['psnr']:7.2f}"
            f"{mean['ssim']:7.3f}{mean['frechet']:9.2f}{mean['steps']:7.0f}{mean['train_seconds']:7.0f}"
        )
        if len(runs) > 1:
            spread = "  ".join(
                f"{key} {min(run[key] for run in runs):.3g}..{max(run[key] for run in runs):.3g}" for key in COLUMNS
            )
            lines.append(f"{'':<6}seeds {sorted(run['seed'] for run in runs)}: {spread}")
    return "\n".join(lines)


def _grid_rows(path, count=6):
    """The rows (hazy, output, clean) of a saved sample grid as uint8 `(3, count, 28, 28)`."""
    data = tf.io.decode_png(tf.io.read_file(path)).numpy()[..., 0]
    rows = data.reshape(3, SIZE, -1, SIZE).transpose(0, 2, 1, 3)
    return rows[:, :count]


def _pack(images):
    import base64

    return base64.b64encode(np.ascontiguousarray(images, np.uint8).tobytes()).decode("ascii")


def unpack_images(text, size=SIZE):
    """Inverse of the summary's image packing: float32 `(N, size, size, 1)` in [0, 1]."""
    import base64

    values = np.frombuffer(base64.b64decode(text), np.uint8)
    return (values.reshape(-1, size, size, 1) / 255.0).astype(np.float32)


def summarize(out, long_out=None):
    """A compact summary of `OUT/runs.jsonl` (per variant: per-seed values and
    their mean) with six sample outputs of the main variants (seed 0, and the
    broken approaches' other seeds), for notebook 04."""
    def read(folder):
        with open(os.path.join(folder, "runs.jsonl"), encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    def per_variant(records):
        grouped = {}
        for record in records:
            grouped.setdefault(record["variant"], []).append(record)
        order = list(variants())
        result = {}
        for name in sorted(grouped, key=lambda n: order.index(n) if n in order else len(order)):
            runs = sorted(grouped[name], key=lambda run: run["seed"])
            keys = (*COLUMNS, "mean_intensity", "train_seconds", "steps")
            result[name] = {
                "approach": runs[0]["approach"],
                "options": runs[0]["options"],
                "seeds": [run["seed"] for run in runs],
                "per_seed": {key: [round(float(run[key]), 4) for run in runs] for key in keys},
                "mean": {key: round(float(np.mean([run[key] for run in runs])), 4) for key in keys},
            }
        return result

    summary = {"variants": per_variant(read(out))}
    with open(os.path.join(out, "references-seed0.json"), encoding="utf-8") as handle:
        summary["references"] = json.load(handle)
    samples = {}
    for name in (name for name in summary["variants"] if name in MAIN_VARIANTS):  # keeps the file small
        path = os.path.join(out, f"samples-{name}-seed0.png")
        if os.path.exists(path):
            rows = _grid_rows(path)
            samples.setdefault("hazy", _pack(rows[0]))
            samples.setdefault("clean", _pack(rows[2]))
            samples[name] = _pack(rows[1])
    summary["samples_seed0"] = samples
    # The broken approaches collapse onto a different single output in each seed.
    summary["samples_broken_other_seeds"] = {}
    for name in ("a1-broken", "a2-broken"):
        for seed in summary["variants"].get(name, {}).get("seeds", [])[1:]:
            path = os.path.join(out, f"samples-{name}-seed{seed}.png")
            if os.path.exists(path):
                summary["samples_broken_other_seeds"][f"{name} seed {seed}"] = _pack(_grid_rows(path)[1])
    if long_out and os.path.exists(os.path.join(long_out, "runs.jsonl")):
        summary["long_runs"] = per_variant(read(long_out))
        for name in summary["long_runs"]:
            path = os.path.join(long_out, f"samples-{name}-seed0.png")
            if os.path.exists(path):
                summary["long_runs"][name]["samples_seed0"] = _pack(_grid_rows(path)[1])
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="outputs/student_failure")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--variants", nargs="+", default=["all"], help="names (see --list), 'all' or 'main' (%s)" % ", ".join(MAIN_VARIANTS)
    )
    parser.add_argument("--patches-per-photo", type=int, default=2500, help="x 6 training photos = 15,000 pairs")
    parser.add_argument("--eval-patches-per-photo", type=int, default=200, help="x 3 held-out photos")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    parser.add_argument("--table", action="store_true", help="print the table of OUT/runs.jsonl and exit")
    parser.add_argument("--summary", help="write a compact JSON summary of OUT (for notebook 04) to this path and exit")
    parser.add_argument("--long-out", help="with --summary: a second OUT with longer runs of the broken variants")
    args = parser.parse_args(argv)
    table_of_variants = variants()
    if args.list:
        for name, (approach, options) in table_of_variants.items():
            print(f"{name:<40} {options if options else 'kfreqgan-train --config ' + CONFIG}")
        return 0
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "runs.jsonl")
    if args.summary:
        write_text_atomically(args.summary, json.dumps(summarize(args.out, args.long_out), indent=1) + "\n")
        return 0
    if args.table:
        with open(path, encoding="utf-8") as lines:
            print(table([json.loads(line) for line in lines if line.strip()]))
        return 0
    names = []
    for name in args.variants:
        if name == "all":
            names += list(table_of_variants)
        elif name == "main":
            names += list(MAIN_VARIANTS)
        elif name in table_of_variants:
            names.append(name)
        else:
            parser.error(f"unknown variant {name!r}; see --list")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPU cores, {platform.machine()}", flush=True)
    for seed in args.seeds:
        config = study_config(args, seed)
        refs_path = os.path.join(args.out, f"references-seed{seed}.json")
        for name in dict.fromkeys(names):
            if (name, seed) in finished(path):
                continue
            approach, options = table_of_variants[name]
            if approach is None:
                record, hazy, clean = run_kfreqgan(config, args.out)
            else:
                record, hazy, clean = run_student(name, approach, options, config, args.out)
            record["load_average"] = round(os.getloadavg()[0], 2)
            append(path, record)
            if not os.path.exists(refs_path):
                write_text_atomically(refs_path, json.dumps(references(hazy, clean), indent=1))
            print(
                f"{name:<40} seed {seed}: spread {record['spread_ratio']:.3f} black {record['black_fraction']:.2f} "
                f"PSNR {record['psnr']:.2f} SSIM {record['ssim']:.3f} Frechet {record['frechet']:.2f} "
                f"({record['steps']} steps, {record['train_seconds']:.0f} s)",
                flush=True,
            )
    with open(path, encoding="utf-8") as lines:
        print(table([json.loads(line) for line in lines if line.strip()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
