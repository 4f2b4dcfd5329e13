"""Small display helpers shared by the widgets and the report (portable: no %-I, which
Windows lacks)."""

from __future__ import annotations

from datetime import datetime, timedelta


def clock_time(moment: datetime, zone) -> str:
    return f"{moment.astimezone(zone):%I:%M %p}".lstrip("0")


def day_and_time(moment: datetime, zone, today) -> str:
    local = moment.astimezone(zone)
    return clock_time(moment, zone) if local.date() == today else \
        f"{local:%a %b %d}, {clock_time(moment, zone)}"


def format_age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


def format_duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def money(value: float) -> str:
    return f"${value:,.0f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def minutes_text(seconds: float | None, none: str = "—") -> str:
    """A wait in the unit an owner reads it in ("12 min", "3.5 h", "2.5 days")."""
    if seconds is None:
        return none
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
