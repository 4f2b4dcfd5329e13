"""The CRM commands of the command-line contract: import/export contacts, the field map,
retry and revert, deliver with the built-in CRM. Exit 0 on success, 2 on bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from fake_hubspot import hubspot  # noqa: F401  (fixture)

DATA = Path(__file__).resolve().parents[1] / "data"


def test_import_contacts_reports_rejected_rows_and_skips_known_customers(cli, tmp_path):
    rejects = tmp_path / "rejected.csv"
    code, out, err = cli("import", "contacts", str(DATA / "customers_basic.csv"), "--json",
                         "--rejects", str(rejects))
    assert code == 0, err
    report = json.loads(out)
    assert (report["imported"], report["duplicates"], report["rejected"]) == (4, 1, 3)
    assert report["rejected_rows"][0]["line"] == 5
    assert "'not a phone' is not a phone number" in err and "line 5" in err
    with rejects.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["line"] for r in rows] == ["5", "7", "11"] and rows[0]["Customer Name"] == "Lisa Tran"
    code, _, err = cli("import", "contacts", str(DATA / "customers_basic.csv"))
    assert code == 0 and "0 contact(s) added, 5 already known" in err


def test_a_dry_run_shows_the_column_mapping_and_writes_nothing(cli, tmp_path):
    code, out, err = cli("import", "contacts", str(DATA / "customers_basic.csv"), "--dry-run")
    assert code == 0
    assert "'Customer Name' -> name" in err and "4 would be added" in err
    out_file = tmp_path / "out.csv"
    assert cli("export", "contacts", str(out_file))[2].startswith("0 contact(s)")


def test_bad_import_input_is_named_and_exits_2(cli, tmp_path):
    assert cli("import", "contacts", str(tmp_path / "missing.csv"))[0] == 2
    code, _, err = cli("import", "contacts", str(DATA / "customers_basic.csv"),
                       "--map", "Bogus=name")
    assert code == 2 and 'no column "Bogus"' in err
    code, _, err = cli("import", "contacts", str(DATA / "customers_basic.csv"), "--map", "x")
    assert code == 2


def test_export_writes_what_was_imported(cli, tmp_path):
    cli("import", "contacts", str(DATA / "customers_basic.csv"))
    target = tmp_path / "contacts.csv"
    code, _, err = cli("export", "contacts", str(target))
    assert code == 0 and "4 contact(s) written" in err
    with target.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["name"] == "Maria Gonzalez" and rows[0]["phone"] == "+17735550142"


def test_deliver_with_the_builtin_crm_has_nothing_to_do(cli):
    code, _, err = cli("deliver", "--once")
    assert code == 0 and "nothing to deliver" in err
    assert cli("crm", "retry", "1")[0] == 2


def configure_hubspot(cli, fake) -> None:
    for key, value in fake.settings().items():
        cli("config", "set", key, value)
    for key, value in fake.secrets().items():
        cli("secret", "set", key, stdin=value)


def test_crm_fields_shows_the_map_and_flags_an_unmapped_required_field(cli, hubspot):
    configure_hubspot(cli, hubspot)
    code, out, _ = cli("crm", "fields", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["crm"] == "hubspot" and shown["map"]["phone"] == ["contact.phone"]
    assert shown["problems"] == []
    assert cli("config", "set", "crm.field_map", '{"hubspot": {"phone": ""}}')[0] == 0
    code, out, _ = cli("crm", "fields")
    assert code == 1
    assert "PROBLEM: contact.phone is required by HubSpot but no lead field maps to it" in out
    code, out, _ = cli("doctor")
    assert "[PROBLEM] CRM field map: contact.phone is required by HubSpot" in out


def test_crm_retry_and_revert_need_a_target(cli, hubspot):
    configure_hubspot(cli, hubspot)
    assert cli("crm", "retry")[0] == 2
    assert cli("crm", "revert", "abc")[0] == 2
    code, _, err = cli("crm", "retry", "99")
    assert code == 2 and "not waiting for delivery" in err
    code, _, err = cli("crm", "revert", "1")
    assert code == 2 and "not a CRM contact update" in err


def test_a_field_map_naming_an_unknown_lead_field_is_refused(cli):
    code, _, err = cli("config", "set", "crm.field_map", '{"hubspot": {"phone_no": "x"}}')
    assert code == 2 and "'phone_no' is not a lead field" in err
