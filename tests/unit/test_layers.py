"""Dependencies point inward: no PySide6 below the UI; the domain imports nothing of the
outside world. Each check runs in a fresh interpreter, so nothing this test process already
imported can hide (or fake) an import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
names = []
for package_name in {packages!r}:
    package = importlib.import_module(package_name)
    names.append(package_name)
    if hasattr(package, "__path__"):
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(info.name)
            names.append(info.name)
for extra in {extras!r}:
    importlib.import_module(extra)
    names.append(extra)
print(json.dumps({{"imported": names, "loaded": sorted(sys.modules)}}))
"""


def import_in_fresh_interpreter(packages, extras=()) -> dict:
    code = _IMPORT_ALL.format(packages=list(packages), extras=list(extras))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_everything_below_the_ui_loads_without_pyside6():
    result = import_in_fresh_interpreter(
        ["desktop.domain", "desktop.services", "desktop.adapters"],
        ["desktop.bootstrap", "desktop.config", "desktop.cli"])
    imported = set(result["imported"])
    # The walk really reached the modules (a broken walk would pass vacuously).
    for module in ("desktop.domain.queue", "desktop.services.sync",
                   "desktop.adapters.phone.simulator", "desktop.adapters.db.repositories",
                   "desktop.adapters.crm.builtin", "desktop.adapters.secrets"):
        assert module in imported
    qt = [name for name in result["loaded"] if name == "PySide6" or name.startswith("PySide6.")
          or name == "shiboken6"]
    assert qt == []


def test_the_domain_imports_nothing_from_outside_the_domain():
    result = import_in_fresh_interpreter(["desktop.domain"])
    assert "desktop.domain.queue" in result["imported"]
    assert "desktop.domain.leads" in result["imported"]
    forbidden = ("sqlalchemy", "requests", "alembic", "keyring", "PySide6",
                 "desktop.adapters", "desktop.services", "desktop.ui")
    leaks = [name for name in result["loaded"]
             if any(name == f or name.startswith(f + ".") for f in forbidden)]
    assert leaks == []


def test_services_reach_the_database_only_through_the_unit_of_work():
    result = import_in_fresh_interpreter(["desktop.services"])
    assert "desktop.services.sync" in result["imported"]
    leaks = [name for name in result["loaded"]
             if name.split(".")[0] in ("sqlalchemy", "alembic", "PySide6")]
    assert leaks == []
