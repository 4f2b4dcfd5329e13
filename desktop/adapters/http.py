"""The one way connectors talk HTTP: a requests.Session with connect/read timeouts, retries
on 429 and 5xx that honour Retry-After, a client-side rate limit, plain-words errors and
logs that never carry credentials.

Adapters build an `HttpClient` with their base URL, auth and vendor wording for each
failure ("Twilio rejected the auth token: check Settings → Phone"); everything else about
manners lives here so the four phone providers (and the CRMs) behave alike.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

from desktop import __version__
from desktop.adapters.errors import ProblemKind, ProviderError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The service understood and refused what we sent (validation, a conflict): sending the
# same again will not help; a person has to change something.
REJECT_STATUSES = frozenset({400, 409, 422})
USER_AGENT = f"FrontDesk/{__version__} (+missed-call desk)"


class RateLimiter:
    """A token bucket: at most `rate` requests per `per` seconds, bursts up to `rate`.

    Thread-safe; `acquire` sleeps (with the injected sleep) until a token is free.
    """

    def __init__(self, rate: float, per: float, *, clock=time.monotonic, sleep=time.sleep):
        self.capacity = float(rate)
        self.fill_per_second = rate / per
        self._tokens = float(rate)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token; return how long we waited for it."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity,
                                   self._tokens + (now - self._last) * self.fill_per_second)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                wait = (1 - self._tokens) / self.fill_per_second
            self._sleep(wait)
            waited += wait


@dataclass
class Wording:
    """How a vendor's failures read to a receptionist. `{detail}` is the server's own words."""

    label: str
    auth: str = "{label} rejected the credentials: check Settings → Phone"
    permission: str = "{label} refused access (the key lacks a permission): {detail}"
    not_found: str = "{label} does not know this account: check the account id in Settings"
    rate_limited: str = "{label} is rate-limiting us; the next poll waits {wait}"
    unreachable: str = "{label} cannot be reached ({detail}): check the internet connection"
    server: str = "{label} is having trouble (HTTP {status}); will retry"
    bad_response: str = "{label} sent a response we cannot read ({detail})"
    rejected: str = "{label} refused the request: {detail}"
    extra: dict[int, str] = field(default_factory=dict)  # status -> message for the vendor's quirks


@dataclass
class RetryPolicy:
    attempts: int = 4            # tries in all, for a retryable failure
    backoff_s: float = 0.5       # first wait; doubles each time, with jitter
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 30.0  # a longer Retry-After is not waited out inside a poll


class HttpClient:
    def __init__(self, base_url: str, wording: Wording, *, auth=None,
                 headers: dict[str, str] | None = None, timeout=(5.0, 30.0),
                 retry: RetryPolicy | None = None, limiter: RateLimiter | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None,
                 secrets: Callable[[], list[str]] | None = None):
        self.base_url = base_url.rstrip("/")
        self.wording = wording
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._sleep = sleep
        self._secrets = secrets or (lambda: [])
        self.session = session or requests.Session()
        self.session.auth = auth
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.session.headers.update(headers or {})
        self.requests_sent = 0  # for benchmarks: a poll's request count

    # -- the public calls -----------------------------------------------------------------
    def get_json(self, path: str, params=None, **kwargs) -> dict:
        return self.json_of(self.request("GET", path, params=params, **kwargs))

    def post_json(self, path: str, json=None, data=None, idempotent=False, **kwargs) -> dict:
        return self.json_of(self.request("POST", path, json=json, data=data,
                                         idempotent=idempotent, **kwargs))

    def request(self, method: str, path: str, *, idempotent: bool | None = None,
                **kwargs) -> requests.Response:
        """Send with retries. GETs are retried; a POST only when the caller says it is safe
        (a POST that may have landed must not be sent twice)."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        retryable = method.upper() == "GET" if idempotent is None else idempotent
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts or not retryable
            if self.limiter:
                self.limiter.acquire()
            started = time.perf_counter()
            try:
                self.requests_sent += 1
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                # Includes a response cut off halfway (flaky Wi-Fi): safe to ask again.
                log.info("%s %s failed: %s", method, self._safe(url), type(exc).__name__)
                if last:
                    raise self._error(ProblemKind.NETWORK, "unreachable",
                                      detail=_network_reason(exc)) from None
                self._sleep(self._backoff(attempt))
                continue
            except requests.RequestException as exc:
                # Anything else requests refuses (a key with a line break in it makes an
                # invalid header): its text may quote the credential, so only the kind.
                log.warning("%s %s refused: %s", method, self._safe(url), type(exc).__name__)
                raise self._error(ProblemKind.BAD_RESPONSE, None, template=(
                    "{label} request could not be sent (" + type(exc).__name__ + "): check "
                    "the credentials in Settings for stray spaces or line breaks")) from None
            log.debug("%s %s -> %s in %.0f ms", method, self._safe(url), response.status_code,
                      (time.perf_counter() - started) * 1000)
            if response.status_code < 400:
                return response
            if response.status_code in RETRY_STATUSES:
                wait = retry_after_seconds(response)
                too_long = wait is not None and wait > self.retry.max_retry_after_s
                if last or too_long:
                    raise self._status_error(response, wait)
                self._sleep(wait if wait is not None else self._backoff(attempt))
                continue
            raise self._status_error(response, None)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def json_of(self, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise self._error(ProblemKind.BAD_RESPONSE, "bad_response",
                              detail=f"not JSON: {response.text[:80]!r}") from None
        if not isinstance(body, dict):
            raise self._error(ProblemKind.BAD_RESPONSE, "bad_response",
                              detail="the body is not a JSON object")
        return body

    # -- errors in plain words -------------------------------------------------------------
    def _status_error(self, response: requests.Response, wait: float | None) -> ProviderError:
        status = response.status_code
        detail = self._safe(_server_words(response))
        if status in self.wording.extra:
            return self._error(_kind_for(status), None, detail=detail, status=status,
                               template=self.wording.extra[status], retry_after=wait)
        if status == 401:
            return self._error(ProblemKind.AUTH, "auth", detail=detail)
        if status == 403:
            return self._error(ProblemKind.PERMISSION, "permission", detail=detail)
        if status == 404:
            return self._error(ProblemKind.NOT_CONFIGURED, "not_found", detail=detail)
        if status == 429:
            return self._error(ProblemKind.RATE_LIMITED, "rate_limited", retry_after=wait,
                               wait=_say_wait(wait))
        if status >= 500:
            return self._error(ProblemKind.NETWORK, "server", status=status, retry_after=wait)
        if status in REJECT_STATUSES:
            return self._error(ProblemKind.REJECTED, "rejected", detail=detail, status=status)
        return self._error(ProblemKind.BAD_RESPONSE, "bad_response",
                           detail=f"HTTP {status}: {detail}")

    def _error(self, kind: ProblemKind, key: str | None, *, template: str | None = None,
               retry_after: float | None = None, **values) -> ProviderError:
        text = template or getattr(self.wording, key)
        values.setdefault("detail", "")
        values.setdefault("status", "")
        values.setdefault("wait", _say_wait(retry_after))
        message = self._safe(text.format(label=self.wording.label, **values))
        return ProviderError(message, kind, retry_after)

    def _backoff(self, attempt: int) -> float:
        base = min(self.retry.max_backoff_s, self.retry.backoff_s * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)  # jitter: desks do not retry in step

    def _safe(self, text: str) -> str:
        """Remove any credential from text bound for a log or the health area."""
        return redact(text, self._secrets())


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "•••")
    return text


def retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds, whether sent as a number or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max((moment - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _kind_for(status: int) -> ProblemKind:
    return {401: ProblemKind.AUTH, 403: ProblemKind.PERMISSION, 404: ProblemKind.NOT_CONFIGURED,
            429: ProblemKind.RATE_LIMITED}.get(
        status, ProblemKind.NETWORK if status >= 500 else
        ProblemKind.REJECTED if status in REJECT_STATUSES else ProblemKind.BAD_RESPONSE)


def _server_words(response: requests.Response) -> str:
    """The vendor's own error message, from the usual JSON shapes, else the body's start."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:160].strip() or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("message", "error_description", "errorMessage", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:200]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"][:200]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", errors[0]))[:200]
    return str(body)[:160]


def _network_reason(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    text = str(exc)
    if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
        return "the name does not resolve"
    if "Connection refused" in text:
        return "connection refused"
    return "connection failed"


def _say_wait(seconds: float | None) -> str:
    if seconds is None:
        return "a little"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
