"""Follow-up that gets done: plans, the text-back, the close, unclaimed callers.

* `Planner` keeps each item's plan as the queue changes; it is called inside the
  transaction that changes the item (the sync, a person's "Called back"), so a task never
  goes missing or doubles.
* `FollowUpService.run_due` is the follow-up worker: it sends due text-backs within the
  timing rules (or moves them to the next allowed moment, never drops them), closes items
  whose plan has run out as "no response", and reports unclaimed callers.
* `cancel_tasks_of` ends an item's pending tasks when a person settles the caller.

Every change to a task is a change-log entry on the queue item, with who and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from desktop.adapters.phone.base import ProviderError
from desktop.domain.changelog import person, worker
from desktop.domain.clock import Clock, utcnow
from desktop.domain.consent import Purpose, SendRefused
from desktop.domain.followup import (BusinessCalendar, FollowUpError, FollowUpTask, Plan, Staffing,
                                     TaskKind, TaskState, callback_window, parse_holidays,
                                     render_textback)
from desktop.domain.oncall import OpeningHours
from desktop.domain.permissions import ScopeRefused
from desktop.domain.queue import ItemState, QueueItem
from desktop.domain.send_window import is_allowed, next_allowed, recipient
from desktop.services.emergencies import close_alert_of
from desktop.services.texting import Texting
from desktop.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
ACTOR = worker("follow-up")
CAP_WINDOW = timedelta(days=7)
STUCK_SEND = timedelta(minutes=2)
UNCLAIMED_NEWS = timedelta(hours=12)


@dataclass(frozen=True)
class FollowUpRules:
    """The owner's follow-up settings, read once per pass."""

    plan: Plan
    calendar: BusinessCalendar
    business: str
    textback_enabled: bool = False
    textback_template: str = ""
    max_attempts: int = 3
    texts_per_number: int = 2
    textback_within: timedelta = timedelta(minutes=60)
    unclaimed_after: timedelta | None = timedelta(minutes=15)
    staffing: Staffing = field(default_factory=Staffing)

    @classmethod
    def from_settings(cls, settings) -> FollowUpRules:
        zone = ZoneInfo(settings["business.timezone"])
        minutes = settings["followup.unclaimed_alert_minutes"]
        return cls(
            plan=Plan.parse(settings["followup.plan"]),
            calendar=BusinessCalendar(OpeningHours.parse(settings["business.hours"]), zone,
                                      parse_holidays(settings["business.holidays"])),
            business=settings["business.name"],
            textback_enabled=settings["textback.enabled"],
            textback_template=settings["textback.template"],
            max_attempts=settings["followup.max_attempts"],
            texts_per_number=settings["followup.texts_per_number_week"],
            textback_within=timedelta(minutes=settings["followup.textback_within_minutes"]),
            unclaimed_after=timedelta(minutes=minutes) if minutes else None,
            staffing=Staffing(frozenset(settings["staff.away"]), dict(settings["staff.backups"])))


def _log(uow, item: QueueItem, now: datetime, actor: str, action: str, task: FollowUpTask,
         reason: str) -> None:
    uow.changelog.append(at=now, actor=actor, entity="queue_item", entity_id=item.id,
                         action=action, after=task.snapshot(), reason=reason)


def cancel_tasks_of(uow, item: QueueItem, now: datetime, actor: str, why: str) -> None:
    """The caller was settled (resolved, a lead taken): what was still planned is cancelled.
    Call with the item's unit of work, after the change that settled it."""
    if item.state != ItemState.DONE:
        return
    for task in uow.tasks.for_item(item.id):
        if not task.pending:
            continue
        task.finish(TaskState.CANCELLED, actor, now, why)
        _log(uow, item, now, actor, "task_cancelled", task, why)


def skip_texts_to(uow, phone: str, now: datetime, actor: str, why: str) -> None:
    """The number opted out: its pending text-backs are skipped (never sent)."""
    for task in uow.tasks.pending_for_phone(phone):
        if task.kind == TaskKind.TEXT:
            task.finish(TaskState.SKIPPED, actor, now, why)
            item = uow.queue.get(task.queue_item_id)
            _log(uow, item, now, actor, "task_skipped", task, why)


