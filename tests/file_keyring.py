"""A keyring backend in a JSON file, for tests that run `frontdesk` as a subprocess (the
in-memory keyring of the test process is not visible there). Test-only: the app itself
never stores a secret in a file. Selected with PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring
and FRONTDESK_TEST_KEYRING_FILE=<path>."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors


class FileKeyring(keyring.backend.KeyringBackend):
    priority = 1

    @property
    def path(self) -> Path:
        return Path(os.environ["FRONTDESK_TEST_KEYRING_FILE"])

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, self.path)  # atomic: a killed writer leaves the old file

    def delete_password(self, service, username):
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self.path.write_text(json.dumps(data), encoding="utf-8")
