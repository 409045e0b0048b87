"""The build step that puts the contract and the default fixtures into the package (D40).

`openapi.yaml` and `fixtures/` stay at the root of the checkout, the single source of truth;
building a wheel copies them into `contract/data/`, where an installed package finds them
(`contract.data_path`). The copy is made in the build directory only, never in the checkout,
so a checkout always reads its own files.

It also builds the compiled record loop (`mockserver/_recordloop.c`, D81) where a C compiler
is: optional, so that without one the build goes on and the mock writes records with the
Python loop, the same bytes, slower. The source's sha256 is compiled in: `record_json.py`
does not use a build older than the source beside it. Everything else is in `pyproject.toml`.
"""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py
from setuptools.warnings import InformationOnly

# An editable install (`make install`) of this flat layout ends with setuptools' notice that
# "folders in your working directory with the same name as your package" may take precedence
# during imports (issue 28: the first thing a new user reads). It warns of a folder that
# shadows the installed package; here the folders ARE the package, mapped by the install
# itself, so the notice does not apply. Only that notice is silenced: every other warning of
# the build still shows. (Setuptools' `compat` mode, which avoids it, is deprecated.)
warnings.filterwarnings(
    "ignore", r"Editable installation\.(?s:.*)same\s+name as your package", InformationOnly
)

ROOT = Path(__file__).resolve().parent
# What a package needs without a checkout: the contract and the fixtures the mock loads.
DATA = ("openapi.yaml", "fixtures")
LOOP_SOURCE = "mockserver/_recordloop.c"


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's files where they are
        target = Path(self.build_lib) / "contract" / "data"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in DATA:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name)
            else:
                shutil.copy2(source, target / name)


RECORD_LOOP = Extension(
    "mockserver._recordloop",
    [LOOP_SOURCE],
    define_macros=[
        ("RECORDLOOP_SOURCE", f'"{hashlib.sha256((ROOT / LOOP_SOURCE).read_bytes()).hexdigest()}"')
    ],
    # The same doubles as Python's `createdTime` arithmetic: no fused multiply-add.
    extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
    optional=True,
)

setup(cmdclass={"build_py": BuildPyWithData}, ext_modules=[RECORD_LOOP])
