"""The unit-of-work port the services depend on (the SQLAlchemy one is in adapters/db)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class UnitOfWork(Protocol):
    calls: Any
    queue: Any
    leads: Any
    contacts: Any
    jobs: Any
    settings: Any
    changelog: Any
    connectors: Any
    outbox: Any
    quarantine: Any
    drafts: Any
    alerts: Any
    tasks: Any
    texts: Any
    consent: Any
    outcomes: Any

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def flush(self) -> None: ...
    def savepoint(self) -> Any: ...


# write=True takes the database's write lock at the start of the transaction.
UnitOfWorkFactory = Callable[..., UnitOfWork]
