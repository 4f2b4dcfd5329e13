"""Settings: text from the command line parses into typed values, or a message naming the key."""

from __future__ import annotations

import pytest

from desktop.config import SETTINGS, SettingError, Settings, setting
from desktop.domain.leads import DEFAULT_REQUIRED


def test_every_default_passes_its_own_validation():
    for key, spec in SETTINGS.items():
        assert spec.validate(spec.default) == spec.default, key


@pytest.mark.parametrize("text, value", [("30", 30), (" 45 ", 45), ("1", 1), ("3600", 3600)])
def test_int_settings_parse_whole_numbers(text, value):
    assert setting("phone.poll_seconds").parse(text) == value


@pytest.mark.parametrize("text", ["abc", "1.5", "", "thirty"])
def test_int_settings_refuse_other_text_naming_the_key(text):
    with pytest.raises(SettingError) as caught:
        setting("phone.poll_seconds").parse(text)
    message = str(caught.value)
    assert "phone.poll_seconds" in message and "whole number" in message


@pytest.mark.parametrize("text, word", [("0", "at least 1"), ("3601", "at most 3600"),
                                        ("-5", "at least 1")])
def test_int_settings_enforce_their_range_naming_the_key(text, word):
    with pytest.raises(SettingError, match="phone.poll_seconds") as caught:
        setting("phone.poll_seconds").parse(text)
    assert word in str(caught.value)


def test_validate_refuses_a_bool_where_an_int_belongs():
    with pytest.raises(SettingError, match="phone.poll_seconds"):
        setting("phone.poll_seconds").validate(True)


def test_validate_refuses_the_wrong_type_naming_the_key():
    with pytest.raises(SettingError, match="business.name"):
        setting("business.name").validate(42)
    with pytest.raises(SettingError, match="lead.sources"):
        setting("lead.sources").validate("Yelp")


@pytest.mark.parametrize("text, value", [
    ("true", True), ("False", False), ("yes", True), ("no", False), ("on", True),
    ("OFF", False), ("1", True), ("0", False),
])
def test_bool_parsing(text, value):
    from desktop.config import Setting
    flag = Setting("test.flag", bool, False, "a flag")
    assert flag.parse(text) is value


def test_bool_parsing_refuses_other_words_naming_the_key():
    from desktop.config import Setting
    flag = Setting("test.flag", bool, False, "a flag")
    with pytest.raises(SettingError, match="test.flag") as caught:
        flag.parse("maybe")
    assert "true or false" in str(caught.value)


def test_list_settings_take_json_or_comma_separated_text():
    spec = setting("lead.required_fields")
    assert spec.parse('["name", "phone"]') == ["name", "phone"]
    assert spec.parse("name, phone , email") == ["name", "phone", "email"]


def test_a_list_setting_checks_its_items_naming_the_key_and_the_item():
    with pytest.raises(SettingError) as caught:
        setting("lead.required_fields").parse("name, shoe_size")
    assert "lead.required_fields" in str(caught.value) and "shoe_size" in str(caught.value)


def test_a_list_setting_refuses_json_of_another_type():
    with pytest.raises(SettingError, match="lead.sources"):
        setting("lead.sources").parse('{"a": 1}')


def test_choice_settings_accept_only_their_choices():
    spec = setting("phone.provider")
    assert spec.parse("simulator") == "simulator"
    with pytest.raises(SettingError) as caught:
        spec.parse("twiliox")
    message = str(caught.value)
    assert "phone.provider" in message and "simulator" in message and "none" in message


def test_an_unknown_key_is_refused_by_name():
    with pytest.raises(SettingError) as caught:
        setting("phone.providr")
    assert "phone.providr" in str(caught.value) and "config list" in str(caught.value)
    with pytest.raises(SettingError):
        Settings()["nope.nope"]


@pytest.mark.parametrize("zone", ["America/Chicago", "America/Denver", "UTC", "Europe/Berlin"])
def test_real_time_zones_are_accepted(zone):
    assert setting("business.timezone").parse(zone) == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Central", "", "../etc/passwd", "CST-6-X"])
def test_unknown_time_zones_are_refused_naming_the_key(zone):
    with pytest.raises(SettingError) as caught:
        setting("business.timezone").parse(zone)
    assert "business.timezone" in str(caught.value)


def test_simulator_times_need_an_offset():
    spec = setting("phone.simulator.live_from")
    assert spec.parse("") == ""
    assert spec.parse("2026-11-24T08:00:00-06:00") == "2026-11-24T08:00:00-06:00"
    with pytest.raises(SettingError, match="phone.simulator.live_from"):
        spec.parse("2026-11-24T08:00:00")
    with pytest.raises(SettingError, match="phone.simulator.live_from"):
        spec.parse("next tuesday")


def test_settings_fall_back_to_defaults_and_know_what_was_set():
    values = Settings({"phone.poll_seconds": 10})
    assert values["phone.poll_seconds"] == 10 and not values.is_default("phone.poll_seconds")
    assert values["queue.callback_target_minutes"] == 5
    assert values.is_default("queue.callback_target_minutes")
    assert values["lead.required_fields"] == list(DEFAULT_REQUIRED)
