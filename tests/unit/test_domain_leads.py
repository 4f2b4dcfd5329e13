"""Lead validation: every problem is named by field, phones become E.164."""

from __future__ import annotations

import pytest

from desktop.domain.leads import (
    DEFAULT_REQUIRED, FIELD_LABELS, LEAD_FIELDS, LeadDraft, LeadInvalid, validate,
)
from desktop.domain.phone import InvalidPhone, display, to_e164

GOOD = {
    "name": "Maria Gonzalez", "phone": "(773) 555-0142", "email": "maria@example.com",
    "service_address": "2214 W Belmont Ave, Chicago", "service_type": "Water heater",
    "urgency": "routine", "source": "Google Ads", "notes": "Popping noise, 15 years old.",
}


def test_a_complete_lead_has_no_problems():
    assert validate(GOOD) == {}


@pytest.mark.parametrize("field", DEFAULT_REQUIRED)
@pytest.mark.parametrize("blank", ["", "   ", None])
def test_each_missing_required_field_is_named(field, blank):
    values = dict(GOOD, **{field: blank})
    problems = validate(values)
    assert set(problems) == {field}
    assert problems[field] == f"{FIELD_LABELS[field]} is required."


def test_all_missing_fields_are_named_at_once():
    problems = validate({})
    assert set(problems) == set(DEFAULT_REQUIRED)


def test_optional_fields_may_be_empty():
    assert validate(dict(GOOD, email="", notes="")) == {}


def test_the_required_set_is_configurable():
    values = dict(GOOD, source="", email="")
    assert "source" in validate(values)
    problems = validate(values, required=("name", "phone", "email"))
    assert set(problems) == {"email"}


@pytest.mark.parametrize("phone", ["555-0142", "abc", "123", "+1 000 000 0000", "773555014299999"])
def test_a_bad_phone_is_named_with_what_was_typed(phone):
    problems = validate(dict(GOOD, phone=phone))
    assert set(problems) == {"phone"}
    assert phone in problems["phone"] and "phone number" in problems["phone"]


@pytest.mark.parametrize("email", ["maria", "maria@", "maria@example", "ma ria@example.com",
                                   "@example.com"])
def test_a_bad_email_is_named(email):
    problems = validate(dict(GOOD, email=email))
    assert set(problems) == {"email"}
    assert email in problems["email"] and "email" in problems["email"]


@pytest.mark.parametrize("urgency", ["unknown", "ASAP", "high"])
def test_urgency_must_be_one_of_the_lead_urgencies(urgency):
    problems = validate(dict(GOOD, urgency=urgency))
    assert set(problems) == {"urgency"}


@pytest.mark.parametrize("urgency", ["emergency", "urgent", "routine"])
def test_the_lead_urgencies_are_accepted(urgency):
    assert validate(dict(GOOD, urgency=urgency)) == {}


@pytest.mark.parametrize("text", [
    "(773) 555-0142", "773-555-0142", "773.555.0142", "7735550142", "773 555 0142",
    "+1 773 555 0142", "1-773-555-0142", "+17735550142", "  773-555-0142  ",
])
def test_common_phone_formats_become_e164(text):
    assert to_e164(text) == "+17735550142"
    assert validate(dict(GOOD, phone=text)) == {}


def test_a_foreign_number_with_its_code_is_kept():
    assert to_e164("+44 20 7946 0958") == "+442079460958"
    assert display("+442079460958").startswith("+44")
    assert display("+17735550142") == "(773) 555-0142"


@pytest.mark.parametrize("text", ["", "  ", "hello", "555-0142"])
def test_to_e164_refuses_what_cannot_be_called_back(text):
    with pytest.raises(InvalidPhone):
        to_e164(text)


@pytest.mark.parametrize("field, limit", [
    ("name", 120), ("email", 254), ("service_address", 250), ("service_type", 80),
    ("source", 80), ("notes", 4000),
])
def test_a_field_over_its_length_limit_is_refused(field, limit):
    at_limit = "x" * limit if field != "email" else "a" * (limit - 12) + "@example.com"
    over = at_limit + "x" if field != "email" else "a" + at_limit
    assert validate(dict(GOOD, **{field: at_limit})) == {}
    problems = validate(dict(GOOD, **{field: over}))
    assert set(problems) == {field}
    assert str(limit) in problems[field] and FIELD_LABELS[field] in problems[field]


def test_from_mapping_refuses_unknown_fields_by_name():
    with pytest.raises(LeadInvalid) as caught:
        LeadDraft.from_mapping(dict(GOOD, adress="typo street", colour="red"))
    assert set(caught.value.problems) == {"adress", "colour"}
    assert "adress" in str(caught.value) and "colour" in str(caught.value)


def test_from_mapping_fills_every_field_and_keeps_the_queue_item():
    draft = LeadDraft.from_mapping({"name": "Maria", "phone": 7735550142, "queue_item_id": 4})
    assert set(draft.values) == set(LEAD_FIELDS)
    assert draft.values["phone"] == "7735550142" and draft.values["email"] == ""
    assert draft.queue_item_id == 4


@pytest.mark.parametrize("item", ["4", 4.0, True, [4]])
def test_from_mapping_refuses_a_queue_item_that_is_not_a_number(item):
    with pytest.raises(LeadInvalid) as caught:
        LeadDraft.from_mapping(dict(GOOD, queue_item_id=item))
    assert set(caught.value.problems) == {"queue_item_id"}


def test_lead_invalid_keeps_every_problem():
    problems = validate({"phone": "abc", "email": "nope"})
    error = LeadInvalid(problems)
    assert error.problems == problems
    for message in problems.values():
        assert message in str(error)
