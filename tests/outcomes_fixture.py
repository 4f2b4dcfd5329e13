"""A hand-computed Outcomes fixture: two days in Chicago (Mon 2026-11-16 and Tue
2026-11-17, UTC-6), with a call before and after the period that must not count. The
figures each row leads to are worked out by hand in tests/integration/test_outcomes.py;
the Outcomes tab's tests show the same rows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update

from desktop.adapters.db import tables
from desktop.services.sync import hour_key

CHICAGO = ZoneInfo("America/Chicago")
SHOP = "+13125550100"
X, Y, Z, W, V = (f"+1773555010{n}" for n in range(1, 6))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


def count_hours(app, call_rows) -> None:
    """What the sync does for each call it stores: count it in its hour."""
    deltas = Counter(hour_key(SimpleNamespace(**row)) for row in call_rows)
    deltas.pop(None, None)
    with app.uow(write=True) as uow:
        uow.calls.count_hours(deltas)
        uow.commit()


def seed(app) -> None:
    call_rows, n = [], 0

    def call(when, outcome, caller, *, direction="inbound", source=None, item=None):
        nonlocal n
        n += 1
        inbound = direction == "inbound"
        call_rows.append(dict(
            provider="test", provider_call_id=f"CA{n}", direction=direction,
            from_number=caller if inbound else SHOP, to_number=SHOP if inbound else caller,
            started_at=when, ended_at=when + timedelta(seconds=30), duration_s=30,
            outcome=outcome, raw_status=outcome, source=source, queue_item_id=item))

    # id, phone, first missed call, disposition, first callback, reached (as the sync and
    # the desk keep them on the item: see test_the_item_keeps_its_first_callback below)
    items = [
        (1, X, at(16, 9, 30), None, at(16, 9, 40), at(16, 9, 40)),
        (2, Y, at(16, 10), "lead_created", at(16, 10, 30), None),
        (3, Z, at(17, 8, 15), None, at(17, 9), None),
        (4, W, at(17, 16), None, None, None),
        (5, V, at(15, 23, 30), None, at(16, 8), at(16, 8))]  # before the period
    with app.engine.begin() as db:
        db.execute(insert(tables.queue_items), [dict(
            id=i, phone=p, state="done" if d else "open", urgency="unknown", call_count=1,
            first_call_at=f, last_call_at=f, disposition=d, first_callback_at=cb,
            callback_delay_s=round((cb - f).total_seconds()) if cb else None,
            reached_at=r) for i, p, f, d, cb, r in items])
    call(at(16, 9), "answered", "+17735550199", source="Google Ads")
    call(at(16, 9, 30), "missed", X, source="Google Ads", item=1)
    call(at(16, 10), "voicemail", Y, source="Yelp", item=2)
    call(at(16, 10, 5), "missed", X, source="Google Ads", item=1)  # repeat: one caller
    call(at(16, 11), "answered", "+17735550198", source="Yelp")
    call(at(17, 8, 15), "abandoned", Z, item=3)
    call(at(17, 16), "busy", W, source="Google Ads", item=4)
    call(at(15, 23, 30), "missed", V, item=5)              # before the period
    call(at(18, 0, 10), "answered", "+17735550197")        # after it
    call(at(16, 9, 40), "answered", X, direction="outbound", item=1)   # X reached, 600 s
    call(at(16, 10, 30), "missed", Y, direction="outbound", item=2)    # 1,800 s
    call(at(17, 9), "missed", Z, direction="outbound", item=3)         # 2,700 s
    with app.engine.begin() as db:
        db.execute(insert(tables.calls), call_rows)
    count_hours(app, call_rows)
    with app.engine.begin() as db:
        leads = [  # id, phone, source, saved, delivery state
            (1, Y, "Yelp", at(16, 10, 40), "delivered"),
            (2, Z, "Google Ads", at(17, 10), "failed"),
            (3, "+17735550196", "Referral", at(16, 12), "pending"),
            (4, "+17735550195", "Yelp", at(14, 12), "delivered")]  # Saturday: not counted
        db.execute(insert(tables.leads), [dict(
            id=i, name="Caller", phone=p, service_address="1 Elm St", service_type="Drain",
            urgency="routine", source=s, created_by="Dana", created_at=c,
            idempotency_key=f"key-{i}", delivery_state=d) for i, p, s, c, d in leads])
        jobs = [  # lead, made, status, revenue in cents
            (1, at(17, 14), "scheduled", 45_000),   # booked: a day after Y's lead
            (1, at(17, 15), "scheduled", 5_000),    # a second job from it: one booked lead
            (1, at(15, 14), "scheduled", 99_900),   # made before the lead: not from it
            (2, at(17, 10) + timedelta(days=40), "scheduled", 70_000),  # outside 30 days
            (3, at(16, 15), "Cancelled", 20_000),   # cancelled: not booked
            (4, at(16, 9), "scheduled", 10_000)]    # its lead is outside the period
        db.execute(insert(tables.jobs), [dict(
            lead_id=lead, title="Job", status=st, revenue_cents=cents, crm_provider="builtin",
            crm_id=f"J{k}", created_at=made, updated_at=made)
            for k, (lead, made, st, cents) in enumerate(jobs)])
        # Y's missed call became lead 1 (the desk links them); the Referral lead came
        # from an answered call, Z's lead was typed without its queue item.
        db.execute(update(tables.queue_items).where(tables.queue_items.c.id == 2)
                   .values(lead_id=1))
        tasks = [  # item, due, state
            (1, at(16, 9, 31), "done"), (1, at(16, 11, 40), "skipped"),
            (2, at(16, 10, 1), "failed"), (3, at(17, 10), "pending"),   # overdue: counts
            (4, at(17, 16, 1), "cancelled"),                           # not counted
            (4, at(18, 8), "pending")]                                 # after the period
        db.execute(insert(tables.followup_tasks), [dict(
            queue_item_id=i, phone="+1", step=0, kind="call", due_at=due, state=st,
            created_at=due) for i, due, st in tasks])
