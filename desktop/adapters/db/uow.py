"""SQLAlchemy unit of work: one session, one transaction, repositories on top."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from desktop.adapters.db import repositories as repos
from desktop.adapters.db.outcomes import OutcomesQueries
from desktop.adapters.db.engine import WRITE

WRITER_LOCK = 0x46524F4E  # any constant all desks agree on


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker, write: bool = False):
        self._session_factory = session_factory
        self._write = write

    def __enter__(self) -> SqlUnitOfWork:
        session = self._session_factory()
        if self._write:
            # Make the first statement open the transaction with BEGIN IMMEDIATE (SQLite).
            connection = session.connection(execution_options={WRITE: True})
            if connection.dialect.name == "postgresql":
                # The same one-writer-at-a-time rule for desks sharing PostgreSQL; released
                # at commit or rollback. (Not exercised by the test suite: no server here.)
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
        self.session = session
        self.calls = repos.CallRepository(session)
        self.queue = repos.QueueRepository(session)
        self.leads = repos.LeadRepository(session)
        self.contacts = repos.ContactRepository(session)
        self.jobs = repos.JobRepository(session)
        self.settings = repos.SettingsRepository(session)
        self.changelog = repos.ChangeLogRepository(session)
        self.connectors = repos.ConnectorRepository(session)
        self.outbox = repos.OutboxRepository(session)
        self.quarantine = repos.QuarantineRepository(session)
        self.drafts = repos.DraftRepository(session)
        self.alerts = repos.AlertRepository(session)
        self.tasks = repos.TaskRepository(session)
        self.texts = repos.TextRepository(session)
        self.consent = repos.ConsentRepository(session)
        self.outcomes = OutcomesQueries(session)
        return self

    def __exit__(self, *exc) -> None:
        # close() ends the transaction (undoing anything not committed) without expiring
        # the loaded objects, so what a service returns stays readable as plain data.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()

    @contextmanager
    def savepoint(self):
        """A nested transaction: `with uow.savepoint(): ...` undoes only its own writes
        when it raises. The change log's cached chain tip is forgotten then too: an entry
        written inside was undone with it, and the next one must link to the one before."""
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self.changelog.forget_tip()
            raise


def uow_factory(session_factory: sessionmaker):
    def make(write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory, write=write)
    return make
