"""A loopback fake of OpenPhone's (Quo's) public v1 API, built on pytest-httpserver.

It answers what the adapter uses, in the vendor's own wire format:

* `GET /v1/phone-numbers` -> `{"data": [{id, number, formattedNumber, name, users, ...}]}`
* `GET /v1/conversations` -> `{data, totalItems, nextPageToken}`, newest activity first,
  filtered by `updatedAfter`/`updatedBefore`/`createdAfter`/`createdBefore`/`phoneNumbers`.
  Without a filter it lists every conversation (the API has no default window there).
* `GET /v1/calls` -> the same envelope, newest first. `phoneNumberId`, exactly ONE
  `participants` number and `maxResults` (1..100) are required, as the real API enforces
  (400 with its validation body otherwise). Without `createdAfter` it pages through all of
  history. `userId` defaults to the workspace owner, who gets 403 on a line they are not a
  member of.
* `GET /v1/call-voicemails/{callId}` -> `{"data": {...}}`, or 404 when the call has none.
* `POST /v1/messages` -> 202 `{"data": {...}}`; the sent text joins its thread.
* `GET /v1/messages` -> the same envelope, newest first: `phoneNumberId`, `participants` and
  `maxResults` (1..100) required, `createdAfter`/`createdBefore` (strict), `pageToken`. The
  docs let `participants` name a group thread's numbers; this fake, like our use of it,
  takes exactly one and refuses anything else with the 400 validation body.

Errors use the API's body: `{message, code, status, docs, title, trace}` (`errors` on 400).
The numeric `code`s follow the documented per-endpoint pattern (`0101400` for calls,
`1200404` for voicemails); those of the other endpoints are placeholders.

A conversation's `updatedAt` moves with its last activity: a call's creation and its end,
a text's arrival.
Records are kept per (line, customer) pair, sorted by `createdAt` and cut with bisect, and
conversations are indexed by `updatedAt`, so 100,000 calls answer quickly.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

OWNER = "USowner0001"
DOCS = "https://quo.com/docs"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          429: "Too Many Requests", 500: "Unknown", 502: "Bad Gateway", 503: "Unavailable"}


def iso(moment: datetime | None) -> str | None:
    """OpenPhone writes times as ISO 8601 UTC with milliseconds and a Z."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


_ids = itertools.count(1)


def call_record(line_id: str, customer: str, direction: str = "incoming",
                status: str = "completed", *, created: datetime, ring_s: int = 20,
                talk_s: int = 0, answered: bool = False, completed: bool = True,
                call_id: str | None = None, user_id: str = OWNER,
                forwarded_from: str | None = None, forwarded_to: str | None = None,
                ai_handled: str | None = None) -> dict:
    """One call in the real v1 shape (every field the schema lists, nulls where null)."""
    answered_at = created + timedelta(seconds=ring_s) if answered else None
    completed_at = created + timedelta(seconds=ring_s + talk_s) if completed else None
    return {
        "answeredAt": iso(answered_at),
        "answeredBy": user_id if answered and direction == "incoming" else None,
        "initiatedBy": user_id if direction == "outgoing" else None,
        "direction": direction,
        "status": status,
        "completedAt": iso(completed_at),
        "createdAt": iso(created),
        "callRoute": "phone-number" if direction == "incoming" else None,
        "duration": ring_s + talk_s if completed else 0,
        "forwardedFrom": forwarded_from,
        "forwardedTo": forwarded_to,
        "aiHandled": ai_handled,
        "id": call_id or f"AC{next(_ids):08d}{'f' * 24}",
        "phoneNumberId": line_id,
        "participants": [customer],
        "updatedAt": iso(completed_at or created),
        "userId": user_id,
    }


def message_record(line_id: str, line_number: str, customer: str, text: str, *,
                   created: datetime, direction: str = "incoming",
                   message_id: str | None = None, user_id: str = OWNER) -> dict:
    """One text in the v1 shape: `from`/`to` are numbers, `to` a list."""
    incoming = direction == "incoming"
    return {
        "id": message_id or f"AC{next(_ids):08d}{'a' * 24}",
        "to": [line_number if incoming else customer],
        "from": customer if incoming else line_number,
        "text": text, "phoneNumberId": line_id, "direction": direction,
        "userId": user_id, "status": "received" if incoming else "delivered",
        "createdAt": iso(created), "updatedAt": iso(created),
    }


@dataclass
class _Failure:
    status: int
    retry_after: str | None


