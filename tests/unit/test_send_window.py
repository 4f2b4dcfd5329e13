"""When an automated text may go: recipient time from the number, 08:00-21:00, stricter
state rules, a blocked send moved to the next allowed moment (Hawaii, Arizona, Florida
and a daylight-saving change)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from desktop.domain.send_window import is_allowed, next_allowed, recipient

SHOP = "America/Chicago"


def local(zone: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_the_recipients_zone_and_state_come_from_the_number():
    assert recipient("+18085550142", SHOP).zones == (ZoneInfo("Pacific/Honolulu"),)
    assert recipient("+16025550142", SHOP).zones == (ZoneInfo("America/Phoenix"),)
    miami = recipient("+13055550142", SHOP)
    assert miami.state == "FL" and miami.zones == (ZoneInfo("America/New_York"),)
    assert recipient("+13125550142", SHOP).state == "IL"
    assert recipient("not a number", SHOP).zones == (ZoneInfo(SHOP),)  # the shop's zone


def test_a_text_due_at_21_30_recipient_time_goes_at_08_00_next_day_there():
    for number, zone in (("+18085550142", "Pacific/Honolulu"),
                         ("+16025550142", "America/Phoenix"),
                         ("+13055550142", "America/New_York")):
        who = recipient(number, SHOP)
        due = local(zone, "2026-07-14T21:30")
        assert is_allowed(due, who) is not None
        assert next_allowed(due, who) == local(zone, "2026-07-15T08:00"), number


def test_florida_stops_at_20_00_and_allows_three_texts_a_day():
    who = recipient("+13055550142", SHOP)
    assert "Florida Telephone Solicitation Act" in is_allowed(
        local("America/New_York", "2026-07-14T20:30"), who)
    sent = [local("America/New_York", f"2026-07-14T{h:02d}:00") for h in (9, 11, 13)]
    at = local("America/New_York", "2026-07-14T15:00")
    assert "3 texts in the last 24 hours" in is_allowed(at, who, sent)
    # The fourth may go once the first of the three is 24 hours old: 09:00 next day.
    assert next_allowed(at, who, sent) == local("America/New_York",
                                                "2026-07-15T09:00:01")


def test_across_the_daylight_saving_change():
    # US clocks spring forward on Sunday 2026-03-08. New York moves; Arizona does not.
    ny, az = recipient("+12125550142", SHOP), recipient("+16025550142", SHOP)
    due = local("America/New_York", "2026-03-07T21:30")
    moved = next_allowed(due, ny)
    assert moved == local("America/New_York", "2026-03-08T08:00")
    assert moved.astimezone(timezone.utc) == datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)
    due_az = local("America/Phoenix", "2026-03-07T21:30")
    assert next_allowed(due_az, az).astimezone(timezone.utc) == datetime(
        2026, 3, 8, 15, 0, tzinfo=timezone.utc)  # 08:00 MST all year
    assert next_allowed(due_az + timedelta(hours=11), az) == due_az + timedelta(hours=11)
