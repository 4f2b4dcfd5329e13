"""Reading and verifying the change log."""

from __future__ import annotations

from desktop.domain import changelog as chain
from desktop.services.unit_of_work import UnitOfWorkFactory
from desktop.services.views import ChangeRow


class ChangeLogService:
    def __init__(self, uow_factory: UnitOfWorkFactory):
        self._uow = uow_factory

    def rows(self, limit: int | None = None, newest_first: bool = False) -> list[ChangeRow]:
        with self._uow() as uow:
            return [ChangeRow(e.seq, e.at, e.actor, e.entity, e.entity_id, e.action, e.before,
                              e.after, e.reason, e.hash)
                    for e in uow.changelog.entries(limit=limit, newest_first=newest_first)]

    def verify(self) -> chain.ChainProblem | None:
        with self._uow() as uow:
            return chain.verify(uow.changelog.chain())

    def count(self) -> int:
        with self._uow() as uow:
            return uow.changelog.count()
