"""The Outcomes metrics against a hand-computed fixture on a real SQLite database.

Two days in Chicago (Mon 2026-11-16 and Tue 2026-11-17, UTC-6), with a call before and
after the period that must not count. Every figure below was worked out by hand from the
rows, following the definitions in desktop/domain/outcomes.py (and the README)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from outcomes_fixture import CHICAGO, SHOP, X, at, seed

from desktop.domain.outcomes import Period, PeriodError, percentile

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
        "callers_to_leads": 1,     # Y
        "time_to_callback_median_s": 1800.0,   # of 600, 1800, 2700
        "time_to_callback_p90_s": 2520.0,      # 1800 + 0.8 x (2700 - 1800)
        "qualified_leads": 3, "leads_delivered": 1, "delivery_failures": 1,
        "followup_completion": 0.25,           # 1 done of done, skipped, failed, overdue
        "booked_jobs": 2, "booked_revenue": 500.0,  # Y's two jobs
        "booking_rate": 1 / 3,     # of 3 leads, 1 booked (twice: it counts once)
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
                 "qualified_leads": 1, "booked_jobs": 2, "booked_revenue": 500.0,
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
    assert (got.booked_jobs, got.booked_revenue) == (3, 1200.0)  # Z's job on day 40 counts
    assert got.booking_rate == 2 / 3


def test_the_command_line_prints_the_metrics_as_one_json_object(cli, app):
    code, out, _ = cli("outcomes", "--from", "2026-11-16", "--to", "2026-11-17", "--json")
    assert code == 0
    document = json.loads(out)
    assert {"inbound_calls", "answered", "missed", "answer_rate", "missed_callers",
            "callers_reached", "time_to_callback_median_s", "time_to_callback_p90_s",
            "qualified_leads", "leads_delivered", "delivery_failures", "followup_completion",
            "booked_jobs", "booked_revenue", "booking_rate", "by_source"} <= set(document)
    assert document["inbound_calls"] == 7 and document["booked_revenue"] == 500.0
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
    assert item.callback_delay_s == 300

    def outbound(when, outcome):
        return Call(provider="t", provider_call_id=f"CA{when:%H%M}",
                    direction=Direction.OUTBOUND, from_number=SHOP, to_number=X,
                    started_at=when, outcome=outcome, raw_status=outcome)
    item.add_callback_attempt(outbound(at(16, 9, 36), "missed"))  # the same click, seen
    item.add_callback_attempt(outbound(at(16, 11, 0), "answered"))
    assert item.first_callback_at == at(16, 9, 35) and item.reached_at == at(16, 11, 0)
    assert item.callback_delay_s == 300  # the first callback's, not the answered one's
    early = QueueItem(phone=X, first_call_at=at(16, 9, 30), last_call_at=at(16, 9, 30))
    early.add_callback_attempt(outbound(at(16, 9, 50), "missed"))
    early.add_callback_attempt(outbound(at(16, 9, 40), "missed"))  # read late, made earlier
    assert (early.first_callback_at, early.callback_delay_s) == (at(16, 9, 40), 600)


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
    assert metrics[("Yelp", "booked_revenue")] == "500.0"
    calls = read("calls")
    assert len(calls) == 10  # 7 inbound and 3 callbacks in the two days
    assert calls[0]["started_at"] == "2026-11-16T09:00:00-06:00"  # local, with the offset
    leads = read("leads")
    assert [r["source"] for r in leads] == ["Yelp", "Referral", "Google Ads"]
    code, _, err = cli("outcomes", "--csv", str(tmp_path / "nowhere"))
    assert code == 2 and "there is no folder" in err


def test_a_job_booked_in_the_built_in_crm_counts_for_its_lead(app_factory, clock):
    """The built-in CRM's own "new job": on the lead's customer, carrying the lead, so
    Outcomes attributes it; wrong input is named and nothing is stored."""
    from desktop.domain.changelog import person
    from desktop.domain.leads import LeadDraft
    clock.set(at(16, 9))
    app = app_factory()
    app.settings_service.set("business.timezone", "America/Chicago", "person:owner")
    app = app_factory()
    lead = app.leads.create(LeadDraft.from_mapping({
        "name": "Ana Ruiz", "phone": "(773) 555-0142", "service_address": "1 Elm St, Chicago",
        "service_type": "Water heater", "urgency": "routine", "source": "Yelp"}), "Dana")
    for lead_id, title, value, words in ((999, "Water heater", 100, "There is no lead 999."),
                                         (lead.id, "  ", 100, "A job needs a title"),
                                         (lead.id, "Water heater", -5, "cannot be negative")):
        with pytest.raises(ValueError, match=words):
            app.builtin.book_job(lead_id, title, value, clock(), person("Dana"))
    clock.set(at(17, 11))
    job = app.builtin.book_job(lead.id, "Water heater swap", 1850.5, clock(), person("Dana"),
                               scheduled_at=at(19, 8))
    with app.uow() as uow:
        assert uow.jobs.get(job.id).contact_id == uow.leads.get(lead.id).contact_id
        entry = list(uow.changelog.entries(limit=1, newest_first=True))[0]
    assert (entry.entity, entry.action, entry.reason) == ("job", "created",
                                                          f"booked from lead {lead.id}")
    assert "Water heater swap" in str(entry.after) and "1850" not in str(entry.after)  # no
    # money in the change log: the whole desk reads it, revenue is the owner's
    got = app.outcomes.compute(Period(at(16, 0).date(), at(17, 0).date(), CHICAGO))
    assert (got.qualified_leads, got.booked_jobs, got.booked_revenue) == (1, 1, 1850.5)
    assert got.by_source["Yelp"].booked_jobs == 1


def test_the_demo_history_is_lived_through_the_services(tmp_path):
    """`frontdesk --demo`'s past: real calls, callbacks, leads, jobs and closings, with an
    intact change log; the same clock gives the same history."""
    import shutil

    from desktop.bootstrap import make_demo_dir, open_app
    moment = datetime(2026, 11, 18, 15, 0, tzinfo=CHICAGO)  # a Wednesday afternoon
    days = []
    figures = []
    for _run in range(2):
        folder = make_demo_dir(lambda: moment, history_days=4,
                               progress=lambda done, total: days.append((done, total)))
        app = open_app(folder, clock=lambda: moment, log_to_file=False)
        try:
            zone = app.outcomes.zone
            local = moment.astimezone(zone).date()
            result = app.outcomes.compute(Period(local - timedelta(days=4),
                                                 local - timedelta(days=1), zone))
            assert app.changelog.verify() is None
            figures.append(result.to_json())
            with app.uow() as uow:
                jobs = uow.jobs.all_for("builtin")
        finally:
            app.close()
            shutil.rmtree(folder, ignore_errors=True)
        assert result.inbound_calls > 100 and 0.5 < result.answer_rate < 0.8
        assert result.missed_callers > 30 and result.callers_reached > result.missed_callers / 2
        assert result.qualified_leads >= 10 and result.leads_delivered == result.qualified_leads
        assert result.booked_jobs >= 3 and result.booked_revenue > 0
        assert all(job.lead_id is not None for job in jobs)
        assert result.time_to_callback_median_s is not None
    assert figures[0] == figures[1]
    assert days[-1] == (4, 4)


def test_local_days_and_hours_hold_across_the_clock_change():
    """Hourly UTC counts land on the right local day and hour on the night the clocks
    spring forward (Chicago, 2026-03-08: 02:00 CST is 03:00 CDT) and on a plain day."""
    from desktop.domain.outcomes import Outcomes
    from desktop.services.outcomes import OutcomesService
    service = OutcomesService(None, CHICAGO)
    result = Outcomes(Period(date(2026, 3, 7), date(2026, 3, 9), CHICAGO))
    service._calls(result, [("2026-03-08 05", 1, 0),   # 23:00 CST on Saturday the 7th
                            ("2026-03-08 07", 0, 1),   # 01:00 CST
                            ("2026-03-08 09", 0, 2),   # 04:00 CDT (03:00 CST was skipped)
                            ("2026-03-09 14", 3, 1)])  # 09:00 CDT on Monday
    assert result.per_day == {date(2026, 3, 7): [1, 0], date(2026, 3, 8): [0, 3],
                              date(2026, 3, 9): [3, 1]}
    sunday, monday = result.missed_by_hour[6], result.missed_by_hour[0]
    assert (sunday[1], sunday[4], monday[9]) == (1, 2, 1)
    assert (result.answered, result.inbound_calls) == (4, 8)
