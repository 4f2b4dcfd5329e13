"""The one engine and sessionmaker. SQLite runs in WAL mode with full fsync, and write
transactions start with BEGIN IMMEDIATE so two writers (two desks, or the GUI and a
headless sync) queue up instead of failing on a stale read."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

from desktop.adapters.db.orm import start_mappers

WRITE = "frontdesk_write"


def make_engine(url: str) -> Engine:
    start_mappers()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    # expire_on_commit=False: services hand plain, already-loaded objects back.
    return sessionmaker(bind=engine, expire_on_commit=False)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take over transaction control from pysqlite so BEGIN is ours to write.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")  # a power cut loses no committed call
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _use_wal(cursor, attempts: int = 50) -> None:
    """Switch the file to WAL once (the mode is stored in the file). The switch needs an
    exclusive lock and answers "locked" at once, busy timeout or not, when another
    process is opening the same new file: wait a moment and look again."""
    for _ in range(attempts):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.1)
    cursor.execute("PRAGMA journal_mode=WAL")  # last try: let the error speak
