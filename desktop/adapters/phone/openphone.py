"""OpenPhone (now "Quo") phone line, polled through its public v1 REST API.

What the API makes us do, and why the code looks the way it does:

* Auth is the raw API key in `Authorization` (no "Bearer"); 10 requests a second per key.
* `GET /v1/calls` only lists the calls between ONE of our numbers (`phoneNumberId`) and
  exactly ONE outside number (`participants`, at most one item). There is no "every call
  since T". So a poll asks `GET /v1/conversations?updatedAfter=<since>` which threads were
  touched, then lists the calls of each (line, customer) pair. A quiet poll therefore costs
  one request, whatever the history. (We rely on a call's end being activity on its thread;
  a pair whose call we saw unfinished is asked again next poll regardless.)
* `/v1/calls` filters on `createdAt`, our window is by end time (`completedAt`): we ask
  from `since - CALL_LOOKBACK` and cut the window here. Unfinished calls are skipped.
* `status` "completed" does not mean answered: `answeredAt` is null when nobody picked up.
  Voicemail is not on the call record; `GET /v1/call-voicemails/{callId}` answers 404 when
  there is none, and null fields while it is still being transcribed.
* Forwarding to another of the workspace's numbers is logged twice: a hand-off record on
  the dialed line (status "forwarded", `forwardedTo` = the other line) and a continuation on
  the target line (`forwardedFrom` = the dialed line). They are one customer call: kept
  under the hand-off id, dialed line as `to_number`, outcome decided by the continuation.
* Lists are `{data, totalItems, nextPageToken}`; `totalItems` is documented as wrong, so we
  follow `nextPageToken` until it is null. `maxResults` is required (1..100).
* Texts: `GET /v1/messages` has the same shape of limits as calls (a `phoneNumberId` and the
  thread's `participants`), so inbound texts are polled through the same conversations walk.
  Its `userId` is a filter on who SENT the message, not an access scope: it is not sent
  (it would hide every incoming text).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from desktop.adapters.http import HttpClient, RateLimiter, Wording
from desktop.adapters.phone.base import (
    ConnectionCheck, InboundMessage, MessagePage, PhoneProvider, ProblemKind, ProviderError,
    SentMessage, require,
)
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.clock import as_utc, utcnow
from desktop.domain.phone import InvalidPhone, display, to_e164
from desktop.domain.quarantine import Quarantined

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openphone.com"  # api.quo.com serves the same v1 API
MAX_PAGES = 2_000  # per listing: a link that never ends must not hang the poll
SECRET_KEY = "phone.openphone.api_key"
MAX_PAGE = 100                              # maxResults is 1..100 on every list
CALL_LOOKBACK = timedelta(hours=6)          # a call ending in the window began at most this early
UPDATE_SLACK = timedelta(seconds=1)         # `updatedAfter` is strict; don't lose an equal instant
LEG_GAP = timedelta(seconds=90)             # hand-off and continuation begin this close together
UNFINISHED = frozenset({"queued", "initiated", "ringing", "in-progress"})
STATUSES = UNFINISHED | {"completed", "busy", "failed", "no-answer", "canceled", "missed",
                         "answered", "forwarded", "abandoned"}  # the documented set
HUNG_UP = frozenset({"abandoned", "canceled"})
REQUIRED = ("id", "direction", "status", "createdAt", "answeredAt", "completedAt",
            "phoneNumberId", "participants")

WORDING = Wording(
    label="OpenPhone",
    auth="OpenPhone rejected the API key: check Settings → Phone "
         "(`frontdesk secret set phone.openphone.api_key`)",
    permission="OpenPhone refused access ({detail}): the key's workspace may not include "
               "this number",
    not_found="OpenPhone answered 'not found' ({detail}): check phone.base_url in Settings",
    rate_limited="OpenPhone is rate-limiting us (10 requests a second per key); the next "
                 "poll waits {wait}",
)


@dataclass
class _Poll:
    """What one list_calls pass has already fetched and yielded."""
    since: datetime
    until: datetime
    calls: dict[tuple[str, str], list] = field(default_factory=dict)
    emitted: set[str] = field(default_factory=set)
    refreshed: bool = False  # the number list was re-read once for an unknown line


class OpenPhoneLine(PhoneProvider):
    name = "openphone"
    label = "OpenPhone"

    def __init__(self, *, api_key: Callable[[], str | None] | str | None,
                 base_url: str = DEFAULT_BASE_URL, clock: Callable[[], datetime] = utcnow,
                 sleep: Callable[[float], None] = time.sleep, page_size: int = MAX_PAGE,
                 limiter: RateLimiter | None = None, session=None):
        self._api_key = api_key if callable(api_key) else (lambda: api_key)
        self._key = ""
        self._clock = clock
        self.page_size = max(1, min(MAX_PAGE, page_size))
        self.http = HttpClient(base_url or DEFAULT_BASE_URL, WORDING, sleep=sleep,
                               limiter=limiter or RateLimiter(10, 1, sleep=sleep),
                               session=session, secrets=self._secrets)
        self._lines: dict[str, dict] | None = None      # phoneNumberId -> /v1/phone-numbers item
        self._voicemails: dict[str, dict | None] = {}   # finished lookups only
        self._pending: dict[tuple[str, str], str | None] = {}  # pairs with unfinished calls

    # -- the port ----------------------------------------------------------------------------
    def list_calls(self, since: datetime, until: datetime) -> Iterator[list]:
        return self._pages(_Poll(as_utc(since), as_utc(until)))

    def list_messages(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        """Inbound texts: `GET /v1/conversations?updatedAfter=` for the threads touched, then
        `GET /v1/messages` per (line, customer) pair, which needs both; outgoing skipped."""
        return self._message_pages(as_utc(since), as_utc(until))

    def fetch_transcript(self, provider_call_id: str) -> str | None:
        voicemail = self._voicemail(provider_call_id)
        text = voicemail.get("transcript") if voicemail else None
        return text.strip() or None if isinstance(text, str) else None

    def send_sms(self, to_number: str, body: str) -> SentMessage:
        to = to_e164(to_number)
        if not body or not body.strip() or len(body) > 1600:
            raise ValueError("an OpenPhone text is 1 to 1600 characters")
        # From the workspace's first number (by id); "to" is a list of exactly one number.
        sender = next(iter(self._load_lines()), None)
        if sender is None:
            raise ProviderError("OpenPhone lists no number to text from",
                                ProblemKind.NOT_CONFIGURED)
        answer = self.http.post_json("/v1/messages", json={"content": body, "from": sender,
                                                           "to": [to]}, headers=self._auth())
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        if not isinstance(data.get("id"), str):
            raise ProviderError("OpenPhone accepted the text but sent no message id",
                                ProblemKind.BAD_RESPONSE)
        try:
            sent_at = _when(data, "createdAt")
        except ValueError:
            sent_at = as_utc(self._clock())
        return SentMessage(data["id"], to, body, sent_at)

    def test_connection(self) -> ConnectionCheck:
        try:
            lines = self._load_lines(refresh=True)
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        if not lines:
            return ConnectionCheck(False, "OpenPhone accepted the key, but the workspace has "
                                          "no phone numbers to poll")
        names = ", ".join(f"{line.get('name') or 'line'} ({display(line.get('number'))})"
                          for line in lines.values())
        return ConnectionCheck(True, f"Connected to OpenPhone: {len(lines)} number(s): {names}")

    # -- polling -----------------------------------------------------------------------------
    def _pages(self, poll: _Poll) -> Iterator[list]:
        pending, self._pending = self._pending, {}
        params = {"updatedAfter": _iso(poll.since - UPDATE_SLACK), "maxResults": self.page_size}
        try:
            for conversations in self._walk("/v1/conversations", params):
                page: list = []
                pairs: dict[tuple[str, str], str | None] = {}
                for conv in conversations:
                    try:
                        pairs.update(_pairs_of(conv))
                    except ValueError as exc:
                        page.append(Quarantined(f"OpenPhone conversation: {exc}", conv,
                                                _id_of(conv)))
                page += self._page_for(poll, pairs)
                if page:
                    yield page
            leftover = {pair: name for pair, name in pending.items() if pair not in poll.calls}
            page = self._page_for(poll, leftover)
            if page:
                yield page
        except BaseException:
            self._pending.update(pending)  # a failed poll forgets nothing it was to ask again
            raise

    def _message_pages(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        params = {"updatedAfter": _iso(since - UPDATE_SLACK), "maxResults": self.page_size}
        asked: set[tuple[str, str]] = set()
        for conversations in self._walk("/v1/conversations", params):
            page: MessagePage = []
            for conv in conversations:
                try:
                    pairs = _pairs_of(conv)
                except ValueError as exc:
                    page.append(Quarantined(f"OpenPhone conversation: {exc}", conv,
                                            _id_of(conv)))
                    continue
                for pair in pairs.keys() - asked:
                    asked.add(pair)
                    page += self._messages(pair, since, until)
            page.sort(key=lambda m: (0, m.received_at, m.provider_message_id)
                      if isinstance(m, InboundMessage) else (1,))
            if page:
                yield page

    def _messages(self, pair: tuple[str, str], since: datetime,
                  until: datetime) -> MessagePage:
        line_id, customer = pair
        params = {"phoneNumberId": line_id, "participants": [customer],
                  "createdAfter": _iso(since - UPDATE_SLACK),   # strict: keep an equal instant
                  "createdBefore": _iso(until, ceil=True), "maxResults": self.page_size}
        line = (self._load_lines().get(line_id) or {}).get("number")
        found: MessagePage = []
        for records in self._walk("/v1/messages", params):
            for record in records:
                try:
                    text = _inbound_text(record, line, since, until)
                except (ValueError, TypeError, InvalidPhone) as exc:
                    found.append(Quarantined(f"OpenPhone message: {exc}", record,
                                             _id_of(record)))
                    continue
                if text is not None:
                    found.append(text)
        return found

    def _page_for(self, poll: _Poll, pairs: dict[tuple[str, str], str | None]) -> list:
        calls, bad = [], []
        for pair, name in pairs.items():
            for record in self._calls(poll, *pair):
                item = self._item(poll, record, name, pair)
                if isinstance(item, Quarantined):
                    bad.append(item)
                elif item is not None:
                    calls.append(item)
        calls.sort(key=lambda c: (c.ended_at, c.provider_call_id))
        return calls + bad

    def _item(self, poll: _Poll, record, name: str | None,
              pair: tuple[str, str]) -> ProviderCall | Quarantined | None:
        """The customer call a record stands for; None when unfinished, outside the window
        or already yielded as the other leg of a forwarded call."""
        try:
            rec = _checked(record)
            if rec["id"] in poll.emitted:
                return None
            handoff, leg = self._legs(poll, rec, pair[1])
            started = _when(handoff, "createdAt")
            if any(r["status"] in UNFINISHED or r["completedAt"] is None for r in (handoff, leg)):
                if started > poll.until - CALL_LOOKBACK:  # not a record stuck "ringing"
                    self._pending[pair] = name  # ask again next poll, even if the thread is quiet
                return None
            line = self._line(poll, handoff["phoneNumberId"])
            customer = _customer(handoff, line)
            ended = max(_when(handoff, "completedAt"), _when(leg, "completedAt"))
        except (ValueError, TypeError, InvalidPhone) as exc:
            return Quarantined(f"OpenPhone call record: {exc}", record, _id_of(record))
        poll.emitted.update({handoff["id"], leg["id"]})
        if not poll.since <= ended < poll.until:
            return None
        duration = handoff.get("duration")
        if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
            duration = max(0, int((ended - started).total_seconds()))
        common = dict(provider_call_id=handoff["id"], started_at=started, ended_at=ended,
                      duration_s=min(duration, 10**7), raw_status=handoff["status"]
                      if leg is handoff else f"forwarded/{leg['status']}")
        if handoff["direction"] == "outgoing":
            outcome = Outcome.ANSWERED if leg["answeredAt"] else Outcome.MISSED
            return ProviderCall(direction=Direction.OUTBOUND, from_number=line["number"],
                                to_number=customer, outcome=outcome, **common)
        outcome, transcript = self._inbound_outcome(leg)
        return ProviderCall(direction=Direction.INBOUND, from_number=customer,
                            to_number=line["number"], outcome=outcome, transcript=transcript,
                            caller_name=name, **common)

    def _inbound_outcome(self, leg: dict) -> tuple[Outcome, str | None]:
        if leg["answeredAt"]:
            # Quo's AI agent ("Sona") can pick up: answered, but no person talked to them.
            if leg.get("aiHandled"):
                return Outcome.MISSED, None
            return Outcome.ANSWERED, None
        status = leg["status"]
        if status in HUNG_UP:
            return Outcome.ABANDONED, None
        if status in ("busy", "failed"):
            return Outcome(status), None
        voicemail = self._voicemail(leg["id"])
        if voicemail is None:
            return Outcome.MISSED, None
        text = voicemail.get("transcript")
        return Outcome.VOICEMAIL, text.strip() or None if isinstance(text, str) else None

    def _legs(self, poll: _Poll, rec: dict, customer: str) -> tuple[dict, dict]:
        """(hand-off record, the record that decides the outcome): the same one unless the
        call was forwarded between two of the workspace's numbers."""
        lines, own = self._load_lines(), rec["phoneNumberId"]
        refs = {own, (lines.get(own) or {}).get("number", own)}  # how a forward names us
        target = _line_of(lines, rec.get("forwardedTo"))
        if rec["status"] == "forwarded" and target not in (None, own):
            cont = self._partner(poll, target, customer, rec, True,
                                 lambda r: r.get("forwardedFrom") in refs)
            return rec, cont or rec
        source = _line_of(lines, rec.get("forwardedFrom"))
        if rec["direction"] == "incoming" and source not in (None, own):
            handoff = self._partner(poll, source, customer, rec, False, lambda r: r["status"]
                                    == "forwarded" and r.get("forwardedTo") in refs)
            if handoff is not None:
                return handoff, rec
        return rec, rec

    def _partner(self, poll: _Poll, line_id: str, customer: str, rec: dict, after: bool,
                 match) -> dict | None:
        """The other leg of a forwarded call: on `line_id`, same customer, begun close by."""
        created = _when(rec, "createdAt")
        best = None
        for other in self._calls(poll, line_id, customer):
            try:
                other = _checked(other)
                gap = (_when(other, "createdAt") - created) * (1 if after else -1)
            except (ValueError, TypeError):
                continue
            if other["direction"] == "incoming" and match(other) and -LEG_GAP < gap < LEG_GAP:
                if best is None or abs(gap) < best[0]:
                    best = (abs(gap), other)
        return best and best[1]

    # -- requests ----------------------------------------------------------------------------
    def _calls(self, poll: _Poll, line_id: str, participant: str) -> list:
        key = (line_id, participant)
        if key not in poll.calls:
            params = {"phoneNumberId": line_id, "participants": [participant],
                      "createdAfter": _iso(poll.since - CALL_LOOKBACK),
                      "createdBefore": _iso(poll.until, ceil=True),
                      "maxResults": self.page_size}
            # userId defaults to the workspace owner, who gets 403 on a line they are not a
            # member of: ask as one of the line's own users.
            users = (self._load_lines().get(line_id) or {}).get("users") or [{}]
            if isinstance(users, list) and isinstance(users[0], dict) \
                    and isinstance(users[0].get("id"), str):
                params["userId"] = users[0]["id"]
            poll.calls[key] = [r for page in self._walk("/v1/calls", params) for r in page]
        return poll.calls[key]

    def _walk(self, path: str, params: dict) -> Iterator[list]:
        """Each `data` list of a paginated listing, following nextPageToken to the end."""
        token, seen = None, set()
        for _ in range(MAX_PAGES):
            paging = {"pageToken": token} if token else {}
            body = self.http.get_json(path, params={**params, **paging}, headers=self._auth())
            data = body.get("data")
            if not isinstance(data, list):
                raise ProviderError(f"OpenPhone sent a {path} answer without a data list",
                                    ProblemKind.BAD_RESPONSE)
            yield data
            token = body.get("nextPageToken")
            if not isinstance(token, str) or not token or not data:
                return
            if token in seen:  # a server that repeats itself must not keep us forever
                raise ProviderError(f"OpenPhone repeated a page of {path}; the poll stopped "
                                    "there and will try again", ProblemKind.BAD_RESPONSE)
            seen.add(token)
        raise ProviderError(f"OpenPhone kept sending pages of {path} (over {MAX_PAGES}); the "
                            "poll stopped there", ProblemKind.BAD_RESPONSE)

    def _voicemail(self, call_id: str) -> dict | None:
        if call_id in self._voicemails:
            return self._voicemails[call_id]
        try:
            body = self.http.get_json(f"/v1/call-voicemails/{quote(call_id, safe='')}",
                                      headers=self._auth())
        except ProviderError as exc:
            if exc.kind in (ProblemKind.NOT_CONFIGURED, ProblemKind.PERMISSION):
                self._voicemails[call_id] = None  # 404: no voicemail; 403: not on this plan
                return None
            raise
        data = body.get("data")
        if not isinstance(data, dict):
            return None
        if data.get("status") == "completed":  # still transcribing: ask again later
            self._voicemails[call_id] = data
        return data

    def _load_lines(self, refresh: bool = False) -> dict[str, dict]:
        if self._lines is None or refresh:
            body = self.http.get_json("/v1/phone-numbers", headers=self._auth())
            items = body.get("data") if isinstance(body.get("data"), list) else []
            self._lines = {}
            for item in items:
                try:
                    self._lines[item["id"]] = {**item, "number": to_e164(item["number"])}
                except (KeyError, TypeError, ValueError):
                    log.warning("skipped an OpenPhone number we cannot read")
        return self._lines

    def _line(self, poll: _Poll, line_id: str) -> dict:
        line = self._load_lines().get(line_id)
        if line is None and not poll.refreshed:  # a number added since we last looked
            poll.refreshed = True
            line = self._load_lines(refresh=True).get(line_id)
        if line is None:
            raise ValueError(f"the call is on a number the workspace does not list ({line_id})")
        return line

    def _auth(self) -> dict[str, str]:
        # Read on every request, so a key fixed in Settings works without a restart.
        self._key = require(self._api_key(), "OpenPhone API key is missing: run "
                                             "`frontdesk secret set phone.openphone.api_key`")
        return {"Authorization": self._key}  # the raw key: OpenPhone refuses "Bearer <key>"

    def _secrets(self) -> list[str]:
        return [self._key]  # what the client redacts: the key last sent


