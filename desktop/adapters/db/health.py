"""The database check `frontdesk doctor` runs: reachable, intact, which schema and mode."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text


def check_database(engine: Engine, revision: str, backups: Path) -> tuple[bool, str]:
    url = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            conn.execute(text("SELECT 1"))
            return True, f"{url} (schema {revision})"
        verdict = conn.execute(text("PRAGMA quick_check")).scalar()
        mode = conn.execute(text("PRAGMA journal_mode")).scalar()
    if verdict != "ok":
        return False, f"{url}: damaged ({verdict}); restore a backup from {backups}"
    return True, f"{url} (schema {revision}, journal {mode})"
