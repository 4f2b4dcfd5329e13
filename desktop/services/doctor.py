"""`frontdesk doctor`: each check says in plain words what is fine and what is not."""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str


def run_checks(app) -> list[Check]:
    checks = [Check("data folder", True, str(app.data_dir))]
    checks.append(_database(app))
    if app.secrets.available():
        checks.append(Check("keyring", True, f"secrets go to {app.secrets.backend_name()}"))
    else:
        checks.append(Check("keyring", False, "no OS keyring is available; connector "
                            "credentials cannot be stored until one is"))
    if app.phone is None:
        checks.append(Check("phone", False, "no phone provider configured "
                            "(frontdesk config set phone.provider ...)"))
    else:
        result = app.phone.test_connection()
        checks.append(Check(f"phone ({app.phone.label})", result.ok, result.message))
    result = app.crm.test_connection()
    checks.append(Check(f"CRM ({app.crm.label})", result.ok, result.message))
    if app.delivery is not None:
        checks.extend(_delivery(app))
    problem = app.changelog.verify()
    checks.append(Check("change log", problem is None,
                        problem.message if problem else f"intact, {app.changelog.count()} entries"))
    return checks


def _delivery(app) -> list[Check]:
    problems = app.delivery.mapping_problems()
    checks = [Check("CRM field map", not problems, "; ".join(problems) or
                    "every field the CRM requires is mapped (frontdesk crm fields)")]
    backlog = app.delivery.backlog()
    failed, pending = backlog["failed"], backlog["pending"]
    checks.append(Check("lead delivery", failed == 0,
                        f"{failed} lead(s) failed to reach {app.crm.label}, {pending} waiting "
                        "(frontdesk leads; frontdesk crm retry failed)" if failed else
                        f"{pending} lead(s) waiting to be delivered"))
    scopes = app.delivery.crm.granted
    checks.append(Check("CRM permissions", True, "granted: " + ", ".join(sorted(scopes))))
    return checks


def _database(app) -> Check:
    ok, message = app.check_database()
    return Check("database", ok, message)
