"""Queue items: lanes, age colours, merging repeat calls, one owner, resolution, priority."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from desktop.domain.calls import Call
from desktop.domain.queue import (
    AgeLevel, Disposition, ItemState, Lane, QueueItem, QueueRuleError, Urgency,
)

T0 = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
TARGET = timedelta(minutes=5)
CALLER = "+17735550142"
SHOP = "+13125550100"
_ids = iter(range(1, 10_000))


def inbound(at: datetime, outcome="missed", transcript=None, caller_name=None,
            number=CALLER) -> Call:
    return Call(provider="simulator", provider_call_id=f"CA{next(_ids)}", direction="inbound",
                from_number=number, to_number=SHOP, started_at=at, outcome=outcome,
                raw_status="no-answer", transcript=transcript, caller_name=caller_name)


def outbound(at: datetime, number=CALLER) -> Call:
    return Call(provider="simulator", provider_call_id=f"CA{next(_ids)}", direction="outbound",
                from_number=SHOP, to_number=number, started_at=at, outcome="answered",
                raw_status="completed")


def fresh_item(at: datetime = T0, **call_kwargs) -> QueueItem:
    return QueueItem.open_for(inbound(at, **call_kwargs))


# -- lanes -------------------------------------------------------------------------------
def test_a_fresh_missed_call_is_to_do():
    item = fresh_item()
    assert item.phone == CALLER and item.state == ItemState.OPEN and item.call_count == 1
    assert item.lane(T0 + timedelta(minutes=1), TARGET) == Lane.TO_DO


def test_overdue_moves_to_call_now_exactly_at_the_target():
    item = fresh_item()
    assert item.lane(T0 + TARGET - timedelta(seconds=1), TARGET) == Lane.TO_DO
    assert item.lane(T0 + TARGET, TARGET) == Lane.CALL_NOW
    assert item.lane(T0 + 10 * TARGET, TARGET) == Lane.CALL_NOW


@pytest.mark.parametrize("urgency", [Urgency.EMERGENCY, Urgency.URGENT])
def test_urgent_callers_are_call_now_even_when_fresh(urgency):
    item = fresh_item()
    item.urgency = urgency
    assert item.lane(T0, TARGET) == Lane.CALL_NOW


@pytest.mark.parametrize("urgency", [Urgency.ROUTINE, Urgency.UNKNOWN])
def test_routine_and_unknown_callers_wait_their_turn(urgency):
    item = fresh_item()
    item.urgency = urgency
    assert item.lane(T0, TARGET) == Lane.TO_DO


def test_called_back_waits_until_the_follow_up_is_due_then_comes_back_to_call_now():
    item = fresh_item()
    item.claim("Dana", T0 + timedelta(minutes=1))
    item.mark_called_back("Dana", T0 + timedelta(minutes=2), timedelta(hours=2))
    assert item.state == ItemState.WAITING
    assert item.follow_up_at == T0 + timedelta(minutes=2, hours=2)
    assert item.callback_attempts == 1 and item.last_callback_at == T0 + timedelta(minutes=2)
    # Long past the callback target, but a follow-up is scheduled: Waiting, not Call now.
    assert item.lane(T0 + timedelta(hours=1), TARGET) == Lane.WAITING
    assert item.lane(item.follow_up_at - timedelta(seconds=1), TARGET) == Lane.WAITING
    assert item.lane(item.follow_up_at, TARGET) == Lane.CALL_NOW


def test_waiting_item_comes_back_to_call_now_when_due_even_if_young():
    item = fresh_item()
    item.mark_called_back("Dana", T0, timedelta(minutes=1))
    # Age 1 min is under the 5 min target; the follow-up being due is what brings it back.
    assert item.lane(T0 + timedelta(minutes=1), TARGET) == Lane.CALL_NOW


def test_resolved_items_are_done_whatever_their_age_or_urgency():
    item = fresh_item()
    item.urgency = Urgency.EMERGENCY
    item.resolve("Dana", T0 + timedelta(minutes=3), Disposition.BOOKED)
    assert item.state == ItemState.DONE and item.disposition == Disposition.BOOKED
    assert item.resolved_by == "Dana" and item.resolved_at == T0 + timedelta(minutes=3)
    assert item.lane(T0 + timedelta(days=1), TARGET) == Lane.DONE


# -- age ---------------------------------------------------------------------------------
@pytest.mark.parametrize("waited, level", [
    (timedelta(0), AgeLevel.OK),
    (TARGET - timedelta(seconds=1), AgeLevel.OK),
    (TARGET, AgeLevel.AMBER),
    (3 * TARGET - timedelta(seconds=1), AgeLevel.AMBER),
    (3 * TARGET, AgeLevel.RED),
    (timedelta(hours=5), AgeLevel.RED),
])
def test_age_level_is_amber_at_the_target_and_red_at_three_times(waited, level):
    assert fresh_item().age_level(T0 + waited, TARGET) == level


def test_age_counts_from_the_first_call_and_stops_at_resolution():
    item = fresh_item()
    item.add_missed_call(inbound(T0 + timedelta(minutes=4)))
    assert item.age(T0 + timedelta(minutes=6)) == timedelta(minutes=6)
    item.resolve("Dana", T0 + timedelta(minutes=7), Disposition.NOT_A_LEAD)
    assert item.age(T0 + timedelta(hours=3)) == timedelta(minutes=7)
    assert item.age_level(T0 + timedelta(hours=3), TARGET) == AgeLevel.AMBER


def test_age_is_never_negative():
    assert fresh_item().age(T0 - timedelta(minutes=1)) == timedelta(0)


# -- repeat calls --------------------------------------------------------------------------
def test_repeat_calls_merge_into_one_item():
    item = fresh_item(transcript="Water coming through the ceiling, call me back.",
                      caller_name="NOVAK KAREN")
    item.add_missed_call(inbound(T0 + timedelta(minutes=10), outcome="abandoned"))
    item.add_missed_call(inbound(T0 + timedelta(minutes=20), outcome="busy",
                                 caller_name="SOMEONE ELSE"))
    assert item.call_count == 3
    assert item.first_call_at == T0 and item.last_call_at == T0 + timedelta(minutes=20)
    assert item.last_outcome == "busy"
    # A later call without a voicemail keeps the transcript we already had.
    assert item.last_transcript == "Water coming through the ceiling, call me back."
    assert item.caller_name == "NOVAK KAREN"


def test_a_later_voicemail_replaces_the_transcript():
    item = fresh_item(transcript="first message", outcome="voicemail")
    item.add_missed_call(inbound(T0 + timedelta(minutes=5), outcome="voicemail",
                                 transcript="second message"))
    assert item.last_transcript == "second message" and item.last_outcome == "voicemail"


def test_a_call_reported_late_does_not_rewind_the_last_call():
    item = fresh_item(at=T0 + timedelta(minutes=30), outcome="voicemail")
    item.add_missed_call(inbound(T0, outcome="busy"))
    assert item.call_count == 2
    assert item.first_call_at == T0
    assert item.last_call_at == T0 + timedelta(minutes=30) and item.last_outcome == "voicemail"


def test_a_repeat_call_reopens_a_waiting_item_and_keeps_its_owner():
    item = fresh_item()
    item.mark_called_back("Dana", T0 + timedelta(minutes=2), timedelta(hours=2))
    item.add_missed_call(inbound(T0 + timedelta(minutes=30)))
    assert item.state == ItemState.CLAIMED and item.owner == "Dana"
    assert item.follow_up_at is None
    assert item.lane(T0 + timedelta(minutes=31), TARGET) == Lane.CALL_NOW


def test_a_repeat_call_reopens_an_unowned_waiting_item_as_open():
    item = fresh_item()
    item.state, item.follow_up_at = ItemState.WAITING, T0 + timedelta(hours=2)
    item.add_missed_call(inbound(T0 + timedelta(minutes=1)))
    assert item.state == ItemState.OPEN and item.follow_up_at is None
    assert item.lane(T0 + timedelta(minutes=2), TARGET) == Lane.TO_DO


def test_outbound_calls_count_as_callback_attempts():
    item = fresh_item()
    item.add_callback_attempt(outbound(T0 + timedelta(minutes=20)))
    item.add_callback_attempt(outbound(T0 + timedelta(minutes=10)))
    assert item.callback_attempts == 2
    assert item.last_callback_at == T0 + timedelta(minutes=20)
    assert item.call_count == 1  # a callback is not a missed call


# -- ownership and resolution ----------------------------------------------------------------
def test_claim_gives_the_item_one_owner():
    item = fresh_item()
    item.claim("Dana", T0 + timedelta(minutes=1))
    assert (item.state, item.owner, item.claimed_at) == (
        ItemState.CLAIMED, "Dana", T0 + timedelta(minutes=1))
    item.claim("Dana", T0 + timedelta(minutes=2))  # claiming your own item again is fine
    assert item.claimed_at == T0 + timedelta(minutes=1)


def test_a_second_person_cannot_claim_and_is_told_who_has_it():
    item = fresh_item()
    item.claim("Dana", T0)
    with pytest.raises(QueueRuleError, match="Dana"):
        item.claim("Luis", T0 + timedelta(minutes=1))
    assert item.owner == "Dana"


@pytest.mark.parametrize("act", [
    lambda item: item.resolve("Luis", T0, Disposition.BOOKED),
    lambda item: item.mark_called_back("Luis", T0, timedelta(hours=1)),
])
def test_a_second_person_cannot_resolve_or_call_back_someone_elses_item(act):
    item = fresh_item()
    item.claim("Dana", T0)
    with pytest.raises(QueueRuleError, match="Dana"):
        act(item)
    assert item.state == ItemState.CLAIMED and item.callback_attempts == 0


def test_resolving_twice_is_refused():
    item = fresh_item()
    item.resolve("Dana", T0 + timedelta(minutes=1), Disposition.LEAD_CREATED)
    with pytest.raises(QueueRuleError, match="already resolved"):
        item.resolve("Dana", T0 + timedelta(minutes=2), Disposition.SPAM)
    assert item.disposition == Disposition.LEAD_CREATED
    assert item.resolved_at == T0 + timedelta(minutes=1)
    for act in (lambda: item.claim("Luis", T0), lambda: item.mark_called_back(
            "Dana", T0, timedelta(hours=1))):
        with pytest.raises(QueueRuleError):
            act()


def test_resolving_clears_a_scheduled_follow_up():
    item = fresh_item()
    item.mark_called_back("Dana", T0, timedelta(hours=2))
    item.resolve("Dana", T0 + timedelta(minutes=5), Disposition.NO_ANSWER)
    assert item.follow_up_at is None and item.lane(T0, TARGET) == Lane.DONE


# -- priority ------------------------------------------------------------------------------
def test_priority_orders_lane_then_urgency_then_more_calls_then_oldest():
    now = T0 + timedelta(minutes=3)
    todo_old = fresh_item(at=T0, number="+17735550101")
    todo_new = fresh_item(at=T0 + timedelta(minutes=2), number="+17735550102")
    todo_repeat = fresh_item(at=T0 + timedelta(minutes=2), number="+17735550103")
    todo_repeat.add_missed_call(inbound(T0 + timedelta(minutes=2, seconds=30),
                                        number="+17735550103"))
    overdue = fresh_item(at=T0 - timedelta(minutes=20), number="+17735550104")
    emergency = fresh_item(at=T0 + timedelta(minutes=2), number="+17735550105")
    emergency.urgency = Urgency.EMERGENCY
    urgent = fresh_item(at=T0 - timedelta(minutes=30), number="+17735550106")
    urgent.urgency = Urgency.URGENT
    waiting = fresh_item(at=T0 - timedelta(hours=1), number="+17735550107")
    waiting.mark_called_back("Dana", T0, timedelta(hours=1))
    done = fresh_item(at=T0 - timedelta(hours=2), number="+17735550108")
    done.urgency = Urgency.EMERGENCY
    done.resolve("Dana", T0, Disposition.BOOKED)

    items = [done, waiting, todo_new, todo_old, overdue, todo_repeat, urgent, emergency]
    ordered = sorted(items, key=lambda i: i.priority_key(now, TARGET))
    assert ordered == [emergency, urgent, overdue, todo_repeat, todo_old, todo_new, waiting, done]
    assert [i.lane(now, TARGET) for i in ordered] == [
        Lane.CALL_NOW, Lane.CALL_NOW, Lane.CALL_NOW, Lane.TO_DO, Lane.TO_DO, Lane.TO_DO,
        Lane.WAITING, Lane.DONE]


def test_snapshot_records_what_a_change_log_entry_needs():
    item = fresh_item()
    item.mark_called_back("Dana", T0, timedelta(hours=2))
    snap = item.snapshot()
    assert snap["state"] == "waiting" and snap["owner"] == "Dana"
    assert snap["callback_attempts"] == 1 and snap["call_count"] == 1
    assert snap["follow_up_at"] == T0 + timedelta(hours=2)


def test_a_bad_disposition_leaves_the_item_untouched():
    item = fresh_item()
    with pytest.raises(ValueError):
        item.resolve("Dana", T0, "made_up")
    assert item.state == ItemState.OPEN and item.resolved_at is None
    assert item.lane(T0, TARGET) == Lane.TO_DO
