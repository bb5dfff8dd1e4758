"""Pooling along one axis: as laid out vs `pool_along`'s channel layout,
and the dehazer's generator with each.

    python bench/pooling_bench.py [--rounds 5]

The guided filter's box means and the dark channel pool one-channel
images with windows of 3-81 pixels. TensorFlow's CPU pooling vectorises
over channels, so a one-channel image pooled as laid out leaves most of
each vector idle; `kfreqgan.layers.guided_filter.pool_along` lays the
image out as one tall image whose channels are the other axis. Contenders,
each in a `tf.function` (graph, no XLA), timed alternately in one process
(the median of `--rounds` rounds, the order flipped every round):

- one-axis mean of `(8, 256, 256, 1)` along rows and along columns, as
  laid out (`tf.nn.avg_pool2d` with a `(k, 1)` / `(1, k)` window) and by
  `pool_along`, for radii 8, 16 and 40;
- the dark channel's minimum over a square window (radius 7): one square
  max pool (before this change) and two one-axis pools (`DarkChannel`);
- the `dehaze-v17` generator's forward and backward pass (batch 8, 256 x
  256) with its box means as laid out and with `pool_along`.

Prints milliseconds and the ratios; figures depend on the CPU (BENCHMARKS.md
"Pooling along one axis"). Errors are one line on stderr and exit status 2.
"""

import time

import numpy as np


def _median_ms(function, argument, calls=3):
    """Median of `calls` timed calls, after one untimed (tracing) call."""
    function(argument)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        result = function(argument)
        for value in (result if isinstance(result, (list, tuple)) else [result]):
            if value is not None:
                value.numpy()
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


def _contenders():
    import tensorflow as tf

    from kfreqgan.layers import guided_filter
    from kfreqgan.training import configs
    from kfreqgan.training import train

    def laid_out(images, axis, radius, kind):
        window = [1, 1]
        window[axis - 1] = 2 * radius + 1
        return (tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d)(images, window, strides=1, padding="SAME")

    grey = tf.random.stateless_uniform((8, 256, 256, 1), (0, 1))
    pairs = []
    for radius in (8, 16, 40):
        for axis, name in ((1, "rows"), (2, "columns")):
            pairs.append(
                (
                    f"mean along {name}, radius {radius}",
                    grey,
                    tf.function(lambda x, a=axis, r=radius: laid_out(x, a, r, "avg")),
                    tf.function(lambda x, a=axis, r=radius: guided_filter.pool_along(x, a, r, "avg")),
                )
            )
    pairs.append(
        (
            "dark channel window, radius 7",
            grey,
            tf.function(lambda x: -tf.nn.max_pool2d(-x, (15, 15), strides=1, padding="SAME")),
            tf.function(lambda x: -laid_out(laid_out(-x, 1, 7, "max"), 2, 7, "max")),
        )
    )

    config = configs.get_config("dehaze-v17", {"init_generator": None})
    generator = train.build_generator(config)
    hazy = tf.random.stateless_uniform((8, 256, 256, 3), (0, 2))

    def step(images):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(generator(images, training=True))
        return tape.gradient(loss, generator.trainable_variables)

    def with_pool(pool):
        def run(images):
            saved = guided_filter.pool_along
            guided_filter.pool_along = pool
            try:
                return traced(images)
            finally:
                guided_filter.pool_along = saved

        traced = tf.function(step)
        return run

    pairs.append(("dehaze-v17 generator, forward + backward", hazy, with_pool(laid_out), with_pool(guided_filter.pool_along)))
    return pairs


def main(argv=None):
    from kfreqgan.command_line import ArgumentParser
    from kfreqgan.command_line import int_at_least
    from kfreqgan.command_line import run_main

    parser = ArgumentParser(prog="pooling_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int_at_least(1), default=5, help="rounds of alternating timings (median taken)")

    def run(args):
        for name, argument, before, after in _contenders():
            times = {"laid out": [], "pool_along": []}
            for round_ in range(args.rounds):
                order = (("laid out", before), ("pool_along", after))
                for label, function in order if round_ % 2 == 0 else order[::-1]:
                    times[label].append(_median_ms(function, argument, calls=1))
            old, new = (float(np.median(times[key])) for key in ("laid out", "pool_along"))
            labels = ("square pool", "two 1-axis") if name.startswith("dark") else ("laid out", "pool_along")
            print(f"{name:44s} {labels[0]:>11s} {old:8.1f} ms   {labels[1]:>10s} {new:7.1f} ms   {old / new:5.1f}x", flush=True)
        return 0

    return run_main(parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
