"""Duplicate warnings for the lead form and `frontdesk lead check`.

The domain's DuplicateIndex (desktop/domain/duplicates.py) answers from memory in well under
a millisecond; this service keeps it filled from the database: the customer list (built-in
CRM, imported, or cached from the shop's CRM) and the leads already taken. It loads
everything once, then only what is new or changed since, at most every few seconds, so
a check never waits on a full reload.
"""

from __future__ import annotations

import gc
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

from desktop.domain.duplicates import Candidate, DuplicateIndex, Match
from desktop.domain.phone import InvalidPhone, to_e164
from desktop.services.unit_of_work import UnitOfWorkFactory

REFRESH_SECONDS = 5.0
BULK = 5_000  # rows in one load from which the collector is paused (see _long_lived)


@dataclass(frozen=True)
class MatchView:
    id: int
    kind: str              # "contact" or "lead"
    score: float
    same_person: bool
    reasons: tuple[str, ...]
    name: str
    phone: str | None
    email: str | None
    address: str | None

    @classmethod
    def of(cls, match: Match) -> MatchView:
        return cls(id=match.id, kind=match.kind, score=round(match.score, 3),
                   same_person=match.same_person, reasons=tuple(match.reasons),
                   name=match.name, phone=match.phone, email=match.email,
                   address=match.address)

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "score": self.score,
                "same_person": self.same_person, "reasons": list(self.reasons),
                "name": self.name, "phone": self.phone, "email": self.email,
                "address": self.address}


class DuplicateService:
    def __init__(self, uow_factory: UnitOfWorkFactory, region: str = "US",
                 refresh_seconds: float = REFRESH_SECONDS, monotonic=time.monotonic):
        self._uow, self.region = uow_factory, region
        self._refresh_s, self._monotonic = refresh_seconds, monotonic
        self._index: DuplicateIndex | None = None
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._stale = True
        self._contact_mark: tuple[int, datetime | None] = (0, None)
        self._lead_mark = 0

    def check(self, values: dict[str, str | None], limit: int = 10) -> list[MatchView]:
        """Matches for a would-be lead, best first; writes nothing."""
        phone = _e164(values.get("phone"), self.region)
        with self._lock:  # the index is not thread-safe; a check takes a millisecond or two
            matches = self._fresh().check(
                name=(values.get("name") or "").strip(), phone=phone,
                email=(values.get("email") or "").strip() or None,
                address=(values.get("service_address") or "").strip() or None,
                limit=limit + 5)
        views = [MatchView.of(m) for m in matches]
        return _drop_leads_of_matched_contacts(views, self._lead_contacts(views))[:limit]

    def warm(self) -> int:
        """Load the index now (a worker thread at start-up; 100,000 customers take a few
        seconds), so the first lead form's warnings come at once. Returns its size."""
        with self._lock:
            return len(self._fresh())

    def invalidate(self) -> None:
        """Something was just written (a lead saved, customers imported): look next time."""
        self._stale = True

    # -- keeping the index fresh ----------------------------------------------------------
    def _fresh(self) -> DuplicateIndex:
        """The index, with what changed in the database since the last look (called with
        the lock held)."""
        if self._index is None:
            self._index = DuplicateIndex()
        if self._stale or self._monotonic() - self._loaded_at >= self._refresh_s:
            self._stale = False  # an invalidate() arriving during the load sets it again
            self._loaded_at = self._monotonic()
            self._load_changes(self._index)
        return self._index

    def _load_changes(self, index: DuplicateIndex) -> None:
        """Add what is new or changed, drop what is gone. "Changed" is by our own clock:
        the CRM sync stamps each cached row when it writes it, whatever date the CRM gives
        the change, so an edit the CRM dates earlier than one already seen is not missed.
        (Strictly later than the newest stamp seen: a bulk import stamps 100,000 rows
        alike, and they must not all be re-read on every refresh.)"""
        last_id, last_change = self._contact_mark
        with self._uow() as uow, ExitStack() as bulk:
            count = uow.contacts.count()
            if count - index.count("contact") >= BULK:  # the first load, a big import
                bulk.enter_context(_long_lived())
            contacts = uow.contacts.changed_since(last_id, last_change)
            leads = uow.leads.since_id(self._lead_mark)
            for contact in contacts:
                index.add(Candidate("contact", contact.id, contact.name, contact.phones,
                                    contact.email, contact.address))
                last_id = max(last_id, contact.id)
                if last_change is None or contact.updated_at > last_change:
                    last_change = contact.updated_at
            if index.count("contact") != count:
                # A customer was removed (the CRM deleted it): only then list every id.
                gone = index.ids("contact") - set(uow.contacts.ids())
                for contact_id in gone:
                    index.remove("contact", contact_id)
            for lead in leads:
                index.add(Candidate("lead", lead.id, lead.name, (lead.phone,), lead.email,
                                    lead.service_address))
                self._lead_mark = max(self._lead_mark, lead.id)
        self._contact_mark = (last_id, last_change)

    def _lead_contacts(self, views: list[MatchView]) -> dict[int, int | None]:
        ids = [v.id for v in views if v.kind == "lead"]
        if not ids:
            return {}
        with self._uow() as uow:
            return uow.leads.contact_ids(ids)


@contextmanager
def _long_lived():
    """Loading 100,000 customers makes about a million objects that live as long as the
    index. Python's cyclic collector would rescan them all on each full pass while they
    are built (passes growing to 350 ms, holding the GIL, so the UI thread froze); it is
    paused for a bulk load, and what was built is then frozen out of its sight."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.freeze()


def _drop_leads_of_matched_contacts(views: list[MatchView],
                                    lead_contact: dict[int, int | None]) -> list[MatchView]:
    """A lead already delivered onto a customer who matches too is the same warning twice:
    show the customer."""
    contacts = {v.id for v in views if v.kind == "contact"}
    return [v for v in views if v.kind != "lead" or lead_contact.get(v.id) not in contacts]


def _e164(text: str | None, region: str) -> str | None:
    try:
        return to_e164(text, region) if text and text.strip() else None
    except InvalidPhone:
        return None
