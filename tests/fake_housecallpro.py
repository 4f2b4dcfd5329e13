"""A loopback fake of Housecall Pro's public API (docs.housecallpro.com), on pytest-httpserver.

It answers what the adapter uses, in the API's wire format (the OpenAPI file
`housecall.v1.yaml`):

* `Authorization: Token <key>` on every request; anything else -> 401 `{"message": ...}`
  (the one 401 body the spec documents; its wording here is a guess).
* `GET /customers` -> `{customers, page, page_size, total_pages, total_items}`; `q` matches
  name, email, mobile number and address as documented (numbers compared by digits, as
  Housecall Pro stores them), never tags, notes, home or work numbers; `sort_by` (default
  created_at) and `sort_direction` (default desc); `page` from 1, `page_size` default 10.
* `POST /customers` (201; 422 unless one of first_name, last_name, email, mobile_number,
  home_number, work_number is given), `GET /customers/{id}`, `PUT /customers/{id}`.
* `POST /leads` (201; customer_id must exist), `GET /leads?customer_id=`: a lead reads back
  without its note and without dates, as the Lead schema has neither.
* `GET /jobs` (filters customer_id; sort_by created_at|updated_at), `GET /company`.
* Errors are `{"error": {"message": ...}}`. 429 and 5xx bodies are not documented: guesses.

Records are stored as given: a seeded customer keeps the number as a receptionist typed it
("(312) 555-0142"). Thread-safe: the delivery tests reach it from another process.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone

import pytest
from loopback import shared_server
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from desktop.domain.phone import InvalidPhone, display, to_e164

SECRET = "crm.housecallpro.api_key"
COMPANY = {"id": "0c2e5b1a-6a4b-4f7e-9d53-2f0b8a4c1d11", "name": "Lakeview Plumbing & Heat",
           "support_email": "office@lakeviewplumbing.example", "phone_number": "3125550100",
           "time_zone": "America/Chicago", "website": "https://lakeviewplumbing.example"}
CUSTOMER_FIELDS = ("first_name", "last_name", "email", "company", "notifications_enabled",
                   "mobile_number", "home_number", "work_number", "tags", "lead_source", "notes")
CONTACT_METHODS = ("first_name", "last_name", "email", "mobile_number", "home_number",
                   "work_number")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def digits(text) -> str:
    return re.sub(r"\D", "", str(text or ""))


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class FakeHousecallPro:
    def __init__(self, server: HTTPServer, api_key: str = "hcp_5ecret_k3y_0042aa"):
        self.server = server
        self.api_key = api_key
        self.forbidden = False
        self.hang_s = 2.0
        self.response_delay_s = 0.0
        self.customers: dict[str, dict] = {}
        self.leads: dict[str, dict] = {}     # the stored lead, note and created_at included
        self.jobs: dict[str, dict] = {}
        self.requests_seen: list[str] = []
        self.queries: list[tuple[str, dict[str, str]]] = []
        self.deletes = 0
        self._failures: deque[tuple[str, str | None]] = deque()
        self._lost_creates = 0
        self._numbers = itertools.count(1001)
        self._lock = threading.Lock()
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    # -- the interface the delivery tests share across CRM fakes -----------------------------
    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def secrets(self) -> dict[str, str]:
        return {SECRET: self.api_key}

    def settings(self) -> dict[str, object]:
        return {"crm.provider": "housecallpro", "crm.base_url": self.base_url}

    def fail_next(self, count: int, mode: str, retry_after: float | None = None) -> None:
        """The next `count` requests fail (replacing any failures still pending, so 0 ends
        an outage): "500", "429" (Retry-After when given), "timeout"."""
        if mode not in ("500", "429", "timeout"):
            raise ValueError(f"unknown failure mode {mode!r}")
        wait = None if retry_after is None else str(retry_after)
        with self._lock:
            self._failures = deque((mode, wait) for _ in range(count))

    def fail_after_commit(self, count: int) -> None:
        """The next `count` creates land, then answer 500: the answer is lost, not the write."""
        with self._lock:
            self._lost_creates += count

    def seed_contact(self, name: str, phone: str | None, email: str | None = None,
                     address: str | None = None, updated_at: datetime | None = None,
                     other_phones: tuple[str, ...] = ()) -> str:
        first, _, last = name.strip().rpartition(" ") if " " in name.strip() else (name, "", "")
        typed = phone
        if phone:
            try:
                typed = display(to_e164(phone))  # "(312) 555-0142", as a receptionist types it
            except InvalidPhone:
                pass
        body = {"first_name": first or name, "last_name": last or None, "email": email,
                "mobile_number": typed,
                **dict(zip(("home_number", "work_number"),
                           (p.removeprefix("+1") for p in other_phones)))}
        if address:
            body["addresses"] = [{"street": address}]
        with self._lock:
            record = self._create_customer(body, updated_at)
        return record["id"]

    def seed_job(self, contact_id: str, title: str, status: str, total_cents: int,
                 updated_at: datetime | None = None, scheduled_at: datetime | None = None) -> str:
        with self._lock:
            customer = self.customers[contact_id]
            now = updated_at or datetime.now(timezone.utc)
            job = {
                "id": _new_id("job"), "invoice_number": str(next(self._numbers)),
                "description": title,
                "customer": {k: customer.get(k) for k in (
                    "id", "first_name", "last_name", "email", "mobile_number", "home_number",
                    "work_number", "company", "notifications_enabled", "lead_source",
                    "created_at", "updated_at", "company_name", "company_id", "tags")},
                "address": (customer.get("addresses") or [None])[0], "notes": [],
                "work_status": status,
                "work_timestamps": {"on_my_way_at": None, "started_at": None,
                                    "completed_at": None},
                "schedule": {"scheduled_start": iso(scheduled_at) if scheduled_at else None,
                             "scheduled_end": None, "arrival_window": 0, "appointments": []},
                "total_amount": total_cents, "outstanding_balance": total_cents,
                "subtotal": total_cents, "assigned_employees": [], "tags": [],
                "lead_source": None, "created_at": iso(now), "updated_at": iso(now),
                "company_name": COMPANY["name"], "company_id": COMPANY["id"]}
            self.jobs[job["id"]] = job
        return job["id"]

    def contacts_with_phone(self, e164: str) -> list[dict]:
        with self._lock:
            return [dict(c) for c in self.customers.values()
                    if any(_e164(c.get(f)) == e164 for f in
                           ("mobile_number", "home_number", "work_number"))]

    def lead_records(self, contact_id: str) -> list[dict]:
        with self._lock:
            return [dict(lead) for lead in self.leads.values()
                    if lead["customer"]["id"] == contact_id]

    # -- the server ---------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests_seen.append(f"{request.method} {request.path}")
            self.queries.append((request.path, dict(request.args)))
            if request.method == "DELETE":
                self.deletes += 1
            failure = self._failures.popleft() if self._failures else None
        if self.response_delay_s:
            time.sleep(self.response_delay_s)
        if failure:
            mode, retry_after = failure
            if mode == "timeout":
                time.sleep(self.hang_s)
                return _error(500, "Internal Server Error")
            if mode == "429":
                return _error(429, "Too many requests", {"Retry-After": retry_after}
                              if retry_after else None)
            return _error(500, "Internal Server Error")
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return _json({"message": "Unauthorized"}, 401)
        if self.forbidden:
            return _error(403, "This company does not have access to the public API")
        with self._lock:
            return self._route(request)

    def _route(self, request: Request) -> Response:
        method, path = request.method, request.path.rstrip("/")
        body = request.get_json(silent=True) if request.data else {}
        match = re.fullmatch(r"/customers/([^/]+)", path)
        if method == "GET" and path == "/company":
            return _json(COMPANY)
        if method == "GET" and path == "/customers":
            return self._list_customers(request.args)
        if method == "POST" and path == "/customers":
            if not isinstance(body, dict) or not any(body.get(k) for k in CONTACT_METHODS):
                return _error(422, "One of first_name, last_name, email, mobile_number, "
                                   "home_number, work_number are required.")
            return self._created(self._create_customer(body))
        if match and match[1] not in self.customers:
            return _error(404, "customer not found")
        if match and method == "GET":
            return _json(self.customers[match[1]])
        if match and method == "PUT":
            record = self.customers[match[1]]
            record.update({k: v for k, v in (body or {}).items() if k in CUSTOMER_FIELDS})
            record["updated_at"] = iso(datetime.now(timezone.utc))
            return _json(record)
        if method == "POST" and path == "/leads":
            return self._create_lead(body if isinstance(body, dict) else {})
        wanted = request.args.get("customer_id")
        if method == "GET" and path == "/leads":
            rows = [_public_lead(lead) for lead in sorted(
                self.leads.values(), key=lambda lead: lead["created_at"], reverse=True)
                if wanted in (None, lead["customer"]["id"])]
            return _page("leads", rows, request.args)
        if method == "GET" and path == "/jobs":
            rows = [j for j in self.jobs.values() if wanted in (None, j["customer"]["id"])]
            return _page("jobs", _sorted(rows, request.args), request.args)
        return _error(404, "Not Found")

    def _created(self, record: dict) -> Response:
        if self._lost_creates:
            self._lost_creates -= 1
            return _error(500, "Internal Server Error")  # it landed; the answer is lost
        return _json(record, 201)

    def _create_customer(self, body: dict, at: datetime | None = None) -> dict:
        now = iso(at or datetime.now(timezone.utc))
        record = {"id": _new_id("cus"), **{k: None for k in CUSTOMER_FIELDS},
                  "notifications_enabled": True, "tags": [], "created_at": now,
                  "updated_at": now, "company_name": COMPANY["name"],
                  "company_id": COMPANY["id"]}
        record.update({k: v for k, v in body.items() if k in CUSTOMER_FIELDS})
        record["addresses"] = [
            {"id": _new_id("adr"), "type": "service", "street": a.get("street"),
             "street_line_2": a.get("street_line_2"), "city": a.get("city"),
             "state": a.get("state"), "zip": a.get("zip"), "country": a.get("country") or "US"}
            for a in body.get("addresses") or [] if isinstance(a, dict)]
        self.customers[record["id"]] = record
        return record

    def _create_lead(self, body: dict) -> Response:
        customer = self.customers.get(body.get("customer_id") or "")
        if customer is None:
            return _error(422, "Customer or customer_id is required")
        address = next((a for a in customer["addresses"] if a["id"] == body.get("address_id")),
                       None) or body.get("address")
        lead = {"id": _new_id("lea"), "number": next(self._numbers),
                "customer": {k: customer.get(k) for k in (
                    "id", "first_name", "last_name", "email", "company",
                    "notifications_enabled", "mobile_number", "home_number", "work_number",
                    "tags", "lead_source")},
                "address": address, "lead_source": body.get("lead_source"),
                "tags": list(body.get("tags") or []), "assigned_employee": None,
                "status": "open", "pipeline_status": "New lead",
                "company_name": COMPANY["name"], "company_id": COMPANY["id"], "lost_at": None,
                # kept by Housecall Pro but not in the Lead it answers with:
                "note": body.get("note"), "created_at": iso(datetime.now(timezone.utc))}
        self.leads[lead["id"]] = lead
        return self._created(_public_lead(lead))

    def _list_customers(self, args) -> Response:
        rows = list(self.customers.values())
        q = (args.get("q") or "").strip().lower()
        if q:
            rows = [c for c in rows if _matches(c, q)]
        return _page("customers", _sorted(rows, args), args)


def _matches(customer: dict, q: str) -> bool:
    """What the docs say q searches: name, email, mobile number and address."""
    name = f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}".lower()
    texts = [name, (customer.get("email") or "").lower()] + [
        " ".join(str(a.get(k) or "") for k in ("street", "street_line_2", "city", "state",
                                                "zip")).lower()
        for a in customer.get("addresses") or []]
    if any(q in text for text in texts):
        return True
    wanted = digits(q)
    return len(wanted) >= 7 and len(wanted) >= len(q) - 4 and \
        wanted in digits(customer.get("mobile_number"))


def _sorted(rows: list[dict], args) -> list[dict]:
    key = args.get("sort_by", "created_at")
    if key not in ("created_at", "updated_at", "id"):
        key = "created_at"
    return sorted(rows, key=lambda r: (r.get(key) or "", r["id"]),
                  reverse=args.get("sort_direction", "desc") != "asc")


def _page(name: str, rows: list[dict], args) -> Response:
    page, size = max(1, int(args.get("page", 1))), max(1, int(args.get("page_size", 10)))
    chunk = rows[(page - 1) * size: page * size]
    return _json({name: chunk, "page": page, "page_size": size,
                  "total_pages": math.ceil(len(rows) / size), "total_items": len(rows)})


def _public_lead(lead: dict) -> dict:
    return {k: v for k, v in lead.items() if k not in ("note", "created_at")}


def _e164(text) -> str | None:
    try:
        return to_e164(text or "")
    except InvalidPhone:
        return None


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json")


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    return _json({"error": {"message": message}}, status, headers)


@pytest.fixture
def housecallpro():
    """A fresh fake on 127.0.0.1 and a free port (shared by the tests of this process)."""
    server = shared_server("housecallpro")
    server.clear()
    try:
        yield FakeHousecallPro(server)
    finally:
        server.clear()
