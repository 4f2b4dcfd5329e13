"""The Outcomes metrics against a hand-computed fixture on a real SQLite database.

Two days in Chicago (Mon 2026-11-16 and Tue 2026-11-17, UTC-6), with a call before and
after the period that must not count. Every figure below was worked out by hand from the
rows, following the definitions in desktop/domain/outcomes.py (and the README)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from desktop.adapters.db import tables
from desktop.domain.outcomes import Period, PeriodError, percentile
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
            (1, at(15, 14), "scheduled", 99_900),   # made before the lead: not from it
            (2, at(17, 10) + timedelta(days=40), "scheduled", 70_000),  # outside 30 days
            (3, at(16, 15), "Cancelled", 20_000),   # cancelled: not booked
            (4, at(16, 9), "scheduled", 10_000)]    # its lead is outside the period
        db.execute(insert(tables.jobs), [dict(
            lead_id=lead, title="Job", status=st, revenue_cents=cents, crm_provider="builtin",
            crm_id=f"J{k}", created_at=made, updated_at=made)
            for k, (lead, made, st, cents) in enumerate(jobs)])
        tasks = [  # item, due, state
            (1, at(16, 9, 31), "done"), (1, at(16, 11, 40), "skipped"),
            (2, at(16, 10, 1), "failed"), (3, at(17, 10), "pending"),   # overdue: counts
            (4, at(17, 16, 1), "cancelled"),                           # not counted
            (4, at(18, 8), "pending")]                                 # after the period
        db.execute(insert(tables.followup_tasks), [dict(
            queue_item_id=i, phone="+1", step=0, kind="call", due_at=due, state=st,
            created_at=due) for i, due, st in tasks])


@pytest.fixture
def app(app_factory, clock):
    clock.set(at(18, 12))  # Wednesday noon: the period is over
    app = app_factory()
    app.settings_service.set("business.timezone", "America/Chicago", "person:owner")
    app = app_factory()
    seed(app)
    return app


def test_every_metric_equals_the_hand_computation(app):
    got = app.outcomes.compute(Period(at(16, 0).date(), at(17, 0).date(), CHICAGO)).to_json()
    by_source = got.pop("by_source")
    by_day = got.pop("by_day")
    grid = got.pop("missed_by_weekday_hour")
    assert got == {
        "from": "2026-11-16", "to": "2026-11-17",
        "inbound_calls": 7, "answered": 2, "missed": 5,
        "missed_by_reason": {"missed": 2, "voicemail": 1, "abandoned": 1, "busy": 1,
                             "failed": 0},
        "answer_rate": 2 / 7,
        "missed_callers": 4,       # X (twice: one caller), Y, Z, W
        "callers_reached": 2,      # X (answered callback), Y (lead created)
        "time_to_callback_median_s": 1800.0,   # of 600, 1800, 2700
        "time_to_callback_p90_s": 2520.0,      # 1800 + 0.8 x (2700 - 1800)
        "qualified_leads": 3, "leads_delivered": 1, "delivery_failures": 1,
        "followup_completion": 0.25,           # 1 done of done, skipped, failed, overdue
        "booked_jobs": 1, "booked_revenue": 450.0, "booking_rate": 1 / 3,
    }
    assert by_source == {
        "(unknown)": {"inbound_calls": 1, "answered": 0, "missed": 1, "answer_rate": 0.0,
                      "qualified_leads": 0, "booked_jobs": 0, "booked_revenue": 0.0,
                      "booking_rate": None},
        "Google Ads": {"inbound_calls": 4, "answered": 1, "missed": 3, "answer_rate": 0.25,
                       "qualified_leads": 1, "booked_jobs": 0, "booked_revenue": 0.0,
                       "booking_rate": 0.0},
        "Referral": {"inbound_calls": 0, "answered": 0, "missed": 0, "answer_rate": None,
                     "qualified_leads": 1, "booked_jobs": 0, "booked_revenue": 0.0,
                     "booking_rate": 0.0},
        "Yelp": {"inbound_calls": 2, "answered": 1, "missed": 1, "answer_rate": 0.5,
                 "qualified_leads": 1, "booked_jobs": 1, "booked_revenue": 450.0,
                 "booking_rate": 1.0},
    }
    assert by_day == [{"day": "2026-11-16", "answered": 2, "missed": 3},
                      {"day": "2026-11-17", "answered": 0, "missed": 2}]
    expected = [[0] * 24 for _ in range(7)]
    expected[0][9], expected[0][10], expected[1][8], expected[1][16] = 1, 2, 1, 1
    assert grid == expected


def test_the_attribution_window_is_the_owners(app_factory, app):
    from desktop.domain.changelog import person
    app.settings_service.set("outcomes.attribution_days", 45, person("owner"))
    wider = app_factory()
    got = wider.outcomes.compute(Period(at(16, 0).date(), at(17, 0).date(), CHICAGO))
    assert (got.booked_jobs, got.booked_revenue) == (2, 1150.0)  # Z's job on day 40 counts


def test_the_command_line_prints_the_metrics_as_one_json_object(cli, app):
    code, out, _ = cli("outcomes", "--from", "2026-11-16", "--to", "2026-11-17", "--json")
    assert code == 0
    document = json.loads(out)
    assert {"inbound_calls", "answered", "missed", "answer_rate", "missed_callers",
            "callers_reached", "time_to_callback_median_s", "time_to_callback_p90_s",
            "qualified_leads", "leads_delivered", "delivery_failures", "followup_completion",
            "booked_jobs", "booked_revenue", "booking_rate", "by_source"} <= set(document)
    assert document["inbound_calls"] == 7 and document["booked_revenue"] == 450.0
    code, out, _ = cli("outcomes", "--from", "2026-11-16", "--to", "2026-11-17")
    assert code == 0 and "inbound calls 7: answered 2, missed 5" in out
    code, _, err = cli("outcomes", "--from", "16/11/2026")
    assert code == 2 and "--from must be a date like 2026-11-01" in err
    code, _, err = cli("outcomes", "--from", "2026-11-17", "--to", "2026-11-16")
    assert code == 2 and "ends (2026-11-16) before it starts" in err
    code, _, err = cli("outcomes", "--period", "fortnight")
    assert code == 2 and "unknown period" in err


def test_named_periods_and_percentiles():
    wednesday = at(18, 0).date()
    assert Period.named("this_week", wednesday, CHICAGO).first == at(16, 0).date()
    assert Period.named("last_month", wednesday, CHICAGO).first.isoformat() == "2026-10-01"
    with pytest.raises(PeriodError):
        Period.named("someday", wednesday, CHICAGO)
    assert percentile([], 90) is None and percentile([5.0], 90) == 5.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    period = Period(at(16, 0).date(), at(17, 0).date(), CHICAGO)
    assert (period.start.isoformat(), period.end.isoformat()) == (
        "2026-11-16T06:00:00+00:00", "2026-11-18T06:00:00+00:00")


def test_the_item_keeps_its_first_callback_and_when_it_was_reached():
    """What the callers' figures read: kept on the item by the sync and the desk."""
    from desktop.domain.calls import Call, Direction
    from desktop.domain.queue import QueueItem
    item = QueueItem(phone=X, first_call_at=at(16, 9, 30), last_call_at=at(16, 9, 30))
    item.mark_called_back("Dana", at(16, 9, 35), timedelta(hours=2))  # clicked at the desk
    assert item.first_callback_at == at(16, 9, 35) and item.reached_at is None

    def outbound(when, outcome):
        return Call(provider="t", provider_call_id=f"CA{when:%H%M}",
                    direction=Direction.OUTBOUND, from_number=SHOP, to_number=X,
                    started_at=when, outcome=outcome, raw_status=outcome)
    item.add_callback_attempt(outbound(at(16, 9, 36), "missed"))  # the same click, seen
    item.add_callback_attempt(outbound(at(16, 11, 0), "answered"))
    assert item.first_callback_at == at(16, 9, 35) and item.reached_at == at(16, 11, 0)


