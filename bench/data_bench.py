"""Is the haze-synthesis input pipeline fast enough to feed training?

Measures, in one process: images/s that the `tf.data` pipeline of
`kfreqgan-train` delivers on its own (patches of the bundled photos, haze
synthesised on the fly: synthetic depth, random beta and airlight, parallel
map, prefetch), and images/s that a training step of the frequency-aware
dehazing GAN consumes (`dehaze-rgb-64` networks), with and without
`jit_compile=True`. The pipeline is not the bottleneck when its rate is well
above the step's. The same script is the GPU benchmark:

    python bench/data_bench.py                       # CPU, 64x64, batch 16
    python bench/data_bench.py --size 256 --batch 16 --mixed-precision mixed_float16 --strategy mirrored
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from kfreqgan.training import configs  # noqa: E402
from kfreqgan.training import train  # noqa: E402


def bench_training(size, batch, steps, strategy_name, mixed_precision):
    print(f"dehazing GAN (dehaze-rgb-64 networks) at {size}x{size}, batch {batch}, strategy {strategy_name}:")
    config = configs.get_config(
        "dehaze-rgb-64", {"image_size": size, "batch_size": batch, "patches_per_photo": 64, "mixed_precision": mixed_precision}
    )
    strategy = train.make_strategy(strategy_name)
    global_batch = batch * strategy.num_replicas_in_sync
    dataset, _, _ = train.dehazing_data(config, global_batch)
    dataset = dataset.repeat()
    # The input pipeline alone.
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    pipeline = steps * global_batch / (time.perf_counter() - start)
    print(f"  {'haze input pipeline':<28}{pipeline:9.0f} images/s")
    if mixed_precision:
        keras.mixed_precision.set_global_policy(mixed_precision)
    for jit in (False, True):
        with strategy.scope():
            gan = train.build_gan(config)
            gan.compile(jit_compile=jit)
        gan.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)  # compile / warm up
        start = time.perf_counter()
        gan.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
        rate = steps * global_batch / (time.perf_counter() - start)
        print(f"  {'train step, jit_compile=' + str(jit):<28}{rate:9.0f} images/s   (pipeline / step: x{pipeline / rate:.1f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--strategy", default="default", choices=("default", "mirrored"))
    parser.add_argument("--mixed-precision", default=None, choices=(None, "mixed_float16", "mixed_bfloat16"))
    args = parser.parse_args()
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"TF {tf.__version__}, devices {devices}, {os.cpu_count()} CPU cores")
    bench_training(args.size, args.batch, args.steps, args.strategy, args.mixed_precision)


if __name__ == "__main__":
    main()
