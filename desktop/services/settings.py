"""Reading and changing settings; every change lands in the change log."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.config import SETTINGS, Settings, setting
from desktop.domain.clock import Clock, utcnow
from desktop.services.owner import OwnerAuth
from desktop.services.unit_of_work import UnitOfWorkFactory


class SettingsService:
    def __init__(self, uow_factory: UnitOfWorkFactory, settings_file, clock: Clock = utcnow):
        self._uow = uow_factory
        self._file = settings_file
        self._clock = clock
        self.owner = OwnerAuth(uow_factory, clock)

    def load(self) -> Settings:
        with self._uow() as uow:
            stored = uow.settings.all()
        stored.update({k: v for k, v in self._file.read().items() if k in SETTINGS})
        # Ignore stored values that no longer validate (a setting's rules tightened).
        values = {}
        for key, value in stored.items():
            if key in SETTINGS:
                try:
                    values[key] = SETTINGS[key].validate(value)
                except ValueError:
                    continue
        return Settings(values)

    def set(self, key: str, value, actor: str, reason: str | None = None,
            passcode: str | None = None) -> object:
        """Validate and store `value` (already typed; use Setting.parse for text). An
        owner-only setting needs the owner passcode (OwnerRefused otherwise)."""
        self.set_many({key: value}, actor, reason, passcode)
        return setting(key).validate(value)

    def set_many(self, values: dict, actor: str, reason: str | None = None,
                 passcode: str | None = None) -> None:
        """Several settings in one transaction: all of them, or (one invalid) none."""
        checked = {key: setting(key).validate(value) for key, value in values.items()}
        guarded = [key for key in checked if setting(key).owner_only]
        if guarded:
            self.owner.require(passcode, ", ".join(guarded))
        current = self.load()
        now = self._clock()
        with self._uow(write=True) as uow:
            in_file = self._file.read()
            for key, value in checked.items():
                if setting(key).in_file:
                    in_file[key] = value
                else:
                    uow.settings.put(key, value, now)
                uow.changelog.append(at=now, actor=actor, entity="setting", entity_id=key,
                                     action="changed", before={"value": current[key]},
                                     after={"value": value}, reason=reason)
            if any(setting(key).in_file for key in checked):
                self._file.write(in_file)
            uow.commit()

    # -- export and import (a reinstall, a second PC) ------------------------------------
    EXPORT_FORMAT = "frontdesk-settings"

    def export(self) -> dict:
        """Every setting that differs from its default, as one JSON-ready document. Never
        a secret (secrets are not settings; they live in the keyring) and never the owner
        passcode's hash (a second PC sets its own)."""
        current = self.load()
        return {"format": self.EXPORT_FORMAT, "version": 1,
                "exported_at": self._clock().isoformat(timespec="seconds"),
                "settings": {key: current[key] for key in sorted(SETTINGS)
                             if not current.is_default(key)}}

    def import_(self, document, actor: str, passcode: str | None = None) -> list[str]:
        """Apply an export: all of it in one transaction, or (one key unknown or invalid)
        none of it, with every problem named. Returns the keys applied."""
        if not isinstance(document, dict) or document.get("format") != self.EXPORT_FORMAT:
            raise ValueError("this is not a Front Desk settings export (it has no "
                             f"\"format\": \"{self.EXPORT_FORMAT}\")")
        values = document.get("settings")
        if not isinstance(values, dict):
            raise ValueError("the export has no \"settings\" object")
        problems = []
        for key, value in values.items():
            try:
                setting(key).validate(value)
            except ValueError as exc:
                problems.append(str(exc) if key in str(exc) else f"{key}: {exc}")
        if problems:
            raise ValueError("nothing was imported: " + "; ".join(problems))
        self.set_many(values, actor, reason="settings imported", passcode=passcode)
        return sorted(values)

    def export_to(self, path) -> int:
        """export() written to a file (the CLI, the Settings window); returns how many
        settings. ValueError names a file that cannot be written."""
        document = self.export()
        try:
            Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot write {path}: {exc.strerror or exc}") from None
        return len(document["settings"])

    @staticmethod
    def read_export(path) -> dict:
        """An export file's document, for import_(); ValueError names what is wrong."""
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"there is no file {path}") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path} is not a settings export: {exc}") from None

    @staticmethod
    def needs_passcode(document) -> bool:
        """Whether importing this document changes an owner-only setting."""
        values = document.get("settings") if isinstance(document, dict) else None
        return isinstance(values, dict) and any(
            key in SETTINGS and SETTINGS[key].owner_only for key in values)
