"""The build step that puts the contract and the default fixtures into the package (D40).

`openapi.yaml` and `fixtures/` stay at the root of the checkout, the single source of truth;
building a wheel copies them into `contract/data/`, where an installed package finds them
(`contract.data_path`). The copy is made in the build directory only, never in the checkout,
so a checkout always reads its own files. Everything else is in `pyproject.toml`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# What a package needs without a checkout: the contract and the fixtures the mock loads.
DATA = ("openapi.yaml", "fixtures")


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


setup(cmdclass={"build_py": BuildPyWithData})
