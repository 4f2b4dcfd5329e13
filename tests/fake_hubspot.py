"""A loopback fake of HubSpot's CRM API, on pytest-httpserver, in HubSpot's wire format.

It answers what the adapter uses:

* `GET /account-info/v3/details` -> `{portalId, uiDomain, timeZone, ...}`
* `GET /crm/v3/properties/contacts/{name}`, `POST /crm/v3/properties/contacts` (409 when the
  name exists), `POST /crm/v3/properties/contacts/groups` (409 when the group exists).
* `GET /crm/v3/objects/{type}` (list), `GET /crm/v3/objects/{type}/{id}` with `properties`
  and `idProperty` (a unique property's value instead of the id; 404 when none has it),
  `POST /crm/v3/objects/contacts|notes` (201), `PATCH /crm/v3/objects/contacts/{id}`,
  `POST /crm/v3/objects/{type}/batch/read` (207 with `errors` for unknown ids).
* `POST /crm/v3/objects/{type}/search`: `filterGroups` (OR of AND-ed filters; at most 5
  groups, 6 filters a group, 18 in all), `sorts`, `properties`, `limit` (1..200), `after` (an
  offset); `{total, results, paging.next.after}`; a 400 past 10,000 results.
* `GET /crm/v4/objects/{type}/{id}/associations/{toType}` and
  `POST /crm/v4/associations/{from}/{to}/batch/read`.

Records are `{id, properties, createdAt, updatedAt, archived}` with string values and ISO
8601 UTC times with milliseconds. Errors are `{status: "error", message, correlationId,
category}`; 401 for a wrong Bearer token, 403 MISSING_SCOPES for a scope in
`missing_scopes`; 429 `{status, message, errorType: RATE_LIMIT, correlationId, policyName,
requestId}` with HubSpot's X-HubSpot-RateLimit-* headers and no Retry-After unless asked.

Vendor behaviours: a duplicate email answers 409 "Contact already exists. Existing ID: N";
records created through the API stay out of `/search` for `search_lag_s` seconds while GET by
id or idProperty and associations see them at once.

Guessed (plausible, not verified): the 400 wording for a duplicate value of a unique
property, for paging past 10,000 results and for an unknown property; the 500 body; the
404 wording of the properties API.
"""

from __future__ import annotations

import itertools
import json
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

from desktop.domain.phone import InvalidPhone, to_e164

PORTAL_ID = 4455667
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate",
            "notes": "hs_lastmodifieddate"}
