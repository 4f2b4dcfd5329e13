"""Settings change together or not at all, and every change is in the change log."""

from __future__ import annotations

import pytest

from desktop.config import SettingError


def test_set_many_is_all_or_nothing(app_factory):
    app = app_factory()
    before = app.changelog.count()
    with pytest.raises(SettingError, match="phone.poll_seconds"):
        app.settings_service.set_many({"business.name": "Riverside Plumbing",
                                       "phone.poll_seconds": 0}, "person:owner")
    assert app.settings_service.load()["business.name"] == "My Shop"
    assert app.changelog.count() == before

    app.settings_service.set_many({"business.name": "Riverside Plumbing",
                                   "phone.poll_seconds": 15}, "person:owner", reason="setup")
    settings = app.settings_service.load()
    assert (settings["business.name"], settings["phone.poll_seconds"]) == ("Riverside Plumbing", 15)
    changes = [(r.entity_id, r.before, r.after, r.reason) for r in app.changelog.rows()[-2:]]
    assert changes == [("business.name", {"value": "My Shop"}, {"value": "Riverside Plumbing"},
                        "setup"),
                       ("phone.poll_seconds", {"value": 30}, {"value": 15}, "setup")]
    assert app.changelog.verify() is None
