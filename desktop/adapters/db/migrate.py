"""Bring the database schema to the newest revision at start, copying a SQLite file to a
dated backup first whenever a migration is pending."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from desktop.adapters.db.engine import WRITE

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class MigrationReport:
    from_revision: str | None
    to_revision: str
    backup: Path | None

    @property
    def migrated(self) -> bool:
        return self.from_revision != self.to_revision


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, backup_dir: Path | None, now: datetime) -> MigrationReport:
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return MigrationReport(current, head, None)  # the usual start: no lock taken
    # Two desks (or the GUI and a headless sync) may start together: take the write lock
    # first and look again inside it, so one migrates and the other finds it done.
    with engine.connect().execution_options(**{WRITE: True}) as conn:
        conn.begin()
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            conn.rollback()
            return MigrationReport(current, head, None)
        backup = None
        if (current is not None and backup_dir is not None
                and engine.url.get_backend_name() == "sqlite"):
            backup = _backup_sqlite(Path(engine.url.database), backup_dir, now, current)
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    return MigrationReport(current, head, backup)


def _backup_sqlite(db_file: Path, backup_dir: Path, now: datetime, revision: str) -> Path:
    """Copy through SQLite's backup API, which includes what is still in the WAL file."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{db_file.stem}-{now:%Y%m%d-%H%M%S}-rev{revision}.db"
    source = sqlite3.connect(db_file)
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    return target
