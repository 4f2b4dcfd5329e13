"""Records from a provider that we cannot use: logged, kept for a person to inspect, and
skipped, so one bad record never stops a sync."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

PAYLOAD_LIMIT = 20_000  # characters of the raw record kept; hostile data may be huge


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
        text = json.dumps(item.payload, default=str, sort_keys=True)[:PAYLOAD_LIMIT]
        digest = hashlib.sha256(f"{item.reason}\n{text}".encode()).hexdigest()
        return cls(source=source, reason=item.reason[:500], payload=text, fingerprint=digest,
                   received_at=now, external_id=(item.external_id or None) and
                   str(item.external_id)[:128])
