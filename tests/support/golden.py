"""Golden data: pinned pages of the mock's records, rewritten only by `make golden`.

Any change to the generated data (a generator change, a Faker upgrade, a Python upgrade that
changes something we depend on) shows up as a difference against these files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mockserver.config import DEFAULT_FIXTURES
from mockserver.fixtures import load_folder
from mockserver.generator import Vocabulary
from mockserver.store import RecordStore

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
SEED = 1
# (annotation request IDs, offset, limit): first pages, later pages, several requests, a deep page.
REQUESTS: list[tuple[tuple[str, ...], int, int]] = [
    (("7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b",), 1, 5),
    (("7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b",), 40, 3),
    (("golden-a",), 1, 20),
    (("golden-a", "golden-b"), 3, 7),
    (("large-annotation-request",), 200_001, 10),
    (("é" * 10,), 2, 4),
]


def query(ids: tuple[str, ...], offset: int, limit: int) -> str:
    return f"annotationRequestId={','.join(ids)}&offset={offset}&limit={limit}"


def compute() -> dict[str, Any]:
    """The golden pages, from the pure generator through the store."""
    store = RecordStore(SEED, Vocabulary.from_faker(SEED), load_folder(DEFAULT_FIXTURES))
    pages: dict[str, Any] = {}
    for ids, offset, limit in REQUESTS:
        page = store.page(ids, offset, limit)
        pages[query(ids, offset, limit)] = {
            "count": page.count,
            "data": [json.loads(record) for record in page.records],
        }
    return pages


def path() -> Path:
    return GOLDEN_DIR / f"seed-{SEED}.json"


def main() -> int:
    GOLDEN_DIR.mkdir(exist_ok=True)
    text = json.dumps(compute(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    path().write_text(text, encoding="utf-8")
    print(f"wrote {path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
