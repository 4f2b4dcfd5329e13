"""Phone numbers are stored as E.164; parsing and display go through phonenumbers."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    """The text is not a phone number we can call back."""


def to_e164(text: str, region: str = "US") -> str:
    """Parse `text` (any common format) into E.164, or raise InvalidPhone naming why."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhone("Phone number is empty.")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"'{raw}' is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"'{raw}' is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str | None) -> str:
    """Human format: national for North American numbers, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
