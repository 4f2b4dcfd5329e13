"""Phone sync: poll the provider since the stored cursor, store calls once, keep the queue.

One poll = read the cursor, list calls that finished in [cursor - overlap, now), and commit
each page in its own transaction (calls, queue items and change-log entries together).
The cursor moves only after the last page, so a crash mid-poll re-reads from the old
cursor and the unique (provider, provider_call_id) key absorbs the repeats.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from desktop.adapters.phone.base import PhoneProvider, ProblemKind, ProviderError
from desktop.domain.calls import Call, Direction, Outcome, ProviderCall, check_provider_call
from desktop.domain.changelog import worker
from desktop.domain.clock import Clock, as_utc, utcnow
from desktop.domain.quarantine import QuarantineRecord, Quarantined
from desktop.domain.queue import ItemState, QueueItem
from desktop.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
ACTOR = worker("sync")
# Late transcripts: only for voicemails left in the last quarter hour, a minute apart at
# first, a handful per poll and a handful of tries each, so an idle poll stays cheap.
TRANSCRIPT_FRESH = timedelta(minutes=15)
TRANSCRIPT_WAIT = timedelta(seconds=60)
TRANSCRIPT_TRIES = 5
TRANSCRIPTS_PER_POLL = 5


@dataclass(frozen=True)
class SyncPolicy:
    overlap: timedelta = timedelta(seconds=120)
    backfill: timedelta = timedelta(days=7)
    # The dialed (tracking) number -> marketing source, for lines that do not name one.
    source_by_number: dict[str, str] = field(default_factory=dict)


@dataclass
class SyncResult:
    new_calls: int = 0
    updated_calls: int = 0
    new_items: int = 0
    merged_calls: int = 0
    callback_attempts: int = 0
    skipped: int = 0
    quarantined: int = 0
    pages: int = 0
    calls_seen: int = 0
    waiting: bool = False  # the provider asked us to hold off; this poll sent nothing
    error: str | None = None
    new_item_ids: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)  # emergency alerts raised in this poll

    @property
    def changed(self) -> bool:
        return bool(self.new_calls or self.updated_calls)


Progress = Callable[[SyncResult], None]


@dataclass
class _Batch:
    """One page's unit of work and what was looked up for it."""

    uow: object
    now: datetime
    result: SyncResult
    known: dict[str, Call]             # provider call id -> stored call
    open_items: dict[str, QueueItem]   # caller number -> open queue item
    names: dict[str, str]              # caller number -> customer name
    # Changes to the hourly call counts (the Outcomes report), written with the page.
    hours: Counter = field(default_factory=Counter)


def hour_key(call: Call) -> tuple[str, str, str] | None:
    """Where an inbound call counts in the hourly counts: (UTC hour, source, outcome)."""
    if call.direction != Direction.INBOUND:
        return None
    return (f"{as_utc(call.started_at):%Y-%m-%d %H}", call.source or "", str(call.outcome))


