"""Benchmark: importing a 100,000-customer CSV into the built-in CRM (one transaction),
and exporting it again. The file is what a shop's old system exports: name, mobile, home
phone (15% of rows), email, street, city, state, zip; a few hundred rows are repeats of
earlier customers and a few are unusable. Prints its figures."""

from __future__ import annotations

import csv
import random
import time

import pytest
from sqlalchemy import text
from perf.test_duplicate_check import CONTACTS, synthetic_contacts

from desktop.services.contact_import import ContactImport, export_contacts

pytestmark = pytest.mark.slow

REPEATS, BROKEN = 300, 50


def test_import_and_export_100k_customers(app_factory, tmp_path, clock):
    rng = random.Random(20261124)
    people = synthetic_contacts(rng, CONTACTS - REPEATS - BROKEN)
    source = tmp_path / "customers.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Customer Name", "Mobile", "Home Phone", "E-mail", "Street", "City",
                      "State", "Zip"])
        for p in people:
            phones = p["phones"]
            out.writerow([f"{p['first']} {p['last']}", phones[0],
                          phones[1] if len(phones) > 1 else "", p["email"] or "",
                          f"{p['street']} {p['unit']}".strip(), p["city"], p["state"],
                          p["zip"]])
        for p in rng.sample(people, REPEATS):
            out.writerow([p["first"], p["phones"][0], "", "", "", "", "", ""])
        for n in range(BROKEN):
            out.writerow(["", f"555-{n:03d}", "", "not-an-email", "", "", "", ""])
    # Households share a number: the import keeps the first customer on each number.
    households = len(people) - len({p["phones"][0] for p in people})
    app = app_factory()

    started = time.perf_counter()
    report = ContactImport(app.uow, clock).run(source, "owner")
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    exported = export_contacts(app.uow, tmp_path / "export.csv")
    export_s = time.perf_counter() - started
    with app.uow() as uow:
        with_two = uow.session.execute(
            text("SELECT COUNT(DISTINCT contact_id) FROM contact_phones")).scalar()

    print(f"\n[contact import] {CONTACTS:,} rows: imported {report.imported:,}, skipped "
          f"{report.duplicates:,} already known, rejected {len(report.rejected)} in "
          f"{import_s:.1f} s ({with_two:,} customers with a second number); export of "
          f"{exported:,} in {export_s:.1f} s")
    assert len(report.rejected) == BROKEN
    assert report.imported + report.duplicates == len(people) + REPEATS
    assert report.duplicates == REPEATS + households
    assert exported == report.imported
