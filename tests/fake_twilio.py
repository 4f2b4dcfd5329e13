"""A loopback fake of Twilio's REST API (2010-04-01) on pytest-httpserver, in Twilio's own
wire format, for the Twilio adapter's tests and benchmarks.

What it reproduces, from Twilio's API reference:
* Basic auth AccountSid:AuthToken; failures answer Twilio's error body
  `{"code", "message", "more_info", "status"}` (20003 Authenticate / 401, 20403 / 403, 20404
  / 404 for an account the credentials cannot reach, 20429 / 429, 20500 / 5xx).
* `GET /Accounts/{sid}/Calls.json` with To, From, ParentCallSid, Status and the DATE-granular
  filters StartTime / StartTime< / StartTime> / EndTime / EndTime< / EndTime> (`EndTime>=D`
  on the wire is the key `EndTime>`): only the YYYY-MM-DD part counts, in UTC; `X>=D` means "on
  or after midnight of D", `X<=D` "on or before midnight of D" (read literally: D 00:00).
  With no date filter Twilio lists the account's whole history: so does the fake (that is
  Twilio's silent default, and the tests assert the adapter never relies on it).
* Sorted by DateUpdated, most recent first; PageSize (default 50, at most 1000), Page,
  PageToken; the envelope `calls, start, end, page, page_size, uri, first_page_uri,
  next_page_uri, previous_page_uri`, with URIs relative to https://api.twilio.com.
* Recordings of the account (`Recordings.json`, DateCreated / DateCreated< / DateCreated>,
  CallSid) and under a call (`recordings`), transcriptions under a recording
  (`transcriptions`), `IncomingPhoneNumbers.json`, `POST Messages.json` (To, From, Body:
  201, or 400 with error 21604 / 21606), and the Account resource.
* `GET Messages.json`: both directions in one list (inbound; the shop's own texts are
  outbound-api), filtered by To, From and the DATE-granular DateSent / DateSent< / DateSent>
  (read like StartTime), newest first, paged by next_page_uri. A text the shop sends is
  listed (status `sent`, date_sent set) from the moment the POST answers.

Records are kept sorted by their DateUpdated (bisect), so 100,000 of them cost little.
"""

from __future__ import annotations

import bisect
import email.utils
import itertools
import json
import re
import secrets
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ACCOUNT_SID = "AC" + "5e1f0a2b3c4d5e6f7a8b9c0d1e2f3a4b"
AUTH_TOKEN = "f00dfacecafebeef0123456789abcdef"
SHOP_NUMBER = "+13125550100"      # the Twilio number callers dial
OFFICE_PHONE = "+13125550155"     # where the shop forwards calls to
PREFIX = "/2010-04-01"
DATE_KEYS = ("StartTime", "EndTime")
_GARBAGE = object()
_ids = itertools.count(1)


def sid(prefix: str) -> str:
    return prefix + f"{next(_ids):08x}" + secrets.token_hex(12)


def rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


def twilio_call(*, frm: str, to: str, start: datetime, seconds: int = 0,
                status: str = "completed", direction: str = "inbound",
                parent: str | None = None, caller_name: str | None = None,
                answered_by: str | None = None, call_sid: str | None = None,
                ring: int = 0, account: str = ACCOUNT_SID, updated_after: int = 2) -> dict:
    """A Call resource as Twilio returns it. `ring` seconds pass before `seconds` of talk;
    unfinished statuses have no end time. DateUpdated follows the end by `updated_after`."""
    call_sid = call_sid or sid("CA")
    finished = status not in ("queued", "ringing", "in-progress")
    end = start + timedelta(seconds=ring + seconds)
    updated = end + timedelta(seconds=updated_after) if finished else start
    return {
        "account_sid": account, "annotation": None, "answered_by": answered_by,
        "api_version": "2010-04-01", "caller_name": caller_name,
        "date_created": rfc2822(start), "date_updated": rfc2822(updated),
        "direction": direction, "duration": str(seconds) if finished else None,
        "end_time": rfc2822(end) if finished else None, "forwarded_from": None,
        "from": frm, "from_formatted": frm, "group_sid": None, "parent_call_sid": parent,
        "phone_number_sid": "PN" + "0" * 32, "price": "-0.00850" if finished else None,
        "price_unit": "USD", "queue_time": "0", "sid": call_sid,
        "start_time": rfc2822(start), "status": status, "to": to, "to_formatted": to,
        "trunk_sid": None,
        "uri": f"{PREFIX}/Accounts/{account}/Calls/{call_sid}.json",
        "subresource_uris": {
            name: f"{PREFIX}/Accounts/{account}/Calls/{call_sid}/{name.title()}.json"
            for name in ("notifications", "recordings", "events")},
    }


