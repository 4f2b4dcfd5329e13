"""The shared HTTP client against a real loopback server: retries, Retry-After, rate
limits, plain-words errors, and no credential in any message."""

from __future__ import annotations

import json
import socket
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug import Response

from desktop.adapters.http import HttpClient, RateLimiter, RetryPolicy, Wording, redact
from desktop.adapters.phone.base import ProblemKind, ProviderError

SECRET = "sk_live_very_secret_token"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(httpserver, sleeps):
    return HttpClient(httpserver.url_for(""), Wording(label="Acme Phone"),
                      headers={"Authorization": f"Token {SECRET}"},
                      retry=RetryPolicy(attempts=3, backoff_s=0.25, max_retry_after_s=30),
                      sleep=sleeps.append, secrets=lambda: [SECRET])


def respond(status, body=None, headers=None):
    return Response(json.dumps(body if body is not None else {}), status=status,
                    headers=headers or {}, content_type="application/json")


def test_a_short_retry_after_is_waited_out_then_the_request_succeeds(httpserver, client, sleeps):
    httpserver.expect_ordered_request("/calls").respond_with_response(
        respond(429, {"message": "slow down"}, {"Retry-After": "2"}))
    httpserver.expect_ordered_request("/calls").respond_with_json({"calls": [1, 2]})
    assert client.get_json("/calls") == {"calls": [1, 2]}
    assert sleeps == [2.0]
    assert client.requests_sent == 2


def test_a_long_retry_after_is_not_waited_out_inside_a_poll(httpserver, client, sleeps):
    httpserver.expect_request("/calls").respond_with_response(
        respond(429, {}, {"Retry-After": "3600"}))
    with pytest.raises(ProviderError) as caught:
        client.get_json("/calls")
    assert caught.value.kind == ProblemKind.RATE_LIMITED
    assert caught.value.retry_after_s == 3600
    assert "Acme Phone is rate-limiting us" in str(caught.value) and "60 min" in str(caught.value)
    assert sleeps == []


def test_retry_after_as_an_http_date(httpserver, client, sleeps):
    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    httpserver.expect_ordered_request("/calls").respond_with_response(
        respond(503, {}, {"Retry-After": format_datetime(later, usegmt=True)}))
    httpserver.expect_ordered_request("/calls").respond_with_json({})
    client.get_json("/calls")
    assert len(sleeps) == 1 and 3 <= sleeps[0] <= 5


def test_server_errors_are_retried_with_growing_backoff_then_reported(httpserver, client, sleeps):
    httpserver.expect_request("/calls").respond_with_response(respond(502, {"error": "bad gw"}))
    with pytest.raises(ProviderError) as caught:
        client.get_json("/calls")
    assert caught.value.kind == ProblemKind.NETWORK
    assert str(caught.value) == "Acme Phone is having trouble (HTTP 502); will retry"
    assert client.requests_sent == 3
    assert len(sleeps) == 2 and 0.125 <= sleeps[0] <= 0.25 and 0.25 <= sleeps[1] <= 0.5


def test_a_post_is_not_retried_unless_the_caller_says_it_is_safe(httpserver, client, sleeps):
    httpserver.expect_request("/messages", method="POST").respond_with_response(respond(500))
    with pytest.raises(ProviderError):
        client.post_json("/messages", json={"to": "+13125550142"})
    assert client.requests_sent == 1 and sleeps == []


@pytest.mark.parametrize(("status", "kind", "words"), [
    (401, ProblemKind.AUTH, "Acme Phone rejected the credentials: check Settings → Phone"),
    (403, ProblemKind.PERMISSION, "refused access"),
    (404, ProblemKind.NOT_CONFIGURED, "does not know this account"),
    (400, ProblemKind.REJECTED, "Acme Phone refused the request: token ••• is not valid"),
    (418, ProblemKind.BAD_RESPONSE, "HTTP 418"),
])
def test_client_errors_read_as_plain_words_and_are_not_retried(httpserver, client, status,
                                                               kind, words):
    httpserver.expect_request("/calls").respond_with_response(
        respond(status, {"message": f"token {SECRET} is not valid"}))
    with pytest.raises(ProviderError) as caught:
        client.get_json("/calls")
    assert caught.value.kind == kind
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)
    assert client.requests_sent == 1


def test_vendor_wording_for_a_status(httpserver, sleeps):
    wording = Wording(label="Twilio", extra={404: "Twilio does not know account {detail}"})
    client = HttpClient(httpserver.url_for(""), wording, sleep=sleeps.append)
    httpserver.expect_request("/a").respond_with_response(respond(404, {"message": "AC123"}))
    with pytest.raises(ProviderError, match="Twilio does not know account AC123"):
        client.get_json("/a")


def test_an_unreachable_server_is_a_network_problem(sleeps):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient(f"http://127.0.0.1:{port}", Wording(label="Acme Phone"),
                        retry=RetryPolicy(attempts=2), sleep=sleeps.append)
    with pytest.raises(ProviderError) as caught:
        client.get_json("/calls")
    assert caught.value.kind == ProblemKind.NETWORK
    assert "cannot be reached (connection refused)" in str(caught.value)
    assert len(sleeps) == 1


def test_a_body_that_is_not_json_is_a_bad_response(httpserver, client):
    httpserver.expect_request("/calls").respond_with_data("<html>maintenance</html>")
    with pytest.raises(ProviderError) as caught:
        client.get_json("/calls")
    assert caught.value.kind == ProblemKind.BAD_RESPONSE and "not JSON" in str(caught.value)


def test_the_rate_limiter_spaces_requests_to_the_documented_limit():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10, 60, clock=lambda: now[0], sleep=sleep)  # RingCentral "Heavy"
    for _ in range(10):
        assert limiter.acquire() == 0  # the burst
    assert limiter.acquire() == pytest.approx(6.0)  # then one every 6 s
    now[0] += 60
    assert sum(limiter.acquire() for _ in range(10)) == 0


def test_redaction_removes_every_secret_but_not_short_noise():
    assert redact(f"bad token {SECRET}!", [SECRET, "ab"]) == "bad token •••!"
