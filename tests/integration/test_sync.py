"""Phone sync against the real simulator and a real SQLite database.

The expected figures come from asking an independent SimulatedLine (same seed, same clock)
for the same window and working out, call by call, what the queue should hold.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from desktop.adapters.phone.base import (
    ConnectionCheck, PhoneProvider, ProblemKind, ProviderError,
)
from desktop.adapters.phone.simulator import SimulatedLine
from desktop.domain.calls import MISSED_OUTCOMES, Direction, Outcome, ProviderCall
from desktop.services.sync import PhoneSync, SyncPolicy

# Wednesday 12 February 2025, 15:00 in Chicago (CST, UTC-6): a busy weekday afternoon.
NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
BACKFILL = timedelta(days=7)
SIX_OUTCOMES = {str(o) for o in Outcome}


@pytest.fixture
def simulator_app(app_factory, clock):
    clock.set(NOW)
    app = app_factory()
    app.settings_service.set("phone.provider", "simulator", actor="person:test")
    app.settings_service.set("business.timezone", "America/Chicago", actor="person:test")
    app.close()
    app = app_factory()  # bootstrap builds the provider from the stored settings
    assert app.sync is not None and app.phone.name == "simulator"
    return app


def listing(since: datetime, until: datetime, clock) -> list[ProviderCall]:
    line = SimulatedLine(seed=7, timezone="America/Chicago", clock=clock)
    return [call for page in line.list_calls(since, until) for call in page]


def expected_queue(calls: list[ProviderCall]) -> dict[str, dict]:
    """Walk the calls in the order sync stores them (provider order) and keep, per caller
    number, the missed inbound calls and the outbound calls seen after the item opened."""
    items: dict[str, dict] = {}
    for call in calls:
        number = call.customer_number
        if call.direction == Direction.INBOUND and call.outcome in MISSED_OUTCOMES:
            item = items.setdefault(number, {"missed": [], "callbacks": 0})
            item["missed"].append(call)
        elif call.direction == Direction.OUTBOUND and number in items:
            items[number]["callbacks"] += 1
    return items


def db_rows(app, sql: str, **params):
    with app.engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def call_ids(app) -> set[str]:
    return {r["provider_call_id"] for r in db_rows(app, "SELECT provider_call_id FROM calls")}


def test_first_poll_stores_every_call_and_queues_only_unanswered_inbound_callers(
        simulator_app, clock):
    app = simulator_app
    expected_calls = listing(NOW - BACKFILL, NOW, clock)
    expected = expected_queue(expected_calls)
    assert len(expected_calls) > 200 and len(expected) > 30  # the week is not trivial
    assert any(len(e["missed"]) > 1 for e in expected.values())  # repeat callers exist
    assert any(e["callbacks"] for e in expected.values())

    result = app.sync.poll()

    assert result.error is None and result.skipped == 0
    assert result.new_calls == len(expected_calls)
    assert result.new_items == len(expected)
    # Every call stored once, with one of the six outcomes and the provider's own status.
    stored = {r["provider_call_id"]: r for r in db_rows(app, "SELECT * FROM calls")}
    assert len(stored) == len(expected_calls)
    for call in expected_calls:
        row = stored[call.provider_call_id]
        assert row["outcome"] in SIX_OUTCOMES
        assert row["outcome"] == str(call.outcome)
        assert row["raw_status"] == call.raw_status
        assert row["direction"] == str(call.direction)
    # Answered inbound calls never reach the queue.
    for call in expected_calls:
        if call.direction == Direction.INBOUND and call.outcome == Outcome.ANSWERED:
            assert stored[call.provider_call_id]["queue_item_id"] is None

    items = db_rows(app, "SELECT * FROM queue_items")
    phones = Counter(item["phone"] for item in items)
    assert set(phones) == set(expected)
    assert max(phones.values()) == 1  # one item per caller number
    for item in items:
        want = expected[item["phone"]]
        # A callback seen on the line is a follow-up attempt: the caller waits for the
        # plan's next step (until they ring again).
        assert item["state"] == "open" or (item["state"] == "waiting" and want["callbacks"]
                                           and item["follow_up_at"] is not None)
        assert item["call_count"] == len(want["missed"])
        assert item["callback_attempts"] == want["callbacks"]
        linked = db_rows(app, "SELECT provider_call_id FROM calls WHERE queue_item_id = :i "
                         "AND direction = 'inbound'", i=item["id"])
        assert {r["provider_call_id"] for r in linked} == {c.provider_call_id
                                                            for c in want["missed"]}
        last = max(want["missed"], key=lambda c: c.started_at)
        assert item["last_outcome"] == str(last.outcome)

    # The board shows the same, as plain rows.
    rows = app.queue.board()
    assert {row.phone for row in rows} == set(expected)
    for row in rows:
        assert row.calls == len(row.call_ids) == len(expected[row.phone]["missed"])


def test_a_voicemail_transcript_reaches_the_queue(simulator_app, clock):
    app = simulator_app
    app.sync.poll()
    voicemails = [c for c in listing(NOW - BACKFILL, NOW, clock)
                  if c.direction == Direction.INBOUND and c.outcome == Outcome.VOICEMAIL]
    assert voicemails
    rows = {row.phone: row for row in app.queue.board()}
    last_vm = {}
    for call in voicemails:
        last_vm[call.from_number] = call.transcript
    assert any(rows[number].transcript == transcript for number, transcript in last_vm.items())
    for number in last_vm:
        assert rows[number].transcript  # a caller who left a message shows it


def test_a_second_poll_at_the_same_moment_adds_nothing(simulator_app):
    app = simulator_app
    app.sync.poll()
    calls_before = call_ids(app)
    items_before = db_rows(app, "SELECT * FROM queue_items ORDER BY id")
    log_before = app.changelog.count()

    again = app.sync.poll()

    assert (again.new_calls, again.updated_calls, again.new_items, again.merged_calls,
            again.callback_attempts, again.error) == (0, 0, 0, 0, 0, None)
    assert call_ids(app) == calls_before
    assert db_rows(app, "SELECT * FROM queue_items ORDER BY id") == items_before
    assert app.changelog.count() == log_before
    assert app.changelog.verify() is None


def test_a_later_poll_adds_only_the_newer_calls(simulator_app, clock):
    app = simulator_app
    app.sync.poll()
    first = call_ids(app)
    items_before = {r["phone"]: r for r in db_rows(app, "SELECT * FROM queue_items")}

    later = clock.advance(hours=3)
    result = app.sync.poll()

    everything = listing(NOW - BACKFILL, later, clock)
    newer = [c for c in everything if c.provider_call_id not in first]
    assert newer, "three hours of a weekday afternoon bring calls"
    assert all(c.ended_at >= NOW for c in newer)
    assert result.new_calls == len(newer) and result.error is None
    assert call_ids(app) == {c.provider_call_id for c in everything}
    # The queue now matches the whole history, and old items only grew.
    expected = expected_queue(everything)
    items = {r["phone"]: r for r in db_rows(app, "SELECT * FROM queue_items")}
    assert set(items) == set(expected) and len(items) == len(db_rows(
        app, "SELECT id FROM queue_items"))
    for phone, item in items.items():
        assert item["call_count"] == len(expected[phone]["missed"])
        assert item["callback_attempts"] == expected[phone]["callbacks"]
        if phone in items_before:
            assert item["id"] == items_before[phone]["id"]
            assert item["call_count"] >= items_before[phone]["call_count"]


def test_outbound_calls_to_an_open_callers_number_count_as_callback_attempts(simulator_app):
    app = simulator_app
    result = app.sync.poll()
    assert result.callback_attempts > 0
    rows = db_rows(app, "SELECT q.id, q.callback_attempts, q.last_callback_at, "
                   "(SELECT COUNT(*) FROM calls c WHERE c.queue_item_id = q.id AND "
                   "c.direction = 'outbound') AS outbound FROM queue_items q")
    assert sum(r["callback_attempts"] for r in rows) == result.callback_attempts
    for row in rows:
        assert row["callback_attempts"] == row["outbound"]
        assert (row["last_callback_at"] is None) == (row["outbound"] == 0)
    seen = [e for e in app.changelog.rows() if e.action == "callback_seen"]
    assert len(seen) == result.callback_attempts
    assert all(e.actor == "worker:sync" for e in seen)


def test_sync_writes_a_change_log_entry_per_queue_change(simulator_app):
    app = simulator_app
    result = app.sync.poll()
    actions = Counter(row.action for row in app.changelog.rows() if row.entity == "queue_item")
    assert actions["created"] == result.new_items
    assert actions["call_merged"] == result.merged_calls
    assert actions["callback_seen"] == result.callback_attempts
    assert app.changelog.verify() is None


def test_health_records_the_last_successful_poll(simulator_app, clock):
    app = simulator_app
    rows, backlog = app.health.rows()
    assert rows == [] and backlog.waiting == 0
    app.sync.poll()
    rows, _ = app.health.rows()
    assert [(r.connector, r.level, r.last_success_at, r.last_error) for r in rows] == [
        ("phone:simulator", "ok", NOW, None)]
    assert rows[0].message == "synced just now"
    clock.advance(minutes=10)  # far more than three poll intervals without a poll
    rows, _ = app.health.rows()
    assert rows[0].level == "warning" and "stopped" in rows[0].message


# -- a provider that breaks, and one that sends rubbish -----------------------------------
class FlakyLine(PhoneProvider):
    """Fails while `down` is set; otherwise returns the pages it was given."""

    name = "flaky"
    label = "Flaky"

    def __init__(self, pages=()):
        self.down: ProviderError | None = None
        self.pages = [list(page) for page in pages]

    def list_calls(self, since, until):
        if self.down:
            raise self.down
        return iter(self.pages)

    def fetch_transcript(self, provider_call_id):
        return None

    def list_messages(self, since, until):
        return iter([])

    def send_sms(self, to_number, body):
        raise ProviderError("SMS is not available", ProblemKind.NOT_CONFIGURED)

    def test_connection(self):
        return ConnectionCheck(True, "fine")


def provider_call(n: int, **overrides) -> ProviderCall:
    values = dict(provider_call_id=f"CA{n:032d}", direction=Direction.INBOUND,
                  from_number=f"+1773555{100 + n:04d}", to_number="+13125550100",
                  started_at=NOW - timedelta(minutes=60 - n), outcome=Outcome.MISSED,
                  raw_status="no-answer", ended_at=NOW - timedelta(minutes=60 - n, seconds=-25),
                  duration_s=25)
    values.update(overrides)
    return ProviderCall(**values)


def test_a_provider_failure_shows_in_plain_words_and_recovery_is_logged(app_factory, clock):
    clock.set(NOW)
    app = app_factory()
    line = FlakyLine([[provider_call(1)]])
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)
    line.down = ProviderError("The phone provider refused the API key (check it in Settings).",
                              ProblemKind.AUTH)

    result = sync.poll()

    assert result.error == "The phone provider refused the API key (check it in Settings)."
    assert result.new_calls == 0
    rows, _ = app.health.rows()
    assert [(r.connector, r.level, r.last_error) for r in rows] == [
        ("phone:flaky", "error",
         "The phone provider refused the API key (check it in Settings).")]
    assert rows[0].message == rows[0].last_error
    failed = [e for e in app.changelog.rows() if e.entity == "connector"]
    assert [(e.entity_id, e.action, e.actor) for e in failed] == [
        ("phone:flaky", "failed", "worker:sync")]
    assert failed[0].after == {"error": rows[0].last_error}

    # The same complaint again is not a new event.
    clock.advance(seconds=30)
    sync.poll()
    assert len([e for e in app.changelog.rows() if e.entity == "connector"]) == 1

    clock.advance(seconds=30)
    line.down = None
    recovered = sync.poll()

    assert recovered.error is None and recovered.new_calls == 1
    rows, _ = app.health.rows()
    assert [(r.level, r.last_error, r.last_success_at) for r in rows] == [
        ("ok", None, clock())]
    events = [(e.action, e.before, e.after) for e in app.changelog.rows()
              if e.entity == "connector"]
    assert events[-1] == ("recovered", {"error": failed[0].after["error"]}, {"error": None})
    assert app.changelog.verify() is None


def test_the_cursor_does_not_move_past_a_failed_poll(app_factory, clock):
    """An outage of hours is caught up when the provider returns: nothing is skipped."""
    clock.set(NOW)
    app = app_factory()
    line = FlakyLine()
    seen = []
    line.list_calls = lambda since, until: (seen.append((since, until)), iter([]))[1]
    sync = PhoneSync(app.uow, line, SyncPolicy(overlap=timedelta(seconds=120)), clock)
    sync.poll()
    line.list_calls = lambda since, until: (_ for _ in ()).throw(
        ProviderError("no network", ProblemKind.NETWORK))
    clock.advance(hours=3)
    sync.poll()
    line.list_calls = lambda since, until: (seen.append((since, until)), iter([]))[1]
    clock.advance(minutes=1)
    sync.poll()
    assert seen[1] == (NOW - timedelta(seconds=120), clock())


@pytest.mark.parametrize("bad", [
    {"started_at": datetime(2025, 2, 12, 20, 30)},  # naive: no time zone
    {"started_at": None},
    {"outcome": "exploded"},
    {"direction": "sideways"},
], ids=["naive-start", "no-start", "unknown-outcome", "unknown-direction"])
def test_a_malformed_call_is_skipped_and_the_rest_of_the_page_is_stored(app_factory, clock, bad,
                                                                       caplog):
    clock.set(NOW)
    app = app_factory()
    good_before, good_after = provider_call(1), provider_call(3)
    malformed = provider_call(2, **bad)
    second_page = [provider_call(4), provider_call(5, from_number=good_before.from_number)]
    line = FlakyLine([[good_before, malformed, good_after], second_page])
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)

    result = sync.poll()

    assert result.skipped == 1 and result.error is None
    assert any(malformed.provider_call_id in r.getMessage() and r.levelname == "WARNING"
               for r in caplog.records)  # logged, naming the record
    assert call_ids(app) == {good_before.provider_call_id, good_after.provider_call_id,
                             *(c.provider_call_id for c in second_page)}
    items = {r["phone"]: r for r in db_rows(app, "SELECT * FROM queue_items")}
    assert set(items) == {good_before.from_number, good_after.from_number,
                          second_page[0].from_number}
    assert items[good_before.from_number]["call_count"] == 2
    assert app.changelog.verify() is None
    rows, _ = app.health.rows()
    assert rows[0].level == "ok"  # one bad record does not make the line look broken
