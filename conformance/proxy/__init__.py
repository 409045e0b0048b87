"""The validating proxy: a client's live traffic to a real server, judged against the contract.

`python -m conformance proxy --upstream URL --port N` forwards every request unchanged and
judges each exchange with the conformance suite's judgements; across the traffic it keeps
bounded state, keyed by the request's IDs, to judge what one answer alone cannot show.

A request travels: `app.py` (the ASGI app, its plumbing in `asgi.py`) -> `upstream.py`
(forwarding, 502/504) -> `recording.py` (the answer as the suite's `Exchange`) -> `judging.py`:
the suite's per-exchange judgements, the proxy's own on the request's validity (`observed.py`,
reading the contract's parameter rules in `request.py`) and the suite's cross-exchange ones on
a bounded window (`traffic.py`, `lru.py`) -> `tally.py` (the header, the log line, the suite's
reports at exit). `checks.py` lists the checks and what exercises each; `cli.py` reads the
options into `ProxyOptions` (`options.py`); `serve.py` runs uvicorn until a signal.
"""
