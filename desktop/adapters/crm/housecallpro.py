"""Housecall Pro, through its public REST API (docs.housecallpro.com, whose OpenAPI file is
`housecall.v1.yaml`). The API is only open to the MAX plan, with a company API key.

What the API makes us do, and why the code looks the way it does:

* Auth is `Authorization: Token <API key>`. Housecall Pro publishes no rate limit; we keep
  to 5 requests a second of our own accord, and a 429 is honoured with its Retry-After by
  HttpClient (the 429's body and headers are not documented).
* Lists are `{<items>, page, page_size, total_pages, total_items}`, `page` counting from
  1, `page_size` defaulting to 10 (we ask 100; the maximum is not documented).
* `GET /customers?q=` matches "name, email, mobile number and address": not tags, notes,
  home or work numbers. Housecall Pro keeps numbers as bare digits ("3125550142"), so we
  search with the national digits and compare every number of each hit in E.164 here.
* Customers we create carry our marker as a tag. `q` cannot find a tag, so finding by key
  checks the tags of the phone and email hits and then of the newest customers (the
  default order is created_at, newest first): that also covers a search that lags.
* The lead record is a Housecall Pro lead, `POST /leads` (customer_id, lead_source, note,
  tags, address or address_id). A lead read back has tags but neither its note nor any
  date, so its marker is a tag too; `GET /leads?customer_id=` lists a customer's leads.
* There is no customer-note endpoint (notes exist on jobs and estimate options only), so
  `add_note` appends a dated paragraph to the customer's own `notes` with
  `PUT /customers/{id}`, the documented update (there is no PATCH). We send only the fields
  we change and assume PUT leaves the others alone (plausible, not verified).
* Changes: `GET /jobs` documents `sort_by=updated_at` with `sort_direction`; `GET /customers`
  takes `sort_by` as any "customer attribute" (updated_at there: plausible, not verified).
  Neither filters by time, so we page most-recently-changed first and stop after the first
  page that reaches back past `since`. A record changed during the walk jumps to the front:
  it may come twice (dropped here) and is seen whole by the next poll.
* Jobs: `total_amount` is in cents; `work_status` is a phrase ("needs scheduling",
  "complete rated", "pro canceled"); times are ISO 8601 ("2024-08-18T18:11:06Z"; one
  without an offset is taken as UTC).
* Errors are `{"error": {"message": ...}}` (404, 422); the documented 401 is `{"message"}`.
* Web pages: pro.housecallpro.com/app/customers/{id} and /app/leads/{id} (as integrations
  link them; not in the API docs).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import quote

from desktop.adapters.crm.base import (
    ConnectionCheck, Crm, CrmContact, CrmJob, CrmWrite, ProblemKind, ProviderError, marker,
    split_name,
)
from desktop.adapters.errors import require
from desktop.adapters.http import HttpClient, RateLimiter, Wording
from desktop.domain.clock import as_utc, utcnow
from desktop.domain.phone import InvalidPhone, to_e164

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.housecallpro.com"
WEB_URL = "https://pro.housecallpro.com/app"
SECRET_KEY = "crm.housecallpro.api_key"
MAX_PAGES = 2_000   # per listing: a walk that never ends must not hang the poll
PAGE_SIZE = 100
NEWEST = 50         # newest customers checked for our tag when the searches miss it
PHONES = ("mobile_number", "home_number", "work_number")
CONTACT_FIELDS = frozenset({"name", "first_name", "last_name", "email", "company", "address",
                            "lead_source", "notes", *PHONES})
LEAD_FIELDS = frozenset({"note", "lead_source", "address"})
# "Springfield, IL 62704" or "IL 62704" at the end of a one-line address
_STATE_ZIP = re.compile(r"^(?:(?P<city>.+?)\s+)?(?P<state>[A-Za-z]{2})\s+"
                        r"(?P<zip>\d{5}(?:-\d{4})?)$")

WORDING = Wording(
    label="Housecall Pro",
    auth="Housecall Pro rejected the API key: check Settings → CRM "
         "(`frontdesk secret set crm.housecallpro.api_key`)",
    permission="Housecall Pro refused access ({detail}): the API needs the MAX plan and a "
               "company API key (Housecall Pro → App Store → API)",
    not_found="Housecall Pro answered 'not found' ({detail}): the record may have been "
              "deleted there, or crm.base_url is wrong",
    rate_limited="Housecall Pro is rate-limiting us; trying again in {wait}",
    rejected="Housecall Pro refused the data: {detail}",
)


class HousecallProCrm(Crm):
    name = "housecallpro"
    label = "Housecall Pro"
    operations = dict(Crm.operations)  # each write is the kind the port names
    default_field_map = {
        "name": "contact.name",
        "phone": "contact.mobile_number",  # the number q searches, and the one that gets texts
        "email": "contact.email",
        "service_address": ["contact.address", "lead.address"],
        "source": ["contact.lead_source", "lead.lead_source"],
        "service_type": "lead.note",
        "urgency": "lead.note",
        "notes": "lead.note",
    }
    # Housecall Pro needs one of a name, an email or a number; a lead always has a name.
    required = ("contact.name",)
    updatable = ("email", "mobile_number", "home_number", "lead_source", "notes")

    def __init__(self, *, api_key: Callable[[], str | None] | str | None,
                 base_url: str = DEFAULT_BASE_URL, clock: Callable[[], datetime] = utcnow,
                 timeout=(5.0, 30.0), sleep: Callable[[float], None] = time.sleep,
                 limiter: RateLimiter | None = None, session=None, page_size: int = PAGE_SIZE):
        self._api_key = api_key if callable(api_key) else (lambda: api_key)
        self._key = ""
        self._clock = clock
        self.page_size = page_size
        self.http = HttpClient(base_url or DEFAULT_BASE_URL, WORDING, timeout=timeout,
                               sleep=sleep, limiter=limiter or RateLimiter(5, 1, sleep=sleep),
                               session=session, secrets=lambda: [self._key])

    # -- contacts ------------------------------------------------------------------------------
    def find_contact(self, key: str | None, phone: str | None,
                     email: str | None) -> CrmContact | None:
        searches = [lambda: self._search_phone(phone)] if phone else []
        searches += [lambda: self._search_email(email)] if email else []
        first = None
        for search in searches:
            for record in search():
                if key and _tagged(record, marker(key)):
                    return _contact(record, key)
                first = first or record
            if first and not key:
                break
        # Ours before anyone's, wherever it is: a person may share the number or the email.
        ours = next((r for r in self._newest() if _tagged(r, marker(key))), None) if key \
            else None
        return _contact(ours, key) if ours else _contact(first) if first else None

    def read_contact(self, crm_id: str) -> dict[str, str | None]:
        record = self._customer(crm_id)
        return {field: _text(record.get(field)) for field in self.updatable}

    def create_contact(self, fields: dict[str, str], key: str) -> CrmWrite:
        body = {**_contact_body(fields), "tags": [marker(key)]}
        record = self.http.post_json("/customers", json=body, headers=self._auth())
        crm_id, name = _id(record), _name(record)
        return CrmWrite("contact", crm_id, "created", body, url=_customer_url(crm_id), undo=(
            f"Delete Housecall Pro customer {crm_id} ({name}) if it was created by mistake: "
            f"Customers → search {name} (tag {marker(key)}) → open → ⋯ → Delete. "
            "Front Desk never deletes."))

    def update_contact(self, crm_id: str, changes: dict[str, str | None]) -> CrmWrite:
        refused = sorted(set(changes) - set(self.updatable))
        if refused:
            raise ProviderError(f"Front Desk may not change {', '.join(refused)} on a Housecall "
                                f"Pro customer (only {', '.join(self.updatable)})",
                                ProblemKind.REJECTED)
        record = self._customer(crm_id)
        current = {field: _text(record.get(field)) for field in changes}
        wanted = {f: _hcp_phone(v) if f in PHONES and v else v for f, v in changes.items()}
        after = {f: v for f, v in wanted.items() if not _same(f, v, current[f])}
        before = {field: current[field] for field in after}
        name = _name(record)
        if not after:
            undo = f"Nothing to undo: Housecall Pro customer {name} already had these values."
        else:
            self._put(f"/customers/{quote(crm_id, safe='')}", after)
            undo = (f"In Housecall Pro open Customers → {name} → Edit and set "
                    + "; ".join(f"{f} back to '{v or ''}'" for f, v in before.items()) + ".")
        return CrmWrite("contact", crm_id, "updated", after, undo, before=before,
                        url=_customer_url(crm_id))

    def add_note(self, contact_id: str, text: str) -> CrmWrite:
        record = self._customer(contact_id)
        old = record.get("notes")
        if old is not None and not isinstance(old, str):
            raise ProviderError("Housecall Pro sent the customer's notes in a shape we cannot "
                                "add to; the note was not added", ProblemKind.BAD_RESPONSE)
        stamp = f"[{as_utc(self._clock()):%Y-%m-%d %H:%M} UTC, Front Desk]"
        notes = f"{old.rstrip()}\n\n{stamp} {text.strip()}" if old and old.strip() \
            else f"{stamp} {text.strip()}"
        self._put(f"/customers/{quote(contact_id, safe='')}", {"notes": notes})
        name = _name(record)
        return CrmWrite("note", contact_id, "created", {"notes": notes}, before={"notes": old},
                        url=_customer_url(contact_id), undo=(
                            f"Remove the paragraph starting '{stamp}' from the notes of "
                            f"{name}: Housecall Pro → Customers → {name} → Edit → Notes."))

    # -- the lead record ----------------------------------------------------------------------
    def find_lead_record(self, contact_id: str, key: str) -> CrmWrite | None:
        tag = marker(key)
        params = {"customer_id": contact_id, "sort_by": "created_at", "sort_direction": "desc"}
        for leads in self._walk("/leads", params, "leads"):
            for lead in leads:
                if _tagged(lead, tag):
                    lead_id = _id(lead)
                    name = _name(lead.get("customer") or {})
                    after = {k: lead.get(k) for k in ("lead_source", "tags") if k in lead}
                    return CrmWrite("lead", lead_id, "linked", after, _lead_undo(lead, name, tag),
                                    url=f"{WEB_URL}/leads/{lead_id}")
        return None

    def create_lead(self, contact_id: str, fields: dict[str, str], key: str) -> CrmWrite:
        unknown = sorted(set(fields) - LEAD_FIELDS)
        if unknown:
            raise ProviderError(f"Housecall Pro leads have no field {', '.join(unknown)}: fix "
                                "Settings → CRM → field map", ProblemKind.REJECTED)
        customer = self._customer(contact_id)  # its name for the undo note, its addresses
        tag = marker(key)
        note = (fields.get("note") or "").strip()
        body: dict = {"customer_id": contact_id, "tags": [tag],
                      "note": f"{note}\n\n(sent by Front Desk, {tag})" if note
                      else f"Sent by Front Desk ({tag})"}
        if fields.get("lead_source"):
            body["lead_source"] = fields["lead_source"]
        if fields.get("address"):
            wanted = _address(fields["address"])
            known = _same_address(customer, wanted)
            body.update({"address_id": known} if known else {"address": wanted})
        lead = self.http.post_json("/leads", json=body, headers=self._auth())
        lead_id = _id(lead)
        return CrmWrite("lead", lead_id, "created", body,
                        _lead_undo(lead, _name(customer), tag), url=f"{WEB_URL}/leads/{lead_id}")

    # -- what changed ---------------------------------------------------------------------------
    def contacts_changed_since(self, since: datetime | None) -> Iterator[list[CrmContact]]:
        return self._changed("/customers", "customers", since, _contact)

    def jobs_changed_since(self, since: datetime | None) -> Iterator[list[CrmJob]]:
        return self._changed("/jobs", "jobs", since, _job)

    def test_connection(self) -> ConnectionCheck:
        try:
            company = self.http.get_json("/company", headers=self._auth())
            self.http.get_json("/customers", params={"page": 1, "page_size": 1},
                               headers=self._auth())  # the key may read customers
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        return ConnectionCheck(True, "Connected to Housecall Pro: "
                                     f"{company.get('name') or 'the company of this key'}")

    # -- requests -------------------------------------------------------------------------------
    def _changed(self, path: str, items: str, since: datetime | None, read) -> Iterator[list]:
        since = as_utc(since) if since else None
        for records in self._walk(path, {"sort_by": "updated_at", "sort_direction": "desc"},
                                  items):
            page, reached_back = [], False
            for record in records:
                try:
                    item = read(record)
                    if item.updated_at is None:
                        raise ValueError("it has no readable updated_at")
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("Housecall Pro %s record %s skipped: %s", items,
                                record.get("id"), exc)
                    continue
                if since and item.updated_at < since:
                    reached_back = True
                else:
                    page.append(item)
            if page:
                yield page
            if reached_back:
                return

    def _walk(self, path: str, params: dict, items: str) -> Iterator[list[dict]]:
        """Each page of a listing, page 1 onward, without a record seen on an earlier page."""
        seen: set = set()
        for number in range(1, MAX_PAGES + 1):
            body = self.http.get_json(path, headers=self._auth(), params={
                **params, "page": number, "page_size": self.page_size})
            records = _items(body, items)
            fresh = [r for r in records if r.get("id") not in seen]
            if records and not fresh:  # a server that repeats itself must not keep us forever
                raise ProviderError(f"Housecall Pro repeated a page of {path}; stopped there "
                                    "and will try again", ProblemKind.BAD_RESPONSE)
            seen.update(r.get("id") for r in fresh)
            yield fresh
            total = body.get("total_pages")
            if not records or (isinstance(total, (int, float)) and number >= total):
                return
        raise ProviderError(f"Housecall Pro kept sending pages of {path} (over {MAX_PAGES}); "
                            "stopped there", ProblemKind.BAD_RESPONSE)

    def _search_phone(self, phone: str) -> list[dict]:
        try:
            e164 = to_e164(phone)
        except InvalidPhone:
            return []
        return [r for r in self._customers(q=_hcp_phone(e164).lstrip("+")) if e164 in _phones(r)]

    def _search_email(self, email: str) -> list[dict]:
        wanted = email.strip().lower()
        return [r for r in self._customers(q=email.strip())
                if (_text(r.get("email")) or "").lower() == wanted]

    def _newest(self) -> list[dict]:
        return self._customers(page_size=NEWEST, sort_by="created_at", sort_direction="desc")

    def _customers(self, **params) -> list[dict]:
        """The first page of customers for these parameters (a search, or the newest)."""
        body = self.http.get_json("/customers", headers=self._auth(), params={
            "page": 1, "page_size": self.page_size, **params})
        return _items(body, "customers")

    def _customer(self, crm_id: str) -> dict:
        return self.http.get_json(f"/customers/{quote(crm_id, safe='')}", headers=self._auth())

    def _put(self, path: str, body: dict) -> dict:
        # The same PUT twice leaves the same values: safe to retry after a lost answer.
        return self.http.json_of(self.http.request("PUT", path, json=body, idempotent=True,
                                                   headers=self._auth()))

    def _auth(self) -> dict[str, str]:
        # Read on every request, so a key fixed in Settings works without a restart.
        self._key = require(self._api_key(), "No Housecall Pro API key is stored: run "
                                             "`frontdesk secret set crm.housecallpro.api_key`")
        return {"Authorization": f"Token {self._key}"}


def from_settings(settings, secrets, clock) -> HousecallProCrm:
    return HousecallProCrm(api_key=lambda: secrets.get(SECRET_KEY), clock=clock,
                           base_url=settings["crm.base_url"] or DEFAULT_BASE_URL)


# -- reading and writing records --------------------------------------------------------------
def _items(body: dict, name: str) -> list[dict]:
    items = body.get(name)
    if not isinstance(items, list):
        raise ProviderError(f"Housecall Pro sent a list without '{name}'",
                            ProblemKind.BAD_RESPONSE)
    return [item for item in items if isinstance(item, dict)]


def _id(record: dict) -> str:
    value = record.get("id")
    if not isinstance(value, str) or not value:
        raise ProviderError("Housecall Pro answered without the record's id",
                            ProblemKind.BAD_RESPONSE)
    return value


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _name(record: dict) -> str:
    parts = [_text(record.get(k)) for k in ("first_name", "last_name")]
    return (" ".join(p for p in parts if p) or _text(record.get("company"))
            or _text(record.get("email")) or str(record.get("id") or "the customer"))


def _tagged(record: dict, tag: str) -> bool:
    tags = record.get("tags")
    return isinstance(tags, list) and tag.lower() in {str(t).lower() for t in tags}


def _phones(record: dict) -> list[str]:
    numbers = []
    for field in PHONES:
        try:
            numbers.append(to_e164(str(record.get(field) or "")))
        except InvalidPhone:
            pass
    return numbers


def _same(field: str, new: str | None, old: str | None) -> bool:
    if field in PHONES and new and old:
        return _phones({field: new}) == _phones({field: old}) != []
    return new == old


def _hcp_phone(value: str) -> str:
    """A North American number as the bare ten digits Housecall Pro stores; others E.164."""
    try:
        e164 = to_e164(value)
    except InvalidPhone:
        return value  # Housecall Pro decides
    return e164[2:] if e164.startswith("+1") else e164


def _when(value) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a time: {value!r}")
    return as_utc(datetime.fromisoformat(value))


def _maybe_when(value) -> datetime | None:
    try:
        return _when(value)
    except ValueError:
        return None


def _contact(record: dict, key: str | None = None) -> CrmContact:
    tags = record.get("tags") if isinstance(record.get("tags"), list) else []
    addresses = record.get("addresses") if isinstance(record.get("addresses"), list) else []
    phones = _phones(record)
    return CrmContact(
        crm_id=_id(record), name=_name(record), phone=phones[0] if phones else None,
        other_phones=tuple(dict.fromkeys(p for p in phones[1:] if p != phones[0])),
        email=_text(record.get("email")),
        address=next((_one_line(a) for a in addresses if isinstance(a, dict)), None),
        created_at=_maybe_when(record.get("created_at")),
        updated_at=_maybe_when(record.get("updated_at")),
        # in listings, the marker: Housecall Pro holds no more of the key than that
        key=key or next((str(t) for t in tags if str(t).startswith("FD-")), None))


def _job(record: dict) -> CrmJob:
    total = record.get("total_amount") or 0
    if isinstance(total, bool) or not isinstance(total, (int, float)):
        raise ValueError(f"total_amount is not a number of cents: {total!r}")
    customer = record.get("customer") if isinstance(record.get("customer"), dict) else {}
    schedule = record.get("schedule") if isinstance(record.get("schedule"), dict) else {}
    status = record.get("work_status")
    if not isinstance(status, str):
        raise ValueError("the job has no work_status")
    return CrmJob(
        crm_id=_id(record), contact_crm_id=_text(customer.get("id")),
        title=_text(record.get("description")) or f"Job #{record.get('invoice_number')}",
        status=status, created_at=_when(record.get("created_at")),
        updated_at=_when(record.get("updated_at")), revenue_cents=round(total),
        scheduled_at=_when(schedule["scheduled_start"]) if schedule.get("scheduled_start")
        else None)


def _contact_body(fields: dict[str, str]) -> dict:
    unknown = sorted(set(fields) - CONTACT_FIELDS)
    if unknown:
        raise ProviderError(f"Housecall Pro customers have no field {', '.join(unknown)}: fix "
                            "Settings → CRM → field map", ProblemKind.REJECTED)
    body: dict = {}
    for field, value in fields.items():
        if field == "name":
            first, last = split_name(value)
            body.setdefault("first_name", first)  # an explicit first/last name wins
            body.setdefault("last_name", last)
        elif field == "address":
            body["addresses"] = [_address(value)]
        else:
            body[field] = _hcp_phone(value) if field in PHONES else value
    return body


def _address(text: str) -> dict:
    """'12 E 8th St, Apt 3, Chicago, IL 60605' -> Housecall Pro's parts; else all in street."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    match = _STATE_ZIP.match(parts[-1]) if parts else None
    if match and match["city"] and len(parts) >= 2:
        street, city = parts[:-1], match["city"]
    elif match and len(parts) >= 3:
        street, city = parts[:-2], parts[-2]
    else:
        return {"street": text.strip()}
    address = {"street": street[0], "city": city, "state": match["state"].upper(),
               "zip": match["zip"]}
    if street[1:]:
        address["street_line_2"] = ", ".join(street[1:])
    return address


def _one_line(address: dict) -> str | None:
    region = " ".join(p for p in (_text(address.get("state")), _text(address.get("zip"))) if p)
    parts = [_text(address.get(k)) for k in ("street", "street_line_2", "city")] + [region]
    return ", ".join(p for p in parts if p) or None


def _same_address(customer: dict, wanted: dict) -> str | None:
    """The id of the customer's address that is `wanted`, so the lead links it, not a copy."""
    def norm(value) -> str:
        return " ".join(str(value or "").lower().split())

    for address in customer.get("addresses") or []:
        if isinstance(address, dict) and all(norm(address.get(k)) == norm(wanted.get(k))
                                             for k in ("street", "zip")):
            return _text(address.get("id"))
    return None


def _customer_url(crm_id: str) -> str:
    return f"{WEB_URL}/customers/{quote(crm_id, safe='')}"


def _lead_undo(lead: dict, name: str, tag: str) -> str:
    number = lead.get("number") or lead.get("id")
    return (f"If lead {number} for {name} was created by mistake, open it in Housecall Pro "
            f"(Leads → {name}, tag {tag}) and mark it lost or delete it there. "
            "Front Desk never deletes.")
