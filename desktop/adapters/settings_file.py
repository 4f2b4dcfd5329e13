"""Small JSON files in the data folder: `config.json` for settings the database cannot hold
(the database URL itself), `desk.json` for what this one desk remembers (the last alert it
showed) when the database is shared. Never holds secrets."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class SettingsFile:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()  # workers update the same file (alerts, ROI inputs)

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{self.path} is not valid JSON ({exc}); fix or delete it") from exc

    def write(self, values: dict) -> None:
        with self._lock:
            self._write(values)

    def update(self, changes: dict) -> None:
        """Merge `changes` into the file: read and write under one lock, so two workers
        updating different keys never lose each other's change."""
        with self._lock:
            self._write({**self.read(), **changes})

    def _write(self, values: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash leaves the old file or the new one