class PhoneSync:
    def __init__(self, uow_factory: UnitOfWorkFactory, provider: PhoneProvider,
                 policy: SyncPolicy = SyncPolicy(), clock: Clock = utcnow, triager=None,
                 planner=None):
        self._uow = uow_factory
        self.provider = provider
        self.policy = policy
        # Triage in the same transaction as the call: an emergency's alert is raised in
        # the pass that stores the call (see services/emergencies.py).
        self._triager = triager
        # Follow-up plans, kept in the same transaction (see services/followup.py).
        self._planner = planner
        self._clock = clock
        self.connector = f"phone:{provider.name}"
        # Voicemails stored before their transcript was ready: call id -> (tries, next try).
        self._awaiting_text: dict[str, tuple[int, datetime]] = {}
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask a running poll to finish after the page it is on (the app is closing). The
        cursor stays where it was, so the next start picks up from there."""
        self._stop.set()

    def poll(self, progress: Progress | None = None) -> SyncResult:
        result = SyncResult()
        until = self._clock()
        with self._uow() as uow:
            state = uow.connectors.get_or_create(self.connector)
            cursor, hold_until, held_error = state.cursor, state.retry_after, state.last_error
        if hold_until is not None and hold_until > until:
            # The provider said Retry-After: asking again sooner only extends the penalty.
            result.waiting, result.error = True, held_error
            return result
        since = cursor - self.policy.overlap if cursor else until - self.policy.backfill
        since = min(since, until)  # a desk clock stepped back must not invert the window
        try:
            for page in self.provider.list_calls(since, until):
                self._store_page(page, result)
                result.pages += 1
                if progress:
                    progress(replace(result, new_item_ids=[]))  # a snapshot for another thread
                if self._stop.is_set():
                    result.error = "stopped: the app is closing"
                    return result
        except ProviderError as exc:
            return self._failed(result, exc)
        except Exception as exc:  # a bug or a locked database: say so, keep polling later
            log.exception("phone sync crashed")  # the log file blanks out known secrets
            return self._failed(result, ProviderError(
                f"Sync stopped on an unexpected error ({type(exc).__name__}); it will try "
                "again", ProblemKind.BAD_RESPONSE))
        self._record_health(cursor=until)
        self._fetch_late_transcripts(result)
        return result

    def _fetch_late_transcripts(self, result: SyncResult) -> None:
        """A transcript often finishes after the call is listed, and after the overlap has
        moved on: ask for it a few more times, a minute or more apart."""
        now = self._clock()
        due = [cid for cid, (_, at) in self._awaiting_text.items() if at <= now]
        for call_id in due[:TRANSCRIPTS_PER_POLL]:
            tries, _ = self._awaiting_text.pop(call_id)
            try:
                text = self.provider.fetch_transcript(call_id)
            except ProviderError as exc:
                log.info("transcript of %s not fetched: %s", call_id, exc)
                text = None
            if not text:
                if tries + 1 < TRANSCRIPT_TRIES:
                    self._awaiting_text[call_id] = (tries + 1, now + TRANSCRIPT_WAIT * (tries + 2))
                continue
            with self._uow(write=True) as uow:
                call = uow.calls.by_provider_id(self.provider.name, call_id)
                if call is None or call.transcript:
                    continue
                call.transcript = text
                result.updated_calls += 1
                item = uow.queue.get(call.queue_item_id) if call.queue_item_id else None
                if item is not None:
                    before = item.snapshot()
                    item.restate_call(call)
                    uow.changelog.append(at=now, actor=ACTOR, entity="queue_item",
                                         entity_id=item.id, action="call_updated",
                                         before=before, after=item.snapshot(),
                                         reason=f"transcript of voicemail {call_id} arrived")
                    self._triage(uow, item, now, result)
                uow.commit()

    def _failed(self, result: SyncResult, error: ProviderError) -> SyncResult:
        result.error = str(error)
        self._record_health(error=error)
        log.warning("phone sync failed: %s", error)
        return result

    def _store_page(self, page: list[ProviderCall | Quarantined], result: SyncResult) -> None:
        with self._uow(write=True) as uow:
            batch = self._look_up(uow, page, result)
            for pc in page:
                result.calls_seen += 1
                if isinstance(pc, Quarantined):
                    self._quarantine(batch, pc)
                    continue
                try:
                    self._store_call(batch, pc)
                except (ValueError, TypeError) as exc:
                    # A malformed record is kept aside and logged; the rest of the page syncs.
                    payload = {name: repr(getattr(pc, name, None)) for name in (
                        "provider_call_id", "direction", "from_number", "to_number",
                        "started_at", "ended_at", "outcome", "raw_status")}
                    self._quarantine(batch, Quarantined(str(exc), payload, getattr(
                        pc, "provider_call_id", None)))
            uow.calls.count_hours(batch.hours)
            uow.commit()

    def _look_up(self, uow, page, result: SyncResult) -> _Batch:
        """Everything the page needs from the database, in three queries rather than a few
        per call (each of which would also flush the page's pending rows)."""
        calls = [pc for pc in page if isinstance(pc, ProviderCall)]
        ids = [pc.provider_call_id for pc in calls if isinstance(pc.provider_call_id, str)]
        numbers = {n for pc in calls for n in (pc.from_number, pc.to_number)
                   if isinstance(n, str)}
        return _Batch(uow=uow, now=self._clock(), result=result,
                      known=uow.calls.by_provider_ids(self.provider.name, ids),
                      open_items=uow.queue.open_for_phones(numbers),
                      names=uow.contacts.names_by_phones(numbers))

    def _quarantine(self, batch: _Batch, item: Quarantined) -> None:
        batch.result.skipped += 1
        if batch.uow.quarantine.add_once(QuarantineRecord.of(self.connector, item, batch.now)):
            batch.result.quarantined += 1
            log.warning("quarantined a %s record (%s): %s", self.connector,
                        item.external_id or "no id", item.reason)

    def _store_call(self, batch: _Batch, pc: ProviderCall) -> None:
        # Refuse a malformed record before it reaches the session: a bad row there would
        # fail the flush and take the whole page (and every later poll) down with it.
        check_provider_call(pc)
        call = batch.known.get(pc.provider_call_id)
        if call is not None:
            self._restate_call(batch, call, pc)
            return
        call = Call.from_provider(self.provider.name, pc)
        if call.source is None and call.direction == Direction.INBOUND:
            call.source = self.policy.source_by_number.get(call.to_number)
        batch.uow.calls.add(call)
        batch.known[call.provider_call_id] = call  # the same call twice in one page: once
        batch.result.new_calls += 1
        if (key := hour_key(call)) is not None:
            batch.hours[key] += 1
        if (pc.needs_callback and pc.outcome == Outcome.VOICEMAIL and not pc.transcript
                and pc.ended_at and batch.now - pc.ended_at < TRANSCRIPT_FRESH):
            self._awaiting_text[pc.provider_call_id] = (0, batch.now + TRANSCRIPT_WAIT)
        if pc.needs_callback:
            self._queue_missed_call(batch, call)
        elif pc.direction == Direction.OUTBOUND:
            self._note_callback(batch, call)

    def _restate_call(self, batch: _Batch, call: Call, pc: ProviderCall) -> None:
        """The provider changed its mind about a stored call (a Twilio child leg arrived
        late, a transcript finished): the queue follows."""
        before = (call.outcome, call.transcript)
        counted = hour_key(call)
        if not call.update_from(pc):
            return
        batch.result.updated_calls += 1
        if hour_key(call) != counted:  # a late leg made it answered, or the like
            if counted is not None:
                batch.hours[counted] -= 1
            if (key := hour_key(call)) is not None:
                batch.hours[key] += 1
        if not pc.needs_callback:
            return
        if call.queue_item_id is None:
            self._queue_missed_call(batch, call)  # now known to be missed
            return
        item = batch.uow.queue.get(call.queue_item_id)
        if item is None or (call.outcome, call.transcript) == before:
            return
        snapshot = item.snapshot()
        item.restate_call(call)
        self._log(batch, item, "call_updated", snapshot,
                  f"call {call.provider_call_id} is now {call.outcome}"
                  + (" with a transcript" if call.transcript else ""))
        self._triage(batch.uow, item, batch.now, batch.result)

    def _queue_missed_call(self, batch: _Batch, call: Call) -> None:
        item = batch.open_items.get(call.customer_number)
        if item is None:
            item = QueueItem.open_for(call)
            item.caller_name = item.caller_name or batch.names.get(call.customer_number)
            batch.uow.queue.add(item)
            batch.uow.flush()  # the item's id, for the call and the change log
            batch.open_items[item.phone] = item
            batch.result.new_items += 1
            batch.result.new_item_ids.append(item.id)
            action, before = "created", None
        else:
            before = item.snapshot()
            item.add_missed_call(call)
            batch.result.merged_calls += 1
            action = "call_merged"
        call.queue_item_id = item.id
        self._log(batch, item, action, before,
                  f"{call.outcome} call {call.provider_call_id} from {call.from_number}")
        self._triage(batch.uow, item, batch.now, batch.result)
        if action == "created":
            self._plan(batch, lambda planner: planner.item_opened(batch.uow, item, batch.now))
        elif before["state"] == ItemState.WAITING:
            # Only a waiting caller has a callback planned for later (or a closing) that a
            # new call brings forward; any other item's next callback is already due, so a
            # backfill's many repeat calls cost no extra query.
            self._plan(batch, lambda planner: planner.caller_rang_again(batch.uow, item,
                                                                         batch.now))

    def _plan(self, batch: _Batch, change) -> None:
        """The follow-up plan's side of a queue change. A failure costs the plan a step
        (logged), never the call. No savepoint, unlike triage: the planner works out every
        due time before it writes, so a failure leaves nothing half-made, and a savepoint
        per call (a flush each) doubled the time of a large backfill."""
        if self._planner is None:
            return
        try:
            change(self._planner)
        except Exception:
            log.exception("follow-up planning failed; the call is stored")

    def _triage(self, uow, item: QueueItem, now: datetime, result: SyncResult) -> None:
        if self._triager is None:
            return
        # In a savepoint: a triage failure (a bug, a rule that cannot run) costs the
        # item its triage, never the call or the page.
        try:
            with uow.savepoint():
                alert = self._triager.apply(uow, item, now)
        except Exception:
            log.exception("triage of queue item %s failed; the call is stored", item.id)
            return
        if alert is not None:
            result.alerts.append(alert.id)

    def _note_callback(self, batch: _Batch, call: Call) -> None:
        item = batch.open_items.get(call.customer_number)
        if item is None:
            return
        before = item.snapshot()
        counted = item.add_callback_attempt(call)
        call.queue_item_id = item.id
        batch.result.callback_attempts += counted
        if counted:
            self._plan(batch, lambda planner: item.wait_until(planner.attempt_made(
                batch.uow, item, batch.now, ACTOR,
                f"outbound call {call.provider_call_id} seen on the line")))
        self._log(batch, item, "callback_seen", before,
                  f"outbound call {call.provider_call_id} ({call.outcome})"
                  + ("" if counted else "; the callback a person recorded"))

    @staticmethod
    def _log(batch: _Batch, item: QueueItem, action: str, before: dict | None,
             reason: str) -> None:
        batch.uow.changelog.append(at=batch.now, actor=ACTOR, entity="queue_item",
                                   entity_id=item.id, action=action, before=before,
                                   after=item.snapshot(), reason=reason)

    def _record_health(self, cursor: datetime | None = None,
                       error: ProviderError | None = None) -> None:
        with self._uow(write=True) as uow:
            state = uow.connectors.get_or_create(self.connector)
            now = self._clock()
            was_error = state.last_error
            if error is None:
                state.record_success(now, cursor)
            else:
                state.record_failure(now, str(error), str(error.kind), error.retry_after_s)
            # Log the moments a connector breaks, changes its complaint or recovers.
            if state.last_error != was_error:
                uow.changelog.append(
                    at=now, actor=ACTOR, entity="connector", entity_id=self.connector,
                    action="failed" if error else "recovered",
                    before={"error": was_error}, after={"error": state.last_error})
            uow.commit()
