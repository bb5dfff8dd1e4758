"""Optional dependencies (pyproject extras): one line naming the install to run.

`pip install kfreqgan` runs every command's main path; TFLite needs the
`export` extra (the LiteRT interpreter, `ai-edge-litert`), which callers
check with `require` before they write anything.
"""

import importlib.util

EXTRAS = {"ai_edge_litert": ("export", "ai-edge-litert")}
"""Module -> (extra, distribution) for the optional dependencies."""


def require(module, purpose):
    """Raises `ModuleNotFoundError` (one line) unless `module` can be imported.

    Args:
        module: a key of `EXTRAS` (e.g. `"ai_edge_litert"`).
        purpose: what needs it, for the message (e.g. `"TFLite export"`).
    """
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        extra, distribution = EXTRAS[module]
        raise ModuleNotFoundError(
            f'{purpose} needs {distribution}, which is not installed: pip install "kfreqgan[{extra}]"', name=module
        )
