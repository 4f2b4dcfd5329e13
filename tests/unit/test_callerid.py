"""Caller-ID names shown as people read them; `queue --json` carries both forms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from desktop.domain.callerid import friendly_name
from desktop.services.views import QueueRow


@pytest.mark.parametrize(("raw", "shown"), [
    ("GONZALEZ MARIA", "Maria Gonzalez"),
    ("O'BRIEN  SEAN", "Sean O'brien"),
    ("WIRELESS CALLER", None),
    ("  Unknown ", None),
    ("ANONYMOUS", None),
    ("", None),
    (None, None),
    ("Maria Gonzalez", "Maria Gonzalez"),     # typed by a person: left alone
    ("ACME PLUMBING SUPPLY", "Acme Plumbing Supply"),  # not two words: order kept
])
def test_friendly_name(raw, shown):
    assert friendly_name(raw) == shown


def test_queue_json_gives_the_name_and_keeps_the_raw_caller_id():
    now = datetime(2026, 11, 17, 15, 0, tzinfo=timezone.utc)
    row = QueueRow(id=1, phone="+13125550142", caller_name="WIRELESS CALLER", calls=1,
                   call_ids=("CA1",), first_call_at=now, last_call_at=now, outcome="missed",
                   transcript=None, urgency="unknown", state="open", owner=None, source=None,
                   disposition=None, callback_attempts=0, follow_up_at=None,
                   resolved_at=None, lead_id=None)
    data = row.to_json(now, timedelta(minutes=5))
    assert data["caller_name"] is None and data["caller_id"] == "WIRELESS CALLER"
