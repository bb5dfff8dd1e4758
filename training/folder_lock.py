"""`FolderLock`: one writer per output folder (two `kfreqgan-train` runs into one `--out`).

Two trainings writing into the same folder would overwrite each other's
backup, weights and metrics. `kfreqgan-train` holds a lock file in its
`--out` folder while it runs (one per worker of a multi-worker run:
`.kfreqgan-train-worker-<id>.lock`); a second run into the same folder stops
at once, before it loads data or writes anything, with one line naming the
process (pid) that holds it.

The lock is an exclusive `flock` on the lock file, which also holds the
holder's pid for the message. The operating system releases it when the
holder dies, however it dies (SIGKILL, power loss): a lock file left by a
dead process is taken over by the next run, never in the way. The file is
removed when the holder releases the lock. Local file systems (on network
file systems `flock` may not lock across machines). Where `fcntl` does not
exist (Windows) the file is created exclusively and a lock whose pid is no
longer running is taken over.
"""

import os

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


class FolderLockedError(RuntimeError):
    """Another process holds the folder's lock."""


def _pid_is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process, or cannot tell
    return True


def _read_pid(path):
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().strip() or "0")
    except (OSError, ValueError):
        return 0


class FolderLock:
    """An exclusive lock on a folder, held by this process until `release()`.

    Use it as a context manager:

    ```python
    with FolderLock("runs/dehaze", name="kfreqgan-train"):
        ...  # this process alone writes into runs/dehaze
    ```

    Args:
        folder: the folder to lock (created if missing).
        name: the lock's name, used in the file name and the message.

    Raises (on entering, or from `acquire`):
        FolderLockedError: a running process holds the lock; the message
            names its pid.
    """

    def __init__(self, folder, name="kfreqgan"):
        self.folder = os.fspath(folder)
        self.name = name
        self.path = os.path.join(self.folder, f".{name}.lock")
        self._handle = None

    def _refuse(self, pid):
        raise FolderLockedError(
            f"Another process (pid {pid}) is writing into {self.folder}; wait for it to finish or use another folder. "
            f"Received: lock file {self.path}"
        )

    def acquire(self):
        os.makedirs(self.folder, exist_ok=True)
        if fcntl is None:
            return self._acquire_by_pid()
        while True:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                self._refuse(_read_pid(self.path))
            # The holder before us may have removed the file after we opened
            # it: then we hold a lock on a deleted file; start again.
            try:
                same = os.fstat(handle).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(handle)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode("ascii"))
        self._handle = handle
        return self

    def _acquire_by_pid(self):
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pid = _read_pid(self.path)
                if pid and pid != os.getpid() and _pid_is_running(pid):
                    self._refuse(pid)
                os.remove(self.path)  # a dead process's lock: take it over
                continue
            os.write(handle, f"{os.getpid()}\n".encode("ascii"))
            self._handle = handle
            return self
        self._refuse(_read_pid(self.path))

    def release(self):
        if self._handle is None:
            return
        try:
            os.remove(self.path)  # while still holding the lock (see acquire)
        except OSError:
            pass
        os.close(self._handle)  # releases the flock
        self._handle = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()
