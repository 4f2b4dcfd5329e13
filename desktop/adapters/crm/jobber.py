"""Jobber, through its GraphQL API (developer.getjobber.com).

What the API makes us do, and why the code looks the way it does:

* One endpoint, `POST /api/graphql`, JSON only, with `Authorization: Bearer <access token>`
  and the required `X-JOBBER-GRAPHQL-VERSION` header (`crm.jobber.api_version`). Every
  operation is named and takes variables.
* OAuth 2.0. The access token (a JWT, 60 minutes) lives in memory only: it is fetched at
  first use from `POST /api/oauth/token` (form: grant_type=refresh_token, client_id,
  client_secret, refresh_token), again shortly before its `expires_at`, and again when the
  API answers 401, after which the request is sent once more. Refresh tokens ROTATE: each
  answer carries a new one and (apps made after 2024-01-02) the one sent is dead at once, no
  grace period. So the new token goes to the keyring before anything else happens. The app
  and `frontdesk deliver` share that keyring: when Jobber refuses the token we sent, the
  other process may just have rotated it, so we read the keyring again and try once more
  with a different token. A refresh is never retried blindly: if its answer is lost on the
  way, the token we sent is dead and the new one never arrived, and only reconnecting helps.
* Failures come back with HTTP 200. Mutations report bad input as `userErrors {message
  path}` (REJECTED, in Jobber's words). Throttling is a GraphQL error with extensions.code
  THROTTLED and `extensions.cost` {requestedQueryCost, throttleStatus {maximumAvailable,
  currentlyAvailable, restoreRate}}: a leaky bucket (10,000 points, 500 back per second), so
  the wait is (requested - available) / restoreRate. Separately, 2,500 requests per 5 minutes
  per app and account (HTTP 429).
* `ClientCreateInput` has no tags and no note, so the idempotency marker is added right after
  as a client tag (`clientEdit` tagsToAdd) and found with `clients(filter: {tags})`. If the
  process dies between the two, the client is found by its phone or email instead. The
  lead's source is a tag too: Jobber itself sets an API-made client's lead source (to the
  app's name) and does not let it be edited.
* A lead becomes a request (`requestCreate`, the marker in its title) plus a request note
  with the details and the marker (`RequestCreateInput` has no free-text field). A marked
  request without that note is an unfinished attempt: `find_lead_record` does not report it
  and `create_lead` finishes it rather than making a second request.
* `clients(searchTerm:)` is fuzzy and how it matches phone numbers is not documented: we
  search for the last four digits (a substring of every way people type a number), then the
  national number, and compare numbers here.
* Jobs cannot be filtered by updatedAt: they are listed by UPDATED_AT descending and the walk
  stops at the first one older than `since`, so job pages come newest first.
* Money is a Float in the account's currency: revenue_cents = round(total * 100).

Verified in the docs: endpoint, headers, token request and rotation, 60-minute tokens and the
401 on expiry, the THROTTLED body, the 2,500/300 s limit, cursor pagination. Verified in a
TypeScript codegen of Jobber's introspected schema (public repository, recent version): every
type, argument, field and enum used here. Plausible, not verified: the token endpoint's answer
to a dead refresh token (any 400/401 there counts as refused), the 401 body, how searchTerm
matches, whether `updatedAt.after` is inclusive (we ask from a second earlier and cut here),
that older API versions have every field used, and the menu names in the undo notes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice

import phonenumbers

from desktop.adapters.crm.base import (
    ConnectionCheck, Crm, CrmContact, CrmJob, CrmWrite, ProblemKind, ProviderError, marker,
    split_name,
)
from desktop.adapters.errors import require
from desktop.adapters.http import HttpClient, RateLimiter, Wording
from desktop.domain.clock import as_utc, utcnow
from desktop.domain.phone import InvalidPhone, display, to_e164

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.getjobber.com"
GRAPHQL, TOKEN = "/api/graphql", "/api/oauth/token"
CLIENT_ID, CLIENT_SECRET = "crm.jobber.client_id", "crm.jobber.client_secret"
REFRESH_TOKEN = "crm.jobber.refresh_token"
PAGE = 50                # nodes per page: 50 clients of ~15 fields cost ~750 of 10,000 points
MAX_PAGES = 2_000
SEARCH_PAGES = 10        # a fuzzy search this long has told us what it knows
TOKEN_MARGIN = timedelta(minutes=1)
SLACK = timedelta(seconds=1)
RECONNECT = ("reconnect Jobber (Settings → CRM), or check crm.jobber.client_id and "
             "crm.jobber.client_secret")

WORDING = Wording(
    label="Jobber",
    auth="Jobber refused the credentials ({detail}): " + RECONNECT,
    permission="Jobber refused access ({detail}): the Jobber app may lack a permission; "
               "reconnect Jobber and allow it",
    not_found="Jobber answered 'not found' ({detail}): check crm.base_url in Settings",
    rate_limited="Jobber is rate-limiting us (2,500 requests per 5 minutes); waiting {wait}",
)

CLIENT = ("id name jobberWebUri createdAt updatedAt phones { number primary } "
          "emails { id address primary } "
          "billingAddress { street1 street2 city province postalCode } "
          "tags(first: 20) { nodes { label } }")
PAGING = "pageInfo { hasNextPage endCursor }"
ERRORS = "userErrors { message path }"
Q_CHECK = "query Check { account { id name } clients(first: 1) { nodes { id } } }"
Q_CLIENTS = ("query Clients($first: Int!, $after: String, $term: String, "
             "$filter: ClientFilterAttributes, $sort: ClientsSortInput) { clients(first: $first, "
             "after: $after, searchTerm: $term, filter: $filter, sort: $sort) "
             f"{{ nodes {{ {CLIENT} }} {PAGING} }} }}")
Q_CLIENT = f"query Client($id: EncodedId!) {{ client(id: $id) {{ {CLIENT} }} }}"
Q_REQUESTS = ("query ClientRequests($id: EncodedId!, $first: Int!, $after: String) { "
              "client(id: $id) { requests(first: $first, after: $after) { "
              f"nodes {{ id title jobberWebUri }} {PAGING} }} }} }}")
Q_NOTES = ("query RequestNotes($id: EncodedId!) { request(id: $id) { notes(first: 50) { "
           "nodes { ... on RequestNote { message } } } } }")
Q_JOBS = ("query Jobs($first: Int!, $after: String, $sort: [JobsSortInput!]) { jobs(first: "
          "$first, after: $after, sort: $sort) { nodes { id jobNumber title jobStatus total "
          f"startAt createdAt updatedAt client {{ id }} }} {PAGING} }} }}")
M_CLIENT = ("mutation CreateClient($input: ClientCreateInput!) { clientCreate(input: $input) "
            f"{{ client {{ id name jobberWebUri }} {ERRORS} }} }}")
M_EDIT = ("mutation EditClient($id: EncodedId!, $input: ClientEditInput!) { clientEdit("
          f"clientId: $id, input: $input) {{ client {{ id }} {ERRORS} }} }}")
M_REQUEST = ("mutation CreateRequest($input: RequestCreateInput!) { requestCreate(input: "
             f"$input) {{ request {{ id title jobberWebUri }} {ERRORS} }} }}")
M_REQUEST_NOTE = ("mutation CreateRequestNote($id: EncodedId!, $input: RequestCreateNoteInput!)"
                  " { requestCreateNote(requestId: $id, input: $input) { requestNote { id } "
                  f"{ERRORS} }} }}")
M_CLIENT_NOTE = ("mutation CreateClientNote($id: EncodedId!, $input: ClientCreateNoteInput!) "
                 "{ clientCreateNote(clientId: $id, input: $input) { clientNote { id } "
                 f"client {{ name jobberWebUri }} {ERRORS} }} }}")


class JobberCrm(Crm):
    name = "jobber"
    label = "Jobber"
    default_field_map = {
        "name": "contact.name", "phone": "contact.phone", "email": "contact.email",
        "service_address": "contact.address", "service_type": "lead.title",
        "source": ["contact.source", "lead.details"], "urgency": "lead.details",
        "notes": "lead.details",
    }
    required = ("contact.name",)     # clientCreate refuses a client without any name
    updatable = ("email", "address")

    def __init__(self, *, client_id: Callable[[], str | None],
                 client_secret: Callable[[], str | None],
                 refresh_token: Callable[[], str | None],
                 save_refresh_token: Callable[[str], None] | None, api_version: str,
                 base_url: str = DEFAULT_BASE_URL, clock: Callable[[], datetime] = utcnow,
                 timeout=(5.0, 30.0), sleep: Callable[[float], None] = time.sleep,
                 limiter: RateLimiter | None = None, page_size: int = PAGE, session=None):
        self._client_id, self._client_secret = client_id, client_secret
        self._refresh_token, self._save_refresh = refresh_token, save_refresh_token
        self._version, self._clock, self.page_size = api_version, clock, page_size
        self._access: str | None = None
        self._expires: datetime | None = None
        self._unsaved: str | None = None   # a renewed refresh token the keyring refused
        self._sleep = sleep
        self._lock = threading.Lock()      # one refresh at a time: a second would kill the first
        self._known: list[str] = []        # credentials seen, blanked out of every message
        self._warned = False
        self.http = HttpClient(base_url or DEFAULT_BASE_URL, WORDING, timeout=timeout,
                               sleep=sleep, limiter=limiter or RateLimiter(2500, 300, sleep=sleep),
                               session=session, secrets=lambda: list(self._known))

    # -- the port: customers ---------------------------------------------------------------
    def find_contact(self, key, phone, email) -> CrmContact | None:
        tag = marker(key) if key else None
        if tag:
            for node in next(self._walk("Clients", Q_CLIENTS, {"filter": {"tags": [tag]}},
                                        ("clients",)), []):
                if tag in _tags(node):
                    return _contact(node, key)
        e164 = _e164(phone)
        if e164:
            national = str(phonenumbers.parse(e164).national_number)
            for term in (national[-4:], national):
                found = self._search(term, lambda node: e164 in _phones(node), key)
                if found:
                    return found
        if email:
            wanted = email.strip().casefold()
            return self._search(email.strip(), lambda node: wanted in
                                [e.casefold() for e in _emails(node)], key)
        return None

    def read_contact(self, crm_id: str) -> dict[str, str | None]:
        return _values(self._client(crm_id))

    def create_contact(self, fields: dict[str, str], key: str) -> CrmWrite:
        fields = {k: v.strip() for k, v in fields.items() if v and v.strip()}
        first, last = split_name(fields.pop("name", ""))
        source = fields.pop("source", None)
        sent: dict = {"firstName": first, "lastName": last}
        if "phone" in fields:
            sent["phones"] = [{"number": display(fields.pop("phone")), "primary": True,
                               "description": "MAIN"}]  # as people type it: (312) 555-0142
        if "email" in fields:
            sent["emails"] = [{"address": fields.pop("email"), "primary": True,
                               "description": "MAIN"}]
        if "address" in fields:
            sent["billingAddress"] = {"street1": fields.pop("address")}
        sent.update(fields)  # any other contact.<field> is a ClientCreateInput field of that name
        client = self._mutate("CreateClient", M_CLIENT, {"input": sent}, "clientCreate",
                              "client")["client"]
        tags = [marker(key)] + ([source] if source else [])
        try:
            self._mutate("EditClient", M_EDIT, {"id": client["id"], "input": {"tagsToAdd": tags}},
                         "clientEdit", "client")
            sent["tags"] = tags
        except ProviderError as exc:  # the client exists: report it; phone/email find it again
            log.warning("Jobber client %s was created but not tagged (%s)", client["id"], exc)
        name = client.get("name") or f"{first} {last}".strip()
        return CrmWrite("contact", client["id"], "created", sent, url=client.get("jobberWebUri"),
                        undo=f"Delete Jobber client {name} if it was created by mistake: Clients"
                             f" → {name} → More Actions → Delete. Front Desk never deletes.")

    def update_contact(self, crm_id: str, changes: dict[str, str | None]) -> CrmWrite:
        """Set email and/or address. An empty value is ignored: Front Desk never removes
        what the shop has in Jobber."""
        unknown = sorted(set(changes) - set(self.updatable))
        if unknown:
            raise ValueError(f"Jobber: update_contact can set {', '.join(self.updatable)}, "
                             f"not {', '.join(unknown)}")
        client = self._client(crm_id)
        before = _values(client)
        after = {k: v.strip() for k, v in changes.items()
                 if v and v.strip() and v.strip() != before[k]}
        edit: dict = {}
        if "email" in after:
            primary = next((e for e in client.get("emails") or [] if e.get("primary")), None)
            edit["emailsToEdit" if primary else "emailsToAdd"] = [
                {"id": primary["id"], "address": after["email"]} if primary else
                {"address": after["email"], "primary": True, "description": "MAIN"}]
        if "address" in after:  # the whole address becomes the one line we have
            edit["billingAddress"] = {"street1": after["address"], "street2": "", "city": "",
                                      "province": "", "postalCode": ""}
        if edit:
            self._mutate("EditClient", M_EDIT, {"id": crm_id, "input": edit}, "clientEdit",
                         "client")
        name, was = client.get("name") or crm_id, {k: before[k] for k in after}
        undo = (f"Change it back in Jobber if needed: Clients → {name} → Edit (before: "
                + ", ".join(f"{k} {v or 'empty'}" for k, v in was.items()) + ")"
                if after else "Nothing was changed.")
        return CrmWrite("contact", crm_id, "updated", after, undo, before=was,
                        url=client.get("jobberWebUri"))

    def add_note(self, contact_id: str, text: str) -> CrmWrite:
        payload = self._mutate("CreateClientNote", M_CLIENT_NOTE,
                               {"id": contact_id, "input": {"message": text}},
                               "clientCreateNote", "clientNote")
        client = payload.get("client") if isinstance(payload.get("client"), dict) else {}
        name = client.get("name") or contact_id
        return CrmWrite("note", payload["clientNote"]["id"], "created", {"message": text},
                        f"Delete the note on Jobber client {name} if it was added by mistake: "
                        f"Clients → {name} → Notes → the note's menu → Delete. Front Desk "
                        "never deletes.", url=client.get("jobberWebUri"))

    # -- the port: the lead's request --------------------------------------------------------
    def find_lead_record(self, contact_id: str, key: str) -> CrmWrite | None:
        found = self._lead_request(contact_id, marker(key))
        return _request_write(found[0], "linked", {"title": found[0].get("title")}) \
            if found and found[1] else None

    def create_lead(self, contact_id: str, fields: dict[str, str], key: str) -> CrmWrite:
        tag = marker(key)
        fields = {k: v.strip() for k, v in fields.items() if v and v.strip()}
        title = f"{fields.pop('title', 'Front Desk lead')} ({tag})"
        lines = [fields.pop("details", "")] + [f"{k}: {v}" for k, v in fields.items()]
        note = "\n".join(line for line in lines if line) + f"\n\n{tag} (sent by Front Desk)"
        found = self._lead_request(contact_id, tag)
        if found and found[1]:
            return _request_write(found[0], "linked", {"title": found[0].get("title")})
        request = found[0] if found else self._mutate(
            "CreateRequest", M_REQUEST, {"input": {"clientId": contact_id, "title": title}},
            "requestCreate", "request")["request"]
        self._mutate("CreateRequestNote", M_REQUEST_NOTE,
                     {"id": request["id"], "input": {"message": note}}, "requestCreateNote",
                     "requestNote")
        return _request_write(request, "created", {"title": request.get("title") or title,
                                                   "note": note})

    def _lead_request(self, contact_id: str, tag: str) -> tuple[dict, bool] | None:
        """The client's request marked `tag`, and whether its marked note landed too."""
        self._client(contact_id)  # a deleted or merged client reads as null: say so
        for page in self._walk("ClientRequests", Q_REQUESTS, {"id": contact_id},
                               ("client", "requests")):
            for request in page:
                if (isinstance(request, dict) and isinstance(request.get("id"), str)
                        and tag in str(request.get("title") or "")):
                    notes = _dig(self._gql("RequestNotes", Q_NOTES, {"id": request["id"]}),
                                 ("request", "notes")).get("nodes") or []
                    return request, any(isinstance(n, dict) and tag in str(n.get("message"))
                                        for n in notes)
        return None

    # -- the port: sync ----------------------------------------------------------------------
    def contacts_changed_since(self, since: datetime | None) -> Iterator[list[CrmContact]]:
        variables: dict = {"sort": {"key": "UPDATED_AT", "direction": "ASCENDING"}}
        if since is not None:
            since = as_utc(since)
            variables["filter"] = {"updatedAt": {"after": _iso(since - SLACK)}}
        for nodes in self._walk("Clients", Q_CLIENTS, variables, ("clients",)):
            page = [c for c in _readable(nodes, _contact, "client")
                    if since is None or c.updated_at >= since]
            if page:
                yield page

    def jobs_changed_since(self, since: datetime | None) -> Iterator[list[CrmJob]]:
        since = as_utc(since) if since is not None else None
        sort = [{"key": "UPDATED_AT", "direction": "DESCENDING"}]
        for nodes in self._walk("Jobs", Q_JOBS, {"sort": sort}, ("jobs",)):
            jobs = _readable(nodes, _job, "job")
            page = [j for j in jobs if since is None or j.updated_at >= since]
            if page:
                yield page
            if len(page) < len(jobs):  # newest first: the rest is older still
                return

    def test_connection(self) -> ConnectionCheck:
        try:
            account = self._gql("Check", Q_CHECK, {}).get("account") or {}
        except ProviderError as exc:
            return ConnectionCheck(False, str(exc))
        return ConnectionCheck(True, f"Connected to Jobber: {account.get('name') or 'account'} "
                                     f"(API version {self._version})")

    # -- GraphQL -----------------------------------------------------------------------------
    def _gql(self, operation: str, query: str, variables: dict, write: bool = False) -> dict:
        body = {"operationName": operation, "query": query, "variables": variables}
        for attempt in (1, 2):
            token = self._token()
            try:
                response = self.http.request(
                    "POST", GRAPHQL, json=body, idempotent=not write,
                    headers={"Authorization": f"Bearer {token}",
                             "X-JOBBER-GRAPHQL-VERSION": self._version})
            except ProviderError as exc:
                if exc.kind is not ProblemKind.AUTH or attempt == 2:
                    raise
                with self._lock:  # expired or revoked: refresh once, send once more
                    if self._access == token:
                        self._access = None
                continue
            return self._data(self.http.json_of(response), operation)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _data(self, body: dict, operation: str) -> dict:
        extensions = body.get("extensions") if isinstance(body.get("extensions"), dict) else {}
        versioning = extensions.get("versioning")
        warning = versioning.get("warning") if isinstance(versioning, dict) else None
        if warning and not self._warned:  # the version is about to lose support: say so once
            self._warned = True
            log.warning("Jobber: %s", warning)
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            if isinstance(first.get("extensions"), dict) \
                    and first["extensions"].get("code") == "THROTTLED":
                raise _throttled(extensions.get("cost"))
            raise ProviderError(f"Jobber could not answer {operation}: "
                                f"{str(first.get('message') or errors[0])[:200]}",
                                ProblemKind.BAD_RESPONSE)
        if not isinstance(body.get("data"), dict):
            raise ProviderError(f"Jobber sent no data for {operation}", ProblemKind.BAD_RESPONSE)
        return body["data"]

    def _mutate(self, operation: str, query: str, variables: dict, field: str,
                result: str) -> dict:
        """The payload of a mutation, whose `result` record must have an id. userErrors
        (HTTP 200) mean Jobber refused our data: REJECTED, in its own words."""
        payload = self._gql(operation, query, variables, write=True).get(field)
        if not isinstance(payload, dict):
            raise ProviderError(f"Jobber sent no {field} answer", ProblemKind.BAD_RESPONSE)
        problems = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
        if problems:
            raise ProviderError("Jobber refused it: " + "; ".join(
                str(e.get("message") or "invalid") + (f" ({'.'.join(map(str, e['path']))})"
                                                      if e.get("path") else "")
                for e in problems), ProblemKind.REJECTED)
        record = payload.get(result)
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ProviderError(f"Jobber accepted {field} but sent no {result} id",
                                ProblemKind.BAD_RESPONSE)
        return payload

    def _walk(self, operation: str, query: str, variables: dict,
              path: tuple[str, ...]) -> Iterator[list]:
        """The nodes of each page of the connection at `path`, following endCursor."""
        after, seen = None, set()
        for _ in range(MAX_PAGES):
            connection = _dig(self._gql(operation, query, {
                **variables, "first": self.page_size, "after": after}), path)
            nodes, info = connection.get("nodes"), connection.get("pageInfo")
            if not isinstance(nodes, list) or not isinstance(info, dict):
                raise ProviderError(f"Jobber sent a {operation} page without nodes or pageInfo",
                                    ProblemKind.BAD_RESPONSE)
            yield nodes
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not isinstance(after, str) or not nodes:
                return
            if after in seen:  # a server repeating itself must not keep us forever
                raise ProviderError(f"Jobber repeated a page of {operation}; stopped there",
                                    ProblemKind.BAD_RESPONSE)
            seen.add(after)
        raise ProviderError(f"Jobber kept sending pages of {operation} (over {MAX_PAGES}); "
                            "stopped there", ProblemKind.BAD_RESPONSE)

    def _search(self, term: str, match, key: str | None) -> CrmContact | None:
        for page in islice(self._walk("Clients", Q_CLIENTS, {"term": term}, ("clients",)),
                           SEARCH_PAGES):
            for node in page:
                try:
                    if match(node):
                        return _contact(node, key if key and marker(key) in _tags(node)
                                        else None)
                except (ValueError, TypeError, AttributeError):
                    continue
        return None

    def _client(self, crm_id: str) -> dict:
        client = self._gql("Client", Q_CLIENT, {"id": crm_id}).get("client")
        if not isinstance(client, dict):
            raise _no_client(crm_id)
        return client

    # -- OAuth -------------------------------------------------------------------------------
    def _remember(self, *credentials: str) -> None:
        self._known += [c for c in credentials if c not in self._known]

    def _token(self) -> str:
        with self._lock:
            if self._unsaved:
                self._keep(self._unsaved)  # the keyring refused it before: try again
            if self._access is None or (self._expires and
                                        as_utc(self._clock()) >= self._expires - TOKEN_MARGIN):
                self._access, self._expires = self._refresh()
            return self._access

    def _refresh(self) -> tuple[str, datetime | None]:
        form = {"grant_type": "refresh_token",
                "client_id": require(self._client_id(), "No Jobber client id is stored: run "
                                     "`frontdesk secret set crm.jobber.client_id`"),
                "client_secret": require(self._client_secret(), "No Jobber client secret is "
                                         "stored: run `frontdesk secret set "
                                         "crm.jobber.client_secret`"),
                "refresh_token": require(self._unsaved or self._refresh_token(),
                                         "No Jobber refresh token is stored: connect Jobber "
                                         "(Settings → CRM) or run `frontdesk secret set "
                                         "crm.jobber.refresh_token`")}
        self._remember(form["client_secret"], form["refresh_token"])
        if self._save_refresh is None:  # the token we send dies: never refresh unable to save
            raise ProviderError("Front Desk cannot save Jobber's renewed refresh token here (no "
                                "keyring access)", ProblemKind.NOT_CONFIGURED)
        for attempt in (1, 2):
            try:
                body = self.http.post_json(TOKEN, data=form, idempotent=False)
                break
            except ProviderError as exc:
                if exc.kind not in (ProblemKind.AUTH, ProblemKind.REJECTED):
                    raise
                fresh = self._rotated_elsewhere(form["refresh_token"])
                if attempt == 2 or not fresh:
                    raise exc if exc.kind is ProblemKind.AUTH else ProviderError(
                        f"Jobber would not renew the connection ({exc}): {RECONNECT}",
                        ProblemKind.AUTH) from None
                log.info("Jobber refused the refresh token; another process rotated it")
                form["refresh_token"] = fresh
                self._remember(fresh)
        if body.get("warning"):  # e.g. rotation off, or an old token redeemed (older apps)
            log.warning("Jobber: %s", body["warning"])
        access, new = body.get("access_token"), body.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ProviderError("Jobber renewed the connection but sent no access token",
                                ProblemKind.BAD_RESPONSE)
        self._remember(access)
        if isinstance(new, str) and new and new != form["refresh_token"]:
            self._remember(new)
            self._keep(new)  # first: the token we sent is already dead
        return access, _expiry(body.get("expires_at"))

    def _keep(self, token: str) -> None:
        """Save the renewed refresh token; if the keyring refuses, hold it in memory (the
        next renewal uses it and tries the keyring again) rather than lose the only one."""
        try:
            self._save_refresh(token)
            self._unsaved = None
        except Exception as exc:
            self._unsaved = token
            log.error("Jobber: the renewed refresh token could not be saved to the keyring "
                      "(%s); kept in memory until it can be", type(exc).__name__)

    def _rotated_elsewhere(self, sent: str) -> str | None:
        """The token Jobber just refused may have been used by the other Front Desk process
        on this PC (the app and `frontdesk deliver`), which saves the new one a moment
        later: look in the keyring a few times before telling the owner to reconnect."""
        for wait in (0.0, 0.5, 1.0, 2.0):
            self._sleep(wait)
            fresh = self._refresh_token()
            if fresh and fresh != sent:
                return fresh
        return None


