"""Map the domain dataclasses onto the tables, once per process."""

from __future__ import annotations

from sqlalchemy.orm import registry

from desktop.adapters.db import tables
from desktop.domain.calls import Call
from desktop.domain.changelog import ChangeEntry
from desktop.domain.consent import ConsentRecord, TextMessage
from desktop.domain.contacts import Contact, Job
from desktop.domain.emergencies import EmergencyAlert
from desktop.domain.followup import FollowUpTask
from desktop.domain.health import ConnectorState
from desktop.domain.leads import Lead
from desktop.domain.outbox import OutboxMessage
from desktop.domain.quarantine import QuarantineRecord
from desktop.domain.queue import QueueItem

mapper_registry = registry(metadata=tables.metadata)
_mapped = False


def start_mappers() -> None:
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(Call, tables.calls)
    mapper_registry.map_imperatively(QueueItem, tables.queue_items)
    mapper_registry.map_imperatively(Lead, tables.leads)
    mapper_registry.map_imperatively(Contact, tables.contacts)
    mapper_registry.map_imperatively(Job, tables.jobs)
    mapper_registry.map_imperatively(ChangeEntry, tables.change_log)
    mapper_registry.map_imperatively(OutboxMessage, tables.outbox)
    mapper_registry.map_imperatively(ConnectorState, tables.connector_state)
    mapper_registry.map_imperatively(QuarantineRecord, tables.quarantine)
    mapper_registry.map_imperatively(EmergencyAlert, tables.emergency_alerts)
    mapper_registry.map_imperatively(FollowUpTask, tables.followup_tasks)
    mapper_registry.map_imperatively(TextMessage, tables.text_messages)
    mapper_registry.map_imperatively(ConsentRecord, tables.text_consent)
    _mapped = True
