"""US service addresses: one line of text split into street, unit, city, state and zip.

usaddress (a CRF model bundled with the package, loaded once at import) labels each word;
this module groups the labels into the five parts a lead form shows and normalises what is
safe to normalise: spacing, the state (full name -> two-letter code) and the zip (5 or 5-4
digits). Nothing the caller said is ever dropped: words the model puts under no part
(a business name, a rural route, "call first") stay in `street`, and input the model cannot
split cleanly goes into `street` whole.

Pure: no Qt, no database, no I/O beyond usaddress reading its own model file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import usaddress

STATE_CODES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL",
    "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN",
    "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME",
    "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE",
    "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH",
    "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "district of columbia": "DC", "washington dc": "DC", "washington d c": "DC",
    "puerto rico": "PR", "guam": "GU", "us virgin islands": "VI", "virgin islands": "VI",
    "american samoa": "AS", "northern mariana islands": "MP",
}
# The old newspaper abbreviations ("Ill.", "Calif.") people still write; looked up with
# the dots taken out, and only ever for the part usaddress labelled as the state.
STATE_CODES.update({
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "cal": "CA", "colo": "CO",
    "conn": "CT", "del": "DE", "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN",
    "kan": "KS", "kans": "KS", "ky": "KY", "la": "LA", "md": "MD", "mass": "MA",
    "mich": "MI", "minn": "MN", "miss": "MS", "mo": "MO", "mont": "MT", "neb": "NE",
    "nebr": "NE", "nev": "NV", "okla": "OK", "ore": "OR", "oreg": "OR", "pa": "PA",
    "penn": "PA", "tenn": "TN", "tex": "TX", "vt": "VT", "va": "VA", "wash": "WA",
    "w va": "WV", "wis": "WI", "wisc": "WI", "wyo": "WY",
})
# USPS codes: the states, DC, the territories and the military "states" (APO/FPO mail).
US_STATE_CODES: frozenset[str] = frozenset(STATE_CODES.values()) | {"AA", "AE", "AP"}

_ZIP = re.compile(r"\d{5}(-\d{4})?")

# usaddress labels -> our parts. Every other label (number, directions, street name and
# type, PO box, rural route, sub-address, recipient, building, intersection, NotAddress)
# is street.
# Only the occupancy ("Apt 3B", "Suite 200", "#12") is the unit; a sub-address ("Bldg C",
# a military "PSC 1234") stays in street, in the order it was said.
_UNIT_LABELS = ("OccupancyType", "OccupancyIdentifier")
_CITY, _STATE, _ZIP_LABEL = "PlaceName", "StateName", "ZipCode"
# A name in front of the street ("Acme Plumbing, 500 N Michigan Ave") keeps its comma, so
# the one-line form reads -- and parses again -- the way it was said.
_NAME_LABELS = {"Recipient", "BuildingName", "LandmarkName"}


@dataclass(frozen=True)
class Address:
    street: str
    unit: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""

    def one_line(self) -> str:
        """'2214 W Belmont Ave Apt 3B, Chicago, IL 60618'; empty parts are left out."""
        first = " ".join(part for part in (self.street, self.unit) if part)
        last = " ".join(part for part in (self.state, self.zip) if part)
        return ", ".join(part for part in (first, self.city, last) if part)

    @property
    def is_empty(self) -> bool:
        return not any(part.strip() for part in
                       (self.street, self.unit, self.city, self.state, self.zip))


def parse_address(text: str) -> Address:
    """Split free text into an Address. Never raises on odd text and never loses words:
    when the model's reading is unusable the whole (tidied) text becomes `street`."""
    clean = _tidy(text if isinstance(text, str) else "" if text is None else str(text))
    if not clean:
        return Address("")
    try:
        tagged, _kind = usaddress.tag(clean)
    except usaddress.RepeatedLabelError:  # e.g. two units, or a city said twice
        return Address(clean)
    except Exception:  # noqa: BLE001 - a form field must never crash on what was typed
        return Address(clean)
    if not tagged or not _keeps_everything(clean, tagged.values()):
        return Address(clean)

    street: list[str] = []
    unit: list[str] = []
    for label, value in tagged.items():  # in order of first appearance in the text
        value = _tidy(value)
        if not value or label in (_CITY, _STATE, _ZIP_LABEL):
            continue
        if label in _UNIT_LABELS:
            unit.append(value)
        elif label in _NAME_LABELS:
            street.append(value + ",")
        else:
            street.append(value)
    street_text = " ".join(street).strip(" ,")
    unit_text = re.sub(r"#\s+(?=\S)", "#", " ".join(unit))  # "# 12" -> "#12"
    return Address(
        street=street_text,
        unit=unit_text,
        city=_tidy(tagged.get(_CITY, "")),
        state=_normalise_state(tagged.get(_STATE, "")),
        zip=_normalise_zip(tagged.get(_ZIP_LABEL, "")),
    )


def check_address(address: Address) -> dict[str, str]:
    """Problems with the parts that are filled in, by field, in words for the form.
    Empty parts are not problems here: whether a part is required is decided elsewhere."""
    problems: dict[str, str] = {}
    zip_code = address.zip.strip()
    if zip_code and not _ZIP.fullmatch(zip_code):
        suggestion = _normalise_zip(zip_code)
        if _ZIP.fullmatch(suggestion):
            problems["zip"] = f"ZIP code should be written {suggestion}."
        else:
            problems["zip"] = ("ZIP code must be 5 digits (or ZIP+4, like 60618-1234); "
                               f"'{zip_code}' is not.")
    state = address.state.strip()
    if state and state.upper() not in US_STATE_CODES:
        code = _state_code(state)
        if code:
            problems["state"] = f"Use the two-letter state code: {code}."
        else:
            problems["state"] = (f"'{state}' is not a US state. Use the two-letter code, "
                                 "like IL.")
    return problems


# -- helpers ------------------------------------------------------------------------------

def _tidy(text: str) -> str:
    """Single spaces, no space before a comma, no stray separators at the ends."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,;])", r"\1", text)
    return text.strip(" ,;")


def _keeps_everything(text: str, parts) -> bool:
    """True when the tagged parts hold every character of `text` apart from spaces and
    the commas/semicolons usaddress uses as separators (its tokenizer silently drops a few
    leading symbols such as '*' or a quote; then we keep the text whole instead)."""
    def chars(value: str) -> Counter:
        return Counter(ch for ch in value if not ch.isspace() and ch not in ",;")
    return chars(text) == chars("".join(parts))


def _state_code(text: str) -> str | None:
    """'Illinois', 'illinois', 'IL', 'il', 'N.Y.' -> the code; anything else -> None."""
    key = " ".join(re.sub(r"[.,]", " ", text).split()).casefold()
    if key.upper() in US_STATE_CODES:
        return key.upper()
    if key.replace(" ", "").upper() in US_STATE_CODES and len(key.replace(" ", "")) == 2:
        return key.replace(" ", "").upper()  # "N. Y." -> NY
    return STATE_CODES.get(key)


def _normalise_state(text: str) -> str:
    text = _tidy(text)
    return (_state_code(text) or text) if text else ""


def _normalise_zip(text: str) -> str:
    """'60618', '60618-1234', '606181234', '60618 - 1234' -> 5 or 5-4 digits; anything
    else is kept as written (check_address says what is wrong with it)."""
    text = _tidy(text)
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit() and len(digits) == 5:
        return digits
    if digits.isdigit() and len(digits) == 9:
        return f"{digits[:5]}-{digits[5:]}"
    return text
