"""Customers in and out of the built-in CRM as CSV files.

Import: find the file's encoding and delimiter, map its columns onto contact fields,
validate every row, skip the customers already known (by phone), and insert the rest in
one transaction with ONE change-log entry summarising the import. Reading and validating
happen before the write transaction opens, so the database's write lock is held only for
the duplicate lookup and the inserts.

Export: every contact, streamed to a CSV that Excel opens (UTF-8 with a BOM).
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from desktop.domain.changelog import person
from desktop.domain.clock import Clock, iso, utcnow
from desktop.domain.phone import InvalidPhone, to_e164
from desktop.services.unit_of_work import UnitOfWorkFactory

FIELDS = ("name", "first_name", "last_name", "phone", "email", "address", "city", "state",
          "zip")
LIMITS = {"name": 120, "email": 254, "address": 250}  # as the contacts table
UNKNOWN_NAME = "Unknown"
DUPLICATE = "already a contact"
PROVIDER = "builtin"
EXPORT_HEADERS = ("name", "phone", "email", "address", "created_at")
CHUNK = 2000            # rows per INSERT batch
PREVIEW_REJECTS = 20    # rejected rows an ImportPlan shows
_SAMPLE = 64 * 1024     # characters read to choose the delimiter
_DELIMITERS = (",", ";", "\t", "|")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_EXCEL_SHORTENED = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)  # 1.77355E+10
_FLOAT_INT = re.compile(r"^\d+\.0+$")                                 # 7735550142.0
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Normalised header (lower case, letters and digits only) -> contact field.
_SYNONYMS = {
    "name": ("name", "fullname", "customer", "customername", "customerfullname",
             "contactname", "clientname", "client", "displayname"),
    "first_name": ("firstname", "first", "givenname", "fname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "phone": ("phone", "phonenumber", "phoneno", "phone1", "mobile", "mobilephone",
              "mobilenumber", "cell", "cellphone", "cellnumber", "homephone", "workphone",
              "businessphone", "mainphone", "primaryphone", "telephone", "tel"),
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


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do (preview); nothing is written."""

    file: str
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    mapping: dict[str, str]        # column -> contact field, for the columns used
    ignored: tuple[str, ...]       # columns not used
    rows: int                      # data rows read (blank rows not counted)
    new: int                       # would be imported
    duplicates: int                # already a contact (in the database or earlier in the file)
    rejected: int
    blank: int
    first_rejected: tuple[RejectedRow, ...]

    def to_json(self) -> dict:
        return {"file": self.file, "encoding": self.encoding, "delimiter": self.delimiter,
                "headers": list(self.headers), "mapping": self.mapping,
                "ignored": list(self.ignored), "rows": self.rows, "new": self.new,
                "duplicates": self.duplicates, "rejected": self.rejected, "blank": self.blank,
                "first_rejected": [r.to_json() for r in self.first_rejected]}


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    file: str
    mapping: dict[str, str]
    rows: int
    imported: int
    duplicates: int
    rejected: tuple[RejectedRow, ...]
    blank: int
    first_id: int | None = None
    last_id: int | None = None
    reject_report: str | None = None
    seconds: float = 0.0

    def to_json(self, rejected_limit: int | None = 100) -> dict:
        shown = self.rejected if rejected_limit is None else self.rejected[:rejected_limit]
        return {"file": self.file, "mapping": self.mapping, "rows": self.rows,
                "imported": self.imported, "duplicates": self.duplicates,
                "rejected": len(self.rejected), "blank": self.blank,
                "first_id": self.first_id, "last_id": self.last_id,
                "reject_report": self.reject_report, "seconds": round(self.seconds, 3),
                "rejected_rows": [r.to_json() for r in shown]}


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
def check_row(values: Mapping[str, str], region: str = "US") -> ContactRow:
    """Contact field -> text (as read) to a clean contact row, or RowRejected(reason)."""
    name = _text(values.get("name")) or " ".join(
        filter(None, (_text(values.get("first_name")), _text(values.get("last_name")))))
    phone = _phone(values.get("phone"), region)
    if not name and not phone:
        raise RowRejected("no name and no phone number")
    email = _text(values.get("email")).lower() or None
    if email and not _EMAIL.match(email):
        raise RowRejected(f"'{email}' is not an email address")
    region_zip = " ".join(filter(None, (_text(values.get("state")), _text(values.get("zip")))))
    address = ", ".join(filter(None, (_text(values.get("address")), _text(values.get("city")),
                                      region_zip))) or None
    row = ContactRow(name=name or UNKNOWN_NAME, phone=phone, email=email, address=address)
    for key, limit in LIMITS.items():
        value = getattr(row, key)
        if value and len(value) > limit:
            raise RowRejected(f"{key} is longer than {limit} characters")
    return row


