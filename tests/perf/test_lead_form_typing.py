"""Benchmark: the lead form over 100,000 customers, with the real thread pool. A 10 ms
heartbeat timer on the UI thread measures how long the UI is kept from breathing while
(1) the duplicate index loads at start-up, in a worker thread, and (2) a receptionist types
a caller's name, number and address at typing speed, with a duplicate check after each
pause. Also: how long after the last keystroke the warning appears. The stored customers
come from the database (SQLite, 100,000 rows, 15% with a second number), as in the app.

Prints its figures; the asserts are the product's promises with room for a shared CI
machine (DESIGN: the UI never stutters; a warning shows as the fields change)."""

from __future__ import annotations

import os
import random
import statistics
import time

import pytest

from perf.test_duplicate_check import CONTACTS, address_of, synthetic_contacts

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.slow

KEY_GAP_MS = 60  # a quick typist: about 16 characters a second


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def test_typing_a_lead_over_100k_customers_keeps_the_ui_responsive(qtbot, app_factory):
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtTest import QTest

    from desktop.ui.lead_form import LeadForm
    from desktop.ui.workers import TaskRunner

    app = app_factory()
    rng = random.Random(20261124)
    # One customer per main number, as the CSV import and the CRM caches keep them
    # (the synthetic list has households sharing a number).
    unique = {p["phones"][0]: p for p in synthetic_contacts(rng, CONTACTS + 4_000)}
    people = list(unique.values())[:CONTACTS]
    now = app.clock()
    with app.uow(write=True) as uow:
        uow.contacts.insert_many([
            {"name": f"{p['first']} {p['last']}", "phone": p["phones"][0],
             "other_phones": p["phones"][1:], "email": p["email"], "address": address_of(p),
             "crm_provider": "builtin", "created_at": now, "updated_at": now}
            for p in people])
        uow.commit()
    known = people[rng.randrange(len(people))]

    stalls: list[float] = []
    beat = QElapsedTimer()

    def heartbeat():  # any gap beyond 10 ms is time the UI thread could not run
        stalls.append(max(beat.restart() - 10, 0))

    timer = QTimer(interval=10, timeout=heartbeat)
    runner = TaskRunner()
    serial = runner.serial()

    # 1. Start-up: the index loads in a worker while the UI keeps ticking.
    loaded: list[int] = []
    beat.start()
    timer.start()
    started = time.perf_counter()
    runner.submit(app.duplicates.warm, on_done=loaded.append)
    qtbot.waitUntil(lambda: bool(loaded), timeout=120_000)
    warm_s = time.perf_counter() - started
    warm_stalls, stalls[:] = list(stalls), []
    assert loaded == [len(people)]

    # 2. Typing a known customer's details, the way she writes them.
    form = LeadForm(app.leads, runner, "Dana", service_types=["Drain cleaning"],
                    sources=["Yelp"], duplicates=app.duplicates, writer=serial)
    qtbot.addWidget(form)
    form.show()
    latencies, typed_chars = [], 0
    for key, text in (("name", f"{known['first']} {known['last']}"),
                      ("phone", f"({known['phones'][-1][2:5]}) {known['phones'][-1][5:8]}-"
                                f"{known['phones'][-1][8:]}"),
                      ("service_address", address_of(known))):
        widget = form.inputs[key]
        widget.setFocus()
        typed_chars += len(text)
        with qtbot.waitSignal(form.checked, timeout=10_000):
            for n, ch in enumerate(text):
                if n:
                    qtbot.wait(KEY_GAP_MS)
                QTest.keyClicks(widget, ch)
            typed = time.perf_counter()
        latencies.append((time.perf_counter() - typed) * 1000)
    timer.stop()
    typing_stalls = list(stalls)
    top = form.duplicates.matches[0] if form.duplicates.matches else None
    form.close()

    print(f"\n[lead form typing] {len(people):,} customers in SQLite; index loaded in a worker "
          f"in {warm_s:.1f} s, UI-thread stall meanwhile max {max(warm_stalls, default=0):.0f} "
          f"ms, p99 {percentile(warm_stalls, 0.99):.0f} ms over {len(warm_stalls)} beats; "
          f"typing {typed_chars} characters (name, phone, address) at "
          f"{KEY_GAP_MS} ms a key: stall max {max(typing_stalls):.0f} ms, p99 "
          f"{percentile(typing_stalls, 0.99):.0f} ms over {len(typing_stalls)} beats; warning "
          f"shown {statistics.median(latencies):.0f} ms (median), {max(latencies):.0f} ms "
          f"(max) after the last key (the debounce is 250 ms of that)")
    assert top is not None and top.same_person and top.kind == "contact"
    assert top.name == f"{known['first']} {known['last']}"
    # Targets 50 ms; the bounds are loose so a shared CI box never flakes.
    assert max(typing_stalls) < 250
    assert max(warm_stalls, default=0) < 250
    assert max(latencies) < 2_000