def from_settings(settings, secrets, clock) -> JobberCrm:
    return JobberCrm(client_id=lambda: secrets.get(CLIENT_ID),
                     client_secret=lambda: secrets.get(CLIENT_SECRET),
                     refresh_token=lambda: secrets.get(REFRESH_TOKEN),
                     save_refresh_token=secrets.set and (
                         lambda token: secrets.set(REFRESH_TOKEN, token)),
                     api_version=settings["crm.jobber.api_version"],
                     base_url=settings["crm.base_url"] or DEFAULT_BASE_URL, clock=clock)


# -- reading records -------------------------------------------------------------------------
def _contact(node, key: str | None = None) -> CrmContact:
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        raise ValueError("no client id")
    phones, emails = _phones(node), _emails(node)
    return CrmContact(crm_id=node["id"], name=str(node.get("name") or "").strip(),
                      phone=phones[0] if phones else None, email=emails[0] if emails else None,
                      other_phones=tuple(dict.fromkeys(p for p in phones[1:] if p != phones[0])),
                      address=_values(node)["address"], created_at=_time(node["createdAt"]),
                      updated_at=_time(node["updatedAt"]), key=key)


def _job(node) -> CrmJob:
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        raise ValueError("no job id")
    total = node["total"]
    if not isinstance(total, (int, float)) or isinstance(total, bool):
        raise ValueError(f"total is not a number: {str(total)[:20]!r}")
    client = node.get("client") if isinstance(node.get("client"), dict) else {}
    return CrmJob(crm_id=node["id"], contact_crm_id=client.get("id"),
                  title=node.get("title") or f"Job #{node.get('jobNumber')}",
                  status=str(node["jobStatus"]), created_at=_time(node["createdAt"]),
                  updated_at=_time(node["updatedAt"]),
                  scheduled_at=_time(node["startAt"]) if node.get("startAt") else None,
                  revenue_cents=round(total * 100))


