"""The admin API's own OpenAPI document, served at `/__mock/openapi.json` (D48).

Kept apart from `openapi.yaml`, which describes the API the mock imitates: the admin paths are
the mock's, and no conformance run, generated client or contract diff should see them.
`tests/test_admin.py` checks that every path and parameter here is what `admin.py` answers.
"""

from __future__ import annotations

from typing import Any

_MESSAGE = {
    "description": "What was wrong, and what is accepted",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": {"type": "string"}},
            }
        }
    },
}
_REFUSED = {**_MESSAGE, "description": "The client is neither on loopback nor --admin-from"}
_BAD = {**_MESSAGE, "description": "An unknown parameter, or a value that is not accepted"}

_ENTRY = {
    "type": "object",
    "required": [
        "seq", "at", "elapsed_ms", "client", "method", "path", "query", "headers", "status",
        "code", "count", "returned", "limit", "scenario", "session",
    ],
    "properties": {
        "seq": {"type": "integer", "minimum": 1, "description": "1-based, across workers"},
        "at": {"type": "number", "description": "arrival, seconds since the epoch"},
        "elapsed_ms": {"type": "number"},
        "client": {"type": "string", "description": "host:port"},
        "method": {"type": "string"},
        "path": {"type": "string"},
        "query": {"type": "string", "description": "the raw query as sent"},
        "headers": {
            "type": "array",
            "description": "[lowercase name, value]; x-sign, authorization, cookie: [REDACTED]",
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
        },
        "status": {"type": "integer"},
        "code": {"type": ["integer", "null"], "description": "the business code"},
        "count": {"type": ["integer", "null"]},
        "returned": {"type": ["integer", "null"], "description": "records in the page"},
        "limit": {"type": ["integer", "null"], "description": "limit served, after the cap"},
        "scenario": {"type": ["string", "null"], "description": "the scenario that shaped it"},
        "session": {"type": ["string", "null"], "description": "of /__session/NAME/"},
    },
}  # fmt: skip


_GROW: dict[str, Any] = {
    "type": "object",
    "description": "growing data (D71): `records` held back, `step` more every `every_s` "
    "seconds of the mock's clock or every `every_requests` matching requests",
    "additionalProperties": False,
    "required": ["records"],
    "properties": {
        "records": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "step": {"type": "integer", "minimum": 1, "default": 1},
        "every_s": {"type": "number", "exclusiveMinimum": 0},
        "every_requests": {"type": "integer", "minimum": 1},
    },
}

_SCENARIO: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
        "match": {
            "description": "'any' (or left out), or the fields a request must have",
            "oneOf": [
                {"const": "any"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "annotationRequestId": {"type": "string", "minLength": 1},
                        "offset": {"type": "integer", "minimum": 1},
                        "limit": {"type": "integer", "minimum": 1},
                    },
                },
            ],
        },
        "answer": {"enum": [5000, 53003, 401, 402, 403, 4005]},
        "delay_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
        "drill": {
            "oneOf": [
                {"const": True},
                {"type": "array", "items": {"enum": ["unknown-enums", "extra-fields"]}},
            ]
        },
        "grow": _GROW,
        "first": {"type": "integer", "minimum": 1, "description": "fire on the first K matching"},
        "from": {"type": "integer", "minimum": 1, "description": "fire from the N-th matching on"},
        "rate": {"type": "number", "minimum": 0, "maximum": 1},
        "seed": {"type": "integer", "minimum": 0, "description": "the rate form's seed"},
    },
}
_SCENARIO_BODY = {
    "oneOf": [
        _SCENARIO,
        {
            "type": "object",
            "required": ["scenarios"],
            "properties": {"scenarios": {"type": "array", "items": _SCENARIO}},
        },
    ]
}


