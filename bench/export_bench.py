"""Exported dehazer latency: Keras vs SavedModel vs the four TFLite variants.

The model is `unet_generator((256, 256, 3), filters=16, depth=3)` (three FFT
band inputs, scattering head; seeded random weights: latency does not
depend on the weight values). It is exported as `kfreqgan-export` does:
the SavedModel's `serving_default` signature (loaded with
`tf.saved_model.load`) and the builtin-only TFLite models `float32`,
`float16`, `dynamic_range` and `int8` (calibrated on hazy patches of the
training photos), the latter run in LiteRT's interpreter with its default
XNNPACK CPU delegate. "Keras" is the model called inside a `tf.function`
(what `predict` runs, without its per-call overhead).

Everything runs in this process on the same CPU threads (`--threads`, 2 by
default: TensorFlow's intra-op pool and the interpreter's threads; one
inter-op thread), one image at a time (batch 1), on hazy 256x256 patches of
the held-out photos. The rounds interleave the runtimes (one call of each
per round) so that load from other processes hits them alike; the table
gives the median, fastest and 90th-percentile time per image, the speed
relative to Keras and to TFLite float32, and each export's agreement with
Keras. The float TFLite models compute the band filters with DFT matrix
products (TFLite has no inverse FFT builtin), Keras and the SavedModel
with FFTs.

    python bench/export_bench.py [--size 256] [--filters 16] [--depth 3] [--threads 2] [--repeats 30]
    python bench/export_bench.py --model pretrained:dehazer     # the shipped dehazer at 256x256
"""

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args():
    """The command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="image side in pixels (default 256)")
    parser.add_argument("--filters", type=int, default=16, help="unet_generator filters (default 16)")
    parser.add_argument("--depth", type=int, default=3, help="unet_generator depth (default 3)")
    parser.add_argument(
        "--model",
        help="bench this generator instead (anything the loader opens, e.g. pretrained:dehazer), fixed to --size",
    )
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for every runtime (default 2)")
    parser.add_argument("--repeats", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--calibration-count", type=int, default=32, help="int8 calibration images (default 32)")
    return parser.parse_args()


def main():
    """Builds and exports the model, times every runtime, prints the table.

    Returns:
        0 (the exit status).
    """
    args = parse_args()
    import tensorflow as tf

    # Before TensorFlow creates its thread pools.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    import keras
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.export import serving
    from kfreqgan.export import tflite
    from kfreqgan.export.calibration import representative_images
    from kfreqgan.models.image_to_image import clipped_model
    from kfreqgan.models.loading import INPUT_NAME
    from kfreqgan.models.loading import OUTPUT_NAME
    from kfreqgan.models.loading import SERVING_DEFAULT
    from kfreqgan.models.image_to_image import unit_range_outputs
    from kfreqgan.models import unet_generator

    size = args.size
    keras.utils.set_random_seed(0)
    if args.model:
        from kfreqgan.models.image_to_image import with_static_size
        from kfreqgan.models.loading import load_generator

        generator = with_static_size(load_generator(args.model, kinds=("keras",)), size, size)
        described = f"{args.model} at ({size}, {size}, 3)"
    else:
        generator = unet_generator((size, size, 3), filters=args.filters, depth=args.depth)
        described = f"unet_generator(({size}, {size}, 3), filters={args.filters}, depth={args.depth})"
    images = representative_images((size, size, 3), "hazy", count=4, seed=1, photos=HELDOUT_PHOTOS)
    reference = unit_range_outputs(generator, images).numpy()

    runners, sizes = {}, {}
    keras_call = tf.function(lambda x: unit_range_outputs(generator, x))
    runners["Keras"] = lambda x: keras_call(tf.constant(x)).numpy()

    directory = tempfile.mkdtemp(prefix="kfreqgan-export-bench-")
    serving.save_serving_model(generator, os.path.join(directory, "1"))
    signature = tf.saved_model.load(os.path.join(directory, "1")).signatures[SERVING_DEFAULT]
    runners["SavedModel"] = lambda x: signature(**{INPUT_NAME: tf.constant(x)})[OUTPUT_NAME].numpy()
    sizes["SavedModel"] = sum(
        os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(os.path.join(directory, "1")) for name in names
    )

    model = clipped_model(generator)
    calibration = representative_images((size, size, 3), "hazy", count=args.calibration_count, seed=0)
    started = time.perf_counter()
    for variant in tflite.VARIANTS:
        model_bytes = tflite.convert_to_tflite(model, variant, calibration if variant == "int8" else None)
        sizes[f"TFLite {variant}"] = len(model_bytes)
        interpreter = Interpreter(model_content=model_bytes, num_threads=args.threads)
        interpreter.allocate_tensors()  # batch 1, as converted
        run = interpreter.get_signature_runner(SERVING_DEFAULT)
        runners[f"TFLite {variant}"] = lambda x, run=run: run(**{INPUT_NAME: x})[OUTPUT_NAME]
    conversion_seconds = time.perf_counter() - started

    agreement = {}
    for name, runner in runners.items():
        outputs = np.concatenate([runner(images[i : i + 1]) for i in range(len(images))])
        error = np.abs(outputs.astype(np.float64) - reference)
        agreement[name] = (float(error.max()), tflite.pooled_psnr(reference, outputs))

    times = {name: [] for name in runners}
    for round_index in range(args.warmup + args.repeats):
        image = images[round_index % len(images)][np.newaxis]
        for name, runner in runners.items():
            started = time.perf_counter()
            runner(image)
            if round_index >= args.warmup:
                times[name].append(time.perf_counter() - started)

    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    fastest = {name: min(values) * 1000 for name, values in times.items()}
    p90 = {name: sorted(values)[int(0.9 * (len(values) - 1))] * 1000 for name, values in times.items()}
    print(
        f"kfreqgan export bench: {described}, batch 1, "
        f"{args.threads} CPU threads, {args.repeats} interleaved rounds after {args.warmup} warm-up"
    )
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores ({platform.machine()}); TFLite conversion of 4 variants: {conversion_seconds:.0f} s"
    )
    print()
    header = (
        f"{'runtime':<22}{'size MB':>9}{'median ms':>11}{'min ms':>8}{'p90 ms':>8}{'vs Keras':>10}{'vs TFLite f32':>15}"
        f"{'max |err|':>11}{'PSNR dB':>9}"
    )
    print(header)
    print("-" * len(header))
    for name in runners:
        max_error, psnr = agreement[name]
        megabytes = f"{sizes[name] / 1e6:.2f}" if name in sizes else "-"
        print(
            f"{name:<22}{megabytes:>9}{median[name]:>11.1f}{fastest[name]:>8.1f}{p90[name]:>8.1f}"
            f"{median['Keras'] / median[name]:>9.2f}x{median['TFLite float32'] / median[name]:>14.2f}x"
            f"{max_error:>11.2g}{'inf' if psnr == float('inf') else f'{psnr:.1f}':>9}"
        )
    print()
    for label, stat in (("median", median), ("min", fastest)):
        float32_vs_keras = stat["Keras"] / stat["TFLite float32"]
        int8_speedup = stat["TFLite float32"] / stat["TFLite int8"]
        print(
            f"{label:>6}: TFLite float32 is {float32_vs_keras:.2f}x as fast as Keras (target >= 1.0: "
            f"{'met' if float32_vs_keras >= 1.0 else 'NOT met'}); TFLite int8 is {int8_speedup:.2f}x as fast as "
            f"TFLite float32 (target >= 1.5: {'met' if int8_speedup >= 1.5 else 'NOT met'})"
        )
    print("(vs columns: how many times as fast as that runtime, from the medians; max |err| and PSNR: against Keras")
    print(" on the same 4 images; min: the fastest round, the least disturbed by other processes)")
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
