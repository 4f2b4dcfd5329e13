"""A loopback fake of the RingCentral REST API, in its real wire format.

What it reproduces (from RingCentral's developer guide and API reference):
* `POST /restapi/oauth/token`: HTTP Basic client_id:client_secret, form
  `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>` or
  `grant_type=refresh_token&refresh_token=...`; answers access_token, token_type, expires_in,
  refresh_token, refresh_token_expires_in, scope, owner_id. Refresh tokens are single-use.
  Errors: `{"error", "error_description", "errors": [{"errorCode", "message"}]}`.
* Bearer auth on every API call; 401 `AGW-401` without a header, `TokenInvalid` for an
  unknown token, `TokenExpired` (OAU-128) past its lifetime; 403 `InsufficientPermissions`
  (CMN-401) for a missing app permission.
* `GET /restapi/v1.0/account/~/call-log`: `dateFrom` (default: dateTo minus 24 hours — the
  SILENT DEFAULT WINDOW), `dateTo` (default: now), filtering on startTime; `view`
  (Simple strips `legs`), `type`, `direction`, `page`, `perPage` (default 100); newest first;
  envelope `uri`, `records`, `paging` {page, totalPages, perPage, totalElements, pageStart,
  pageEnd}, `navigation` {firstPage, lastPage, nextPage, previousPage: {uri}}.
* Message store: `GET .../extension/{id}/message-store/{messageId}` (attachments with an
  `AudioTranscription` item, `vmTranscriptionStatus`) and its `content/{attachmentId}`; the
  list `GET .../extension/~/message-store` with `messageType`, `direction` (both repeatable),
  `dateFrom` (default: dateTo minus 24 hours, the same SILENT DEFAULT as the call log),
  `dateTo`, `page`, `perPage`, filtering on creationTime, newest first, in the call log's
  envelope. An SMS the extension sends is stored there too, as an Outbound SMS.
* `GET .../extension/~/phone-number` (features incl. "SmsSender"), `POST .../extension/~/sms`,
  `GET /restapi/v1.0/account/~` (mainNumber, status); with `account_found = False` every
  account path answers 404 `CMN-102` "Resource for parameter [accountId] is not found".
* 429 `CMN-301` "Request rate exceeded" with Retry-After and X-Rate-Limit-* headers (the
  group is "heavy" for the call log, "light" for the message store); 503
  `CMN-201`, on demand for the next N matching requests.

Records are kept sorted by start time with a parallel key list, so a window is two bisects
and a page is a slice: 100,000 records cost nothing per request.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import re
import secrets
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from loopback import shared_server
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CLIENT_ID = "rc-client-id-7Gq2"
CLIENT_SECRET = "rc-client-secret-k9Lm2PzQ"
JWT = "eyJraWQiOiJmYWtlIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiIxMjM0NSJ9.fake-signature-Zx81"
ACCOUNT_ID = "37439510"
EXTENSION_ID = "62264425016"
SHOP_NUMBER = "+13125550100"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
API = "/restapi/v1.0"
MESSAGES_PATH = f"{API}/account/~/extension/~/message-store"
MESSAGE_RE = re.compile(rf"^{API}/account/[^/]+/extension/[^/]+/message-store/(\d+)$")
CONTENT_RE = re.compile(rf"^{API}/account/[^/]+/extension/[^/]+/message-store/(\d+)/content/(\d+)$")


def rc_time(moment: datetime) -> str:
    """RingCentral's ISO 8601: milliseconds and a Z."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def json_response(body, status=200, headers=None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {},
                    content_type="application/json; charset=UTF-8")


