"""Sync manners shared by every phone provider: bad records quarantined once, source tags
by dialed number, a provider's Retry-After respected, texts only with the scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from fakes import StaticLine

from desktop.adapters.phone.base import ProblemKind, ProviderError, SentMessage
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.quarantine import Quarantined
from desktop.services.sync import PhoneSync, SyncPolicy
from desktop.services.texting import ScopeRefused, Texting

SHOP = "+13125550100"
ADS_LINE = "+13125550199"


def missed(n: int, number: str, ended, to=SHOP) -> ProviderCall:
    return ProviderCall(provider_call_id=f"CA{n:032d}", direction=Direction.INBOUND,
                        from_number=number, to_number=to, started_at=ended - timedelta(seconds=30),
                        ended_at=ended, duration_s=30, outcome=Outcome.MISSED,
                        raw_status="no-answer")


class LineWithJunk(StaticLine):
    """Each listing carries one record the adapter could not read."""

    def list_calls(self, since, until):
        for page in super().list_calls(since, until):
            yield page + [Quarantined("start_time is not a date", {"sid": "CAbad",
                                                                   "start_time": "yesterday"},
                                      "CAbad")]


def test_a_bad_record_is_kept_once_and_the_rest_of_the_page_syncs(app_factory, clock):
    app = app_factory()
    line = LineWithJunk([missed(1, "+17735550142", clock() - timedelta(minutes=3))])
    sync = PhoneSync(app.uow, line, clock=clock)
    first = sync.poll()
    assert (first.new_calls, first.quarantined, first.error) == (1, 1, None)
    clock.advance(seconds=30)
    again = sync.poll()  # the overlap re-reads the same junk: kept once, not twice
    assert again.quarantined == 0 and again.skipped == 1
    with app.uow() as uow:
        kept = uow.quarantine.all()
    assert [(k.source, k.external_id, k.reason) for k in kept] == [
        ("phone:static", "CAbad", "start_time is not a date")]
    assert '"start_time": "yesterday"' in kept[0].payload


def test_the_dialed_number_names_the_source_when_the_line_does_not(app_factory, clock):
    app = app_factory()
    now = clock()
    line = StaticLine([missed(1, "+17735550142", now - timedelta(minutes=3), to=ADS_LINE),
                       missed(2, "+17735550143", now - timedelta(minutes=2))])
    policy = SyncPolicy(source_by_number={ADS_LINE: "Google Ads"})
    PhoneSync(app.uow, line, policy, clock=clock).poll()
    sources = {row.phone: row.source for row in app.queue.open_rows()}
    assert sources == {"+17735550142": "Google Ads", "+17735550143": None}


def test_after_a_rate_limit_the_next_polls_wait_for_retry_after(app_factory, clock):
    app = app_factory()
    line = StaticLine([missed(1, "+17735550142", clock() - timedelta(minutes=3))])
    asked = []
    real = line.list_calls

    def limited(since, until):
        asked.append(until)
        if len(asked) == 1:
            raise ProviderError("Acme is rate-limiting us; the next poll waits 2 min",
                                ProblemKind.RATE_LIMITED, retry_after_s=120)
        return real(since, until)

    line.list_calls = limited
    sync = PhoneSync(app.uow, line, clock=clock)
    assert sync.poll().error.startswith("Acme is rate-limiting us")
    clock.advance(seconds=60)
    held = sync.poll()
    assert held.waiting and "rate-limiting" in held.error and len(asked) == 1
    clock.advance(seconds=61)
    assert sync.poll().new_calls == 1 and len(asked) == 2


class RecordingLine(StaticLine):
    def __init__(self):
        super().__init__([])
        self.sent = []

    def send_sms(self, to_number, body):
        self.sent.append((to_number, body))
        return SentMessage("SM1", to_number, body, None)


def test_texts_need_the_owner_granted_scope(app_factory, clock):
    app = app_factory()
    line = RecordingLine()
    refused = Texting(app.uow, line, ["phone:read_calls"], clock)
    with pytest.raises(ScopeRefused, match="phone:send_sms"):
        refused.send("+17735550142", "We missed your call", "worker:followup", "text-back")
    assert line.sent == []
    allowed = Texting(app.uow, line, ["phone:read_calls", "phone:send_sms"], clock)
    allowed.send("+17735550142", "We missed your call", "worker:followup", "text-back")
    assert line.sent == [("+17735550142", "We missed your call")]
    actions = [(r.entity, r.action) for r in app.changelog.rows()]
    assert ("text_message", "refused") in actions and ("text_message", "sent") in actions


def test_a_call_the_provider_later_reports_as_missed_reaches_the_queue(app_factory, clock):
    app = app_factory()
    ended = clock() - timedelta(seconds=20)  # just ended: later polls re-read it (overlap)
    first = missed(1, "+17735550142", ended)
    answered = ProviderCall(**{**first.__dict__, "outcome": Outcome.ANSWERED,
                               "raw_status": "completed"})
    line = StaticLine([answered])
    sync = PhoneSync(app.uow, line, clock=clock)
    assert sync.poll().new_items == 0
    # The child legs arrive: nobody picked up after all, and a voicemail was left.
    line.calls = [ProviderCall(**{**first.__dict__, "outcome": Outcome.VOICEMAIL,
                                  "raw_status": "completed", "transcript": None})]
    clock.advance(seconds=30)
    assert sync.poll().new_items == 1
    # The transcript is ready a minute later: the item shows it.
    line.calls = [ProviderCall(**{**line.calls[0].__dict__, "transcript": "Pipe burst, call me"})]
    clock.advance(seconds=60)
    assert sync.poll().updated_calls == 1
    (row,) = app.queue.open_rows()
    assert (row.outcome, row.transcript, row.calls) == ("voicemail", "Pipe burst, call me", 1)
    assert app.queue.detail(row.id).history[-1].action == "call_updated"
    # The hourly counts moved the call from answered to voicemail: counted once.
    with app.engine.connect() as db:
        counts = db.execute(text("SELECT answered, voicemail FROM call_hours")).all()
    assert [tuple(c) for c in counts] == [(0, 1)]


def test_a_callback_recorded_by_hand_is_not_counted_again_from_the_line(app_factory, clock):
    app = app_factory()
    line = StaticLine([missed(1, "+17735550142", clock() - timedelta(minutes=30))])
    sync = PhoneSync(app.uow, line, clock=clock)
    sync.poll()
    (row,) = app.queue.open_rows()
    app.queue.mark_called_back(row.id, "Dana")  # she dialled from her desk phone
    dialled = clock()
    line.calls.append(ProviderCall(
        provider_call_id="CA" + "9" * 32, direction=Direction.OUTBOUND, from_number=SHOP,
        to_number="+17735550142", started_at=dialled, ended_at=dialled + timedelta(minutes=1),
        duration_s=60, outcome=Outcome.ANSWERED, raw_status="completed"))
    clock.advance(minutes=2)
    sync.poll()
    assert app.queue.open_rows()[0].callback_attempts == 1


def test_an_unexpected_failure_is_reported_as_health_not_raised(app_factory, clock):
    app = app_factory()
    line = StaticLine([])

    def broken(since, until):
        raise KeyError("sid")

    line.list_calls = broken
    result = PhoneSync(app.uow, line, clock=clock).poll()
    assert "unexpected error (KeyError" in result.error
    (health,), _backlog = app.health.rows()
    assert health.level == "error" and "KeyError" in health.message


class SlowTranscriptLine(StaticLine):
    """Lists the voicemail at once; its transcript is ready only a few minutes later."""

    def __init__(self, calls, ready_at):
        super().__init__(calls)
        self.ready_at, self.asked = ready_at, []
        self.now = None

    def fetch_transcript(self, provider_call_id):
        self.asked.append(provider_call_id)
        return "Water is coming through the ceiling" if self.now() >= self.ready_at else None


def test_a_transcript_that_arrives_after_the_listing_reaches_the_item(app_factory, clock):
    app = app_factory()
    ended = clock() - timedelta(seconds=20)
    voicemail = ProviderCall(**{**missed(1, "+17735550142", ended).__dict__,
                                "outcome": Outcome.VOICEMAIL, "raw_status": "completed"})
    line = SlowTranscriptLine([voicemail], ready_at=clock() + timedelta(minutes=3))
    line.now = clock
    sync = PhoneSync(app.uow, line, clock=clock)
    sync.poll()
    assert line.asked == []  # not straight away: a minute later at the earliest
    for _ in range(6):  # polls every 30 s for three minutes
        clock.advance(seconds=30)
        sync.poll()
    clock.advance(minutes=2)
    sync.poll()
    (row,) = app.queue.open_rows()
    assert row.transcript == "Water is coming through the ceiling"
    assert 2 <= len(line.asked) <= 4  # a few tries, spaced out; not one a poll
    assert app.queue.detail(row.id).history[-1].action == "call_updated"


class ManyPages(StaticLine):
    def list_calls(self, since, until):
        for n in range(50):
            yield [missed(n, f"+1773555{n % 100 + 100:04d}", until - timedelta(minutes=50 - n))]


def test_a_poll_asked_to_stop_ends_after_its_page_and_keeps_the_cursor(app_factory, clock):
    app = app_factory()
    sync = PhoneSync(app.uow, ManyPages([]), clock=clock)
    pages = []

    def progress(result):
        pages.append(result.pages)
        if result.pages == 3:
            sync.stop()  # the window is closing

    result = sync.poll(progress)
    assert result.pages == 3 and result.new_calls == 3 and "stopped" in result.error
    with app.uow() as uow:
        assert uow.connectors.get_or_create("phone:static").cursor is None  # resumes next start


def test_a_ring_group_miss_with_a_long_provider_status_is_queued(app_factory, clock):
    app = app_factory()
    call = ProviderCall(**{**missed(1, "+17735550142", clock() - timedelta(seconds=30)).__dict__,
                           "raw_status": "completed (dial: " + ", ".join(["no-answer"] * 6) + ")"})
    result = PhoneSync(app.uow, StaticLine([call]), clock=clock).poll()
    assert (result.new_items, result.quarantined) == (1, 0)
    with app.uow() as uow:
        stored = uow.calls.by_provider_id("static", call.provider_call_id)
        assert stored.raw_status == call.raw_status[:64]
