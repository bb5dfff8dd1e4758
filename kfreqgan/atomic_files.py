"""Atomic file writes: a reader sees the old file or the new one, never half.

Outputs (models, reports, plots, images) are written to a temporary file in
the target's own directory and moved into place with `os.replace`, which is
atomic on POSIX and Windows when source and target share a file system. An
interrupted or failing write leaves the previous file untouched and no
temporary file behind. The new file gets the permissions an ordinary
`open(path, "w")` would give it: those of the file it replaces, or
`0o666` less the umask for a new one (the temporary file alone is private).

Only a killed process (SIGKILL, power loss) can leave a temporary file
behind: `.tmp-<pid>-<random><ext>`, which nothing reads. The first write into
a folder in a later process removes such leftovers of processes that are no
longer running (`sweep_temporaries`); nothing else is ever deleted.

An `OSError` while writing (permissions, a full disk, a missing folder)
names the target path the caller asked for, never the temporary file.
"""

import os
import re
import tempfile
import threading

# Every temporary file starts with it; a folder may be swept of leftovers
# (from a killed process) by this prefix.
TEMPORARY_PREFIX = ".tmp-"

# `.tmp-<pid>-` + mkstemp's 8 random characters: a name that only
# `write_atomically` makes, and the process that made it.
_OWN_TEMPORARY = re.compile(r"^\.tmp-(\d+)-[a-z0-9_]{8}")
_swept = set()
_swept_lock = threading.Lock()


def current_umask():
    """The process's umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _process_is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # exists (someone else's) or cannot tell: keep its files
    return True


def temporary_prefix():
    """`.tmp-<pid>-`: how this process's temporary files begin (`mkstemp`
    adds 8 random characters). `sweep_temporaries` removes the files of this
    shape that processes no longer running left behind, so any temporary a
    kfreqgan process makes beside a user's files (`write_atomically`'s, the
    write probe of `kfreqgan.paths.check_writable_folder`) is named with it."""
    return f"{TEMPORARY_PREFIX}{os.getpid()}-"


def sweep_temporaries(directory):
    """Removes temporary files that killed writers left in `directory`.

    Only regular files named as `write_atomically` names them
    (`.tmp-<pid>-<8 random characters>...`), owned by this user, whose
    process `<pid>` is no longer running on this machine are removed;
    anything else is left alone.

    Returns:
        The list of removed paths.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _OWN_TEMPORARY.match(entry.name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not entry.is_file(follow_symlinks=False) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
                continue
            if _process_is_running(int(match.group(1))):
                continue
            os.remove(entry.path)
            removed.append(entry.path)
        except OSError:
            continue
    return removed


def _sweep_once(directory):
    key = os.path.realpath(directory)
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    sweep_temporaries(directory)


def _naming_target(error, path, temporary=None):
    """`error` naming the target path instead of a temporary file."""
    path = os.fspath(path)
    if isinstance(error, OSError) and error.errno is not None:
        return OSError(error.errno, error.strerror or os.strerror(error.errno), path)  # PermissionError etc.
    if temporary is not None and temporary in str(error):
        return type(error)(str(error).replace(temporary, path)) if isinstance(error, OSError) else error
    return error


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
    suffix = os.path.splitext(path)[1] if suffix is None else suffix
    try:
        os.makedirs(directory, exist_ok=True)
        _sweep_once(directory)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=temporary_prefix(), suffix=suffix)
        os.close(handle)
    except OSError as error:
        raise _naming_target(error, path) from error
    try:
        write(temporary)
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~current_umask()
        os.chmod(temporary, mode)
        if sync:
            _fsync(temporary)
        os.replace(temporary, path)
        if sync:
            _fsync(directory)
    except BaseException as error:
        if os.path.lexists(temporary):
            try:
                os.remove(temporary)
            except OSError:
                pass
        renamed = _naming_target(error, path, temporary)
        if renamed is error:
            raise
        raise renamed from error


def write_text_atomically(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""

    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)

    write_atomically(path, write)
