"""Export of trained generators (installed as `kfreqgan.export`).

- `kfreqgan.export.cli`: the `kfreqgan-export` command (TF Serving
  SavedModel + models.config, TFLite variants).
- `kfreqgan.export.generator`: loading the generator from a `.keras` file
  and the function every export computes, `clip(generator(images), 0, 1)`.
- `kfreqgan.export.serving`: the SavedModel with the `serving_default`
  (float32) and `serving_uint8` signatures, versions, `models.config`.
- `kfreqgan.export.serving_contract`: TF Serving's REST / gRPC Predict
  contract in Python, for testing exports without the server.
- `kfreqgan.export.tflite`: builtin-only TFLite conversion (float32,
  float16, dynamic-range, int8).
- `kfreqgan.export.calibration`: representative images for int8.
- `kfreqgan.export.atomic_dirs`: publishing folders atomically.
"""
