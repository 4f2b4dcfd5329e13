"""What people do with the queue (claim, called back, resolve) and what they see of it."""

from __future__ import annotations

from datetime import timedelta

from desktop.domain.changelog import person
from desktop.domain.clock import Clock, utcnow
from desktop.domain.queue import Disposition, QueueItem, QueueRuleError
from desktop.services.emergencies import close_alert_of
from desktop.services.followup import cancel_tasks_of
from desktop.services.unit_of_work import UnitOfWorkFactory
from desktop.services.views import CallRow, HistoryRow, ItemDetail, QueueRow, TaskRow


# The detail panel lists the latest calls and history entries, not a caller's whole life:
# a regular with hundreds of calls must not stall the window.
DETAIL_ROWS = 100


class QueueService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock = utcnow,
                 follow_up_after: timedelta = timedelta(hours=2),
                 done_visible: timedelta = timedelta(hours=12), followup=None):
        self._uow = uow_factory
        self._clock = clock
        self.follow_up_after = follow_up_after
        self.done_visible = done_visible
        # The follow-up service (plans, who covers whom), where there is a phone line.
        self._followup = followup

    # -- reading -------------------------------------------------------------------------
    def board(self) -> list[QueueRow]:
        """Open items and recently resolved ones, as plain rows."""
        with self._uow() as uow:
            items = uow.queue.board(done_since=self._clock() - self.done_visible)
            return self._rows(uow, items)

    def open_rows(self) -> list[QueueRow]:
        with self._uow() as uow:
            return self._rows(uow, uow.queue.open_items())

    def detail(self, item_id: int) -> ItemDetail:
        with self._uow() as uow:
            item = self._get(uow, item_id)
            calls = tuple(CallRow(c.provider_call_id, c.direction, c.outcome, c.raw_status,
                                  c.started_at, c.duration_s, c.transcript)
                          for c in uow.calls.for_item(item_id, limit=DETAIL_ROWS))
            history = tuple(HistoryRow(e.seq, e.at, e.actor, e.action, e.reason or "")
                            for e in uow.changelog.for_entity("queue_item", item_id,
                                                              latest=DETAIL_ROWS))
            contact = uow.contacts.by_phone(item.phone)
            known = (f"{contact.name} — in your customer list since {contact.created_at:%b %Y}"
                     if contact else None)
            tasks = tuple(TaskRow(t.id, str(t.kind), str(t.state), t.due_at, t.finished_at,
                                  t.finished_by, t.note) for t in uow.tasks.for_item(item_id))
            consent = uow.consent.latest(item.phone)
            return ItemDetail(self._rows(uow, [item])[0], calls, history, known, tasks,
                              consent.describe() if consent and consent.opted_out else None)

    @staticmethod
    def _rows(uow, items: list[QueueItem]) -> list[QueueRow]:
        rows = []
        ids_by_item = uow.calls.inbound_ids_by_item([item.id for item in items])
        for item in items:
            missed_ids = tuple(ids_by_item[item.id])
            rows.append(QueueRow(
                id=item.id, phone=item.phone, caller_name=item.caller_name,
                calls=item.call_count, call_ids=missed_ids, first_call_at=item.first_call_at,
                last_call_at=item.last_call_at, outcome=item.last_outcome,
                transcript=item.last_transcript, urgency=str(item.urgency),
                state=str(item.state), owner=item.owner, source=item.source,
                disposition=None if item.disposition is None else str(item.disposition),
                callback_attempts=item.callback_attempts, follow_up_at=item.follow_up_at,
                resolved_at=item.resolved_at, lead_id=item.lead_id, reached_at=item.reached_at))
        return rows

    # -- acting ------------------------------------------------------------------------
    def claim(self, item_id: int, who: str) -> QueueRow:
        return self._act(item_id, who, "claimed", lambda item, now, uow: item.claim(who, now))

    def mark_called_back(self, item_id: int, who: str) -> QueueRow:
        def called_back(item, now, uow):
            item.mark_called_back(who, now, self.follow_up_after)
            if self._followup is not None:  # the plan says when to try again
                item.wait_until(self._followup.planner.attempt_made(
                    uow, item, now, person(who), f"called back by {who}"))
        return self._act(item_id, who, "called_back", called_back)

    def reassign(self, item_id: int, who: str, to: str, reason: str) -> QueueRow:
        """Hand a caller to someone else; the reason is required and logged."""
        return self._act(item_id, who, "reassigned",
                         lambda item, now, uow: item.reassign(to, reason), reason=reason)

    def resolve(self, item_id: int, who: str, disposition: Disposition | str,
                reason: str | None = None, seen_calls: int | None = None) -> QueueRow:
        """`seen_calls`: how many calls the person was looking at. If the caller rang again
        since (a new voicemail may say "it's an emergency now"), refuse and show it first."""
        disposition = Disposition(disposition)

        def resolve(item, now, uow):
            if seen_calls is not None and item.call_count != seen_calls:
                new = item.call_count - seen_calls
                raise QueueRuleError(f"{new} new call(s) from this caller since you looked: "
                                     "review them before resolving.")
            item.resolve(who, now, disposition)

        return self._act(item_id, who, "resolved", resolve, reason)

    def _act(self, item_id: int, who: str, action: str, change, reason=None) -> QueueRow:
        with self._uow(write=True) as uow:
            item = self._get(uow, item_id)
            now = self._clock()
            before = item.snapshot()
            self._cover(uow, item, who, now)
            change(item, now, uow)
            uow.changelog.append(at=now, actor=person(who), entity="queue_item",
                                 entity_id=item.id, action=action, before=before,
                                 after=item.snapshot(), reason=reason)
            close_alert_of(uow, item, now, person(who), f"item {action}")
            cancel_tasks_of(uow, item, now, person(who), f"item {action} by {who}")
            uow.commit()
            return self._rows(uow, [item])[0]

    def _cover(self, uow, item: QueueItem, who: str, now) -> None:
        """A backup covering for an away owner takes the caller over, on the record."""
        if self._followup is None or not item.owner or item.owner == who:
            return
        if self._followup.rules().staffing.cover(item.owner) == who:
            before = item.snapshot()
            reason = f"covering for {item.owner}, who is away"
            item.reassign(who, reason)
            uow.changelog.append(at=now, actor=person(who), entity="queue_item",
                                 entity_id=item.id, action="reassigned", before=before,
                                 after=item.snapshot(), reason=reason)

    @staticmethod
    def _get(uow, item_id: int) -> QueueItem:
        item = uow.queue.get(item_id)
        if item is None:
            raise QueueRuleError(f"There is no queue item {item_id}.")
        return item