# A scenario as the mock lists it (GET and POST /__mock/scenarios): what was set, normalised
# (`match` always an object, `{}` for any request; `drill: true` as the list it means; a
# field left out when not set, `seed` only with `rate`), and its counts (D67).
# `tests/test_admin.py` checks real answers against it, and the documented examples too.
_SCENARIO_SET = {
    "type": "object",
    "required": ["name", "match", "matched", "fired"],
    "additionalProperties": False,
    "properties": {
        **{key: value for key, value in _SCENARIO["properties"].items() if key != "match"},
        "match": _SCENARIO["properties"]["match"]["oneOf"][1],
        "drill": {"type": "array", "items": {"enum": ["unknown-enums", "extra-fields"]}},
        "grow": {**_GROW, "required": ["records", "step"]},
        "matched": {
            "type": "integer",
            "minimum": 0,
            "description": "the requests it matched since it was set (set again: from 0)",
        },
        "fired": {
            "type": "integer",
            "minimum": 0,
            "description": "of those, the requests it fired on, shaping the answer or not",
        },
    },
}
_SCENARIOS_ANSWER = {
    "description": "The scenarios set, in the order they are looked at (a name set again "
    "moves to the end)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["scenarios"],
                "additionalProperties": False,
                "properties": {"scenarios": {"type": "array", "items": _SCENARIO_SET}},
            }
        }
    },
}
# The verdict's JSON (GET /__mock/verdict; also client-verdict --json and the proxy's
# client-verdict.json): `tests/test_admin.py` checks real answers against it.
_VERDICT = {
    "type": "object",
    "required": ["verdict", "requests", "findings"],
    "additionalProperties": False,
    "properties": {
        "verdict": {
            "enum": ["PASS", "FAIL", "INCONCLUSIVE"],
            "description": "FAIL: an error or warning; INCONCLUSIVE: no request judged (C45)",
        },
        "requests": {"type": "integer", "minimum": 0, "description": "requests judged"},
        "findings": {
            "type": "array",
            "description": "one per rule broken, in the rules' order",
            "items": {
                "type": "object",
                "required": ["rule", "severity", "message", "fix", "see", "requests"],
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string", "description": "e.g. retry-no-backoff"},
                    "severity": {"enum": ["error", "warning", "info"]},
                    "message": {
                        "type": "string",
                        "description": "the mistake, its cases, the first requests quoted",
                    },
                    "fix": {"type": "string", "description": "the fix in one line"},
                    "see": {
                        "type": "string",
                        "description": "where the client page explains it",
                    },
                    "requests": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1},
                        "description": "the offending requests' seq, every one",
                    },
                },
            },
        },
    },
}


def _format(*choices: str) -> dict[str, Any]:
    return {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": list(choices), "default": choices[0]},
    }


# Read under /__session/NAME/ only: the session's own requests, or with those sent to the
# whole mock's URL (no prefix) since the session's last reset (D75).
_INCLUDE: dict[str, Any] = {
    "name": "include",
    "in": "query",
    "required": False,
    "description": "under /__session/NAME/: `unprefixed` adds the requests sent without a "
    "session prefix since the session's last reset (D75); without a prefix, every entry is "
    "read anyway",
    "schema": {"type": "string", "enum": ["none", "unprefixed"], "default": "none"},
}

