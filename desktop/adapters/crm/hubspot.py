"""HubSpot CRM, through the v3 objects, properties and search APIs and v4 associations.

What the API makes us do, and why the code looks the way it does:

* Auth is a private-app token as `Bearer pat-...`. Scopes: crm.objects.contacts.read/write
  (contacts and their notes), crm.schemas.contacts.read/write (our two contact properties),
  crm.objects.deals.read (jobs). Limits: 100 requests per rolling 10 s per private app, and
  search separately 5 a second per account; a 429 names its `policyName` and usually has no
  Retry-After, so the client backs off long enough to outlast a 10-second window.
* Search lags new records by seconds. So the lead key goes in our own unique contact property
  `frontdesk_lead_key`, read with `GET /crm/v3/objects/contacts/{key}?idProperty=...`, which
  sees a new record at once; the lead's note is found through the contact's v4 associations
  (no lag either) by the marker in its body. The properties (in a "Front Desk" group) are
  created once per process, before the first create or lookup by key.
* A contact whose email exists answers 409 "Contact already exists. Existing ID: N": we link
  to N. A second contact with our key is refused as a duplicate unique value (its status and
  wording are plausible, not verified), after which we read the one holding the key.
* Phone search is an exact match on what was typed: we ask for the usual ways to write the
  number (at most 5 OR-ed filterGroups a request; `mobilephone` is not searched) and check
  a hit with to_e164.
* Search pages by `after` (an offset), 200 at most, and refuses to pass 10,000 results
  (400): changed-since listings sort by last-modified time ascending and start a new query
  from the last time seen before the cap.
* HubSpot has no jobs: deals stand in (dealname; dealstage, the pipeline's internal stage id
  such as "closedwon"; amount, a decimal string; closedate; the first associated contact).
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

import phonenumbers

from desktop.adapters.crm.base import Crm, CrmContact, CrmJob, CrmWrite, marker, split_name
from desktop.adapters.errors import ConnectionCheck, ProblemKind, ProviderError, require
from desktop.adapters.http import HttpClient, RateLimiter, RetryPolicy, Wording
from desktop.domain import crm as scopes
from desktop.domain.clock import as_utc, utcnow
from desktop.domain.phone import InvalidPhone, to_e164

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hubapi.com"
SECRET_KEY = "crm.hubspot.token"
KEY_PROPERTY, SOURCE_PROPERTY, GROUP = "frontdesk_lead_key", "frontdesk_source", "frontdesk"
NOTE_TO_CONTACT = 202           # HUBSPOT_DEFINED association type, note -> contact
MAX_PAGE, MAX_PAGES, RESULT_CAP = 200, 2000, 10_000
CONTACT_PROPS = ["firstname", "lastname", "phone", "mobilephone", "email", "address",
                 KEY_PROPERTY, "createdate", "lastmodifieddate"]
DEAL_PROPS = ["dealname", "dealstage", "amount", "closedate", "createdate", "hs_lastmodifieddate"]
EXISTING_ID = re.compile(r"Existing ID: (\d+)")
NEVER_DELETES = "Front Desk never deletes."
PROPERTIES = (
    {"name": KEY_PROPERTY, "label": "Front Desk lead key", "hasUniqueValue": True,
     "description": "Set by Front Desk so a retried delivery finds its contact. Leave it."},
    {"name": SOURCE_PROPERTY, "label": "Lead source (Front Desk)",
     "description": "Where the caller heard of the shop, as the receptionist noted it."},
)
SCOPES_PAGE = "HubSpot → Settings → Integrations → Private Apps → Front Desk → Scopes"
WORDING = Wording(
    label="HubSpot",
    auth="HubSpot rejected the private-app token: copy it again from HubSpot → Settings → "
         "Integrations → Private Apps and run `frontdesk secret set crm.hubspot.token`",
    permission="HubSpot refused: the private app lacks a scope ({detail}); add it in "
               + SCOPES_PAGE,
    not_found="HubSpot has no such record ({detail})",
    rate_limited="HubSpot is rate-limiting us; the next try waits {wait}",
    rejected="HubSpot refused the data: {detail}",
)


class HubSpotCrm(Crm):
    name = "hubspot"
    label = "HubSpot"
    # The lead record is a note, so creating it is the same kind of write as adding a note.
    # The lead record is a note, but it is this lead's record: crm:create_lead governs it.
    # Adding our two contact properties to the account is part of creating contacts.
    operations = {**Crm.operations, "prepare": scopes.CREATE_CONTACT}
    default_field_map = {
        "name": "contact.name", "phone": "contact.phone", "email": "contact.email",
        "service_address": "contact.address", "source": ["contact.frontdesk_source", "lead.body"],
        "service_type": "lead.body", "urgency": "lead.body", "notes": "lead.body"}
    # HubSpot itself requires nothing; a lead without a name or a number is no use to a shop.
    required = ("contact.name", "contact.phone")
    # Named as in the field map, so mapped contact fields compare with read_contact();
    # "name" is written as firstname/lastname.
    updatable = ("name", "email", "address")

    def __init__(self, *, token: Callable[[], str | None] | str | None,
                 base_url: str = DEFAULT_BASE_URL, clock: Callable[[], datetime] = utcnow,
                 timeout=(5.0, 30.0), sleep: Callable[[float], None] = time.sleep,
                 limiter: RateLimiter | None = None, search_limiter: RateLimiter | None = None,
                 page_size: int = MAX_PAGE, session=None):
        self._token_source = token if callable(token) else (lambda: token)
        self._token = ""
        self._clock = clock
        self.page_size = max(1, min(MAX_PAGE, page_size))
        # 9 a second, bursts of 9: never 100 in any 10 s. Search: never 5 in any second.
        self.http = HttpClient(base_url or DEFAULT_BASE_URL, WORDING, timeout=timeout,
                               sleep=sleep, retry=RetryPolicy(backoff_s=1.0, max_backoff_s=10.0),
                               limiter=limiter or RateLimiter(9, 1, sleep=sleep),
                               session=session, secrets=lambda: [self._token])
        self._search_limiter = search_limiter or RateLimiter(1, 0.25, sleep=sleep)
        self._ready = False              # our properties exist in the account
        self._key_seen = False           # frontdesk_lead_key exists (seen by a read)
        self._lock = threading.Lock()
        self._account: dict | None = None

    # -- contacts ----------------------------------------------------------------------------
    def find_contact(self, key: str | None, phone: str | None,
                     email: str | None) -> CrmContact | None:
        if key and self._key_property_exists():  # a search writes nothing, ever
            record = self._by_key(key)
            if record is not None:
                return _contact(record)
        if phone:
            phone = _e164(phone) or phone
            for formats in _phone_formats(phone):
                found = self._search_contact("phone", formats, lambda c: c.phone == phone)
                if found:
                    return found
        if email:
            return self._search_contact("email", [email.strip().lower()], lambda c: True)
        return None

    def read_contact(self, crm_id: str) -> dict[str, str | None]:
        props = self._get_contact(crm_id, ["firstname", "lastname", "email", "address"])
        return {"name": _full_name(props) or None, "email": props.get("email") or None,
                "address": props.get("address") or None}

    def create_contact(self, fields: dict[str, str], key: str) -> CrmWrite:
        self._ensure_properties()
        props: dict[str, str] = {}
        for field, value in fields.items():
            props.update(_name_props(value) if field == "name" else {field: value})
        props[KEY_PROPERTY] = key
        try:
            crm_id = _id(self._post("/crm/v3/objects/contacts", {"properties": props}))
        except ProviderError as exc:
            if exc.kind is not ProblemKind.REJECTED:
                raise
            taken = EXISTING_ID.search(str(exc))           # 409: the email is taken
            crm_id = taken.group(1) if taken else _id(self._by_key(key) or {}, required=False)
            if crm_id is None:                            # else our key: an attempt landed
                raise
            return CrmWrite("contact", crm_id, "linked", {}, url=self._url("0-1", crm_id),
                            undo=f"Nothing to undo: the lead was linked to HubSpot contact "
                                 f"{crm_id}, which existed already. {NEVER_DELETES}")
        who = fields.get("name") or crm_id
        return CrmWrite("contact", crm_id, "created", props, url=self._url("0-1", crm_id),
                        undo=f"Delete HubSpot contact {crm_id} ({who}) if it was created by "
                             f"mistake: Contacts → {who} → Actions → Delete. {NEVER_DELETES}")

    def update_contact(self, crm_id: str, changes: dict[str, str | None]) -> CrmWrite:
        """Set `updatable` fields (an empty value clears one); before and after are in the
        same names as read_contact, so a revert can compare and put them back."""
        for field in set(changes) - set(self.updatable):
            log.warning("HubSpot: not updating %s, which Front Desk may not change", field)
        current = self.read_contact(crm_id)
        after = {f: v or None for f, v in changes.items()
                 if f in self.updatable and (current.get(f) or "") != (v or "")}
        before = {f: current.get(f) for f in after}
        props: dict[str, str] = {}
        for field, value in after.items():
            props.update({"firstname": "", "lastname": ""} | _name_props(value or "")
                         if field == "name" else {field: value or ""})
        if props:
            self.http.json_of(self.http.request(
                "PATCH", f"/crm/v3/objects/contacts/{_q(crm_id)}", json={"properties": props},
                idempotent=True, headers=self._auth()))
        undo = "; ".join(f"{k} back to '{v or ''}'" for k, v in before.items())
        return CrmWrite("contact", crm_id, "updated", after, before=before,
                        url=self._url("0-1", crm_id), undo=f"Open HubSpot contact {crm_id} "
                        f"and set {undo}." if undo else "Nothing changed.")

    # -- the lead: a note on the contact -------------------------------------------------------
    def find_lead_record(self, contact_id: str, key: str) -> CrmWrite | None:
        tag, note_ids = marker(key), self._note_ids(contact_id)
        for start in range(0, len(note_ids), 100):
            body = self._post("/crm/v3/objects/notes/batch/read", idempotent=True, body={
                "properties": ["hs_note_body", "hs_timestamp"],
                "inputs": [{"id": i} for i in note_ids[start:start + 100]]})
            for note in body.get("results") or []:
                text = (note.get("properties") or {}).get("hs_note_body")
                if isinstance(text, str) and tag in text and note.get("id") is not None:
                    return self._note_write(contact_id, str(note["id"]), "linked",
                                            {"hs_note_body": text})
        return None

    def create_lead(self, contact_id: str, fields: dict[str, str], key: str) -> CrmWrite:
        lines = [f"Front Desk lead {marker(key)}"]
        for name, value in fields.items():
            label = name.replace("_", " ").capitalize()
            lines += (value if name == "body" else f"{label}: {value}").splitlines()
        return self._note(contact_id, lines)

    def add_note(self, contact_id: str, text: str) -> CrmWrite:
        return self._note(contact_id, text.splitlines() or [text])

    def _note(self, contact_id: str, lines: list[str]) -> CrmWrite:
        props = {"hs_timestamp": _iso(self._clock()), "hs_note_body": "".join(
            f"<p>{html.escape(line, quote=False)}</p>" for line in lines)}
        note_id = _id(self._post("/crm/v3/objects/notes", {"properties": props, "associations": [
            {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                  "associationTypeId": NOTE_TO_CONTACT}]}]}))
        return self._note_write(contact_id, note_id, "created", props)

    def _note_write(self, contact_id: str, note_id: str, action: str, after: dict) -> CrmWrite:
        return CrmWrite("note", note_id, action, after, url=self._url("0-1", contact_id),
                        undo=f"Delete note {note_id} on HubSpot contact {contact_id} if it was "
                             f"added by mistake: open the contact → Activities → the note → "
                             f"Actions → Delete. {NEVER_DELETES}")

    def _note_ids(self, contact_id: str) -> list[str]:
        ids, after, seen = [], None, set()
        for _ in range(MAX_PAGES):
            body = self._get(f"/crm/v4/objects/contacts/{_q(contact_id)}/associations/notes",
                             {"limit": 500, **({"after": after} if after else {})})
            ids += [str(r["toObjectId"]) for r in body.get("results") or []
                    if isinstance(r, dict) and r.get("toObjectId") is not None]
            after = _next_after(body, seen, "note links")
            if after is None:
                return ids
        raise _endless("note links")

    # -- changes since a time ----------------------------------------------------------------
    def contacts_changed_since(self, since: datetime | None) -> Iterator[list[CrmContact]]:
        for records in self._changed("contacts", "lastmodifieddate", CONTACT_PROPS, since):
            page = [c for c in (_readable(_contact, "contact", r) for r in records) if c]
            if page:
                yield page

    def jobs_changed_since(self, since: datetime | None) -> Iterator[list[CrmJob]]:
        for records in self._changed("deals", "hs_lastmodifieddate", DEAL_PROPS, since):
            links = self._deal_contacts([str(r["id"]) for r in records])
            page = [j for j in (_readable(_job, "deal", r, links) for r in records) if j]
            if page:
                yield page

    def _changed(self, kind: str, stamp: str, props: list[str],
                 since: datetime | None) -> Iterator[list[dict]]:
        """Records modified at or after `since`, oldest first, a page at a time. Before the
        search's result cap, a new query starts at the last time seen, skipping the records
        of that very time it already gave."""
        floor, done, pages = since, set(), 0
        while True:
            after, fetched, seen, last, at_last = None, 0, set(), floor, set()
            while fetched + self.page_size <= RESULT_CAP:
                pages += 1
                if pages > MAX_PAGES:
                    raise _endless(kind)
                query = {"sorts": [{"propertyName": stamp, "direction": "ASCENDING"}],
                         "properties": props, "limit": self.page_size}
                if floor is not None:
                    query["filterGroups"] = [{"filters": [
                        {"propertyName": stamp, "operator": "GTE", "value": _ms(floor)}]}]
                body = self._search(kind, {**query, **({"after": after} if after else {})})
                results = body.get("results")
                if not isinstance(results, list):
                    raise ProviderError(f"HubSpot sent a {kind} search without results",
                                        ProblemKind.BAD_RESPONSE)
                page = []
                for record in results:
                    try:
                        moment, record_id = _when(record["properties"], stamp), str(record["id"])
                    except (KeyError, TypeError, ValueError) as exc:
                        log.warning("HubSpot: skipped a %s record we cannot read: %s", kind, exc)
                        continue
                    if moment == floor and record_id in done:
                        continue
                    page.append(record)
                    last, at_last = moment, (at_last if moment == last else set()) | {record_id}
                if page:
                    yield page
                fetched += len(results)
                after = _next_after(body, seen, kind)
                if after is None or not results:
                    return
            if last == floor:
                raise ProviderError(f"HubSpot has over {RESULT_CAP:,} {kind} changed at one "
                                    "moment; the sync cannot page past them",
                                    ProblemKind.BAD_RESPONSE)
            floor, done = last, at_last

    def _deal_contacts(self, deal_ids: list[str]) -> dict[str, str]:
        body = self._post("/crm/v4/associations/deals/contacts/batch/read", idempotent=True,
                          body={"inputs": [{"id": i} for i in deal_ids]})
        links = {}
        for row in body.get("results") or []:      # deals with no contact come as errors
            try:
                links[str(row["from"]["id"])] = str(row["to"][0]["toObjectId"])
            except (KeyError, IndexError, TypeError):
                continue
        return links

    # -- connection ----------------------------------------------------------------------------
    def test_connection(self) -> ConnectionCheck:
        missing = []
        try:
            account = self._account_details(refresh=True)
            for scope, path in (("crm.objects.contacts.read", "/crm/v3/objects/contacts"),
                                ("crm.objects.deals.read", "/crm/v3/objects/deals"),
                                ("crm.schemas.contacts.read", "/crm/v3/properties/contacts/email")):
                try:
                    self._get(path, {"limit": 1})
                except ProviderError as exc:
                    if exc.kind is not ProblemKind.PERMISSION:
                        raise
                    missing.append(scope)
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        if missing:
            return ConnectionCheck(False, f"HubSpot accepted the token, but the private app "
                                          f"lacks {', '.join(missing)}: add them in "
                                          f"{SCOPES_PAGE} (saving leads also needs crm.objects."
                                          "contacts.write and crm.schemas.contacts.write)")
        return ConnectionCheck(True, f"Connected to HubSpot account {account.get('portalId')}")

    # -- requests ------------------------------------------------------------------------------
    def prepare(self) -> list[CrmWrite]:
        """Add our contact properties to the account if missing; what was added, for the
        change log (a person can delete them in Settings → Properties)."""
        return self._ensure_properties()

    def _key_property_exists(self) -> bool:
        """Without our property nothing here carries a key yet (and a read by it fails)."""
        if not (self._ready or self._key_seen):
            self._key_seen = self._has_property(KEY_PROPERTY)
        return self._ready or self._key_seen

    def _ensure_properties(self) -> list[CrmWrite]:
        """Create frontdesk_lead_key (unique) and frontdesk_source once, when missing."""
        made: list[CrmWrite] = []
        with self._lock:
            if self._ready:
                return made
            try:
                missing = [spec for spec in PROPERTIES if not self._has_property(spec["name"])]
                if missing:
                    try:
                        self._post("/crm/v3/properties/contacts/groups",
                                   {"name": GROUP, "label": "Front Desk", "displayOrder": -1})
                    except ProviderError as exc:
                        if exc.kind is not ProblemKind.REJECTED:   # 409: it exists already
                            raise
                for spec in missing:
                    try:
                        self._post("/crm/v3/properties/contacts", {
                            **spec, "type": "string", "fieldType": "text", "groupName": GROUP})
                    except ProviderError as exc:      # made meanwhile by another desk: fine
                        if exc.kind is not ProblemKind.REJECTED or not self._has_property(
                                spec["name"]):
                            raise
                        continue
                    made.append(CrmWrite(
                        "property", spec["name"], "created", {"label": spec.get("label"),
                                                              "group": GROUP},
                        undo=f"The contact property {spec['name']} holds Front Desk's marks "
                             "on the contacts it creates; delete it in HubSpot (Settings → "
                             "Properties) only if Front Desk is no longer used."))
            except ProviderError as exc:
                if exc.kind is ProblemKind.PERMISSION:
                    raise ProviderError(
                        "HubSpot: Front Desk keeps each lead's key in contact properties it "
                        "adds itself (frontdesk_lead_key, frontdesk_source), and the private "
                        "app may not add properties: give it the crm.schemas.contacts.write "
                        f"scope in {SCOPES_PAGE}", ProblemKind.PERMISSION) from None
                raise
            self._ready = True
        return made

    def _has_property(self, name: str) -> bool:
        return self._get_or_none(f"/crm/v3/properties/contacts/{name}") is not None

    def _by_key(self, key: str) -> dict | None:
        """The contact carrying our key; reading by a unique property does not lag."""
        return self._get_or_none(f"/crm/v3/objects/contacts/{_q(key)}", {
            "idProperty": KEY_PROPERTY, "properties": ",".join(CONTACT_PROPS)})

    def _get_contact(self, crm_id: str, props: list[str]) -> dict:
        body = self._get(f"/crm/v3/objects/contacts/{_q(crm_id)}", {"properties": ",".join(props)})
        return body.get("properties") if isinstance(body.get("properties"), dict) else {}

    def _search_contact(self, prop: str, values: list[str], accept) -> CrmContact | None:
        body = self._search("contacts", {
            "filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": v}]}
                             for v in values], "properties": CONTACT_PROPS, "limit": 20,
            "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}]})
        for record in body.get("results") or []:
            contact = _readable(_contact, "contact", record)
            if contact and accept(contact):
                return contact                      # the oldest: the customer's first record
        return None

    def _search(self, kind: str, body: dict) -> dict:
        self._search_limiter.acquire()              # 5 a second per account, besides the rest
        return self._post(f"/crm/v3/objects/{kind}/search", body, idempotent=True)

    def _account_details(self, refresh: bool = False) -> dict:
        if self._account is None or refresh:
            self._account = self._get("/account-info/v3/details")
        return self._account

    def _url(self, type_id: str, record_id: str) -> str | None:
        try:
            account = self._account_details()
        except ProviderError:
            return None
        domain, portal = account.get("uiDomain") or "app.hubspot.com", account.get("portalId")
        return f"https://{domain}/contacts/{portal}/record/{type_id}/{record_id}" if portal \
            else None

    def _get_or_none(self, path: str, params: dict | None = None) -> dict | None:
        try:
            return self._get(path, params)
        except ProviderError as exc:
            if exc.kind is ProblemKind.NOT_CONFIGURED:      # 404: there is none
                return None
            raise

    def _get(self, path: str, params: dict | None = None) -> dict:
        return self.http.get_json(path, params=params, headers=self._auth())

    def _post(self, path: str, body: dict, idempotent: bool = False) -> dict:
        return self.http.post_json(path, json=body, idempotent=idempotent,
                                   headers=self._auth())

    def _auth(self) -> dict[str, str]:
        # Read on every request, so a token fixed in Settings works without a restart.
        self._token = require(self._token_source(), "No HubSpot private-app token is stored: "
                                                     "run `frontdesk secret set crm.hubspot.token`")
        return {"Authorization": f"Bearer {self._token}"}


def from_settings(settings, secrets, clock) -> HubSpotCrm:
    return HubSpotCrm(token=lambda: secrets.get(SECRET_KEY),
                      base_url=settings["crm.base_url"] or DEFAULT_BASE_URL, clock=clock)


# -- reading records -------------------------------------------------------------------------
def _contact(record: dict) -> CrmContact:
    props = record["properties"]
    return CrmContact(crm_id=str(record["id"]), name=_full_name(props),
                      phone=_e164(props.get("phone")), email=props.get("email") or None,
                      other_phones=tuple(p for p in [_e164(props.get("mobilephone"))]
                                         if p and p != _e164(props.get("phone")))
                      if props.get("mobilephone") else (),
                      address=props.get("address") or None,
                      created_at=_when(props, "createdate", optional=True),
                      updated_at=_when(props, "lastmodifieddate", optional=True),
                      key=props.get(KEY_PROPERTY) or None)


def _job(record: dict, links: dict[str, str]) -> CrmJob:
    props, deal_id = record["properties"], str(record["id"])
    amount = props.get("amount")
    try:
        cents = int((Decimal(str(amount)) * 100).to_integral_value()) if amount else 0
    except InvalidOperation:
        raise ValueError(f"amount is not a number: {str(amount)[:40]!r}") from None
    return CrmJob(crm_id=deal_id, contact_crm_id=links.get(deal_id),
                  title=props.get("dealname") or "(deal without a name)",
                  status=props.get("dealstage") or "", created_at=_when(props, "createdate"),
                  updated_at=_when(props, "hs_lastmodifieddate"),
                  scheduled_at=_when(props, "closedate", optional=True), revenue_cents=cents)


def _readable(read, kind: str, record, *args):
    """`read(record)`; a record it cannot read is logged and skipped (None), not the page."""
    try:
        return read(record, *args)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        log.warning("HubSpot: skipped a %s record we cannot read: %s", kind, exc)
        return None


def _when(props: dict, key: str, optional: bool = False) -> datetime | None:
    """HubSpot datetimes: ISO 8601 UTC with milliseconds (epoch ms in some older records)."""
    value = props.get(key)
    if not value:
        if optional:
            return None
        raise ValueError(f"{key} is missing")
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, timezone.utc)
    return as_utc(datetime.fromisoformat(text))


def _full_name(props: dict) -> str:
    return " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)


def _name_props(full: str) -> dict[str, str]:
    first, last = split_name(full)
    return {"firstname": first, "lastname": last} if last else {"firstname": first}


def _e164(phone: str | None) -> str | None:
    try:
        return to_e164(phone) if phone else None
    except InvalidPhone:
        return None


def _phone_formats(e164: str) -> list[list[str]]:
    """The ways a person may have typed the number, in groups of 5 (one search each)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [[e164]]
    digits = phonenumbers.national_significant_number(number)
    if number.country_code == 1 and len(digits) == 10:
        a, b, c = digits[:3], digits[3:6], digits[6:]
        return [[e164, f"({a}) {b}-{c}", f"{a}-{b}-{c}", digits, f"+1 {a}-{b}-{c}"],
                [f"{a}.{b}.{c}", f"{a} {b} {c}", f"+1 ({a}) {b}-{c}", f"1-{a}-{b}-{c}",
                 f"1{digits}"]]
    fmt = phonenumbers.PhoneNumberFormat
    return [list(dict.fromkeys([e164, phonenumbers.format_number(number, fmt.INTERNATIONAL),
                                phonenumbers.format_number(number, fmt.NATIONAL), digits]))]


def _next_after(body: dict, seen: set[str], what: str) -> str | None:
    """The next page's cursor; a cursor that comes back again stops the walk."""
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    if after in (None, ""):
        return None
    if str(after) in seen:
        raise ProviderError(f"HubSpot repeated a page of {what}; stopped there and will try "
                            "again", ProblemKind.BAD_RESPONSE)
    seen.add(str(after))
    return str(after)


def _endless(what: str) -> ProviderError:
    return ProviderError(f"HubSpot kept sending pages of {what} (over {MAX_PAGES}); stopped "
                         "there", ProblemKind.BAD_RESPONSE)


def _id(body: dict, required: bool = True) -> str | None:
    if body.get("id") not in (None, ""):
        return str(body["id"])
    if required:
        raise ProviderError("HubSpot accepted the record but sent no id",
                            ProblemKind.BAD_RESPONSE)
    return None


def _ms(moment: datetime) -> str:
    """Epoch milliseconds, rounded down so a GTE filter keeps `moment` itself."""
    return str((as_utc(moment) - datetime(1970, 1, 1, tzinfo=timezone.utc))
               // timedelta(milliseconds=1))


def _iso(moment: datetime) -> str:
    moment = as_utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _q(value: str) -> str:
    return quote(str(value), safe="")
