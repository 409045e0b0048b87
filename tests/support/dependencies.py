"""A package's requirements resolved over this environment's installed distributions, offline.

What `pip install` of the package would pull in, without a network or an index: each
requirement is looked up among the distributions installed here (`importlib.metadata`), and
their own requirements after it, with markers evaluated for this interpreter and the extras
asked for. The light install's dependency set (D54) is read this way, and the environment
that proves the plugin works without the `conformance` extra is built from it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path, PurePath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conformance.launch import ROOT


def applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    """Whether a requirement holds on this interpreter with these extras asked for."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in {"", *extras})


def resolve(requirements: Iterable[str]) -> dict[str, metadata.Distribution]:
    """Every distribution the requirements need, by canonical name, from what is installed.

    A requirement installed here in a version it excludes fails: the set would not be the
    one pip resolves.
    """
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [Requirement(text) for text in requirements if applies(Requirement(text), ())]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        distribution = metadata.distribution(name)
        version = distribution.version
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
        found[name] = distribution
        for text in distribution.requires or []:
            sub = Requirement(text)
            if applies(sub, requirement.extras):
                sub.marker = None  # evaluated here, with the extras that asked for it
                pending.append(sub)
    return found


def pinned() -> dict[str, str]:
    """constraints.txt's pins, by canonical name."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def link_site(distributions: Iterable[metadata.Distribution], site: Path) -> None:
    """A folder holding only these distributions: links to their top-level files.

    Put on a Python's path (a `.pth` file), it is an environment where only these are
    installed: their modules import, their metadata and entry points are found, and nothing
    else of this environment is.
    """
    site.mkdir(parents=True, exist_ok=True)
    for distribution in distributions:
        for file in distribution.files or []:
            top = PurePath(file).parts[0]
            # Scripts live outside site-packages (`../../bin`); caches are no modules.
            if top in {"..", "__pycache__"} or (site / top).exists():
                continue
            os.symlink(Path(str(distribution.locate_file(top))), site / top)
