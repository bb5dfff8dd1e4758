"""`kfreqgan.training.folder_lock`: one writer per `--out`, stale locks taken over."""

import os
import signal
import subprocess
import sys

import pytest

from kfreqgan.training import folder_lock
from kfreqgan.training.folder_lock import FolderLock
from kfreqgan.training.folder_lock import FolderLockedError


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    with FolderLock(tmp_path / "out", name="job") as first:
        assert open(first.path).read().strip() == str(os.getpid())
        with pytest.raises(FolderLockedError, match=rf"Another process \(pid {os.getpid()}\) is writing into .*out"):
            FolderLock(tmp_path / "out", name="job").acquire()
        FolderLock(tmp_path / "out", name="other").acquire().release()  # another name is another lock
    assert os.listdir(tmp_path / "out") == []  # released: the file is gone
    FolderLock(tmp_path / "out", name="job").acquire().release()


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path):
    code = (
        "import os, signal, sys; from kfreqgan.training.folder_lock import FolderLock; "
        "FolderLock(sys.argv[1], name='job').acquire(); os.kill(os.getpid(), signal.SIGKILL)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL
    stale = tmp_path / ".job.lock"
    dead = int(stale.read_text())
    assert dead != os.getpid()  # the killed process's pid is still in the file
    with FolderLock(tmp_path, name="job"):
        assert int(stale.read_text()) == os.getpid()


def test_without_flock_a_live_pid_refuses_and_a_dead_one_is_taken_over(tmp_path, monkeypatch):
    monkeypatch.setattr(folder_lock, "fcntl", None)  # as on Windows
    path = tmp_path / ".job.lock"
    parent = os.getppid()  # a running process that is not us
    path.write_text(f"{parent}\n")
    with pytest.raises(FolderLockedError, match=rf"pid {parent}"):
        FolderLock(tmp_path, name="job").acquire()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path.write_text(finished.stdout)  # that process has exited
    with FolderLock(tmp_path, name="job"):
        assert int(path.read_text()) == os.getpid()
    assert not path.exists()
