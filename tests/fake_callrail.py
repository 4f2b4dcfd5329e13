"""A loopback CallRail API v3 (pytest-httpserver) that behaves like the real one where it
matters to us, so the adapter is tested against CallRail's wire format, not our own.

What it reproduces (apidocs.callrail.com, v3):
* `Authorization: Token token="KEY"` (Rails' token scheme: the unquoted form is accepted too);
  401/403/404 answer a JSON `{"error": "..."}` body.
* `GET /v3/a/{account}/calls.json`: `start_date`/`end_date` as a date ("2026-03-04") or a local
  wall time ("2026-03-04T10:00"), read in the account's time zone, filtering on START time
  (end: a date includes that whole day, a time is "before"); `date_range`; and with no date
  filter at all the SILENT DEFAULT WINDOW (date_range "recent": the last 30 days;
  `default_window` changes it). `sort=start_time`, `order`, `page`/`per_page` (<= 250) and the
  envelope page/per_page/total_pages/total_records/calls. Optional fields (call_type, source,
  transcription, company_id...) only when asked for with `fields=`.
* `GET calls/{id}.json`, `GET /v3/a/{account}.json`, `GET /v3/a.json`, companies.json,
  trackers.json, and `POST text-messages.json` (company_id, tracking_number,
  customer_phone_number, content) answering the conversation it went into.
* `GET text-messages.json`: CONVERSATIONS (envelope page/per_page/total_pages/total_records/
  conversations), most recent `last_message_at` first, each with its `recent_messages`
  ({direction "incoming"/"outgoing", content, created_at}, no message id). One conversation
  per customer and company-local day, as CallRail's support pages describe. Same date
  filters and silent default window as calls. Which time the dates filter on is not
  documented: the fake takes the conversation's FIRST message, the stricter reading (a
  client asking from a wall time would miss a thread begun earlier that day).

It keeps records sorted by start time and finds a window with bisect (100,000 records are
fine), counts every request it gets (`requests`), and can be told to fail the next N requests
(`fail_next`: 429 with or without Retry-After, 5xx).
"""

from __future__ import annotations

import bisect
import json
import math
import re
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ACCOUNT_ID = "ACC8154748ae6bd4e278a7cddd38a662f4f"
COMPANY_ID = "COM8a3c2f7e41d64a8b9d1e0f2c3b4a5d6e"
API_KEY = "crk3f9e1b7c0d2a4e6f8091a2b3c4d5e6f7"
ACCOUNT_NAME = "Riverside Plumbing & Heating"
SHOP_LINE = "+13125550100"      # where calls ring (business_phone_number)
ADS_LINE = "+13125550199"       # a tracking number with texting on
SITE_LINE = "+13125550188"      # a tracking number without texting

DEFAULT_FIELDS = (
    "id", "answered", "business_phone_number", "customer_city", "customer_country",
    "customer_name", "customer_phone_number", "customer_state", "direction", "duration",
    "recording", "recording_duration", "recording_player", "start_time",
    "tracking_phone_number", "voicemail", "agent_email")
MAX_PER_PAGE = 250


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def call_record(*, start: datetime, customer: str, duration: int | None = 40,
                direction: str = "inbound", answered: bool = False, voicemail: bool = False,
                call_type: str | None = None, tracking: str = ADS_LINE,
                business: str = SHOP_LINE, name: str | None = None,
                source: str | None = "Google Ads", source_name: str | None = "Google Ads",
                transcription: str | None = None, company_id: str = COMPANY_ID,
                tz: str = "America/New_York", call_id: str | None = None) -> dict:
    """A call as CallRail sends it, every optional field included (the fake drops those
    not asked for). start_time is in the company's zone, with an offset, like CallRail's."""
    call_id = call_id or "CAL" + uuid.uuid4().hex
    if call_type is None:
        call_type = ("in_progress" if duration is None else "outbound" if direction == "outbound"
                     else "answered" if answered else "voicemail" if voicemail else "missed")
    recorded = duration is not None and (answered or voicemail)
    return {
        "id": call_id, "answered": answered, "business_phone_number": business,
        "customer_city": "Chicago", "customer_country": "US", "customer_name": name,
        "customer_phone_number": customer, "customer_state": "IL", "direction": direction,
        "duration": duration,
        "recording": (f"https://api.callrail.com/v3/a/{ACCOUNT_ID}/calls/{call_id}/"
                      "recording.json") if recorded else None,
        "recording_duration": duration if recorded else None,
        "recording_player": (f"https://app.callrail.com/calls/{call_id}/recording?"
                             "access_key=3b91f") if recorded else None,
        "start_time": start.astimezone(ZoneInfo(tz)).isoformat(timespec="milliseconds"),
        "tracking_phone_number": tracking, "voicemail": voicemail, "agent_email": None,
        # user-requested fields
        "call_type": call_type, "company_id": company_id, "company_name": ACCOUNT_NAME,
        "source": source, "source_name": source_name, "transcription": transcription,
        "tracker_id": "TRK" + uuid.uuid5(uuid.NAMESPACE_URL, tracking).hex,
    }


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    args: dict
    authorization: str | None
    body: dict | None


