"""Test doubles shared by the test folders (importable as `fakes`: tests/ is on sys.path)."""

from __future__ import annotations

import itertools

from desktop.adapters.crm.base import Crm, CrmContact, CrmWrite
from desktop.adapters.errors import ProblemKind, ProviderError
from desktop.adapters.phone.base import ConnectionCheck, PhoneProvider


OWNER_PASSCODE = "owner-passcode-1"


def as_owner(app, values: dict, reason: str | None = None) -> None:
    """Change settings as the owner (owner-only ones need the passcode; set it if unset)."""
    from desktop.domain.changelog import person
    owner = app.settings_service.owner
    if not owner.is_set():
        owner.set(OWNER_PASSCODE, None, person("owner"))
    app.settings_service.set_many(values, person("owner"), reason, passcode=OWNER_PASSCODE)


class StaticLine(PhoneProvider):
    """A phone line that holds a fixed list of calls and lists them by end time."""

    name = "static"
    label = "Static"

    def __init__(self, calls, messages=()):
        self.calls = list(calls)
        self.messages = list(messages)  # InboundMessage

    def list_calls(self, since, until):
        return iter([[c for c in self.calls if since <= c.ended_at < until]])

    def fetch_transcript(self, provider_call_id):
        return next((c.transcript for c in self.calls
                     if c.provider_call_id == provider_call_id), None)

    def list_messages(self, since, until):
        return iter([[m for m in self.messages if since <= m.received_at < until]])

    def send_sms(self, to_number, body):
        raise AssertionError("these tests send no texts")

    def test_connection(self):
        return ConnectionCheck(True, "ok")


class MemoryCrm(Crm):
    """A CRM in a dict, with the failure modes the delivery worker must survive.

    * `search_lag`: contacts and records are invisible to phone/email search for this many
      `clock` seconds after creation (HubSpot's index lag); lookups by our key see them
      at once, as HubSpot's idProperty read does.
    * `fail(op, error, times)`: the next `times` calls of `op` raise `error`.
    * `lose_answer(op, times)`: the call does its work, then raises as if the answer
      had been lost (a timeout after the CRM committed).
    * `crash_after(op)`: the call does its work, then raises `Crash` (a BaseException, so
      nothing in the app catches it): the process "dies" before our commit.
    """

    name = "memory"
    label = "MemoryCRM"
    default_field_map = {"name": "contact.name", "phone": "contact.phone",
                         "email": "contact.email", "service_address": "contact.address",
                         "service_type": "lead.title",
                         "source": ["contact.source", "lead.body"], "urgency": "lead.body",
                         "notes": "lead.body"}
    required = ("contact.name", "lead.title")
    updatable = ("email", "address")

    def __init__(self, clock=None, search_lag: float = 0.0):
        self.clock = clock
        self.search_lag = search_lag
        self.contacts: dict[str, dict] = {}
        self.records: dict[str, dict] = {}
        self.calls: list[str] = []
        self._failures: dict[str, list] = {}
        self._hooks: dict[str, list] = {}
        self.drops_empty_updates = False  # like Jobber: an empty value is not sent
        self._ids = itertools.count(101)

    # -- test controls --------------------------------------------------------------------
    def fail(self, op: str, error: BaseException, times: int = 1) -> None:
        self._failures.setdefault(op, []).extend([("before", error)] * times)

    def lose_answer(self, op: str, times: int = 1) -> None:
        error = ProviderError("MemoryCRM did not answer in time", ProblemKind.NETWORK)
        self._failures.setdefault(op, []).extend([("after", error)] * times)

    def crash_after(self, op: str) -> None:
        self._failures.setdefault(op, []).append(("after", Crash(op)))

    def meanwhile(self, op: str, fn) -> None:
        """Run fn() once, inside the next call of `op`, after its work and before it
        returns: another desk acting while this call's answer is on its way."""
        self._hooks.setdefault(op, []).append(fn)

    def seed(self, name: str, phone: str | None, email: str | None = None,
             address: str | None = None) -> str:
        crm_id = str(next(self._ids))
        self.contacts[crm_id] = {"name": name, "phone": phone, "email": email,
                                 "address": address, "key": None, "created": -1e9}
        return crm_id

    def records_for(self, contact_id: str) -> list[dict]:
        return [r for r in self.records.values() if r["contact_id"] == contact_id]

    # -- the port -------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock().timestamp() if self.clock else 0.0

    def _call(self, op: str, work):
        self.calls.append(op)
        queued = self._failures.get(op)
        when, error = queued.pop(0) if queued else (None, None)
        if when == "before":
            raise error
        result = work()
        hooks = self._hooks.get(op)
        if hooks:
            hooks.pop(0)()
        if when == "after":
            raise error
        return result

    def _visible(self, record: dict) -> bool:
        return self._now() - record["created"] >= self.search_lag

    def find_contact(self, key, phone, email):
        def work():
            for crm_id, c in self.contacts.items():
                if key and c["key"] == key:
                    return self._contact(crm_id)
            for field_, value in (("phone", phone), ("email", email)):
                for crm_id, c in self.contacts.items():
                    if value and c[field_] == value and self._visible(c):
                        return self._contact(crm_id)
            return None
        return self._call("find_contact", work)

    def _contact(self, crm_id):
        c = self.contacts[crm_id]
        return CrmContact(crm_id=crm_id, name=c["name"], phone=c["phone"], email=c["email"],
                          address=c["address"], key=c["key"])

    def _existing(self, crm_id):
        if crm_id not in self.contacts:
            raise ProviderError(f"MemoryCRM has no contact {crm_id}", ProblemKind.NOT_CONFIGURED)
        return self.contacts[crm_id]

    def read_contact(self, crm_id):
        return self._call("read_contact", lambda: {k: self._existing(crm_id)[k]
                                                   for k in self.updatable})

    def create_contact(self, fields, key):
        def work():
            crm_id = str(next(self._ids))
            self.contacts[crm_id] = {"name": fields.get("name"), "phone": fields.get("phone"),
                                     "email": fields.get("email"),
                                     "address": fields.get("address"),
                                     "source": fields.get("source"), "key": key,
                                     "created": self._now()}
            return CrmWrite(kind="contact", crm_id=crm_id, action="created", after=dict(fields),
                            undo=f"Delete MemoryCRM contact {crm_id}.")
        return self._call("create_contact", work)

    def update_contact(self, crm_id, changes):
        def work():
            sent = {k: v for k, v in changes.items()
                    if v or not self.drops_empty_updates}
            before = {k: self.contacts[crm_id][k] for k in sent}
            self.contacts[crm_id].update(sent)
            return CrmWrite(kind="contact", crm_id=crm_id, action="updated", before=before,
                            after=sent, undo="Revert it from Front Desk.")
        return self._call("update_contact", work)

    def find_lead_record(self, contact_id, key):
        def work():
            for crm_id, r in self.records.items():
                if r["contact_id"] == contact_id and r["key"] == key:
                    return CrmWrite(kind="request", crm_id=crm_id, action="linked",
                                    after=dict(r["fields"]), undo="Delete it.")
            return None
        return self._call("find_lead_record", work)

    def create_lead(self, contact_id, fields, key):
        def work():
            self._existing(contact_id)
            crm_id = f"R{next(self._ids)}"
            self.records[crm_id] = {"contact_id": contact_id, "key": key,
                                    "fields": dict(fields), "created": self._now()}
            return CrmWrite(kind="request", crm_id=crm_id, action="created",
                            after=dict(fields), undo=f"Delete MemoryCRM request {crm_id}.")
        return self._call("create_lead", work)

    def add_note(self, contact_id, text):
        return self.create_lead(contact_id, {"body": text}, key="")

    def contacts_changed_since(self, since):
        """One page per contact, oldest first (all of them: the sync filters nothing)."""
        stamp = self.clock() if self.clock else None
        return iter([[CrmContact(crm_id=crm_id, name=c["name"], phone=c["phone"],
                                 updated_at=stamp)] for crm_id, c in self.contacts.items()])

    def jobs_changed_since(self, since):
        return iter([])

    def test_connection(self):
        return ConnectionCheck(True, "ok")


