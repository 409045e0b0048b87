"""The documentation's enums, named as the documentation names them."""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """Status of a task (Get Task's Status enum)."""

    CREATION_FAILED = 0
    CREATED = 1
    WAITING_FOR_ANNOTATION = 2
    ANNOTATION_IN_PROGRESS = 3
    ANNOTATION_COMPLETED = 4
    WAITING_FOR_REVIEW = 5
    REVIEW_IN_PROGRESS = 6
    WAITING_FOR_QC = 8
    QC_IN_PROGRESS = 9
    QC_COMPLETED = 10
    LABELS_APPROVED = 11
    OPENLABEL_CONVERSION_COMPLETED = 16
    OPENLABEL_CONVERSION_FAILED = 17


class PoolType(IntEnum):
    """Type of a pool (PoolTypeEnum)."""

    DISTRIBUTION = 0
    ANNOTATION = 1
    CHECK = 2
    SAMPLING = 3
    ALGORITHM = 4
    COMPLETE = 5


class TaskAction(IntEnum):
    """Action of a record (TaskActionEnum, both revisions)."""

    INITIALIZATION = 0
    PAUSE = 1
    RELEASE = 2
    RESUME = 3
    DISTRIBUTE = 5
    BACK_TASK = 6
    SUBMIT_ANNOTATION = 7
    CHECK = 8
    SAMPLING = 9
    REJECT = 10
    ACCEPT_THE_TASK = 13
    DISSOLVE = 14
    RETURN_FROM_WORK_POOL = 17
