"""Duplicate detection for lead intake: is this caller already a contact or a recent lead?

`DuplicateIndex` holds contacts and leads as `Candidate`s behind four kinds of index key:
phone (E.164), email (case-folded), address (house number + street sound, and zip + house
number) and name (surname sound + given-name initial, nicknames resolved). A check gathers
candidates from those keys only -- never a scan -- and scores the few it found.

Decision (`Match.same_person`), in words:
- names that may be the same person (nickname, initials, swapped order, typo) AND at least
  one of: same phone, same email, same street address (a missing unit is allowed);
- or, with no name to compare, the same email (or two of phone/email/address);
- or the same given name with another surname AND two of phone/email/address (a new
  married name).
Everything else is at most a *possible* match: same phone or address with a different name
is a household member, a business is never the same as a person, Jr is not Sr, and a
shared common name with nothing else in common is somebody else.

Score: 0.4 x name similarity + 0.35 (same phone) + 0.3 (same email) + 0.25 (same address;
0.2 when one side has no unit, 0.1 for the same building), raised to at least 0.70 when
`same_person` and capped at 0.65 when not -- so `same_person` is exactly `score >= 0.70`.
A match is returned when its score is at least `THRESHOLD` (0.25: a shared address alone,
or a shared name alone, is enough to show) and it has a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from rapidfuzz import fuzz, process

from desktop.domain import address_match, names
from desktop.domain.phone import InvalidPhone, to_e164

KINDS = ("contact", "lead")
THRESHOLD = 0.25
SAME_PERSON_SCORE = 0.70
_NAME_POOL = 40     # name-only candidates scored in full, best by a quick fuzzy pass first
_NAME_CUTOFF = 55   # token-sort ratio below which a name-only candidate is not looked at
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str                       # "contact" or "lead"
    id: int
    name: str
    phones: tuple[str, ...] = ()    # E.164
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    kind: str
    id: int
    score: float                    # 0..1
    same_person: bool
    reasons: tuple[str, ...]
    name: str
    phone: str | None               # the matching number, else the candidate's first
    email: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class _Probe:
    """One side of a comparison, parsed once."""

    name: names.ParsedName | None
    phones: tuple[str, ...]
    email: str
    address: address_match.ParsedAddress | None


@dataclass(frozen=True, slots=True)
class _Entry:
    candidate: Candidate
    probe: _Probe
    keys: tuple[str, ...]


class DuplicateIndex:
    """Contacts and leads, indexed for `check`. Not thread-safe for writers: add/remove
    from one thread at a time (or under the same lock as checks); a check that overlaps a
    remove skips the removed entry rather than failing."""

    def __init__(self, candidates: Iterable[Candidate] = ()):
        self._entries: dict[tuple[str, int], _Entry] = {}
        # key -> one ref, or a list once two share it (most keys are one person's: saves
        # a list per key, a quarter of the index's memory)
        self._keys: dict[str, tuple[str, int] | list[tuple[str, int]]] = {}
        self._counts = dict.fromkeys(KINDS, 0)
        for candidate in candidates:
            self.add(candidate)

    def __len__(self) -> int:
        return len(self._entries)

    def count(self, kind: str) -> int:
        """How many contacts (or leads) are indexed."""
        return self._counts[kind]

    def ids(self, kind: str) -> set[int]:
        return {id for k, id in self._entries if k == kind}

    def add(self, candidate: Candidate) -> None:
        """Index a contact or lead; one already indexed under its kind and id is replaced."""
        if candidate.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {candidate.kind!r}")
        ref = (candidate.kind, candidate.id)
        if ref in self._entries:
            self.remove(*ref)
        probe = _probe(candidate.name, candidate.phones, candidate.email, candidate.address)
        keys = tuple(dict.fromkeys(_stored_keys(probe)))
        self._entries[ref] = _Entry(candidate, probe, keys)
        self._counts[candidate.kind] += 1
        for key in keys:
            bucket = self._keys.get(key)
            if bucket is None:
                self._keys[key] = ref
            elif isinstance(bucket, tuple):
                self._keys[key] = [bucket, ref]
            else:
                bucket.append(ref)

    def remove(self, kind: str, id: int) -> None:
        """Forget a contact or lead (no error when it is not indexed)."""
        entry = self._entries.pop((kind, id), None)
        if entry is None:
            return
        self._counts[kind] -= 1
        ref = (kind, id)
        for key in entry.keys:
            bucket = self._keys[key]
            if isinstance(bucket, tuple):
                del self._keys[key]
                continue
            bucket.remove(ref)
            if len(bucket) == 1:
                self._keys[key] = bucket[0]

    def check(self, name: str | None = None, phone: str | None = None,
              email: str | None = None, address: str | None = None,
              limit: int = 10) -> list[Match]:
        """Possible duplicates of a would-be lead, best first. `phone` may be E.164 or any
        format `to_e164` reads (US region); an unreadable number is ignored."""
        number = _e164(phone)
        query = _probe(name, (number,) if number else (), email, address)
        strong = self._gather(_strong_keys(query))
        by_name = self._gather(_name_keys(query.name, query_side=True))
        by_name -= strong
        if by_name and query.name is not None:
            # Only names that are alike at all get the full (Python) comparison; a name
            # alone never makes the same person, so this cannot hide one.
            entries = self._entries
            cores = {ref: entries[ref].probe.name.core for ref in by_name if ref in entries}
            alike = process.extract(query.name.core, cores, scorer=fuzz.token_sort_ratio,
                                    score_cutoff=_NAME_CUTOFF, limit=_NAME_POOL)
            by_name = {ref for _, _, ref in alike}
        matches = []
        for ref in strong | by_name:
            entry = self._entries.get(ref)
            if entry is None:  # removed meanwhile by another thread
                continue
            match = _judge(query, entry.candidate, entry.probe)
            if match is not None:
                matches.append(match)
        matches.sort(key=lambda m: (-m.score, m.kind, m.id))
        return matches[:limit]


    def _gather(self, keys: list[str]) -> set[tuple[str, int]]:
        refs: set[tuple[str, int]] = set()
        for key in keys:
            bucket = self._keys.get(key)
            if isinstance(bucket, tuple):
                refs.add(bucket)
            elif bucket:
                refs.update(bucket)
        return refs


def _e164(phone: str | None) -> str | None:
    text = (phone or "").strip()
    if not text:
        return None
    if _E164.match(text):
        return text
    try:
        return to_e164(text)
    except InvalidPhone:
        return None


def _probe(name, phones, email, address) -> _Probe:
    return _Probe(names.parse_name(name), tuple(p for p in phones if p),
                  (email or "").strip().casefold(), address_match.parse_address(address))


def _strong_keys(probe: _Probe) -> list[str]:
    keys = [f"p{phone}" for phone in probe.phones]
    if probe.email:
        keys.append(f"e{probe.email}")
    addr = probe.address
    if addr is not None and addr.number:
        keys.append(f"a{addr.number}|{address_match.street_key(addr)}")
        if addr.zip:
            keys.append(f"z{addr.zip}|{addr.number}")
    return keys


def _name_keys(name: names.ParsedName | None, query_side: bool = False) -> list[str]:
    if name is None:
        return []
    if name.business:
        words = name.core.split()
        return [f"b{words[0]}"] if words else []
    keys = []
    orientations = (name, name.swapped()) if query_side else (name,)
    for person in orientations:
        sounds = [names.soundex(last) for last in person.lasts]
        if not person.firsts:
            keys += [f"n{sound}|" for sound in sounds]
            continue
        keys += [f"n{sound}|{initial}" for sound in sounds for initial in person.initials()]
        if query_side:  # single-word records ("Smith") filed under either word
            keys += [f"n{sound}|" for sound in sounds]
            keys += [f"n{names.soundex(first)}|" for first in person.firsts]
    return keys


def _stored_keys(probe: _Probe) -> list[str]:
    return _strong_keys(probe) + _name_keys(probe.name)


def _judge(query: _Probe, candidate: Candidate, stored: _Probe) -> Match | None:
    phone = next((p for p in query.phones if p in stored.phones), None)
    email = bool(query.email) and query.email == stored.email
    place = (address_match.compare(query.address, stored.address)
             if query.address is not None and stored.address is not None else None)
    same_place = place is not None and place.kind in ("same", "same-unit-missing")
    verdict = (names.compare(query.name, stored.name)
               if query.name is not None and stored.name is not None else None)
    evidence = (phone is not None) + email + same_place
    reasons = []
    if phone:
        reasons.append(f"same phone {_show(phone)}")
    if email:
        reasons.append("same email")
    if place is not None and place.kind == "same":
        reasons.append("same street address")
    elif place is not None and place.kind == "same-unit-missing":
        reasons.append("same street address (unit given on one side only)")
    elif place is not None and place.kind == "same-building":
        reasons.append(f"same building, different unit ({place.detail})")

    if verdict is None:
        same = email or evidence >= 2
        if evidence == 0:
            return None
    elif verdict.compatible:
        same = evidence >= 1
        reasons.append(_name_reason(query.name, stored.name, verdict))
        one_sided = (query.name.suffix or stored.name.suffix) if (
            not query.name.suffix or not stored.name.suffix) else ""
        if same and one_sided:
            reasons.append(f"'{one_sided.title()}' on one side only: check it is not a "
                           "father and son")
        if not same:
            other = "business" if query.name.business else "person"
            reasons.append(f"nothing else in common: possibly another {other} with that name"
                           if not place or place.kind == "different" else
                           f"another unit in the same building: possibly another {other}")
    else:
        renamed = (verdict.first_ok and not verdict.last_ok and not query.name.business
                   and evidence >= 2)
        same = renamed
        if renamed:
            reasons.append(f"same first name, different surname ('{query.name.text}' vs "
                           f"'{stored.name.text}'): possibly a new married name")
        elif evidence == 0 and not (place and place.kind == "same-building"):
            return None
        elif verdict.how == "business vs person":
            business, person = ((query.name, stored.name) if query.name.business
                                else (stored.name, query.name))
            reasons.append(f"'{business.text}' is a business, '{person.text}' a person")
        elif verdict.how.startswith(("jr", "sr", "ii", "iv")):
            reasons.append(f"different generation ({verdict.how.title().replace(' Vs ', ' vs ')})")
        if not renamed and evidence:
            shared = "phone" if phone else "email" if email else "street address"
            reasons.append(f"same {shared}, different name: possibly a household member"
                           if not query.name.business and not stored.name.business else
                           f"same {shared}, but not the same name")

    similarity = verdict.similarity if verdict is not None else 0.0
    raw = (0.4 * similarity + 0.35 * (phone is not None) + 0.3 * email
           + {"same": 0.25, "same-unit-missing": 0.2, "same-building": 0.1}.get(
               place.kind if place else "", 0.0))
    score = min(1.0, max(raw, SAME_PERSON_SCORE)) if same else min(raw, 0.65)
    if score < THRESHOLD or not reasons:
        return None
    return Match(candidate.kind, candidate.id, round(score, 3), same, tuple(reasons),
                 candidate.name, phone or (candidate.phones[0] if candidate.phones else None),
                 candidate.email, candidate.address)


def _name_reason(query: names.ParsedName, stored: names.ParsedName,
                 verdict: names.NameVerdict) -> str:
    if verdict.how == "exact":
        return f"same name '{stored.text}'"
    return f"name '{query.text}' ~ '{stored.text}' ({verdict.how})"


def _show(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
