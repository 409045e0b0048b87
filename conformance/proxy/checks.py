"""The checks a proxy session judges: the suite's, where live traffic can show them, and one of
its own, a client's request that the contract refuses.

Left out of the suite's: `known_id_schema` (every 2000 page is judged by
`response_schema_conformance`) and `unknown_id_53003` (a proxy is not told which IDs a server
does not know). Decision C30.
"""

from __future__ import annotations

from conformance.config import DESCRIPTIONS, ENVELOPE_CHECKS, SCHEMATHESIS_CHECKS, SEMANTIC_CHECKS

CLIENT_CHECKS = ("client_request_valid",)
NOT_JUDGED = frozenset({"known_id_schema", "unknown_id_53003"})
PROXY_CHECKS = (
    *CLIENT_CHECKS,
    *(
        name
        for name in SCHEMATHESIS_CHECKS + ENVELOPE_CHECKS + SEMANTIC_CHECKS
        if name not in NOT_JUDGED
    ),
)
PROXY_DESCRIPTIONS = {
    **{name: DESCRIPTIONS[name] for name in PROXY_CHECKS if name in DESCRIPTIONS},
    "client_request_valid": "the client's request is one the contract accepts (a client bug)",
}
