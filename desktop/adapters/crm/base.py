"""The CRM port. A lead destination records a saved lead inside the intake transaction:
the built-in CRM writes its contact right there; external CRMs (HubSpot, Jobber, Housecall
Pro) will queue an outbox row there for the delivery worker instead."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from desktop.adapters.phone.base import ConnectionCheck
from desktop.domain.leads import Lead


class Crm(ABC):
    name: str = ""
    label: str = ""

    @abstractmethod
    def record_lead(self, uow, lead: Lead, now: datetime, actor: str) -> None:
        """Called inside the unit of work that saves `lead`; must not commit."""

    @abstractmethod
    def test_connection(self) -> ConnectionCheck:
        """Say in plain words whether the CRM can be reached and written to."""
