"""CallRail (call tracking, API v3) as a PhoneProvider. Its quirks, and what we do about them:

* Auth is `Authorization: Token token="KEY"` (one user's key: it sees what that user sees);
  everything lives under /v3/a/{account_id}/....json.
* `GET calls.json` without dates silently answers a default window (date_range "recent",
  30 days in the docs; 7 in our design notes). Every listing sends start_date AND end_date.
* The dates filter on a call's START and are a date or a local wall time ("2015-09-05T10:00")
  read in the account's time zone, not UTC. The start goes out as the earliest wall time
  over the companies' `time_zone`s (companies.json, once a process), LOOKBACK early for calls
  that began before the window; the end as the next UTC date (nothing lies in the future, so
  that costs nothing). [since, until) is then cut here by END time = start_time + duration.
* A call in progress is listed with `duration` null (call_type "in_progress"): not yielded,
  but followed by id until it ends, so one longer than LOOKBACK is not lost between polls.
* One record is one customer call: forwarding and ring groups are not legs, nothing merges.
  `answered`, `voicemail` and call_type "abandoned" decide the outcome. (A forward that
  reached a cell phone's own voicemail reads as answered; the record cannot tell.)
* `source` (marketing source), `transcription` and `call_type` come only via `fields=`.
* 1,000 requests an hour per account (10,000 a day): a token bucket. A 429 may come without
  Retry-After; the shared client then backs off by itself.
* Texts: `GET text-messages.json` lists CONVERSATIONS, not messages: each carries its
  `recent_messages` ({direction "incoming"/"outgoing", content, created_at}), which have no
  id of their own. The docs do not say which time start_date/end_date filter on, and CallRail
  cuts a conversation at the company's local midnight, so listings ask from the DATE the
  window starts on: a thread begun this morning with a STOP this afternoon is listed either
  way. The shop's number is `current_tracking_number` (a thread can move between trackers).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.adapters.http import HttpClient, RateLimiter, Wording
from desktop.adapters.phone.base import (
    ConnectionCheck, InboundMessage, MessagePage, Page, PhoneProvider, ProblemKind,
    ProviderError, SentMessage, require,
)
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.clock import Clock, as_utc, utcnow
from desktop.domain.phone import InvalidPhone, to_e164
from desktop.domain.quarantine import Quarantined

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.callrail.com/v3"
MAX_PER_PAGE = 250          # the documented ceiling for per_page
MAX_PAGES = 2_000           # a server that never says "last page" cannot keep us forever
FIELDS = "call_type,source,source_name,transcription"
LOOKBACK = timedelta(minutes=15)      # calls that began shortly before the window
FIRST_LOOKBACK = timedelta(hours=4)   # first poll of a process: calls ringing across a restart
PENDING_LIMIT = 50                    # in-progress calls followed by id
PENDING_MAX_AGE = timedelta(hours=12)
_WALL = "%Y-%m-%dT%H:%M"              # the docs' own example format: "2015-09-05T10:00"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Getter = Callable[[], "str | None"]


class CallRailLine(PhoneProvider):
    name = "callrail"
    label = "CallRail"

    def __init__(self, *, account_id: str | Getter = "", api_key: str | Getter | None = None,
                 base_url: str = DEFAULT_BASE_URL, clock: Clock = utcnow,
                 sleep: Callable[[float], None] = time.sleep, page_size: int = MAX_PER_PAGE,
                 limiter: RateLimiter | None = None, session=None):
        # Credentials are read at request time: one fixed in Settings works without restart.
        self._account = account_id if callable(account_id) else (lambda: account_id)
        self._key = api_key if callable(api_key) else (lambda: api_key)
        self._clock = clock
        self.page_size = max(1, min(int(page_size), MAX_PER_PAGE))
        self._last_key = ""
        self._http = HttpClient(base_url or DEFAULT_BASE_URL, _wording(), sleep=sleep,
                                limiter=limiter or RateLimiter(1000, 3600, sleep=sleep),
                                session=session, secrets=lambda: [self._last_key])
        self._zones: dict[str, list[ZoneInfo]] = {}   # account -> its companies' time zones
        self._pending: dict[str, datetime] = {}       # in-progress call id -> start
        self._lines: dict[str, tuple[datetime, str]] = {}  # customer -> line they last called
        self._polled = False

    # --- the port -------------------------------------------------------------------------
    def list_calls(self, since: datetime, until: datetime) -> Iterator[Page]:
        return self._listing(as_utc(since), as_utc(until))

    def list_messages(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        """Inbound texts from `GET text-messages.json` (conversations, each with its
        recent_messages), start_date/end_date always sent; outgoing ones skipped."""
        return self._text_listing(as_utc(since), as_utc(until))

    def fetch_transcript(self, provider_call_id: str) -> str | None:
        account = self._account_id()
        self._client()   # a missing key is a problem to show, not "no transcript"
        try:
            body = self._get(f"/a/{account}/calls/{quote(provider_call_id, safe='')}.json",
                             {"fields": "transcription"})
        except ProviderError as exc:
            if exc.kind == ProblemKind.NOT_CONFIGURED:   # 404: CallRail has no such call
                return None
            raise
        text = body.get("transcription")
        return text.strip() if isinstance(text, str) and text.strip() else None

    def send_sms(self, to_number: str, body: str) -> SentMessage:
        if not _E164.match(to_number or ""):
            raise ValueError(f"{to_number!r} is not an E.164 phone number like +13125550142")
        account = self._account_id()
        line, company = self._line_for(account, to_number)
        # Not retried: CallRail has no idempotency key, a retried POST could text twice.
        reply = self._client().post_json(f"/a/{account}/text-messages.json", json={
            "company_id": company, "tracking_number": line,
            "customer_phone_number": to_number, "content": body})
        # The answer is the conversation (SMS thread) the text went into: its id is the handle.
        thread = reply.get("id")
        return SentMessage(str(thread) if thread else "", to_number, body,
                           as_utc(self._clock()))

    def test_connection(self) -> ConnectionCheck:
        try:
            account = self._account_id()
            body = self._get(f"/a/{account}.json")
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        name = body.get("name")
        named = f"“{name}” ({account})" if isinstance(name, str) and name else account
        return ConnectionCheck(True, f"Connected to CallRail account {named}.")

    # --- listing ----------------------------------------------------------------------------
    def _listing(self, since: datetime, until: datetime) -> Iterator[Page]:
        account = self._account_id()
        lookback = LOOKBACK if self._polled else FIRST_LOOKBACK
        params = {"start_date": self._start_param(account, since - lookback),
                  "end_date": (until + timedelta(days=1)).date().isoformat(),
                  # Oldest first: a call arriving mid-listing lands on the last page and does
                  # not shift the pages still to be read.
                  "sort": "start_time", "order": "asc", "per_page": self.page_size,
                  "fields": FIELDS}
        listed: set = set()
        for page in range(1, MAX_PAGES + 1):
            body = self._get(f"/a/{account}/calls.json", {**params, "page": page})
            records = body.get("calls")
            if not isinstance(records, list):
                raise ProviderError("CallRail sent a call list we cannot read (no 'calls')",
                                    ProblemKind.BAD_RESPONSE)
            listed.update(r["id"] for r in records
                          if isinstance(r, dict) and isinstance(r.get("id"), str))
            calls = [c for c in (self._read(r, since, until) for r in records) if c is not None]
            if calls:
                yield calls
            total = body.get("total_pages")
            if not records or not isinstance(total, int) or page >= total:
                break
        finished = self._recheck_pending(account, until, skip=listed)
        if finished:
            yield finished
        self._polled = True

    def _recheck_pending(self, account: str, until: datetime, skip: set) -> Page:
        """Calls seen in progress earlier and not in this listing: ask for each by id."""
        finished: Page = []
        now = as_utc(self._clock())
        for call_id, started in list(self._pending.items()):
            if call_id in skip:
                continue
            if now - started > PENDING_MAX_AGE:
                del self._pending[call_id]   # a call stuck "in progress" for hours: let go
                continue
            try:
                raw = self._get(f"/a/{account}/calls/{call_id}.json", {"fields": FIELDS})
            except ProviderError as exc:
                if exc.kind in (ProblemKind.PERMISSION, ProblemKind.BAD_RESPONSE):
                    # This one call's trouble: keep following it, don't fail the whole poll.
                    log.warning("CallRail call %s could not be re-read: %s", call_id, exc)
                    continue
                if exc.kind != ProblemKind.NOT_CONFIGURED:
                    raise                    # network, auth, rate limit: the poll's problem
                del self._pending[call_id]   # 404: deleted (e.g. marked spam) meanwhile
                continue
            call = self._read(raw, until, until)
            if isinstance(call, Quarantined):
                self._pending.pop(call_id, None)
            if call is not None:
                finished.append(call)
        return finished

    def _read(self, raw, since: datetime, until: datetime) -> ProviderCall | Quarantined | None:
        """One record -> a finished call in the window, None (not yet / not ours), or
        Quarantined when it cannot be read."""
        if not isinstance(raw, dict):
            return Quarantined("the call record is not a JSON object", raw)
        call_id = raw.get("id")
        if not isinstance(call_id, str) or not call_id.strip():
            return Quarantined("the call has no id", raw)
        try:
            started = _moment(raw.get("start_time"))
            duration = raw.get("duration")
            if duration is None or raw.get("call_type") == "in_progress":
                self._follow(call_id, started)
                return None
            if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
                raise ValueError(f"duration is not a number of seconds: {duration!r}")
            ended = started + timedelta(seconds=duration)
            if ended >= until:               # CallRail's clock is ahead of ours: not over yet
                self._follow(call_id, started)
                return None
            followed = self._pending.pop(call_id, None) is not None
            if ended < since and not followed:
                return None
            return self._call(raw, call_id, started, ended, duration)
        except (ValueError, TypeError, OverflowError) as exc:
            return Quarantined(str(exc), raw, call_id)

    def _call(self, raw: dict, call_id: str, started: datetime, ended: datetime,
              duration: int) -> ProviderCall:
        direction = raw.get("direction")
        if direction not in ("inbound", "outbound"):
            raise ValueError(f"direction is not inbound or outbound: {direction!r}")
        customer, line = _phone(raw, "customer_phone_number"), _phone(raw, "tracking_phone_number")
        answered, voicemail = _flag(raw, "answered"), _flag(raw, "voicemail")
        call_type = _optional_text(raw, "call_type")
        if call_type and len(call_type) > 40:
            raise ValueError("call_type is not one of CallRail's words")
        inbound = direction == "inbound"
        if answered:
            outcome = Outcome.ANSWERED
        elif voicemail and inbound:
            outcome = Outcome.VOICEMAIL
        elif call_type == "abandoned" and inbound:
            outcome = Outcome.ABANDONED   # the caller hung up before the call flow finished
        else:
            outcome = Outcome.MISSED
        # raw_status: CallRail's own word (call_type) when asked for; otherwise its two flags.
        raw_status = call_type or (f"answered={str(answered).lower()} "
                                   f"voicemail={str(voicemail).lower()}")
        self._remember_line(customer, started, line)
        return ProviderCall(
            provider_call_id=call_id,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            from_number=customer if inbound else line, to_number=line if inbound else customer,
            started_at=started, ended_at=ended, duration_s=duration, outcome=outcome,
            raw_status=raw_status,
            caller_name=_optional_text(raw, "customer_name") if inbound else None,
            # `transcription` of an answered call is the conversation: only a voicemail is a
            # message left for the shop.
            transcript=_optional_text(raw, "transcription") if voicemail else None,
            source=(_optional_text(raw, "source") or _optional_text(raw, "source_name"))
            if inbound else None)

    def _follow(self, call_id: str, started: datetime) -> None:
        if call_id in self._pending or (len(self._pending) < PENDING_LIMIT
                                        and _SAFE_ID.match(call_id)):
            self._pending[call_id] = started

    # --- inbound texts --------------------------------------------------------------------
    def _text_listing(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        account = self._account_id()
        # The whole local day the window starts on (see the module docstring): the date of
        # the earliest wall time any company zone gives `since`.
        params = {"start_date": self._start_param(account, since)[:10],
                  "end_date": (until + timedelta(days=1)).date().isoformat(),
                  "per_page": self.page_size}
        for page in range(1, MAX_PAGES + 1):
            body = self._get(f"/a/{account}/text-messages.json", {**params, "page": page})
            records = body.get("conversations")
            if not isinstance(records, list):
                raise ProviderError("CallRail sent a text list we cannot read (no "
                                    "'conversations')", ProblemKind.BAD_RESPONSE)
            texts = [t for conv in records for t in _texts_of(conv, since, until)]
            if texts:
                texts.sort(key=lambda t: (0, t.received_at, t.provider_message_id)
                           if isinstance(t, InboundMessage) else (1,))
                yield texts
            total = body.get("total_pages")
            if not records or not isinstance(total, int) or page >= total:
                break

    # --- dates in the account's time zone --------------------------------------------------
    def _start_param(self, account: str, moment: datetime) -> str:
        """A local wall time that no company zone reads as later than `moment`."""
        zones = self._account_zones(account)
        if not zones:   # unknown: assume any zone on Earth (UTC-12 reads latest)
            return (moment - timedelta(hours=12)).replace(tzinfo=None).strftime(_WALL)
        return min(_wall(moment, zone) for zone in zones).strftime(_WALL)

    def _account_zones(self, account: str) -> list[ZoneInfo]:
        if account not in self._zones:
            try:
                body = self._get(f"/a/{account}/companies.json", {"per_page": MAX_PER_PAGE})
                companies = body.get("companies")
            except ProviderError as exc:
                if exc.kind != ProblemKind.PERMISSION:
                    raise
                companies = None   # a key that may not list companies: widen instead
            names = {c.get("time_zone") for c in companies or [] if isinstance(c, dict)}
            self._zones[account] = [z for z in map(_zone, names) if z is not None]
        return self._zones[account]

    # --- texting ----------------------------------------------------------------------------
    def _remember_line(self, customer: str, started: datetime, line: str) -> None:
        known = self._lines.get(customer)
        if known is None or started >= known[0]:
            self._lines[customer] = (started, line)

    def _line_for(self, account: str, customer: str) -> tuple[str, str]:
        """(tracking number, company id) to text from: the number the customer last called,
        when it can text (they know it, and the reply lands in the same CallRail thread);
        else the first active tracker with SMS turned on. One trackers.json read a text."""
        called = self._lines.get(customer, (None, None))[1]
        body = self._get(f"/a/{account}/trackers.json", {"per_page": MAX_PER_PAGE})
        fallback = None
        for tracker in body.get("trackers") or []:
            if not isinstance(tracker, dict) or tracker.get("sms_enabled") is not True \
                    or tracker.get("status", "active") != "active":
                continue
            numbers = [n for n in tracker.get("tracking_numbers") or [] if isinstance(n, str)]
            company = tracker.get("company")
            owner = company.get("id") if isinstance(company, dict) else None
            if not numbers or not isinstance(owner, str):
                continue
            if called in numbers:
                return called, owner
            fallback = fallback or (numbers[0], owner)
        if fallback is None:
            raise ProviderError("CallRail has no active tracking number that can text: turn "
                                "on SMS for a tracker in CallRail", ProblemKind.NOT_CONFIGURED)
        return fallback

    # --- plumbing ---------------------------------------------------------------------------
    def _account_id(self) -> str:
        return require(self._account(), "CallRail account id is missing: run `frontdesk "
                                        "config set phone.callrail.account_id ACC…`")

    def _client(self) -> HttpClient:
        key = require(self._key(), "CallRail API key is missing: run "
                                   "`frontdesk secret set phone.callrail.api_key`")
        self._last_key = key
        self._http.session.headers["Authorization"] = f'Token token="{key}"'
        account = self._account_id().replace("{", "{{").replace("}", "}}")
        self._http.wording.not_found = (f"CallRail does not know account {account}: check the "
                                        "account id in Settings → Phone")
        return self._http

    def _get(self, path: str, params: dict | None = None) -> dict:
        return self._client().get_json(path, params=params)


def from_settings(settings, secret, clock) -> CallRailLine:
    return CallRailLine(account_id=lambda: settings["phone.callrail.account_id"],
                        api_key=lambda: secret("phone.callrail.api_key"),
                        base_url=settings["phone.base_url"] or DEFAULT_BASE_URL, clock=clock)


def _wording() -> Wording:
    return Wording(
        label="CallRail",
        auth="CallRail rejected the API key: check Settings → Phone "
             "(`frontdesk secret set phone.callrail.api_key`)",
        permission="CallRail refused access: the API key's user cannot see this account "
                   "({detail}); check Settings → Phone",
        rate_limited="CallRail is rate-limiting us (1,000 requests an hour); the next poll "
                     "waits {wait}")


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    # Around a DST change one wall time names two instants (or none): step back an hour
    # so that no reading of it falls after `moment`.
    if any(local.replace(tzinfo=zone, fold=fold) > moment for fold in (0, 1)):
        local -= timedelta(hours=1)
    return local


def _zone(name) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError, OSError):   # "America" is a folder, not a zone
        return None


def _moment(value, key: str = "start_time") -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a time: {value!r}"[:200])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key} is not a time: {value!r}"[:200]) from None
    if moment.tzinfo is None:
        raise ValueError(f"{key} has no offset: {value!r}"[:200])
    return moment.astimezone(timezone.utc)


def _texts_of(conv, since: datetime, until: datetime) -> MessagePage:
    """The inbound texts of one conversation received in [since, until); a message (or the
    conversation) we cannot read is Quarantined with the conversation around it."""
    if not isinstance(conv, dict):
        return [Quarantined("the text conversation is not a JSON object", conv)]
    conv_id = conv.get("id")
    if not isinstance(conv_id, str) or not _SAFE_ID.match(conv_id):   # it names each text
        return [Quarantined("the text conversation has no usable id", conv)]
    messages = conv.get("recent_messages")
    if not isinstance(messages, list):
        return [Quarantined("recent_messages is not a list", conv, conv_id)]
    texts: MessagePage = []
    for message in messages:
        try:
            text = _inbound(conv, conv_id, message, since, until)
        except (ValueError, TypeError, OverflowError) as exc:
            # Keep the thread's own fields beside the one message that failed.
            texts.append(Quarantined(str(exc), {**conv, "recent_messages": [message]}, conv_id))
            continue
        if text is not None:
            texts.append(text)
    return texts


def _inbound(conv: dict, conv_id: str, message, since: datetime,
             until: datetime) -> InboundMessage | None:
    if not isinstance(message, dict):
        raise ValueError("a text message is not a JSON object")
    direction = message.get("direction")
    if direction in ("outgoing", "outbound"):
        return None
    if direction not in ("incoming", "inbound"):   # the docs say "incoming"
        raise ValueError(f"text direction is not incoming or outgoing: {direction!r}"[:200])
    received = _moment(message.get("created_at"), "created_at")
    if not since <= received < until:
        return None
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError(f"content is not text: {content!r}"[:200])
    line_key = next((k for k in ("current_tracking_number", "initial_tracking_number",
                                 "tracking_phone_number") if conv.get(k)),
                    "current_tracking_number")
    # CallRail gives a listed message no id: conversation id + instant (UTC, milliseconds)
    # + direction name it stably across polls. Two inbound texts of one thread in the same
    # millisecond would share it; CallRail's own timestamps make that practically moot.
    stamp = received.isoformat(timespec="milliseconds")
    return InboundMessage(provider_message_id=f"{conv_id}/{stamp}/incoming",
                          from_number=_phone(conv, "customer_phone_number"),
                          to_number=_phone(conv, line_key), body=content or "",
                          received_at=received)


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key)
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not true or false: {value!r}"[:200])
    return value


def _phone(raw: dict, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} is missing")
    try:
        return to_e164(value)
    except InvalidPhone as exc:   # e.g. a blocked caller ID: no number to call back
        raise ValueError(f"{key}: {exc}"[:300]) from None


def _optional_text(raw: dict, key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} is not text: {value!r}"[:200])
    return value.strip() or None if value else None
