"""Twilio Programmable Voice as a PhoneProvider (REST API 2010-04-01, Basic auth).

Twilio's quirks (from its API reference) and what we do about them:
* Calls.json filters StartTime / EndTime (`EndTime>=D` is the key `EndTime>`) are DATE-granular,
  UTC, and no filter means the whole history. We ask one UTC date at a time (`EndTime=D`) for
  each date [since, until) touches and cut the exact window by end time here.
* The list is "sorted by DateUpdated, with most-recent calls first", and a record is updated
  when its call ends: once a page reaches records updated before `since`, nothing below ended
  in the window, so we stop. An idle poll is one small request, however long the history.
  A page out of that order turns the shortcut off (logged): whole dates are read instead.
* `next_page_uri` is relative to https://api.twilio.com: resolved against our base URL.
* A forwarded call is an inbound parent plus `outbound-dial` legs (`parent_call_sid`); the
  parent often ends `completed` though nobody picked up. A leg `completed` with a duration
  (not a machine) -> answered; else a voicemail -> voicemail; else missed. A `completed`
  inbound call with no legs is answered unless it holds a recording of the TwiML <Record> verb
  (`source: RecordVerb`, the kind Twilio transcribes; its `call_sid` is the parent leg): with
  no <Dial> leg nobody at the shop was connected, so it is a voicemail. Legs merge into their
  parent and are never yielded alone, except when the parent is the shop's own softphone
  (inbound *from* `client:`/`sip:`): those legs are the shop's outbound calls.
* Recordings and transcriptions are asked for only for inbound calls in the window that no
  leg answered, once per call (cached): an idle poll asks for none.
* Times are RFC 2822 ("Tue, 31 Aug 2010 20:36:28 +0000"); `duration` is a string.
* 429 (error 20429) is never processed and safe to retry; Twilio limits concurrency, so we
  send one request at a time, at most ~25 a second.
* Texts go from the account's first SMS-capable number (IncomingPhoneNumbers.json, read
  once): there is no "from number" setting, and it is the number customers know. Texts
  customers send are read from Messages.json with `To` that number; its DateSent filters are
  date-granular too, and the list mixes both directions (only `inbound` is kept).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests

from desktop.adapters.http import HttpClient, RateLimiter, Wording
from desktop.adapters.phone.base import (
    ConnectionCheck, InboundMessage, MessagePage, PhoneProvider, ProblemKind, ProviderError,
    SentMessage, require,
)
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.clock import Clock, as_utc, utcnow
from desktop.domain.phone import InvalidPhone, to_e164
from desktop.domain.quarantine import Quarantined

log = logging.getLogger(__name__)

API_VERSION = "/2010-04-01"
MAX_PAGES = 2_000  # per listing: a link that never ends must not hang the poll
DEFAULT_BASE_URL = "https://api.twilio.com" + API_VERSION
MAX_PAGE_SIZE = 1000  # Twilio's maximum
PROBE_PAGE_SIZE = 50  # the first page of a poll: all an idle poll needs
FINAL = {"completed": None, "no-answer": Outcome.MISSED, "busy": Outcome.BUSY,
         "failed": Outcome.FAILED, "canceled": Outcome.ABANDONED}  # None: decided here
UNFINISHED = frozenset({"queued", "ringing", "in-progress"})
INBOUND = frozenset({"inbound", "trunking-originating"})
OUTBOUND = frozenset({"outbound-api", "outbound-dial", "trunking-terminating"})
SHOP_DEVICES = ("client:", "sip:")  # the shop's own softphones and SIP phones
OUTBOUND_TEXTS = frozenset({"outbound-api", "outbound-call", "outbound-reply"})
MAX_TEXT = 5_000  # characters of a text kept (Twilio's limit is 1,600): hostile data may be huge
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"
                                         .split())}
Maybe = str | Callable[[], str | None] | None


class Unreadable(ValueError):
    """A record we cannot use; the message says why."""


@dataclass(slots=True)
class Leg:
    """One Call record, as far as we need it."""
    sid: str
    parent: str | None
    direction: str
    status: str
    from_: str
    to: str
    start: datetime | None
    end: datetime | None
    updated: datetime | None
    duration: int
    caller_name: str | None
    answered_by: str | None
    raw: dict

    @property
    def talked(self) -> bool:
        """A person took it: completed, seconds on the line, not a machine or a fax."""
        return (self.status == "completed" and self.duration > 0
                and not (self.answered_by or "").startswith(("machine", "fax")))


@dataclass(frozen=True)
class Voicemail:
    text: str | None
    settled: bool  # False while Twilio is still transcribing: ask again next time


class TwilioLine(PhoneProvider):
    name = "twilio"
    label = "Twilio"

    def __init__(self, *, account_sid: Maybe, auth_token: Maybe, api_key: Maybe = None,
                 base_url: str = DEFAULT_BASE_URL, clock: Clock = utcnow,
                 sleep: Callable[[float], None] = time.sleep, page_size: int = MAX_PAGE_SIZE,
                 requests_per_second: float = 25, session: requests.Session | None = None):
        # Getters, read at each use: a credential fixed in Settings works without a restart.
        # An API key (SK…) may sign instead of the Account SID; auth_token is then its secret.
        self._sid_of, self._token_of, self._key_of = (
            v if callable(v) else (lambda v=v: v) for v in (account_sid, auth_token, api_key))
        self._credentials = ("", "")
        self._clock = clock
        self.page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        self.base_url = _api_base(base_url or DEFAULT_BASE_URL)
        self.wording = Wording(
            label="Twilio", extra={400: "Twilio refused the request: {detail}"},
            permission="Twilio refused access (these credentials lack a permission): {detail}",
            rate_limited="Twilio is rate-limiting us (too many requests at once); the next "
                         "poll waits {wait}")
        self.http = HttpClient(self.base_url, self.wording, auth=self._sign, sleep=sleep,
                               limiter=RateLimiter(requests_per_second, 1.0, sleep=sleep),
                               session=session, secrets=lambda: [self._credentials[1]])
        self._trust_order = True
        self._legs: OrderedDict[str, dict[str, Leg]] = OrderedDict()  # by parent call
        self._voicemails: OrderedDict[str, Voicemail | None] = OrderedDict()  # by call
        self._sms_from: str | None = None

    # -- the port ------------------------------------------------------------------------
    def list_calls(self, since: datetime, until: datetime) -> Iterator[list]:
        since, until = as_utc(since), as_utc(until)
        sid = self._account()
        held: dict[str, dict[str, Leg]] = {}  # legs by parent, until the parent is listed
        day, last = since.date(), (until - timedelta(microseconds=1)).date()
        while day <= last:
            roots, page = self._read_day(sid, day, since, until, held, day == since.date())
            calls = [(root, self._legs_of(sid, root, held.pop(root.sid, {}), since))
                     for root in roots if root.status in FINAL and since <= root.end < until]
            self._find_voicemails(sid, [root for root, legs in calls if _undecided(root, legs)])
            for root, legs in calls:
                page.extend(self._customer_calls(root, legs))
            # Oldest first, so a callback is stored after the missed call it answers.
            page.sort(key=lambda c: (isinstance(c, ProviderCall), getattr(c, "ended_at", 0)))
            for at in range(0, len(page), 500):
                yield page[at:at + 500]
            day += timedelta(days=1)

    def fetch_transcript(self, provider_call_id: str) -> str | None:
        sid = self._account()
        known = self._voicemails.get(provider_call_id)
        if known is None or not known.settled:
            message = next((r for r in self._call_recordings(sid, provider_call_id)
                            if _is_message(r)), None)
            known = self._transcribed(sid, message) if message else None
            _remember(self._voicemails, provider_call_id, known)
        return known.text if known else None

    def list_messages(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        """Texts customers sent to the shop's texting number: `GET Messages.json` with `To`.

        Like StartTime, the `DateSent` filters are whole UTC dates (`DateSent<=D` meaning
        midnight starting D), so we ask for every date [since, until) touches and cut the exact
        window here by `date_sent`. The list holds both directions; only `inbound` counts (the
        shop's own texts are outbound-api, outbound-reply or outbound-call)."""
        since, until = as_utc(since), as_utc(until)
        sid = self._account()
        last = (until - timedelta(microseconds=1)).date()
        params = {"To": self._sender(sid), "DateSent>": since.date().isoformat(),
                  "DateSent<": (last + timedelta(days=1)).isoformat(), "PageSize": self.page_size}
        found: dict[str, InboundMessage | Quarantined] = {}  # by SID: pages may overlap
        for records, _ in self._pages(f"/Accounts/{sid}/Messages.json", params, "messages"):
            for raw in records:
                try:
                    text = read_message(raw)
                except Unreadable as exc:
                    sent = _time_or_none(raw.get("date_sent")) if isinstance(raw, dict) else None
                    if sent is None or since <= sent < until:  # it may be in the window: keep it
                        key = raw.get("sid") if isinstance(raw, dict) else None
                        key = key if isinstance(key, str) else None
                        found[key or repr(raw)[:300]] = Quarantined(str(exc), raw, key)
                    continue
                if text is not None and since <= text.received_at < until:
                    found[text.provider_message_id] = text
        # Newest first from Twilio; oldest first here, so a STOP is read before a later START.
        items = sorted(found.values(), key=lambda m: (isinstance(m, InboundMessage),
                                                      getattr(m, "received_at", 0)))
        for at in range(0, len(items), 500):
            yield items[at:at + 500]

    def send_sms(self, to_number: str, body: str) -> SentMessage:
        sid = self._account()
        try:
            to_number = to_e164(to_number)
        except InvalidPhone:
            pass  # Twilio says what is wrong with it (error 21211)
        # A POST is never retried: one that may have landed must not text anyone twice.
        sent = self.http.post_json(f"/Accounts/{sid}/Messages.json", data={
            "To": to_number, "From": self._sender(sid), "Body": body})
        return SentMessage(str(sent.get("sid") or "unknown"), to_number, body,
                           _time_or_none(sent.get("date_created")) or self._clock())

    def test_connection(self) -> ConnectionCheck:
        try:
            sid = self._account()
            account = self.http.get_json(f"/Accounts/{sid}.json")
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        name = account.get("friendly_name") or sid
        if account.get("status") in ("suspended", "closed"):
            return ConnectionCheck(False, f"Twilio account “{name}” is {account['status']}: "
                                          "it takes no calls until it is active again")
        return ConnectionCheck(True, f"Connected to Twilio account “{name}” ({sid})")

    # -- credentials ---------------------------------------------------------------------
    def _account(self) -> str:
        sid = require(self._sid_of(), "Twilio Account SID is missing: run `frontdesk config "
                                      "set phone.twilio.account_sid AC…`")
        token = require(self._token_of(), "Twilio auth token is missing: run `frontdesk "
                                          "secret set phone.twilio.auth_token`")
        self._credentials = (self._key_of() or sid, token)
        shown = sid.replace("{", "{{").replace("}", "}}")  # the wording is a format string
        self.wording.auth = (f"Twilio rejected the auth token for account {shown}: check the "
                             "Account SID and auth token in Settings → Phone")
        self.wording.not_found = (f"Twilio does not know account {shown}: check the Account "
                                  "SID in Settings → Phone")
        return sid

    def _sign(self, request):
        return requests.auth.HTTPBasicAuth(*self._credentials)(request)

    # -- the Calls list ------------------------------------------------------------------
    def _read_day(self, sid, day: date, since, until, held, first: bool):
        """The Call records that ended on `day`: parents (returned), legs (into `held`) and a
        Quarantined for each record we cannot read. On the window's first day, pages are
        small and the walk stops at records updated before `since`."""
        params = {"EndTime": day.isoformat(),
                  "PageSize": min(self.page_size, PROBE_PAGE_SIZE) if first else self.page_size}
        roots: dict[str, Leg] = {}
        bad: dict[str, Quarantined] = {}
        for records, _ in self._pages(f"/Accounts/{sid}/Calls.json", params, "calls"):
            legs = self._read_page(records, since, until, bad)
            for leg in legs:
                (roots if leg.parent is None else held.setdefault(leg.parent, {}))[leg.sid] = leg
            if first and self._reached(legs, since):
                break
        return list(roots.values()), list(bad.values())

    def _read_page(self, records: list, since, until, bad: dict) -> list[Leg]:
        legs = []
        for raw in records:
            try:
                legs.append(read_call(raw))
            except Unreadable as exc:
                end = _time_or_none(raw.get("end_time")) if isinstance(raw, dict) else None
                if end is None or since <= end < until:  # it may be in the window: keep it
                    sid = raw.get("sid") if isinstance(raw, dict) else None
                    sid = sid if isinstance(sid, str) else None
                    bad[sid or repr(raw)[:300]] = Quarantined(str(exc), raw, sid)
        return legs

    def _reached(self, legs: list[Leg], stop_at: datetime) -> bool:
        """This page is in DateUpdated order and its last record was updated before stop_at."""
        stamps = [leg.updated for leg in legs if leg.updated is not None]
        if self._trust_order and any(a < b for a, b in zip(stamps, stamps[1:])):
            log.warning("Twilio listed calls out of DateUpdated order: reading whole days")
            self._trust_order = False
        return self._trust_order and bool(stamps) and stamps[-1] < stop_at

    def _pages(self, path: str, params: dict, key: str) -> Iterator[tuple[list, bool]]:
        """Each page's `key` list, and whether another page follows."""
        body, seen = self.http.get_json(path, params=params), set()
        while True:
            items, link = body.get(key), body.get("next_page_uri")
            if not isinstance(items, list):
                raise ProviderError(f"Twilio sent a response we cannot read (no '{key}' list)",
                                    ProblemKind.BAD_RESPONSE)
            more = isinstance(link, str) and bool(link) and link not in seen
            yield items, more
            if not more:
                return
            seen.add(link)
            if len(seen) >= MAX_PAGES:  # new links forever: a server that never says stop
                raise ProviderError(f"Twilio kept sending pages (over {MAX_PAGES}); the poll "
                                    "stopped there", ProblemKind.BAD_RESPONSE)
            parts = urlsplit(link)  # relative to https://api.twilio.com: keep our host
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            origin = urlsplit(self.base_url)
            body = self.http.get_json(
                self.base_url[:-len(API_VERSION)] + path if path.startswith(API_VERSION + "/")
                else f"{origin.scheme}://{origin.netloc}{path}")

    # -- legs, voicemails, and the customer's call -----------------------------------------
    def _legs_of(self, sid, root: Leg, seen: dict[str, Leg], since) -> dict[str, Leg]:
        """Legs of a call that began before `since` may lie below where the walk stopped:
        when they matter, ask by ParentCallSid (once: a finished call's legs stay put)."""
        needed = root.from_.startswith(SHOP_DEVICES) or _undecided(root, seen)
        if root.start >= since or root.direction not in INBOUND or not needed:
            return seen
        if root.sid not in self._legs:
            params = {"ParentCallSid": root.sid, "StartTime>": root.start.date().isoformat(),
                      "PageSize": self.page_size}
            legs: dict[str, Leg] = {}
            for records, _ in self._pages(f"/Accounts/{sid}/Calls.json", params, "calls"):
                for raw in records:
                    try:
                        leg = read_call(raw)
                    except Unreadable:
                        continue  # quarantined by the walk that lists it in its window
                    legs[leg.sid] = leg
            _remember(self._legs, root.sid, legs)
        return {**self._legs[root.sid], **seen}

    def _find_voicemails(self, sid: str, roots: list[Leg]) -> None:
        """Find each call's <Record> message: call by call for a few, else one Recordings
        list over their dates; then one transcription request per message."""
        todo = {r.sid: r for r in roots if r.sid not in self._voicemails
                or (self._voicemails[r.sid] is not None and not self._voicemails[r.sid].settled)}
        found: dict[str, dict] = {}
        if 0 < len(todo) <= 3:
            for call_sid in todo:
                found.update((call_sid, r) for r in self._call_recordings(sid, call_sid)
                             if _is_message(r) and call_sid not in found)
        elif todo:
            params = {"DateCreated>": min(r.start for r in todo.values()).date().isoformat(),
                      "DateCreated<": (max(r.end for r in todo.values()).date()
                                       + timedelta(days=1)).isoformat(),  # "<=": midnight
                      "PageSize": MAX_PAGE_SIZE}
            for records, _ in self._pages(f"/Accounts/{sid}/Recordings.json", params,
                                          "recordings"):
                found.update((r["call_sid"], r) for r in records if _is_message(r)
                             and isinstance(r.get("call_sid"), str)
                             and r["call_sid"] in todo and r["call_sid"] not in found)
        for call_sid in todo:
            message = found.get(call_sid)
            _remember(self._voicemails, call_sid,
                      self._transcribed(sid, message) if message else None)

    def _call_recordings(self, sid: str, call_sid: str) -> list:
        try:
            return next(self._pages(f"/Accounts/{sid}/Calls/{call_sid}/Recordings.json",
                                    {"PageSize": 20}, "recordings"))[0]
        except ProviderError as exc:
            if exc.kind != ProblemKind.NOT_CONFIGURED:
                raise
            return []  # 404: Twilio has no such call (any more)

    def _transcribed(self, sid: str, recording: dict) -> Voicemail:
        try:
            path = f"/Accounts/{sid}/Recordings/{recording['sid']}/Transcriptions.json"
            texts = next(self._pages(path, {"PageSize": 20}, "transcriptions"))[0]
        except ProviderError as exc:
            if exc.kind != ProblemKind.NOT_CONFIGURED:
                raise
            texts = []  # 404: the recording was deleted meanwhile
        done = [t for t in texts if isinstance(t, dict) and t.get("status") != "in-progress"]
        text = next((t["transcription_text"] for t in done if t.get("status") == "completed"
                     and isinstance(t.get("transcription_text"), str)), None)
        return Voicemail(text, settled=len(done) == len(texts))

    def _customer_calls(self, root: Leg, legs: dict[str, Leg]) -> list:
        if root.direction in INBOUND and root.from_.startswith(SHOP_DEVICES):
            return [self._outbound(leg) for leg in legs.values()  # the shop dialled out
                    if leg.direction == "outbound-dial" and leg.status in FINAL]
        if root.direction in OUTBOUND:
            return [self._outbound(root)]
        try:
            caller = to_e164(root.from_)
        except InvalidPhone as exc:
            return [Quarantined(f"the caller's number is unusable: {str(exc)[:120]}", root.raw,
                                root.sid)]
        dial = sorted(legs.values(), key=lambda leg: leg.start or root.start)
        outcome, transcript = FINAL[root.status], None
        if outcome is None:
            message = self._voicemails.get(root.sid)
            if any(leg.talked for leg in dial):
                outcome = Outcome.ANSWERED
            elif message:
                outcome, transcript = Outcome.VOICEMAIL, message.text
            else:  # forwarded and nobody took it; with no leg at all, the IVR handled it
                outcome = Outcome.MISSED if dial else Outcome.ANSWERED
        raw_status = root.status + (f" (dial: {', '.join(leg.status for leg in dial)})"
                                    if dial else "")
        return [ProviderCall(root.sid, Direction.INBOUND, caller, _number(root.to), root.start,
                             outcome, raw_status, root.end, root.duration, root.caller_name,
                             transcript)]

    def _outbound(self, call: Leg) -> ProviderCall | Quarantined:
        try:
            callee = to_e164(call.to)
        except InvalidPhone as exc:
            return Quarantined(f"the called number is unusable: {str(exc)[:120]}", call.raw,
                               call.sid)
        outcome = FINAL[call.status] or (Outcome.ANSWERED if call.duration else Outcome.MISSED)
        return ProviderCall(call.sid, Direction.OUTBOUND, _number(call.from_), callee,
                            call.start, outcome, call.status, call.end, call.duration)

    def _sender(self, sid: str) -> str:
        if self._sms_from is None:
            numbers = next(self._pages(f"/Accounts/{sid}/IncomingPhoneNumbers.json",
                                       {"PageSize": 50}, "incoming_phone_numbers"))[0]
            usable = [n for n in numbers
                      if isinstance(n, dict) and isinstance(n.get("phone_number"), str)]
            if not usable:
                raise ProviderError(f"Twilio account {sid} has no phone number to text from: "
                                    "add one in the Twilio Console", ProblemKind.NOT_CONFIGURED)
            texting = [n for n in usable if (n.get("capabilities") or {}).get("sms")]
            self._sms_from = (texting or usable)[0]["phone_number"]
        return self._sms_from


def from_settings(settings, secret, clock: Clock) -> TwilioLine:
    return TwilioLine(account_sid=lambda: settings["phone.twilio.account_sid"],
                      auth_token=lambda: secret("phone.twilio.auth_token"),
                      base_url=settings["phone.base_url"] or DEFAULT_BASE_URL, clock=clock)


# -- one record ------------------------------------------------------------------------------
def read_call(raw) -> Leg:
    """A Call record as Twilio sends it -> Leg, or Unreadable saying what is wrong."""
    if not isinstance(raw, dict):
        raise Unreadable("the call record is not a JSON object")
    sid, parent, status, direction = (raw.get(k) for k in (
        "sid", "parent_call_sid", "status", "direction"))
    if not isinstance(sid, str) or not sid.startswith("CA"):
        raise Unreadable(f"the call has no Call SID: {sid!r:.60}")
    if parent is not None and not isinstance(parent, str):
        raise Unreadable(f"parent_call_sid is not a SID: {parent!r:.60}")
    if not isinstance(status, str) or status not in FINAL and status not in UNFINISHED:
        raise Unreadable(f"unknown call status {status!r:.60}")
    if not isinstance(direction, str) or direction not in INBOUND | OUTBOUND:
        raise Unreadable(f"unknown call direction {direction!r:.60}")
    for key in ("from", "to"):
        if not isinstance(raw.get(key), str):
            raise Unreadable(f"'{key}' is missing")
    name, machine = raw.get("caller_name"), raw.get("answered_by")
    return Leg(sid, parent, direction, status, raw["from"], raw["to"],
               _time(raw, "start_time", status in FINAL), _time(raw, "end_time", status in FINAL),
               _time_or_none(raw.get("date_updated")), _seconds(raw.get("duration")),
               (name.strip()[:100] or None) if isinstance(name, str) else None,
               machine if isinstance(machine, str) else None, raw)


def read_message(raw) -> InboundMessage | None:
    """A Message record as Twilio sends it -> InboundMessage; None for the shop's own
    (outbound) texts; Unreadable saying what is wrong."""
    if not isinstance(raw, dict):
        raise Unreadable("the message record is not a JSON object")
    sid, direction, body = raw.get("sid"), raw.get("direction"), raw.get("body")
    if isinstance(direction, str) and direction in OUTBOUND_TEXTS:
        return None
    if direction != "inbound":
        raise Unreadable(f"unknown message direction {direction!r:.60}")
    if not isinstance(sid, str) or not sid.startswith(("SM", "MM")):
        raise Unreadable(f"the message has no Message SID: {sid!r:.60}")
    if body is not None and not isinstance(body, str):
        raise Unreadable(f"the message body is not text: {body!r:.60}")
    numbers = []
    for key, who in (("from", "sender's"), ("to", "shop's")):
        value = raw.get(key)
        if not isinstance(value, str) or not value:
            raise Unreadable(f"'{key}' is missing")
        try:
            numbers.append(to_e164(value[:40]))
        except InvalidPhone as exc:
            raise Unreadable(f"the {who} number is unusable: {str(exc)[:120]}") from None
    # date_sent is when Twilio received an inbound text; date_created only if it is empty.
    key = "date_sent" if raw.get("date_sent") not in (None, "") else "date_created"
    received = _time(raw, key, required=False)
    if received is None:
        raise Unreadable("the message has no date_sent")
    return InboundMessage(sid, numbers[0], numbers[1], (body or "")[:MAX_TEXT], received)


def _undecided(root: Leg, legs: dict[str, Leg]) -> bool:
    """Inbound, `completed`, and no leg shows a person took it: only the recordings can
    tell a voicemail from a missed call (or from one the IVR answered)."""
    return (root.direction in INBOUND and root.status == "completed"
            and not root.from_.startswith(SHOP_DEVICES)
            and not any(leg.talked for leg in legs.values()))


def _is_message(recording) -> bool:
    """A voicemail: recorded by the TwiML <Record> verb, with sound in it."""
    return (isinstance(recording, dict) and recording.get("source") == "RecordVerb"
            and recording.get("status") not in ("absent", "deleted", "failed")
            and isinstance(recording.get("sid"), str))


def _time(raw: dict, key: str, required: bool) -> datetime | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise Unreadable(f"the finished call has no {key}")
        return None
    moment = _time_or_none(value)
    if moment is None:
        raise Unreadable(f"{key} is not an RFC 2822 time: {value!r:.60}")
    return moment


def _time_or_none(value) -> datetime | None:
    """RFC 2822 -> aware UTC: Twilio's own shape quickly, anything else via email.utils."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    parts = value.split()
    try:
        if len(parts) == 6 and parts[5] == "+0000" and parts[2] in MONTHS:
            hh, mm, ss = parts[4].split(":")
            return datetime(int(parts[3]), MONTHS[parts[2]], int(parts[1]), int(hh), int(mm),
                            int(ss), tzinfo=timezone.utc)
        return as_utc(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _seconds(value) -> int:
    if value is None or value == "":
        return 0  # Twilio leaves it empty for busy, failed and unanswered calls
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 9:
        return int(value)
    raise Unreadable(f"duration is not a number of seconds: {value!r:.60}")


def _number(text: str) -> str:
    """The shop's side of a call: E.164 when it is a number, else as Twilio wrote it."""
    try:
        return to_e164(text)
    except InvalidPhone:
        return text


def _api_base(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(API_VERSION) else url + API_VERSION


def _remember(cache: OrderedDict, key: str, value, limit: int = 5000) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
