"""The PhoneProvider port: what the sync service needs from any phone system.

Contract for `list_calls(since, until)`: yield pages (lists) of every customer call that
*finished* (reached a final status) in [since, until), with the provider's legs of one
customer call already merged into one ProviderCall. The sync service passes an overlapping
`since`, so the same call may be yielded again; it de-duplicates by provider_call_id.
A record the adapter cannot read is yielded as a `Quarantined` (reason and raw payload)
in its place: it is kept and skipped, and the rest of the page still syncs.
Vendor quirks (pagination, time formats, silent default windows) stay in the adapter.

Contract for `list_messages(since, until)`: yield pages of the *inbound* texts (customer to
shop) the provider received in [since, until), oldest first where the API allows. Outbound
texts are left out. The follow-up service reads them for opt-outs (STOP, "please stop
texting me") and opt-ins; it de-duplicates by provider_message_id, as with calls. A record
the adapter cannot read is yielded as a `Quarantined`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from desktop.adapters.errors import (ConnectionCheck, ProblemKind, ProviderError,  # noqa: F401
                                     require)
from desktop.domain.calls import ProviderCall
from desktop.domain.quarantine import Quarantined


Page = list[ProviderCall | Quarantined]


@dataclass(frozen=True)
class SentMessage:
    provider_message_id: str
    to_number: str
    body: str
    sent_at: datetime


@dataclass(frozen=True)
class InboundMessage:
    """A text a customer sent to the shop's number."""

    provider_message_id: str
    from_number: str   # E.164: the customer
    to_number: str     # E.164: the shop's number that received it
    body: str
    received_at: datetime  # aware UTC


MessagePage = list[InboundMessage | Quarantined]


class PhoneProvider(ABC):
    #: settings value of `phone.provider` that selects this adapter
    name: str = ""
    #: how the status area names it
    label: str = ""

    @abstractmethod
    def list_calls(self, since: datetime,
                   until: datetime) -> Iterator[list[ProviderCall | Quarantined]]:
        """Yield pages of calls that finished in [since, until); see the module docstring."""

    @abstractmethod
    def fetch_transcript(self, provider_call_id: str) -> str | None:
        """The voicemail transcript of a call, or None when there is none."""

    @abstractmethod
    def list_messages(self, since: datetime, until: datetime) -> Iterator[MessagePage]:
        """Yield pages of inbound texts received in [since, until); see the module docstring."""

    @abstractmethod
    def send_sms(self, to_number: str, body: str) -> SentMessage:
        """Send a text from the shop's number; raise ProviderError on failure."""

    @abstractmethod
    def test_connection(self) -> ConnectionCheck:
        """Say in plain words whether the credentials and account work."""
