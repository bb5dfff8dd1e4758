"""Atomic file writes: a reader sees the old file or the new one, never half.

Outputs (models, reports, plots) are written to a temporary file in the
target's own directory and moved into place with `os.replace`, which is
atomic on POSIX and Windows when source and target share a file system. An
interrupted or failing write leaves the previous file untouched and no
temporary file behind.
"""

import os
import tempfile


def write_atomically(path, write):
    """Calls `write(temporary_path)`, then moves the result to `path`.

    Args:
        path: the final file path; its directory is created if missing.
        write: a callable that writes the whole file at the path it is given
            (e.g. `model.save`, `figure.savefig`). The temporary path keeps
            `path`'s extension, which writers such as Keras's `save` check.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_text_atomically(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""

    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)

    write_atomically(path, write)
