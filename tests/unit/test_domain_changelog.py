"""The change log's hash chain: intact verifies; any edit, deletion or reordering is named."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from desktop.domain.changelog import GENESIS, ChangeEntry, entry_hash, jsonable, verify

T0 = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)


def chain(length: int = 6) -> list[ChangeEntry]:
    entries, prev = [], GENESIS
    for n in range(1, length + 1):
        entry = ChangeEntry(
            seq=n, at=T0 + timedelta(minutes=n), actor="person:Dana" if n % 2 else "worker:sync",
            entity="queue_item", entity_id=str(n), action="claimed",
            before={"state": "open", "owner": None},
            after={"state": "claimed", "owner": "Dana", "at": jsonable(T0)},
            reason=f"reason {n}", prev_hash=prev)
        entry.seal()
        entries.append(entry)
        prev = entry.hash
    return entries


def test_an_intact_chain_verifies():
    entries = chain()
    assert verify(entries) is None
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert len({e.hash for e in entries}) == len(entries)


def test_an_empty_log_verifies():
    assert verify([]) is None


def test_the_hash_is_stable_and_covers_the_content():
    a, b = chain(1)[0], chain(1)[0]
    assert a.hash == b.hash == entry_hash(a)
    assert len(a.hash) == 64


@pytest.mark.parametrize("field, value", [
    ("actor", "person:Mallory"),
    ("entity", "lead"),
    ("entity_id", "99"),
    ("action", "resolved"),
    ("before", {"state": "done", "owner": None}),
    ("before", None),
    ("after", {"state": "claimed", "owner": "Mallory", "at": jsonable(T0)}),
    ("reason", "nothing to see here"),
    ("reason", None),
    ("at", T0 + timedelta(minutes=3, seconds=1)),
])
@pytest.mark.parametrize("position", [0, 3, 5])
def test_editing_any_field_is_reported_at_that_entry(field, value, position):
    entries = chain()
    setattr(entries[position], field, value)
    problem = verify(entries)
    assert problem is not None
    assert problem.seq == entries[position].seq
    assert str(entries[position].seq) in problem.message


def test_editing_a_nested_value_is_reported():
    entries = chain()
    entries[2].after["owner"] = "Mallory"
    assert verify(entries).seq == 3


def test_rewriting_an_entry_and_its_hash_is_reported_at_the_next_one():
    entries = chain()
    entries[2].reason = "rewritten"
    entries[2].seal()  # a forger recomputes the hash of the entry they changed...
    problem = verify(entries)
    assert problem is not None and problem.seq == 4  # ...and the next link no longer fits


def test_deleting_an_entry_is_reported():
    entries = chain()
    del entries[2]  # seq 3
    problem = verify(entries)
    assert problem is not None and problem.seq == 3
    assert "3" in problem.message and "missing" in problem.message


def test_deleting_the_first_entry_is_reported():
    problem = verify(chain()[1:])
    assert problem is not None and problem.seq == 1


def test_reordering_entries_is_reported():
    entries = chain()
    entries[2], entries[3] = entries[3], entries[2]
    problem = verify(entries)
    assert problem is not None and problem.seq == 3


def test_renumbering_after_a_deletion_is_reported():
    entries = chain()
    del entries[2]
    for entry in entries[2:]:
        entry.seq -= 1  # hide the gap
    problem = verify(entries)
    assert problem is not None and problem.seq == 3


def test_a_copy_of_an_intact_chain_still_verifies():
    assert verify(copy.deepcopy(chain())) is None


def test_jsonable_makes_plain_json():
    from desktop.domain.queue import ItemState
    assert jsonable({"at": T0, "state": ItemState.DONE, "n": (1, 2), 3: None}) == {
        "at": "2025-02-12T21:00:00+00:00", "state": "done", "n": [1, 2], "3": None}
