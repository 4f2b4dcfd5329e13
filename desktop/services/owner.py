"""The owner passcode: owner-only settings (templates, text-back) need it.

Stored as a salted scrypt hash (hashlib's memory-hard KDF) in the shared settings table,
so every desk asks for the same passcode; the passcode itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from desktop.domain.clock import Clock, utcnow
from desktop.services.unit_of_work import UnitOfWorkFactory

KEY = "owner.passcode"  # not a declared setting: `config` never shows or sets it
_N, _R, _P = 2 ** 14, 8, 1
MIN_LENGTH = 4


class OwnerRefused(PermissionError):
    """An owner-only change without the right passcode; the message says what to do."""


def _hash(passcode: str, salt: bytes, n: int = _N, r: int = _R, p: int = _P) -> bytes:
    return hashlib.scrypt(passcode.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


class OwnerAuth:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock = utcnow):
        self._uow, self._clock = uow_factory, clock

    def _stored(self) -> dict | None:
        with self._uow() as uow:
            value = uow.settings.all().get(KEY)
        return value if isinstance(value, dict) else None

    def is_set(self) -> bool:
        return self._stored() is not None

    def verify(self, passcode: str | None) -> bool:
        stored = self._stored()
        if stored is None or not passcode:
            return False
        digest = _hash(passcode, bytes.fromhex(stored["salt"]), stored["n"], stored["r"],
                       stored["p"])
        return hmac.compare_digest(digest.hex(), stored["hash"])

    def require(self, passcode: str | None, what: str) -> None:
        if not self.is_set():
            raise OwnerRefused(f"Only the owner can change {what}, and no owner passcode is "
                               "set yet: set one with 'frontdesk owner passcode'.")
        if not self.verify(passcode):
            raise OwnerRefused(f"Only the owner can change {what}: the owner passcode is "
                               "missing or wrong.")

    def set(self, new: str, current: str | None, actor: str) -> None:
        if self.is_set() and not self.verify(current):
            raise OwnerRefused("The current owner passcode is missing or wrong.")
        if len(new or "") < MIN_LENGTH:
            raise ValueError(f"the owner passcode needs at least {MIN_LENGTH} characters")
        salt = secrets.token_bytes(16)
        value = {"scheme": "scrypt", "n": _N, "r": _R, "p": _P, "salt": salt.hex(),
                 "hash": _hash(new, salt).hex()}
        now = self._clock()
        with self._uow(write=True) as uow:
            uow.settings.put(KEY, value, now)
            uow.changelog.append(at=now, actor=actor, entity="setting", entity_id=KEY,
                                 action="changed", reason="owner passcode set")
            uow.commit()
