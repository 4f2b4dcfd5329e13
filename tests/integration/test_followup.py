"""Follow-up end to end on a real SQLite database: the plan's tasks, the text-back and its
timing rules, opt-outs from inbound texts, the retry limit and ownership.

The line is a scripted one (tests/fakes.py) so each test says exactly which calls and
texts happen; tests/ui/test_followup_ui.py runs the same services over the Twilio adapter
and its fake (real HTTP), and tests/integration/test_phone_*.py read inbound texts from
each vendor's fake."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fakes import ScriptedLine

from desktop.domain.changelog import person
from desktop.domain.consent import SendRefused
from desktop.domain.queue import QueueRuleError
from desktop.services.followup import FollowUpService
from desktop.services.messages import MessageSync
from desktop.services.owner import OwnerRefused
from desktop.services.queue import QueueService
from desktop.services.sync import PhoneSync, SyncPolicy
from desktop.services.texting import Texting

OWNER = "owner-passcode-1"
CHICAGO = ZoneInfo("America/Chicago")
CALLER = "+17735550142"          # Chicago
HAWAII = "+18085550142"          # Honolulu, no DST
ARIZONA = "+16025550142"         # Phoenix, no DST
FLORIDA = "+13055550142"         # Miami: Florida's 08:00-20:00 and 3 per 24 h
# Wednesday 2025-02-12, 15:00 in Chicago: the shop (08:00-17:00 Mon-Fri) is open.
WEDNESDAY_3PM = datetime(2025, 2, 12, 15, 0, tzinfo=CHICAGO)


class Desk:
    """The services of one desk, over a scripted line."""

    def __init__(self, app, line: ScriptedLine, clock):
        self.app, self.line, self.clock = app, line, clock
        settings = app.settings_service.load()
        self.texting = Texting(app.uow, line, settings["phone.scopes"], clock)
        self.followup = FollowUpService(app.uow, self.texting, settings, clock)
        self.sync = PhoneSync(app.uow, line, SyncPolicy(), clock,
                              planner=self.followup.planner)
        self.queue = QueueService(app.uow, clock, followup=self.followup)
        self.messages = MessageSync(app.uow, line, self.texting, settings["business.name"],
                                    clock)

    def poll(self):
        result = self.sync.poll()
        assert result.error is None, result.error
        return result

    def item(self, phone: str):
        return next(r for r in self.queue.board() if r.phone == phone)

    def tasks(self, phone: str):
        return self.followup.tasks_of(self.item(phone).id)


@pytest.fixture
def make_desk(app_factory, clock, memory_keyring):
    def make(**settings):
        app = app_factory()
        if not app.settings_service.owner.is_set():
            app.settings_service.owner.set(OWNER, None, person("owner"))
        values = {"business.name": "Riverside Plumbing", "business.timezone": "America/Chicago",
                  "phone.scopes": ["phone:read_calls", "phone:send_sms"],
                  "textback.enabled": True}
        values.update(settings)
        app.settings_service.set_many(values, person("owner"), passcode=OWNER)
        return Desk(app, ScriptedLine(clock), clock)
    clock.set(WEDNESDAY_3PM)
    return make


def changes(app, action: str) -> list:
    return [e for e in app.changelog.rows() if e.action == action]


# -- the text-back -------------------------------------------------------------------------
def test_a_repeat_caller_is_texted_once(make_desk, clock):
    desk = make_desk()
    desk.line.ring(CALLER, name="Maria Lopez")
    desk.poll()
    report = desk.followup.run_due()
    assert len(report.texted) == 1 and len(desk.line.sent) == 1
    assert desk.line.sent[0].body == (
        "Hi Maria, this is Riverside Plumbing. Sorry we missed your call. We'll call you "
        "back within the hour. Reply STOP to opt out.")
    for _ in range(3):  # she rings again, and again: one item, no second text
        clock.advance(minutes=4)
        desk.line.ring(CALLER, name="Maria Lopez")
        desk.poll()
        desk.followup.run_due()
    assert len(desk.line.sent) == 1
    item = desk.item(CALLER)
    assert item.calls == 4
    assert [t.kind for t in desk.tasks(CALLER)].count("text") == 1
    sent = changes(desk.app, "sent")
    assert len(sent) == 1 and sent[0].entity == "text_message" and sent[0].entity_id == CALLER


def test_the_text_back_is_off_until_enabled_and_needs_the_send_permission(make_desk, clock):
    desk = make_desk(**{"textback.enabled": False})
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    assert desk.line.sent == [] and [t.kind for t in desk.tasks(CALLER)] == ["call"]

    desk = make_desk(**{"phone.scopes": ["phone:read_calls"]})  # enabled, not granted
    desk.line.ring("+17735550143")
    desk.poll()
    report = desk.followup.run_due()
    assert desk.line.sent == [] and len(report.skipped) == 1
    text = next(t for t in desk.tasks("+17735550143") if t.kind == "text")
    assert text.state == "skipped" and "phone:send_sms" in text.note


def test_a_call_found_by_a_backfill_gets_no_text_back(make_desk, clock):
    desk = make_desk()
    desk.line.ring(CALLER, ago_seconds=3 * 3600)  # three hours ago: a first import
    desk.poll()
    desk.followup.run_due()
    assert desk.line.sent == []
    assert [t.kind for t in desk.tasks(CALLER)] == ["call"]


@pytest.mark.parametrize("number, local_call, expect_local", [
    # 21:30 in Honolulu (03:30 Thursday in Chicago) -> 08:00 Thursday in Honolulu.
    (HAWAII, datetime(2025, 2, 12, 21, 30, tzinfo=ZoneInfo("Pacific/Honolulu")),
     datetime(2025, 2, 13, 8, 0, tzinfo=ZoneInfo("Pacific/Honolulu"))),
    # Phoenix keeps MST all year.
    (ARIZONA, datetime(2025, 7, 9, 21, 30, tzinfo=ZoneInfo("America/Phoenix")),
     datetime(2025, 7, 10, 8, 0, tzinfo=ZoneInfo("America/Phoenix"))),
    # Florida: 20:15 is already too late (08:00-20:00).
    (FLORIDA, datetime(2025, 2, 12, 20, 15, tzinfo=ZoneInfo("America/New_York")),
     datetime(2025, 2, 13, 8, 0, tzinfo=ZoneInfo("America/New_York"))),
    # The night clocks spring forward: 21:30 CST Saturday -> 08:00 CDT Sunday.
    (CALLER, datetime(2026, 3, 7, 21, 30, tzinfo=CHICAGO),
     datetime(2026, 3, 8, 8, 0, tzinfo=CHICAGO)),
])
def test_a_text_due_at_night_for_the_recipient_waits_for_their_morning(
        make_desk, clock, number, local_call, expect_local):
    clock.set(local_call + timedelta(minutes=1))
    desk = make_desk()
    desk.line.ring(number)
    desk.poll()
    report = desk.followup.run_due()
    assert desk.line.sent == [] and len(report.rescheduled) == 1
    text = next(t for t in desk.tasks(number) if t.kind == "text")
    assert text.state == "pending" and text.due_at == expect_local.astimezone(timezone.utc)
    assert "moved to" in text.note
    clock.set(expect_local - timedelta(minutes=1))
    assert desk.followup.run_due().texted == [] and desk.line.sent == []
    clock.set(expect_local)
    assert len(desk.followup.run_due().texted) == 1
    assert desk.line.sent[0].to_number == number
    local = desk.line.sent[0].sent_at.astimezone(expect_local.tzinfo)
    assert (local.hour, local.minute) == (8, 0)
    assert changes(desk.app, "task_rescheduled")  # the move is on the record


def test_the_per_number_cap_spans_items(make_desk, clock):
    desk = make_desk(**{"followup.texts_per_number_week": 1})
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    first = desk.item(CALLER)
    desk.queue.resolve(first.id, "Dana", "not_a_lead")
    clock.advance(hours=26)  # Thursday: she calls again, a new item
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    assert len(desk.line.sent) == 1
    second = [t for t in desk.tasks(CALLER) if t.kind == "text"][0]
    assert second.state == "skipped" and "cap is 1" in second.note


def test_a_failed_send_is_recorded_as_failed(make_desk, clock):
    from desktop.adapters.errors import ProblemKind, ProviderError
    desk = make_desk()
    desk.line.fail_sends = ProviderError("Twilio said 21610: unsubscribed recipient",
                                         ProblemKind.BAD_RESPONSE)
    desk.line.ring(CALLER)
    desk.poll()
    report = desk.followup.run_due()
    text = next(t for t in desk.tasks(CALLER) if t.kind == "text")
    assert report.failed == [text.task_id] and text.state == "failed" and "21610" in text.note


def test_a_send_cut_off_by_a_crash_is_never_sent_twice(make_desk, clock):
    desk = make_desk()
    desk.line.ring(CALLER)
    desk.poll()
    with desk.app.uow(write=True) as uow:  # a worker claimed it and died mid-send
        task = uow.tasks.due(clock(), ("text",))[0]
        task.start_sending(clock())
        uow.commit()
    desk.followup.run_due()  # within two minutes: maybe it is still on its way
    assert [t.state for t in desk.tasks(CALLER) if t.kind == "text"] == ["sending"]
    clock.advance(minutes=3)
    desk.followup.run_due()
    text = next(t for t in desk.tasks(CALLER) if t.kind == "text")
    assert desk.line.sent == [] and text.state == "failed" and "may or may not" in text.note


# -- opt-out -------------------------------------------------------------------------------
def test_an_opted_out_number_is_never_texted_and_the_refusal_is_logged(make_desk, clock):
    desk = make_desk()
    desk.line.text_in(CALLER, "Please stop texting me")
    result = desk.messages.poll()
    assert result.opted_out == [CALLER] and result.confirmed == [CALLER]
    assert "unsubscribed" in desk.line.sent[0].body  # the one confirmation
    assert desk.app.consent.check(CALLER)["allowed"] is False

    # The service layer refuses, whoever asks: the follow-up worker...
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    text = next(t for t in desk.tasks(CALLER) if t.kind == "text")
    assert text.state == "skipped" and "opted out" in text.note
    # ...or any other caller of Texting.
    with pytest.raises(SendRefused, match="opted out"):
        desk.texting.send(CALLER, "hello", person("Dana"), "a manual text")
    assert len(desk.line.sent) == 1  # still only the confirmation
    refused = changes(desk.app, "refused")
    assert len(refused) == 2 and all("opted out" in e.after["why"] for e in refused)
    # A second STOP is not confirmed again.
    desk.line.text_in(CALLER, "STOP")
    desk.messages.poll()
    assert len(desk.line.sent) == 1


def test_start_resubscribes_and_every_record_is_kept(make_desk, clock):
    desk = make_desk()
    desk.line.text_in(CALLER, "STOP", ago_seconds=120)
    desk.line.text_in(CALLER, "can you stop by at 3?", ago_seconds=60)  # not an opt-in
    desk.messages.poll()
    assert desk.app.consent.check(CALLER)["allowed"] is False
    desk.line.text_in(CALLER, "START")
    clock.advance(seconds=10)
    result = desk.messages.poll()
    assert result.opted_in == [CALLER]
    assert desk.app.consent.check(CALLER)["allowed"] is True
    history = desk.app.consent.history(CALLER)
    assert [r.status for r in history] == ["opted_out", "opted_in"]
    assert [r.evidence for r in history] == ["STOP", "START"]
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    assert desk.line.sent[-1].body.startswith("Hi, this is Riverside Plumbing")


def test_an_opt_out_holds_on_every_provider(app_factory, make_desk, clock):
    desk = make_desk()
    desk.line.text_in(CALLER, "UNSUBSCRIBE")
    desk.messages.poll()

    class OtherLine(ScriptedLine):
        name = "other"  # the shop moved to another phone provider
    other = OtherLine(clock)
    texting = Texting(desk.app.uow, other, ["phone:send_sms"], clock)
    with pytest.raises(SendRefused):
        texting.send(CALLER, "hi", person("Dana"), "test")
    assert other.sent == []


def test_inbound_texts_are_stored_once_and_a_reply_lands_on_the_callers_item(make_desk, clock):
    desk = make_desk(**{"textback.enabled": False})
    desk.line.ring(CALLER)
    desk.poll()
    desk.line.text_in(CALLER, "Thanks, call me after 3pm")
    assert desk.messages.poll().new == 1
    assert desk.messages.poll().new == 0  # the overlap re-reads it: stored once
    history = desk.queue.detail(desk.item(CALLER).id).history
    assert any("call me after 3pm" in h.summary for h in history)


def test_a_person_can_record_a_spoken_opt_out(make_desk):
    desk = make_desk()
    with pytest.raises(ValueError, match="say what the customer asked"):
        desk.app.consent.record(CALLER, "opted_out", person("Dana"), " ")
    desk.app.consent.record(CALLER, "opted_out", person("Dana"), "asked on the phone")
    verdict = desk.app.consent.check(CALLER)
    assert verdict["allowed"] is False
    assert "recorded by person:Dana: asked on the phone" in verdict["reason"]


def test_a_late_read_start_does_not_undo_a_newer_opt_out(make_desk, clock):
    desk = make_desk()
    desk.line.text_in(CALLER, "START", ago_seconds=3 * 3600)  # sent at noon, read late
    desk.app.consent.record(CALLER, "opted_out", person("Dana"), "asked on the phone at 2")
    desk.messages.poll()
    assert desk.app.consent.check(CALLER)["allowed"] is False
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    assert desk.line.sent == []


def test_only_the_customer_can_undo_an_opt_out_they_texted(make_desk, clock):
    desk = make_desk()
    desk.line.text_in(CALLER, "STOP")
    desk.messages.poll()
    with pytest.raises(ValueError, match="only the customer can opt back in"):
        desk.app.consent.record(CALLER, "opted_in", person("Dana"), "she said it's fine")
    assert desk.app.consent.check(CALLER)["allowed"] is False


# -- the plan and the retry limit ----------------------------------------------------------
def test_the_default_plan_runs_its_steps_and_records_each_task(make_desk, clock):
    desk = make_desk(**{"business.holidays": ["2025-02-13"]})  # Thursday is a holiday
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    item = desk.item(CALLER)
    tasks = desk.tasks(CALLER)
    assert [(t.kind, t.state) for t in tasks] == [("text", "done"), ("call", "pending")]
    assert tasks[1].due_at <= clock()  # a callback now: the caller is in Call now
    assert [t.task_id for t in desk.followup.due_tasks()] == [tasks[1].task_id]

    desk.queue.mark_called_back(item.id, "Dana")  # try 1, 15:00 -> next in 2 h
    row = desk.item(CALLER)
    # 17:00 is closing time: the next try is when the shop opens, Friday (Thursday is off).
    friday_8 = datetime(2025, 2, 14, 8, 0, tzinfo=CHICAGO).astimezone(timezone.utc)
    assert row.state == "waiting" and row.follow_up_at == friday_8
    assert desk.followup.due_tasks() == []

    clock.set(friday_8 + timedelta(minutes=5))
    assert [t.kind for t in desk.followup.due_tasks()] == ["call"]
    desk.queue.mark_called_back(item.id, "Dana")  # try 2 -> next business morning: Monday
    monday_8 = datetime(2025, 2, 17, 8, 0, tzinfo=CHICAGO).astimezone(timezone.utc)
    assert desk.item(CALLER).follow_up_at == monday_8

    clock.set(monday_8 + timedelta(minutes=20))
    desk.queue.mark_called_back(item.id, "Dana")  # try 3: the retry limit (3)
    close = desk.tasks(CALLER)[-1]
    assert close.kind == "close" and close.due_at == clock() + timedelta(hours=2)
    clock.advance(hours=2)
    report = desk.followup.run_due()
    assert report.closed == [item.id]
    done = desk.item(CALLER)
    assert done.state == "done" and done.disposition == "no_response"
    assert [(t.kind, t.state, t.finished_by) for t in desk.tasks(CALLER)] == [
        ("text", "done", "worker:follow-up"), ("call", "done", "person:Dana"),
        ("call", "done", "person:Dana"), ("call", "done", "person:Dana"),
        ("close", "done", "worker:follow-up")]
    assert desk.followup.completion() == {"text": {"done": 1}, "call": {"done": 3},
                                          "close": {"done": 1}}


def test_the_retry_limit_closes_an_item_as_no_response(make_desk, clock):
    desk = make_desk(**{"followup.max_attempts": 2,
                        "followup.plan": [{"do": "call", "at": "now"},
                                          {"do": "call", "at": "30m"},
                                          {"do": "call", "at": "30m"},
                                          {"do": "call", "at": "30m"}]})  # no close step
    desk.line.ring(CALLER)
    desk.poll()
    item = desk.item(CALLER)
    desk.queue.mark_called_back(item.id, "Dana")
    clock.advance(minutes=31)
    # The second try is seen on the line (she dialled from her desk phone).
    desk.line.ring(CALLER, direction="outbound", outcome="answered", ago_seconds=60)
    desk.poll()
    report = desk.followup.run_due()
    assert report.closed == [item.id]
    row = desk.item(CALLER)
    assert row.state == "done" and row.disposition == "no_response"
    reasons = [e.reason for e in changes(desk.app, "resolved")]
    assert any("retry limit" in r for r in reasons)
    assert [t.state for t in desk.tasks(CALLER) if t.kind == "call"] == ["done", "done"]


def test_a_repeat_call_brings_the_next_callback_forward(make_desk, clock):
    desk = make_desk()
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()  # the text-back goes
    desk.queue.mark_called_back(desk.item(CALLER).id, "Dana")
    assert desk.item(CALLER).state == "waiting"
    clock.advance(minutes=10)
    desk.line.ring(CALLER)  # she calls back while we wait: call her now
    desk.poll()
    row = desk.item(CALLER)
    assert row.state != "waiting"
    pending = [t for t in desk.tasks(CALLER) if t.state == "pending"]
    assert [t.kind for t in pending] == ["call"] and pending[0].due_at <= clock()


def test_settling_a_caller_cancels_what_was_planned(make_desk, clock):
    desk = make_desk(**{"textback.enabled": False})
    desk.line.ring(CALLER)
    desk.poll()
    desk.queue.resolve(desk.item(CALLER).id, "Dana", "booked")
    assert [(t.kind, t.state) for t in desk.tasks(CALLER)] == [("call", "cancelled")]
    assert desk.followup.run_due().closed == []


def test_a_person_skips_a_callback_with_a_reason(make_desk, clock):
    from desktop.domain.followup import FollowUpError
    desk = make_desk(**{"textback.enabled": False})
    desk.line.ring(CALLER)
    desk.poll()
    call = desk.tasks(CALLER)[0]
    with pytest.raises(FollowUpError, match="say why"):
        desk.followup.skip(call.task_id, "Dana", "")
    desk.followup.skip(call.task_id, "Dana", "caller said by text to call after 3")
    tasks = desk.tasks(CALLER)
    assert (tasks[0].state, tasks[0].finished_by) == ("skipped", "person:Dana")
    assert tasks[1].kind == "call" and tasks[1].state == "pending"


# -- ownership -----------------------------------------------------------------------------
def test_an_unclaimed_caller_raises_one_alert(make_desk, clock):
    desk = make_desk(**{"textback.enabled": False, "followup.unclaimed_alert_minutes": 15})
    desk.line.ring(CALLER, name="Maria Lopez")
    desk.line.ring("+17735550143")
    desk.poll()
    desk.queue.claim(desk.item("+17735550143").id, "Lee")
    clock.advance(minutes=10)
    assert desk.followup.run_due().unclaimed == []
    clock.advance(minutes=6)
    alerts = desk.followup.run_due().unclaimed
    assert [a.phone for a in alerts] == [CALLER]
    assert "Maria Lopez has waited 16 min" in alerts[0].words()
    assert desk.followup.run_due().unclaimed == []  # once
    assert len(changes(desk.app, "unclaimed_alert")) == 1


def test_reassigning_needs_a_reason_and_a_backup_covers_an_away_owner(make_desk, clock):
    desk = make_desk(**{"textback.enabled": False})
    desk.line.ring(CALLER)
    desk.poll()
    item = desk.item(CALLER)
    desk.queue.claim(item.id, "Dana")
    with pytest.raises(QueueRuleError, match="Dana already has"):
        desk.queue.mark_called_back(item.id, "Lee")
    with pytest.raises(QueueRuleError, match="why"):
        desk.queue.reassign(item.id, "Dana", "Lee", "  ")
    desk.queue.reassign(item.id, "Dana", "Lee", "Dana is on the phone with a supplier")
    assert desk.item(CALLER).owner == "Lee"
    assert changes(desk.app, "reassigned")[-1].reason == "Dana is on the phone with a supplier"

    desk.app.settings_service.set_many({"staff.away": ["Lee"], "staff.backups": {"Lee": "Sam"}},
                                       person("owner"))
    desk = Desk(desk.app, desk.line, clock)  # the services read the new staffing
    assert [t.assignee for t in desk.followup.due_tasks()] == ["Sam"]
    desk.queue.mark_called_back(item.id, "Sam")  # Sam covers Lee's caller
    row = desk.item(CALLER)
    assert row.owner == "Sam" and row.state == "waiting"
    assert changes(desk.app, "reassigned")[-1].reason == "covering for Lee, who is away"


# -- the owner's templates -----------------------------------------------------------------
def test_changing_a_template_or_enabling_text_back_needs_the_owner(make_desk):
    desk = make_desk()
    settings = desk.app.settings_service
    with pytest.raises(OwnerRefused, match="owner passcode"):
        settings.set("textback.template", "Hi{first_name}! {business} here. Reply STOP to "
                     "opt out.", person("Dana"))
    with pytest.raises(OwnerRefused):
        settings.set("textback.enabled", False, person("Dana"), passcode="guess")
    with pytest.raises(OwnerRefused):
        settings.set("oncall.template", "{business}: call {caller_phone}", person("Dana"))
    settings.set("textback.template", "Hi{first_name}! {business} here, we'll call "
                 "{callback_window}. Reply STOP to opt out.", person("owner"), passcode=OWNER)
    assert "we'll call" in settings.load()["textback.template"]
    from desktop.config import SettingError
    with pytest.raises(SettingError, match=r"unknown field\(s\) \{phone\}"):
        settings.set("textback.template", "{phone} Reply STOP", person("owner"), passcode=OWNER)
    with pytest.raises(SettingError, match="opt out"):
        settings.set("textback.template", "Hi from {business}", person("owner"),
                     passcode=OWNER)


def test_a_text_waiting_for_morning_is_dropped_once_we_have_called_back(make_desk, clock):
    # 07:30 in Chicago is 05:30 in Los Angeles: the text waits for 08:00 there.
    clock.set(datetime(2025, 2, 12, 7, 30, tzinfo=CHICAGO))
    desk = make_desk(**{"business.hours": {d: "07:00-17:00" for d in
                                           ("mon", "tue", "wed", "thu", "fri")}})
    los_angeles = "+13235550142"
    desk.line.ring(los_angeles)
    desk.poll()
    assert desk.followup.run_due().rescheduled
    desk.queue.mark_called_back(desk.item(los_angeles).id, "Dana")  # 07:31: she called
    clock.set(datetime(2025, 2, 12, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles")))
    desk.followup.run_due()
    assert desk.line.sent == []
    text = next(t for t in desk.tasks(los_angeles) if t.kind == "text")
    assert text.state == "cancelled" and "called back" in text.note


def test_a_planning_failure_costs_the_plan_never_the_call_or_the_log(make_desk, clock):
    desk = make_desk(**{"business.hours": {}})  # never open: no callback can be planned
    desk.line.ring(CALLER)
    desk.poll()
    assert desk.item(CALLER).calls == 1  # the call and its item are stored
    assert desk.tasks(CALLER) == []
    assert desk.app.changelog.verify() is None  # the undone entries left no gap


def test_a_plan_without_callbacks_still_closes_after_a_repeat_call(make_desk, clock):
    desk = make_desk(**{"followup.plan": [{"do": "text", "at": "now"},
                                          {"do": "close", "at": "1d"}]})
    desk.line.ring(CALLER)
    desk.poll()
    desk.followup.run_due()
    with desk.app.uow(write=True) as uow:  # the caller waits for the closing
        item = uow.queue.get(desk.item(CALLER).id)
        item.wait_until(clock() + timedelta(days=1))
        uow.commit()
    clock.advance(hours=1)
    desk.line.ring(CALLER)
    desk.poll()
    pending = [t for t in desk.tasks(CALLER) if t.state == "pending"]
    assert [t.kind for t in pending] == ["close"]
    clock.advance(days=1, minutes=1)
    assert desk.followup.run_due().closed == [desk.item(CALLER).id]


def test_a_plan_shortened_midway_still_ends_in_a_close(make_desk, clock):
    desk = make_desk(**{"textback.enabled": False})
    desk.line.ring(CALLER)
    desk.poll()
    item = desk.item(CALLER)
    desk.queue.mark_called_back(item.id, "Dana")  # step 1 done, step 2 planned
    from fakes import as_owner
    as_owner(desk.app, {"followup.plan": [{"do": "call", "at": "now"},
                                          {"do": "close", "at": "1h"}]})
    desk = Desk(desk.app, desk.line, clock)
    clock.advance(hours=2)
    desk.queue.mark_called_back(item.id, "Dana")  # finishes step 2, which the plan lost
    assert [t.kind for t in desk.tasks(CALLER) if t.state == "pending"] == ["close"]
