"""A shared database's password lives in the keyring, never in the settings file."""

from __future__ import annotations

import keyring
import pytest

from desktop.adapters.secrets import SERVICE, SecretStore
from desktop.bootstrap import with_password
from desktop.config import SettingError, setting


def test_a_url_with_a_password_is_refused_naming_the_keyring():
    with pytest.raises(SettingError, match="frontdesk secret set database.password"):
        setting("database.url").parse("postgresql://desk:Hunter2@db.local/frontdesk")
    assert setting("database.url").parse("postgresql://desk@db.local/frontdesk")
    with pytest.raises(SettingError, match="is not a database URL"):
        setting("database.url").parse("not a url")


def test_the_password_is_merged_from_the_keyring_in_memory_only():
    url = "postgresql://desk@db.local/frontdesk"
    assert with_password(url, SecretStore()) == url  # nothing stored: unchanged
    keyring.set_password(SERVICE, "database.password", "Hunter2")
    assert with_password(url, SecretStore()) == "postgresql://desk:Hunter2@db.local/frontdesk"
    assert with_password("sqlite:///x.db", SecretStore()) == "sqlite:///x.db"
