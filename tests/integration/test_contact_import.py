"""Customer CSV import and export on a real SQLite database: contacts land in the built-in
CRM with unique crm ids, known customers are skipped, rejected rows are reported, one
change-log entry sums the import up, and an export imports back to the same customers."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop.adapters.crm.builtin import BuiltinCrm
from desktop.services import contact_import
from desktop.services.contact_import import (
    EXPORT_HEADERS,
    ContactImport,
    ImportProblem,
    export_contacts,
)

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)


@pytest.fixture
def app(app_factory, clock):
    clock.set(NOW)
    return app_factory()


@pytest.fixture
def importer(app, clock):
    return ContactImport(app.uow, clock)


def contacts(app) -> list[dict]:
    with app.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, name, phone, email, address, crm_provider, crm_id, created_at "
            "FROM contacts ORDER BY id"))
        return [dict(r._mapping) for r in rows]


def log_entries(app):
    return app.changelog.rows()


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_an_import_adds_builtin_contacts_with_one_change_log_entry(app, importer):
    report = importer.run(DATA / "customers_basic.csv", "ann")
    assert (report.imported, report.duplicates, len(report.rejected), report.blank) == (4, 1, 3, 2)
    rows = contacts(app)
    assert [(r["name"], r["phone"], r["email"], r["address"]) for r in rows] == [
        ("Maria Gonzalez", "+17735550142", "maria@example.com",
         "2214 W Belmont Ave, Chicago, IL 60618"),
        ("Dave Kowalski", "+13125550100", None, "88 N Wells St, Chicago, IL 60606"),
        ("Unknown", "+16305550199", None, None),
        ("Nobody Atall", None, None, None)]
    assert all(r["crm_provider"] == "builtin" and r["crm_id"] == str(r["id"]) for r in rows)
    assert (report.first_id, report.last_id) == (rows[0]["id"], rows[-1]["id"])
    (entry,) = log_entries(app)
    assert (entry.actor, entry.entity, entry.entity_id, entry.action) == (
        "person:ann", "contact_import", "customers_basic.csv", "imported")
    assert entry.after["imported"] == 4 and entry.after["duplicates"] == 1
    assert entry.after["rejected"] == 3
    assert entry.after["mapping"]["Customer Name"] == "name"
    assert entry.reason == "4 contact(s) imported from customers_basic.csv"
    assert app.changelog.verify() is None


def test_imported_contacts_are_found_by_phone_like_any_other(app, importer):
    importer.run(DATA / "customers_basic.csv", "ann")
    with app.uow() as uow:
        assert uow.contacts.by_phone("+17735550142").name == "Maria Gonzalez"
        assert uow.contacts.names_by_phones(["+13125550100"]) == {
            "+13125550100": "Dave Kowalski"}


def test_known_customers_are_skipped_not_rejected(app, importer, clock):
    BuiltinCrm(app.uow).add_contact("Dave K.", "+13125550100", clock(), "person:ann")
    report = importer.run(DATA / "customers_basic.csv", "ann")
    assert (report.imported, report.duplicates, len(report.rejected)) == (3, 2, 3)
    assert [r["name"] for r in contacts(app)].count("Dave K.") == 1
    assert "Dave Kowalski" not in [r["name"] for r in contacts(app)]
    # Importing the same file again adds nobody and writes no change-log entry.
    entries = len(log_entries(app))
    again = importer.run(DATA / "customers_basic.csv", "ann")
    assert (again.imported, again.duplicates) == (0, 5)  # "Nobody Atall" has no phone
    assert len(log_entries(app)) == entries


def test_preview_counts_like_run_and_writes_nothing(app, importer):
    plan = importer.preview(DATA / "customers_basic.csv")
    assert (plan.new, plan.duplicates, plan.rejected) == (4, 1, 3)
    assert contacts(app) == [] and log_entries(app) == []
    report = importer.run(DATA / "customers_basic.csv", "ann")
    assert report.imported == plan.new


def test_the_reject_report_lists_each_rejected_row_with_its_reason(app, importer, tmp_path):
    out = tmp_path / "rejects.csv"
    report = importer.run(DATA / "customers_basic.csv", "ann", reject_report=out)
    assert report.reject_report == str(out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(out)
    assert rows[0] == ["reason", "line", "Customer Name", "Phone", "E-mail", "Street", "City",
                       "State", "Zip", "Notes"]
    assert rows[1] == ["'not a phone' is not a phone number", "5", "Lisa Tran", "not a phone",
                       "lisa@example.com", "", "", "", "", ""]
    assert rows[2][:4] == ["'ahmed@example' is not an email address", "7", "Ahmed Khan",
                           "+1 847 555 0123"]
    assert rows[3][:3] == ["has 9 values but the header has 8 columns", "11", "Bad Row"]
    assert rows[3][-2:] == ["extra", "cells"]
    assert len(rows) == 4
    assert [(r.line, r.reason) for r in report.rejected] == [(int(r[1]), r[0]) for r in rows[1:]]


def test_fixed_rejects_import_again(app, importer, tmp_path):
    out = tmp_path / "rejects.csv"
    importer.run(DATA / "customers_basic.csv", "ann", reject_report=out)
    rows = read_csv(out)
    rows[1][3] = "(847) 555-0144"   # Lisa's phone, fixed in Excel
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    report = importer.run(out, "ann")
    assert report.imported == 1 and len(report.rejected) == 2
    assert contacts(app)[-1]["name"] == "Lisa Tran"


def test_a_cp1252_file_from_excel_on_windows(app, importer):
    report = importer.run(DATA / "customers_cp1252.csv", "ann")
    assert report.imported == 3
    assert [r["name"] for r in contacts(app)] == ["José Muñoz", "Zoë Brontë",
                                                   "François Lefèvre – Café"]
    assert contacts(app)[0]["address"] == "12 Rue Saint-Étienne"
    assert contacts(app)[2]["address"] == "“Main” St"


def test_a_semicolon_file_with_a_user_mapping(app, importer):
    mapping = {"Vorname": "first_name", "Nachname": "last_name"}
    report = importer.run(DATA / "customers_semicolon.csv", "ann", mapping=mapping)
    assert report.imported == 3 and report.mapping["Mobile Phone"] == "phone"
    assert [(r["name"], r["phone"], r["address"]) for r in contacts(app)] == [
        ("José Muñoz", "+17735550150", "12 Rue Saint-Étienne, Apt 3"),
        ("Zoë Brontë", "+13125550161", None),
        ("Renée Ça", None, None)]
    assert log_entries(app)[0].after["mapping"]["Vorname"] == "first_name"


def test_large_files_insert_in_chunks_with_unique_crm_ids(app, importer, tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(contact_import, "CHUNK", 7)
    BuiltinCrm(app.uow).add_contact("Existing", "+13125550000", NOW, "person:ann")
    path = tmp_path / "many.csv"
    lines = ["Name,Phone"] + [f"C{i},(312) 555-{i:04d}" for i in range(50)]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = importer.run(path, "ann")
    assert (report.imported, report.duplicates) == (49, 1)
    rows = contacts(app)
    assert len({r["crm_id"] for r in rows}) == 50
    assert all(r["crm_id"] == str(r["id"]) for r in rows)
    assert len(log_entries(app)) == 2  # the one add_contact, and the import


def test_a_failure_mid_import_leaves_nothing_behind(app, importer, tmp_path, monkeypatch):
    monkeypatch.setattr(contact_import, "CHUNK", 2)
    real, calls = contact_import._insert, []

    def failing(uow, rows, now):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(uow, rows, now)

    monkeypatch.setattr(contact_import, "_insert", failing)
    with pytest.raises(RuntimeError):
        importer.run(DATA / "customers_basic.csv", "ann")
    assert contacts(app) == [] and log_entries(app) == []


def test_bad_files_and_mappings_write_nothing(app, importer, tmp_path):
    with pytest.raises(ImportProblem, match="Cust Nm"):
        importer.run(DATA / "customers_basic.csv", "ann", mapping={"Cust Nm": "name"})
    with pytest.raises(ImportProblem, match="no folder"):
        importer.run(DATA / "customers_basic.csv", "ann",
                     reject_report=tmp_path / "missing" / "r.csv")
    assert contacts(app) == [] and log_entries(app) == []


def test_export_writes_what_excel_opens(app, importer, tmp_path):
    importer.run(DATA / "customers_basic.csv", "ann")
    out = tmp_path / "export.csv"
    assert export_contacts(app.uow, out) == 4
    assert out.read_bytes().startswith(b"\xef\xbb\xbfname,phone,email,address,created_at,other_phones\r\n")
    rows = read_csv(out)
    assert rows[0] == list(EXPORT_HEADERS)
    assert rows[1] == ["Maria Gonzalez", "+17735550142", "maria@example.com",
                       "2214 W Belmont Ave, Chicago, IL 60618", "2025-02-12T21:00:00+00:00",
                       ""]
    assert rows[4] == ["Nobody Atall", "", "", "", "2025-02-12T21:00:00+00:00", ""]


def test_export_then_import_gives_back_the_same_customers(app, app_factory, importer,
                                                         tmp_path, clock):
    BuiltinCrm(app.uow).add_contact("=HYPERLINK(\"http://x\")", "+14155550100", NOW,
                                    "person:ann", email="eve@example.com",
                                    address="-1 Minus Rd")
    importer.run(DATA / "customers_cp1252.csv", "ann")
    importer.run(DATA / "customers_basic.csv", "ann")
    out = tmp_path / "export.csv"
    count = export_contacts(app.uow, out)
    assert count == len(contacts(app)) == 8
    assert read_csv(out)[1][0] == "'=HYPERLINK(\"http://x\")"  # Excel shows it, runs nothing

    other = app_factory(tmp_path / "other")
    report = ContactImport(other.uow, clock).run(out, "bob")
    assert report.imported == count and not report.rejected
    assert report.mapping == {"name": "name", "phone": "phone", "email": "email",
                              "address": "address", "other_phones": "phone"}

    def people(a):
        return [(r["name"], r["phone"], r["email"], r["address"]) for r in contacts(a)]
    assert people(other) == people(app)


def test_export_of_an_empty_database_and_over_an_old_file(app, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "export.csv"
    out.write_text("old", encoding="utf-8")
    assert export_contacts(app.uow, out) == 0
    assert read_csv(out) == [list(EXPORT_HEADERS)]
    assert [p.name for p in out.parent.iterdir()] == ["export.csv"]  # no temporary left


def test_export_to_a_missing_folder_is_a_plain_problem(app, tmp_path):
    with pytest.raises(ImportProblem, match="no folder"):
        export_contacts(app.uow, tmp_path / "nope" / "export.csv")


def test_every_phone_column_counts_and_the_first_number_is_the_main_one(app, importer,
                                                                      tmp_path):
    """A customer's mobile, home and work numbers are all theirs: the first is the main
    number, the rest are kept as other numbers (a call from any of them is that
    customer), and export -> import keeps them all."""
    source = tmp_path / "phones.csv"
    source.write_text(
        "Name,Mobile,Home Phone,Work Phone\n"
        "Maria Gonzalez,773-555-0142,(312) 555-0100,\n"
        "Tom Reed,,708 555 0134 / 708-555-0135,630-555-0192\n"
        "Bad Number,773-555-0199,12,\n", encoding="utf-8")
    report = importer.run(source, "ann")
    assert report.imported == 2
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "'12' is not a valid phone number")]
    with app.uow() as uow:
        maria = uow.contacts.by_phone("+13125550100")  # her home number finds her
        tom = uow.contacts.by_phone("+16305550192")
        assert (maria.name, maria.phone) == ("Maria Gonzalez", "+17735550142")
        assert (tom.name, tom.phone) == ("Tom Reed", "+17085550134")
        assert uow.contacts.other_phones(tom.id) == ("+16305550192", "+17085550135")
        assert uow.contacts.names_by_phones({"+17085550135", "+13125550100"}) == {
            "+17085550135": "Tom Reed", "+13125550100": "Maria Gonzalez"}

    again = tmp_path / "again.csv"
    again.write_text("Name,Phone\nM. Gonzalez,312-555-0100\n", encoding="utf-8")
    assert importer.run(again, "ann").duplicates == 1  # her other number: already a contact

    out = tmp_path / "export.csv"
    export_contacts(app.uow, out)
    assert read_csv(out)[2][0] == "Tom Reed"
    assert read_csv(out)[2][-1] == "+16305550192; +17085550135"
