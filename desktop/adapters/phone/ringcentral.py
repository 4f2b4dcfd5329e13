"""RingCentral line: the account call log, read with a JWT-granted OAuth token.

Vendor quirks handled here (see DESIGN.md, "Connectors"):
* Auth is OAuth2 with the JWT bearer grant: `POST /restapi/oauth/token` with HTTP Basic
  client_id:client_secret. The access token (~1 h) lives in memory only; it is refreshed with
  the refresh token shortly before expiry, falling back to a fresh JWT grant, and a 401 on an
  API call drops it and signs in once more (the token may have been revoked early).
* `GET /account/~/call-log` without `dateFrom` silently means "the last 24 hours": we always
  send dateFrom and dateTo. The filter is on *start* time while our contract is on *end*
  time, so the window is widened by the longest call we expect and cut by end time here.
* `view=Detailed` adds `legs`; records of one customer call share `sessionId` (a forwarded
  call can be several records): they are merged into one call, answered if any leg was.
* Call-log reads are the "Heavy" rate group (10 requests/min per user): the heavy limiter
  keeps us under it; 429 (CMN-301) with Retry-After goes through HttpClient.
* Voicemail transcripts live in the message store, not the call log: the message's
  `AudioTranscription` attachment, only once `vmTranscriptionStatus` is Completed. Finished
  ones are cached per message; a voicemail listed while still being transcribed is yielded
  at once and yielded again, with its transcript, by a later poll (sync restates it).
Outcome choices: answered if any record or leg says Accepted/Call connected; else voicemail
if a VoiceMail message or a Voicemail result exists; else the customer leg's result word
(Missed/No Answer/Rejected/Declined -> missed, Busy -> busy, Hang Up/Abandoned -> abandoned,
errors -> failed, an unknown word -> missed). In-progress calls wait for a later poll;
calls the shop's block list refused ("Blocked") and extension-to-extension calls are skipped.
Texts customers send come from the message store (`list_messages`), with the same silent
24-hour default when dateFrom is left out.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

import requests

from desktop.adapters.http import HttpClient, RateLimiter, Wording
from desktop.adapters.phone.base import (ConnectionCheck, InboundMessage, MessagePage,
                                         PhoneProvider, ProblemKind, ProviderError,
                                         SentMessage, require)
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.clock import Clock, as_utc, utcnow
from desktop.domain.phone import InvalidPhone, display, to_e164
from desktop.domain.quarantine import Quarantined

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://platform.ringcentral.com"
TOKEN_PATH = "/restapi/oauth/token"
ACCOUNT_PATH = "/restapi/v1.0/account/~"
CALL_LOG_PATH = "/restapi/v1.0/account/~/call-log"
MAX_PAGES = 2_000  # per listing: a link that never ends must not hang the poll
NUMBERS_PATH = "/restapi/v1.0/account/~/extension/~/phone-number"
SMS_PATH = "/restapi/v1.0/account/~/extension/~/sms"
MESSAGES_PATH = "/restapi/v1.0/account/~/extension/~/message-store"
MESSAGE_PATH = MESSAGES_PATH + "/{id}"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_REJECTED = "RingCentral rejected the JWT credential: check Settings → Phone"

PAGE_SIZE = 1000                     # perPage: the API's default is 100; 1000 is the usual cap
LONGEST_CALL = timedelta(hours=4)    # dateFrom filters start time; calls end within this
TOKEN_MARGIN = timedelta(minutes=2)  # refresh this long before the token would expire
TRANSCRIPT_PATIENCE = timedelta(minutes=30)  # then stop asking about an unfinished transcript
MAX_TEXT = 5_000  # characters of a text kept: hostile data may be huge
OTHER_MESSAGES = ("Fax", "VoiceMail", "Pager")  # message-store types that are not texts
# Documented per-user limits: Heavy 10/min (call log), Light 50 and Medium 40/min (account,
# numbers, message store, SMS: we hold those to the lower one), Auth 5/min (token endpoint).
HEAVY, STANDARD, AUTH = (10, 60.0), (40, 60.0), (5, 60.0)

# `result` words, lower-cased (older records spell some differently: "Hang up", "Call accepted").
ANSWERED = {"accepted", "call connected", "call accepted"}
UNFINISHED = {"in progress", "inprogress", "resultinprogress"}
# "Reply" is an answer by canned text, not a conversation. Any other word (Unknown, a word
# added later) counts as missed: better one callback too many than a lost lead.
OUTCOMES = {
    "voicemail": Outcome.VOICEMAIL, "busy": Outcome.BUSY,
    **dict.fromkeys(("missed", "no answer", "rejected", "declined", "answered not accepted",
                     "reply"), Outcome.MISSED),
    **dict.fromkeys(("hang up", "abandoned", "stopped"), Outcome.ABANDONED),
    **dict.fromkeys(("call failed", "call failure", "internal error", "ip phone offline",
                     "no calling credit", "not allowed", "restricted number", "wrong number",
                     "poor line quality", "international disabled", "international restricted",
                     "suspended account"), Outcome.FAILED)}
SKIPPED = {"blocked"}  # the shop's own block list turned the caller away: not a lead

Credential = str | Callable[[], str | None] | None


@dataclass
class _Part:
    """One call-log record, read: what merging a session needs, nothing more."""

    session: str
    start: datetime
    end: datetime
    direction: Direction
    words: list[str]          # the record's result, then its legs' results
    customer: str             # E.164
    shop: str
    name: str | None
    message: tuple[str, str | None] | None  # voicemail (id, uri)


class RingCentralLine(PhoneProvider):
    name = "ringcentral"
    label = "RingCentral"

    def __init__(self, *, client_id: Credential, client_secret: Credential, jwt: Credential,
                 base_url: str = DEFAULT_BASE_URL, region: str = "US", clock: Clock = utcnow,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic, page_size: int = PAGE_SIZE,
                 heavy_limit: tuple[float, float] = HEAVY,
                 session: requests.Session | None = None):
        self._creds = {"client_id": client_id, "client_secret": client_secret, "jwt": jwt}
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.region, self.page_size, self._clock = region, page_size, clock
        self._seen_secrets: set[str] = set()  # every credential/token read: redacted from text
        session = session or requests.Session()

        def client(limit, wording):
            return HttpClient(self.base_url, wording, sleep=sleep, session=session,
                              limiter=RateLimiter(*limit, clock=monotonic, sleep=sleep),
                              secrets=lambda: list(self._seen_secrets))

        api_words = Wording(
            label="RingCentral",
            auth="RingCentral rejected our sign-in: check the client id, secret and JWT "
                 "in Settings → Phone",
            permission="RingCentral refused access (the app lacks a permission): {detail}",
            not_found="RingCentral does not know this account or address ({detail}): check "
                      "the JWT credential and the server address in Settings → Phone")
        self._heavy = client(heavy_limit, api_words)
        self._std = client(STANDARD, api_words)
        self._auth = client(AUTH, Wording(
            label="RingCentral", extra={400: JWT_REJECTED},
            auth="RingCentral rejected the app's client id or client secret: check "
                 "Settings → Phone"))
        self._access: str | None = None
        self._access_until = self._refresh_until = datetime.min.replace(tzinfo=timezone.utc)
        self._refresh: str | None = None
        self._voicemails: dict[str, tuple[str, str | None]] = {}  # session -> message
        self._transcripts: dict[str, str | None] = {}  # message id -> finished transcript
        self._pending: dict[str, tuple[ProviderCall, datetime]] = {}  # session -> call, give up
        self._sms_from: str | None = None

    # -- the port ----------------------------------------------------------------------------
    def list_calls(self, since: datetime, until: datetime) -> Iterator[list]:
        since, until = as_utc(since), as_utc(until)
        sessions: dict[str, list[_Part]] = {}
        bad: list[Quarantined] = []
        for record in self._records(since - LONGEST_CALL, until):
            part = self._read(record)
            if isinstance(part, Quarantined):
                bad.append(part)
            elif part is not None:
                sessions.setdefault(part.session, []).append(part)
        calls = [call for call in map(self._merge, sessions.values())
                 if call is not None and since <= call.ended_at < until]
        calls.sort(key=lambda c: (c.ended_at, c.provider_call_id))
        items: list = bad + calls
        for start in range(0, len(items), self.page_size):
            yield [self._with_transcript(item) for item in items[start:start + self.page_size]]
        late = self._late_transcripts()
        if late:
            yield late

    def fetch_transcript(self, provider_call_id: str) -> str | None:
        """Known for voicemails this line has listed (the call log names the message)."""
        message = self._voicemails.get(provider_call_id)
        return self._transcript(*message)[0] if message else None

    def list_messages(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        """Texts customers sent the user's extension: `GET /extension/~/message-store` with
        messageType=SMS and direction=Inbound. Without dateFrom the store silently answers
        only the last 24 hours, so both ends are always sent; the list is newest first, and
        the window is cut by `creationTime` here. Message-store reads are the "Light" rate
        group, not Heavy: they share the standard limiter; a 429 waits as for the call log."""
        since, until = as_utc(since), as_utc(until)
        params = {"messageType": "SMS", "direction": "Inbound", "dateFrom": _iso(since),
                  "dateTo": _iso(until), "perPage": self.page_size}
        found: dict[str, InboundMessage | Quarantined] = {}  # by id: pages may overlap
        for record in self._pages(self._std, MESSAGES_PATH, params, "message list"):
            item = self._read_text(record)
            if isinstance(item, Quarantined):
                found[item.external_id or repr(record)[:300]] = item
            elif item is not None and since <= item.received_at < until:
                found[item.provider_message_id] = item
        # Oldest first, so a STOP is read before a later START.
        items = sorted(found.values(), key=lambda m: (isinstance(m, InboundMessage),
                                                      getattr(m, "received_at", 0)))
        for start in range(0, len(items), self.page_size):
            yield items[start:start + self.page_size]

    def send_sms(self, to_number: str, body: str) -> SentMessage:
        to = to_e164(to_number, self.region)
        payload = {"from": {"phoneNumber": self._sms_number()}, "to": [{"phoneNumber": to}],
                   "text": body}
        # Not idempotent: a text that may have gone out must not be sent twice.
        reply = self._json(self._call(self._std, "POST", SMS_PATH, json=payload,
                                      idempotent=False))
        message_id = _ident(reply.get("id"))
        if not message_id:
            raise ProviderError("RingCentral accepted the text but sent no message id",
                                ProblemKind.BAD_RESPONSE)
        try:
            sent_at = _when(reply.get("creationTime"))
        except (TypeError, ValueError):
            sent_at = as_utc(self._clock())
        return SentMessage(message_id, to, body, sent_at)

    def test_connection(self) -> ConnectionCheck:
        self._access = self._refresh = None  # test the credentials as they are now
        try:
            account = self._json(self._call(self._std, "GET", ACCOUNT_PATH))
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        number = account.get("mainNumber")
        main = f", main number {display(number)}" if isinstance(number, str) else ""
        status = f", status {account['status']}" if isinstance(account.get("status"), str) else ""
        return ConnectionCheck(True, f"Connected to RingCentral account "
                                     f"{_ident(account.get('id')) or '~'}{main}{status}.")

    # -- the call log ------------------------------------------------------------------------
    def _records(self, date_from: datetime, date_to: datetime) -> Iterator[object]:
        # Both ends always sent: an omitted dateFrom would silently mean "the last 24 h".
        params = {"dateFrom": _iso(date_from), "dateTo": _iso(date_to), "view": "Detailed",
                  "type": "Voice", "perPage": self.page_size}
        return self._pages(self._heavy, CALL_LOG_PATH, params, "call log")

    def _pages(self, client: HttpClient, path: str, params: dict,
               what: str) -> Iterator[object]:
        """Every record of a listing (`records`, `paging`, `navigation`), page by page."""
        for page in range(1, MAX_PAGES + 1):
            body = self._json(self._call(client, "GET", path, params={**params, "page": page}))
            records = body.get("records")
            if not isinstance(records, list):
                raise ProviderError(f"RingCentral sent a {what} we cannot read (no records "
                                    "list)", ProblemKind.BAD_RESPONSE)
            yield from records
            navigation = body.get("navigation")
            # Page numbers, not navigation.nextPage.uri: a link is not sent our bearer token.
            if not records or not isinstance(navigation, dict) or not navigation.get("nextPage"):
                return
        # 2,000 pages of 1,000 is far beyond any shop; more means the server never says stop.
        raise ProviderError(f"RingCentral kept sending {what} pages (over {MAX_PAGES}); "
                            "the poll stopped there", ProblemKind.BAD_RESPONSE)

    def _read(self, record: object) -> _Part | Quarantined | None:
        """A record as a _Part; None for what is not a customer call (fax, internal)."""
        if not isinstance(record, dict):
            return Quarantined("the call-log record is not a JSON object", record)
        try:
            return self._part(record)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            reason = f"unreadable RingCentral call-log record: {exc}"[:300]
            return Quarantined(reason, record, _ident(record.get("id")))

    def _part(self, record: dict) -> _Part | None:
        kind = record.get("type")
        if isinstance(kind, str) and kind.lower() == "fax":
            return None
        session = (_ident(record.get("sessionId")) or _ident(record.get("telephonySessionId"))
                   or _ident(record.get("id")))
        if not session:
            raise ValueError("no sessionId or id")
        direction = {"inbound": Direction.INBOUND, "outbound": Direction.OUTBOUND}.get(
            str(record.get("direction")).lower())
        if direction is None:
            raise ValueError(f"direction {str(record.get('direction'))[:40]!r} is not "
                             f"Inbound or Outbound")
        start = _when(record.get("startTime"))
        legs = record.get("legs", [])
        if not isinstance(legs, list) or not all(isinstance(leg, dict) for leg in legs):
            raise ValueError("legs is not a list of objects")
        end = start + timedelta(seconds=_seconds(record.get("duration")))
        for leg in legs:
            if "startTime" in leg:
                end = max(end, _when(leg["startTime"]) + timedelta(
                    seconds=_seconds(leg.get("duration"))))
        words = [_word(record.get("result"))] + [_word(leg.get("result")) for leg in legs]
        outside, inside = ((record.get("from"), record.get("to"))
                           if direction == Direction.INBOUND else
                           (record.get("to"), record.get("from")))
        number = outside.get("phoneNumber") if isinstance(outside, dict) else None
        if not number and isinstance(outside, dict) and outside.get("extensionNumber"):
            return None  # extension to extension: a colleague, not a customer
        if not isinstance(number, str):
            raise ValueError("the customer's phoneNumber is missing")
        customer = _e164(number[:40], self.region)
        if customer is None:
            raise ValueError(f"customer number {number[:40]!r} is not a phone number")
        name = outside.get("name")
        message = next(filter(None, map(_voicemail, [record, *legs])), None)
        return _Part(session, start, end, direction, words, customer, self._shop(inside),
                     name.strip()[:120] or None if isinstance(name, str) else None, message)

    def _shop(self, party: object) -> str:
        # The shop's side may be an extension with no number of its own: keep what we can.
        number = party.get("phoneNumber") if isinstance(party, dict) else None
        return (_e164(number[:40], self.region) or "") if isinstance(number, str) else ""

    def _merge(self, parts: list[_Part]) -> ProviderCall | None:
        """One customer call from its records. The first (earliest) record is the customer's
        leg: it gives the direction, numbers and caller ID. Answered if any leg connected;
        otherwise voicemail if one was left; otherwise the first known result word decides."""
        parts.sort(key=lambda p: (p.start, p.direction != Direction.INBOUND))
        first = parts[0]
        words = [w for part in parts for w in part.words if w]
        lowered = {w.lower() for w in words}
        if lowered & UNFINISHED or (first.words[0].lower() in SKIPPED):
            return None  # still ringing or talking (a later poll sees it), or blocked
        message = next((p.message for p in parts if p.message), None)
        if lowered & ANSWERED:
            outcome = Outcome.ANSWERED
        elif message or "voicemail" in lowered:
            outcome = Outcome.VOICEMAIL
        else:
            outcome = next((OUTCOMES[w.lower()] for w in words if w.lower() in OUTCOMES),
                           Outcome.MISSED)
        inbound = first.direction == Direction.INBOUND
        end = max(p.end for p in parts)
        if message:
            if len(self._voicemails) > 10_000:  # a long-running desk: forget old sessions
                self._voicemails = {k: v for k, v in self._voicemails.items()
                                    if k in self._pending}
            self._voicemails[first.session] = message
        return ProviderCall(
            provider_call_id=first.session, direction=first.direction,
            from_number=first.customer if inbound else first.shop,
            to_number=first.shop if inbound else first.customer,
            started_at=first.start, ended_at=end, outcome=outcome,
            raw_status=" / ".join(dict.fromkeys(words))[:64] or "Unknown",
            duration_s=int((end - first.start).total_seconds()),
            caller_name=first.name if inbound else None)

    # -- voicemail transcripts ----------------------------------------------------------------
    def _with_transcript(self, item):
        if (not isinstance(item, ProviderCall) or item.outcome != Outcome.VOICEMAIL
                or item.direction != Direction.INBOUND
                or item.provider_call_id not in self._voicemails):
            return item
        text, final = self._transcript(*self._voicemails[item.provider_call_id])
        if not final:  # transcription still running: yield now, restate when it is done
            self._pending[item.provider_call_id] = (item, as_utc(self._clock())
                                                    + TRANSCRIPT_PATIENCE)
        return replace(item, transcript=text) if text else item

    def _late_transcripts(self) -> list[ProviderCall]:
        """Voicemails yielded before their transcript was ready, now with it."""
        done = []
        for session, (call, give_up) in list(self._pending.items()):
            text, final = self._transcript(*self._voicemails.get(session, ("", None)))
            if text:
                done.append(replace(call, transcript=text))
            if final or as_utc(self._clock()) > give_up:
                del self._pending[session]
        return done

    def _transcript(self, message_id: str, uri: str | None) -> tuple[str | None, bool]:
        """(text, final): final is False while RingCentral is still transcribing or the
        message store could not be reached this time."""
        if not message_id or message_id in self._transcripts:
            return self._transcripts.get(message_id), True
        path = uri if uri and self._trusted(uri) else MESSAGE_PATH.format(id=quote(message_id))
        text = None
        try:
            message = self._json(self._call(self._std, "GET", path))
            status = message.get("vmTranscriptionStatus")
            if status == "InProgress":
                return None, False
            attachment = next((a for a in message.get("attachments") or []
                               if isinstance(a, dict) and a.get("type") == "AudioTranscription"
                               and isinstance(a.get("uri"), str)), None)
            if status in ("Completed", "CompletedPartially") and attachment and \
                    self._trusted(attachment["uri"]):
                content = self._call(self._std, "GET", attachment["uri"],
                                     headers={"Accept": "text/plain"})
                text = content.text.strip()[:10_000] or None
        except ProviderError as exc:
            if exc.kind in (ProblemKind.NETWORK, ProblemKind.RATE_LIMITED, ProblemKind.AUTH):
                return None, False  # try again on a later poll; the call itself is stored
            log.info("no transcript for RingCentral message %s: %s", message_id, exc)
        if len(self._transcripts) > 10_000:
            self._transcripts.clear()
        self._transcripts[message_id] = text
        return text, True

    def _trusted(self, uri: str) -> bool:
        """Only RingCentral (or the configured server) is sent our bearer token."""
        parts, base = urlsplit(uri), urlsplit(self.base_url)
        if not parts.netloc:
            return uri.startswith("/")
        return parts.scheme in ("https", base.scheme) and (
            parts.netloc == base.netloc or (parts.hostname or "").endswith(".ringcentral.com"))

    # -- SMS -----------------------------------------------------------------------------------
    def _read_text(self, record: object) -> InboundMessage | Quarantined | None:
        """A message-store record as an InboundMessage; None for what is not a customer's
        SMS (an outbound text, a fax or pager message the filters let through)."""
        if not isinstance(record, dict):
            return Quarantined("the message-store record is not a JSON object", record)
        message_id = _ident(record.get("id"))
        if record.get("direction") == "Outbound" or record.get("type") in OTHER_MESSAGES:
            return None
        try:
            if not message_id:
                raise ValueError("no message id")
            if record.get("type") != "SMS":
                raise ValueError(f"type {str(record.get('type'))[:40]!r} is not SMS")
            if record.get("direction") != "Inbound":
                raise ValueError(f"direction {str(record.get('direction'))[:40]!r} is not "
                                 f"Inbound or Outbound")
            sender = record.get("from")
            number = sender.get("phoneNumber") if isinstance(sender, dict) else None
            if not isinstance(number, str) or not number:
                raise ValueError("the sender's phoneNumber is missing")
            customer = _e164(number[:40], self.region)
            if customer is None:
                raise ValueError(f"sender number {number[:40]!r} is not a phone number")
            recipients = record.get("to")
            shop = next(filter(None, map(self._shop, recipients)), None) \
                if isinstance(recipients, list) else None
            if not shop:
                raise ValueError("no recipient phoneNumber (the shop's number) on the text")
            text = record.get("subject")  # an SMS's subject is its text; none for a bare MMS
            if text is not None and not isinstance(text, str):
                raise ValueError("subject (the text) is not text")
            return InboundMessage(message_id, customer, shop, (text or "")[:MAX_TEXT],
                                  _when(record.get("creationTime")))
        except (ValueError, TypeError, OverflowError) as exc:
            reason = f"unreadable RingCentral text message: {exc}"[:300]
            return Quarantined(reason, record, message_id)

    def _sms_number(self) -> str:
        if self._sms_from is None:
            body = self._json(self._call(self._std, "GET", NUMBERS_PATH,
                                         params={"perPage": 1000}))
            for record in body.get("records") or []:
                features = record.get("features") if isinstance(record, dict) else None
                if isinstance(features, list) and "SmsSender" in features and \
                        isinstance(record.get("phoneNumber"), str):
                    self._sms_from = record["phoneNumber"]
                    break
            else:
                raise ProviderError("RingCentral has no SMS-capable number on this user's "
                                    "extension: enable SMS for a number in the RingCentral "
                                    "admin portal", ProblemKind.NOT_CONFIGURED)
        return self._sms_from

    # -- auth -------------------------------------------------------------------------------------
    def _call(self, client: HttpClient, method: str, path: str, headers=None,
              **kwargs) -> requests.Response:
        """An API request with a bearer token; a 401 means the token went stale early
        (revoked, or refreshed elsewhere): sign in again once, then give up."""
        for attempt in (1, 2):
            token = self._token()
            try:
                return client.request(method, path, headers={
                    **(headers or {}), "Authorization": f"Bearer {token}"}, **kwargs)
            except ProviderError as exc:
                if exc.kind != ProblemKind.AUTH or attempt == 2:
                    raise
                self._access = None
        raise AssertionError("unreachable")

    def _token(self) -> str:
        now = as_utc(self._clock())
        if self._access and now < self._access_until:
            return self._access
        if self._refresh and now < self._refresh_until:
            try:
                return self._grant({"grant_type": "refresh_token",
                                    "refresh_token": self._refresh}, idempotent=False)
            except ProviderError as exc:
                if exc.kind in (ProblemKind.NETWORK, ProblemKind.RATE_LIMITED):
                    raise
                log.info("RingCentral refresh token refused; signing in with the JWT again")
        jwt = require(self._cred("jwt"), "RingCentral JWT credential is missing: run "
                                         "`frontdesk secret set phone.ringcentral.jwt`")
        return self._grant({"grant_type": JWT_GRANT, "assertion": jwt}, idempotent=True)

    def _grant(self, form: dict, idempotent: bool) -> str:
        client_id = require(self._cred("client_id"), "RingCentral client id is missing: run "
                            "`frontdesk config set phone.ringcentral.client_id <id>`")
        secret = require(self._cred("client_secret"), "RingCentral client secret is missing: "
                         "run `frontdesk secret set phone.ringcentral.client_secret`")
        self._access = self._refresh = None
        try:
            body = self._auth.post_json(TOKEN_PATH, data=form, auth=(client_id, secret),
                                        idempotent=idempotent)
        except ProviderError as exc:
            if str(exc) == JWT_REJECTED:  # 400 invalid_grant is a credential problem
                raise ProviderError(str(exc), ProblemKind.AUTH) from None
            raise
        access, ttl = body.get("access_token"), body.get("expires_in")
        if not isinstance(access, str) or not isinstance(ttl, int) or isinstance(ttl, bool):
            raise ProviderError("RingCentral sent a sign-in answer we cannot read",
                                ProblemKind.BAD_RESPONSE)
        now = as_utc(self._clock())
        self._access, self._access_until = access, now + timedelta(seconds=ttl) - TOKEN_MARGIN
        refresh, refresh_ttl = body.get("refresh_token"), body.get("refresh_token_expires_in")
        if isinstance(refresh, str) and isinstance(refresh_ttl, int):
            self._refresh = refresh
            self._refresh_until = now + timedelta(seconds=refresh_ttl) - TOKEN_MARGIN
            self._seen_secrets.add(refresh)
        self._seen_secrets.add(access)
        return access

    def _cred(self, key: str) -> str | None:
        value = self._creds[key]
        value = value() if callable(value) else value
        if value and key != "client_id":
            self._seen_secrets.add(value)
        return value

    def _json(self, response: requests.Response) -> dict:
        return self._std.json_of(response)


def from_settings(settings, secret, clock: Clock) -> RingCentralLine:
    """Credentials are read when a request needs them, so fixing one in Settings works
    without a restart, and a missing one is a plain-words health message."""
    return RingCentralLine(
        client_id=lambda: settings["phone.ringcentral.client_id"],
        client_secret=lambda: secret("phone.ringcentral.client_secret"),
        jwt=lambda: secret("phone.ringcentral.jwt"),
        base_url=settings["phone.base_url"] or DEFAULT_BASE_URL,
        region=settings["phone.region"], clock=clock)


# -- reading RingCentral's values ------------------------------------------------------------
@functools.lru_cache(maxsize=65_536)
def _e164(number: str, region: str) -> str | None:
    """to_e164, remembered: a backfill sees the same few thousand numbers again and again."""
    try:
        return to_e164(number, region)
    except InvalidPhone:
        return None


def _iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _when(text: object) -> datetime:
    """ISO 8601 with a zone, as RingCentral writes it ("2016-03-10T18:07:52.534Z")."""
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError(f"time {str(text)[:40]!r} is not ISO 8601")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return moment.astimezone(timezone.utc)


def _seconds(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2 * 86400:
        raise ValueError(f"duration {str(value)[:40]!r} is not a number of seconds")
    return value


def _word(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("result is not text")
    return value.strip()[:60]


def _ident(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text[:128] or None


def _voicemail(part: dict) -> tuple[str, str | None] | None:
    message = part.get("message")
    if not isinstance(message, dict) or str(message.get("type")).lower() != "voicemail":
        return None
    message_id = _ident(message.get("id"))
    uri = message.get("uri")
    return (message_id, uri if isinstance(uri, str) else None) if message_id else None