def _text(value: str | None) -> str:
    """Whitespace collapsed, control characters dropped, Excel's formula guard undone."""
    text = " ".join(_CONTROL.sub("", value or "").split())
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _phone(value: str | None, region: str) -> str | None:
    text = _text(value)
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


# -- reading the file --------------------------------------------------------------------
@dataclass
class _Source:
    path: Path
    encoding: str
    delimiter: str
    skip_lines: int = 0   # an Excel "sep=;" line
    headers: tuple[str, ...] = ()
    header_line: int = 1

    def _open(self):
        return open(self.path, encoding=self.encoding, errors="replace", newline="")

    def records(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        """(first line of the record, cells or None, csv error or None), header included."""
        with self._open() as handle:
            for _ in range(self.skip_lines):
                handle.readline()
            reader = csv.reader(handle, delimiter=self.delimiter)
            done = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if reader.line_num == done:  # no progress: stop rather than spin
                        return
                    yield done + 1 + self.skip_lines, None, str(exc)
                    done = reader.line_num
                    continue
                yield done + 1 + self.skip_lines, cells, None
                done = reader.line_num


def _open_source(path: Path) -> _Source:
    path = Path(path)
    if not path.exists():
        raise ImportProblem(f"There is no file {path}.")
    if not path.is_file():
        raise ImportProblem(f"{path} is a folder, not a CSV file.")
    try:
        encoding = _encoding(path)
        source = _Source(path, encoding, ",")
        with source._open() as handle:
            sample = handle.read(_SAMPLE)
            if len(sample) == _SAMPLE and "\n" in sample:
                sample = sample[:sample.rindex("\n")]
    except OSError as exc:
        raise ImportProblem(f"Cannot read {path}: {exc.strerror or exc}.") from None
    first_line = sample.split("\n", 1)[0].strip().strip('"')
    if re.fullmatch(r"sep=.", first_line, re.IGNORECASE):
        source.delimiter, source.skip_lines = first_line[4], 1
    else:
        source.delimiter = _delimiter(sample)
    for line, cells, error in source.records():
        if error is None and any(c.strip() for c in cells):
            source.headers = tuple(_text(c) for c in cells)
            source.header_line = line
            return source
        if error is not None:
            raise ImportProblem(f"The header line of {path.name} cannot be read: {error}.")
    raise ImportProblem(f"{path.name} is empty: there is no header line.")


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8; UTF-16 with a BOM
    (Excel's "Unicode text"); otherwise cp1252, what Excel on Windows writes."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise ImportProblem(f"{path.name} is an Excel workbook, not a CSV file. In Excel, "
                                f"choose File > Save As > CSV UTF-8 and import that file.")
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _delimiter(sample: str) -> str:
    """The delimiter under which the first lines agree on a column count (most columns
    breaks ties); a comma when nothing splits the header."""
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    best, best_score = ",", None
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        agree = sum(1 for r in rows[1:] if len(r) == width) / max(1, len(rows) - 1)
        score = (agree, width)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class _Reading:
    source: _Source
    mapping: dict[str, str]
    contacts: list[tuple[int, ContactRow]] = field(default_factory=list)  # (line, row)
    rejected: list[RejectedRow] = field(default_factory=list)
    rows: int = 0
    blank: int = 0


def _read(path: Path, mapping: Mapping[str, str] | None, region: str) -> _Reading:
    source = _open_source(path)
    headers = list(source.headers)
    used = resolve_mapping(headers, mapping, file=source.path.name)
    layout = [(i, used[h]) for i, h in enumerate(headers) if h in used]
    width = len(headers)
    reading = _Reading(source, used)
    try:
        _classify(reading, layout, width, region)
    except OSError as exc:
        raise ImportProblem(f"Cannot read {source.path}: {exc.strerror or exc}.") from None
    return reading


def _classify(reading: _Reading, layout: list[tuple[int, str]], width: int,
              region: str) -> None:
    source = reading.source
    for line, cells, error in source.records():
        if line <= source.header_line:
            continue
        if error is not None:
            reading.rows += 1
            reading.rejected.append(RejectedRow(line, f"unreadable: {error}", ()))
            continue
        if not any(c.strip() for c in cells):
            reading.blank += 1
            continue
        reading.rows += 1
        raw = tuple(cells)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            reading.rejected.append(RejectedRow(
                line, f"has {len(cells)} values but the header has {width} columns", raw))
            continue
        values: dict[str, str] = {}
        for index, name in layout:
            if index < len(cells) and name not in values and cells[index].strip():
                values[name] = cells[index]
        try:
            reading.contacts.append((line, check_row(values, region)))
        except RowRejected as exc:
            reading.rejected.append(RejectedRow(line, str(exc), raw))


def _new_contacts(uow, contacts: list[tuple[int, ContactRow]]) -> tuple[list[ContactRow], int]:
    """The rows to insert, and how many are already contacts, in the database or earlier
    in the file: by phone (one batched lookup for all the file's numbers), or for a row
    without a phone, a phoneless contact of the same name and email (so importing a file
    twice adds nobody twice)."""
    known = set(uow.contacts.names_by_phones({row.phone for _, row in contacts if row.phone}))
    if any(row.phone is None for _, row in contacts):
        known.update(_phoneless_key(name, email) for name, email in uow.contacts.phoneless())
    fresh: list[ContactRow] = []
    duplicates = 0
    for _, row in contacts:
        key = row.phone or _phoneless_key(row.name, row.email)
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        fresh.append(row)
    return fresh, duplicates


def _phoneless_key(name: str, email: str | None) -> tuple[str, str]:
    return " ".join(name.casefold().split()), (email or "").casefold()


# -- the service -------------------------------------------------------------------------
class ContactImport:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock = utcnow):
        self._uow = uow_factory
        self._clock = clock

    def preview(self, path, mapping: Mapping[str, str] | None = None,
                region: str = "US") -> ImportPlan:
        """What `run` would do with this file; writes nothing. Raises ImportProblem."""
        reading = _read(Path(path), mapping, region)
        with self._uow() as uow:
            fresh, duplicates = _new_contacts(uow, reading.contacts)
        source = reading.source
        return ImportPlan(
            file=source.path.name, encoding=source.encoding, delimiter=source.delimiter,
            headers=source.headers, mapping=reading.mapping,
            ignored=tuple(h for h in source.headers if h and h not in reading.mapping),
            rows=reading.rows, new=len(fresh), duplicates=duplicates,
            rejected=len(reading.rejected), blank=reading.blank,
            first_rejected=tuple(reading.rejected[:PREVIEW_REJECTS]))

    def run(self, path, who: str, mapping: Mapping[str, str] | None = None,
            region: str = "US", reject_report: Path | None = None) -> ImportReport:
        """Import the file's new customers in one transaction. `who` is the desk user (the
        change log records person:who). Raises ImportProblem for an unusable file, mapping
        or reject-report path; then nothing is imported."""
        started = time.perf_counter()
        reading = _read(Path(path), mapping, region)
        name = reading.source.path.name
        report_path = None
        if reject_report is not None:
            report_path = str(_write_rejects(Path(reject_report), reading))
        now = self._clock()
        first_id = last_id = None
        with self._uow(write=True) as uow:
            fresh, duplicates = _new_contacts(uow, reading.contacts)
            for start in range(0, len(fresh), CHUNK):
                ids = _insert(uow, fresh[start:start + CHUNK], now)
                first_id = ids[0] if first_id is None else first_id
                last_id = ids[-1]
            if fresh:
                uow.changelog.append(
                    at=now, actor=person(who), entity="contact_import", entity_id=name,
                    action="imported",
                    after={"file": name, "imported": len(fresh), "duplicates": duplicates,
                           "rejected": len(reading.rejected), "blank": reading.blank,
                           "rows": reading.rows, "mapping": reading.mapping, "region": region,
                           "first_id": first_id, "last_id": last_id},
                    reason=f"{len(fresh)} contact(s) imported from {name}")
            uow.commit()
        return ImportReport(
            file=name, mapping=reading.mapping, rows=reading.rows, imported=len(fresh),
            duplicates=duplicates, rejected=tuple(reading.rejected), blank=reading.blank,
            first_id=first_id, last_id=last_id, reject_report=report_path,
            seconds=time.perf_counter() - started)