class Planner:
    """The plan's side of queue changes, called in the changing transaction."""

    def __init__(self, rules: Callable[[], FollowUpRules]):
        self._rules = rules

    def item_opened(self, uow, item: QueueItem, now: datetime) -> None:
        rules = self._rules()
        start = max(now, item.first_call_at)
        due = [(index, rules.plan.steps[index].due(start, rules.calendar))  # before any write
               for index in rules.plan.opening_steps()
               if rules.plan.steps[index].kind != TaskKind.TEXT
               or self._wants_text(rules, item, now)]
        for index, at in due:
            _add(uow, item, rules, index, at, now, "follow-up plan started")

    @staticmethod
    def _wants_text(rules: FollowUpRules, item: QueueItem, now: datetime) -> bool:
        # Off until the owner enables it; and never for a call found in a backfill.
        return rules.textback_enabled and now - item.last_call_at <= rules.textback_within

    def caller_rang_again(self, uow, item: QueueItem, now: datetime) -> None:
        """A repeat call while the caller waited: the next callback is due now (or when
        the shop opens). Never a second text."""
        tasks = uow.tasks.for_item(item.id)
        if not tasks:
            return  # an item from before follow-up plans
        rules = self._rules()
        soon = rules.calendar.next_opening(now)
        calls = [t for t in tasks if t.pending and t.kind == TaskKind.CALL]
        for task in calls:
            if task.due_at > soon:
                task.reschedule(soon, "the caller rang again")
                _log(uow, item, now, ACTOR, "task_rescheduled", task, "the caller rang again")
        if calls:
            return
        for task in tasks:
            if task.pending and task.kind == TaskKind.CLOSE:  # not "no response" after all
                task.finish(TaskState.CANCELLED, ACTOR, now, "the caller rang again")
                _log(uow, item, now, ACTOR, "task_cancelled", task, "the caller rang again")
        last_call = max((i for i, s in enumerate(rules.plan.steps) if s.kind == TaskKind.CALL),
                        default=None)
        if last_call is not None:
            _add(uow, item, rules, last_call, soon, now, "the caller rang again")
        else:  # a plan of texts and closing only: close again after its wait
            _plan_close(uow, item, rules, now, "the caller rang again")

    def attempt_made(self, uow, item: QueueItem, now: datetime, actor: str,
                     how: str) -> datetime | None:
        """A callback attempt (a person's "Called back", or an outbound call seen on the
        line): the current call task is done and the next step is planned. Returns when
        the item next needs someone (its next call, or its closing), or None."""
        rules = self._rules()
        tasks = uow.tasks.for_item(item.id)
        if not tasks:
            return None  # an item from before follow-up plans: the queue's own timer
        current = next((t for t in tasks if t.pending and t.kind == TaskKind.CALL), None)
        rules.calendar.next_opening(now)  # a shop that is never open fails here, before writes
        if current is not None:
            current.finish(TaskState.DONE, actor, now, how)
            _log(uow, item, now, actor, "task_done", current, how)
        for text in (t for t in tasks if t.pending and t.kind == TaskKind.TEXT):
            # A text still waiting for the recipient's morning would say "sorry we missed
            # your call" after we called: it is no longer wanted.
            text.finish(TaskState.CANCELLED, ACTOR, now, "called back before the text could go")
            _log(uow, item, now, ACTOR, "task_cancelled", text, text.note)
        closing = any(t.pending and t.kind == TaskKind.CLOSE for t in tasks)
        if not closing and item.callback_attempts >= rules.max_attempts:
            tasks.append(self._close_early(uow, item, now, rules, tasks))
        elif not closing:
            step = current.step if current else max(t.step for t in tasks)
            # The plan may have changed since this step was made: go on from the same
            # place in the plan as it is now, or close at its end.
            following = rules.plan.after(min(step, len(rules.plan.steps) - 1))
            if following is not None:
                tasks.append(_add(uow, item, rules, following,
                                  rules.plan.steps[following].due(now, rules.calendar), now,
                                  f"next step of the plan after: {how}"))
            elif rules.plan.close_step() is not None:
                tasks.append(_plan_close(uow, item, rules, now, f"the plan ended after: {how}"))
        return min((t.due_at for t in tasks if t.pending and t.kind != TaskKind.TEXT),
                   default=None)

    @staticmethod
    def _close_early(uow, item, now, rules: FollowUpRules, tasks) -> FollowUpTask:
        why = (f"retry limit: {item.callback_attempts} callback attempt(s), "
               f"the most this shop makes (followup.max_attempts = {rules.max_attempts})")
        for task in tasks:
            if task.pending and task.kind == TaskKind.CALL:
                task.finish(TaskState.SKIPPED, ACTOR, now, why)
                _log(uow, item, now, ACTOR, "task_skipped", task, why)
        return _plan_close(uow, item, rules, now, why)