class FakeOpenPhone:
    def __init__(self, server: HTTPServer, api_key: str = "op_live_k3y_5ecret"):
        self.server = server
        self.api_key = api_key
        self.forbidden = False
        self.lines: dict[str, dict] = {}
        self.pairs: dict[tuple[str, str], list[dict]] = {}      # sorted by createdAt
        self._created: dict[tuple[str, str], list[datetime]] = {}
        self.conversations: dict[tuple[str, str], dict] = {}
        self._index: list[tuple[datetime, str, tuple[str, str]]] | None = None
        self.texts: dict[tuple[str, str], list[dict]] = {}     # sorted by createdAt
        self.voicemails: dict[str, dict] = {}
        self.sent: list[dict] = []
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self._failures: deque[_Failure] = deque()
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    # -- the test's controls -------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def add_line(self, line_id: str, number: str, name: str, users=(OWNER,)) -> dict:
        self.lines[line_id] = {
            "id": line_id, "groupId": "GR" + line_id[2:], "portRequestId": None,
            "formattedNumber": f"({number[2:5]}) {number[5:8]}-{number[8:]}", "forward": None,
            "name": name, "number": number, "portingStatus": None, "symbol": None,
            "users": [{"email": f"{u.lower()}@example.com", "firstName": "Desk",
                       "lastName": u[-4:], "id": u, "role": "owner" if u == OWNER else "member",
                       "groupId": "GR" + line_id[2:]} for u in users],
            "createdAt": "2024-01-15T10:30:00.000Z", "updatedAt": "2024-01-15T10:30:00.000Z",
            "restrictions": {"calling": {"CA": "unrestricted", "Intl": "restricted",
                                         "US": "unrestricted"},
                             "messaging": {"CA": "unrestricted", "Intl": "restricted",
                                           "US": "unrestricted"}}}
        return self.lines[line_id]

    def add_calls(self, records, *, contact_names: dict[str, str] | None = None,
                  pair: tuple[str, str] | None = None, at: datetime | None = None) -> None:
        """Store records (any order); their conversations' activity moves with them.

        A deliberately broken record needs `pair` (where it is listed) and `at` (its time).
        """
        touched = set()
        for rec in records:
            key = pair or (rec["phoneNumberId"], rec["participants"][0])
            self.pairs.setdefault(key, []).append(rec)
            touched.add(key)
            self._touch(key, rec, (contact_names or {}).get(key[1]), at)
        for key in touched:
            self.pairs[key].sort(key=lambda r: _time_of(r, "createdAt", at))
            self._created[key] = [_time_of(r, "createdAt", at) for r in self.pairs[key]]
        self._index = None

    def add_texts(self, records, *, pair: tuple[str, str] | None = None,
                  at: datetime | None = None) -> None:
        """Store texts; each moves its conversation's updatedAt, as a new message does.

        A deliberately broken record needs `pair` (its thread) and `at` (its time).
        """
        for rec in records:
            key = pair or (rec["phoneNumberId"],
                           rec["from"] if rec["direction"] == "incoming" else rec["to"][0])
            self.texts.setdefault(key, []).append(rec)
            self.texts[key].sort(key=lambda r: _time_of(r, "createdAt", None)
                                 or datetime.min.replace(tzinfo=timezone.utc))
            self._touch(key, {"id": rec.get("id"), "createdAt": rec.get("createdAt")}, None, at)
        self._index = None

    def add_text(self, line_id: str, customer: str, text: str, *, created: datetime,
                 direction: str = "incoming") -> dict:
        rec = message_record(line_id, self.lines[line_id]["number"], customer, text,
                             created=created, direction=direction)
        self.add_texts([rec])
        return rec

    def clear_calls(self) -> None:
        self.pairs.clear()
        self._created.clear()
        self.conversations.clear()
        self._index = None

    def add_call(self, rec: dict, name: str | None = None) -> dict:
        self.add_calls([rec], contact_names={rec["participants"][0]: name} if name else None)
        return rec

    def add_voicemail(self, call_id: str, transcript: str | None, status: str = "completed"):
        done = status == "completed"
        self.voicemails[call_id] = {
            "duration": 23 if done else None, "id": "VM" + call_id[2:],
            "transcript": transcript if done else None,
            "recordingUrl": f"https://m.openph.one/static/{call_id}.mp3" if done else None,
            "status": status}

    def fail_next(self, count: int, status: int, retry_after: str | None = None) -> None:
        self._failures.extend(_Failure(status, retry_after) for _ in range(count))

    def count(self, path: str | None = None) -> int:
        return sum(1 for _, p, _ in self.requests if path is None or p.startswith(path))

    def queries(self, path: str) -> list[dict[str, list[str]]]:
        return [q for _, p, q in self.requests if p == path]

    # -- the server ------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        query = {key: request.args.getlist(key) for key in request.args}
        self.requests.append((request.method, request.path, query))
        if self._failures:
            failure = self._failures.popleft()
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return _error(failure.status, "Too Many Requests" if failure.status == 429
                          else "We have encountered an unknown error", "0000", headers)
        if request.headers.get("Authorization") != self.api_key:
            return _error(401, "Unauthorized", "0100")
        if self.forbidden:
            return _error(403, "User is forbidden to perform this action", "0100")
        path, method = request.path, request.method
        if method == "GET" and path == "/v1/phone-numbers":
            return _json({"data": list(self.lines.values())})
        if method == "GET" and path == "/v1/conversations":
            return self._conversations(request)
        if method == "GET" and path == "/v1/calls":
            return self._calls(request)
        if method == "GET" and path.startswith("/v1/call-voicemails/"):
            voicemail = self.voicemails.get(path.rsplit("/", 1)[1])
            if voicemail is None:
                return _error(404, "Voicemail not found", "1200")
            return _json({"data": voicemail})
        if method == "POST" and path == "/v1/messages":
            return self._send(request)
        if method == "GET" and path == "/v1/messages":
            return self._messages(request)
        return _error(404, "Not Found", "0000")

    def _conversations(self, request: Request) -> Response:
        args = request.args
        size, problem = _max_results(args)
        if problem:
            return problem
        wanted = set(args.getlist("phoneNumbers") + args.getlist("phoneNumbers[]"))
        index = self._conversation_index()
        lo = 0
        if "updatedAfter" in args:
            lo = bisect.bisect_right(index, (parse(args["updatedAfter"]), "\uffff"))
        hi = len(index)
        if "updatedBefore" in args:
            hi = bisect.bisect_left(index, (parse(args["updatedBefore"]), ""))
        rows = [self.conversations[pair] for _, _, pair in reversed(index[lo:hi])]
        for key, keep in (("createdAfter", lambda c, t: parse(c["createdAt"]) > t),
                          ("createdBefore", lambda c, t: parse(c["createdAt"]) < t)):
            if key in args:
                rows = [c for c in rows if keep(c, parse(args[key]))]
        if wanted:
            rows = [c for c in rows if c["phoneNumberId"] in wanted
                    or self.lines.get(c["phoneNumberId"], {}).get("number") in wanted]
        return _page(rows, size, args.get("pageToken"))

    def _calls(self, request: Request) -> Response:
        args = request.args
        line_id = args.get("phoneNumberId")
        participants = args.getlist("participants") + args.getlist("participants[]")
        if not line_id:
            return _invalid("/phoneNumberId", "Expected required property", None)
        if not participants:
            return _invalid("/participants", "Expected required property", None)
        if len(participants) > 1:
            return _invalid("/participants", "Expected array length to be less or equal to 1",
                            participants)
        size, problem = _max_results(args)
        if problem:
            return problem
        user = args.get("userId", OWNER)
        line = self.lines.get(line_id)
        if line is None or user not in {u["id"] for u in line["users"]}:
            return _error(403, "Not Phone Number User", "0101")
        pair = (line_id, participants[0])
        records, created = self.pairs.get(pair, []), self._created.get(pair, [])
        lo, hi = 0, len(records)
        if "createdAfter" in args:
            lo = bisect.bisect_right(created, parse(args["createdAfter"]))
        if "createdBefore" in args:
            hi = bisect.bisect_left(created, parse(args["createdBefore"]))
        return _page(list(reversed(records[lo:hi])), size, args.get("pageToken"))

    def _messages(self, request: Request) -> Response:
        args = request.args
        line_id = args.get("phoneNumberId")
        participants = args.getlist("participants") + args.getlist("participants[]")
        if not line_id:
            return _invalid("/phoneNumberId", "Expected required property", None)
        if len(participants) != 1:
            return _invalid("/participants", "Expected exactly one participant",
                            participants or None)
        size, problem = _max_results(args)
        if problem:
            return problem
        if line_id not in self.lines:
            return _error(403, "Not Phone Number User", "0102")
        rows = self.texts.get((line_id, participants[0]), [])
        for key, keep in (("createdAfter", lambda t, m: t > m),
                          ("createdBefore", lambda t, m: t < m)):
            if key in args:
                moment = parse(args[key])
                rows = [r for r in rows if (when := _time_of(r, "createdAt", None)) is None
                        or keep(when, moment)]
        return _page(list(reversed(rows)), size, args.get("pageToken"))

    def _send(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        content, sender, to = body.get("content"), body.get("from"), body.get("to")
        line = self.lines.get(sender) or next(
            (line for line in self.lines.values() if line["number"] == sender), None)
        if not isinstance(content, str) or not 1 <= len(content) <= 1600:
            return _invalid("/content", "Expected string length 1..1600", content)
        if line is None:
            return _invalid("/from", "Expected one of your OpenPhone numbers", sender)
        if not isinstance(to, list) or len(to) != 1:
            return _invalid("/to", "Expected array length to be 1", to)
        message = {"id": f"AC{len(self.sent) + 1:08d}{'e' * 24}", "to": to,
                   "from": line["number"], "text": content, "phoneNumberId": line["id"],
                   "direction": "outgoing", "userId": OWNER, "status": "queued",
                   "createdAt": "2025-02-12T21:00:00.000Z",
                   "updatedAt": "2025-02-12T21:00:00.000Z"}
        self.sent.append(body)
        self.add_texts([message], pair=(line["id"], to[0]), at=datetime.now(timezone.utc))
        return _json({"data": message}, 202)

    # -- conversations follow the calls -----------------------------------------------------
    def _touch(self, pair, rec: dict, name: str | None, at: datetime | None) -> None:
        created = iso(_time_of(rec, "createdAt", at))
        activity = iso(max(_time_of(rec, "completedAt", at) or at or parse(created),
                           parse(created)))
        conv = self.conversations.get(pair)
        if conv is None:
            conv = self.conversations[pair] = {
                "assignedTo": None, "createdAt": created, "deletedAt": None,
                "id": f"CN{len(self.conversations) + 1:08d}", "lastActivityAt": activity,
                "lastActivityId": rec.get("id"), "mutedUntil": None, "name": name,
                "participants": [pair[1]], "phoneNumberId": pair[0], "snoozedUntil": None,
                "updatedAt": activity}
        if name:
            conv["name"] = name
        if parse(created) < parse(conv["createdAt"]):
            conv["createdAt"] = created
        if parse(activity) >= parse(conv["updatedAt"]):
            conv.update(updatedAt=activity, lastActivityAt=activity,
                        lastActivityId=rec.get("id"))

    def _conversation_index(self):
        if self._index is None:
            self._index = sorted((parse(c["updatedAt"]), c["id"], pair)
                                 for pair, c in self.conversations.items())
        return self._index


def _time_of(rec, key: str, default: datetime | None) -> datetime | None:
    try:
        return parse(rec[key])
    except (KeyError, TypeError, ValueError, AttributeError):
        return default


def _max_results(args) -> tuple[int, Response | None]:
    text = args.get("maxResults")
    if text is None:
        return 0, _invalid("/maxResults", "Expected required property", None)
    try:
        size = int(text)
    except ValueError:
        return 0, _invalid("/maxResults", "Expected integer", text)
    if not 1 <= size <= 100:
        return 0, _invalid("/maxResults", "Expected integer between 1 and 100", size)
    return size, None


def _page(rows: list, size: int, token: str | None) -> Response:
    start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    chunk = rows[start:start + size]
    more = start + size < len(rows)
    next_token = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
    return _json({"data": chunk, "totalItems": len(rows), "nextPageToken": next_token})


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json")


def _error(status: int, message: str, area: str, headers: dict | None = None,
           errors: list | None = None) -> Response:
    body = {"message": message, "code": f"{area}{status}", "status": status, "docs": DOCS,
            "title": TITLES.get(status, "Error"), "trace": "6897907457496870895"}
    if errors is not None:
        body["errors"] = errors
    return _json(body, status, headers)


def _invalid(path: str, message: str, value) -> Response:
    return _error(400, "The input was invalid", "0101", errors=[
        {"path": path, "message": message, "value": value, "schema": {}}])


@pytest.fixture
def openphone():
    """A fresh fake on 127.0.0.1 and a free port, stopped after the test."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield FakeOpenPhone(server)
    finally:
        server.clear()
        if server.is_running():
            server.stop()