def test_the_sync_keeps_the_hourly_counts_equal_to_the_calls(app_factory, clock):
    """Counted as stored and as restated, the hourly counts agree with a plain count of
    the calls after a week of simulated traffic and a second, overlapping poll."""
    from sqlalchemy import text
    from desktop.domain.changelog import person
    clock.set(at(18, 12))
    app = app_factory()
    app.settings_service.set_many({"phone.provider": "simulator",
                                   "business.timezone": "America/Chicago"}, person("owner"))
    app = app_factory()
    assert app.sync.poll().new_calls > 200
    clock.advance(hours=3)
    app.sync.poll()
    with app.engine.connect() as db:
        counted = dict(((h, s, o), n) for h, s, o, n in db.execute(text(
            "SELECT hour, source, 'answered', answered FROM call_hours UNION ALL "
            "SELECT hour, source, 'missed', missed FROM call_hours UNION ALL "
            "SELECT hour, source, 'voicemail', voicemail FROM call_hours UNION ALL "
            "SELECT hour, source, 'abandoned', abandoned FROM call_hours UNION ALL "
            "SELECT hour, source, 'busy', busy FROM call_hours UNION ALL "
            "SELECT hour, source, 'failed', failed FROM call_hours")) if n)
        direct = dict(((h, s, o), n) for h, s, o, n in db.execute(text(
            "SELECT substr(started_at, 1, 13), coalesce(source, ''), outcome, count(*) "
            "FROM calls WHERE direction = 'inbound' GROUP BY 1, 2, 3")))
    assert counted == direct and sum(direct.values()) > 200


def test_the_period_exports_to_csv_for_a_spreadsheet(cli, app, tmp_path):
    import csv
    folder = tmp_path / "export"
    folder.mkdir()
    code, _, err = cli("outcomes", "--from", "2026-11-16", "--to", "2026-11-17", "--csv",
                       str(folder))
    assert code == 0 and err.count("wrote ") == 3

    def read(name):
        path = folder / f"outcomes-2026-11-16_2026-11-17-{name}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    metrics = {(r["scope"], r["metric"]): r["value"] for r in read("metrics")}
    assert metrics[("overall", "inbound_calls")] == "7"
    assert metrics[("overall", "missed_voicemail")] == "1"
    assert metrics[("Yelp", "booked_revenue")] == "450.0"
    calls = read("calls")
    assert len(calls) == 10  # 7 inbound and 3 callbacks in the two days
    assert calls[0]["started_at"] == "2026-11-16T09:00:00-06:00"  # local, with the offset
    leads = read("leads")
    assert [r["source"] for r in leads] == ["Yelp", "Referral", "Google Ads"]
    code, _, err = cli("outcomes", "--csv", str(tmp_path / "nowhere"))
    assert code == 2 and "there is no folder" in err
