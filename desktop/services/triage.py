"""Triage as the app and the command line use it: the shop's criteria from the settings,
the caller's mood from the sentiment model, then the pure rules in domain/triage.py."""

from __future__ import annotations

from collections.abc import Mapping

from desktop.adapters.sentiment import sentiment
from desktop.domain.triage import Criteria, Triage, triage


class TriageService:
    def __init__(self, settings: Mapping[str, object]):
        self.criteria = Criteria.for_shop(trades=settings["triage.trades"],
                                          disabled=settings["triage.disabled_rules"],
                                          extra=settings["triage.extra_rules"])

    def assess(self, transcript: str | None, repeat_calls: int = 1,
               after_hours: bool = False) -> Triage:
        return triage(transcript, criteria=self.criteria, repeat_calls=repeat_calls,
                      after_hours=after_hours,
                      sentiment=sentiment(transcript) if transcript else None)
