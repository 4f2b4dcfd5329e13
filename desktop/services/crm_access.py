"""The CRM permission boundary: workers reach a CRM adapter only through `ScopedCrm`.

Each adapter declares its operations and the scope each needs (`Crm.operations`); the owner
grants scopes in `crm.scopes`. An operation whose scope is not granted is refused here,
before any request leaves the PC, and logged; the caller records the refusal in the change
log. Nothing here can delete: no adapter has such an operation, and a name that is not a
declared operation does not exist on the guard.
"""

from __future__ import annotations

import logging

from desktop.adapters.crm.base import Crm
from desktop.domain.permissions import ScopeRefused

log = logging.getLogger(__name__)

# How a refusal names the operation to the owner.
WORDS = {"find_contact": "looking a customer up", "find_lead_record": "looking a lead up",
         "read_contact": "reading a customer", "contacts_changed_since": "reading customers",
         "create_contact": "creating a customer", "prepare": "setting up the account for "
         "creating customers", "create_lead": "creating the lead", "add_note": "adding a note",
         "update_contact": "updating a customer", "jobs_changed_since": "reading jobs"}

# Plain attributes of an adapter that are not calls to the CRM.
_DESCRIPTIVE = frozenset({"name", "label", "operations", "default_field_map", "required",
                          "updatable", "test_connection"})


class ScopedCrm:
    def __init__(self, crm: Crm, granted):
        self._crm = crm
        self.granted = frozenset(granted)

    @property
    def adapter(self) -> Crm:
        return self._crm

    def allows(self, operation: str) -> bool:
        scope = self._crm.operations.get(operation)
        return scope is not None and scope in self.granted

    def scope_of(self, operation: str) -> str | None:
        return self._crm.operations.get(operation)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _DESCRIPTIVE:
            return getattr(self._crm, name)
        if name not in self._crm.operations:
            raise AttributeError(f"{self._crm.label} has no operation '{name}'")

        def guarded(*args, **kwargs):
            scope = self._crm.operations[name]
            if scope not in self.granted:
                log.warning("refused %s.%s: scope %s is not granted", self._crm.name, name,
                            scope)
                doing = WORDS.get(name, name.replace("_", " "))
                raise ScopeRefused(
                    f"{self._crm.label}: {doing} needs the {scope} permission, which the "
                    "owner has not granted (frontdesk config set crm.scopes …, or Settings "
                    "→ CRM)", scope)
            return getattr(self._crm, name)(*args, **kwargs)

        return guarded
