"""`python tools/breaks.py [NAME...]`: issue 22's one-line breaks, each made, tested and undone.

Each break is a slip a developer could make in one line of a place users depend on. For each:
the line is changed in the working tree, the tests of the module's own file are run in the fast
tier (`-m "not slow and not heavy"`, in-process), then, if none went red, with its slow tests
too (`-m "not heavy"`, as `make test` runs them), and the file is written back byte for byte
whatever happens (a file with uncommitted edits keeps them). A table says which tests went red
and in which tier. `--full` runs `make test`'s whole selection for a break its own file misses.

Exit 1 if a break stays green, its expected test is not among the red ones, or its line is no
longer in the code (the code moved: update the break). Not part of `make test`: it runs the
tests once per break, some 25 runs; it is for the maintainer who changes these places or the
tests that guard them, and for a merge that touched them. Run it alone: it edits the tree.
Ctrl-C or SIGTERM still writes the file back; after a SIGKILL, `git diff` shows the break left.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAST = "not slow and not heavy"
MAKE_TEST = "not heavy"


@dataclass(frozen=True)
class Break:
    """`old` (exact text, found once in `path`; context lines may make it unique) becomes
    `new`, which differs from it in one line. `own` is the module's own test file (or node
    ids in it); `expect` a test that must go red."""

    name: str
    place: str
    path: str
    old: str
    new: str
    own: tuple[str, ...]
    expect: str


BREAKS = (
    Break(
        "head-count-not-reset",
        "http_limits: the head's size counted per request on keep-alive",
        "mockserver/http_limits.py",
        "        self._head_started = False\n        self._head_bytes = 0\n",
        "        self._head_started = False\n",
        ("tests/test_http_limits.py",),
        "test_the_head_size_is_counted_per_request_on_a_kept_alive_connection",
    ),
    Break(
        "head-size-last-field-only",
        "http_limits: the head's size is the sum of all its fields",
        "mockserver/http_limits.py",
        "            size += len(name) + len(value)\n",
        "            size = len(name) + len(value)\n",
        ("tests/test_http_limits.py",),
        "test_the_head_size_is_the_sum_of_its_fields_in_process",
    ),
    Break(
        "head-size-boundary",
        "http_limits: 64 KiB of header fields accepted, one byte more refused",
        "mockserver/http_limits.py",
        "        if size > HEADER_FIELDS_LIMIT:\n",
        "        if size >= HEADER_FIELDS_LIMIT:\n",
        ("tests/test_http_limits.py",),
        "test_the_head_size_is_the_sum_of_its_fields_in_process[65536-200]",
    ),
    Break(
        "414-as-400",
        "http_limits: 414, not 400, for a target ending in the read",
        "mockserver/http_limits.py",
        "                # The line ended in this read, and httptools' URL parser refused it.\n"
        "                self._refuse(*TARGET_TOO_LONG)\n",
        "                # The line ended in this read, and httptools' URL parser refused it.\n"
        "                self.send_400_response(INVALID_REQUEST)\n",
        ("tests/test_http_limits.py",),
        "test_an_over_long_target_in_process_gets_414_not_400",
    ),
    Break(
        "414-as-431",
        "http_limits: 414 for a target still arriving",
        "mockserver/http_limits.py",
        "            if target > TARGET_LIMIT:\n                self._refuse(*TARGET_TOO_LONG)\n",
        "            if target > TARGET_LIMIT:\n                self._refuse(*TOO_LARGE)\n",
        ("tests/test_http_limits.py",),
        "test_a_target_still_arriving_in_process_gets_414_at_the_bound",
    ),
    Break(
        "strict-flag-dropped",
        "conformance: --strict as a command-line flag",
        "conformance/__main__.py",
        "        strict=arguments.strict,\n",
        "        strict=False,\n",
        ("tests/test_conformance.py::test_the_strict_flag_fails_a_run_with_checks_not_run",),
        "test_the_strict_flag_fails_a_run_with_checks_not_run",
    ),
    Break(
        "strict-always",
        "conformance: --strict as a command-line flag (on without it)",
        "conformance/__main__.py",
        '        default=default("strict"),\n',
        "        default=True,\n",
        ("tests/test_conformance.py::test_the_strict_flag_fails_a_run_with_checks_not_run",),
        "test_the_strict_flag_fails_a_run_with_checks_not_run",
    ),
    Break(
        "diff-media-type-removed",
        "contract diff: a removed response media type is breaking",
        "contract/diff.py",
        '"media type removed", True)',
        '"media type removed", False)',
        ("tests/test_contract_diff.py",),
        "replace_response_media_type",
    ),
    Break(
        "diff-media-types-swapped",
        "contract diff: a removed response media type (the sets swapped)",
        "contract/diff.py",
        "        for media in sorted(old_content.keys() - new_content.keys()):\n",
        "        for media in sorted(new_content.keys() - old_content.keys()):\n",
        ("tests/test_contract_diff.py",),
        "replace_response_media_type",
    ),
    Break(
        "diff-pattern",
        "contract diff: a changed pattern is breaking",
        "contract/diff.py",
        '(review it)", True\n',
        '(review it)", False\n',
        ("tests/test_contract_diff.py",),
        "change_id_pattern",
    ),
    Break(
        "diff-format",
        "contract diff: a changed format is breaking",
        "contract/diff.py",
        "{new.get('format')}\", True)",
        "{new.get('format')}\", False)",
        ("tests/test_contract_diff.py",),
        "change_response_format",
    ),
    Break(
        "lru-entries-ignored",
        "proxy lru: the entry limit",
        "conformance/proxy/lru.py",
        "        self.max_entries = max_entries\n",
        "        self.max_entries = None\n",
        ("tests/test_proxy_lru.py",),
        "test_bounded_lru_forgets_beyond_its_number_of_entries",
    ),
    Break(
        "lru-entries-off-by-one",
        "proxy lru: the entry limit (off by one)",
        "conformance/proxy/lru.py",
        "len(self._entries) > self.max_entries)",
        "len(self._entries) >= self.max_entries)",
        ("tests/test_proxy_lru.py",),
        "test_bounded_lru_forgets_beyond_its_number_of_entries",
    ),
    Break(
        "traffic-id-sets-unbounded",
        "proxy traffic (was always green): the windows bounded by --max-id-sets",
        "conformance/proxy/traffic.py",
        "weight=lambda window: window.records, max_entries=max_id_sets\n",
        "weight=lambda window: window.records\n",
        ("tests/test_proxy_traffic.py",),
        "test_state_is_bounded_by_the_number_of_id_sets",
    ),
    Break(
        "traffic-records-unweighted",
        "proxy traffic (was always green): the windows bounded by --max-page-records",
        "conformance/proxy/traffic.py",
        "weight=lambda window: window.records, max_entries=max_id_sets\n",
        "max_entries=max_id_sets\n",
        ("tests/test_proxy_traffic.py",),
        "test_state_is_bounded_by_the_number_of_records",
    ),
    Break(
        "proxy-mid-body-timeout-502",
        "proxy app: an upstream timing out mid-body is 504, not 502",
        "conformance/proxy/upstream.py",
        "            504 if error.timeout else 502, f\"the upstream's answer broke off",
        "            502, f\"the upstream's answer broke off",
        ("tests/test_proxy.py",),
        "test_an_upstream_failing_in_the_middle_of_the_body_is_a_timeout_or_a_bad_gateway",
    ),
    Break(
        "proxy-mid-body-as-no-answer",
        "proxy app: a body broken off is said to have broken off",
        "conformance/proxy/app.py",
        "failure_of(error, broke_off=True)",
        "failure_of(error)",
        ("tests/test_proxy.py",),
        "test_an_upstream_failing_in_the_middle_of_the_body_is_a_timeout_or_a_bad_gateway",
    ),
    Break(
        "sign-case",
        "signatures: X-SIGN read whatever its case",
        "mockserver/signatures.py",
        "signature.strip().lower().encode()",
        "signature.strip().encode()",
        ("tests/test_signatures.py",),
        "test_the_signature_is_read_whatever_its_case_and_surrounding_blanks",
    ),
    Break(
        "sign-blanks",
        "signatures: X-SIGN read whatever its surrounding blanks",
        "mockserver/signatures.py",
        "signature.strip().lower().encode()",
        "signature.lower().encode()",
        ("tests/test_signatures.py",),
        "test_the_signature_is_read_whatever_its_case_and_surrounding_blanks",
    ),
    Break(
        "percentile-round",
        "bench loadgen: the nearest-rank percentile (round half to even)",
        "bench/loadgen.py",
        "    rank = math.ceil(share * len(sorted_values) - 1e-9)\n",
        "    rank = round(share * len(sorted_values))\n",
        ("tests/test_bench.py",),
        "test_percentiles_are_nearest_rank",
    ),
    Break(
        "percentile-no-tolerance",
        "bench loadgen: the nearest-rank percentile (0.07 x 100)",
        "bench/loadgen.py",
        "    rank = math.ceil(share * len(sorted_values) - 1e-9)\n",
        "    rank = math.ceil(share * len(sorted_values))\n",
        ("tests/test_bench.py",),
        "test_percentiles_are_nearest_rank",
    ),
    Break(
        "percentile-index",
        "bench loadgen: the nearest-rank percentile (rank read as an index)",
        "bench/loadgen.py",
        "    return sorted_values[max(0, min(len(sorted_values), rank) - 1)]\n",
        "    return sorted_values[max(0, min(len(sorted_values) - 1, rank))]\n",
        ("tests/test_bench.py",),
        "test_percentiles_are_nearest_rank",
    ),
    Break(
        "soak-p99-index",
        "soak: the p99 it reports",
        "soak/__main__.py",
        '"p99": round(percentile(latencies, 0.99) * 1000, 1),',
        '"p99": round(latencies[int(0.99 * len(latencies))] * 1000, 1),',
        ("tests/test_soak.py",),
        "test_the_reported_percentiles_are_nearest_rank",
    ),
    Break(
        "soak-unsorted",
        "soak: the percentiles of latencies as they came, unsorted",
        "soak/__main__.py",
        "    latencies = sorted(tally.latencies) or [0.0]\n",
        "    latencies = tally.latencies or [0.0]\n",
        ("tests/test_soak.py",),
        "test_the_reported_percentiles_are_nearest_rank",
    ),
    Break(
        "drill-envelope-field",
        "drill: only extra-fields adds the envelope's field",
        "mockserver/drill.py",
        "        if not self.extra_fields:\n            return body\n",
        "        if not self.unknown_enums:\n            return body\n",
        ("tests/test_cors_drill_variant.py",),
        "test_only_the_extra_fields_drill_adds_the_envelopes_extra_field",
    ),
    Break(
        "handlers-unexpected-error-status",
        "handlers: an unexpected error's status in the HTTP-200 mode",
        "mockserver/handlers.py",
        "        status = 200 if http_200_errors else outcome.http_status\n",
        "        status = 200 if http_200_errors and outcome is error else outcome.http_status\n",
        ("tests/test_handlers.py",),
        "test_every_failure_is_the_envelope_with_the_status_of_its_style",
    ),
    Break(
        "workers-fixture-unread",
        "mock: --workers 2 with a bad fixture exits 2 (no hang)",
        "mockserver/__main__.py",
        "        app = create_app(settings)\n",
        "        app = create_app(settings) if settings.workers == 1 else None\n",
        ("tests/test_faults.py",),
        "test_a_bad_fixture_with_two_workers_is_refused_before_any_worker_starts",
    ),
    Break(
        "pages-key-first-id",
        "pages: the page cache with several IDs",
        "mockserver/pages.py",
        "            tuple(annotation_request_ids),\n            offset,\n",
        "            tuple(annotation_request_ids[:1]),\n            offset,\n",
        ("tests/test_pages.py",),
        "test_pages_of_several_ids_are_kept_apart_from_each_ids_own",
    ),
    Break(
        "pages-keep-first-asking",
        "pages: a page asked once is not kept (D84)",
        "mockserver/pages.py",
        "            seen.add(key)\n            return found\n",
        "            seen.add(key)\n",
        ("tests/test_pages.py",),
        "test_a_page_is_kept_on_its_second_asking_not_its_first",
    ),
    Break(
        "pages-seen-unbounded",
        "pages: the keys of pages asked once are bounded (D84)",
        "mockserver/pages.py",
        "            if len(seen) >= self._seen_keys:\n",
        "            if len(seen) > 2 * self._seen_keys:\n",
        ("tests/test_pages.py",),
        "test_first_askings_are_remembered_up_to_a_bound",
    ),
    Break(
        "pages-seen-kept",
        "pages: a page kept is no longer among those asked once (D84)",
        "mockserver/pages.py",
        "        seen.discard(key)\n",
        "\n",
        ("tests/test_pages.py",),
        "test_pages_kept_take_no_room_among_the_first_askings",
    ),
    Break(
        "sigterm-no-handler",
        "mock: exit 0 on SIGTERM (the re-raised signal)",
        "mockserver/__main__.py",
        "    signal.signal(signal.SIGTERM, lambda _signal, _frame: None)\n",
        "",
        ("tests/test_faults.py",),
        "test_sigterm_after_the_drain_ends_main_with_0_in_process",
    ),
    # The compiled record loop (D81): each break is built before its tests run (`rebuild`).
    Break(
        "loop-failure-bound",
        "record loop (C): a one-step task's creation fails below 100 per mille",
        "mockserver/_recordloop.c",
        "#define CREATION_FAILS_PER_MILLE 100\n",
        "#define CREATION_FAILS_PER_MILLE 101\n",
        ("tests/test_record_json.py",),
        "test_one_step_tasks_on_either_side_of_the_failure_bound_are_written_alike[compiled]",
    ),
    Break(
        "entry-page-status",
        "journal entry (C): a page's status is 200 (D85)",
        "mockserver/_recordloop.c",
        "        status = PyLong_FromLong(200);\n",
        "        status = PyLong_FromLong(201);\n",
        ("tests/test_recording.py",),
        "test_the_compiled_entry_is_the_python_entry",
    ),
    Break(
        "entry-headers-separator",
        "journal entry (C): header names and values apart by NUL (D85)",
        "mockserver/_recordloop.c",
        "            if (written++) *at++ = '\\0';\n",
        "            if (written++) *at++ = ' ';\n",
        ("tests/test_recording.py",),
        "test_the_compiled_entry_is_the_python_entry",
    ),
    Break(
        "entry-room-after",
        "journal entry (C): a full ring drops its oldest before the entry is built (D85)",
        "mockserver/_recordloop.c",
        "    if (kept >= bound) {\n",
        "    if (kept > bound) {\n",
        ("tests/test_recording.py",),
        "test_a_full_ring_drops_its_oldest_entry_before_the_new_one_is_built[compiled]",
    ),
    Break(
        "recording-room-after",
        "journal entry: a full ring drops its oldest before the entry is built (D85)",
        "mockserver/recording.py",
        "    if len(entries) >= ring.size:\n",
        "    if len(entries) > ring.size:\n",
        ("tests/test_recording.py",),
        "test_a_full_ring_drops_its_oldest_entry_before_the_new_one_is_built[python]",
    ),
    Break(
        "loop-attribute-bits",
        "record loop (C): the attributes' spread takes the product's bits from the 6th",
        "mockserver/_recordloop.c",
        "(uint64_t)(product >> 5)",
        "(uint64_t)(product >> 6)",
        ("tests/test_record_json.py",),
        "test_every_kind_of_step_and_failed_creations_are_written_alike[compiled]",
    ),
    Break(
        "loop-store-ignores-loop",
        "store: every writer gets the store's loop (Settings.record_writer)",
        "mockserver/store.py",
        "                self._loop,\n",
        "",
        ("tests/test_store.py",),
        "test_the_store_writes_with_the_loop_it_was_given",
    ),
    # Issue 26's exam, a newcomer's findings (C79, D83).
    Break(
        "exam-doom-off-by-one",
        "exam: a client stopped early only past --max-attempts (C79)",
        "clientjudge/lessons.py",
        "self._tries[key] > self._max_attempts:",
        "self._tries[key] >= self._max_attempts:",
        ("tests/test_clientjudge_exam.py",),
        "test_doom_counts_requests_for_one_page",
    ),
    Break(
        "exam-stop-leader-only",
        "exam: a stop reaches the client's whole process group (C79)",
        "clientjudge/exam_cli.py",
        "    _signal_group(process, signal.SIGKILL)\n",
        "    process.kill()\n",
        ("tests/test_clientjudge_exam_cli.py",),
        "test_a_stop_reaches_the_processes_a_wrapper_started",
    ),
    Break(
        "exam-output-unlabelled",
        "exam: the client's output labelled with its lesson",
        "clientjudge/exam_cli.py",
        '        self._label = f"[{lesson}] "\n',
        '        self._label = ""\n',
        ("tests/test_clientjudge_exam_cli.py",),
        "test_the_clients_output_is_labelled_with_its_lesson",
    ),
    Break(
        "session-refusal-as-connexion-404",
        "sessions: a refused name answers the admin API's message (D83)",
        "mockserver/recording.py",
        "            await problem(404, refusal(path))(scope, receive, send)\n",
        "            await self._app(scope, receive, send)\n",
        ("tests/test_sessions.py",),
        "test_a_name_the_sessions_refuse_gets_the_admin_envelope_saying_what_is_allowed",
    ),
)


@dataclass
class Outcome:
    red: list[str]
    tier: str  # where the first red came: "fast", "slow" (own file), "make test", or ""
    problem: str = ""


def red_tests(selection: str, targets: tuple[str, ...]) -> tuple[list[str], str]:
    """The tests that failed, or a problem: a run that failed otherwise (a break that does not
    even import is not a test going red)."""
    command = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider"]
    # One file in this process; make test's whole selection as make test spreads it.
    spread = ["-n", "auto", "--dist", "loadfile", "--no-loadscope-reorder"]
    command += [*(spread if not targets else ["-n", "0"]), "-m", selection, *targets]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    red = [
        line.split(" ", 1)[1].split(" - ", 1)[0]
        for line in done.stdout.splitlines()
        if line.startswith(("FAILED tests/", "ERROR tests/"))
    ]
    if done.returncode in (0, 5) or (done.returncode == 1 and red):
        return red, ""
    return red, f"pytest exited {done.returncode}: {done.stdout.strip()[-300:]}"


def rebuild(item: Break) -> str:
    """Builds the compiled record loop again after its source changed (else the stale build is
    not used, D81, and its tests would run Python's loop); a problem, or ""."""
    if not item.path.endswith(".c"):
        return ""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    done = subprocess.run(
        [*command, "--no-build-isolation", "-e", "."], cwd=ROOT, capture_output=True, text=True
    )
    return "" if done.returncode == 0 else f"the rebuild failed: {done.stderr.strip()[-300:]}"


def try_break(item: Break, full: bool) -> Outcome:
    path = ROOT / item.path
    original = path.read_bytes()
    text = original.decode("utf-8")
    if text.count(item.old) != 1:
        return Outcome([], "", f"the line is not found once in {item.path}: the code moved")
    try:
        path.write_bytes(text.replace(item.old, item.new).encode("utf-8"))
        problem = rebuild(item)
        if problem:
            return Outcome([], "", problem)
        tiers = [("fast", FAST, item.own), ("slow", MAKE_TEST, item.own)]
        if full:
            tiers.append(("make test", MAKE_TEST, ()))
        for tier, selection, targets in tiers:
            red, problem = red_tests(selection, targets)
            if red or problem:
                return Outcome(red, tier, problem)
        return Outcome([], "")
    finally:
        path.write_bytes(original)
        rebuild(item)


def line_of(item: Break) -> int:
    text = (ROOT / item.path).read_text("utf-8")
    at = text.find(item.old)
    changed = next(
        (
            n
            for n, (a, b) in enumerate(
                zip(item.old.splitlines(), item.new.splitlines(), strict=False)
            )
            if a != b
        ),
        len(item.new.splitlines()),
    )
    return text.count("\n", 0, at) + 1 + changed if at >= 0 else 0


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/breaks.py", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these breaks")
    parser.add_argument("--list", action="store_true", help="list the breaks, run nothing")
    parser.add_argument(
        "--full", action="store_true", help="run make test's selection for a break still green"
    )
    options = parser.parse_args(arguments)
    # SIGTERM unwinds as Ctrl-C does: the `finally` of try_break writes the broken file back.
    signal.signal(signal.SIGTERM, _stop)
    known = {item.name: item for item in BREAKS}
    unknown = [name for name in options.names if name not in known]
    if unknown:
        parser.error(f"unknown break {', '.join(unknown)}: choose from {', '.join(known)}")
    chosen = [known[name] for name in options.names] or list(BREAKS)
    if options.list:
        for item in chosen:
            print(f"{item.name:34} {item.path}:{line_of(item):<5} {item.place}")
        return 0
    failed = 0
    print("| break | place | file:line | red tests | tier | own file | make test |")
    print("|---|---|---|---|---|---|---|")
    for item in chosen:
        where = f"{item.path}:{line_of(item)}"
        outcome = try_break(item, options.full)
        own_file = item.own[0].split("::")[0]
        red = ", ".join(name.split("::", 1)[-1] for name in outcome.red) or "none"
        in_own = outcome.tier in ("fast", "slow")
        if outcome.problem or not outcome.red or not any(item.expect in n for n in outcome.red):
            failed += 1
            red = f"{red} ({outcome.problem or f'expected {item.expect}'})"
        in_make_test = (
            "yes" if outcome.red and not outcome.problem else ("no" if options.full else "not run")
        )
        print(
            f"| {item.name} | {item.place} | {where} | {red} | {outcome.tier or '-'} | "
            f"{own_file + (' yes' if in_own else ' no')} | {in_make_test} |",
            flush=True,
        )
    print(f"{len(chosen) - failed} of {len(chosen)} breaks turn their expected test red")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
