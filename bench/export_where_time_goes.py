"""Where TFLite float32 loses to Keras on CPU: the band filters, or the body (#17 item 7).

    python bench/export_where_time_goes.py

The export bench's model (`unet_generator((256, 256, 3), filters=16,
depth=3)`, seeded weights) with its three FFT band inputs and without them
(`bands=[]`), each as Keras (a `tf.function`, 2 intra-op threads) and as the
float32 TFLite model (LiteRT, XNNPACK, `num_threads=2`), batch 1, the four
interleaved in 25 rounds (the first 3 dropped); median and fastest per call.
"""
import os, time, statistics, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf, keras
tf.config.threading.set_intra_op_parallelism_threads(2); tf.config.threading.set_inter_op_parallelism_threads(1)
from ai_edge_litert.interpreter import Interpreter
from kfreqgan.models import unet_generator
from kfreqgan.export.tflite import convert_to_tflite
from kfreqgan.models.image_to_image import clipped_model
keras.utils.set_random_seed(0)
x = np.random.default_rng(0).random((1, 256, 256, 3)).astype(np.float32)
runners = {}
for label, bands in (("with bands", "default"), ("no bands", [])):
    kw = {} if bands == "default" else {"bands": bands}
    m = clipped_model(unet_generator((256, 256, 3), filters=16, depth=3, **kw))
    f = tf.function(lambda t, m=m: m(t, training=False)); f(x)
    it = Interpreter(model_content=convert_to_tflite(m, "float32"), num_threads=2); it.allocate_tensors()
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    def run_tfl(it=it, i=i, o=o):
        it.set_tensor(i, x); it.invoke(); return it.get_tensor(o)
    runners[f"Keras, {label}"] = lambda f=f: f(x).numpy()
    runners[f"TFLite f32, {label}"] = run_tfl
times = {k: [] for k in runners}
for r in range(25):
    for k, fn in runners.items():
        t = time.perf_counter(); fn(); times[k].append(time.perf_counter() - t)
for k, v in times.items():
    v = v[3:]
    print(f"{k:24s} median {1000*statistics.median(v):6.1f} ms  min {1000*min(v):6.1f} ms")