CREATED = {"contacts": "createdate", "deals": "createdate", "notes": "hs_createdate"}
DEFAULTS = {"contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                         "lastname"],
            "deals": ["amount", "closedate", "createdate", "dealname", "dealstage",
                      "hs_lastmodifieddate", "hs_object_id", "pipeline"],
            "notes": ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"]}
DATES = {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate", "hs_timestamp",
         "hs_createdate"}
STANDARD = ("email", "firstname", "lastname", "phone", "mobilephone", "address", "city",
            "state", "zip", "company", "jobtitle", "lifecyclestage", "createdate",
            "lastmodifieddate", "hs_object_id")
TYPE_IDS = {("notes", "contacts"): 202, ("contacts", "notes"): 201,
            ("deals", "contacts"): 3, ("contacts", "deals"): 4}
# The scope each kind of request needs (private app granular scopes).
READ, WRITE = "crm.objects.contacts.read", "crm.objects.contacts.write"


def iso(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(value: str) -> datetime:
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, timezone.utc)
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def human(phone: str) -> str:
    """How a receptionist types a US number: +13125550142 -> (312) 555-0142."""
    if phone.startswith("+1") and len(phone) == 12 and phone[1:].isdigit():
        return f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    return phone


class FakeHubSpot:
    def __init__(self, server: HTTPServer,
                 token: str = "pat-na1-7c1f0e2a-4b8d-4e11-9a3c-5d2e8f6b1a90"):
        self.server, self.token = server, token
        self.search_lag_s = 0.0
        self.response_delay_s = 0.0
        self.hang_s = 2.0
        self.result_cap = 10_000
        self.missing_scopes: set[str] = set()
        self.requests_seen: list[str] = []
        self.bodies: list[tuple[str, dict]] = []        # (path, JSON body) of POST/PATCH
        self.deletes = 0
        self.objects: dict[str, dict[str, dict]] = {"contacts": {}, "deals": {}, "notes": {}}
        self.associations: set[tuple[str, str, str, str]] = set()  # (from, id, to, id)
        self.properties = {name: _definition(name, name.title(), "contactinformation")
                           for name in STANDARD}
        self.groups = {"contactinformation"}
        self._visible_at: dict[tuple[str, str], float] = {}
        self._failures: deque[tuple[str, str | None]] = deque()
        self._lost = 0
        self._ids = itertools.count(51)
        self._lock = threading.RLock()
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    # -- the tests' controls ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def secrets(self) -> dict[str, str]:
        return {"crm.hubspot.token": self.token}

    def settings(self) -> dict[str, object]:
        return {"crm.provider": "hubspot", "crm.base_url": self.base_url}

    def fail_next(self, count: int, mode: str, retry_after: float | str | None = None) -> None:
        """The next `count` requests fail (0: none, the outage is over): "500", "429" (with
        `Retry-After` when given) or "timeout" (hang `hang_s`, then 500)."""
        wait = None if retry_after is None else str(retry_after)
        with self._lock:
            self._failures = deque((mode, wait) for _ in range(count))

    def fail_after_commit(self, count: int) -> None:
        """The next `count` creates land, then answer 500: an answer lost on the way."""
        with self._lock:
            self._lost += count

    def seed_contact(self, name: str, phone: str | None, email: str | None = None,
                     address: str | None = None, updated_at: datetime | None = None,
                     other_phones: tuple[str, ...] = ()) -> str:
        """A contact made in HubSpot itself; HubSpot has one more number, `mobilephone`."""
        first, _, last = name.rpartition(" ") if " " in name else (name, "", "")
        props = {"firstname": first, "lastname": last or None, "email": email,
                 "phone": human(phone) if phone else None, "address": address,
                 "mobilephone": human(other_phones[0]) if other_phones else None}
        with self._lock:
            return self._create("contacts", props, updated_at, lag=False)["id"]

    def seed_job(self, contact_id: str, title: str, status: str, total_cents: int,
                 updated_at: datetime | None = None, scheduled_at: datetime | None = None) -> str:
        props = {"dealname": title, "dealstage": status, "pipeline": "default",
                 "amount": f"{total_cents / 100:.2f}",
                 "closedate": iso(scheduled_at) if scheduled_at else None}
        with self._lock:
            deal = self._create("deals", props, updated_at, lag=False)
            self._associate("deals", deal["id"], "contacts", contact_id)
            return deal["id"]

    def contacts_with_phone(self, e164: str) -> list[dict]:
        with self._lock:
            return [c for c in self.objects["contacts"].values()
                    if _e164(c["properties"].get("phone")) == e164]

    def lead_records(self, contact_id: str) -> list[dict]:
        with self._lock:
            return [self.objects["notes"][n] for f, n, t, c in sorted(self.associations)
                    if (f, t, c) == ("notes", "contacts", contact_id)]

    # -- the server --------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests_seen.append(f"{request.method} {request.path}")
            if request.method == "DELETE":
                self.deletes += 1
            failure = self._failures.popleft() if self._failures else None
            delay, hang = self.response_delay_s, self.hang_s
        if delay:
            time.sleep(delay)
        if failure:
            mode, retry_after = failure
            if mode == "429":
                return _rate_limited(retry_after)
            if mode == "timeout":
                time.sleep(hang)
            return _error(500, "internal error", "INTERNAL_ERROR")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "Authentication credentials not found. This API supports OAuth "
                               "2.0 authentication and you can find more details at "
                               "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                          "INVALID_AUTHENTICATION")
        body = request.get_json(silent=True) if request.data else None
        if request.method in ("POST", "PATCH"):
            if not isinstance(body, dict):
                return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
            self.bodies.append((request.path, body))
        with self._lock:
            return self._route(request, body or {})

    def _route(self, request: Request, body: dict) -> Response:
        method, path, args = request.method, request.path, request.args
        if method == "DELETE":
            return Response(status=204)      # recorded above; nothing is ever removed
        if path == "/account-info/v3/details" and method == "GET":
            return _json({"portalId": PORTAL_ID, "accountType": "STANDARD",
                          "timeZone": "US/Central", "companyCurrency": "USD",
                          "additionalCurrencies": [], "utcOffset": "-06:00",
                          "utcOffsetMilliseconds": -21600000, "uiDomain": "app.hubspot.com",
                          "dataHostingLocation": "na1"})
        if m := re.fullmatch(r"/crm/v3/properties/contacts(?:/(groups|[\w-]+))?", path):
            return self._scoped("crm.schemas.contacts.write" if method == "POST" else
                                "crm.schemas.contacts.read") or self._properties(
                                    method, m.group(1), body, args)
        if m := re.fullmatch(r"/crm/v4/objects/(\w+)/([^/]+)/associations/(\w+)", path):
            return self._scoped(READ) or self._list_links(*m.groups(), args)
        if m := re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", path):
            return self._scoped(READ) or self._batch_links(m.group(1), m.group(2), body)
        m = re.fullmatch(r"/crm/v3/objects/(contacts|deals|notes)(?:/([^/]+))?(?:/(\w+))?",
                         path)
        if not m:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        kind, record_id, action = m.groups()
        scope = "crm.objects.deals.read" if kind == "deals" else (
            WRITE if method in ("POST", "PATCH") and record_id not in ("search", "batch")
            else READ)
        if problem := self._scoped(scope):
            return problem
        if record_id == "search" and method == "POST":
            return self._search(kind, body)
        if record_id == "batch" and action == "read" and method == "POST":
            return self._batch_read(kind, body)
        if record_id is None and method == "GET":
            return self._list(kind, args)
        if record_id is None and method == "POST" and kind != "deals":
            return self._create_from(kind, body)
        if record_id and method == "GET":
            return self._read(kind, record_id, args)
        if record_id and method == "PATCH" and kind == "contacts":
            return self._update(kind, record_id, body)
        return _error(405, f"{method} is not supported here", "VALIDATION_ERROR")

    def _scoped(self, scope: str) -> Response | None:
        if scope not in self.missing_scopes:
            return None
        return _error(403, "This app hasn't been granted all required scopes to make this "
                           "call. Read more about required scopes here: "
                           "https://developers.hubspot.com/scopes.", "MISSING_SCOPES",
                      errors=[{"message": "One or more of the following scopes are required.",
                               "context": {"requiredGranularScopes": [scope]}}],
                      links={"scopes": "https://developers.hubspot.com/scopes"})

    # -- properties ----------------------------------------------------------------------------
    def _properties(self, method: str, name: str | None, body: dict, args) -> Response:
        if method == "GET" and name and name != "groups":
            found = self.properties.get(name)
            return _json(found) if found else _error(
                404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
        if method == "GET" and name is None:
            return _json({"results": list(self.properties.values())})
        if method == "POST" and name == "groups":
            if body.get("name") in self.groups:
                return _error(409, f"A property group named {body.get('name')} already exists.",
                              "OBJECT_ALREADY_EXISTS")
            self.groups.add(body.get("name"))
            return _json({"name": body.get("name"), "label": body.get("label"),
                          "displayOrder": body.get("displayOrder", -1), "archived": False}, 201)
        if method == "POST" and name is None:
            prop = body.get("name")
            if prop in self.properties:
                return _error(409, f"Property named '{prop}' already exists.",
                              "OBJECT_ALREADY_EXISTS")
            missing = [k for k in ("name", "label", "type", "fieldType", "groupName")
                       if not body.get(k)]
            if missing or body.get("groupName") not in self.groups:
                return _error(400, f"Invalid property: {missing or 'unknown groupName'}",
                              "VALIDATION_ERROR")
            self.properties[prop] = _definition(prop, body["label"], body["groupName"],
                                                bool(body.get("hasUniqueValue")), False)
            return _json(self.properties[prop], 201)
        return _error(405, "Method not allowed", "VALIDATION_ERROR")

    # -- objects -------------------------------------------------------------------------------
    def _create_from(self, kind: str, body: dict) -> Response:
        props = body.get("properties") or {}
        if kind == "contacts":
            unknown = [k for k in props if k not in self.properties]
            if unknown:
                return _invalid([{"isValid": False, "message": f'Property "{k}" does not exist',
                                  "error": "PROPERTY_DOESNT_EXIST", "name": k} for k in unknown])
            email = (props.get("email") or "").strip().lower()
            for other in self.objects["contacts"].values():
                if email and (other["properties"].get("email") or "").lower() == email:
                    return _error(409, f"Contact already exists. Existing ID: {other['id']}",
                                  "CONFLICT")
                for name, value in props.items():
                    if value and self.properties[name]["hasUniqueValue"] and \
                            other["properties"].get(name) == value:
                        return _invalid([{"isValid": False, "message": f"{other['id']} already "
                                          "has that value.", "error": "INVALID_VALUE",
                                          "name": name}])
        links = body.get("associations") or []
        if kind == "notes":
            if not props.get("hs_timestamp"):
                return _invalid([{"isValid": False, "message": "hs_timestamp is required",
                                  "error": "REQUIRED_FIELD", "name": "hs_timestamp"}])
            for link in links:
                to = str((link.get("to") or {}).get("id"))
                types = [t.get("associationTypeId") for t in link.get("types") or []]
                if to not in self.objects["contacts"] or types != [202]:
                    return _error(400, f"Could not associate note to contact {to}",
                                  "VALIDATION_ERROR")
        record = self._create(kind, props, None, lag=True)
        for link in links:
            self._associate(kind, record["id"], "contacts", str(link["to"]["id"]))
        if self._lost:
            self._lost -= 1
            return _error(500, "internal error", "INTERNAL_ERROR")
        return _json(self._view(kind, record, list(props)), 201)

    def _create(self, kind: str, props: dict, at: datetime | None, lag: bool) -> dict:
        record_id = str(next(self._ids))
        moment = iso(at or datetime.now(timezone.utc))
        values = {k: None if v is None else str(v) for k, v in props.items()}
        values.update({"hs_object_id": record_id, CREATED[kind]: moment, MODIFIED[kind]: moment})
        record = {"id": record_id, "properties": values, "createdAt": moment,
                  "updatedAt": moment, "archived": False}
        self.objects[kind][record_id] = record
        self._visible_at[(kind, record_id)] = time.monotonic() + (self.search_lag_s if lag else 0)
        return record

    def _update(self, kind: str, record_id: str, body: dict) -> Response:
        record = self.objects[kind].get(record_id)
        if record is None:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        props = body.get("properties") or {}
        unknown = [k for k in props if k not in self.properties]
        if unknown:
            return _invalid([{"isValid": False, "message": f'Property "{k}" does not exist',
                              "error": "PROPERTY_DOESNT_EXIST", "name": k} for k in unknown])
        moment = iso(datetime.now(timezone.utc))
        record["properties"].update({k: str(v) if v else None for k, v in props.items()})
        record["properties"][MODIFIED[kind]] = record["updatedAt"] = moment
        return _json(self._view(kind, record, list(props)))

    def _read(self, kind: str, record_id: str, args) -> Response:
        id_property = args.get("idProperty")
        if id_property:
            if not self.properties.get(id_property, {}).get("hasUniqueValue"):
                return _error(400, f"{id_property} is not a unique identifier property",
                              "VALIDATION_ERROR")
            record = next((r for r in self.objects[kind].values()
                           if r["properties"].get(id_property) == record_id), None)
        else:
            record = self.objects[kind].get(record_id)
        if record is None:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        return _json(self._view(kind, record, _wanted(args)))

    def _list(self, kind: str, args) -> Response:
        limit = int(args.get("limit", 10))
        rows = list(self.objects[kind].values())[:limit]
        return _json({"results": [self._view(kind, r, _wanted(args)) for r in rows]})

    def _batch_read(self, kind: str, body: dict) -> Response:
        inputs = [str(i.get("id")) for i in body.get("inputs") or []]
        if len(inputs) > 100:
            return _error(400, "Batch read is limited to 100 inputs", "VALIDATION_ERROR")
        found = [self.objects[kind][i] for i in inputs if i in self.objects[kind]]
        missing = [i for i in inputs if i not in self.objects[kind]]
        out = _batch([self._view(kind, r, body.get("properties") or []) for r in found])
        if missing:
            out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                              "message": "Could not get some objects, they may be deleted "
                                         "or not exist.", "context": {"ids": missing}}]
            out["numErrors"] = 1
        return _json(out, 207 if missing else 200)

    def _search(self, kind: str, body: dict) -> Response:
        groups = body.get("filterGroups") or []
        counts = [len(g.get("filters") or []) for g in groups]
        if len(groups) > 5 or any(c > 6 for c in counts) or sum(counts) > 18:
            return _error(400, "Too many filters: at most 5 filterGroups with 6 filters each "
                               "and 18 in all", "VALIDATION_ERROR")
        limit, offset = int(body.get("limit", 10)), int(body.get("after") or 0)
        if not 1 <= limit <= 200:
            return _error(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
        if offset + limit > self.result_cap:
            return _error(400, f"Search results are limited to {self.result_cap} results; "
                               "narrow the filters", "VALIDATION_ERROR")
        now = time.monotonic()
        rows = [r for r in self.objects[kind].values()
                if self._visible_at.get((kind, r["id"]), 0) <= now
                and (not groups or any(all(_matches(r, f) for f in g.get("filters") or [])
                                       for g in groups))]
        rows.sort(key=lambda r: int(r["id"]))
        for sort in reversed(body.get("sorts") or []):
            name = sort.get("propertyName") if isinstance(sort, dict) else sort.lstrip("-")
            down = (sort.get("direction") == "DESCENDING") if isinstance(sort, dict) \
                else sort.startswith("-")
            rows.sort(key=lambda r: _sort_key(r, name), reverse=down)
        out = {"total": len(rows), "results": [self._view(kind, r, body.get("properties") or [])
                                               for r in rows[offset:offset + limit]]}
        if offset + limit < len(rows):
            out["paging"] = {"next": {"after": str(offset + limit),
                                      "link": f"?after={offset + limit}"}}
        return _json(out)

    def _view(self, kind: str, record: dict, wanted: list[str]) -> dict:
        names = dict.fromkeys(DEFAULTS[kind] + list(wanted))
        props = record["properties"]
        return {**record, "properties": {n: props.get(n) for n in names
                                         if n in props or n in self.properties}}

    # -- associations --------------------------------------------------------------------------
    def _associate(self, kind: str, record_id: str, to_kind: str, to_id: str) -> None:
        self.associations.update({(kind, record_id, to_kind, to_id),
                                  (to_kind, to_id, kind, record_id)})

    def _links(self, kind: str, record_id: str, to_kind: str) -> list[dict]:
        return [{"toObjectId": int(t), "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": TYPE_IDS.get((kind, to_kind), 0),
                     "label": None}]}
                for f, i, k, t in sorted(self.associations)
                if (f, i, k) == (kind, record_id, to_kind)]

    def _list_links(self, kind: str, record_id: str, to_kind: str, args) -> Response:
        if record_id not in self.objects.get(kind, {}):
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        links = self._links(kind, record_id, to_kind)
        limit, offset = min(int(args.get("limit", 500)), 500), int(args.get("after") or 0)
        out = {"results": links[offset:offset + limit]}
        if offset + limit < len(links):
            out["paging"] = {"next": {"after": str(offset + limit), "link": None}}
        return _json(out)

    def _batch_links(self, kind: str, to_kind: str, body: dict) -> Response:
        results, missing = [], []
        for item in body.get("inputs") or []:
            links = self._links(kind, str(item.get("id")), to_kind)
            if links:
                results.append({"from": {"id": str(item.get("id"))}, "to": links})
            else:
                missing.append(str(item.get("id")))
        out = _batch(results)
        if missing:
            out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                              "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                              "message": f"No {to_kind} is associated with {kind} {i}.",
                              "context": {"fromObjectId": [i]}} for i in missing]
            out["numErrors"] = len(missing)
        return _json(out, 207 if missing else 200)