@dataclass(frozen=True)
class Seen:
    """One request as the fake received it."""
    method: str
    path: str
    args: dict[str, str]
    form: dict[str, str]


class FakeTwilio:
    def __init__(self, server: HTTPServer, account_sid: str = ACCOUNT_SID,
                 auth_token: str = AUTH_TOKEN, friendly_name: str = "Riverside Plumbing"):
        self.server = server
        self.account_sid, self.friendly_name = account_sid, friendly_name
        self.accounts = {account_sid: auth_token}  # credentials Twilio accepts
        self.subaccounts: dict[str, set[str]] = defaultdict(set)  # reachable other accounts
        self.api_keys: dict[str, tuple[str, str]] = {}  # SK… -> (secret, owner account)
        self.forbidden = False                        # answer 403 to everything
        self.requests: list[Seen] = []
        self._failures: deque[tuple[int, float | None]] = deque()
        self._keys: list[tuple[float, str]] = []      # (DateUpdated, sid), ascending
        self._calls: dict[str, dict] = {}
        self._key_of: dict[str, tuple[float, str]] = {}
        self._children: dict[str, set[str]] = defaultdict(set)
        self._times: dict[tuple, object] = {}
        self.recordings: dict[str, list[dict]] = defaultdict(list)
        self.transcriptions: dict[str, list[dict]] = defaultdict(list)
        self.numbers = [{"sid": "PN" + "1" * 32, "account_sid": account_sid,
                         "phone_number": SHOP_NUMBER, "friendly_name": "(312) 555-0100",
                         "capabilities": {"voice": True, "sms": True, "mms": True,
                                          "fax": False}}]
        self.messages: list[dict] = []                # both directions, as listed
        self.now = lambda: datetime.now(timezone.utc)  # date_sent of the texts POSTed here
        server.expect_request(re.compile(f"^{PREFIX}/")).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for(PREFIX)

    # -- what tests put in ----------------------------------------------------------------
    def add(self, *records: dict, sort_at: datetime | None = None) -> None:
        """Store Call records; `sort_at` places a record whose DateUpdated is unreadable."""
        for record in records:
            moment = sort_at or email.utils.parsedate_to_datetime(record["date_updated"])
            key = (moment.timestamp(), str(record.get("sid")))
            old = self._key_of.pop(key[1], None)
            if old is not None:
                self._keys.pop(bisect.bisect_left(self._keys, old))
            bisect.insort(self._keys, key)
            self._calls[key[1]] = record
            self._key_of[key[1]] = key
            if isinstance(record.get("parent_call_sid"), str):
                self._children[record["parent_call_sid"]].add(key[1])

    def add_many(self, records: list[dict]) -> None:
        """Bulk load (benchmarks): one sort at the end."""
        for record in records:
            key = (email.utils.parsedate_to_datetime(record["date_updated"]).timestamp(),
                   record["sid"])
            self._calls[key[1]] = record
            self._key_of[key[1]] = key
            self._keys.append(key)
            if record.get("parent_call_sid"):
                self._children[record["parent_call_sid"]].add(key[1])
        self._keys.sort()

    def add_voicemail(self, call: dict, text: str | None, seconds: int = 25,
                      transcription_status: str = "completed", source: str = "RecordVerb",
                      status: str = "completed") -> dict:
        """A recording on `call` (the parent leg, as Twilio files it) and its transcription."""
        end = email.utils.parsedate_to_datetime(call["end_time"])
        rec_sid, start = sid("RE"), end - timedelta(seconds=seconds)
        base = f"{PREFIX}/Accounts/{self.account_sid}/Recordings/{rec_sid}"
        recording = {
            "account_sid": self.account_sid, "api_version": "2010-04-01",
            "call_sid": call["sid"], "conference_sid": None, "channels": 1,
            "date_created": rfc2822(start), "date_updated": rfc2822(end),
            "start_time": rfc2822(start), "duration": str(seconds), "sid": rec_sid,
            "price": "-0.0025", "price_unit": "USD", "status": status, "source": source,
            "error_code": None, "encryption_details": None, "uri": base + ".json",
            "media_url": f"https://api.twilio.com{base}",
            "subresource_uris": {"add_on_results": base + "/AddOnResults.json",
                                 "transcriptions": base + "/Transcriptions.json"}}
        self.recordings[call["sid"]].append(recording)
        if text is not None or transcription_status != "completed":
            tr_sid = sid("TR")
            self.transcriptions[rec_sid].append({
                "account_sid": self.account_sid, "api_version": "2010-04-01",
                "date_created": rfc2822(end), "date_updated": rfc2822(end),
                "duration": str(seconds), "price": "-0.05", "price_unit": "USD",
                "recording_sid": rec_sid, "sid": tr_sid, "status": transcription_status,
                "transcription_text": text if transcription_status == "completed" else None,
                "type": "fast",
                "uri": f"{PREFIX}/Accounts/{self.account_sid}/Transcriptions/{tr_sid}.json"})
        return recording

    def add_text(self, frm: str, body: str, at: datetime, to: str = SHOP_NUMBER,
                 direction: str = "inbound", **fields) -> dict:
        """A Message record as Twilio lists it: by default a text a customer sent the shop
        (`inbound`, status `received`); `fields` override any key (to break it)."""
        msg_sid = sid("SM")
        outbound = direction != "inbound"
        stamp = rfc2822(at)
        message = {"account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
                   "date_created": stamp, "date_sent": stamp, "date_updated": stamp,
                   "direction": direction, "error_code": None, "error_message": None,
                   "from": frm, "messaging_service_sid": None, "num_media": "0",
                   "num_segments": "1", "price": "-0.00790",
                   "price_unit": "USD", "sid": msg_sid,
                   "status": "delivered" if outbound else "received", "to": to,
                   "uri": f"{PREFIX}/Accounts/{self.account_sid}/Messages/{msg_sid}.json",
                   "subresource_uris": {"media": f"{PREFIX}/Accounts/{self.account_sid}/"
                                                 f"Messages/{msg_sid}/Media.json"},
                   **fields}
        self.messages.append(message)
        return message

    def message_requests(self) -> list[Seen]:
        return [r for r in self.requests
                if r.path.endswith("/Messages.json") and r.method == "GET"]

    def fail_next(self, count: int, status: int = 429, retry_after: float | None = None):
        """The next `count` requests answer `status` (Retry-After when given)."""
        self._failures.extend([(status, retry_after)] * count)

    def reset_requests(self) -> None:
        self.requests.clear()

    def list_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith("/Calls.json") and r.method == "GET"]

    # -- the API ----------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        if len(self.server.log) > 20:  # the server keeps every response: do not hoard them
            del self.server.log[:-5]
        self.requests.append(Seen(request.method, request.path, dict(request.args),
                                  dict(request.form)))
        if self._failures:
            status, wait = self._failures.popleft()
            words = {429: (20429, "Too Many Requests")}.get(
                status, (20500, "An internal server error has occurred"))
            return _error(status, *words, headers={"Retry-After": f"{wait:g}"} if wait else {})
        auth = request.authorization
        user = auth.username if auth and auth.type == "basic" else None
        if user in self.api_keys:  # an API key signs for the account that owns it
            secret, owner = self.api_keys[user]
            if auth.password != secret:
                return _error(401, 20003, "Authenticate")
            user = owner
        elif user not in self.accounts or auth.password != self.accounts[user]:
            return _error(401, 20003, "Authenticate")
        if self.forbidden:
            return _error(403, 20403, "403 Forbidden")
        match = re.match(rf"^{PREFIX}/Accounts/(?P<acct>[^/.]+)(?P<rest>.*)$", request.path)
        account = match["acct"] if match else None
        if account != user and account not in self.subaccounts[user]:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        rest, method = match["rest"], request.method
        if rest == ".json" and method == "GET":
            return _json(self._account(account))
        if rest == "/Calls.json" and method == "GET":
            return self._list_calls(request, account)
        if found := re.fullmatch(r"/Calls/(CA\w+)/Recordings\.json", rest):
            if found[1] not in self._calls:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            return self._page(request, "recordings", self.recordings.get(found[1], []))
        if found := re.fullmatch(r"/Recordings/(RE\w+)/Transcriptions\.json", rest):
            known = any(r["sid"] == found[1] for rs in self.recordings.values() for r in rs)
            if not known:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            return self._page(request, "transcriptions", self.transcriptions.get(found[1], []))
        if rest == "/Recordings.json" and method == "GET":
            return self._list_recordings(request)
        if rest == "/IncomingPhoneNumbers.json" and method == "GET":
            return self._page(request, "incoming_phone_numbers", self.numbers)
        if rest == "/Messages.json" and method == "POST":
            return self._send(request.form, account)
        if rest == "/Messages.json" and method == "GET":
            return self._list_messages(request, account)
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    def _account(self, account: str) -> dict:
        return {"auth_token": self.accounts.get(account, ""), "date_created":
                "Thu, 04 Jan 2024 16:20:00 +0000", "date_updated": "Thu, 04 Jan 2024 16:20:00 "
                "+0000", "friendly_name": self.friendly_name, "owner_account_sid": account,
                "sid": account, "status": "active", "type": "Full",
                "uri": f"{PREFIX}/Accounts/{account}.json",
                "subresource_uris": {"calls": f"{PREFIX}/Accounts/{account}/Calls.json"}}

    def _list_calls(self, request: Request, account: str) -> Response:
        args = request.args
        try:
            size = min(int(args.get("PageSize", 50)), 1000)
            page = int(args.get("Page", 0))
            tests = [self._date_test(key, op, args[key + op]) for key in DATE_KEYS
                     for op in ("", "<", ">") if key + op in args]
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        for key, field in (("To", "to"), ("From", "from"), ("Status", "status"),
                           ("ParentCallSid", "parent_call_sid")):
            if key in args:
                tests.append(lambda c, f=field, v=args[key]: c.get(f) == v)
        # Everything that ended (or started) on or after midnight D was updated since then.
        floors = [_midnight(args[k + op]) for k in DATE_KEYS for op in ("", ">") if k + op in args]
        low = bisect.bisect_left(self._keys, (max(floors).timestamp(), "")) if floors else 0
        top = len(self._keys)
        token = args.get("PageToken", "")
        after = self._key_of.get(token[2:]) if token.startswith("PA") else None
        if after is not None:
            top = bisect.bisect_left(self._keys, after)
        if "ParentCallSid" in args:  # an index, as Twilio surely has one
            keys = sorted((self._key_of[s] for s in self._children.get(args["ParentCallSid"], ())),
                          reverse=True)
            candidates = (k for k in keys if after is None or k < after)
        else:
            candidates = (self._keys[i] for i in range(top - 1, low - 1, -1))
        found, last, more = [], None, False
        for key in candidates:
            call = self._calls[key[1]]
            if all(test(call) for test in tests):
                if len(found) == size:
                    more = True
                    break
                found.append(call)
                last = key
        base = {k: v for k, v in args.items() if k not in ("Page", "PageToken")}
        path = f"{PREFIX}/Accounts/{account}/Calls.json"
        body = self._envelope("calls", found, path, base, page, size)
        if more:
            body["next_page_uri"] = path + "?" + urlencode(
                {**base, "Page": page + 1, "PageToken": "PA" + last[1]})
        return _json(body)

    def _date_test(self, key: str, op: str, value: str):
        """Twilio's date filters look at the date only (UTC)."""
        floor = _midnight(value).timestamp()
        field = {"StartTime": "start_time", "EndTime": "end_time",
                 "DateCreated": "date_created", "DateSent": "date_sent"}[key]

        def test(call: dict) -> bool:
            moment = self._time(call, field)
            if moment is None:
                return False  # not started / not ended yet
            if moment is _GARBAGE:
                return True  # Twilio's data is not garbage; the fake lets the client cope
            if op == ">":
                return moment >= floor
            if op == "<":
                return moment <= floor
            return floor <= moment < floor + 86400
        return test

    def _time(self, call: dict, field: str):
        """The record's time as a timestamp, parsed once (the benchmarks list 100,000)."""
        cached = self._times.get((id(call), field))
        if cached is None or cached[0] is not call:
            value = call.get(field)
            try:
                stamp = None if value is None else \
                    email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError, IndexError, AttributeError):
                stamp = _GARBAGE
            cached = self._times[(id(call), field)] = (call, stamp)
        return cached[1]

    def _list_recordings(self, request: Request) -> Response:
        """The account's Recordings, newest first; DateCreated filters are date-granular."""
        args = request.args
        try:
            size = min(int(args.get("PageSize", 50)), 1000)
            page = int(args.get("Page", 0))
            tests = [self._date_test("DateCreated", op, args["DateCreated" + op])
                     for op in ("", "<", ">") if "DateCreated" + op in args]
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        if "CallSid" in args:
            tests.append(lambda r: r["call_sid"] == args["CallSid"])
        every = sorted((r for rs in self.recordings.values() for r in rs),
                       key=lambda r: email.utils.parsedate_to_datetime(r["date_created"]),
                       reverse=True)
        found = [r for r in every if all(test(r) for test in tests)]
        base = {k: v for k, v in args.items() if k not in ("Page", "PageToken")}
        body = self._envelope("recordings", found[page * size:(page + 1) * size],
                              request.path, base, page, size)
        if len(found) > (page + 1) * size:
            body["next_page_uri"] = request.path + "?" + urlencode(
                {**base, "Page": page + 1, "PageToken": f"PA{(page + 1) * size}"})
        return _json(body)

    def _list_messages(self, request: Request, account: str) -> Response:
        """The account's Messages, both directions, newest first; DateSent is date-granular
        and a text not yet sent (date_sent null) matches no DateSent filter."""
        args = request.args
        try:
            size = min(int(args.get("PageSize", 50)), 1000)
            page = int(args.get("Page", 0))
            tests = [self._date_test("DateSent", op, args["DateSent" + op])
                     for op in ("", "<", ">") if "DateSent" + op in args]
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        for key, field in (("To", "to"), ("From", "from")):
            if key in args:
                tests.append(lambda m, f=field, v=args[key]: m.get(f) == v)

        def newest(message: dict) -> float:
            stamp = self._time(message, "date_sent")
            if stamp is None or stamp is _GARBAGE:
                stamp = self._time(message, "date_created")
            return stamp if isinstance(stamp, float) else 0.0
        found = sorted((m for m in self.messages if all(test(m) for test in tests)),
                       key=newest, reverse=True)
        base = {k: v for k, v in args.items() if k not in ("Page", "PageToken")}
        path = f"{PREFIX}/Accounts/{account}/Messages.json"
        body = self._envelope("messages", found[page * size:(page + 1) * size], path, base,
                              page, size)
        if len(found) > (page + 1) * size:
            body["next_page_uri"] = path + "?" + urlencode(
                {**base, "Page": page + 1, "PageToken": f"PA{(page + 1) * size}"})
        return _json(body)

    def _page(self, request: Request, key: str, items: list[dict]) -> Response:
        size = min(int(request.args.get("PageSize", 50)), 1000)
        args = {k: v for k, v in request.args.items() if k not in ("Page", "PageToken")}
        return _json(self._envelope(key, items[:size], request.path, args, 0, size))

    @staticmethod
    def _envelope(key, items, path, args, page, size) -> dict:
        query = urlencode({**args, "PageSize": size, "Page": page})
        return {key: items, "start": page * size, "end": page * size + max(len(items) - 1, 0),
                "page": page, "page_size": size, "uri": f"{path}?{query}",
                "first_page_uri": f"{path}?{urlencode({**args, 'PageSize': size, 'Page': 0})}",
                "next_page_uri": None, "previous_page_uri": None if page == 0 else
                f"{path}?{urlencode({**args, 'PageSize': size, 'Page': page - 1})}"}

    def _send(self, form, account: str) -> Response:
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if form.get("From") not in {n["phone_number"] for n in self.numbers}:
            return _error(400, 21606, "The From phone number is not a valid, SMS-capable "
                                      "inbound phone number or short code for your account.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        now, msg_sid = rfc2822(self.now()), sid("SM")
        message = {"account_sid": account, "api_version": "2010-04-01", "body": form["Body"],
                   "date_created": now, "date_sent": None, "date_updated": now,
                   "direction": "outbound-api", "error_code": None, "error_message": None,
                   "from": form["From"], "messaging_service_sid": None, "num_media": "0",
                   "num_segments": "1", "price": None, "price_unit": "USD", "sid": msg_sid,
                   "status": "queued", "to": form["To"],
                   "uri": f"{PREFIX}/Accounts/{account}/Messages/{msg_sid}.json"}
        # Listed as Twilio shows it once the carrier took it.
        self.messages.append({**message, "status": "sent", "date_sent": now})
        return _json(message, 201)


def _midnight(value: str) -> datetime:
    day = date.fromisoformat(value[:10])
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: int, message: str, headers: dict | None = None) -> Response:
    body = {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    return Response(json.dumps(body), status=status, headers=headers or {},
                    content_type="application/json")


def forwarded(fake, caller: str, start: datetime, legs: list[tuple[str, int]],
              after: int = 0, to: str = SHOP_NUMBER, **kwargs) -> dict:
    """An inbound call <Dial>ed on to the office: one outbound-dial leg per (status, talk
    seconds); the parent goes on for `after` seconds (a voicemail) once the legs end."""
    ring, machine = 20, kwargs.pop("leg_answered_by", None)
    talk = max((seconds for _, seconds in legs), default=0)
    parent = twilio_call(frm=caller, to=to, start=start, seconds=ring + talk + after, **kwargs)
    for status, seconds in legs:
        fake.add(twilio_call(frm=caller, to=OFFICE_PHONE, start=start + timedelta(seconds=1),
                             ring=ring - 1 if seconds else ring, seconds=seconds, status=status,
                             direction="outbound-dial", parent=parent["sid"],
                             answered_by=machine))
    fake.add(parent)
    return parent


@pytest.fixture(scope="session")
def twilio_server():
    """One loopback server on 127.0.0.1 at a free port for the session (stopping one takes
    half a second); each test gets a fresh FakeTwilio on it."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def twilio_fake(twilio_server):
    """A fresh FakeTwilio: no calls, no handlers or failures left from another test."""
    twilio_server.clear()
    try:
        yield FakeTwilio(twilio_server)
    finally:
        crashed = list(twilio_server.handler_errors)  # a bug in the fake, not in the client
        twilio_server.clear()
        assert not crashed, crashed