class FakeRingCentral:
    def __init__(self, server: HTTPServer, *, now=None):
        self.server = server
        self.base_url = server.url_for("").rstrip("/")
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.client_id, self.client_secret, self.jwt = CLIENT_ID, CLIENT_SECRET, JWT
        self.permissions = {"ReadAccounts", "ReadCallLog", "ReadMessages", "SMS"}
        self.account_found = True
        self.token_ttl, self.refresh_ttl = 3600, 604800
        self.access: dict[str, datetime] = {}     # access token -> expiry
        self.refresh: dict[str, datetime] = {}    # refresh token -> expiry (single use)
        self.grants: list[str] = []               # grant_type of each successful grant
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, query) of each
        self.failures: list[dict] = []            # injected failures, applied in order
        self._keys: list[tuple[datetime, int]] = []  # (start, seq): parallel to _records
        self._records: list[dict] = []
        self._seq = itertools.count()
        self._filtered: tuple = (None, [])
        self.messages: dict[str, dict] = {}       # message id -> message-store record
        self.contents: dict[tuple[str, str], str] = {}  # (message id, attachment id) -> text
        self.phone_numbers = [
            {"id": 1001, "phoneNumber": SHOP_NUMBER, "paymentType": "Local", "type": "VoiceFax",
             "usageType": "MainCompanyNumber", "features": ["SmsSender", "CallerId"],
             "status": "Normal"},
            {"id": 1002, "phoneNumber": "+13125550188", "paymentType": "TollFree",
             "type": "VoiceOnly", "usageType": "DirectNumber", "features": ["CallerId"],
             "status": "Normal"}]
        self.sent_sms: list[dict] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1_000_000)
        server.expect_request("/restapi/oauth/token", method="POST").respond_with_handler(
            self._token)
        server.expect_request(re.compile(r"^/restapi/v1\.0/.*")).respond_with_handler(
            self._api)

    # -- test controls ------------------------------------------------------------------
    def add(self, record: dict, at: datetime | None = None) -> dict:
        """Store a call-log record; `at` places a record whose startTime is unreadable."""
        start = at or parse_time(record["startTime"])
        key = (start, next(self._seq))
        index = bisect.bisect(self._keys, key)
        self._keys.insert(index, key)
        self._records.insert(index, record)
        return record

    def clear(self) -> None:
        self._keys.clear()
        self._records.clear()
        self._filtered = (None, [])

    def load_sorted(self, records: list[tuple[datetime, dict]]) -> None:
        """Bulk load (benchmarks): records already sorted by start time."""
        for start, record in records:
            self._keys.append((start, next(self._seq)))
            self._records.append(record)

    def add_voicemail(self, record: dict, transcript: str | None,
                      status: str = "Completed") -> dict:
        """Attach a message-store voicemail (with a transcript) to a call-log record."""
        message_id = str(next(self._ids))
        uri = f"{self.base_url}{API}/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}" \
              f"/message-store/{message_id}"
        record["message"] = {"id": message_id, "type": "VoiceMail", "uri": uri}
        attachments = [{"id": int(message_id) + 1, "uri": f"{uri}/content/{int(message_id) + 1}",
                        "type": "AudioRecording", "contentType": "audio/mpeg",
                        "vmDuration": record.get("duration", 0)}]
        if transcript is not None:
            attachments.append({"id": int(message_id) + 2,
                                "uri": f"{uri}/content/{int(message_id) + 2}",
                                "type": "AudioTranscription", "contentType": "text/plain"})
            self.contents[(message_id, str(int(message_id) + 2))] = transcript
        self.messages[message_id] = {
            "uri": uri, "id": int(message_id), "to": [{"phoneNumber": record["to"]["phoneNumber"]}],
            "from": {"phoneNumber": record["from"]["phoneNumber"]}, "type": "VoiceMail",
            "creationTime": record["startTime"], "readStatus": "Unread", "priority": "Normal",
            "attachments": attachments, "direction": "Inbound", "availability": "Alive",
            "messageStatus": "Received", "lastModifiedTime": record["startTime"],
            "vmTranscriptionStatus": status if transcript is not None or status != "Completed"
            else "NotAvailable"}
        return record

    def add_text(self, frm: str, body: str | None, at: datetime, *, to: str = SHOP_NUMBER,
                 direction: str = "Inbound", **fields) -> dict:
        """A message-store SMS as RingCentral lists it: by default one a customer sent to the
        shop (Inbound, Received); `fields` override any key (to break it)."""
        message_id = next(self._ids)
        uri = f"{self.base_url}{API}/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}" \
              f"/message-store/{message_id}"
        inbound = direction == "Inbound"
        record = {
            "uri": uri, "id": message_id, "to": [{"phoneNumber": to, **(
                {"name": "Front Desk", "location": "Chicago, IL"} if inbound else {})}],
            "from": {"phoneNumber": frm, **({} if inbound else {"name": "Front Desk"})},
            "type": "SMS", "creationTime": rc_time(at), "readStatus": "Unread",
            "priority": "Normal", "attachments": [{
                "id": message_id, "uri": f"{uri}/content/{message_id}", "type": "Text",
                "contentType": "text/plain"}],
            "direction": direction, "availability": "Alive", "subject": body,
            "messageStatus": "Received" if inbound else "Delivered",
            "conversationId": 4242, "conversation": {"id": "4242", "uri": f"{self.base_url}"
                                                     f"{API}/conversation/4242"},
            "lastModifiedTime": rc_time(at), **fields}
        self.messages[str(message_id)] = record
        return record

    def fail(self, status: int, times: int = 1, retry_after: int | None = None,
             path: str = "/call-log") -> None:
        """Answer the next `times` requests whose path contains `path` with `status`."""
        self.failures.append({"status": status, "times": times, "retry_after": retry_after,
                              "path": path})

    def expire_tokens(self) -> None:
        for token in self.access:
            self.access[token] = self.now() - timedelta(seconds=1)

    def queries(self, path_part: str = "/call-log") -> list[dict]:
        return [q for _, path, q in self.requests if path_part in path]

    @property
    def request_count(self) -> int:
        return len(self.requests)

    # -- handlers -----------------------------------------------------------------------
    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append((request.method, request.path, request.args.to_dict(flat=True)))

    def _token(self, request: Request) -> Response:
        self._log(request)
        failure = self._failure(request)
        if failure:
            return failure
        basic = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if basic != f"Basic {expected}":
            return self._oauth_error(401, "invalid_client", "OAU-123",
                                     "Invalid client credentials")
        grant = request.form.get("grant_type")
        if grant == JWT_GRANT:
            if request.form.get("assertion") != self.jwt:
                # RingCentral does not document the code for a bad assertion; adapters must
                # go by the HTTP status and the OAuth `error` word.
                return self._oauth_error(400, "invalid_grant", "OAU-140", "Invalid assertion")
        elif grant == "refresh_token":
            token = request.form.get("refresh_token")
            expiry = self.refresh.pop(token, None)  # single use
            if expiry is None or expiry < self.now():
                return self._oauth_error(400, "invalid_grant", "OAU-211", "Token is revoked")
        else:
            return self._oauth_error(400, "unsupported_grant_type", "OAU-250",
                                     "Unsupported grant type")
        access, refresh = "U1BCMDF" + secrets.token_hex(16), "U1BCMDFR" + secrets.token_hex(16)
        self.access[access] = self.now() + timedelta(seconds=self.token_ttl)
        self.refresh[refresh] = self.now() + timedelta(seconds=self.refresh_ttl)
        self.grants.append(grant)
        return json_response({
            "access_token": access, "token_type": "bearer", "expires_in": self.token_ttl,
            "refresh_token": refresh, "refresh_token_expires_in": self.refresh_ttl,
            "scope": " ".join(sorted(self.permissions)), "owner_id": EXTENSION_ID,
            "endpoint_id": "fake-endpoint"})

    @staticmethod
    def _oauth_error(status, error, code, message) -> Response:
        return json_response({"error": error, "errors": [{"errorCode": code, "message": message}],
                              "error_description": message}, status)

    def _api(self, request: Request) -> Response:
        self._log(request)
        failure = self._failure(request)
        if failure:
            return failure
        denied = self._check_bearer(request)
        if denied:
            return denied
        path = request.path
        if not self.account_found:  # e.g. a JWT for an account that was closed
            return self._not_found("accountId")
        if path == f"{API}/account/~":
            return self._account()
        if path == f"{API}/account/~/call-log" and request.method == "GET":
            return self._permitted("ReadCallLog") or self._call_log(request)
        if path == MESSAGES_PATH and request.method == "GET":
            return self._permitted("ReadMessages") or self._message_list(request)
        if path == f"{API}/account/~/extension/~/phone-number":
            return self._numbers()
        if path == f"{API}/account/~/extension/~/sms" and request.method == "POST":
            return self._permitted("SMS") or self._sms(request)
        if match := CONTENT_RE.match(path):
            text = self.contents.get(match.groups())
            return self._permitted("ReadMessages") or (
                Response(text, content_type="text/plain") if text is not None else
                self._not_found("messageId"))
        if match := MESSAGE_RE.match(path):
            message = self.messages.get(match.group(1))
            return self._permitted("ReadMessages") or (
                json_response(message) if message else self._not_found("messageId"))
        return json_response({"errorCode": "CMN-120", "message": "Invalid URI",
                              "errors": [{"errorCode": "CMN-120", "message": "Invalid URI"}]},
                             404)

    def _check_bearer(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return json_response({"errorCode": "AGW-401",
                                  "message": "Authorization header is not specified"}, 401)
        expiry = self.access.get(header[len("Bearer "):])
        if expiry is None:
            return json_response({"errorCode": "TokenInvalid", "message": "Invalid token",
                                  "errors": [{"errorCode": "OAU-149",
                                              "message": "OAuth token is invalid"}]}, 401)
        if expiry < self.now():
            return json_response({"errorCode": "TokenExpired", "message": "Access token expired",
                                  "errors": [{"errorCode": "OAU-128",
                                              "message": "Access token expired."}]}, 401)
        return None

    def _permitted(self, permission: str) -> Response | None:
        if permission in self.permissions:
            return None
        message = (f"In order to call this API endpoint, application needs to have "
                   f"[{permission}] permission")
        return json_response({"errorCode": "InsufficientPermissions", "message": message,
                              "errors": [{"errorCode": "CMN-401", "message": message,
                                          "permissionName": permission}],
                              "permissionName": permission}, 403)

    @staticmethod
    def _not_found(parameter: str) -> Response:
        message = f"Resource for parameter [{parameter}] is not found"
        return json_response({"errorCode": "CMN-102", "message": message,
                              "errors": [{"errorCode": "CMN-102", "message": message,
                                          "parameterName": parameter}]}, 404)

    def _failure(self, request: Request) -> Response | None:
        with self._lock:
            for failure in self.failures:
                if failure["path"] in request.path and failure["times"] > 0:
                    failure["times"] -= 1
                    break
            else:
                return None
        status, headers = failure["status"], {}
        if failure["retry_after"] is not None:
            headers["Retry-After"] = str(failure["retry_after"])
        if status == 429:
            heavy = "/call-log" in request.path
            headers.update({"X-Rate-Limit-Group": "heavy" if heavy else "light",
                            "X-Rate-Limit-Limit": "10" if heavy else "50",
                            "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Window": "60"})
            body = {"errorCode": "CMN-301", "message": "Request rate exceeded",
                    "errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}]}
        else:
            body = {"errorCode": "CMN-201", "message": "Service Temporary Unavailable",
                    "errors": [{"errorCode": "CMN-201",
                                "message": "Service Temporary Unavailable"}]}
        return json_response(body, status, headers)

    def _account(self) -> Response:
        return json_response({
            "uri": f"{self.base_url}{API}/account/{ACCOUNT_ID}", "id": int(ACCOUNT_ID),
            "serviceInfo": {"uri": f"{self.base_url}{API}/account/{ACCOUNT_ID}/service-info",
                            "brand": {"id": "1210", "name": "RingCentral", "homeCountry":
                                      {"id": "1", "uri": f"{self.base_url}{API}/dictionary/"
                                                         f"country/1"}}},
            "operator": {"uri": f"{self.base_url}{API}/account/{ACCOUNT_ID}/extension/"
                                f"{EXTENSION_ID}", "id": int(EXTENSION_ID),
                         "extensionNumber": "101"},
            "mainNumber": SHOP_NUMBER, "status": "Confirmed", "setupWizardState": "Completed"})

    def _numbers(self) -> Response:
        records = [dict(r, uri=f"{self.base_url}{API}/account/{ACCOUNT_ID}/phone-number/{r['id']}")
                   for r in self.phone_numbers]
        return json_response({"uri": f"{self.base_url}{API}/account/{ACCOUNT_ID}/extension/"
                                     f"{EXTENSION_ID}/phone-number?page=1&perPage=100",
                              "records": records, **self._envelope("phone-number", {}, 1, 100,
                                                                   len(records))})

    def _sms(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        sender = (body.get("from") or {}).get("phoneNumber")
        senders = {r["phoneNumber"] for r in self.phone_numbers if "SmsSender" in r["features"]}
        if sender not in senders:
            message = "Phone number doesn't belong to extension"
            return json_response({"errorCode": "MSG-304", "message": message,
                                  "errors": [{"errorCode": "MSG-304", "message": message}]}, 403)
        self.sent_sms.append(body)
        message_id = next(self._ids)
        now = rc_time(self.now())
        message = {
            "uri": f"{self.base_url}{API}/account/{ACCOUNT_ID}/extension/{EXTENSION_ID}"
                   f"/message-store/{message_id}", "id": message_id,
            "to": [{"phoneNumber": t.get("phoneNumber")} for t in body.get("to", [])],
            "from": {"phoneNumber": sender}, "type": "SMS", "creationTime": now,
            "readStatus": "Read", "priority": "Normal", "attachments": [],
            "direction": "Outbound", "availability": "Alive", "subject": body.get("text"),
            "messageStatus": "Queued", "conversationId": 4242, "lastModifiedTime": now}
        self.messages[str(message_id)] = {**message, "messageStatus": "Sent"}  # in the store
        return json_response(message)

    def _message_list(self, request: Request) -> Response:
        """The extension's message store, newest first by creationTime; a record whose
        creationTime is unreadable passes the date filter (the client must cope)."""
        args = request.args
        date_from, date_to, per_page, page = self._window(args)
        types, directions = set(args.getlist("messageType")), set(args.getlist("direction"))

        def created(record: dict) -> datetime | None:
            try:
                return parse_time(record["creationTime"])
            except (KeyError, TypeError, ValueError):
                return None
        window = sorted(
            (r for r in self.messages.values()
             if (not types or _text(r.get("type")) in types)
             and (not directions or _text(r.get("direction")) in directions)
             and (created(r) is None or date_from <= created(r) <= date_to)),
            key=lambda r: created(r) or date_to, reverse=True)
        query = args.to_dict(flat=True)
        what = f"extension/{EXTENSION_ID}/message-store"
        return json_response({
            "uri": self._page_uri(what, query, page, per_page),
            "records": window[(page - 1) * per_page:page * per_page],
            **self._envelope(what, query, page, per_page, len(window))})

    def _window(self, args):
        """(dateFrom, dateTo, perPage, page) of a listing. The silent default: without
        dateFrom, RingCentral answers only the last 24 hours (call log and messages)."""
        date_to = parse_time(args["dateTo"]) if "dateTo" in args else self.now()
        date_from = (parse_time(args["dateFrom"]) if "dateFrom" in args
                     else date_to - timedelta(hours=24))
        per_page = min(int(args.get("perPage", 100)), 1000)
        return date_from, date_to, per_page, max(int(args.get("page", 1)), 1)

    def _call_log(self, request: Request) -> Response:
        args = request.args
        date_from, date_to, per_page, page = self._window(args)
        types = set(args.getlist("type"))
        directions = set(args.getlist("direction"))
        lo = bisect.bisect_left(self._keys, (date_from, -1))
        hi = bisect.bisect_right(self._keys, (date_to, float("inf")))
        if types or directions:
            key = (lo, hi, len(self._records), frozenset(types), frozenset(directions))
            if self._filtered[0] != key:  # a backfill asks for many pages of one window
                self._filtered = (key, [
                    r for r in reversed(self._records[lo:hi])
                    if (not types or _text(r.get("type")) in types)
                    and (not directions or _text(r.get("direction")) in directions)])
            window = self._filtered[1]
            total = len(window)
            chosen = window[(page - 1) * per_page:page * per_page]
        else:  # newest first, straight off the sorted list
            total = hi - lo
            top = hi - (page - 1) * per_page
            chosen = self._records[max(lo, top - per_page):max(lo, top)][::-1]
        if args.get("view", "Simple") != "Detailed":
            chosen = [{k: v for k, v in r.items() if k != "legs"} if isinstance(r, dict) else r
                      for r in chosen]
        query = args.to_dict(flat=True)
        return json_response({
            "uri": self._page_uri("call-log", query, page, per_page), "records": chosen,
            **self._envelope("call-log", query, page, per_page, total)})

    def _page_uri(self, what: str, query: dict, page: int, per_page: int) -> str:
        query = {**query, "page": page, "perPage": per_page}
        return f"{self.base_url}{API}/account/{ACCOUNT_ID}/{what}?{urlencode(query)}"

    def _envelope(self, what: str, query: dict, page: int, per_page: int, total: int) -> dict:
        pages = max(1, -(-total // per_page))
        start = (page - 1) * per_page
        navigation = {"firstPage": {"uri": self._page_uri(what, query, 1, per_page)},
                      "lastPage": {"uri": self._page_uri(what, query, pages, per_page)}}
        if page < pages:
            navigation["nextPage"] = {"uri": self._page_uri(what, query, page + 1, per_page)}
        if page > 1:
            navigation["previousPage"] = {"uri": self._page_uri(what, query, page - 1, per_page)}
        paging = {"page": page, "totalPages": pages, "perPage": per_page,
                  "totalElements": total}
        if start < total:
            paging.update(pageStart=start, pageEnd=min(total, start + per_page) - 1)
        return {"paging": paging, "navigation": navigation}


def call_record(session: str, start: datetime, duration: int, direction: str, result: str,
                customer: str, *, shop: str = SHOP_NUMBER, name: str | None = None,
                legs: list[dict] | None = None, action: str = "Phone Call",
                record_id: str | None = None) -> dict:
    """A Detailed-view call-log record as RingCentral writes it."""
    outside = {"phoneNumber": customer, **({"name": name} if name else {}),
               "location": "Chicago, IL"}
    inside = {"phoneNumber": shop, "name": "Front Desk", "extensionId": EXTENSION_ID}
    party_from, party_to = (outside, inside) if direction == "Inbound" else (inside, outside)
    record_id = record_id or f"A{session}x"
    base = f"https://platform.ringcentral.com{API}/account/{ACCOUNT_ID}"
    record = {
        "uri": f"{base}/call-log/{record_id}?view=Detailed", "id": record_id,
        "sessionId": session, "telephonySessionId": f"s-a0d{session}",
        "startTime": rc_time(start), "duration": duration, "type": "Voice",
        "direction": direction, "action": action, "result": result,
        "to": party_to, "from": party_from, "transport": "PSTN",
        "lastModifiedTime": rc_time(start + timedelta(seconds=duration + 60)),
        "extension": {"uri": f"{base}/extension/{EXTENSION_ID}", "id": int(EXTENSION_ID)},
    }
    record["legs"] = legs if legs is not None else [{
        "startTime": record["startTime"], "duration": duration, "type": "Voice",
        "direction": direction, "action": action, "result": result,
        "to": party_to, "from": party_from, "transport": "PSTN",
        "legType": "Accept" if direction == "Inbound" else "SipToPstnUnmetered",
        "master": True, "extension": record["extension"]}]
    return record


@pytest.fixture
def ringcentral():
    """A fresh FakeRingCentral on the process's loopback server for RingCentral (127.0.0.1,
    a free port): stopping a server costs half a second, so it is shared, not restarted."""
    server = shared_server("ringcentral")
    server.clear()
    try:
        yield FakeRingCentral(server)
        server.check_handler_errors()  # a bug in the fake itself must not pass unseen
    finally:
        server.clear()
