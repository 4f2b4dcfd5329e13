"""Customer rows from a spreadsheet, as rules: which column holds which contact field, what
makes a row a usable contact, when two rows are the same customer, and Excel's formula
guard. Pure: the cells come in as text, nothing here reads or writes a file."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from desktop.domain.phone import InvalidPhone, to_e164

FIELDS = ("name", "first_name", "last_name", "phone", "email", "address", "city", "state",
          "zip")
LIMITS = {"name": 120, "email": 254, "address": 250}  # as the contacts table
UNKNOWN_NAME = "Unknown"
DUPLICATE = "already a contact"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_EXCEL_SHORTENED = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)  # 1.77355E+10
_FLOAT_INT = re.compile(r"^\d+\.0+$")                                 # 7735550142.0
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_SEPARATOR = re.compile(r"\s*(?:[;,/|\n]|\bor\b)\s*", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Normalised header (lower case, letters and digits only) -> contact field.
_SYNONYMS = {
    "name": ("name", "fullname", "customer", "customername", "customerfullname",
             "contactname", "clientname", "client", "displayname"),
    "first_name": ("firstname", "first", "givenname", "fname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "phone": ("phone", "phonenumber", "phoneno", "phone1", "mobile", "mobilephone",
              "mobilenumber", "cell", "cellphone", "cellnumber", "homephone", "workphone",
              "businessphone", "mainphone", "primaryphone", "telephone", "tel", "phone2",
              "otherphone", "otherphones", "alternatephone", "altphone", "secondaryphone",
              "phonenumbers", "phones"),
    "email": ("email", "emailaddress", "email1", "primaryemail", "mail"),
    "address": ("address", "address1", "addressline1", "street", "streetaddress",
                "serviceaddress", "jobaddress", "propertyaddress", "mailingaddress",
                "billingaddress"),
    "city": ("city", "town"),
    "state": ("state", "province", "stateprovince"),
    "zip": ("zip", "zipcode", "postalcode", "postcode", "zippostalcode", "postal"),
}
_BY_HEADER = {alias: name for name, aliases in _SYNONYMS.items() for alias in aliases}


class ImportProblem(ValueError):
    """The file or the mapping cannot be used at all; the message says why, plainly."""


class RowRejected(ValueError):
    """One row cannot be imported; the message is the reason shown to the user."""


class RejectedRow(NamedTuple):
    line: int          # the row's first line in the file (1 = the header line)
    reason: str
    raw: tuple[str, ...]

    def to_json(self) -> dict:
        return {"line": self.line, "reason": self.reason, "row": list(self.raw)}


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One validated row, ready to become a contact."""

    name: str
    phone: str | None
    email: str | None
    address: str | None
    other_phones: tuple[str, ...] = ()  # the customer's further numbers, main one excluded


