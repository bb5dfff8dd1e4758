"""Export of trained generators (installed as `kfreqgan.export`).

- `kfreqgan.export.export_generator` (`generator_export.py`): the library
  function that exports a trained generator to TF Serving and TFLite,
  checked against the Keras model; `kfreqgan.export.cli` is the
  `kfreqgan-export` command around it.
- `kfreqgan.export.serving`: the SavedModel with the `serving_default`
  (float32) and `serving_uint8` signatures, versions, `models.config`.
- `kfreqgan.export.tflite`: builtin-only TFLite conversion (float32,
  float16, dynamic-range, int8).
- `kfreqgan.export.calibration`: representative images for int8.
- `kfreqgan.export.atomic_dirs`: publishing folders atomically.

What the core shares with the exports lives in the core: loading a
generator from any file and the interface names (`serving_default`,
`images`, `outputs`) in `kfreqgan.models.loading`; the image-to-image check,
the fixed-size clone and `clip(generator(images), 0, 1)` in
`kfreqgan.models.image_to_image`.
"""

__all__ = ["export_generator"]


def __getattr__(name):  # lazy: `kfreqgan-export --help` imports no TensorFlow
    if name == "export_generator":
        from kfreqgan.export.generator_export import export_generator

        return export_generator
    raise AttributeError(f"module 'kfreqgan.export' has no attribute {name!r}")