def from_settings(settings, secret, clock) -> OpenPhoneLine:
    return OpenPhoneLine(api_key=lambda: secret(SECRET_KEY),
                         base_url=settings["phone.base_url"] or DEFAULT_BASE_URL, clock=clock)


# -- reading records -----------------------------------------------------------------------
def _checked(record) -> dict:
    if not isinstance(record, dict):
        raise ValueError("the record is not a JSON object")
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if not isinstance(record["id"], str) or not record["id"].startswith("AC"):
        raise ValueError(f"id is not an OpenPhone call id: {str(record['id'])[:40]!r}")
    if record["direction"] not in ("incoming", "outgoing"):
        raise ValueError(f"unknown direction {str(record['direction'])[:40]!r}")
    if record["status"] not in STATUSES:
        raise ValueError(f"unknown status {str(record['status'])[:40]!r}")
    if not isinstance(record["phoneNumberId"], str):
        raise ValueError("phoneNumberId is not text")
    parts = record["participants"]
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        raise ValueError("participants is not a list of numbers")
    for key in ("answeredAt", "completedAt"):
        _when(record, key, optional=True)
    return record


def _inbound_text(record, line: str | None, since: datetime,
                  until: datetime) -> InboundMessage | None:
    """An incoming text created in [since, until); None for outgoing or outside the window."""
    if not isinstance(record, dict):
        raise ValueError("the record is not a JSON object")
    if not isinstance(record.get("id"), str) or not 0 < len(record["id"]) <= 128:
        raise ValueError("the message has no usable id")
    direction = record.get("direction")
    if direction == "outgoing":
        return None
    if direction != "incoming":
        raise ValueError(f"unknown direction {str(direction)[:40]!r}")
    received = _when(record, "createdAt")
    if not since <= received < until:
        return None
    sender, to = record.get("from"), record.get("to")
    if not isinstance(sender, str) or not sender:
        raise ValueError("from is missing")
    if not isinstance(to, list) or not to or not all(isinstance(n, str) for n in to):
        raise ValueError("to is not a list of numbers")
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        raise ValueError("text is not text")
    # A group text lists every recipient: the shop's number is the line we asked about.
    shop = line if line in to else to[0]
    return InboundMessage(provider_message_id=record["id"], from_number=to_e164(sender),
                          to_number=to_e164(shop), body=text or "", received_at=received)


