"""The validating proxy: a client's live traffic to a real server, judged against the contract.

`python -m conformance proxy --upstream URL --port N` forwards every request unchanged and
judges each exchange with the conformance suite's rules; across the traffic it keeps bounded
state, keyed by the request's IDs, to judge what one answer alone cannot show.

A request travels: `app.py` (the ASGI app) -> `upstream.py` (forwarding, 502/504) -> `judge.py`
(one exchange against the contract) and `traffic.py` (the exchange against the ones seen
before, state in `lru.py`) -> `tally.py` (the header, the log line, the reports at exit).
`cli.py` reads the options into `ProxyOptions` (`options.py`); `serve.py` runs uvicorn.
"""
