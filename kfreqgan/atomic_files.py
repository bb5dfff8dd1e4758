"""Atomic file writes: a reader sees the old file or the new one, never half.

Outputs (models, reports, plots) are written to a temporary file in the
target's own directory and moved into place with `os.replace`, which is
atomic on POSIX and Windows when source and target share a file system. An
interrupted or failing write leaves the previous file untouched and no
temporary file behind; only a killed process can leave a `.tmp-*` file,
which nothing reads.
"""

import os
import tempfile

# Every temporary file starts with it; a folder may be swept of leftovers
# (from a killed process) by this prefix.
TEMPORARY_PREFIX = ".tmp-"


def _fsync(path):
    """Flushes a file, or a directory's entries, to disk (directories: POSIX only)."""
    if os.path.isdir(path) and os.name == "nt":
        return
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_atomically(path, write, suffix=None, sync=False):
    """Calls `write(temporary_path)`, then moves the result to `path`.

    Args:
        path: the final file path; its directory is created if missing.
        write: a callable that writes the whole file at the path it is given
            (e.g. `model.save`, `figure.savefig`). The temporary path keeps
            `path`'s extension, which writers such as Keras's `save` check.
        suffix: the temporary file's ending when the extension alone is not
            enough (`".weights.h5"` for Keras's `save_weights`).
        sync: also `fsync` the file before the move and the directory after
            it, so that the new file survives a power loss, not only a
            killed process (checkpoints).
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    suffix = os.path.splitext(path)[1] if suffix is None else suffix
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=TEMPORARY_PREFIX, suffix=suffix)
    os.close(handle)
    try:
        write(temporary)
        if sync:
            _fsync(temporary)
        os.replace(temporary, path)
        if sync:
            _fsync(directory)
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
