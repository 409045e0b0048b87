"""The contract as a server in the HTTP-200 style keeps it (decision D31).

Some deployments answer every business outcome with HTTP 200 and the same envelope. Under
`openapi.yaml` such an answer breaks the 200 response's schema, which allows only the success
envelope, so a client generated from it raises. This module derives, from `openapi.yaml` and
nothing else, the contract of that style: one 200 response whose schema is one of the outcome
envelopes (they exclude each other by `code` and `success`), with every outcome's example. The
mock serves it at `/openapi.json` when started with `--http-200-errors`;
`python -m contract http-200` prints it for client teams to generate from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from contract import OPERATION_PATH

NOTE = (
    "\n\nThis is the HTTP-200 variant of the contract, derived from `openapi.yaml` by "
    "`python -m contract http-200` (decision D31): the server answers every business outcome "
    "with HTTP 200, and the body's `code` tells the outcome. The 200 response is one of the "
    "outcome envelopes, which `code` and `success` tell apart.\n"
)


def http_200_variant(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`spec` with every JSON response of its one operation folded into a single 200."""
    variant: dict[str, Any] = copy.deepcopy(dict(spec))
    operation = variant["paths"][OPERATION_PATH]["get"]
    schemas: list[dict[str, Any]] = []
    examples: dict[str, Any] = {}
    codes: list[str] = []
    for status, response in sorted(operation["responses"].items()):
        media = response["content"]["application/json"]
        if media["schema"] not in schemas:
            schemas.append(media["schema"])
        examples.update(media.get("examples", {}))
        codes.append(f"{', '.join(media.get('examples', {}))} (HTTP {status} by default)")
    operation["responses"] = {
        "200": {
            "description": "Every outcome, told by the body's `code`: " + "; ".join(codes) + ".",
            "content": {"application/json": {"schema": {"oneOf": schemas}, "examples": examples}},
        },
        # What is still not HTTP 200 in this style: the HTTP server's own refusals of a request
        # it cannot read (D26, D29), before any business outcome exists.
        "4XX": {
            "description": "The request could not be read as HTTP (malformed, request line or "
            "headers too large, too slow): a plain-text refusal, not the envelope.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    }
    info = variant["info"]
    info["title"] = f"{info['title']} (HTTP 200 for every outcome)"
    info["description"] = info["description"].rstrip("\n") + NOTE
    return variant
