"""The status area says what broke, in plain words, after the poll that found it."""

from __future__ import annotations

from desktop.adapters.phone.base import ProblemKind, ProviderError


def test_a_failing_provider_shows_in_the_status_area_and_recovery_clears_it(window, desk_app):
    provider = desk_app.sync.provider
    real_list = provider.list_calls

    def refuse(since, until):
        raise ProviderError("Simulator rejected the credentials: check Settings → Phone",
                            ProblemKind.AUTH)

    provider.list_calls = refuse
    window.poll()
    label = window.status.phone
    assert "rejected the credentials" in label.text()
    assert label.property("level") == "error"
    assert "Last poll failed" in window.status.last_poll.text()

    provider.list_calls = real_list
    window.poll()
    assert "synced" in label.text() and label.property("level") == "ok"
