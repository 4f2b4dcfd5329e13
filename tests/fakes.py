"""Test doubles shared by the test folders (importable as `fakes`: tests/ is on sys.path)."""

from __future__ import annotations

from desktop.adapters.phone.base import ConnectionCheck, PhoneProvider


class StaticLine(PhoneProvider):
    """A phone line that holds a fixed list of calls and lists them by end time."""

    name = "static"
    label = "Static"

    def __init__(self, calls):
        self.calls = list(calls)

    def list_calls(self, since, until):
        return iter([[c for c in self.calls if since <= c.ended_at < until]])

    def fetch_transcript(self, provider_call_id):
        return next((c.transcript for c in self.calls
                     if c.provider_call_id == provider_call_id), None)

    def send_sms(self, to_number, body):
        raise AssertionError("these tests send no texts")

    def test_connection(self):
        return ConnectionCheck(True, "ok")
