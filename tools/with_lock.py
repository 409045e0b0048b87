"""`python tools/with_lock.py LOCKFILE COMMAND...`: run COMMAND holding an exclusive lock.

flock(1) is not on every machine (macOS has none); Python's fcntl is wherever `make` runs. The
lock is released when this process ends, however it ends, so a stopped install leaves no
stale lock behind.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys


def main(arguments: list[str]) -> int:
    if len(arguments) < 2:
        print("usage: with_lock.py LOCKFILE COMMAND...", file=sys.stderr)
        return 2
    lock_path, *command = arguments
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
