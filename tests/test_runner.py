"""The same server, the same verdict (C46): a whole run, repeated against one mock answering
the documented 5000 at random, gets one verdict every time.

Issue 28: against `--fault-rate 0.2`, 6 of 11 runs failed and 5 passed. A run re-sends a 5000
until another answer comes, up to 10 tries, so a random 5000 is flakiness and only one that
belongs to its request fails. Heavy: twenty runs, each a Schemathesis phase and a semantic one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import Options
from conformance.local_mock import DEFAULT_FIXTURES, fixture_ids
from conformance.runner import run
from tests.support.servers import mock_server

RUNS = 10


@pytest.mark.heavy
@pytest.mark.parametrize("fault_rate", ["0.2", "0.05"])
def test_a_mock_answering_5000_at_random_gets_one_verdict_every_run(
    fault_rate: str, tmp_path: Path
) -> None:
    known, unknown = fixture_ids(DEFAULT_FIXTURES)
    words, flaky = [], []
    with mock_server(
        "--fault-rate", fault_rate, "--no-access-log", "--log-level", "warning"
    ) as mock:
        for number in range(RUNS):
            options = Options(
                mock.base_url,
                known_ids=known,
                unknown_ids=unknown,
                max_examples=5,
                report_dir=tmp_path / str(number),
                # The subject is the 5000s, not speed: a loaded CI machine must not time out.
                timeout_seconds=120,
            )
            verdict = run(options)
            words.append(verdict.word)
            flaky.append(len(verdict.hiccups))
            assert verdict.failures == [], [f"{f.check}: {f.message}" for f in verdict.failures]
    assert words == ["PASS"] * RUNS
    # The faults were there to survive: runs met and got past some 5000s. Not every run: at 5 %
    # a run sees about six on average, so one run in a few hundred sees none (CI met one). Half
    # the runs seeing none would take odds below one in 10**8.
    assert sum(count > 0 for count in flaky) >= RUNS // 2, flaky
