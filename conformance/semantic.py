"""The semantic phase's runner: every registered semantic check, then the envelope rules.

Which requests a check sends and how it judges them live in `checks.py`; here, only the order
of a run: a check whose preconditions are not met, or that judged nothing, is reported not run
with what would enable it; a check whose request got no answer at all fails with the error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import httpx

from conformance import checks as _checks  # noqa: F401  (registers the semantic checks)
from conformance.across_exchanges import Growth, growth
from conformance.checks import PHASE, Phase
from conformance.client import Target, http_client
from conformance.config import Options
from conformance.exchange import Exchange
from conformance.failures import Failure, curl_line
from conformance.per_exchange import JUDGEMENTS
from conformance.progress import SILENT, Progress
from conformance.registry import ENVELOPE, REGISTRY, SEMANTIC, NotRun, Outcome, of_kind

MAX_FAILURES_PER_CHECK = 5


@dataclass(frozen=True)
class Result:
    failures: list[Failure]
    not_run: dict[str, NotRun]
    judged: dict[str, int]
    hiccups: list[str]
    growth: list[Growth]
    # Every answer received, retries included, and the documented 5000s among them.
    answers: int = 0
    service_hiccups: int = 0
    # Every answer received, retried 5000s included (exchanges.har, coverage.json).
    exchanges: list[Exchange] = field(default_factory=list)


def envelope_failures(
    options: Options, exchanges: Sequence[Exchange], judged: dict[str, int]
) -> Iterator[Failure]:
    """The envelope rules on every response the phase received."""
    for name in of_kind(ENVELOPE):
        if not options.enabled(name):
            continue
        found = 0
        for exchange in exchanges:
            if exchange.method != "GET" or exchange.code is None:
                continue
            judged[name] = judged.get(name, 0) + 1
            message = JUDGEMENTS[name](exchange, options.http_200_errors)
            if message and found < MAX_FAILURES_PER_CHECK:
                found += 1
                yield Failure.of(name, message, exchange, PHASE)


def _no_answer(name: str, error: httpx.HTTPError) -> Failure:
    curl = ""
    if isinstance(error, httpx.RequestError):
        request = error.request
        signing = {k: v for k, v in request.headers.items() if k.startswith("x-")}
        curl = curl_line(request.method, str(request.url), signing)
    return Failure(name, f"no answer: {type(error).__name__}: {error}", curl, PHASE)


def _status(name: str, failures: Sequence[Failure], not_run: dict[str, NotRun]) -> str:
    """How a check ended, for the progress line."""
    mine = [failure for failure in failures if failure.check == name]
    if mine:
        return f"failed ({len(mine)})"
    if name in not_run:
        return f"not run: {not_run[name]}"
    return "passed"


def run(options: Options, progress: Progress = SILENT) -> Result:
    """Every enabled semantic check, then the envelope rules on all the responses seen."""
    not_run: dict[str, NotRun] = {}
    judged: dict[str, int] = {}
    failures: list[Failure] = []
    with http_client(options) as http:
        target = Target(options, http, on_sent=progress.request)
        phase = Phase(options, target)
        for name in of_kind(SEMANTIC):
            if not options.enabled(name):
                continue
            entry = REGISTRY[name]
            progress.check_started(name)
            try:
                unmet = entry.unmet(phase)
                if unmet is not None:
                    not_run[name] = unmet
                    progress.check_finished(name, _status(name, failures, not_run))
                    continue
                outcome = Outcome()
                assert entry.function is not None
                entry.function(phase, outcome)
            except httpx.HTTPError as error:
                # A request that got no answer at all: the check could not be carried out.
                failures.append(_no_answer(name, error))
                progress.check_finished(name, _status(name, failures, not_run))
                continue
            judged[name] = outcome.judged
            failures += outcome.failures[:MAX_FAILURES_PER_CHECK]
            if not outcome.failures and outcome.not_run is not None:
                not_run[name] = outcome.not_run
            elif not outcome.failures and outcome.judged == 0:
                not_run[name] = NotRun("no response it could judge")
            progress.check_finished(name, _status(name, failures, not_run))
        failures += envelope_failures(options, target.exchanges, judged)
    return Result(
        failures, not_run, judged, target.hiccups, growth(target.exchanges),
        target.answers, target.service_hiccups, target.sent,
    )  # fmt: skip
