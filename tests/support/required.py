"""A tool some tests need and a machine may lack (Chromium, Node).

On a developer's machine such a test is skipped and says what to install. Where the run
promised the tool (`.ci/run` installs Chromium and sets STARDUST_REQUIRE_TOOLS=1), a missing one
fails the test instead: a skip there would leave the check green without having run.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE = "STARDUST_REQUIRE_TOOLS"


def missing(reason: str) -> NoReturn:
    """Skip with `reason`, or fail with it where the run requires every tool."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} ({REQUIRE}=1: this run requires it)", pytrace=False)
    pytest.skip(reason)
