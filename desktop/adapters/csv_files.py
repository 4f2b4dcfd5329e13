"""CSV files on disk, as spreadsheets write them and as Excel opens them.

Reading: the encoding (UTF-8 with or without a BOM, UTF-16 with a BOM, else cp1252), the
delimiter (sniffed, or Excel's "sep=;" first line), the header (the first non-blank record)
and every record with the line it starts on. Writing: UTF-8 with a BOM, to a temporary
file renamed over the target, so a failed write leaves the old file as it was.
Knows nothing about what the columns mean."""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLE = 64 * 1024     # characters read to choose the delimiter
DELIMITERS = (",", ";", "\t", "|")

# (first line of the record, cells or None, csv error or None)
Record = tuple[int, list[str] | None, str | None]


class CsvProblem(Exception):
    """The file cannot be read or written; the message says why, plainly."""


@dataclass
class CsvFile:
    path: Path
    encoding: str
    delimiter: str
    skip_lines: int = 0   # an Excel "sep=;" line
    header: tuple[str, ...] = ()   # the header record's cells, as read
    header_line: int = 1

    def open(self):
        return open(self.path, encoding=self.encoding, errors="replace", newline="")

    def records(self) -> Iterator[Record]:
        """Every record, the header included; a record the csv module cannot parse comes
        with its error instead of cells, and reading goes on. Raises CsvProblem when the
        file cannot be read."""
        try:
            yield from self._records()
        except OSError as exc:
            raise CsvProblem(f"Cannot read {self.path}: {exc.strerror or exc}.") from None

    def _records(self) -> Iterator[Record]:
        with self.open() as handle:
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


def open_csv(path: Path) -> CsvFile:
    """The file with its encoding, delimiter and header found. Raises CsvProblem for a
    missing file, a folder, an Excel workbook, an unreadable or empty file."""
    path = Path(path)
    if not path.exists():
        raise CsvProblem(f"There is no file {path}.")
    if not path.is_file():
        raise CsvProblem(f"{path} is a folder, not a CSV file.")
    try:
        source = CsvFile(path, detect_encoding(path), ",")
        with source.open() as handle:
            sample = handle.read(SAMPLE)
            if len(sample) == SAMPLE and "\n" in sample:
                sample = sample[:sample.rindex("\n")]
    except OSError as exc:
        raise CsvProblem(f"Cannot read {path}: {exc.strerror or exc}.") from None
    first_line = sample.split("\n", 1)[0].strip().strip('"')
    if re.fullmatch(r"sep=.", first_line, re.IGNORECASE):
        source.delimiter, source.skip_lines = first_line[4], 1
    else:
        source.delimiter = sniff_delimiter(sample)
    for line, cells, error in source.records():
        if error is None and any(c.strip() for c in cells):
            source.header = tuple(cells)
            source.header_line = line
            return source
        if error is not None:
            raise CsvProblem(f"The header line of {path.name} cannot be read: {error}.")
    raise CsvProblem(f"{path.name} is empty: there is no header line.")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8; UTF-16 with a BOM
    (Excel's "Unicode text"); otherwise cp1252, what Excel on Windows writes. Raises
    CsvProblem for an Excel workbook."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise CsvProblem(f"{path.name} is an Excel workbook, not a CSV file. In Excel, "
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


def sniff_delimiter(sample: str) -> str:
    """The delimiter under which the first lines agree on a column count (most columns
    breaks ties); a comma when nothing splits the header."""
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    best, best_score = ",", None
    for delimiter in DELIMITERS:
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


def write_csv(path: Path, write_rows: Callable[[Any], None], delimiter: str = ",") -> Path:
    """Call write_rows(csv writer) into a sibling temporary file (UTF-8 with a BOM, so
    Excel reads it right), then rename it over `path`. Raises CsvProblem when `path`
    cannot be written; the old file, if any, is left as it was."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CsvProblem(f"Cannot write {path}: there is no folder {folder}.")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CsvProblem(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            write_rows(csv.writer(handle, delimiter=delimiter))
        os.replace(temp, path)
    except OSError as exc:
        os.unlink(temp)
        hint = " Is it open in Excel?" if isinstance(exc, PermissionError) else ""
        raise CsvProblem(f"Cannot write {path}: {exc.strerror or exc}.{hint}") from None
    except BaseException:
        os.unlink(temp)
        raise
    return path
