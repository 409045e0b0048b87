"""Every check of the suite, in report order: importing this module registers them all.

The names come from the registry (`registry.py`): Schemathesis's own checks as declared by
`schemathesis_phase.py`, the envelope rules of `envelope.py` and the semantic checks of
`checks.py`. Nothing else lists them.
"""

from __future__ import annotations

from conformance import checks as _checks  # noqa: F401  (registers)
from conformance import envelope as _envelope  # noqa: F401  (registers)
from conformance import schemathesis_phase as _schemathesis_phase  # noqa: F401  (registers)
from conformance.registry import ENVELOPE, KINDS, REGISTRY, SCHEMATHESIS, SEMANTIC, of_kind

SCHEMATHESIS_CHECKS = of_kind(SCHEMATHESIS)
ENVELOPE_CHECKS = of_kind(ENVELOPE)
SEMANTIC_CHECKS = of_kind(SEMANTIC)
ALL_CHECKS = tuple(name for kind in KINDS for name in of_kind(kind))


def kind_of(name: str) -> str:
    """The phase a check belongs to; a name outside the registry is a phase's own error."""
    entry = REGISTRY.get(name)
    return entry.kind if entry else SCHEMATHESIS
