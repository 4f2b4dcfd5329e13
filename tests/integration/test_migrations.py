"""Schema migrations at start, and the backup copy taken before one runs."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone

from sqlalchemy import inspect, text

from desktop.adapters.db import migrate
from desktop.adapters.db.tables import metadata

NOW = datetime(2025, 2, 12, 21, 0, 5, tzinfo=timezone.utc)

SCRATCH = "9999"  # a test-only revision on top of whatever the real head is
SCRATCH_MIGRATION = '''"""add a scratch table (test only)

Revision ID: 9999
Revises: {head}
"""
from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("scratch")
'''


def test_a_fresh_folder_gets_the_schema_at_head_in_wal_mode(app_factory, data_dir, clock):
    app = app_factory()
    head = migrate.head_revision()
    versions = sorted(p.name[:4] for p in (migrate.MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    assert head == versions[-1]  # the newest numbered revision is the head
    assert migrate.current_revision(app.engine) == head
    assert app.migration.from_revision is None and app.migration.to_revision == head
    assert app.migration.backup is None  # nothing to back up in a brand-new database
    assert (data_dir / "frontdesk.db").is_file()
    tables = set(inspect(app.engine).get_table_names())
    assert set(metadata.tables) <= tables
    with app.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_reopening_an_up_to_date_database_migrates_nothing_and_backs_nothing_up(
        app_factory, data_dir):
    first = app_factory()
    first.settings_service.set("business.name", "Riverside Plumbing", actor="person:test")
    first.close()
    again = app_factory()
    assert not again.migration.migrated and again.migration.backup is None
    assert not (data_dir / "backups").exists() or not any((data_dir / "backups").iterdir())
    assert again.settings["business.name"] == "Riverside Plumbing"


def test_backup_includes_rows_still_in_the_wal_file(tmp_path):
    db = tmp_path / "frontdesk.db"
    writer = sqlite3.connect(db)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # keep every commit in the WAL file
        writer.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, note TEXT)")
        writer.executemany("INSERT INTO calls (note) VALUES (?)",
                           [(f"call {n}",) for n in range(250)])
        writer.commit()
        wal = tmp_path / "frontdesk.db-wal"
        assert wal.is_file() and wal.stat().st_size > 0
        # The premise: copying the main file alone would lose those rows.
        naive = tmp_path / "naive-copy.db"
        shutil.copyfile(db, naive)
        with sqlite3.connect(naive) as conn:
            assert not conn.execute("SELECT name FROM sqlite_master WHERE name='calls'").fetchall()

        target = migrate._backup_sqlite(db, tmp_path / "backups", NOW, "0001")
    finally:
        writer.close()

    assert target.parent == tmp_path / "backups"
    assert target.name == "frontdesk-20250212-210005-rev0001.db"
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("SELECT COUNT(*) FROM calls").fetchone() == (250,)
        assert copy.execute("SELECT note FROM calls WHERE id = 250").fetchone() == ("call 249",)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


def test_a_pending_migration_backs_up_first_then_upgrades(app_factory, data_dir, clock,
                                                          monkeypatch, tmp_path):
    clock.set(NOW)
    old = app_factory()
    old.settings_service.set("business.name", "Riverside Plumbing", actor="person:test")
    entries = old.changelog.count()
    old.close()

    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head_revision()
    (folder / "versions" / f"{SCRATCH}_scratch.py").write_text(
        SCRATCH_MIGRATION.replace("{head}", head), encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)

    new = app_factory()

    report = new.migration
    assert (report.from_revision, report.to_revision, report.migrated) == (head, SCRATCH, True)
    assert report.backup == data_dir / "backups" / f"frontdesk-20250212-210005-rev{head}.db"
    assert migrate.current_revision(new.engine) == SCRATCH
    assert "scratch" in inspect(new.engine).get_table_names()
    # The data came through the migration...
    assert new.settings["business.name"] == "Riverside Plumbing"
    assert new.changelog.count() == entries and new.changelog.verify() is None
    # ...and the backup is the database as it was before it.
    backup = sqlite3.connect(report.backup)
    try:
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
        assert not backup.execute(
            "SELECT name FROM sqlite_master WHERE name = 'scratch'").fetchall()
        assert backup.execute("SELECT COUNT(*) FROM change_log").fetchone() == (entries,)
    finally:
        backup.close()


def test_two_processes_starting_together_both_succeed(tmp_path):
    """The GUI at login and a headless `frontdesk sync` may start at the same moment on a
    fresh folder: one migrates under the write lock, the other waits and finds it done."""
    import subprocess
    import sys

    for attempt in range(3):
        folder = tmp_path / f"desk{attempt}"
        run = [sys.executable, "-m", "desktop", "--data-dir", str(folder), "config", "list"]
        procs = [subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        for proc in procs:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