def _insert(uow, rows: list[ContactRow], now) -> list[int]:
    """One batch, in bulk; crm_id = str(id) as the built-in CRM does."""
    return uow.contacts.insert_many([
        {"name": r.name, "phone": r.phone, "email": r.email, "address": r.address,
         "crm_provider": PROVIDER, "created_at": now, "updated_at": now} for r in rows])


def _write_rejects(path: Path, reading: _Reading) -> Path:
    """reason, line, then the row's own columns: fix the rows in Excel and import this file
    again (the reason and line columns are ignored then)."""
    source = reading.source

    def write(handle):
        writer = csv.writer(handle, delimiter=source.delimiter)
        writer.writerow(("reason", "line", *source.headers))
        for rejected in reading.rejected:
            writer.writerow((rejected.reason, rejected.line, *rejected.raw))

    return _write_atomically(path, write)


# -- export ------------------------------------------------------------------------------
def export_contacts(uow_factory: UnitOfWorkFactory, path) -> int:
    """Every contact, oldest first, to `path` as CSV (name, phone, email, address,
    created_at): UTF-8 with a BOM so Excel reads it right, rows streamed from the database
    in batches. Phones are E.164, times ISO 8601 with an offset. Text starting with = + - @
    gets a leading ' so Excel shows it instead of running it (the import takes it off).
    Returns the number of contacts written; raises ImportProblem if `path` cannot be
    written (the old file, if any, is left as it was)."""
    count = 0

    def write(handle):
        nonlocal count
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADERS)
        with uow_factory() as uow:
            for name, phone, email, address, created_at in uow.contacts.stream_for_export():
                writer.writerow((_guard(name), phone or "", _guard(email), _guard(address),
                                 iso(created_at) or ""))
                count += 1

    _write_atomically(Path(path), write)
    return count


def _guard(text: str | None) -> str:
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_atomically(path: Path, write) -> Path:
    """Write a sibling temporary file, then rename it over `path`."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ImportProblem(f"Cannot write {path}: there is no folder {folder}.")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ImportProblem(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            write(handle)
        os.replace(temp, path)
    except OSError as exc:
        os.unlink(temp)
        hint = " Is it open in Excel?" if isinstance(exc, PermissionError) else ""
        raise ImportProblem(f"Cannot write {path}: {exc.strerror or exc}.{hint}") from None
    except BaseException:
        os.unlink(temp)
        raise
    return path