class FakeCallRail:
    def __init__(self, server: HTTPServer, *, api_key: str = API_KEY,
                 account_id: str = ACCOUNT_ID, time_zone: str = "America/New_York",
                 default_window: timedelta = timedelta(days=30), clock=utcnow):
        self.server = server
        self.keys = {api_key}
        self.forbidden_keys: set[str] = set()
        self.account_id = account_id
        self.zone = ZoneInfo(time_zone)
        self.default_window = default_window
        self.clock = clock
        self.requests: list[Seen] = []
        self.texts: list[dict] = []
        self._failures: deque[tuple[str | None, int, dict, dict]] = deque()
        self._starts: list[datetime] = []     # sorted, parallel to _records
        self._records: list[dict] = []
        self._by_id: dict[str, dict] = {}
        self._unsorted: list[tuple[datetime, dict]] = []
        self.conversations: list[tuple[datetime, dict]] = []   # (first message, record)
        self._threads: dict[tuple[str, object], dict] = {}     # (customer, local day) -> it
        self.companies = [{"id": COMPANY_ID, "name": ACCOUNT_NAME, "time_zone": time_zone,
                           "status": "active", "created_at": "2023-04-03T09:12:44.018-04:00"}]
        self.trackers = [_tracker("Website", SITE_LINE, sms=False),
                         _tracker("Google Ads", ADS_LINE, sms=True)]
        server.expect_request(re.compile(r"^/v3/")).respond_with_handler(self._handle)

    # --- what tests call ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url_for("/v3")

    def add(self, *records: dict, at: datetime | None = None) -> None:
        """Add call records; `at` places a record whose start_time is not a time."""
        for record in records:
            key = at or datetime.fromisoformat(record["start_time"]).astimezone(timezone.utc)
            self._unsorted.append((key, record))
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                self._by_id[record["id"]] = record

    def add_text(self, customer: str, content: str, at: datetime, *,
                 direction: str = "incoming", tracking: str = ADS_LINE,
                 name: str | None = None) -> dict:
        """A text to or from `customer`, in that day's conversation (made when new)."""
        day = at.astimezone(self.zone).date()
        conv = self._threads.get((customer, day))
        if conv is None:
            tracker = next(t for t in self.trackers if tracking in t["tracking_numbers"])
            conv = self._threads[(customer, day)] = {
                "id": "SMT" + uuid.uuid4().hex, "company_id": COMPANY_ID,
                "initial_tracker_id": tracker["id"], "current_tracker_id": tracker["id"],
                "customer_name": name, "customer_phone_number": customer,
                "initial_tracking_number": tracking, "current_tracking_number": tracking,
                "last_message_at": None, "state": "active", "company_time_zone": self.zone.key,
                "recent_messages": []}
            self.conversations.append((at.astimezone(timezone.utc), conv))
        stamp = at.astimezone(self.zone).isoformat(timespec="milliseconds")
        conv["recent_messages"].append({"direction": direction, "content": content,
                                        "created_at": stamp})
        conv.update(last_message_at=stamp, current_tracking_number=tracking)
        return conv

    def add_conversation(self, record, at: datetime) -> None:
        """A raw (perhaps broken) conversation record, listed as begun and last active `at`."""
        self.conversations.append((at.astimezone(timezone.utc), record))

    def texts_requests(self) -> list[Seen]:
        return [r for r in self.requests
                if r.path.endswith("/text-messages.json") and r.method == "GET"]

    def clear(self) -> None:
        """Forget every call record and every request seen."""
        self._starts, self._records, self._unsorted, self._by_id = [], [], [], {}
        self.requests.clear()

    def update(self, call_id: str, **fields) -> None:
        self._by_id[call_id].update(fields)

    def fail_next(self, count: int, status: int, retry_after: str | None = None,
                  body: dict | None = None, method: str | None = None) -> None:
        """Answer the next `count` requests (of `method`, if given) with `status`."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        for _ in range(count):
            self._failures.append((method, status, body or {"error": f"HTTP {status}"},
                                   headers))

    def calls_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith("/calls.json") and r.method == "GET"]

    # --- the server -------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.method == "POST" else None
        self.requests.append(Seen(request.method, request.path, dict(request.args),
                                  request.headers.get("Authorization"), body))
        if self._failures and self._failures[0][0] in (None, request.method):
            _, status, error, headers = self._failures.popleft()
            return _json(error, status, headers)
        key = _token(request.headers.get("Authorization", ""))
        if key not in self.keys | self.forbidden_keys:
            return _json({"error": "HTTP Token: Access denied."}, 401,
                         {"WWW-Authenticate": 'Token realm="Application"'})
        if key in self.forbidden_keys:
            return _json({"error": "You do not have access to this account."}, 403)
        path = request.path.removeprefix("/v3")
        if path == "/a.json":
            return _json({**_envelope(1, 100, 1, "accounts"), "accounts": [self._account()]})
        found = re.fullmatch(r"/a/([^/]+?)(\.json|/.*)", path)
        if not found or found.group(1) != self.account_id:
            return _json({"error": "Not found"}, 404)
        rest = found.group(2)
        if rest == ".json":
            return _json(self._account())
        if rest == "/calls.json" and request.method == "GET":
            return self._list(request.args)
        if rest == "/companies.json":
            return _json({**_envelope(1, 100, len(self.companies), "companies"),
                          "companies": self.companies})
        if rest == "/trackers.json":
            return _json({**_envelope(1, 100, len(self.trackers), "trackers"),
                          "trackers": self.trackers})
        if rest == "/text-messages.json" and request.method == "POST":
            return self._text(body or {})
        if rest == "/text-messages.json" and request.method == "GET":
            return self._conversations(request.args)
        one = re.fullmatch(r"/calls/([^/]+)\.json", rest)
        if one and one.group(1) in self._by_id:
            return _json(_shape(self._by_id[one.group(1)], request.args.get("fields", "")))
        return _json({"error": "Not found"}, 404)

    def _paging(self, args):
        """(low, high, per_page, page) from a listing's query; ValueError when bad."""
        low, high = self._window(args)
        per_page = min(max(int(args.get("per_page", 100)), 1), MAX_PER_PAGE)
        return low, high, per_page, max(int(args.get("page", 1)), 1)

    def _list(self, args) -> Response:
        try:
            low, high, per_page, page = self._paging(args)
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        self._sort()
        first = bisect.bisect_left(self._starts, low) if low else 0
        last = bisect.bisect_left(self._starts, high) if high else len(self._starts)
        total = max(last - first, 0)
        if args.get("order") == "desc":
            chunk = self._records[max(last - page * per_page, first):
                                  max(last - (page - 1) * per_page, first)][::-1]
        else:
            chunk = self._records[first + (page - 1) * per_page:
                                  min(first + page * per_page, last)]
        fields = args.get("fields", "")
        return _json({**_envelope(page, per_page, total, "calls"),
                      "calls": [_shape(r, fields) for r in chunk]})

    def _conversations(self, args) -> Response:
        try:
            low, high, per_page, page = self._paging(args)
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        rows = [(_last_activity(conv, begun), conv) for begun, conv in self.conversations
                if (low is None or begun >= low) and (high is None or begun < high)]
        rows.sort(key=lambda pair: pair[0], reverse=True)   # most recent first
        chunk = [conv for _, conv in rows[(page - 1) * per_page:page * per_page]]
        return _json({**_envelope(page, per_page, len(rows), "conversations"),
                      "conversations": chunk})

    def _window(self, args) -> tuple[datetime | None, datetime | None]:
        start, end, named = args.get("start_date"), args.get("end_date"), args.get("date_range")
        now = self.clock()
        if named:
            days = {"recent": 30, "last_7_days": 7, "last_30_days": 30, "all_time": None}
            if named == "today":
                return self._local(now.astimezone(self.zone).date(), False), None
            if named not in days:
                raise ValueError(f"Invalid date_range: {named}")
            return (None if days[named] is None else now - timedelta(days=days[named])), None
        if not start and not end:
            return now - self.default_window, None   # the silent default window
        low = self._parse(start, "start_date", end=False) if start else now - self.default_window
        return low, (self._parse(end, "end_date", end=True) if end else None)

    def _parse(self, text: str, name: str, end: bool) -> datetime:
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return self._local(date.fromisoformat(text), end)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"Invalid {name}: {text}") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=self.zone)).astimezone(
            timezone.utc)

    def _local(self, day: date, end: bool) -> datetime:
        """Midnight starting `day` (or, for an end date, the one ending it) in the account."""
        day = day + timedelta(days=1) if end else day
        return datetime.combine(day, time(), self.zone).astimezone(timezone.utc)

    def _sort(self) -> None:
        if self._unsorted:
            merged = sorted([*zip(self._starts, self._records), *self._unsorted],
                            key=lambda pair: pair[0])
            self._starts = [s for s, _ in merged]
            self._records = [r for _, r in merged]
            self._unsorted = []

    def _text(self, body: dict) -> Response:
        missing = [k for k in ("company_id", "customer_phone_number", "content")
                   if not body.get(k)]
        if not (body.get("tracking_number") or body.get("tracker_id")):
            missing.append("tracking_number")
        if missing:
            return _json({"error": f"Missing required parameter(s): {', '.join(missing)}"}, 400)
        tracker = next((t for t in self.trackers
                        if body.get("tracking_number") in t["tracking_numbers"]
                        or body.get("tracker_id") == t["id"]), None)
        if tracker is None or not tracker["sms_enabled"] \
                or tracker["company"]["id"] != body["company_id"]:
            return _json({"error": "Tracking number is not enabled for SMS"}, 422)
        self.texts.append(body)
        conv = self.add_text(body["customer_phone_number"], body["content"], self.clock(),
                             direction="outgoing", tracking=tracker["tracking_numbers"][0])
        return _json(conv, 201)

    def _account(self) -> dict:
        return {"id": self.account_id, "name": ACCOUNT_NAME, "outbound_recording_enabled": True,
                "hipaa_account": False, "numeric_id": 266101466}