def _definition(name: str, label: str, group: str, unique: bool = False,
                hubspot: bool = True) -> dict:
    return {"name": name, "label": label, "type": "string", "fieldType": "text",
            "groupName": group, "hasUniqueValue": unique, "hubspotDefined": hubspot,
            "description": "", "options": [], "displayOrder": -1, "hidden": False,
            "formField": True, "calculated": False, "externalOptions": False,
            "createdAt": "2025-01-06T15:00:00.000Z", "updatedAt": "2025-01-06T15:00:00.000Z",
            "archived": False, "modificationMetadata": {
                "archivable": not hubspot, "readOnlyDefinition": hubspot,
                "readOnlyValue": False}}


def _matches(record: dict, spec: dict) -> bool:
    name, op = spec.get("propertyName"), spec.get("operator", "EQ")
    actual = record["properties"].get(name)
    if op == "HAS_PROPERTY":
        return actual not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return actual in (None, "")
    if actual in (None, ""):
        return op == "NEQ"
    if op == "IN":
        return str(actual).lower() in {str(v).lower() for v in spec.get("values") or []}
    if name in DATES:
        left, right = parse(actual), parse(spec.get("value"))
    else:
        left, right = str(actual).lower(), str(spec.get("value")).lower()
    return {"EQ": left == right, "NEQ": left != right, "GT": left > right,
            "GTE": left >= right, "LT": left < right, "LTE": left <= right}.get(op, False)


