"""The change log: append-only, each entry sealed with the hash of the one before it.

Editing or deleting any entry breaks the chain at that entry, and `verify` names it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

GENESIS = "0" * 64


@dataclass(eq=False)
class ChangeEntry:
    seq: int
    at: datetime
    actor: str       # "person:<name>" or "worker:<name>"
    entity: str      # "queue_item", "lead", "setting", ...
    entity_id: str
    action: str      # "created", "claimed", "resolved", ...
    before: dict | None
    after: dict | None
    reason: str | None
    prev_hash: str
    hash: str = ""
    id: int | None = None

    def seal(self) -> None:
        self.hash = entry_hash(self)


def person(name: str) -> str:
    return f"person:{name}"


def worker(name: str) -> str:
    return f"worker:{name}"


def jsonable(value):
    """Plain JSON for before/after snapshots: datetimes as ISO text, enums by value."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def entry_hash(entry: ChangeEntry) -> str:
    body = {
        "seq": entry.seq, "at": jsonable(entry.at), "actor": entry.actor,
        "entity": entry.entity, "entity_id": entry.entity_id, "action": entry.action,
        "before": entry.before, "after": entry.after, "reason": entry.reason,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def verify(entries) -> ChainProblem | None:
    """Walk entries in seq order; return the first broken one, or None when intact."""
    expected_prev, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainProblem(expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != expected_prev:
            return ChainProblem(entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
        if entry_hash(entry) != entry.hash:
            return ChainProblem(entry.seq, f"entry {entry.seq} was changed after it was written")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    return None
