"""mockserver/cli.py: the command line to Settings, and Settings across worker processes."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import pytest

from mockserver.cli import (
    KEYS_VARIABLE,
    WRITER_VARIABLE,
    OptionError,
    build_parser,
    settings_from_arguments,
    settings_from_environment,
    settings_to_environment,
)
from mockserver.config import Settings
from mockserver.record_json import COMPILED

OPTIONS = (
    "--host",
    "--port",
    "--seed",
    "--fixtures",
    "--no-fixtures",
    "--fixtures-only",
    "--http-200-errors",
    "--fault-rate",
    "--latency-ms",
    "--workers",
    "--head-timeout",
    "--signature-keys",
    "--signature-skew",
    "--timezone",
    "--no-swagger-ui",
    "--log-level",
    "--no-access-log",
    "--cors-origin",
    "--no-cors",
    "--drill",
    "--journal-size",
    "--no-journal",
    "--admin-from",
)


def test_help_documents_every_option() -> None:
    text = build_parser().format_help()
    for option in OPTIONS:
        assert option in text


def test_no_options_give_the_default_settings() -> None:
    assert settings_from_arguments([], environment={}) == Settings()


def test_every_default_is_read_from_settings() -> None:
    # Every field differs from its default: a default repeated as a literal in the parser
    # would come back here instead of the one given.
    other = Settings(
        host="127.0.0.2",
        port=9999,
        seed=42,
        fixtures=None,
        fixtures_only=True,
        http_200_errors=True,
        fault_rate=0.5,
        latency_ms=7,
        workers=3,
        signature_keys={"k": "s"},
        signature_skew_seconds=9,
        swagger_ui=False,
        log_level="debug",
        head_timeout=2.5,
        access_log=False,
        timezone="Asia/Shanghai",
        cors_origins=("http://localhost:3000",),
        drills=("extra-fields",),
        journal=False,
        journal_size=5,
        admin_from=("10.0.0.0/8",),
        scenarios=(Path("s.yaml"),),
        record_writer="python",
    )
    default = Settings()
    same = [f.name for f in fields(Settings) if getattr(other, f.name) == getattr(default, f.name)]
    assert same == [], f"give these fields a non-default value here: {same}"
    # --fixtures-only needs fixtures: a folder other than the default one.
    other = replace(other, fixtures=Path("fixtures"))
    # --scenario needs --workers 1 (D68).
    other = replace(other, workers=1)
    assert settings_from_arguments([], environment={}, defaults=other) == other


def test_options_override_the_defaults() -> None:
    settings = settings_from_arguments(
        ["--seed", "5", "--no-fixtures", "--timezone", "Asia/Shanghai", "--no-access-log"],
        environment={},
    )
    assert settings == replace(
        Settings(), seed=5, fixtures=None, timezone="Asia/Shanghai", access_log=False
    )


def test_signature_keys_come_from_a_file_or_the_environment(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"a": "secret"}), encoding="utf-8")
    from_file = settings_from_arguments(["--signature-keys", str(keys)], environment={})
    from_environment = settings_from_arguments([], environment={KEYS_VARIABLE: '{"b": "x"}'})
    assert from_file.signature_keys == {"a": "secret"}
    assert from_environment.signature_keys == {"b": "x"}


@pytest.mark.parametrize(
    "text",
    ['["hunter2"]', '{"a": "hunter2", "b": 1}', '{"": "hunter2"}', "hunter2: x"],
    ids=["list", "not-a-string", "empty-key", "not-json"],
)
def test_bad_signature_keys_are_refused_naming_the_source_not_the_content(text: str) -> None:
    with pytest.raises(OptionError, match=KEYS_VARIABLE) as raised:
        settings_from_arguments([], environment={KEYS_VARIABLE: text})
    assert "hunter2" not in str(raised.value)


def test_settings_cross_to_worker_processes_unchanged() -> None:
    settings = replace(
        Settings(),
        seed=9,
        signature_keys={"k": "s"},
        timezone="Asia/Shanghai",
        workers=2,
        admin_from=("10.0.0.0/8", "::1/128"),
    )
    assert settings_from_environment(settings_to_environment(settings)) == settings
    no_fixtures = replace(settings, fixtures=None)
    assert settings_from_environment(settings_to_environment(no_fixtures)) == no_fixtures


def test_journal_options_reach_the_settings() -> None:
    settings = settings_from_arguments(
        ["--journal-size", "20", "--admin-from", "10.1.0.0/16", "--admin-from", "192.168.0.7"],
        environment={},
    )
    assert settings.journal and settings.journal_size == 20
    assert settings.admin_from == ("10.1.0.0/16", "192.168.0.7")
    assert not settings_from_arguments(["--no-journal"], environment={}).journal


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--journal-size", "0"], "--journal-size: 0 is not between 1 and 1000000"),
        (["--journal-size", "1000001"], "--journal-size: 1000001 is not between"),
        (["--admin-from", "10.0.0.0/33"], "--admin-from: '10.0.0.0/33' is not an address"),
        (["--admin-from", "office"], "--admin-from: 'office' is not an address"),
    ],
)
def test_bad_journal_options_name_the_option(arguments: list[str], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        settings_from_arguments(arguments, environment={})


def test_scenarios_need_one_worker() -> None:
    with pytest.raises(OptionError, match=r"^--scenario: needs --workers 1"):
        settings_from_arguments(["--scenario", "s.yaml", "--workers", "2"], environment={})


def test_a_bad_scenario_file_stops_start_up_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mockserver.__main__ import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios:\n  - {name: x, answer: 200}\n", encoding="utf-8")
    assert main(["--scenario", str(bad), "--port", "0"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"mockserver: error: {bad}: scenarios[0].answer: must be one of")
    assert "\n" not in error


def test_the_record_writer_is_chosen_by_its_variable() -> None:
    # D81: the records are the same bytes either way; the variable picks the loop.
    assert settings_from_arguments([], environment={}).record_writer == "auto"
    chosen = settings_from_arguments([], environment={WRITER_VARIABLE: "python"})
    assert chosen.record_writer == "python"
    with pytest.raises(OptionError, match=r"\$MOCKSERVER_RECORD_WRITER: 'fast' is not one of"):
        settings_from_arguments([], environment={WRITER_VARIABLE: "fast"})
    if COMPILED is None:
        with pytest.raises(OptionError, match="compiled, but Python only"):
            settings_from_arguments([], environment={WRITER_VARIABLE: "compiled"})
    else:
        compiled = settings_from_arguments([], environment={WRITER_VARIABLE: "compiled"})
        assert compiled.record_writer == "compiled"
