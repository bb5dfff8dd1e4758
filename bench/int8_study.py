"""Which ops hurt int8 on the shipped dehazer, and what keeps them in float (#17 item 2).

    python bench/int8_study.py --size 256 --out /work/runs/int8_study
    python bench/int8_study.py --size 256 --int16x8 --out /work/runs/int8_study
    python bench/int8_study.py --size 256 --selective --out /work/runs/int8_study

Exports `kfreqgan.pretrained.dehazer()` at `--size` as `kfreqgan-export`
does (matmul FFT filters, builtin ops only, calibrated on hazy patches of the
training photos with the card's haze) and measures each model's PSNR against
the float Keras model on hazy patches of the held-out photos (as
`kfreqgan-export`'s `--min-psnr` check). Then runs the per-op error
(`kfreqgan.export.tflite.op_errors`: every int8 tensor against the float32
model's tensor of the same name, LiteRT keeping all tensors; RMSE in
quantization steps and relative to the tensor's spread) and tries keeping the worst ops in float
(`denylisted_nodes`, builtin float kernels; still no Flex), and whole op
types. Writes `results.json` with every figure.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def _write_json(path, results):
    """`results` as JSON at `path`, whole or not at all: `record` rewrites
    results.json after every model, and a crash mid-write must not lose the
    ones before."""
    from kfreqgan.atomic_files import write_text_atomically

    write_text_atomically(path, json.dumps(results, indent=2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--calibration-count", type=int, default=64)
    parser.add_argument("--check-count", type=int, default=8)
    parser.add_argument("--top", default="8", help="numbers of worst tensors kept in float (comma-separated)")
    parser.add_argument("--selective", action="store_true", help="only: float prefixes and the export's selective int8 "
                        "(selective_int8), PSNR on three check sets and latency")
    parser.add_argument("--int16x8", action="store_true", help="only: int16 activations with int8 weights (TFLite 16x8), PSNR and latency")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    import tensorflow as tf

    from kfreqgan import pretrained
    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.export import calibration
    from kfreqgan.export import tflite
    from kfreqgan.export.generator_export import training_haze
    from kfreqgan.models.image_to_image import clipped_model
    from kfreqgan.models.image_to_image import unit_range_outputs
    from kfreqgan.models.image_to_image import with_static_size

    haze = training_haze("pretrained:dehazer")
    model = clipped_model(with_static_size(pretrained.dehazer(), args.size, args.size))
    shape = (args.size, args.size, 3)
    calib = calibration.representative_images(shape, "hazy", args.calibration_count, seed=0, **haze)
    check = calibration.representative_images(shape, "hazy", args.check_count, seed=1, photos=HELDOUT_PHOTOS, **haze)
    reference = unit_range_outputs(model, check).numpy()

    def psnr(model_bytes):
        return tflite.pooled_psnr(reference, tflite.run_tflite(model_bytes, check))

    results = {"size": args.size, "haze": {k: list(v) for k, v in haze.items()}, "calibration_count": len(calib),
               "check": f"{len(check)} hazy {args.size}x{args.size} patches of {', '.join(HELDOUT_PHOTOS)}", "models": {}}

    def record(name, model_bytes, started, **extra):
        entry = {"psnr_db": psnr(model_bytes), "bytes": len(model_bytes), "convert_s": round(time.time() - started, 1),
                 "float_ops": sorted(tflite.float_op_names(model_bytes)), **extra}
        results["models"][name] = entry
        print(f"{name:42s} {entry['psnr_db']:6.2f} dB  {entry['bytes'] / 1e6:5.2f} MB  float ops {entry['float_ops']}", flush=True)
        _write_json(os.path.join(args.out, "results.json"), results)

    if args.selective:
        _selective(args, tflite, model, calib, check, haze)
        return 0
    if args.int16x8:
        _int16x8(args, tf, tflite, model, calib, check, psnr, results)
        return 0
    for variant in ("dynamic_range", "int8"):
        started = time.time()
        record(variant, tflite.convert_to_tflite(model, variant, calib if variant == "int8" else None), started)

    started = time.time()
    float_bytes = tflite.convert_to_tflite(model, "float32")
    int8_bytes = tflite.convert_to_tflite(model, "int8", calib)
    layer_stats = tflite.op_errors(float_bytes, int8_bytes, check)
    # The op that hurts is where the error jumps: its tensor's error in
    # quantization steps, and its share of the output's spread.
    ranked = sorted(layer_stats, key=lambda row: -row["rmse_per_scale"])
    results["op_errors"] = {"seconds": round(time.time() - started, 1), "in_order": layer_stats}
    print("worst tensors (rmse / quantization step, rmse / std):")
    for row in ranked[:15]:
        print(f"  {row['rmse_per_scale']:8.2f} {row['relative_rmse']:7.3f}  {row['op_name']:16s} {row['tensor_name'][:110]}")
    print("last 12 tensors in execution order:")
    for row in layer_stats[-12:]:
        print(f"  {row['rmse_per_scale']:8.2f} {row['relative_rmse']:7.3f}  {row['op_name']:16s} {row['tensor_name'][:110]}")
    # Remedies: the worst tensors, the FFT band filters (their DFT matrix
    # products carry spectra whose DC term is ~H*W times the rest), the
    # output head (transmission, airlight, the division), and both.
    names = [row["tensor_name"] for row in layer_stats]
    bands = [name for name in names if "/band_" in name]
    head = [name for name in names if any(key in name for key in ("/transmission", "/airlight", "/output_", "global_average_pooling"))]
    remedies = {f"int8, worst {n} tensors in float": [row["tensor_name"] for row in ranked[:n]] for n in (int(k) for k in args.top.split(",") if k)}
    if bands:  # the v1 U-Net's FFT band filters; the coherent (v2) dehazer has none
        remedies["int8, band filters in float"] = bands
    if head:
        remedies["int8, band filters and head in float" if bands else "int8, head in float"] = bands + head
    for label, nodes in remedies.items():
        started = time.time()
        record(label, tflite.convert_to_tflite(model, "int8", calib, float_nodes=nodes), started, nodes=nodes)
    by_type = {}
    for row in layer_stats:
        by_type.setdefault(row["op_name"], []).append(row["rmse_per_scale"])
    results["by_op_type"] = {op: {"count": len(v), "mean_rmse_per_scale": float(np.mean(v)), "max": float(np.max(v))}
                             for op, v in by_type.items()}
    print({op: round(v["mean_rmse_per_scale"], 3) for op, v in results["by_op_type"].items()})
    _write_json(os.path.join(args.out, "results.json"), results)


def _invoke_ms(model_bytes, images):
    """Milliseconds of each LiteRT invoke (2 threads), one image at a time."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes, num_threads=2)
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    times = []
    for image in images:
        interpreter.set_tensor(index, image[None])
        begin = time.perf_counter()
        interpreter.invoke()
        times.append(1000 * (time.perf_counter() - begin))
    return times