def _plan_close(uow, item: QueueItem, rules: FollowUpRules, now: datetime,
                why: str) -> FollowUpTask:
    """Close the item after the plan's closing wait (the caller may still ring back), or
    at once when the plan has no closing step."""
    close = rules.plan.close_step()
    if close is None:
        return _add(uow, item, rules, len(rules.plan.steps), now, now, why, note=why)
    return _add(uow, item, rules, close, rules.plan.steps[close].due(now, rules.calendar),
                now, why, note=why)


def _add(uow, item: QueueItem, rules: FollowUpRules, index: int, due: datetime,
         now: datetime, why: str, note: str | None = None) -> FollowUpTask:
    """Plan step `index` (an index past the plan's end means closing) on the item."""
    steps = rules.plan.steps
    kind = steps[index].kind if index < len(steps) else TaskKind.CLOSE
    task = FollowUpTask(queue_item_id=item.id, phone=item.phone, step=index, kind=str(kind),
                        due_at=due, created_at=now, note=note)
    uow.tasks.add(task)
    _log(uow, item, now, ACTOR, "task_planned", task, why)
    return task


# -- the worker and what people see --------------------------------------------------------
@dataclass(frozen=True)
class DueTask:
    """A follow-up task as a row (the CLI's `followup due`, the detail panel)."""

    task_id: int
    item_id: int
    phone: str
    caller_name: str | None
    kind: str
    step: int
    state: str
    due_at: datetime
    owner: str | None
    assignee: str | None  # who works it now: the owner, or their backup while away
    note: str | None
    finished_at: datetime | None = None
    finished_by: str | None = None

    def to_json(self) -> dict:
        return {"task_id": self.task_id, "item_id": self.item_id, "phone": self.phone,
                "caller_name": self.caller_name, "kind": self.kind, "step": self.step,
                "state": self.state, "due_at": self.due_at.isoformat(), "owner": self.owner,
                "assignee": self.assignee, "note": self.note,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "finished_by": self.finished_by}


@dataclass(frozen=True)
class Unclaimed:
    item_id: int
    phone: str
    caller_name: str | None
    waiting: timedelta

    def words(self) -> str:
        minutes = int(self.waiting.total_seconds() // 60)
        return (f"{self.caller_name or self.phone} has waited {minutes} min and nobody has "
                "claimed them")


def preview_textback(rules: FollowUpRules, now: datetime,
                     caller_name: str | None = "Maria Lopez", template: str | None = None) -> str:
    """The text-back as it would go to a caller now: what the worker sends, and the
    owner's preview (with a template being edited) before enabling."""
    return render_textback(template if template is not None else rules.textback_template,
                           business=rules.business, caller_name=caller_name,
                           callback_window=callback_window(now, rules.calendar))


def unclaimed_words(unclaimed: list[Unclaimed], most: int = 3) -> list[str]:
    """A line per unclaimed caller, or one summary line when there are many (a desk that
    was closed for the night should not get twenty notifications)."""
    if len(unclaimed) <= most:
        return [u.words() for u in unclaimed]
    return [f"{len(unclaimed)} callers have waited and nobody has claimed them (longest: "
            f"{unclaimed[0].words()})"]


@dataclass
class FollowUpReport:
    texted: list[int] = field(default_factory=list)        # task ids
    rescheduled: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)        # queue item ids
    unclaimed: list[Unclaimed] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.texted or self.rescheduled or self.skipped or self.failed
                    or self.closed)


