"""A real generated client drives the mock: what client teams do with the contract.

openapi-python-client (a pinned dev dependency, pure Python) generates a client from
`openapi.yaml` and one from its HTTP-200 variant (D31) into a temporary folder, offline,
in-process (its command line costs a second of imports per run) and without its formatting
hooks (they would shell out to ruff). The mock runs in-process behind
`httpx.ASGITransport`, which the generated client accepts as its httpx client.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import orjson
import pytest
import yaml

from clientjudge.verdict import judge
from contract import SPEC_PATH, load_spec
from contract.variants import http_200_variant
from mockserver.app import create_app
from mockserver.config import Settings
from mockserver.drill import UNKNOWN_VALUES
from tests.support import reference_clients

DOCUMENTED = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
EMPTY = "empty-annotation-request"
# Forced outcome -> (generated class, business code, HTTP status in the default mode).
OUTCOMES = {
    "4005": ("InvalidParameterEnvelope", 4005, 400),
    "53003": ("UnknownAnnotationRequestEnvelope", 53003, 404),
    "5000": ("ServiceHiccupEnvelope", 5000, 500),
    "401": ("AuthFailureEnvelope", 401, 401),
    "402": ("AuthFailureEnvelope", 402, 401),
    "403": ("AuthFailureEnvelope", 403, 401),
}


class Generated:
    """One generated client package: its operation module and its models."""

    def __init__(self, package: str) -> None:
        self.operation = importlib.import_module(f"{package}.api.statistics.get_statistics_record")
        self.models = importlib.import_module(f"{package}.models")
        self.client_class = importlib.import_module(package).Client


def _generate(spec: Path, package: str, folder: Path) -> None:
    """openapi-python-client's `generate`, as its command line calls it, without the process."""
    from openapi_python_client import generate
    from openapi_python_client.config import Config, ConfigFile, MetaType

    # No post hooks: the defaults run `ruff` from PATH, which a fresh venv need not have on it.
    config_file = ConfigFile(package_name_override=package, post_hooks=[])
    config = Config.from_sources(
        config_file, MetaType.NONE, spec, "utf-8", overwrite=False, output_path=folder / package
    )
    # A warning means a part of the contract was left out of the client: fail on it, as
    # `--fail-on-warning` does.
    assert generate(config=config) == []


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Generated, Generated]]:
    folder = tmp_path_factory.mktemp("generated")
    variant = folder / "openapi.http-200.yaml"
    variant.write_text(yaml.safe_dump(http_200_variant(load_spec())), encoding="utf-8")
    _generate(SPEC_PATH, "stardust_client", folder)
    _generate(variant, "stardust_client_200", folder)
    sys.path.insert(0, str(folder))
    try:
        yield Generated("stardust_client"), Generated("stardust_client_200")
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.startswith("stardust_client")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def default_client(clients: tuple[Generated, Generated]) -> Generated:
    return clients[0]


@pytest.fixture(scope="module")
def http_200_client(clients: tuple[Generated, Generated]) -> Generated:
    return clients[1]


_APPS: dict[str, Any] = {}


def _app(settings: Settings) -> Any:
    """One in-process mock per settings for the whole module: building one takes a while."""
    key = repr(settings)
    if key not in _APPS:
        _APPS[key] = create_app(settings)
    return _APPS[key]


def _call(
    generated: Generated,
    settings: Settings,
    requests: list[dict[str, Any]],
    prefer: str | None = None,
) -> list[Any]:
    """Each request through the generated client against an in-process mock: the responses."""
    app = _app(settings)

    async def run() -> list[Any]:
        headers = {"Prefer": prefer} if prefer else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://mock", headers=headers
        ) as http:
            client = generated.client_class(base_url="http://mock", raise_on_unexpected_status=True)
            client.set_async_httpx_client(http)
            return [
                await generated.operation.asyncio_detailed(client=client, **r) for r in requests
            ]

    return asyncio.run(run())


def _all_pages(generated: Generated, settings: Settings, ids: list[str], limit: int) -> list[Any]:
    """Every record of `ids`, page after page until an empty one, as the generated types."""
    records: list[Any] = []
    offset = 1
    while True:
        [response] = _call(
            generated,
            settings,
            [{"annotation_request_id": ids, "offset": offset, "limit": limit}],
        )
        page = response.parsed.data
        records.extend(page.data)
        if not page.data:
            assert page.count == len(records)
            return records
        offset += 1


def test_pages_parse_into_named_types(default_client: Generated) -> None:
    models = default_client.models
    records = _all_pages(default_client, Settings(), [DOCUMENTED], limit=1000)
    assert len(records) == 1930
    assert [r.id for r in records] == sorted(r.id for r in records)
    first = records[0]
    assert isinstance(first, models.Record)
    # Member names, not VALUE_0 (x-enum-varnames).
    assert first.action_type is models.TaskAction.INITIALIZATION
    assert first.pool_type is models.PoolType.DISTRIBUTION
    assert first.status is models.Status.CREATED
    assert {r.action_type for r in records} > {models.TaskAction.SUBMIT_ANNOTATION}