def _readable(nodes: list, parse, what: str) -> list:
    """Each node that parses; one we cannot read is skipped, not the whole page."""
    records = []
    for node in nodes:
        try:
            records.append(parse(node))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("skipped a Jobber %s we cannot read: %s", what, exc)
    return records


def _request_write(request: dict, action: str, after: dict) -> CrmWrite:
    title = after.get("title") or request.get("title") or request["id"]
    return CrmWrite("request", request["id"], action, after, url=request.get("jobberWebUri"),
                    undo=f"Delete Jobber request '{title}' if it was sent by mistake: Requests → "
                         f"{title} → More Actions → Delete. Front Desk never deletes.")


def _values(client: dict) -> dict[str, str | None]:
    emails = _emails(client)
    address = client.get("billingAddress") if isinstance(client.get("billingAddress"), dict) \
        else {}
    line = ", ".join(str(address[k]).strip() for k in ("street1", "street2", "city", "province",
                                                        "postalCode") if address.get(k))
    return {"email": emails[0] if emails else None, "address": line or None}


def _phones(node: dict) -> list[str]:
    ordered = sorted(node.get("phones") or [], key=lambda p: not p.get("primary"))
    return [n for n in (_e164(p.get("number")) for p in ordered) if n]


def _e164(text) -> str | None:
    try:
        return to_e164(str(text or ""))
    except InvalidPhone:
        return None