def _selective(args, tflite, model, calib, check, haze):
    """Full-integer int8, float prefixes of its ops, and what `kfreqgan-export` publishes (`selective_int8`)."""
    import tensorflow as tf

    from kfreqgan.data import HELDOUT_PHOTOS
    from kfreqgan.data import photo_sources
    from kfreqgan.export import calibration
    from kfreqgan.export.generator_export import SELECTION_IMAGES
    from kfreqgan.export.generator_export import SELECTION_MARGIN_DB
    from kfreqgan.export.generator_export import DEFAULT_MIN_PSNR
    from kfreqgan.models.image_to_image import unit_range_outputs

    size = args.size
    sets = {f"held-out photos, the card's haze ({len(check)})": check}
    sets["held-out photos, RESIDE ITS haze (8)"] = calibration.representative_images(
        (size, size, 3), "hazy", 8, seed=1, photos=HELDOUT_PHOTOS
    )
    # The real hazy photos the packages ship (never trained on), whole, squeezed to size x size.
    foggy = [
        tf.image.resize(photo_sources.read_photo(photo, max_side=2 * size)[None], (size, size), antialias=True).numpy()[0].clip(0, 1)
        for photo in photo_sources.real_haze_photos()
    ]
    if foggy:
        sets[f"real hazy photos ({len(foggy)}, whole, resized)"] = np.stack(foggy)
    references = {key: unit_range_outputs(model, images).numpy() for key, images in sets.items()}

    def measure(model_bytes):
        out = {}
        for key, images in sets.items():
            out[key] = round(tflite.pooled_psnr(references[key], tflite.run_tflite(model_bytes, images)), 2)
        return out

    def latency(model_bytes):
        return round(min(_invoke_ms(model_bytes, check[:4])), 1)

    plain = tflite.convert_to_tflite(model, "int8", calib)
    names = tflite.quantized_op_outputs(plain)
    selection = calib[:SELECTION_IMAGES]
    started = time.time()
    chosen, info = tflite.selective_int8(
        model, calib, selection, unit_range_outputs(model, selection).numpy(), DEFAULT_MIN_PSNR + SELECTION_MARGIN_DB
    )
    seconds = round(time.time() - started, 1)
    models = {"float32": tflite.convert_to_tflite(model, "float32"), "dynamic_range": tflite.convert_to_tflite(model, "dynamic_range"),
              "int8 full-integer": plain}
    for fraction in (0.25, 0.5):
        prefix = int(round(fraction * len(names)))
        models[f"int8, first {prefix} of {len(names)} ops in float"] = tflite.convert_to_tflite(
            model, "int8", calib, float_nodes=names[:prefix]
        )
    models[f"int8 as kfreqgan-export publishes it (first {info['float_ops']} ops in float)"] = chosen
    results = {"size": size, "selection": {**info, "seconds": seconds}, "models": {}}
    print(f"{size}x{size}; PSNR dB against the float Keras model; ms: fastest of 4 runs, LiteRT, 2 threads")
    print(f"selective_int8: tried (prefix, selection dB) {[(p, round(v, 1)) for p, v in info['tried']]} in {seconds} s")
    for name, model_bytes in models.items():
        entry = {"psnr_db": measure(model_bytes), "bytes": len(model_bytes), "ms": latency(model_bytes)}
        results["models"][name] = entry
        print(f"{name:58s} {entry['bytes'] / 1e6:5.2f} MB {entry['ms']:7.1f} ms  {entry['psnr_db']}", flush=True)
    _write_json(os.path.join(args.out, "results_selective.json"), results)


def _int16x8(args, tf, tflite, model, calib, check, psnr, results):
    """int16 activations, int8 weights (builtin 16x8 kernels, not XNNPACK): PSNR and ms per image against float32."""
    started = time.time()
    with tflite.tflite_converter(model, "int8", calib, "float32") as (converter, _):
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS
        ]
        int16x8 = converter.convert()
    models = {"float32": tflite.convert_to_tflite(model, "float32"), "int16x8": int16x8}
    for name, model_bytes in models.items():
        times = [round(ms) for ms in _invoke_ms(model_bytes, check[:4])]
        results["models"][name] = {"psnr_db": psnr(model_bytes), "bytes": len(model_bytes), "ms_per_image": times,
                                   "float_ops": sorted(tflite.float_op_names(model_bytes))}
        print(name, results["models"][name], flush=True)
    results["models"]["int16x8"]["convert_s"] = round(time.time() - started, 1)
    _write_json(os.path.join(args.out, "results_int16x8.json"), results)


if __name__ == "__main__":
    sys.exit(main())
