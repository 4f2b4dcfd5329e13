"""Emergencies end to end on a real SQLite database and the Twilio fake over HTTP: triage
in the sync pass raises the alert with the call; the alert repeats until acknowledged;
confirm and downgrade are a person's, in the change log; the on-call person is texted
through Twilio after the escalation window (or at once on confirmation) -- and is not when
phone:send_sms is withheld, when the banner says whom to call instead."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes import as_owner
from fake_twilio import (  # noqa: F401  (fixtures)
    ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER, forwarded, twilio_call, twilio_fake, twilio_server,
)

from desktop.domain.changelog import person
from desktop.domain.emergencies import AlertRuleError

CALLER = "+17735550142"
ON_CALL = {"name": "Sam Ortiz", "phone": "+13125550199"}
FLOOD = ("hi this is maria at 2214 west belmont, there's water pouring through the kitchen "
         "ceiling, please call me back 773 555 0142")


def setup(app_factory, fake, memory_keyring, *, texts: bool, clock) -> object:
    app = app_factory()
    as_owner(app, {
        "phone.provider": "twilio", "phone.twilio.account_sid": ACCOUNT_SID,
        "phone.base_url": fake.url, "business.timezone": "America/Chicago",
        "phone.scopes": ["phone:read_calls"] + (["phone:send_sms"] if texts else []),
        "oncall.rota": {day: ON_CALL for day in ("mon", "tue", "wed", "thu", "fri")},
    })
    app.secrets.set("phone.twilio.auth_token", AUTH_TOKEN)
    return app_factory()


@pytest.fixture
def desk(app_factory, twilio_fake, memory_keyring, clock):
    return setup(app_factory, twilio_fake, memory_keyring, texts=True, clock=clock)


def voicemail(fake, clock, text: str, caller: str = CALLER, minutes_ago: int = 3) -> dict:
    call = forwarded(fake, caller, clock() - timedelta(minutes=minutes_ago),
                     [("no-answer", 0)], after=30, caller_name="GONZALEZ MARIA")
    fake.add_voicemail(call, text)
    return call


def actions(app, entity: str) -> list[str]:
    return [r.action for r in app.changelog.rows() if r.entity == entity]  # oldest first


def test_an_emergency_voicemail_raises_its_alert_in_the_same_poll(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    voicemail(twilio_fake, clock, "hi, could I get a quote for a new water heater? thanks",
              caller="+13125550177")
    result = desk.sync.poll()
    assert result.error is None and len(result.alerts) == 1
    [alert] = desk.emergencies.open_alerts()
    assert alert.phone == CALLER and alert.caller == "GONZALEZ MARIA"
    assert "water coming in" in alert.reasons[0]
    rows = {r.phone: r for r in desk.queue.board()}
    assert rows[CALLER].urgency == "emergency"
    assert rows["+13125550177"].urgency == "routine"
    assert actions(desk, "emergency_alert") == ["raised"]
    assert "triaged" in actions(desk, "queue_item")
    # The next poll sees the same call again (the overlap): no second alert.
    clock.advance(seconds=30)
    assert desk.sync.poll().alerts == [] and len(desk.emergencies.open_alerts()) == 1


def test_the_alert_repeats_until_someone_acknowledges_it(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    assert len(desk.emergencies.due_notifications()) == 1
    assert desk.emergencies.due_notifications() == []          # not again at once
    clock.advance(seconds=desk.settings["alerts.repeat_seconds"])
    [again] = desk.emergencies.due_notifications()              # a minute later: again
    acknowledged = desk.emergencies.acknowledge(again.id, "Dana")
    assert acknowledged.acknowledged_by == "Dana"
    clock.advance(minutes=10)
    assert desk.emergencies.due_notifications() == []
    assert desk.emergencies.escalate_due() == []  # a person has it: nobody is texted
    assert twilio_fake.messages == []
    entry = [r for r in desk.changelog.rows() if r.action == "acknowledged"][0]
    assert entry.actor == "person:Dana" and entry.at == clock() - timedelta(minutes=10)


def test_unacknowledged_past_the_window_texts_the_on_call_person(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    clock.advance(minutes=4)
    assert desk.emergencies.escalate_due() == []  # still inside the 5-minute window
    clock.advance(minutes=1)
    [escalated] = desk.emergencies.escalate_due()
    assert escalated.escalation == "texted" and escalated.escalated_to.startswith("Sam Ortiz")
    [message] = twilio_fake.messages
    assert message["to"] == ON_CALL["phone"] and message["from"] == SHOP_NUMBER
    body = message["body"]
    assert "EMERGENCY" in body and "GONZALEZ MARIA" in body and "(773) 555-0142" in body
    assert "water pouring through the kitchen ceiling" in body
    assert desk.emergencies.escalate_due() == [] and len(twilio_fake.messages) == 1  # once
    assert actions(desk, "emergency_alert")[-2:] == ["escalating", "escalation_texted"]
    assert "sent" in actions(desk, "text_message")


def test_without_the_sms_scope_nobody_is_texted_and_the_alert_says_whom_to_call(
        app_factory, twilio_fake, memory_keyring, clock):
    desk = setup(app_factory, twilio_fake, memory_keyring, texts=False, clock=clock)
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    clock.advance(minutes=6)
    [alert] = desk.emergencies.escalate_due()
    assert twilio_fake.messages == []
    assert alert.escalation == "not_allowed"
    assert "Call Sam Ortiz (312) 555-0199 now" in alert.status()
    assert "refused" in actions(desk, "text_message")


def test_confirming_escalates_at_once_and_downgrading_closes_the_alert(desk, twilio_fake,
                                                                      clock):
    voicemail(twilio_fake, clock, FLOOD)
    voicemail(twilio_fake, clock, "my carbon monoxide alarm is going off by the furnace",
              caller="+13125550188")
    desk.sync.poll()
    flood, co = sorted(desk.emergencies.open_alerts(), key=lambda a: a.phone != CALLER)
    confirmed = desk.emergencies.confirm(flood.id, "Dana")
    assert confirmed.decision == "confirmed" and confirmed.decided_by == "Dana"
    [escalated] = desk.emergencies.escalate_due()  # no waiting for the window
    assert escalated.id == flood.id and len(twilio_fake.messages) == 1

    downgraded = desk.emergencies.downgrade(co.id, "Dana", "urgent")
    assert downgraded.closed
    rows = {r.phone: r for r in desk.queue.board()}
    assert rows["+13125550188"].urgency == "urgent" and rows[CALLER].urgency == "emergency"
    with pytest.raises(AlertRuleError):
        desk.emergencies.confirm(co.id, "Dana")
    clock.advance(minutes=30)
    assert desk.emergencies.escalate_due() == [] and len(twilio_fake.messages) == 1
    assert {"confirmed", "downgraded"} <= set(actions(desk, "emergency_alert"))
    assert actions(desk, "queue_item").count("urgency_set") == 2


def test_resolving_the_caller_closes_the_alert(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    [alert] = desk.emergencies.open_alerts()
    desk.queue.resolve(alert.queue_item_id, "Dana", "lead_created")
    assert desk.emergencies.open_alerts() == []
    clock.advance(minutes=10)
    assert desk.emergencies.escalate_due() == [] and twilio_fake.messages == []


def test_headless_sync_escalates_on_time_with_no_desk_open(cli, twilio_fake, memory_keyring,
                                                           app_factory):
    """The desk is closed for the night; `frontdesk sync` runs on a back-office PC. An
    emergency nobody acknowledged is still texted to the on-call person."""
    from datetime import datetime, timezone

    import sqlalchemy

    assert cli("owner", "passcode", stdin="owner-1234\n")[0] == 0
    for key, value in (("phone.provider", "twilio"), ("phone.twilio.account_sid", ACCOUNT_SID),
                       ("phone.base_url", twilio_fake.url),
                       ("phone.scopes", '["phone:read_calls", "phone:send_sms"]'),
                       ("oncall.rota", json.dumps({day: ON_CALL for day in (
                           "mon", "tue", "wed", "thu", "fri", "sat", "sun")}))):
        code, _, err = cli("config", "set", key, value, stdin="owner-1234\n")
        assert code == 0, err
    assert cli("secret", "set", "phone.twilio.auth_token", stdin=AUTH_TOKEN + "\n")[0] == 0
    voicemail(twilio_fake, lambda: datetime.now(timezone.utc).replace(microsecond=0), FLOOD)
    code, _, err = cli("sync", "--once")
    assert code == 0 and "1 EMERGENCY alert(s)" in err, err
    assert twilio_fake.messages == []  # inside the window: the desk would have a chance
    app = app_factory()
    with app.engine.begin() as conn:  # ten minutes pass with nobody at the desk
        conn.execute(sqlalchemy.text("UPDATE emergency_alerts SET raised_at = :at"),
                     {"at": datetime.now(timezone.utc) - timedelta(minutes=10)})
    code, _, err = cli("sync", "--once")
    assert code == 0 and "on-call Sam Ortiz (312) 555-0199 was texted" in err, err
    assert [m["to"] for m in twilio_fake.messages] == [ON_CALL["phone"]]


def test_an_old_emergency_found_by_the_first_backfill_is_marked_but_raises_no_alert(
        desk, twilio_fake, clock):
    """The first sync reads a week of history: a burst pipe from two days ago is history
    (its urgency says what it was), not an alert to text someone about now."""
    voicemail(twilio_fake, clock, FLOOD, minutes_ago=2 * 24 * 60)
    result = desk.sync.poll()
    assert result.error is None and result.alerts == []
    assert desk.emergencies.open_alerts() == []
    assert {r.phone: r.urgency for r in desk.queue.board()}[CALLER] == "emergency"


def test_taking_a_lead_for_the_caller_closes_the_alert(desk, twilio_fake, clock):
    from desktop.domain.leads import LeadDraft
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    [alert] = desk.emergencies.open_alerts()
    desk.leads.create(LeadDraft.from_mapping({
        "name": "Maria Gonzalez", "phone": CALLER, "service_address": "2214 W Belmont Ave",
        "service_type": "Leak / burst pipe", "urgency": "emergency", "source": "Yelp",
        "queue_item_id": alert.queue_item_id}), "Dana")
    assert desk.emergencies.open_alerts() == []
    clock.advance(minutes=10)
    assert desk.emergencies.due_notifications() == [] and desk.emergencies.escalate_due() == []
    assert twilio_fake.messages == []


def test_a_persons_downgrade_stands_until_a_new_voicemail_says_otherwise(desk, twilio_fake,
                                                                         clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    [alert] = desk.emergencies.open_alerts()
    desk.emergencies.downgrade(alert.id, "Dana", "urgent")
    # She rings again and hangs up: same voicemail on the item, no new evidence.
    clock.advance(minutes=2)
    twilio_fake.add(twilio_call(frm=CALLER, to=SHOP_NUMBER, start=clock() - timedelta(
        seconds=40), ring=25, status="no-answer"))
    assert desk.sync.poll().alerts == []
    assert {r.phone: r.urgency for r in desk.queue.board()}[CALLER] == "urgent"
    # A new voicemail that says emergency reopens it.
    clock.advance(minutes=2)
    voicemail(twilio_fake, clock, "it's maria again, now the ceiling is coming down, "
              "water everywhere", minutes_ago=1)
    assert len(desk.sync.poll().alerts) == 1
    assert {r.phone: r.urgency for r in desk.queue.board()}[CALLER] == "emergency"


def test_a_confirmed_emergency_is_not_stood_down_by_a_stale_click(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    [alert] = desk.emergencies.open_alerts()
    desk.emergencies.confirm(alert.id, "Owner")
    with pytest.raises(AlertRuleError, match="Owner confirmed this emergency"):
        desk.emergencies.downgrade(alert.id, "Dana", "routine")


def test_an_interrupted_send_is_reported_so_a_person_calls(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    clock.advance(minutes=6)
    [alert] = desk.emergencies.open_alerts()
    assert desk.emergencies._claim(alert.id) is not None  # claimed, then the desk died
    assert desk.emergencies.get(alert.id).escalation == "sending"
    clock.advance(minutes=3)
    [reported] = desk.emergencies.escalate_due()
    assert reported.escalation == "failed" and "call them now" in reported.status()
    assert twilio_fake.messages == []


def test_a_rota_change_reaches_a_desk_that_is_already_running(desk, twilio_fake, clock):
    voicemail(twilio_fake, clock, FLOOD)
    desk.sync.poll()
    swap = {"name": "Lee Park", "phone": "+13125550111"}
    today = clock().astimezone(ZoneInfo("America/Chicago")).date().isoformat()
    desk.settings_service.set("oncall.overrides", {today: swap}, person("owner"))
    clock.advance(minutes=6)
    [escalated] = desk.emergencies.escalate_due()
    assert escalated.escalated_to.startswith("Lee Park")
    assert twilio_fake.messages[0]["to"] == swap["phone"]
