"""Cost of frequency awareness in a discriminator, and of SpectrumMonitor.

One discriminator training step (forward, backward, Adam update) at 64x64,
batch 32 real + 32 fake, for a DCGAN/SNGAN discriminator alone, with
SSD-GAN's spectral branch (`SpectralDiscriminator`), and with a band-filter
branch (a second discriminator on `FFTBandFilter` low/mid/high copies).
All three run in one process on the same real photo patches, alternating;
printed as median time per step and overhead over the spatial-only step.

It also times an epoch of the `dcgan-32` configuration (SSD-GAN style, 48
steps of batch 32) with and without `SpectrumMonitor` at its default period
(every epoch, 64 fixed latent vectors, 256 real images).

    python bench/gan_bench.py [--size 64] [--batch 32] [--filters 64]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan.data import photo_patches  # noqa: E402
from kfreqgan.layers import FFTBandFilter  # noqa: E402
from kfreqgan.bands import DEFAULT_BANDS  # noqa: E402
from kfreqgan.models import SpectralDiscriminator  # noqa: E402
from kfreqgan.models import dcgan_discriminator  # noqa: E402
from kfreqgan.training import configs  # noqa: E402
from spectral_bench import median_seconds  # noqa: E402  (bench/ is the script's folder)


def band_branch_discriminator(shape, filters):
    """Spatial DCGAN discriminator + a second one on band-filtered copies."""
    inputs = keras.Input(shape)
    spatial = dcgan_discriminator(shape, filters, name="spatial")(inputs)
    copies = keras.layers.Concatenate()([FFTBandFilter(lo, hi, kind="gaussian")(inputs) for lo, hi in DEFAULT_BANDS.values()])
    bands = dcgan_discriminator(shape[:2] + (3 * shape[2],), filters, name="bands")(copies)
    return keras.Model(inputs, keras.layers.Average()([spatial, bands]))


def discriminator_step(model, images):
    model(images[:1])  # create the weights of subclassed models
    optimizer = keras.optimizers.Adam(2e-4)
    optimizer.build(model.trainable_variables)

    @tf.function
    def step(real, fake):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softplus(-model(real, training=True))) + tf.reduce_mean(
                tf.nn.softplus(model(fake, training=True))
            )
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    half = len(images) // 2
    real, fake = tf.constant(images[:half]), tf.constant(images[half:])
    step(real, fake).numpy()
    return lambda: step(real, fake).numpy()


def bench_discriminators(size, batch, filters, repeats):
    images = photo_patches(configs.CONFIGS["dehaze-rgb-64"]["train_photos"], size, (2 * batch) // 6 + 1, seed=0)[: 2 * batch]
    shape = (size, size, 3)
    keras.utils.set_random_seed(0)
    steps = {
        "spatial only": discriminator_step(dcgan_discriminator(shape, filters), images),
        "+ spectral branch": discriminator_step(SpectralDiscriminator(dcgan_discriminator(shape, filters)), images),
        "+ band-filter branch": discriminator_step(band_branch_discriminator(shape, filters), images),
    }
    results = {name: [] for name in steps}
    for _ in range(3):
        for name, function in steps.items():
            results[name].append(median_seconds(function, repeats))
    medians = {name: statistics.median(values) for name, values in results.items()}
    base = medians["spatial only"]
    print(f"discriminator step, {size}x{size}, batch {batch} (+{batch} fake), filters {filters}:")
    for name, seconds in medians.items():
        print(f"  {name:<22}{seconds * 1e3:8.1f} ms   overhead {100 * (seconds / base - 1):+6.1f}%")


def bench_monitor(epochs=3):
    from kfreqgan.callbacks import SpectrumMonitor
    from kfreqgan.training import train

    config = configs.get_config("dcgan-32")
    dataset, clean = train.unconditional_data(config, config["batch_size"])
    latent = np.random.default_rng(0).standard_normal((64, config["latent_dim"])).astype(np.float32)
    times = {}
    for name in ("without monitor", "with SpectrumMonitor", "without monitor ", "with SpectrumMonitor "):
        keras.utils.set_random_seed(0)
        gan = train.build_gan(config)
        gan.compile()
        callbacks = [SpectrumMonitor(clean[:256], latent)] if name.startswith("with ") else []
        gan.fit(dataset, epochs=1, verbose=0, callbacks=callbacks)  # trace and warm up
        start = time.perf_counter()
        gan.fit(dataset, epochs=epochs, verbose=0, callbacks=callbacks)
        times.setdefault(name.strip(), []).append((time.perf_counter() - start) / epochs)
    base = min(times["without monitor"])
    print(f"dcgan-32 epoch ({len(clean) // config['batch_size']} steps of {config['batch_size']}), best of 2:")
    for name, values in times.items():
        print(f"  {name:<22}{min(values):8.2f} s/epoch   overhead {100 * (min(values) / base - 1):+6.1f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"TF {tf.__version__}, devices {devices}, {os.cpu_count()} CPU cores")
    bench_discriminators(args.size, args.batch, args.filters, args.repeats)
    bench_monitor()


if __name__ == "__main__":
    main()
