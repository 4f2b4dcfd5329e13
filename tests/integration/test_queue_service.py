"""What people do with the queue, through QueueService on a real database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fakes import StaticLine
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.queue import Disposition, QueueRuleError
from desktop.services.sync import PhoneSync

NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
SHOP = "+13125550100"
MARIA, TOM, PRIYA = "+17735550142", "+13125550133", "+18475550192"


def call(n, number, minutes_ago, outcome=Outcome.MISSED, direction=Direction.INBOUND,
         transcript=None, caller_name=None):
    started = NOW - timedelta(minutes=minutes_ago)
    inbound = direction == Direction.INBOUND
    return ProviderCall(
        provider_call_id=f"CA{n:032d}", direction=direction,
        from_number=number if inbound else SHOP, to_number=SHOP if inbound else number,
        started_at=started, ended_at=started + timedelta(seconds=30), duration_s=30,
        outcome=outcome, raw_status="no-answer" if outcome != Outcome.ANSWERED else "completed",
        transcript=transcript, caller_name=caller_name)


@pytest.fixture
def app(app_factory, clock):
    clock.set(NOW)
    app = app_factory()
    calls = [
        call(1, MARIA, 50, Outcome.VOICEMAIL, transcript="Water heater is popping, call me.",
             caller_name="GONZALEZ MARIA"),
        call(2, MARIA, 30, Outcome.MISSED),
        call(3, TOM, 20, Outcome.ANSWERED),  # answered: never queued
        call(4, TOM, 10, Outcome.ABANDONED),
        call(5, PRIYA, 2, Outcome.BUSY),
    ]
    result = PhoneSync(app.uow, StaticLine(calls), clock=clock).poll()
    assert result.new_items == 3 and result.error is None
    return app


def item_id(app, phone):
    return next(row.id for row in app.queue.board() if row.phone == phone)


def entries_for(app, item):
    return [row for row in app.changelog.rows()
            if row.entity == "queue_item" and row.entity_id == str(item)]


def test_the_board_shows_each_caller_once_with_their_calls(app):
    rows = {row.phone: row for row in app.queue.board()}
    assert set(rows) == {MARIA, TOM, PRIYA}
    maria = rows[MARIA]
    assert maria.calls == 2 and maria.call_ids == (f"CA{1:032d}", f"CA{2:032d}")
    assert maria.caller_name == "GONZALEZ MARIA" and maria.display_name == "Maria Gonzalez"
    assert maria.transcript == "Water heater is popping, call me."
    assert maria.outcome == "missed" and maria.state == "open" and maria.owner is None
    assert rows[TOM].calls == 1 and rows[TOM].call_ids == (f"CA{4:032d}",)
    assert rows[PRIYA].phone_display == "(847) 555-0192"


def test_claim_records_who_and_what_changed(app, clock):
    item = item_id(app, MARIA)
    clock.advance(minutes=1)
    row = app.queue.claim(item, "Dana")
    assert (row.state, row.owner) == ("claimed", "Dana")
    last = entries_for(app, item)[-1]
    assert (last.actor, last.action, last.at) == ("person:Dana", "claimed", clock())
    assert last.before["state"] == "open" and last.before["owner"] is None
    assert last.after["state"] == "claimed" and last.after["owner"] == "Dana"


def test_a_second_person_cannot_take_a_claimed_item(app):
    item = item_id(app, MARIA)
    app.queue.claim(item, "Dana")
    count = app.changelog.count()
    with pytest.raises(QueueRuleError, match="Dana already has this caller"):
        app.queue.claim(item, "Luis")
    with pytest.raises(QueueRuleError, match="Dana"):
        app.queue.resolve(item, "Luis", Disposition.SPAM)
    assert app.changelog.count() == count  # a refused action writes nothing
    row = next(r for r in app.queue.board() if r.id == item)
    assert (row.owner, row.state) == ("Dana", "claimed")


def test_called_back_waits_for_the_follow_up(app, clock):
    item = item_id(app, TOM)
    row = app.queue.mark_called_back(item, "Dana")
    assert row.state == "waiting" and row.callback_attempts == 1
    assert row.follow_up_at == clock() + app.queue.follow_up_after
    assert row.as_item().lane(clock(), app.callback_target) == "waiting"
    last = entries_for(app, item)[-1]
    assert (last.actor, last.action) == ("person:Dana", "called_back")
    assert last.before["callback_attempts"] == 0 and last.after["callback_attempts"] == 1
    assert last.after["follow_up_at"] == row.follow_up_at.isoformat()
    clock.advance(app.queue.follow_up_after)
    due = next(r for r in app.queue.board() if r.id == item)
    assert due.as_item().lane(clock(), app.callback_target) == "call_now"


def test_resolve_records_the_disposition_and_refuses_a_second_time(app, clock):
    item = item_id(app, PRIYA)
    row = app.queue.resolve(item, "Dana", Disposition.WRONG_NUMBER, reason="not a customer")
    assert (row.state, row.disposition, row.owner) == ("done", "wrong_number", "Dana")
    assert row.resolved_at == clock()
    last = entries_for(app, item)[-1]
    assert (last.actor, last.action, last.reason) == ("person:Dana", "resolved", "not a customer")
    assert last.before["state"] == "open" and last.after["state"] == "done"
    assert last.after["disposition"] == "wrong_number"
    with pytest.raises(QueueRuleError, match="already resolved"):
        app.queue.resolve(item, "Dana", Disposition.BOOKED)
    assert entries_for(app, item)[-1].seq == last.seq
    assert app.changelog.verify() is None


def test_an_unknown_item_or_disposition_is_refused(app):
    with pytest.raises(QueueRuleError, match="no queue item 999"):
        app.queue.claim(999, "Dana")
    with pytest.raises(ValueError):
        app.queue.resolve(item_id(app, MARIA), "Dana", "made_up")
    assert next(r for r in app.queue.board() if r.phone == MARIA).state == "open"


def test_the_board_keeps_recently_done_items_and_drops_old_ones(app, clock):
    done = item_id(app, PRIYA)
    app.queue.resolve(done, "Dana", Disposition.SPAM)
    assert {r.id for r in app.queue.open_rows()} == {r.id for r in app.queue.board()} - {done}
    board = {r.id: r for r in app.queue.board()}
    assert board[done].state == "done" and len(board) == 3
    clock.advance(app.queue.done_visible + timedelta(minutes=1))
    later = {r.id for r in app.queue.board()}
    assert done not in later and len(later) == 2


def test_a_new_call_after_resolution_opens_a_new_item(app, clock):
    old = item_id(app, PRIYA)
    app.queue.resolve(old, "Dana", Disposition.NOT_A_LEAD)
    clock.advance(minutes=30)
    line = StaticLine([call(9, PRIYA, -25, Outcome.MISSED)])
    PhoneSync(app.uow, line, clock=clock).poll()
    rows = [r for r in app.queue.board() if r.phone == PRIYA]
    assert sorted((r.id == old, r.state, r.calls) for r in rows) == [
        (False, "open", 1), (True, "done", 1)]


def test_detail_returns_the_calls_and_the_history(app, clock):
    item = item_id(app, MARIA)
    clock.advance(minutes=1)
    app.queue.claim(item, "Dana")
    clock.advance(minutes=1)
    app.queue.mark_called_back(item, "Dana")
    detail = app.queue.detail(item)
    assert detail.row.id == item and detail.row.calls == 2
    assert [c.provider_call_id for c in detail.calls] == [f"CA{2:032d}", f"CA{1:032d}"]
    assert [c.outcome for c in detail.calls] == ["missed", "voicemail"]
    assert detail.calls[1].transcript == "Water heater is popping, call me."
    assert [(h.actor, h.action) for h in detail.history] == [
        ("worker:sync", "created"), ("worker:sync", "call_merged"),
        ("person:Dana", "claimed"), ("person:Dana", "called_back")]
    assert [h.seq for h in detail.history] == sorted(h.seq for h in detail.history)
    assert detail.known_contact is None


def test_detail_names_a_caller_already_in_the_customer_list(app, clock):
    app.builtin.add_contact("Maria Gonzalez", MARIA, clock(), "person:Dana",
                        created_at=datetime(2024, 3, 5, tzinfo=timezone.utc))
    detail = app.queue.detail(item_id(app, MARIA))
    assert detail.known_contact == "Maria Gonzalez — in your customer list since Mar 2024"


def test_the_database_refuses_a_second_open_item_for_one_number(app_factory, clock):
    from sqlalchemy.exc import IntegrityError

    from desktop.domain.queue import QueueItem

    app = app_factory()
    now = clock()
    with app.uow(write=True) as uow:
        uow.queue.add(QueueItem(phone="+17735550142", first_call_at=now, last_call_at=now))
        uow.commit()
    with pytest.raises(IntegrityError), app.uow(write=True) as uow:
        uow.queue.add(QueueItem(phone="+17735550142", first_call_at=now, last_call_at=now))
        uow.commit()
    with app.uow(write=True) as uow:  # a resolved item does not count
        (first,) = uow.queue.open_items()
        first.resolve("Dana", now, "spam")
        uow.queue.add(QueueItem(phone="+17735550142", first_call_at=now, last_call_at=now))
        uow.commit()
