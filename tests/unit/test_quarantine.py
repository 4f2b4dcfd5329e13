"""Quarantine records: what a connector could not read is kept, once per distinct record."""

from __future__ import annotations

from datetime import datetime, timezone

from desktop.domain.quarantine import PAYLOAD_LIMIT, Quarantined, QuarantineRecord


def test_two_bad_records_alike_in_their_first_20000_characters_stay_two():
    """A huge hostile field sorts first in the stored JSON; the fingerprint must still tell
    the records apart, or the second one would be silently dropped as 'seen before'."""
    huge = "\U0009d0e1" * PAYLOAD_LIMIT
    now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    first, second = (QuarantineRecord.of("phone:x", Quarantined(
        "direction is not Inbound or Outbound", {"direction": huge, "id": rid}, rid), now)
        for rid in ("A1", "A2"))
    assert first.fingerprint != second.fingerprint
    assert '"id": "A1"' in first.payload  # the huge field is cut, the others kept
    assert f"({PAYLOAD_LIMIT:,} characters)" in first.payload
    assert len(first.payload) < PAYLOAD_LIMIT
