"""Records from a provider that we cannot use: logged, kept for a person to inspect, and
skipped, so one bad record never stops a sync."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

PAYLOAD_LIMIT = 20_000  # characters of the raw record kept; hostile data may be huge
FIELD_LIMIT = 1_000     # characters of any one text field kept


@dataclass(frozen=True)
class Quarantined:
    """What an adapter yields in place of a ProviderCall it could not read."""

    reason: str
    payload: object           # the raw record as the provider sent it (JSON-able)
    external_id: str | None = None


@dataclass(eq=False)
class QuarantineRecord:
    source: str               # "phone:twilio"
    reason: str
    payload: str              # JSON text, cut to PAYLOAD_LIMIT
    fingerprint: str          # the same bad record quarantined twice is stored once
    received_at: datetime
    external_id: str | None = None
    id: int | None = None

    @classmethod
    def of(cls, source: str, item: Quarantined, now: datetime) -> QuarantineRecord:
        whole = json.dumps(item.payload, default=str, sort_keys=True)
        # The fingerprint covers the whole record: two records alike in their first 20,000
        # characters (a huge hostile field sorts first) are still two records.
        digest = hashlib.sha256(f"{item.reason}\n{whole}".encode()).hexdigest()
        return cls(source=source, reason=item.reason[:500], payload=stored_text(item.payload),
                   fingerprint=digest,
                   received_at=now, external_id=(item.external_id or None) and
                   str(item.external_id)[:128])


def stored_text(payload) -> str:
    """What is kept of a raw record: every field, each long text cut short, so one huge
    field cannot push the others (the id, the link) out of what a person reads later."""
    return json.dumps(_clip(payload), default=str, sort_keys=True)[:PAYLOAD_LIMIT]


def _clip(value):
    if isinstance(value, str):
        return value if len(value) <= FIELD_LIMIT else (
            value[:FIELD_LIMIT] + f"… ({len(value):,} characters)")
    if isinstance(value, dict):
        return {str(k): _clip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip(v) for v in value]
    return value
