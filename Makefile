# Every target installs what it needs into .venv by itself: on a fresh clone, `make mock` and
# `make test` are the only two commands a user has to know.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
SEED ?= 1
BASE_URL ?=
KNOWN_IDS ?=
UNKNOWN_IDS ?=
ARGS ?=
DURATION ?= 60

.PHONY: install test test-heavy test-fast lint spec mock conformance proxy mutate bench profile soak golden clean contract-diff

install: $(STAMP)

# The stamp is rebuilt whenever the declared or the pinned dependencies change. Two targets
# started at once (make mock, make spec) would run two pips into one .venv and break it: the
# install runs under a lock, and a make that waited for it finds the stamp fresh and does
# nothing (tools/with_lock.py; tests/test_install_lock.py).
# `.[dev]` includes the `conformance` extra: a checkout gets the suite and the proxy (D54).
ifdef INSTALL_LOCKED
$(STAMP): pyproject.toml constraints.txt setup.py mockserver/_recordloop.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)
else
$(STAMP): pyproject.toml constraints.txt setup.py mockserver/_recordloop.c
	@$(PYTHON) tools/with_lock.py .venv.lock $(MAKE) --no-print-directory INSTALL_LOCKED=1 $(STAMP)
endif

# Spread over the machine's cores (pytest-xdist); a file's tests stay on one worker, so a
# server a file starts once is started once. Files go out longest first (tests/conftest.py).
# One worker more than cores: much of make test waits (child processes starting, the HTTP
# limits' timeouts), and the extra worker fills those waits: on two cores 57 and 62 s against
# 68 and 71 s with one worker a core, run in turn (2026-12-06 11:58 UTC).
TEST_WORKERS := $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not heavy"

# The heavy tier: proofs of tens of seconds each (repeated conformance runs, long connections),
# kept out of `make test`'s minute; CI runs it after `make test` (.ci/run).
# pytest's exit 5 (no test selected) is not a failure: a checkout may have no heavy test yet.
test-heavy: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile -m heavy || [ $$? -eq 5 ]

# The edit loop: every test but the slow ones (they start a process), in-process, ~12 s;
# spread over the cores (CONTRIBUTING.md).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto -m "not slow and not heavy"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Serves the mock in the foreground; pass options with ARGS, e.g. make mock ARGS='--workers 2'.
mock: $(STAMP)
	$(BIN)/python -m mockserver --host $(HOST) --port $(PORT) --seed $(SEED) $(ARGS)

# Checks a server against the contract, e.g. make conformance BASE_URL=http://host:port/prefix
# KNOWN_IDS=a,b UNKNOWN_IDS=x; without BASE_URL it starts the mock and checks it. STRICT=1
# fails the run when a check could not run. Reports go to reports/conformance/; ARGS='...'
# passes more options (python -m conformance --help).
conformance: $(STAMP)
	$(BIN)/python -m conformance $(strip $(if $(BASE_URL),--base-url '$(BASE_URL)') \
		$(if $(KNOWN_IDS),--known-id '$(KNOWN_IDS)') \
		$(if $(UNKNOWN_IDS),--unknown-id '$(UNKNOWN_IDS)') \
		$(if $(filter-out 0,$(STRICT)),--strict) $(ARGS))

# A validating proxy in front of a server: make proxy UPSTREAM=http://host:port/prefix (PROXY_PORT,
# default 8081; ARGS='--fail-on-violation' etc.). Point a client at it; Ctrl-C writes the
# summary and JUnit XML to reports/proxy/. Without UPSTREAM: the mock at localhost:8080.
UPSTREAM ?= http://127.0.0.1:8080
PROXY_PORT ?= 8081
proxy: $(STAMP)
	$(BIN)/python -m conformance proxy --upstream '$(UPSTREAM)' --host $(HOST) \
		--port $(PROXY_PORT) $(ARGS)

# Mutation testing of the pure modules (the suite's judgements, the contract's diff and
# parameter rules, the proxy's judgements, the mock's pure helpers), one group at a time, each
# against its own in-process tests ([tool.mutmut.groups] in pyproject.toml, tools/mutate.py);
# niced, since it keeps both cores busy for minutes. GROUPS='proxy contract' runs only those.
# Prints every mutant that survived; docs/conformance.md (C26, C52) records the last run's.
GROUPS ?=
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[mutate]'
	nice -n 10 $(BIN)/python tools/mutate.py $(GROUPS)

# Loopback only and bounded: a fresh mock, 32 clients for DURATION seconds (default 60) after a
# warm-up; fails on any error or on resident-memory growth beyond 16 MiB. Report in reports/.
soak: $(STAMP)
	$(BIN)/python -m soak --duration $(DURATION)

spec: $(STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml

# The changes of openapi.yaml since git revision BASE (default HEAD), each marked BREAKING or ok
# for clients; fails on a breaking one (docs/decisions.md D32). E.g. make contract-diff BASE=main
contract-diff: $(STAMP)
	@base=$$(mktemp) && trap 'rm -f "$$base"' EXIT && \
	git show '$(or $(BASE),HEAD)':openapi.yaml > "$$base" && \
	$(BIN)/python -m contract diff "$$base" openapi.yaml

# The mock against a bare Starlette ceiling under the same uvicorn options and load generator;
# prints the table with its targets and writes it to reports/bench.md, with a row for Prism's
# static mock when Prism runs without installing (PRISM=path, or on the PATH, or in npx's cache).
# Then the proxy's cost and latency by offset; every figure goes to reports/bench.json, and
# reports/bench.html draws them (matplotlib, the `charts` extra). A few minutes; loopback only.
bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)
	$(BIN)/python -m bench.proxy
	$(BIN)/python -m bench.offsets
	$(BIN)/python -m bench.charts

# Where a request's time goes, in-process (no sockets): the mock against the ceiling, cold
# records by step, then cProfile. QUERY='...' to choose the request.
profile: $(STAMP)
	$(BIN)/python -m bench.profile $(if $(QUERY),'$(QUERY)',)

clean:
	rm -rf $(VENV) .venv.lock reports .pytest_cache .mypy_cache .ruff_cache

# Rewrites tests/golden/ from the current generator: run it only for a deliberate data change
# (a generator change or a Faker upgrade) and review the diff.
golden: $(STAMP)
	$(BIN)/python -m tests.support.golden

# A bad number in a make variable is one line naming it, and make's exit 2, before anything
# runs or installs (docs/conformance.md C49): `make mock PORT=abc` would otherwise reach the
# mock's parser only after the install, and end with make's own "Error 2" line besides.
_digits_gone = $(subst 9,,$(subst 8,,$(subst 7,,$(subst 6,,$(subst 5,,$(subst 4,,$(subst 3,,$(subst 2,,$(subst 1,,$(subst 0,,$(1)))))))))))
_whole = $(if $(or $(filter-out 1,$(words $(1))),$(call _digits_gone,$(1))),$(error $(2)='$(1)' is not $(3)))
$(call _whole,$(PORT),PORT,a port number from 0 to 65535)
$(call _whole,$(PROXY_PORT),PROXY_PORT,a port number from 1 to 65535)
$(call _whole,$(SEED),SEED,a whole number)
