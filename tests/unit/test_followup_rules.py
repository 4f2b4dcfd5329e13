"""The follow-up plan's pure rules: parsing a plan, the business calendar with holidays,
the text-back template, greeting names and who covers an away owner."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.followup import (DEFAULT_PLAN, DEFAULT_TEXTBACK, BusinessCalendar,
                                     FollowUpError, FollowUpTask, Plan, Staffing, TaskKind,
                                     TaskState, callback_window, check_textback, first_name,
                                     parse_holidays, render_textback)
from desktop.domain.oncall import DEFAULT_HOURS, OpeningHours

CHICAGO = ZoneInfo("America/Chicago")
CALENDAR = BusinessCalendar(OpeningHours.parse(DEFAULT_HOURS), CHICAGO,
                            parse_holidays(["2026-12-25"]))


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=CHICAGO)


def test_the_default_plan_reads_as_the_owner_expects():
    plan = Plan.parse(DEFAULT_PLAN)
    assert [s.kind for s in plan.steps] == ["text", "call", "call", "call", "close"]
    assert plan.opening_steps() == [0, 1]  # the text-back and the first callback
    assert plan.close_step() == 4
    assert plan.describe().startswith("Text-back at once; Callback at once; Callback 2h later")


@pytest.mark.parametrize("raw, words", [
    ([], "a list of steps"),
    ([{"do": "email", "at": "now"}], "text, call or close"),
    ([{"do": "call", "at": "tomorrow"}], "next_morning or a delay"),
    ([{"do": "call", "at": "now"}, {"do": "text", "at": "now"}], "first step"),
    ([{"do": "text", "at": "now"}, {"do": "text", "at": "1h"}], "texted once"),
    ([{"do": "close", "at": "1h"}, {"do": "call", "at": "now"}], "last step"),
    ([{"do": "call", "when": "now"}], "\"do\" and \"at\""),
])
def test_a_bad_plan_is_refused_naming_the_step(raw, words):
    with pytest.raises(FollowUpError, match=words):
        Plan.parse(raw)


def test_callbacks_wait_for_opening_hours_and_skip_holidays():
    plan = Plan.parse(DEFAULT_PLAN)
    two_hours = plan.steps[2]
    # Wednesday 16:30 + 2 h = 18:30, closed: Thursday 08:00.
    assert two_hours.due(at(2026, 12, 23, 16, 30), CALENDAR) == at(2026, 12, 24, 8, 0)
    # Thursday 24th 16:00 + 2 h: Friday is Christmas, the weekend follows: Monday.
    assert two_hours.due(at(2026, 12, 24, 16, 0), CALENDAR) == at(2026, 12, 28, 8, 0)
    morning = plan.steps[3]
    assert morning.due(at(2026, 12, 28, 7, 0), CALENDAR) == at(2026, 12, 29, 8, 0)
    # A text is not held to opening hours (its own rules are the recipient's clock).
    assert plan.steps[0].due(at(2026, 12, 23, 19, 0), CALENDAR) == at(2026, 12, 23, 19, 0)


def test_a_shop_that_is_never_open_is_told_so():
    closed = BusinessCalendar(OpeningHours.parse({}), CHICAGO)
    with pytest.raises(FollowUpError, match="never open"):
        closed.next_morning(at(2026, 12, 23, 9, 0))
    with pytest.raises(FollowUpError, match="not a date"):
        parse_holidays(["Christmas"])


def test_the_text_promises_a_callback_the_shop_can_keep():
    assert callback_window(at(2026, 12, 23, 10, 0), CALENDAR) == "within the hour"
    assert callback_window(at(2026, 12, 23, 16, 30), CALENDAR) == "tomorrow morning after 8:00 AM"
    assert callback_window(at(2026, 12, 23, 6, 0), CALENDAR) == "today after 8:00 AM"
    assert callback_window(at(2026, 12, 24, 18, 0), CALENDAR) == "on Monday after 8:00 AM"


@pytest.mark.parametrize("caller_id, greeting", [
    ("Maria Lopez", "Maria"), ("WIRELESS CALLER", ""), ("LOPEZ MARIA", ""),
    ("Chicago IL", "Chicago"), ("J. Smith", ""), (None, ""), ("Caller 7735550142", ""),
])
def test_a_greeting_uses_a_first_name_only_when_it_is_one(caller_id, greeting):
    assert first_name(caller_id) == greeting


def test_the_template_takes_only_its_fields_and_must_offer_opt_out():
    check_textback(DEFAULT_TEXTBACK)
    text = render_textback(DEFAULT_TEXTBACK, business="Riverside", caller_name=None,
                           callback_window="within the hour")
    assert text.startswith("Hi, this is Riverside.") and "Reply STOP" in text
    with pytest.raises(FollowUpError, match=r"\{address\}"):
        check_textback("Hi {address}. Reply STOP")
    with pytest.raises(FollowUpError, match="opt out"):
        check_textback("Hi from {business}")
    with pytest.raises(FollowUpError, match="stray brace"):
        check_textback("Hi {business. Reply STOP")
    with pytest.raises(FollowUpError, match="too long"):
        check_textback("x" * 300 + " {business} Reply STOP")


def test_a_task_is_finished_once_and_a_person_says_why_they_skip():
    task = FollowUpTask(1, "+17735550142", 1, TaskKind.CALL, at(2026, 12, 23, 9, 0),
                        at(2026, 12, 23, 9, 0))
    with pytest.raises(FollowUpError, match="say why"):
        task.finish(TaskState.SKIPPED, "person:Dana", at(2026, 12, 23, 9, 5))
    task.finish(TaskState.DONE, "person:Dana", at(2026, 12, 23, 9, 5), "called back")
    with pytest.raises(FollowUpError, match="already done"):
        task.finish(TaskState.SKIPPED, "person:Dana", at(2026, 12, 23, 9, 6), "oops")


def test_an_away_owner_is_covered_by_their_backup():
    staff = Staffing(frozenset({"Dana", "Lee"}), {"Dana": "Lee", "Lee": "Sam"})
    assert staff.cover("Dana") == "Sam"  # Lee is away too: his backup
    assert staff.cover("Sam") == "Sam" and staff.cover(None) is None
    assert Staffing(frozenset({"Dana"}), {}).cover("Dana") is None  # nobody named: anyone
    loop = Staffing(frozenset({"A", "B"}), {"A": "B", "B": "A"})
    assert loop.cover("A") is None  # everyone in the chain is away: anyone takes it
    assert date(2026, 12, 25) in CALENDAR.holidays
