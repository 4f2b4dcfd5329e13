"""Customers in and out of the built-in CRM as CSV files.

Import: read the file (desktop.adapters.csv_files finds its encoding and delimiter), map
its columns onto contact fields and validate every row (desktop.domain.contact_rows), skip
the customers already known (by phone), and insert the rest in one transaction with ONE
change-log entry summarising the import. Reading and validating happen before the write
transaction opens, so the database's write lock is held only for the duplicate lookup and
the inserts.

Export: every contact, streamed to a CSV that Excel opens (UTF-8 with a BOM).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from desktop.adapters.csv_files import CsvFile, CsvProblem, open_csv, write_csv
from desktop.domain.changelog import person
from desktop.domain.clock import Clock, iso, utcnow
from desktop.domain.contact_rows import (
    DUPLICATE,
    FIELDS,
    LIMITS,
    UNKNOWN_NAME,
    ContactRow,
    ImportProblem,
    RejectedRow,
    RowRejected,
    check_cells,
    check_row,
    clean_text,
    detect_columns,
    duplicate_key,
    guard_formula,
    normalize_header,
    parse_mapping_args,
    phoneless_key,
    resolve_mapping,
)
from desktop.services.unit_of_work import UnitOfWorkFactory

# The rules' names stay importable from here (cli.py and older callers use them).
__all__ = [
    "CHUNK", "DUPLICATE", "EXPORT_HEADERS", "FIELDS", "LIMITS", "PREVIEW_REJECTS", "PROVIDER",
    "UNKNOWN_NAME", "ContactImport", "ContactRow", "ImportPlan", "ImportProblem",
    "ImportReport", "RejectedRow", "RowRejected", "check_row", "detect_columns",
    "export_contacts", "normalize_header", "parse_mapping_args", "resolve_mapping",
]

PROVIDER = "builtin"
EXPORT_HEADERS = ("name", "phone", "email", "address", "created_at", "other_phones")
CHUNK = 2000            # rows per INSERT batch
PREVIEW_REJECTS = 20    # rejected rows an ImportPlan shows


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


@contextmanager
def _plainly() -> Iterator[None]:
    """A file that cannot be read or written is an ImportProblem, in the same words."""
    try:
        yield
    except CsvProblem as exc:
        raise ImportProblem(str(exc)) from None


# -- reading the file --------------------------------------------------------------------
@dataclass
class _Reading:
    source: CsvFile
    headers: tuple[str, ...]
    mapping: dict[str, str]
    contacts: list[tuple[int, ContactRow]] = field(default_factory=list)  # (line, row)
    rejected: list[RejectedRow] = field(default_factory=list)
    rows: int = 0
    blank: int = 0


def _read(path: Path, mapping: Mapping[str, str] | None, region: str) -> _Reading:
    with _plainly():
        source = open_csv(path)
    headers = tuple(clean_text(c) for c in source.header)
    used = resolve_mapping(headers, mapping, file=source.path.name)
    reading = _Reading(source, headers, used)
    with _plainly():
        _classify(reading, region)
    return reading


def _classify(reading: _Reading, region: str) -> None:
    source = reading.source
    layout = [(i, reading.mapping[h]) for i, h in enumerate(reading.headers)
              if h in reading.mapping]
    width = len(reading.headers)
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
        try:
            reading.contacts.append((line, check_cells(cells, layout, width, region)))
        except RowRejected as exc:
            reading.rejected.append(RejectedRow(line, str(exc), tuple(cells)))


def _new_contacts(uow, contacts: list[tuple[int, ContactRow]]) -> tuple[list[ContactRow], int]:
    """The rows to insert, and how many are already contacts, in the database or earlier
    in the file: by phone (one batched lookup for all the file's numbers), or for a row
    without a phone, a phoneless contact of the same name and email (so importing a file
    twice adds nobody twice)."""
    known = set(uow.contacts.names_by_phones({row.phone for _, row in contacts if row.phone}))
    if any(row.phone is None for _, row in contacts):
        known.update(phoneless_key(name, email) for name, email in uow.contacts.phoneless())
    fresh: list[ContactRow] = []
    duplicates = 0
    for _, row in contacts:
        key = duplicate_key(row)
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        fresh.append(row)
    return fresh, duplicates


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
            headers=reading.headers, mapping=reading.mapping,
            ignored=tuple(h for h in reading.headers if h and h not in reading.mapping),
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
         "other_phones": r.other_phones, "crm_provider": PROVIDER, "created_at": now,
         "updated_at": now} for r in rows])


def _write_rejects(path: Path, reading: _Reading) -> Path:
    """reason, line, then the row's own columns: fix the rows in Excel and import this file
    again (the reason and line columns are ignored then)."""
    def write(writer):
        writer.writerow(("reason", "line", *reading.headers))
        for rejected in reading.rejected:
            writer.writerow((rejected.reason, rejected.line, *rejected.raw))

    with _plainly():
        return write_csv(path, write, delimiter=reading.source.delimiter)


# -- export ------------------------------------------------------------------------------
def export_contacts(uow_factory: UnitOfWorkFactory, path) -> int:
    """Every contact, oldest first, to `path` as CSV (name, phone, email, address,
    created_at, other_phones as "a; b"): UTF-8 with a BOM so Excel reads it right, rows streamed from the database
    in batches. Phones are E.164, times ISO 8601 with an offset. Text starting with = + - @
    gets a leading ' so Excel shows it instead of running it (the import takes it off).
    Returns the number of contacts written; raises ImportProblem if `path` cannot be
    written (the old file, if any, is left as it was)."""
    count = 0

    def write(writer):
        nonlocal count
        writer.writerow(EXPORT_HEADERS)
        with uow_factory() as uow:
            for name, phone, email, address, created_at, others in \
                    uow.contacts.stream_for_export():
                writer.writerow((guard_formula(name), phone or "", guard_formula(email),
                                 guard_formula(address), iso(created_at) or "", others or ""))
                count += 1

    with _plainly():
        write_csv(Path(path), write)
    return count
