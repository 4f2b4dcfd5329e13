"""A loopback fake of Jobber's GraphQL API and OAuth token endpoint, on pytest-httpserver.

What it reproduces (developer.getjobber.com docs, and Jobber's GraphQL schema):

* `POST /api/oauth/token`, form grant_type=refresh_token, client_id, client_secret,
  refresh_token -> `{"access_token", "refresh_token", "expires_at": "2024-04-09 21:04:31
  UTC"}`. Refresh Token Rotation ON: every answer carries a NEW refresh token and the one sent
  is dead at once (the docs: apps created after 2024-01-02 get no grace period; only older
  apps may redeem an old token, with a warning). A dead or unknown refresh token answers 400
  `{"error": "invalid_grant", "error_description": "The provided refresh token is not
  valid."}` and a wrong client 401 `invalid_client` (status and shape are a guess: Doorkeeper's
  OAuth errors; the sentence is the docs').
* `POST /api/graphql`, JSON `{"operationName", "query", "variables"}` only. Bearer access
  token: unknown or expired -> 401 (body a guess); `X-JOBBER-GRAPHQL-VERSION` is required
  (missing -> 400, a guess). Access tokens last 60 minutes; `expire_access_tokens()` ends them.
* Operations are recognised by operationName (the adapter names each) and read only the
  variables; the query text is not parsed, so answers carry every field a record has.
* Mutations answer HTTP 200 with `userErrors: [{message, path}]` on bad input (a client with
  no name; an unknown id; the wording is a guess). Throttling is HTTP 200 with
  `errors[0].extensions.code` THROTTLED and `extensions.cost` {requestedQueryCost,
  actualQueryCost, throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}},
  exactly as the rate-limit page shows.
* Connections: `{nodes, pageInfo {hasNextPage, endCursor}, totalCount}`, opaque cursors, at
  most 100 nodes. IDs are EncodedIds (base64 of gid://Jobber/Client/N); times ISO 8601 with Z.
* `clients(searchTerm:)`: a case-insensitive substring of the name, an email or a phone
  number AS STORED (Jobber does not document its matching; this is the strictest plausible
  reading). `filter: {tags, updatedAt: {after, before}}` with strict bounds; `sort: {key:
  UPDATED_AT}`. `jobs(sort: [{key: UPDATED_AT}])`; jobs have no updatedAt filter.
* `fail_next` and `fail_after_commit` act on GraphQL calls only, never on the token endpoint
  (a lost refresh answer is unrecoverable with the real API too: the owner must reconnect).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from loopback import shared_server
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CLIENT_ID = "jb-client-id-4Hq8w"
CLIENT_SECRET = "jb-client-secret-Zk29xPq7"
API_VERSION = "2025-04-16"
WEB = "https://secure.getjobber.com"
CREATES = frozenset({"CreateClient", "CreateRequest"})
ANY = re.compile(".*")


def jb_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def digits(number: str) -> str:
    only = "".join(ch for ch in number if ch.isdigit())
    return only[1:] if len(only) == 11 and only.startswith("1") else only


def typed(number: str) -> str:
    """'+13125550142' as a receptionist types it: '(312) 555-0142'."""
    d = digits(number)
    return f"({d[:3]}) {d[3:6]}-{d[6:]}" if number.startswith("+1") and len(d) == 10 else number


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json")


class FakeJobber:
    """Besides the shared interface: `operations` (operationName of each GraphQL call),
    `versions_seen`, `forbidden` (403 on every call), `stuck_cursor` (pageInfo repeats its
    cursor), `legacy_app` (an app made before 2024-01-02: an old refresh token is still
    redeemed, with the docs' warning), `expire_access_tokens()`, and `now` (Jobber's clock)."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.account_name = "Roe Plumbing & Heating"
        self.now = lambda: datetime.now(timezone.utc)  # Jobber's clock: token expiry, stamps
        self.refresh_token = "jb-refresh-" + secrets.token_hex(8)
        self.legacy_app = False
        self._old_refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, datetime] = {}
        self.clients: dict[str, dict] = {}
        self.requests: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.client_notes: list[dict] = []
        self.requests_seen: list[str] = []
        self.operations: list[str] = []
        self.versions_seen: list[str | None] = []
        self.deletes = 0
        self.forbidden = False
        self.stuck_cursor = False
        self.response_delay_s = 0.0
        self.hang_s = 2.0
        self._failure: tuple[str, float | None] = ("500", None)
        self._failures_left = 0
        self._lost_creates = 0
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        server.expect_request(ANY, method="DELETE").respond_with_handler(self._other)
        server.expect_request("/api/oauth/token", method="POST").respond_with_handler(self._token)
        server.expect_request("/api/graphql").respond_with_handler(self._graphql)
        server.expect_request(ANY).respond_with_handler(self._other)

    # -- what the tests use -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def secrets(self) -> dict[str, str]:
        return {"crm.jobber.client_id": CLIENT_ID, "crm.jobber.client_secret": CLIENT_SECRET,
                "crm.jobber.refresh_token": self.refresh_token}

    def settings(self) -> dict[str, object]:
        return {"crm.provider": "jobber", "crm.base_url": self.base_url,
                "crm.jobber.api_version": API_VERSION}

    def fail_next(self, count: int, mode: str, retry_after: float | None = None) -> None:
        """The next `count` GraphQL requests fail (replacing any failures still pending, so
        0 ends an outage): "500", "429" (Jobber: HTTP 200 THROTTLED whose cost makes the wait
        `retry_after`, at most 19 s), "timeout" (hang `hang_s`, then 500)."""
        assert mode in ("500", "429", "timeout"), mode
        with self._lock:
            self._failure, self._failures_left = (mode, retry_after), count

    def fail_after_commit(self, count: int) -> None:
        """The next `count` clientCreate/requestCreate calls land, then answer 500."""
        with self._lock:
            self._lost_creates += count

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens.clear()

    def seed_contact(self, name: str, phone: str, email: str | None = None,
                     address: str | None = None, updated_at: datetime | None = None,
                     other_phones: tuple[str, ...] = ()) -> str:
        first, _, last = name.rpartition(" ") if " " in name else (name, "", "")
        phones = [{"number": typed(p), "primary": False, "description": "MOBILE"}
                  for p in other_phones] + [{"number": typed(phone), "primary": True}]
        with self._lock:
            client = self._new_client({"firstName": first, "lastName": last,
                                       "phones": phones,
                                       "emails": [{"address": email, "primary": True}]
                                       if email else [],
                                       "billingAddress": {"street1": address} if address
                                       else None}, updated_at)
            return client["id"]

    def seed_job(self, contact_id: str, title: str, status: str, total_cents: int,
                 updated_at: datetime | None = None, scheduled_at: datetime | None = None) -> str:
        with self._lock:
            number = next(self._ids)
            at = updated_at or self.now()
            job_id = _gid("Job", number)
            self.jobs[job_id] = {
                "id": job_id, "jobNumber": number, "title": title, "jobStatus": status,
                "total": total_cents / 100, "startAt": jb_time(scheduled_at) if scheduled_at
                else None, "createdAt": jb_time(at), "updatedAt": jb_time(at),
                "jobberWebUri": f"{WEB}/work_orders/{number}", "clientId": contact_id}
            return job_id

    def contacts_with_phone(self, e164: str) -> list[dict]:
        with self._lock:
            return [c for c in self.clients.values()
                    if any(digits(p["number"]) == digits(e164) for p in c["phones"])]

    def lead_records(self, contact_id: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests.values() if r["clientId"] == contact_id]

    # -- the token endpoint -----------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        self._log(request)
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        with self._lock:
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return _json({"error": "invalid_client", "error_description": "Client "
                              "authentication failed due to unknown client, no client "
                              "authentication included, or unsupported authentication "
                              "method."}, 401)
            sent = form.get("refresh_token")
            old = self.legacy_app and sent in self._old_refresh_tokens
            if form.get("grant_type") != "refresh_token" or (sent != self.refresh_token
                                                             and not old):
                return _json({"error": "invalid_grant",
                              "error_description": "The provided refresh token is not valid."},
                             400)
            self._old_refresh_tokens.add(self.refresh_token)
            self.refresh_token = "jb-refresh-" + secrets.token_hex(8)  # the old one dies now
            access = "eyJhbGciOiJIUzI1NiJ9." + secrets.token_urlsafe(24)
            expires = self.now() + timedelta(minutes=60)
            self.access_tokens[access] = expires
            answer = {"access_token": access, "refresh_token": self.refresh_token,
                      "expires_at": expires.strftime("%Y-%m-%d %H:%M:%S UTC")}
            if old:
                answer["warning"] = (
                    "Unexpected Refresh Token Redemption: A newer refresh token exists than the "
                    "one that was used for token redemption on this request. Please check your "
                    "app's handling of refresh token rotation. https://developer.getjobber.com/"
                    "docs/building_your_app/refresh_token_rotation")
            return _json(answer)

    # -- GraphQL -------------------------------------------------------------------------------
    def _graphql(self, request: Request) -> Response:
        self._log(request)
        if request.method != "POST":
            return _json({"errors": [{"message": "Only POST is supported"}]}, 405)
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.operations.append(str(body.get("operationName")))
            self.versions_seen.append(request.headers.get("X-JOBBER-GRAPHQL-VERSION"))
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            expiry = self.access_tokens.get(token)
            if expiry is None or expiry <= self.now():
                return _json({"error": "invalid_request",
                              "error_description": "Invalid Token Error"}, 401)
            if not request.headers.get("X-JOBBER-GRAPHQL-VERSION"):
                return _json({"errors": [{"message": "The X-JOBBER-GRAPHQL-VERSION header "
                                                     "is required"}]}, 400)
            if self.forbidden:
                return _json({"errors": [{"message": "Access denied: the app is missing the "
                                                     "read_clients scope"}]}, 403)
            failure = self._failure if self._failures_left > 0 else None
            self._failures_left = max(0, self._failures_left - 1)
        if failure is not None:
            return self._fail(*failure)
        operation, variables = body.get("operationName"), body.get("variables") or {}
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            return _json({"errors": [{"message": f"Unknown operation {operation}"}]})
        with self._lock:
            data, lost = handler(variables), False
            if operation in CREATES and self._lost_creates and not _refused(data):
                self._lost_creates -= 1
                lost = True
        if lost:
            return _json({"errors": [{"message": "Internal server error"}]}, 500)
        return _json({"data": data, "extensions": {"cost": {
            "requestedQueryCost": 52, "actualQueryCost": 12, "throttleStatus": {
                "maximumAvailable": 10000, "currentlyAvailable": 9988, "restoreRate": 500}},
            "versioning": {"version": API_VERSION}}})

    def _fail(self, mode: str, retry_after: float | None) -> Response:
        if mode == "timeout":
            time.sleep(self.hang_s)
        if mode in ("500", "timeout"):
            return _json({"errors": [{"message": "Internal server error"}]}, 500)
        available, rate = 500, 500
        requested = available + (retry_after if retry_after is not None else 2) * rate
        return _json({"errors": [{"message": "Throttled", "extensions": {
            "code": "THROTTLED",
            "documentation": "https://developer.getjobber.com/docs/using_jobbers_api/"
                             "api_rate_limits"}}],
            "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": 0,
                                    "throttleStatus": {"maximumAvailable": 10000,
                                                       "currentlyAvailable": available,
                                                       "restoreRate": rate}}}})

    def _other(self, request: Request) -> Response:
        self._log(request)
        return _json({"error": "not found"}, 404)

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests_seen.append(f"{request.method} {request.path}")
            if request.method == "DELETE":
                self.deletes += 1
        if self.response_delay_s:
            time.sleep(self.response_delay_s)

    # -- queries -------------------------------------------------------------------------------
    def _op_Check(self, v: dict) -> dict:
        return {"account": {"id": _gid("Account", 1), "name": self.account_name},
                "clients": {"nodes": [{"id": cid} for cid in list(self.clients)[:1]]}}

    def _op_Clients(self, v: dict) -> dict:
        rows = list(self.clients.values())
        term = (v.get("term") or "").casefold()
        if term:
            rows = [c for c in rows if term in _haystack(c)]
        wanted = (v.get("filter") or {}).get("tags") or []
        rows = [c for c in rows if all(t in c["tags"] for t in wanted)]
        window = (v.get("filter") or {}).get("updatedAt") or {}
        if window.get("after"):
            rows = [c for c in rows if parse(c["updatedAt"]) > parse(window["after"])]
        if window.get("before"):
            rows = [c for c in rows if parse(c["updatedAt"]) < parse(window["before"])]
        sort = v.get("sort") or {}
        if sort.get("key") == "UPDATED_AT":
            rows.sort(key=lambda c: (parse(c["updatedAt"]), c["id"]),
                      reverse=sort.get("direction") == "DESCENDING")
        return {"clients": self._connection([_client_out(c) for c in rows], v)}

    def _op_Client(self, v: dict) -> dict:
        client = self.clients.get(v.get("id"))
        return {"client": _client_out(client) if client else None}

    def _op_ClientRequests(self, v: dict) -> dict:
        if v.get("id") not in self.clients:
            return {"client": None}
        rows = [{k: r[k] for k in ("id", "title", "jobberWebUri", "createdAt")}
                for r in self.requests.values() if r["clientId"] == v["id"]]
        return {"client": {"requests": self._connection(rows, v)}}

    def _op_RequestNotes(self, v: dict) -> dict:
        found = self.requests.get(v.get("id"))
        return {"request": {"notes": {"nodes": [
            {"__typename": "RequestNote", **n} for n in found["notes"]][:50]}}
            if found else None}

    def _op_Jobs(self, v: dict) -> dict:
        rows = sorted(self.jobs.values(), key=lambda j: j["jobNumber"])
        for order in v.get("sort") or []:
            if order.get("key") == "UPDATED_AT":
                rows.sort(key=lambda j: (parse(j["updatedAt"]), j["jobNumber"]),
                          reverse=order.get("direction") == "DESCENDING")
        out = [{**{k: j[k] for k in j if k != "clientId"}, "client": {"id": j["clientId"]}}
               for j in rows]
        return {"jobs": self._connection(out, v)}

    # -- mutations -------------------------------------------------------------------------------
    def _op_CreateClient(self, v: dict) -> dict:
        given = v.get("input") or {}
        if not any((given.get(k) or "").strip() for k in ("firstName", "lastName",
                                                          "companyName")):
            return _refusal("clientCreate", "client", "Client must have a first name, last "
                            "name or company name", ["firstName"])
        bad = [e["address"] for e in given.get("emails") or [] if "@" not in e.get("address", "")]
        if bad:
            return _refusal("clientCreate", "client", f"Email {bad[0]} is invalid",
                            ["emails", "0", "address"])
        client = self._new_client(given, None)
        return {"clientCreate": {"client": {k: client[k] for k in ("id", "name",
                                                                   "jobberWebUri")},
                                 "userErrors": []}}

    def _op_EditClient(self, v: dict) -> dict:
        client = self.clients.get(v.get("id"))
        if client is None:
            return _refusal("clientEdit", "client", "Client not found", ["clientId"])
        given = v.get("input") or {}
        client["tags"] += [t for t in given.get("tagsToAdd") or [] if t not in client["tags"]]
        for edit in given.get("emailsToEdit") or []:
            for email in client["emails"]:
                if email["id"] == edit["id"]:
                    email["address"] = edit["address"]
        for email in given.get("emailsToAdd") or []:
            client["emails"].append({"id": _gid("Email", next(self._ids)), "description": "MAIN",
                                     "primary": False, **email})
        if given.get("billingAddress") is not None:
            client["billingAddress"] = {**(client["billingAddress"] or {}),
                                        **given["billingAddress"]}
        client["updatedAt"] = jb_time(self.now())
        return {"clientEdit": {"client": {"id": client["id"]}, "userErrors": []}}

    def _op_CreateRequest(self, v: dict) -> dict:
        given = v.get("input") or {}
        if given.get("clientId") not in self.clients:
            return _refusal("requestCreate", "request", "Client not found", ["clientId"])
        number = next(self._ids)
        now = jb_time(self.now())
        request = {"id": _gid("Request", number), "clientId": given["clientId"],
                   "title": given.get("title"), "jobberWebUri": f"{WEB}/requests/{number}",
                   "createdAt": now, "updatedAt": now, "requestStatus": "new", "notes": []}
        self.requests[request["id"]] = request
        return {"requestCreate": {"request": {k: request[k] for k in ("id", "title",
                                                                       "jobberWebUri")},
                                  "userErrors": []}}

    def _op_CreateRequestNote(self, v: dict) -> dict:
        request = self.requests.get(v.get("id"))
        if request is None:
            return _refusal("requestCreateNote", "requestNote", "Request not found",
                            ["requestId"])
        note = {"id": _gid("RequestNote", next(self._ids)),
                "message": (v.get("input") or {}).get("message") or "",
                "createdAt": jb_time(self.now())}
        request["notes"].append(note)
        return {"requestCreateNote": {"requestNote": {"id": note["id"]}, "userErrors": []}}

    def _op_CreateClientNote(self, v: dict) -> dict:
        client = self.clients.get(v.get("id"))
        if client is None:
            return _refusal("clientCreateNote", "clientNote", "Client not found", ["clientId"])
        note = {"id": _gid("ClientNote", next(self._ids)), "clientId": client["id"],
                "message": (v.get("input") or {}).get("message") or ""}
        self.client_notes.append(note)
        return {"clientCreateNote": {"clientNote": {"id": note["id"]},
                                     "client": {"name": client["name"],
                                                "jobberWebUri": client["jobberWebUri"]},
                                     "userErrors": []}}

    # -- records -------------------------------------------------------------------------------
    def _new_client(self, given: dict, updated_at: datetime | None) -> dict:
        number = next(self._ids)
        at = jb_time(updated_at or self.now())
        first, last = (given.get("firstName") or "").strip(), (given.get("lastName") or "").strip()
        client = {
            "id": _gid("Client", number), "firstName": first, "lastName": last,
            "companyName": given.get("companyName"),
            "name": " ".join(p for p in (first, last) if p) or given.get("companyName") or "",
            "jobberWebUri": f"{WEB}/clients/{number}", "createdAt": at, "updatedAt": at,
            "phones": [{"id": _gid("ClientPhoneNumber", next(self._ids)),
                        "description": p.get("description", "MAIN"),
                        "primary": bool(p.get("primary")), "number": p["number"]}
                       for p in given.get("phones") or []],
            "emails": [{"id": _gid("Email", next(self._ids)),
                        "description": e.get("description", "MAIN"),
                        "primary": bool(e.get("primary")), "address": e["address"]}
                       for e in given.get("emails") or []],
            "billingAddress": given.get("billingAddress"), "tags": []}
        self.clients[client["id"]] = client
        return client

    def _connection(self, rows: list, v: dict) -> dict:
        first = min(int(v.get("first") or 100), 100)
        start = int(base64.b64decode(v["after"]).decode()) if v.get("after") else 0
        chunk = rows[start:start + first]
        more = start + first < len(rows)
        cursor = base64.b64encode(str(start + len(chunk)).encode()).decode() if chunk else None
        if self.stuck_cursor:
            cursor, more = base64.b64encode(b"1").decode(), True
        return {"nodes": chunk, "pageInfo": {"hasNextPage": more, "endCursor": cursor},
                "totalCount": len(rows)}


