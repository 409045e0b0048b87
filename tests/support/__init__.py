"""Helpers shared by the tests; no test lives here (pytest collects only `tests/test_*.py`).

- `inprocess`: the mock built by `create_app` and called through `httpx.ASGITransport`.
- `servers`: the mock as a real process on a free loopback port (slow tests only).
- `rawhttp`: requests written byte for byte over a socket, for what httpx would re-encode.
- `faulty_servers`: an independent implementation of the contract and faults to break it.
- `records`: the workflow's rules about records and histories, stated independently.
- `golden`: the pinned pages of generated data (`make golden` rewrites them).
- `fixture_text`: a valid fixture record, to be broken one field at a time.
- `client_project`: a client team's project using the pytest plugin, written and run.
"""