def _sort_key(record: dict, name: str):
    value = record["properties"].get(name)
    if value in (None, ""):
        return (1, "")
    return (0, parse(value).timestamp()) if name in DATES else (0, str(value).lower())


def _wanted(args) -> list[str]:
    return [p for value in args.getlist("properties") for p in value.split(",") if p]


def _batch(results: list) -> dict:
    moment = iso(datetime.now(timezone.utc))
    return {"status": "COMPLETE", "results": results, "startedAt": moment,
            "completedAt": moment}


def _e164(phone: str | None) -> str | None:
    try:
        return to_e164(phone) if phone else None
    except InvalidPhone:
        return None


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json;charset=utf-8")


def _error(status: int, message: str, category: str, **extra) -> Response:
    return _json({"status": "error", "message": message,
                  "correlationId": str(uuid.uuid4()), "category": category, **extra}, status)


def _invalid(problems: list[dict]) -> Response:
    return _error(400, "Property values were not valid: " + json.dumps(problems),
                  "VALIDATION_ERROR")


def _rate_limited(retry_after: str | None) -> Response:
    headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
               "X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "0"}
    if retry_after:
        headers["Retry-After"] = retry_after
    return _json({"status": "error", "message": "You have reached your ten_secondly_rolling "
                  "limit.", "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                  "policyName": "TEN_SECONDLY_ROLLING", "requestId": str(uuid.uuid4())},
                 429, headers)


@pytest.fixture
def hubspot():
    """A fresh fake HubSpot on 127.0.0.1 and a free port."""
    server = shared_server("hubspot")
    server.clear()
    yield FakeHubSpot(server)
    server.clear()