def _emails(node: dict) -> list[str]:
    return [str(e["address"]).strip() for e in sorted(node.get("emails") or [],
                                                      key=lambda e: not e.get("primary"))
            if isinstance(e, dict) and e.get("address")]


def _tags(node: dict) -> set[str]:
    tags = node.get("tags") if isinstance(node.get("tags"), dict) else {}
    return {t.get("label") for t in tags.get("nodes") or [] if isinstance(t, dict)}


def _no_client(crm_id: str) -> ProviderError:
    return ProviderError(f"Jobber has no client {crm_id} (deleted or merged?)",
                         ProblemKind.NOT_CONFIGURED)


def _dig(data: dict, path: tuple[str, ...]) -> dict:
    node = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        raise ProviderError(f"Jobber's answer has no {'.'.join(path)}", ProblemKind.BAD_RESPONSE)
    return node


def _throttled(cost) -> ProviderError:
    cost = cost if isinstance(cost, dict) else {}
    status = cost.get("throttleStatus") if isinstance(cost.get("throttleStatus"), dict) else {}
    try:
        need, have = float(cost["requestedQueryCost"]), float(status["currentlyAvailable"])
        rate, most = float(status["restoreRate"]), float(status.get("maximumAvailable", need))
    except (KeyError, TypeError, ValueError):
        return ProviderError("Jobber is rate-limiting us (query cost); will try again later",
                             ProblemKind.RATE_LIMITED)
    if need > most:
        return ProviderError(f"Jobber will never run this query: it costs {need:.0f} points, "
                             f"more than the {most:.0f} an app may spend", ProblemKind.REJECTED)
    wait = max(0.0, (need - have) / rate) if rate > 0 else None
    words = f"{math.ceil(wait)} s" if wait is not None else "a little"
    return ProviderError(f"Jobber is rate-limiting us (the query needs {need:.0f} points, "
                         f"{have:.0f} are left); waiting {words}", ProblemKind.RATE_LIMITED, wait)


def _time(text) -> datetime:
    return as_utc(datetime.fromisoformat(str(text).replace("Z", "+00:00")))


def _iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expiry(text) -> datetime | None:
    """`expires_at` as Jobber writes it ('2024-04-09 21:04:31 UTC'); None if absent."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None