def _last_activity(conv, begun: datetime) -> datetime:
    try:
        return datetime.fromisoformat(conv["last_message_at"]).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError, AttributeError):
        return begun


def _tracker(name: str, number: str, sms: bool) -> dict:
    return {"id": "TRK" + uuid.uuid5(uuid.NAMESPACE_URL, number).hex, "name": name,
            "type": "source", "status": "active", "destination_number": SHOP_LINE,
            "tracking_numbers": [number], "whisper_message": None, "sms_supported": True,
            "sms_enabled": sms, "company": {"id": COMPANY_ID, "name": ACCOUNT_NAME},
            "created_at": "2023-04-03T09:20:11.112-04:00", "disabled_at": None}


def _shape(record, fields: str):
    if not isinstance(record, dict):
        return record
    wanted = set(DEFAULT_FIELDS) | {f.strip() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in record.items() if k in wanted}


def _envelope(page: int, per_page: int, total: int, _name: str) -> dict:
    return {"page": page, "per_page": per_page,
            "total_pages": math.ceil(total / per_page) if total else 0, "total_records": total}


def _token(header: str) -> str | None:
    found = re.fullmatch(r'Token token="?([^"]*)"?', header.strip())
    return found.group(1) if found else None


def _json(document, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(document), status=status, headers=headers or {},
                    content_type="application/json; charset=utf-8")


@pytest.fixture(scope="module")
def callrail_server():
    """The loopback server: 127.0.0.1 at a free port, started once a module, then stopped
    (stopping waits out werkzeug's half-second poll, so not once a test)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def callrail_fake(callrail_server):
    """A fresh FakeCallRail for one test on the module's server."""
    callrail_server.clear()
    fake = FakeCallRail(callrail_server)
    yield fake
    try:
        callrail_server.check_handler_errors()  # a bug in the fake fails the test that met it
    finally:
        callrail_server.clear()
