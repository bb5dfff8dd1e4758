"""Path safety for every command that writes: outputs never land on inputs.

One rule, used by `kfreqgan-dehaze`, `kfreqgan-spectrum`, `kfreqgan-export`
and `kfreqgan-train`: a file a command writes may never be one of the files
it reads, and a folder it writes into may never be a folder it reads from,
*by any spelling of the path*. Two spellings name the same place when

- their real paths agree (`os.path.realpath`: symlinks, `..`, `.` and
  doubled slashes resolved), or
- the files exist and `os.stat` gives the same `(st_dev, st_ino)`: hard
  links, bind mounts and case-insensitive file systems, where real paths
  differ.

A file that is to be written is compared by the folder it goes into (real
path and `(st_dev, st_ino)` of the existing folder) plus its name, and, when
it exists already, by its own `(st_dev, st_ino)`; so a symlink or hard link
in the output folder that points to an original is caught too.

Writes are atomic (`kfreqgan.atomic_files`): they replace a directory entry
and never write through a link, so these checks are what keeps originals
byte-identical when an output spelling reaches them.
"""

import errno
import os
import stat


def identity(path):
    """`(st_dev, st_ino)` of what `path` names (symlinks followed), or None."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def same_place(first, second):
    """Whether two paths name the same file or folder (see the module docstring)."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    first_id, second_id = identity(first), identity(second)
    return first_id is not None and first_id == second_id


def is_inside(path, folder):
    """Whether `path` is `folder` or lies below it, by any spelling.

    Every existing ancestor of `path`'s real path is compared with `folder`
    by real path and by `(st_dev, st_ino)` (which also catches a bind mount
    of `folder` elsewhere).
    """
    folder_real, folder_id = os.path.realpath(folder), identity(folder)
    current = os.path.realpath(path)
    while True:
        if current == folder_real or (folder_id is not None and identity(current) == folder_id):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def _keys(path):
    """Spelling-independent keys of the directory entry `path` and of the
    file it names: (real folder, name), ((dev, ino) of folder, name), the
    real path of the file, and the file's (dev, ino)."""
    folder, name = os.path.split(os.path.abspath(path))
    keys = {("entry", os.path.realpath(folder), name), ("file", os.path.realpath(path))}
    folder_id, file_id = identity(folder), identity(path)
    if folder_id is not None:
        keys.add(("entry-id", folder_id, name))
    if file_id is not None:
        keys.add(("file-id", file_id))
    return keys


class InputFiles:
    """The files and folders a command reads, for the `check_output_*` rules.

    Args:
        files: paths of the input files.
        folders: paths of input folders.
    """

    def __init__(self, files=(), folders=()):
        self.files = [os.fspath(path) for path in files]
        self.folders = [os.fspath(path) for path in folders]
        self._by_key = {}
        for path in self.files:
            for key in _keys(path):
                self._by_key.setdefault(key, path)

    def original_of(self, target):
        """The input file that writing `target` would replace, or None."""
        for key in _keys(os.fspath(target)):
            if key in self._by_key:
                return self._by_key[key]
        return None


def check_output_file(target, inputs, name="--out"):
    """Raises `ValueError` if writing `target` would replace an input file.

    Args:
        target: the path about to be written.
        inputs: an `InputFiles`.
        name: how the output is called in the message (the flag).
    """
    original = inputs.original_of(target)
    if original is not None:
        raise ValueError(
            f"{name} would overwrite the input file {original} (the output path {target} is the same file). "
            f"Choose an output location outside the inputs. Received: {name}={target}"
        )


def blocking_file(path):
    """What stops `path` from being a folder: `path` itself when it exists
    and is not a folder (a file, a FIFO, a symlink to nothing), else the
    nearest existing path above it when that is not a folder (`photo.jpg`
    for `photo.jpg/sub`, which no `makedirs` can create); None when `path`
    is, or can become, a folder. Spelt as in `path`, walked up textually,
    as the OS resolves it."""
    current = os.fspath(path)
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if not parent or parent == current:
            return None
        current = parent
    return None if os.path.isdir(current) else current


def check_output_folder(out, inputs, name="--out", allow_inside=False):
    """Raises `ValueError` if the folder `out` is an input folder (by any
    spelling) or, unless `allow_inside`, lies inside one.

    Also refuses an `out` that exists and is not a folder, or lies under
    a file (`blocking_file`).

    Args:
        out: the output folder (need not exist).
        inputs: an `InputFiles` whose `folders` are checked.
        name: the flag's name in messages.
        allow_inside: whether `out` may be a sub-folder of an input folder
            (the caller then leaves it out of what it reads: see
            `kfreqgan.data.image_files.list_image_files(exclude=...)`).
    """
    out = os.fspath(out)
    blocker = blocking_file(out)
    if blocker == out:
        raise ValueError(f"{name} exists and is not a folder. Received: {name}={out}")
    if blocker is not None:
        raise ValueError(f"{name} lies under {blocker}, which is not a folder. Received: {name}={out}")
    for folder in inputs.folders:
        if same_place(out, folder):
            raise ValueError(
                f"{name} is the input folder {folder} (by another spelling); the originals would be overwritten or "
                f"read again. Choose another folder. Received: {name}={out}"
            )
        if not allow_inside and is_inside(out, folder):
            raise ValueError(
                f"{name} lies inside the input folder {folder}; its outputs would be read as inputs. "
                f"Choose a folder outside it. Received: {name}={out}"
            )


