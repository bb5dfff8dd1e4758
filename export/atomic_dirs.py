"""Atomic publication of a whole folder (a SavedModel version, a TFLite set).

A model server polls its model folder and loads every new numbered version
directory it sees, so a version must appear complete or not at all. The
folder is built under a hidden temporary name next to its final place
(same file system) and moved there with one `os.rename`, which is atomic on
POSIX. TF Serving ignores entries whose names are not integers, so the
temporary `.tmp-<name>-XXXX` folder is never loaded, and one left behind
by a killed process is harmless (delete it at leisure).

Replacing an existing folder (`overwrite=True`) takes two renames: the old
folder is moved aside to `.old-<name>-XXXX`, the new one into place, then
the old one is deleted. Between the two renames the version is briefly
absent (never half-written); a server that polls in that instant unloads
it and loads the new one on its next poll.
"""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def staged_directory(target, overwrite=False):
    """Context manager: a temporary folder that becomes `target` on success.

    Fill the folder it yields; when the `with` block ends without an
    exception the folder is moved to `target`, otherwise it is removed and
    nothing is published. Nest two to publish two folders together: both
    are built before either is moved.

    Args:
        target: the final folder path; its parent is created if missing.
        overwrite: replace `target` if it exists.

    Yields:
        The path of the empty temporary folder (next to `target`).

    Raises:
        FileExistsError: if `target` exists and `overwrite` is False
            (checked on entry, before any work, and again before the move).
        ValueError: if `target` exists and is not a folder.
    """
    target = os.path.abspath(os.fspath(target))
    _check_target(target, overwrite)
    parent, name = os.path.split(target)
    os.makedirs(parent, exist_ok=True)
    temporary = tempfile.mkdtemp(dir=parent, prefix=f".tmp-{name}-")
    try:
        # mkdtemp makes the folder private (0700); a published folder gets
        # the usual permissions, so that a server running as another user
        # can read it.
        os.chmod(temporary, 0o777 & ~_umask())
        yield temporary
        _check_target(target, overwrite)
        if os.path.exists(target):
            aside = tempfile.mkdtemp(dir=parent, prefix=f".old-{name}-")
            os.rmdir(aside)  # rename needs a free name; mkdtemp reserved a unique one
            os.rename(target, aside)
            try:
                os.rename(temporary, target)
            except BaseException:
                os.rename(aside, target)  # put the old version back
                raise
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def publish_directory(target, build, overwrite=False):
    """Builds a folder with `build(temporary)` and moves it to `target`.

    Args:
        target: the final folder path; its parent is created if missing.
        build: a callable that fills the (existing, empty) folder it is
            given. If it raises, nothing is published and the temporary
            folder is removed.
        overwrite: replace `target` if it exists.

    Returns:
        `target` as an absolute path.

    Raises:
        FileExistsError: if `target` exists and `overwrite` is False
            (checked before `build` runs and again before the move).
        ValueError: if `target` exists and is not a folder.
    """
    with staged_directory(target, overwrite) as temporary:
        build(temporary)
    return os.path.abspath(os.fspath(target))


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_target(target, overwrite):
    if os.path.lexists(target):
        if not os.path.isdir(target):
            raise ValueError(f"The export target exists and is not a folder. Received: target={target!r}")
        if not overwrite:
            raise FileExistsError(f"{target} already exists; pass --overwrite (overwrite=True) to replace it.")
