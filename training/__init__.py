"""Training entry points of kfreqgan (installed as `kfreqgan.training`)."""
