"""One plain record of the documented shape, for tests that judge exchanges by hand."""

from __future__ import annotations

from typing import Any


def record(record_id: int, **changes: Any) -> dict[str, Any]:
    """A record every rule accepts on its own; `changes` replace or add fields."""
    return {
        "id": record_id, "status": 4, "campaignId": "c", "taskId": 1, "poolName": "p",
        "poolType": 1, "folderId": 1, "aliceName": "a", "createdTime": "2025-04-01 10:00:00",
        "actionType": 0, "instanceInfo": {}, "modifyInstanceNum": 0, "modifyAttributesNum": 0,
        "instanceSum": 0, "attributesSum": 0, **changes,
    }  # fmt: skip