class Crash(BaseException):
    """The process 'dies' here: no except clause in the app catches a BaseException."""


class ScriptedLine(StaticLine):
    """A line the test drives: `ring()` adds a missed call, `text_in()` an inbound text,
    and every text sent is kept in `sent` (or refused with `fail_sends`)."""

    name = "scripted"
    label = "Scripted"

    def __init__(self, clock, shop_number: str = "+13125550100"):
        super().__init__([])
        self.clock, self.shop_number = clock, shop_number
        self.sent: list = []
        self.fail_sends: Exception | None = None

    _ids = itertools.count(1)  # shared: two lines in one test never reuse an id

    def ring(self, caller: str, *, outcome="missed", direction="inbound", name=None,
             ago_seconds: int = 40):
        from desktop.domain.calls import Direction, Outcome, ProviderCall
        from datetime import timedelta
        started = self.clock() - timedelta(seconds=ago_seconds)
        inbound = direction == "inbound"
        call = ProviderCall(
            provider_call_id=f"CA{next(self._ids):032d}",
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            from_number=caller if inbound else self.shop_number,
            to_number=self.shop_number if inbound else caller, started_at=started,
            outcome=Outcome(outcome), raw_status="no-answer" if outcome == "missed" else outcome,
            ended_at=started + timedelta(seconds=25), duration_s=25, caller_name=name)
        self.calls.append(call)
        return call

    def text_in(self, caller: str, body: str, ago_seconds: int = 5):
        from datetime import timedelta
        from desktop.adapters.phone.base import InboundMessage
        message = InboundMessage(f"SM{next(self._ids):032d}", caller, self.shop_number, body,
                                 self.clock() - timedelta(seconds=ago_seconds))
        self.messages.append(message)
        return message

    def send_sms(self, to_number, body):
        from desktop.adapters.phone.base import SentMessage
        if self.fail_sends is not None:
            raise self.fail_sends
        sent = SentMessage(f"SM{next(self._ids):032d}", to_number, body, self.clock())
        self.sent.append(sent)
        return sent