# -- column mapping ----------------------------------------------------------------------
def normalize_header(text: str) -> str:
    """'E-mail ' -> 'email', 'Téléphone' -> 'telephone': case, accents and punctuation go."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]", "", plain.lower())


def detect_columns(headers) -> dict[str, str]:
    """The columns we recognise, as column -> contact field (others are left out)."""
    return {h: _BY_HEADER[normalize_header(h)] for h in headers
            if normalize_header(h) in _BY_HEADER}


def resolve_mapping(headers, explicit: Mapping[str, str] | None = None,
                    file: str = "the file") -> dict[str, str]:
    """Detection, overridden by the user's mapping ({"Cust Nm": "name"}; "" ignores a
    column). A field mapped explicitly is taken only from the columns named for it.
    Raises ImportProblem for an unknown column or field, or when no column gives a name
    or a phone number."""
    headers = list(headers)
    mapping = detect_columns(headers)
    if explicit:
        chosen: dict[str, str] = {}
        for column, target in explicit.items():
            chosen[_find_header(headers, column)] = _field(target, column)
        fields = {f for f in chosen.values() if f}
        mapping = {h: f for h, f in mapping.items() if h not in chosen and f not in fields}
        mapping.update({h: f for h, f in chosen.items() if f})
        mapping = {h: mapping[h] for h in headers if h in mapping}  # file order
    if not {"name", "first_name", "last_name", "phone"} & set(mapping.values()):
        found = ", ".join(f'"{h}"' for h in headers if h.strip()) or "none"
        raise ImportProblem(
            f"No column of {file} gives the customer's name or phone number. Its columns "
            f"are: {found}. Map one with COLUMN=name or COLUMN=phone.")
    return mapping


def parse_mapping_args(items) -> dict[str, str]:
    """["Cust Nm=name", "Notes="] (the --map arguments) -> {"Cust Nm": "name", "Notes": ""}."""
    mapping: dict[str, str] = {}
    for item in items or ():
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise ImportProblem(f"'{item}' is not COLUMN=FIELD (for example \"Cust Nm=name\"; "
                                f"COLUMN= ignores a column).")
        mapping[column.strip()] = target.strip()
    return mapping


def _find_header(headers: list[str], column: str) -> str:
    if column in headers:
        return column
    wanted = normalize_header(column)
    for header in headers:
        if wanted and normalize_header(header) == wanted:
            return header
    found = ", ".join(f'"{h}"' for h in headers if h.strip())
    raise ImportProblem(f'The file has no column "{column}". Its columns are: {found}.')


def _field(target: str, column: str) -> str:
    name = (target or "").strip().lower().replace(" ", "_").replace("-", "_")
    if name and name not in FIELDS:
        raise ImportProblem(f'"{target}" (for column "{column}") is not a contact field; use '
                            f"one of {', '.join(FIELDS)}, or nothing to ignore the column.")
    return name


# -- row validation ----------------------------------------------------------------------
def check_cells(cells: Sequence[str], layout: Sequence[tuple[int, str]], width: int,
                region: str = "US") -> ContactRow:
    """One record's cells to a contact row, or RowRejected(reason). `layout` is (column
    index, contact field) for the mapped columns; `width` the header's column count. Short
    rows count as padded; extra cells are allowed only when they are empty. A field mapped
    from several columns takes the first non-empty one, except the phone: every phone
    column counts (Mobile, Home phone, Work phone...), the first number being the main one."""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        raise RowRejected(f"has {len(cells)} values but the header has {width} columns")
    values: dict[str, str] = {}
    for index, name in layout:
        if index < len(cells) and cells[index].strip():
            if name == "phone" and name in values:
                values[name] += "; " + cells[index]
            elif name not in values:
                values[name] = cells[index]
    return check_row(values, region)


def check_row(values: Mapping[str, str], region: str = "US") -> ContactRow:
    """Contact field -> text (as read) to a clean contact row, or RowRejected(reason). The
    phone may hold several numbers ("773-555-0142 / 312-555-0100"): the first is the main
    one."""
    name = clean_text(values.get("name")) or " ".join(
        filter(None, (clean_text(values.get("first_name")),
                      clean_text(values.get("last_name")))))
    phones = list(dict.fromkeys(
        number for part in _PHONE_SEPARATOR.split(values.get("phone") or "")
        if (number := _phone(part, region))))
    phone, other_phones = (phones[0], tuple(phones[1:])) if phones else (None, ())
    if not name and not phone:
        raise RowRejected("no name and no phone number")
    email = clean_text(values.get("email")).lower() or None
    if email and not _EMAIL.match(email):
        raise RowRejected(f"'{email}' is not an email address")
    region_zip = " ".join(filter(None, (clean_text(values.get("state")),
                                        clean_text(values.get("zip")))))
    address = ", ".join(filter(None, (clean_text(values.get("address")),
                                      clean_text(values.get("city")), region_zip))) or None
    row = ContactRow(name=name or UNKNOWN_NAME, phone=phone, email=email, address=address,
                     other_phones=other_phones)
    for key, limit in LIMITS.items():
        value = getattr(row, key)
        if value and len(value) > limit:
            raise RowRejected(f"{key} is longer than {limit} characters")
    return row


def clean_text(value: str | None) -> str:
    """Whitespace collapsed, control characters dropped, Excel's formula guard undone."""
    return unguard_formula(" ".join(_CONTROL.sub("", value or "").split()))


def _phone(value: str | None, region: str) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    if _EXCEL_SHORTENED.match(text):
        raise RowRejected(f"phone '{text}' was shortened by Excel; format the column as text "
                          f"and export again")
    if _FLOAT_INT.match(text):
        text = text.split(".")[0]
    try:
        return to_e164(text, region)
    except InvalidPhone as exc:
        raise RowRejected(str(exc).rstrip(".")) from None


# -- duplicates --------------------------------------------------------------------------
def phoneless_key(name: str, email: str | None) -> tuple[str, str]:
    """Who a contact without a phone is, for spotting duplicates: the name (case and
    spacing ignored) and the email (case ignored)."""
    return " ".join(name.casefold().split()), (email or "").casefold()


def duplicate_key(row: ContactRow) -> str | tuple[str, str]:
    """Two rows with one key are one customer: the phone, or without one, phoneless_key."""
    return row.phone or phoneless_key(row.name, row.email)


# -- Excel's formula guard ---------------------------------------------------------------
def guard_formula(text: str | None) -> str:
    """Text starting with = + - @ (or a tab or CR) gets a leading ' so Excel shows it
    instead of running it."""
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def unguard_formula(text: str) -> str:
    """The guard taken off again: "'=SUM(A1)" -> "=SUM(A1)"; "O'Brien" stays."""
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text
