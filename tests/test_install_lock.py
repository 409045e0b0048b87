"""Two make targets started at once on a fresh clone install once, one after the other (D41).

The real install takes a minute and the network, so the Makefile runs here with a stand-in
`python3`: `-m venv` makes a `.venv/bin/python` whose `pip install` logs its start and end and
takes a moment. Everything else (make, the Makefile, tools/with_lock.py) is the real thing.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.launch import ROOT

STAND_IN = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "{pip}" "$3/bin/python" && exit 0
fi
exec "{python}" "$@"
"""
PIP = """#!/bin/sh
echo "start $*" >> "{log}"
sleep 0.3
echo "end" >> "{log}"
"""


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_two_makes_at_once_install_once_and_never_overlap(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("Makefile", "pyproject.toml", "constraints.txt", "setup.py"):
        shutil.copy2(ROOT / name, clone / name)
    # The compiled record loop's source is an input of the install too (D81).
    (clone / "mockserver").mkdir()
    shutil.copy2(ROOT / "mockserver" / "_recordloop.c", clone / "mockserver" / "_recordloop.c")
    shutil.copytree(ROOT / "tools", clone / "tools")
    log = tmp_path / "pip.log"
    pip = executable(tmp_path / "pip", PIP.format(log=log))
    python = executable(tmp_path / "python3", STAND_IN.format(pip=pip, python=sys.executable))
    command = ["make", "--no-print-directory", "install", f"PYTHON={python}"]
    makes = [
        subprocess.Popen(command, cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [make.communicate(timeout=60)[0].decode() for make in makes]
    assert [make.returncode for make in makes] == [0, 0], outputs
    lines = log.read_text().splitlines()
    # One install (pip upgraded, then the project): each pip ends before the next starts, and
    # the make that waited found the stamp fresh.
    assert [line.split()[0] for line in lines] == ["start", "end", "start", "end"], lines
    assert "--upgrade pip" in lines[0] and "-e .[dev]" in lines[2]
    assert (clone / ".venv" / ".installed").exists()