def _read_only_file_system(path):
    """Whether `path` lies on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):  # no statvfs (Windows)
        return False


def check_writable_folder(out, name="--out", create=True):
    """Checks that files can be made in the folder `out`, before any work.

    Args:
        out: the folder.
        name: the flag's name in messages.
        create: create `out` (and its parents) and make and remove a probe
            file in it; with `create=False` nothing is created: the nearest
            existing folder on the way must be writable.

    Raises:
        ValueError: naming `out` (never a temporary file) if it cannot be
            created or written to.
    """
    import tempfile

    from kfreqgan.atomic_files import temporary_prefix

    out = os.fspath(out)
    try:
        if not create:
            existing = os.path.abspath(out)
            while not os.path.exists(existing):
                existing = os.path.dirname(existing)
            if not os.path.isdir(existing):
                raise NotADirectoryError(20, "Not a directory", existing)
            if not os.access(existing, os.W_OK | os.X_OK):
                if _read_only_file_system(existing):
                    raise OSError(errno.EROFS, os.strerror(errno.EROFS), existing)
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), existing)
            return
        os.makedirs(out, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=out, prefix=temporary_prefix())  # swept like any leftover if killed here
        os.close(handle)
        os.remove(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ValueError(f"cannot write into {name} {out}: {reason}. Received: {name}={out}") from None


def check_log_dir(log_dir, name="log_dir"):
    """Checks a callback's TensorBoard log folder when the callback is made,
    not at the end of the first measured epoch (after that epoch's training),
    where TensorFlow's summary writer failed with `FailedPreconditionError:
    Not a directory` for a folder that is a file or lies under one.

    Nothing is created. None (no logging) and remote URLs (`gs://...`, which
    only TensorFlow can reach) pass; returns the folder as a string or None.

    Raises:
        ValueError: naming `log_dir` if it is not a path, or is or lies under
            a file, or its nearest existing folder is not writable.
    """
    if log_dir is None:
        return None
    try:
        log_dir = os.fspath(log_dir)
    except TypeError:
        raise ValueError(f"`{name}` must be None or a folder path. Received: {name}={log_dir!r}") from None
    if isinstance(log_dir, bytes):
        log_dir = os.fsdecode(log_dir)
    if not log_dir or "://" in log_dir:
        if not log_dir:
            raise ValueError(f"`{name}` must be None or a folder path. Received: {name}=''")
        return log_dir
    check_writable_folder(log_dir, name=name, create=False)
    return log_dir


def is_regular_file(path):
    """Whether `path` is a regular file (symlinks followed): not a folder,
    FIFO, socket or device, which an image reader must never open."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def check_command_paths(out, read_files=(), read_folders=(), writes=(), name="--out", allow_inside=True, writable=True):
    """The whole rule for one command, in one call, before any work.

    Args:
        out: the output folder.
        read_files: files the command reads (a model file, ...).
        read_folders: folders it reads images from; the files in them with
            an image extension count as read files too.
        writes: file names (relative to `out`) it will write.
        name: the flag's name in messages.
        allow_inside: whether `out` may be a sub-folder of a read folder
            (fine when folders are read without their sub-folders, or the
            caller excludes `out` from what it lists).
        writable: also check that `out` can be written to (nothing is
            created).

    Raises:
        ValueError: one line naming `out` and the input it would hit.
    """
    from kfreqgan.data.image_files import has_image_extension

    folders = [os.fspath(folder) for folder in read_folders if folder is not None and os.path.isdir(folder)]
    files = [os.fspath(path) for path in read_files if path is not None and os.path.exists(path)]
    files += [os.path.join(folder, entry) for folder in folders for entry in os.listdir(folder) if has_image_extension(entry)]
    inputs = InputFiles(files=files, folders=folders)
    check_output_folder(out, inputs, name=name, allow_inside=allow_inside)
    for relative in writes:
        check_output_file(os.path.join(os.fspath(out), relative), inputs, name=name)
    if writable:
        check_writable_folder(out, name=name, create=False)


def file_sha256(path):
    """The SHA-256 of the bytes of the file at `path` (hex), read in blocks:
    which file a record names, by content (a run's `initialised_from.json`,
    a dehazer card's `weights_sha256`)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
