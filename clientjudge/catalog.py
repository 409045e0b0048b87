"""Every module that registers client rules, imported once; the rules in report order."""

from __future__ import annotations

from clientjudge import paging, retries, signing
from clientjudge.registry import RULES

# Imported for their registrations.
MODULES = (paging, retries, signing)
ALL_RULES = tuple(RULES)
