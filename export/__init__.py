"""Export of trained models: TFLite (LiteRT) builtin-only conversion (installed as `kfreqgan.export`)."""
