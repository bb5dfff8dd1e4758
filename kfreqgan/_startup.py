"""Deferred imports while a kfreqgan command starts (no TensorFlow for `--help`).

Importing `kfreqgan` (or one of its packages) imports every submodule, so
that every public name is one attribute away and every serializable class is
registered with Keras (`keras.saving.load_model("freqgan.keras")` after
`import kfreqgan` alone). That imports TensorFlow: seconds. A kfreqgan
command started as its console script (`COMMAND_STARTUP`) must answer
`--help` and argument errors without it, so there the package `__init__`s
defer their imports to the first attribute access (PEP 562 `__getattr__`),
and the programs import what they need after parsing their arguments
(`kfreqgan.command_line.run_main`).
"""

import os
import sys

COMMANDS = ("kfreqgan-demo", "kfreqgan-train", "kfreqgan-spectrum", "kfreqgan-export", "kfreqgan-dehaze")
"""The console scripts (pyproject `[project.scripts]`)."""

COMMAND_STARTUP = os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "") in COMMANDS
"""Whether this process was started as one of `COMMANDS`."""


def export_names(namespace, load):
    """Runs a package's imports now, or on first attribute access during a command's start-up.

    Args:
        namespace: the package's `globals()`.
        load: a function doing the package's public imports and returning
            them as a dict (`return locals()`).
    """

    def load_into_namespace():
        namespace.update({name: value for name, value in load().items() if not name.startswith("_")})

    if not COMMAND_STARTUP:
        load_into_namespace()
        return

    loading = []

    def __getattr__(name):
        # While loading, `from package import submodule` asks here first: an
        # AttributeError makes the import system import the submodule.
        if loading or name not in namespace.get("__all__", ()):
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        loading.append(True)
        try:
            load_into_namespace()
        finally:
            loading.clear()
        return namespace[name]

    namespace["__getattr__"] = __getattr__
