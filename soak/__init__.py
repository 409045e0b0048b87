"""Soak test of the mock: concurrent clients for a bounded time, errors and memory reported."""
