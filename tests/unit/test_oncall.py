"""Opening hours, the on-call rota (weekly, date overrides, the handover hour) and the
approved escalation text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.oncall import (DEFAULT_HOURS, DEFAULT_TEMPLATE, SMS_LIMIT, OpeningHours,
                                   Rota, check_template, render_escalation)

CHICAGO = ZoneInfo("America/Chicago")
SAM = {"name": "Sam Ortiz", "phone": "(312) 555-0199"}
LEE = {"name": "Lee Park", "phone": "+13125550111"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO)


def test_opening_hours_in_the_shops_zone():
    hours = OpeningHours.parse(DEFAULT_HOURS)
    assert hours.is_open(at("2026-11-24T09:00"), CHICAGO)          # a Tuesday morning
    assert not hours.is_open(at("2026-11-24T17:00"), CHICAGO)      # closing time
    assert not hours.is_open(at("2026-11-28T10:00"), CHICAGO)      # Saturday: closed
    with pytest.raises(ValueError, match="tue: opening hours must look like 08:00-17:00"):
        OpeningHours.parse({"tue": "8 to 5"})
    with pytest.raises(ValueError, match="closes"):
        OpeningHours.parse({"mon": "17:00-08:00"})


def test_the_duty_day_runs_from_handover_to_handover_and_overrides_win():
    rota = Rota.parse({"mon": SAM, "tue": LEE}, {"2026-11-24": SAM})
    assert rota.on_call(at("2026-11-23T20:00"), CHICAGO).name == "Sam Ortiz"   # Mon night
    assert rota.on_call(at("2026-11-24T02:00"), CHICAGO).name == "Sam Ortiz"   # still Mon's
    assert rota.on_call(at("2026-11-24T08:00"), CHICAGO).name == "Sam Ortiz"   # Tue, swapped
    assert rota.on_call(at("2026-12-01T08:00"), CHICAGO).name == "Lee Park"    # a plain Tue
    assert rota.on_call(at("2026-11-25T12:00"), CHICAGO) is None               # Wed: nobody
    assert rota.weekly["mon"].phone == "+13125550199"                          # E.164
    with pytest.raises(ValueError, match="rota fri: Bob's phone"):
        Rota.parse({"fri": {"name": "Bob", "phone": "555"}})
    with pytest.raises(ValueError, match="2026-12-25"):
        Rota.parse({}, {"Christmas": SAM})


def test_the_escalation_text_uses_only_the_approved_fields():
    text = render_escalation(DEFAULT_TEMPLATE, {
        "business": "Riverside Plumbing", "caller_name": "Maria Gonzalez",
        "caller_phone": "(773) 555-0142", "reasons": "water coming in",
        "address": None, "transcript": "water pouring through the ceiling"})
    assert text.startswith("Riverside Plumbing EMERGENCY: Maria Gonzalez (773) 555-0142")
    assert "Address: unknown" in text and "water pouring through the ceiling" in text
    long = render_escalation(DEFAULT_TEMPLATE, {"transcript": "help " * 400})
    assert len(long) <= SMS_LIMIT and "…" in long
    with pytest.raises(ValueError, match="not password"):
        check_template("Call {caller_phone}, code {password}")
