"""Rules every generated history obeys, written from the documentation's enum texts.

They are stated here independently of mockserver/workflow.py, so a walk that breaks the
documented meaning of an action fails the tests even if the generator agrees with itself.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

Record = dict[str, Any]

# Action -> pool types it happens in (PoolTypeEnum: 0 distribution, 1 annotation, 2 check,
# 3 sampling, 4 algorithm, 5 complete).
ACTION_POOLS = {
    0: {0},  # Initialization: created in the distribution pool
    5: {0},  # Distribute: from the distribution pool downstream
    1: {0, 1, 2, 3},  # Pause
    3: {0, 1, 2, 3},  # Resume
    2: {1, 2, 3},  # Release: back to the work pool
    13: {1, 2, 3},  # Accept the task: picked up in a work pool
    7: {1, 4},  # Submit annotation: from the annotation pool (or the algorithm's pre-labels)
    8: {2},  # Check: in the review pool
    17: {2},  # Return from work pool: from the review pool
    9: {3},  # Sampling: in the sampling pool
    10: {3},  # Reject: from the sampling pool
    14: {3},  # Dissolve: in the sampling pool
    6: {5},  # Back task: from the completion pool
}
WAITING = {0: 1, 1: 2, 2: 5, 3: 8, 4: 2}
IN_PROGRESS = {1: 3, 2: 6, 3: 9}


# Action -> statuses the task may have after it, given the pool type.
def allowed_statuses(action: int, pool_type: int) -> set[int]:
    if action == 0:
        return {0, 1}
    if action == 5:
        return {2}
    if action in {1, 2, 3}:
        return {WAITING[pool_type]}
    if action == 13:
        return {IN_PROGRESS[pool_type]}
    if action == 7:
        return {4} if pool_type == 1 else {2}
    if action == 8:
        return {8, 11, 16, 17}  # review passed: waiting for QC, or approved into completion
    if action == 9:
        return {10}
    if action == 10:
        return {2, 5}  # rejected to the annotation or the review pool
    if action == 14:
        return {8}
    if action == 17:
        return {2}
    if action == 6:
        return {2, 5, 8}  # back to the last work pool, waiting
    raise AssertionError(f"unknown action {action}")


POOL_SUFFIX = {
    0: "Distribution Pool",
    1: "Annotation Pool",
    2: "Check Pool",
    3: "Sampling Pool",
    4: "Algorithm Pool",
    5: "Completion Pool",
}
INFO_KEY = re.compile(
    r"[a-z0-9]+-\[[0-9a-f]{5}\]|[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def by_task(records: Iterable[Record]) -> dict[int, list[Record]]:
    tasks: dict[int, list[Record]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["id"]):
        tasks[record["taskId"]].append(record)
    return tasks


def record_problems(record: Record) -> list[str]:
    """What is wrong with one record on its own."""
    problems = []
    action, pool_type, status = record["actionType"], record["poolType"], record["status"]
    if pool_type not in ACTION_POOLS[action]:
        problems.append(f"action {action} in a pool of type {pool_type}")
    elif status not in allowed_statuses(action, pool_type):
        problems.append(f"status {status} after action {action} in pool type {pool_type}")
    if not record["poolName"].endswith(POOL_SUFFIX[pool_type]):
        problems.append(f"pool {record['poolName']!r} named unlike its type {pool_type}")
    info = record["instanceInfo"]
    total = record["modifyInstanceNum"] + record["modifyAttributesNum"]
    if sum(info.values()) != total:
        problems.append(f"instanceInfo sums to {sum(info.values())}, not {total}")
    if any(value <= 0 for value in info.values()):
        problems.append("instanceInfo lists a zero")
    if any(not INFO_KEY.fullmatch(key) for key in info):
        problems.append(f"instanceInfo key unlike the documentation's: {sorted(info)}")
    if not TIME.fullmatch(record["createdTime"]):
        problems.append(f"createdTime {record['createdTime']!r}")
    return problems


def history_problems(history: list[Record]) -> list[str]:
    """What is wrong with one task's records, in id order."""
    problems = [f"record {r['id']}: {p}" for r in history for p in record_problems(r)]
    first = history[0]
    if first["actionType"] != 0:
        problems.append(f"task {first['taskId']} starts with action {first['actionType']}")
    if first["status"] == 0 and len(history) > 1:
        problems.append(f"task {first['taskId']} failed creation but goes on")
    for before, after in pairwise(history):
        where = f"task {after['taskId']} record {after['id']}"
        if after["actionType"] == 0:
            problems.append(f"{where}: initialised twice")
        if after["createdTime"] < before["createdTime"]:
            problems.append(f"{where}: createdTime goes back")
        if before["actionType"] == 1 and after["actionType"] != 3:
            problems.append(f"{where}: a paused task acts before it is resumed")
        if after["actionType"] == 3 and before["actionType"] != 1:
            problems.append(f"{where}: resumed without being paused")
        if before["actionType"] == 13 and after["actionType"] in {2, 7, 8, 9, 17, 10}:
            if after["aliceName"] != before["aliceName"]:
                problems.append(f"{where}: acted on by someone other than who accepted it")
            if after["poolName"] != before["poolName"]:
                problems.append(f"{where}: finished in another pool than it was accepted in")
        finishes_work = (
            after["actionType"] in {7, 8, 9, 17, 14} and after["poolType"] in IN_PROGRESS
        )
        if finishes_work and before["actionType"] != 13:
            problems.append(f"{where}: work finished without being accepted")
        if before["status"] in {11, 16, 17} and after["actionType"] != 6:
            problems.append(f"{where}: a completed task acts without being sent back")
        new_instances = after["instanceSum"] - before["instanceSum"]
        new_attributes = after["attributesSum"] - before["attributesSum"]
        if not 0 <= new_instances <= after["modifyInstanceNum"]:
            problems.append(f"{where}: instanceSum moves by {new_instances}")
        if not 0 <= new_attributes <= after["modifyAttributesNum"]:
            problems.append(f"{where}: attributesSum moves by {new_attributes}")
    if first["instanceSum"] > first["modifyInstanceNum"]:
        problems.append(f"task {first['taskId']} starts with instances")
    return problems
