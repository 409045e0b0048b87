"""Judging clients: how a client used GET /statistics/record, read from recorded exchanges.

Pure: it reads the suite's `Exchange` (`conformance/exchange.py`) and the contract, never the
web stack, so the mock's journal, the validating proxy and HAR files are judged alike.
"""
