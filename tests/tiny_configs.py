"""Overrides that make a named training configuration small enough for a test run."""

DEHAZE_V2_TINY = {
    "photo_catalogue": False,  # the bundled photos only: no registry packages needed
    "image_size": 64,
    "photo_max_side": 128,
    "patches_per_photo": 4,
    "batch_size": 8,
    "epochs": 1,
    "depth_variants": 1,
    "coarse_size": 32,
    "generator_filters": 4,
    "discriminator_filters": 4,
    "discriminator_layers": 2,
    # Off: the training machinery (backups, sittings, moving averages,
    # schedules, packaging) does not depend on the frequency parts, and a run
    # without them builds its training step about 30% faster. The parts are
    # trained by test_dehaze_v2_config's tiny run, which switches them on.
    "frequency_aware": False,
}
"""`dehaze-v2` on 4 bundled photos, 64-pixel crops, tiny networks, without the
frequency parts: one epoch of 2 steps."""

KEEP_BEST_TINY = dict(
    DEHAZE_V2_TINY,
    train_photos=["chelsea", "rocket", "flower"],
    validation_photos=["motorcycle"],
    validation_patches_per_photo=2,
    keep_best="psnr",
)
"""`DEHAZE_V2_TINY` with the epoch chosen on a bundled photo it does not train on: motorcycle validates, three train."""


def train_argv(out, settings, config="dehaze-demo"):
    """`kfreqgan-train` arguments: `config` into `out`, quiet, with each of
    `settings` as `--set key=value` (the value's repr, which `--set` reads back)."""
    argv = ["--config", config, "--out", str(out), "--quiet"]
    for key, value in settings.items():
        argv += ["--set", f"{key}={value!r}"]
    return argv
