"""`frontdesk lead check` and the intake's duplicate choices, on a real SQLite database:
matches best first with scores and reasons, nothing written; a lead linked onto an existing
customer; "create new anyway" recorded with its reason; address parts stored; drafts."""

from __future__ import annotations

import json

import pytest

from desktop.domain.leads import LeadDraft, LeadInvalid

LEAD = {"name": "Bob Smith", "phone": "312.555.0142", "email": "",
        "service_address": "12 Elm Street Apt 2, Springfield, IL 62701",
        "service_type": "Drain cleaning", "urgency": "routine", "source": "Yelp"}


@pytest.fixture
def app(app_factory):
    app = app_factory()
    now = app.clock()
    app.builtin.add_contact("Robert Smith", "+13125550142", now, "person:test",
                            email="rsmith@example.com", address="12 Elm St #2, Springfield IL")
    app.builtin.add_contact("Linda Smith", "+13125550142", now, "person:test")
    app.builtin.add_contact("Robert Smith", "+16305550199", now, "person:test",
                            address="400 Oak Ave, Naperville IL 60540")
    return app


def test_lead_check_prints_matches_best_first_and_writes_nothing(cli, app):
    before = app.changelog.count()
    code, out, err = cli("lead", "check", "--json", "-", stdin=json.dumps(LEAD))
    assert code == 0, err
    matches = json.loads(out)
    assert [m["kind"] for m in matches][:1] == ["contact"]
    best = matches[0]
    assert set(best) >= {"id", "kind", "score", "same_person", "reasons"}
    assert best["name"] == "Robert Smith" and best["same_person"] is True
    assert 0 < best["score"] <= 1 and best["reasons"]
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    household = next(m for m in matches if m["name"] == "Linda Smith")
    assert household["same_person"] is False
    assert any("household" in r for r in household["reasons"])
    assert app.changelog.count() == before and app.leads.all() == []


def test_lead_create_refuses_missing_and_invalid_fields_naming_each(cli):
    code, _, err = cli("lead", "create", "--json", "-",
                       stdin=json.dumps({**LEAD, "name": "", "email": "bob@", "phone": "12"}))
    assert code == 2
    assert "Name is required" in err and "'bob@' is not an email address" in err
    assert "phone" in err.lower()


def test_a_lead_linked_onto_an_existing_customer(app):
    maria = app.builtin.add_contact("Maria Gonzalez", "+17735550142", app.clock(), "person:t")
    lead = app.leads.create(LeadDraft.from_mapping({**LEAD, "name": "Maria G",
                                                    "phone": "(773) 555-0199",
                                                    "link_contact_id": maria.id}), "Dana")
    assert lead.contact_id == maria.id
    linked = [r for r in app.changelog.rows() if r.action == "linked_to_contact"]
    assert linked and linked[0].after["name"] == "Maria Gonzalez"
    with pytest.raises(LeadInvalid, match="There is no contact 999"):
        app.leads.create(LeadDraft.from_mapping({**LEAD, "link_contact_id": 999}), "Dana")


def test_create_new_anyway_records_the_reason(app):
    lead = app.leads.create(LeadDraft.from_mapping(
        {**LEAD, "not_duplicate": "Bob Jr., the son, new house"}), "Dana")
    entry = [r for r in app.changelog.rows() if r.action == "duplicate_overridden"][0]
    assert entry.entity_id == str(lead.id) and entry.reason == "Bob Jr., the son, new house"
    with pytest.raises(LeadInvalid):
        LeadDraft.from_mapping({**LEAD, "not_duplicate": "  "})


def test_the_service_address_is_stored_in_parts(app):
    lead = app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    with app.uow() as uow:
        stored = uow.leads.get(lead.id)
        assert (stored.service_street, stored.service_unit, stored.service_city,
                stored.service_state, stored.service_zip) == (
            "12 Elm Street", "Apt 2", "Springfield", "IL", "62701")


def test_a_draft_is_kept_until_the_lead_is_saved(app):
    app.leads.save_draft("Dana", 7, {"name": "Ann", "notes": "gate 4411"})
    assert app.leads.load_draft("Dana", 7) == {"name": "Ann", "notes": "gate 4411"}
    assert app.leads.load_draft("Sam", 7) is None      # each person's own
    app.leads.save_draft("Dana", None, {"name": "Walk-in"})
    app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")  # no queue item: the "new" draft
    assert app.leads.load_draft("Dana", None) is None
    assert app.leads.load_draft("Dana", 7) is not None
    app.leads.discard_draft("Dana", 7)
    assert app.leads.load_draft("Dana", 7) is None
