"""Customer CSV import without a database: column detection, mapping, row validation and
reading odd files (encodings, delimiters, ragged rows). The database side is in
tests/integration/test_contact_import.py. (Named apart from that file: two test modules
with one basename cannot both be collected from folders without __init__.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.domain.contact_rows import (
    DUPLICATE,
    ContactRow,
    ImportProblem,
    RowRejected,
    check_row,
    detect_columns,
    normalize_header,
    parse_mapping_args,
    resolve_mapping,
)
from desktop.services.contact_import import ContactImport

DATA = Path(__file__).resolve().parents[1] / "data"


# -- detection ---------------------------------------------------------------------------
@pytest.mark.parametrize("header, field", [
    ("Name", "name"), ("Full name", "name"), ("FULL_NAME", "name"), ("Customer", "name"),
    ("Customer Name", "name"), ("customer-name", "name"),
    ("First Name", "first_name"), ("first_name", "first_name"), ("Last Name", "last_name"),
    ("Surname", "last_name"),
    ("Phone", "phone"), ("Mobile", "phone"), ("Cell", "phone"), ("Phone Number", "phone"),
    ("Mobile Phone", "phone"), ("Home Phone", "phone"), ("phone #", "phone"),
    ("Téléphone", "phone"),
    ("Email", "email"), ("E-mail", "email"), ("E-Mail Address", "email"),
    ("Address", "address"), ("Street", "address"), ("Service Address", "address"),
    ("Address 1", "address"), ("City", "city"), ("State", "state"), ("ZIP", "zip"),
    ("Zip Code", "zip"), ("Postal code", "zip"),
])
def test_common_export_headers_are_recognised(header, field):
    assert detect_columns([header]) == {header: field}


@pytest.mark.parametrize("header", ["Customer ID", "Notes", "Balance", "", "Created", "Tags"])
def test_other_headers_are_left_out(header):
    assert detect_columns([header]) == {}


def test_normalize_header_drops_case_accents_and_punctuation():
    assert normalize_header("  E-Mail_Address ") == "emailaddress"
    assert normalize_header("Téléphone") == "telephone"


def test_an_explicit_mapping_overrides_detection_and_can_ignore_a_column():
    headers = ["Cust Nm", "Phone", "Cell", "Email", "Notes"]
    mapping = resolve_mapping(headers, {"Cust Nm": "name", "Email": ""})
    assert mapping == {"Cust Nm": "name", "Phone": "phone", "Cell": "phone"}


def test_a_field_mapped_explicitly_comes_only_from_the_columns_named_for_it():
    mapping = resolve_mapping(["Phone", "Cell", "Name"], {"Cell": "phone"})
    assert mapping == {"Cell": "phone", "Name": "name"}


def test_explicit_columns_match_case_and_punctuation_insensitively():
    assert resolve_mapping(["Cust. Nm"], {"cust nm": "Name"}) == {"Cust. Nm": "name"}
    assert resolve_mapping(["Cust Nm"], {"Cust Nm": "First Name"}) == {"Cust Nm": "first_name"}


def test_a_mapping_without_name_or_phone_is_refused_naming_the_headers():
    with pytest.raises(ImportProblem) as raised:
        resolve_mapping(["Cust Nm", "Tel Nr", "Email"], file="list.csv")
    message = str(raised.value)
    assert "list.csv" in message and '"Cust Nm", "Tel Nr", "Email"' in message
    assert "COLUMN=name" in message


def test_ignoring_the_only_name_and_phone_columns_is_refused_too():
    with pytest.raises(ImportProblem):
        resolve_mapping(["Name", "Phone"], {"Name": "", "Phone": ""})


def test_unknown_columns_and_fields_are_refused_plainly():
    with pytest.raises(ImportProblem, match='no column "Nope".*"Name"'):
        resolve_mapping(["Name"], {"Nope": "name"})
    with pytest.raises(ImportProblem, match='"nickname".*not a contact field'):
        resolve_mapping(["Name", "Nick"], {"Nick": "nickname"})


def test_map_arguments_parse():
    assert parse_mapping_args(["Cust Nm=name", "Notes=", " Tel = phone "]) == {
        "Cust Nm": "name", "Notes": "", "Tel": "phone"}
    assert parse_mapping_args(None) == {}
    with pytest.raises(ImportProblem, match="COLUMN=FIELD"):
        parse_mapping_args(["name"])


# -- row validation ----------------------------------------------------------------------
def test_a_good_row_is_cleaned():
    row = check_row({"name": "  Maria   Gonzalez ", "phone": "(773) 555-0142",
                     "email": " Maria@Example.COM", "address": "2214 W Belmont Ave",
                     "city": "Chicago", "state": "IL", "zip": "60618"})
    assert row == ContactRow(name="Maria Gonzalez", phone="+17735550142",
                             email="maria@example.com",
                             address="2214 W Belmont Ave, Chicago, IL 60618")


def test_first_and_last_names_combine_when_there_is_no_name():
    assert check_row({"first_name": "Dave", "last_name": "Kowalski"}).name == "Dave Kowalski"
    assert check_row({"first_name": "Cher", "phone": "3125550100"}).name == "Cher"
    assert check_row({"name": "D. K.", "first_name": "Dave"}).name == "D. K."


def test_a_phone_without_a_name_is_unknown_and_a_name_without_a_phone_is_kept():
    assert check_row({"phone": "312.555.0100"}) == ContactRow("Unknown", "+13125550100",
                                                              None, None)
    assert check_row({"name": "Nobody"}) == ContactRow("Nobody", None, None, None)


def test_the_region_decides_numbers_without_a_country_code():
    assert check_row({"phone": "020 7946 0018"}, region="GB").phone == "+442079460018"


@pytest.mark.parametrize("values, reason", [
    ({}, "no name and no phone number"),
    ({"name": "   ", "email": "a@b.com"}, "no name and no phone number"),
    ({"name": "Lisa", "phone": "not a phone"}, "'not a phone' is not a phone number"),
    ({"name": "Lisa", "phone": "555-0100"}, "'555-0100' is not a valid phone number"),
    ({"name": "Lisa", "phone": "1.77355E+10"}, "shortened by Excel"),
    ({"name": "Lisa", "email": "lisa@example"}, "'lisa@example' is not an email address"),
    ({"name": "x" * 121}, "name is longer than 120 characters"),
    ({"name": "Lisa", "email": "a@" + "b" * 250 + ".com"}, "email is longer than 254"),
    ({"name": "Lisa", "address": "1 Main St", "city": "c" * 245}, "address is longer than 250"),
])
def test_bad_rows_are_rejected_with_a_reason(values, reason):
    with pytest.raises(RowRejected) as raised:
        check_row(values)
    assert reason in str(raised.value)


def test_limits_are_inclusive():
    assert len(check_row({"name": "x" * 120}).name) == 120


def test_numbers_written_as_floats_and_excel_formula_guards_are_undone():
    assert check_row({"phone": "7735550142.0"}).phone == "+17735550142"
    assert check_row({"name": "'=SUM(A1)", "phone": "7735550142"}).name == "=SUM(A1)"
    assert check_row({"name": "O'Brien"}).name == "O'Brien"
    assert check_row({"name": "Ann\x00\x07 Lee"}).name == "Ann Lee"


# -- reading files (no database: the duplicate lookup is a stub) -------------------------
class _NoContacts:
    @staticmethod
    def names_by_phones(phones):
        return {"+13125550100": "Already Here"} if "+13125550100" in phones else {}

    @staticmethod
    def phoneless():
        return []


class _ReadOnlyUow:
    contacts = _NoContacts()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.fixture
def importer():
    def uow(write=False):
        assert not write, "preview must not write"
        return _ReadOnlyUow()
    return ContactImport(uow)


def write(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_the_sample_file_previews(importer):
    plan = importer.preview(DATA / "customers_basic.csv")
    assert plan.encoding == "utf-8-sig" and plan.delimiter == ","
    assert plan.ignored == ("Notes",)
    assert (plan.rows, plan.new, plan.duplicates, plan.rejected, plan.blank) == (8, 3, 2, 3, 2)
    assert [(r.line, r.reason) for r in plan.first_rejected] == [
        (5, "'not a phone' is not a phone number"),
        (7, "'ahmed@example' is not an email address"),
        (11, "has 9 values but the header has 8 columns")]
    assert plan.to_json()["first_rejected"][0]["row"][0] == "Lisa Tran"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(importer, tmp_path, delimiter):
    lines = [["Name", "Phone", "Address"], ["Ann", "312 555 0101", "1 Main St, Apt 2"],
             ["Bob", "312 555 0102", ""]]
    text = "\n".join(delimiter.join(f'"{c}"' if "," in c else c for c in line)
                     for line in lines)
    plan = importer.preview(write(tmp_path / "c.csv", text))
    assert plan.delimiter == delimiter
    assert (plan.new, plan.rejected) == (2, 0)


def test_utf8_with_and_without_bom_and_excel_sep_line(importer, tmp_path):
    for text in ("\ufeffName,Phone\nJosé,3125550101\n", "Name,Phone\nJosé,3125550101\n",
                 "sep=;\r\nName;Phone\r\nJosé;3125550101\r\n"):
        plan = importer.preview(write(tmp_path / "u.csv", text))
        assert plan.headers == ("Name", "Phone") and plan.new == 1, text


def test_line_numbers_follow_the_file_across_multiline_cells(importer, tmp_path):
    text = 'sep=,\nName,Phone,Address\nAnn,3125550101,"1 Main St\nApt 2"\nBob,bad,x\n'
    plan = importer.preview(write(tmp_path / "m.csv", text))
    assert [r.line for r in plan.first_rejected] == [5]


def test_cp1252_files_decode_without_a_crash(importer, tmp_path):
    plan = importer.preview(DATA / "customers_cp1252.csv")
    assert plan.encoding == "cp1252" and plan.new == 3
    # Bytes undefined in cp1252 (0x81) are replaced, not fatal.
    path = tmp_path / "odd.csv"
    path.write_bytes(b"Name,Phone\nJos\xe9 \x81,3125550101\n")
    assert importer.preview(path).new == 1


def test_excel_unicode_text_utf16_tab_files(importer, tmp_path):
    path = write(tmp_path / "u16.txt", "\ufeffName\tPhone\nZoë\t3125550101\n", "utf-16-le")
    plan = importer.preview(path)
    assert (plan.encoding, plan.delimiter, plan.new) == ("utf-16", "\t", 1)


def test_short_rows_are_padded_and_trailing_empty_cells_ignored(importer, tmp_path):
    plan = importer.preview(write(tmp_path / "r.csv",
                                  "Name,Phone,Email\nAnn,3125550101\nBob,3125550102,,,,\n"))
    assert (plan.new, plan.rejected) == (2, 0)


def test_duplicates_in_the_file_and_in_the_database_are_counted(importer, tmp_path):
    text = ("Name,Phone\nAnn,3125550101\nAnn again,(312) 555-0101\nKnown,312-555-0100\n"
            "Bad,nope\nBad again,3125550103\n")
    plan = importer.preview(write(tmp_path / "d.csv", text))
    assert (plan.new, plan.duplicates, plan.rejected) == (2, 2, 1)
    assert DUPLICATE == "already a contact"


def test_an_oversized_cell_rejects_its_row_and_reading_goes_on(importer, tmp_path):
    text = 'Name,Phone\nAnn,3125550101\n"' + "x" * 200_000 + '",1\nBob,3125550102\n'
    plan = importer.preview(write(tmp_path / "big.csv", text))
    assert plan.new == 2 and plan.rejected == 1
    assert plan.first_rejected[0].reason.startswith("unreadable: field larger")


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\n\n , \n", "is empty"),
    (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
    (b"Cust Nm,Tel Nr\nAnn,1\n", 'columns are: "Cust Nm", "Tel Nr"'),
])
def test_unusable_files_are_refused_plainly(importer, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(ImportProblem, match=message):
        importer.preview(path)


def test_missing_files_and_folders_are_refused(importer, tmp_path):
    with pytest.raises(ImportProblem, match="There is no file"):
        importer.preview(tmp_path / "nope.csv")
    with pytest.raises(ImportProblem, match="is a folder"):
        importer.preview(tmp_path)


def test_rows_without_a_phone_are_duplicates_by_name_and_email(importer, tmp_path):
    text = ("Name,Phone,Email\nAnn Lee,,ann@example.com\n ann  LEE,,ANN@example.com\n"
            "Ann Lee,,\nAnn Lee,,\nAnn Lee,3125550101,ann@example.com\n")
    plan = importer.preview(write(tmp_path / "p.csv", text))
    assert (plan.new, plan.duplicates) == (3, 2)