ADMIN_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Stardust mock admin API",
        "version": "1",
        "description": "The mock's request journal and its verdict on the client (D47, D48), "
        "scenarios (D67) and clock (D69). Answers loopback clients only, unless --admin-from "
        "allows others. Every path also exists under /__session/NAME/, scoped to that "
        "session (D70); NAME is 1 to 64 letters, digits, '.', '_' or '-', the first a letter "
        "or digit, and any other answers 404 with a JSON message saying so (D83).",
    },
    "paths": {
        "/__mock/requests": {
            "get": {
                "operationId": "listRequests",
                "summary": "The kept journal entries, oldest first",
                "parameters": [
                    {
                        "name": "since",
                        "in": "query",
                        "required": False,
                        "description": "only entries with seq above this",
                        "schema": {"type": "integer", "minimum": 0},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "at most this many entries",
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    _format("json", "har"),
                    _INCLUDE,
                ],
                "responses": {
                    "200": {
                        "description": "The entries; `total` and `dropped` count since the "
                        "last DELETE. With format=har, a HAR 1.2 log of the same entries.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["requests", "total", "dropped"],
                                    "properties": {
                                        "requests": {"type": "array", "items": _ENTRY},
                                        "total": {"type": "integer", "minimum": 0},
                                        "dropped": {"type": "integer", "minimum": 0},
                                    },
                                }
                            }
                        },
                    },
                    "400": _BAD,
                    "403": _REFUSED,
                },
            },
            "delete": {
                "operationId": "clearRequests",
                "summary": "Empty the journal; total and dropped start from 0, seq goes on",
                "responses": {"204": {"description": "Emptied"}, "400": _BAD, "403": _REFUSED},
            },
        },
        "/__mock/verdict": {
            "get": {
                "operationId": "getVerdict",
                "summary": "How the client used the API, judged over the kept entries",
                "parameters": [_format("json", "html"), _INCLUDE],
                "responses": {
                    "200": {
                        "description": "The verdict (format=html: the same, as a page)",
                        "content": {
                            "application/json": {"schema": _VERDICT},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    },
                    "400": _BAD,
                    "403": _REFUSED,
                },
            }
        },
        "/__mock/clock": {
            "get": {
                "operationId": "getClock",
                "summary": "The mock's clock: now, frozen or not, its offset from real time (D69)",
                "responses": {"200": {"description": "The clock"}, "403": _REFUSED},
            },
            "put": {
                "operationId": "setClock",
                "summary": "Applied in this order: reset, freeze (true/false), set (epoch "
                "seconds or ISO 8601 with offset), advance (seconds)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "minProperties": 1,
                                "properties": {
                                    "reset": {"type": "boolean"},
                                    "freeze": {"type": "boolean"},
                                    "set": {"type": ["number", "string"]},
                                    "advance": {"type": "number"},
                                },
                            },
                            "example": {"advance": 60},
                        }
                    },
                },
                "responses": {
                    "200": {"description": "The clock after the change"},
                    "400": _BAD,
                    "403": _REFUSED,
                    "409": {**_MESSAGE, "description": "The mock runs several workers (D68)"},
                },
            },
        },
        "/__mock/scenarios": {
            "get": {
                "operationId": "listScenarios",
                "summary": "The scenarios set, in order, each with its matched and fired counts",
                "responses": {"200": _SCENARIOS_ANSWER, "403": _REFUSED},
            },
            "post": {
                "operationId": "addScenarios",
                "summary": "Set one scenario, or {scenarios: [...]}; a name set before is replaced "
                "and its count starts again (D67)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _SCENARIO_BODY,
                            "example": {
                                "name": "example",
                                "match": {"offset": 2},
                                "answer": 5000,
                                "first": 2,
                            },
                        }
                    },
                },
                "responses": {
                    "201": {
                        **_SCENARIOS_ANSWER,
                        "description": "Set; every scenario now set, as GET lists them (one "
                        "set again replaces the old, moves to the end, counts from 0)",
                    },
                    "400": _BAD,
                    "403": _REFUSED,
                    "409": {**_MESSAGE, "description": "The mock runs several workers (D68)"},
                },
            },
            "delete": {
                "operationId": "clearScenarios",
                "summary": "Remove every scenario",
                "responses": {"204": {"description": "Removed"}, "403": _REFUSED},
            },
        },
        "/__mock/scenarios/{name}": {
            "delete": {
                "operationId": "deleteScenario",
                "summary": "Remove one scenario",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "204": {"description": "Removed"},
                    "404": {**_MESSAGE, "description": "No scenario of that name"},
                    "403": _REFUSED,
                },
            }
        },
        "/__mock/openapi.json": {
            "get": {
                "operationId": "getAdminSpec",
                "summary": "This document",
                "responses": {"200": {"description": "The admin API's OpenAPI document"}},
            }
        },
    },
}