def _gid(kind: str, number: int) -> str:
    return base64.b64encode(f"gid://Jobber/{kind}/{number}".encode()).decode()


def _haystack(client: dict) -> str:
    parts = [client["name"], client.get("companyName") or ""]
    parts += [e["address"] for e in client["emails"]] + [p["number"] for p in client["phones"]]
    return "\n".join(parts).casefold()


def _client_out(client: dict) -> dict:
    address = client["billingAddress"]
    return {**{k: v for k, v in client.items() if k not in ("tags", "billingAddress")},
            "billingAddress": {"street1": "", "street2": "", "city": "", "province": "",
                               "postalCode": "", "country": "", **address} if address else None,
            "tags": {"nodes": [{"id": _gid("Tag", abs(hash(t)) % 10**6), "label": t}
                               for t in client["tags"]]}}


def _refusal(field: str, record: str, message: str, path: list[str]) -> dict:
    return {field: {record: None, "userErrors": [{"message": message, "path": path}]}}


def _refused(data: dict) -> bool:
    return any(isinstance(p, dict) and p.get("userErrors") for p in data.values())


@pytest.fixture
def jobber():
    """A fresh FakeJobber on 127.0.0.1 and a free port (the same port all run long)."""
    server = shared_server("jobber")
    server.clear()
    try:
        yield FakeJobber(server)
        server.check_handler_errors()  # a bug in the fake itself must not pass unseen
    finally:
        server.clear()
