"""Overhead of `GANMetricsMonitor` on a training epoch.

Times epochs of the `dcgan-32` configuration (SSD-GAN style, 48 steps of
batch 32 on the bundled training photos) without a monitor, with
`GANMetricsMonitor` at its default period (every epoch) on 256 fixed latent
vectors and 256 real patches (precision/recall/density/coverage, diversity
and FID), the same with PRD curves on as well, and on 128 samples. Features come from a small random-init
conv net (3 layers, 64-d), the kind of extractor the README uses where no
Inception weights are at hand. The variants alternate, round by round,
in one process; each round builds a fresh GAN, warms it up with one epoch
and then times `--epochs` epochs. Printed: the best and median seconds per
epoch over the rounds, the overhead of the best against the best without a
monitor, and the monitor's own time per call (measured inside the callback,
less noisy than a difference of epochs on a shared machine).

    python bench/gan_metrics_bench.py [--rounds 3] [--epochs 2]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan.callbacks import GANMetricsMonitor  # noqa: E402
from kfreqgan.metrics import random_conv_extractor  # noqa: E402
from kfreqgan.training import configs  # noqa: E402
from kfreqgan.training import train  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"TF {tf.__version__}, devices {devices}, {os.cpu_count()} CPU cores")
    config = configs.get_config("dcgan-32")
    dataset, clean = train.unconditional_data(config, config["batch_size"])
    latent = np.random.default_rng(0).standard_normal((256, config["latent_dim"])).astype(np.float32)
    samples = {"256 samples": 256, "  + PRD curve": 256, "128 samples": 128}
    extractor = random_conv_extractor(config["image_size"])
    variants = {
        "without monitor": None,
        "256 samples": dict(prd=False),
        "  + PRD curve": dict(prd=True),
        "128 samples": dict(prd=False),
    }
    epoch_times = {name: [] for name in variants}
    call_times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, options in variants.items():
            keras.utils.set_random_seed(0)
            gan = train.build_gan(config)
            gan.compile()
            count = samples.get(name, 0)
            monitor = None if options is None else GANMetricsMonitor(clean[:count], latent[:count], extractor, **options)
            callbacks = [monitor] if monitor else []
            gan.fit(dataset, epochs=1, verbose=0, callbacks=callbacks)  # trace and warm up
            start = time.perf_counter()
            gan.fit(dataset, epochs=args.epochs, verbose=0, callbacks=callbacks)
            epoch_times[name].append((time.perf_counter() - start) / args.epochs)
            if monitor:
                call_times[name].extend(monitor.seconds[1:])
    base = min(epoch_times["without monitor"])
    steps = len(clean) // config["batch_size"]
    print(
        f"dcgan-32 epoch ({steps} steps of {config['batch_size']}), GANMetricsMonitor every epoch, "
        f"{args.rounds} alternating rounds x {args.epochs} epochs:"
    )
    print(f"  {'':<20}{'best':>8}{'median':>9}   {'overhead':>8}   {'monitor call':>12}  {'call/epoch':>10}")
    for name in variants:
        best, median = min(epoch_times[name]), statistics.median(epoch_times[name])
        calls = call_times[name]
        call = f"{statistics.median(calls):9.2f} s" if calls else f"{'-':>11}"
        share = f"{100 * statistics.median(calls) / base:9.1f}%" if calls else f"{'-':>10}"
        print(f"  {name:<20}{best:7.2f}s{median:8.2f}s   {100 * (best / base - 1):+7.1f}%   {call:>12}  {share:>10}")


if __name__ == "__main__":
    main()