def _customer(record: dict, line: dict) -> str:
    """The outside number: participants may list our own line beside the customer."""
    others = [p for p in record["participants"] if p != line["number"]]
    if not others:
        raise ValueError("the call has no outside participant")
    return to_e164(others[0])


def _pairs_of(conv) -> dict[tuple[str, str], str | None]:
    if not isinstance(conv, dict):
        raise ValueError("the conversation is not a JSON object")
    line, parts = conv.get("phoneNumberId"), conv.get("participants")
    if not isinstance(line, str) or not isinstance(parts, list):
        raise ValueError("no phoneNumberId or participants")
    name = conv.get("name") if isinstance(conv.get("name"), str) else None
    # Group text threads list several numbers; calls are one-to-one, so ask per number.
    return {(line, p): name or None for p in parts if isinstance(p, str) and p}


def _line_of(lines: dict[str, dict], ref) -> str | None:
    """The id of our line that a forward names, by id or by number; None when not ours."""
    if not isinstance(ref, str):
        return None
    return ref if ref in lines else next(
        (lid for lid, line in lines.items() if line.get("number") == ref), None)


def _id_of(record) -> str | None:
    value = record.get("id") if isinstance(record, dict) else None
    return value[:128] if isinstance(value, str) else None


def _when(record: dict, key: str, optional: bool = False) -> datetime | None:
    value = record.get(key)
    if value is None:
        if optional:
            return None
        raise ValueError(f"{key} is missing")
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a time: {str(value)[:40]!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key} is not an ISO 8601 time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{key} has no time zone: {value[:40]!r}")
    return moment.astimezone(timezone.utc)


def _iso(moment: datetime, ceil: bool = False) -> str:
    """ISO 8601 in UTC with milliseconds, as OpenPhone writes its own times."""
    moment = as_utc(moment)
    cut = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if ceil and cut != moment:
        cut += timedelta(milliseconds=1)
    return cut.strftime("%Y-%m-%dT%H:%M:%S.") + f"{cut.microsecond // 1000:03d}Z"