def test_several_ids_page_through_in_one_order(default_client: Generated) -> None:
    one = _all_pages(default_client, Settings(), ["client-a"], limit=7)
    both = _all_pages(default_client, Settings(), ["client-a", EMPTY, "client-a"], limit=50)
    assert [r.id for r in both] == [r.id for r in one]


@pytest.mark.parametrize("forced", sorted(OUTCOMES))
def test_every_outcome_parses_in_the_default_mode(default_client: Generated, forced: str) -> None:
    class_name, code, status = OUTCOMES[forced]
    [response] = _call(
        default_client, Settings(), [{"annotation_request_id": [DOCUMENTED]}], f"code={forced}"
    )
    assert response.status_code == status
    assert type(response.parsed).__name__ == class_name
    assert response.parsed.code.value == code
    assert response.parsed.data is None and response.parsed.success is False


def test_the_default_client_cannot_read_the_http_200_style(default_client: Generated) -> None:
    # Why the HTTP-200 style needs a contract of its own (D31).
    with pytest.raises(ValueError, match="53003"):
        _call(
            default_client,
            Settings(http_200_errors=True),
            [{"annotation_request_id": [DOCUMENTED]}],
            "code=53003",
        )


@pytest.mark.parametrize("forced", [None, *sorted(OUTCOMES)])
def test_every_outcome_parses_in_the_http_200_mode(
    http_200_client: Generated, forced: str | None
) -> None:
    prefer = f"code={forced}" if forced else None
    settings = Settings(http_200_errors=True)
    [response] = _call(http_200_client, settings, [{"annotation_request_id": [DOCUMENTED]}], prefer)
    assert response.status_code == 200
    parsed = response.parsed
    if forced is None:
        assert type(parsed).__name__ == "SuccessEnvelope"
        assert parsed.data.count == 1930 and len(parsed.data.data) == 10
    else:
        class_name, code, _ = OUTCOMES[forced]
        assert type(parsed).__name__ == class_name
        assert parsed.code.value == code and parsed.data is None


def test_http_200_pages_parse(http_200_client: Generated) -> None:
    records = _all_pages(http_200_client, Settings(http_200_errors=True), [DOCUMENTED], 1000)
    assert len(records) == 1930


def _raw_records(settings: Settings, limit: int) -> list[dict[str, Any]]:
    app = _app(settings)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mock"
        ) as http:
            params = {"annotationRequestId": DOCUMENTED, "limit": limit}
            return await http.get("/statistics/record", params=params)

    body = orjson.loads(asyncio.run(run()).content)
    records: list[dict[str, Any]] = body["data"]["data"]
    return records


def test_extra_fields_reach_the_client_without_failing_it(default_client: Generated) -> None:
    settings = Settings(drills=("extra-fields",))
    [response] = _call(
        default_client, settings, [{"annotation_request_id": [DOCUMENTED], "limit": 200}]
    )
    envelope = response.parsed
    assert envelope.additional_properties == {"traceId": "drill"}
    extras = [r for r in envelope.data.data if r.additional_properties]
    assert 0 < len(extras) < 200
    assert set(extras[0].additional_properties) == {"modifyRelationsNum", "reviewInfo"}


def test_unknown_enum_values_fail_a_strict_page_but_not_a_record_by_record_reader(
    default_client: Generated,
) -> None:
    """Generated closed enums fail the whole page (D30): the drill shows it, and the way out."""
    settings = Settings(drills=("unknown-enums",))
    with pytest.raises(ValueError, match="is not a valid"):
        _call(default_client, settings, [{"annotation_request_id": [DOCUMENTED], "limit": 200}])
    # A tolerant reader parses record by record and keeps the ones it cannot type as raw JSON.
    typed, untyped = [], []
    for raw in _raw_records(settings, 200):
        try:
            typed.append(default_client.models.Record.from_dict(raw))
        except ValueError:
            untyped.append(raw)
    assert typed and untyped
    unknown = dict(UNKNOWN_VALUES)
    assert all(any(raw[field] == value for field, value in unknown.items()) for raw in untyped)


def test_generated_modules_are_importable_from_a_fresh_folder(
    clients: tuple[Generated, Generated],
) -> None:
    # The module-level fixture put them on sys.path; a stale copy would shadow a regeneration.
    for generated in clients:
        module: ModuleType = generated.operation
        assert module.__file__ is not None and "generated" in module.__file__


def test_a_generated_client_draws_no_client_finding(default_client: Generated) -> None:
    # Issue 20: a client generated from openapi.yaml, paging two IDs (its repeated form), is
    # judged clean by the client rules.
    mock = reference_clients.mock()

    async def run() -> list[Any]:
        async with mock.async_client() as http:
            client = default_client.client_class(
                base_url=str(http.base_url), raise_on_unexpected_status=True
            )
            client.set_async_httpx_client(http)
            records: list[Any] = []
            offset = 1
            while True:
                response = await default_client.operation.asyncio_detailed(
                    client=client,
                    annotation_request_id=list(reference_clients.PAIR),
                    offset=offset,
                    limit=5,
                )
                page = response.parsed.data
                records += page.data
                if not page.data:
                    return records
                offset += 1

    assert len(asyncio.run(run())) == 19
    assert [e.offset for e in mock.exchanges] == [1, 2, 3, 4, 5]
    assert judge(mock.exchanges).findings == ()
