"""`stardust-conformance`: the suite's console script, which needs the `conformance` extra.

A client team installs the package for the mock and its pytest plugin, without Schemathesis and
Hypothesis (D54). Its `stardust-conformance` then cannot run the suite or the proxy, and must
say so in one line, with the command that installs them, and exit 2 as for any unusable
option, rather than end in an `ImportError` traceback (C51). With the extra it is
`python -m conformance`.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

# The import names of the extra's distributions (pyproject.toml's `conformance`).
EXTRA_MODULES = ("schemathesis", "jsonschema_rs")
INSTALL = "pip install 'stardust-statistics-mock[conformance]'"


def missing() -> list[str]:
    """The extra's modules this environment lacks."""
    return [name for name in EXTRA_MODULES if find_spec(name) is None]


def main() -> int:
    absent = missing()
    if absent:
        print(
            f"stardust-conformance: error: the conformance suite and the proxy need the "
            f"`conformance` extra ({', '.join(absent)} not installed): {INSTALL}",
            file=sys.stderr,
        )
        return 2
    from conformance.__main__ import main as run_suite

    return run_suite()
