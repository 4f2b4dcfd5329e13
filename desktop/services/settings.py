"""Reading and changing settings; every change lands in the change log."""

from __future__ import annotations

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