class FollowUpService:
    def __init__(self, uow_factory: UnitOfWorkFactory, texting: Texting | None, settings,
                 clock: Clock = utcnow, reload: Callable[[], object] | None = None):
        self._uow, self._texting, self._clock, self._reload = uow_factory, texting, clock, reload
        self._rules = FollowUpRules.from_settings(settings)
        self._read_at = clock()
        self.planner = Planner(self.rules)

    def rules(self) -> FollowUpRules:
        """The rules in force; reread from the shared settings at most every 30 s (another
        desk, or the owner, may have changed them)."""
        now = self._clock()
        if self._reload is not None and now - self._read_at >= timedelta(seconds=30):
            self._read_at = now
            try:
                settings = self._reload()
                self._rules = FollowUpRules.from_settings(settings)
                if self._texting is not None:  # a permission granted or withdrawn meanwhile
                    self._texting.granted = frozenset(settings["phone.scopes"])
            except Exception:
                log.exception("follow-up settings could not be reread; keeping the last ones")
        return self._rules

    def reread(self) -> None:
        """Read the rules again at the next use (the owner just changed them)."""
        self._read_at = datetime.min.replace(tzinfo=self._read_at.tzinfo)

    # -- the worker ----------------------------------------------------------------------
    def run_due(self, limit: int = 50, unclaimed: bool = True) -> FollowUpReport:
        """Send due text-backs, close plans that ran out, and (`unclaimed`: for a desk that
        shows them, not a headless worker nobody watches) report unclaimed callers."""
        report = FollowUpReport()
        now = self._clock()
        with self._uow() as uow:
            due = [(t.id, t.kind) for t in uow.tasks.due(now, (TaskKind.TEXT, TaskKind.CLOSE),
                                                          limit)]
        self._fail_stuck_sends(now)
        for task_id, kind in due:
            try:
                if kind == TaskKind.TEXT:
                    self._text_back(task_id, report)
                else:
                    self._close(task_id, report)
            except Exception:
                log.exception("follow-up task %s failed; the next pass tries again", task_id)
        if unclaimed:
            report.unclaimed = self._unclaimed(now)
        return report

    def _text_back(self, task_id: int, report: FollowUpReport) -> None:
        rules = self.rules()
        now = self._clock()
        with self._uow(write=True) as uow:  # claim it: one worker sends it, once
            claimed = self._still_wanted(uow, task_id, now)
            if claimed is None:
                return
            task, item = claimed
            problem = self._hold_back(uow, task, item, now, rules)
            if problem is not None:
                later, why = problem
                if later is None:
                    task.finish(TaskState.SKIPPED, ACTOR, now, why)
                    _log(uow, item, now, ACTOR, "task_skipped", task, why)
                    report.skipped.append(task.id)
                else:
                    task.reschedule(later, why)
                    _log(uow, item, now, ACTOR, "task_rescheduled", task, why)
                    report.rescheduled.append(task.id)
                uow.commit()
                return
            body = preview_textback(rules, now, item.caller_name)
            task.start_sending(now)
            uow.commit()
            phone, item_id = task.phone, item.id
        try:
            self._texting.send(phone, body, ACTOR, f"missed-call text-back, queue item {item_id}",
                               purpose=Purpose.TEXTBACK, queue_item_id=item_id)
            state, note, bucket = TaskState.DONE, f"sent: {body}", report.texted
        except (SendRefused, ScopeRefused) as exc:  # the refusal is in the change log too
            state, note, bucket = TaskState.SKIPPED, str(exc), report.skipped
        except (ProviderError, ValueError) as exc:
            state, note, bucket = TaskState.FAILED, f"the phone provider did not send it: {exc}", \
                report.failed
        with self._uow(write=True) as uow:
            task = uow.tasks.get(task_id)
            item = uow.queue.get(task.queue_item_id)
            if task.open:  # another desk may have given up on it meanwhile (stuck check)
                task.finish(state, ACTOR, self._clock(), note)
            _log(uow, item, self._clock(), ACTOR, f"task_{state}", task, note)
            uow.commit()
        bucket.append(task_id)

    @staticmethod
    def _still_wanted(uow, task_id: int, now: datetime):
        """(task, item) when the task is still due and its caller still open, read inside
        the write transaction (another desk may have done it a moment ago); else None, and
        a task whose caller was settled meanwhile is cancelled."""
        task = uow.tasks.get(task_id)
        if task is None or not task.is_due(now):
            return None
        item = uow.queue.get(task.queue_item_id)
        if item.state == ItemState.DONE:
            task.finish(TaskState.CANCELLED, ACTOR, now, "the caller was already settled")
            _log(uow, item, now, ACTOR, "task_cancelled", task, task.note)
            uow.commit()
            return None
        return task, item

    def _hold_back(self, uow, task: FollowUpTask, item: QueueItem, now: datetime,
                   rules: FollowUpRules) -> tuple[datetime | None, str] | None:
        """None if the text may go now; (None, why) to skip it; (later, why) to move it."""
        if item.callback_attempts:
            return None, "already called back: the text is no longer wanted"
        if not rules.textback_enabled:
            return None, "text-back is off (the owner has not enabled it)"
        if self._texting is None or not self._texting.allowed:
            return None, "texts are not allowed: the owner has not granted phone:send_sms"
        week = uow.texts.sent_to(task.phone, now - CAP_WINDOW)
        if len(week) >= rules.texts_per_number:
            return None, (f"{len(week)} automated text(s) to this number in the last 7 days: "
                          f"the cap is {rules.texts_per_number} (followup.texts_per_number_week)")
        who = recipient(task.phone, rules.calendar.zone.key)
        why = is_allowed(now, who, week)
        if why is None:
            return None
        later = next_allowed(now, who, week)
        local = later.astimezone(who.zones[0])
        return later, f"not now ({why}): moved to {local:%a %H:%M} {local.tzname()}"

    def _fail_stuck_sends(self, now: datetime) -> None:
        """A send claimed by a worker that died mid-send: it may or may not have gone, so it
        is not sent again; it is marked failed for a person to check."""
        with self._uow() as uow:
            if not uow.tasks.sending_before(now - STUCK_SEND):
                return  # the common case, without taking the write lock
        with self._uow(write=True) as uow:
            for task in uow.tasks.sending_before(now - STUCK_SEND):
                note = ("the app stopped while this text was being sent: it may or may not "
                        "have gone; check the customer's messages")
                task.finish(TaskState.FAILED, ACTOR, now, note)
                _log(uow, uow.queue.get(task.queue_item_id), now, ACTOR, "task_failed", task,
                     note)
            uow.commit()

    def _close(self, task_id: int, report: FollowUpReport) -> None:
        now = self._clock()
        with self._uow(write=True) as uow:
            claimed = self._still_wanted(uow, task_id, now)
            if claimed is None:
                return
            task, item = claimed
            why = (f"no response after {item.callback_attempts} callback attempt(s)"
                   + (f"; {task.note}" if task.note else ""))
            before = item.snapshot()
            item.close_no_response(ACTOR, now)
            task.finish(TaskState.DONE, ACTOR, now, why)
            uow.changelog.append(at=now, actor=ACTOR, entity="queue_item", entity_id=item.id,
                                 action="resolved", before=before, after=item.snapshot(),
                                 reason=why)
            close_alert_of(uow, item, now, ACTOR, why)
            cancel_tasks_of(uow, item, now, ACTOR, "the follow-up plan closed the item")
            uow.commit()
        report.closed.append(item.id)

    def _unclaimed(self, now: datetime) -> list[Unclaimed]:
        """Callers nobody claimed for too long, once each (the desk that finds them first
        notifies; the change log keeps the alert)."""
        after = self.rules().unclaimed_after
        if after is None:
            return []
        # Callers found by a first import (days old) are not "news": only those who
        # crossed the limit in the last UNCLAIMED_NEWS (the desk closed overnight) alert.
        window = (now - after - UNCLAIMED_NEWS, now - after)
        with self._uow() as uow:
            if not uow.queue.unclaimed_between(*window):
                return []  # the common case, without taking the write lock
        found = []
        with self._uow(write=True) as uow:
            for item in uow.queue.unclaimed_between(*window):
                item.unclaimed_alerted_at = now
                waited = now - item.first_call_at
                uow.changelog.append(at=now, actor=ACTOR, entity="queue_item",
                                     entity_id=item.id, action="unclaimed_alert",
                                     reason=f"nobody claimed it in {int(waited.total_seconds() // 60)} min")
                found.append(Unclaimed(item.id, item.phone, item.caller_name, waited))
            uow.commit()
        return found

    # -- what people do --------------------------------------------------------------------
    def skip(self, task_id: int, who: str, reason: str) -> DueTask:
        """A person skips a callback (with a reason); the plan moves on to its next step."""
        now = self._clock()
        with self._uow(write=True) as uow:
            task = uow.tasks.get(task_id)
            if task is None:
                raise FollowUpError(f"There is no follow-up task {task_id}.")
            item = uow.queue.get(task.queue_item_id)
            task.finish(TaskState.SKIPPED, person(who), now, reason)
            _log(uow, item, now, person(who), "task_skipped", task, reason)
            rules = self.rules()
            following = rules.plan.after(task.step) if task.kind == TaskKind.CALL else None
            if following is not None and item.state != ItemState.DONE:
                nxt = _add(uow, item, rules, following,
                           rules.plan.steps[following].due(now, rules.calendar), now,
                           f"next step of the plan after a skipped {task.kind}")
                if nxt.kind == TaskKind.CALL:
                    item.wait_until(nxt.due_at)
            uow.commit()
            return self._row(task, item, rules)

    # -- reading ---------------------------------------------------------------------------
    def due_tasks(self, include_later: bool = False) -> list[DueTask]:
        """Pending tasks due now (or all pending ones), soonest first."""
        now = self._clock()
        rules = self.rules()
        with self._uow() as uow:
            tasks = (uow.tasks.pending() if include_later else uow.tasks.due(now))
            items = {i.id: i for i in uow.queue.by_ids({t.queue_item_id for t in tasks})}
            return [self._row(t, items[t.queue_item_id], rules) for t in tasks]

    def tasks_of(self, item_id: int) -> list[DueTask]:
        rules = self.rules()
        with self._uow() as uow:
            item = uow.queue.get(item_id)
            return [self._row(t, item, rules) for t in uow.tasks.for_item(item_id)]

    def completion(self, since: datetime | None = None,
                   until: datetime | None = None) -> dict[str, dict[str, int]]:
        """Tasks by kind and how they ended: {"call": {"done": 40, "skipped": 3, ...}}."""
        with self._uow() as uow:
            counts = uow.tasks.counts(since, until)
        table: dict[str, dict[str, int]] = {}
        for (kind, state), n in counts.items():
            table.setdefault(kind, {})[state] = n
        return table

    def preview(self, caller_name: str | None = "Maria Lopez",
                template: str | None = None) -> str:
        return preview_textback(self.rules(), self._clock(), caller_name, template)

    @staticmethod
    def _row(task: FollowUpTask, item: QueueItem, rules: FollowUpRules) -> DueTask:
        return DueTask(task.id, task.queue_item_id, task.phone, item.caller_name,
                       str(task.kind), task.step, str(task.state), task.due_at, item.owner,
                       rules.staffing.cover(item.owner), task.note, task.finished_at,
                       task.finished_by)
