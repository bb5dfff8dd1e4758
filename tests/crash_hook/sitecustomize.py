"""Test-only start-up hook (see `tests/backup_crash.py`): with this folder on
`PYTHONPATH` and `KFREQGAN_TEST_CRASH_BACKUP="<stage>:<epoch>"` set, the
process installs the backup crash point before it runs anything else."""

import os
import sys

if os.environ.get("KFREQGAN_TEST_CRASH_BACKUP"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import backup_crash

    _stage, _epoch = os.environ["KFREQGAN_TEST_CRASH_BACKUP"].split(":")
    backup_crash.install(_stage, int(_epoch))
