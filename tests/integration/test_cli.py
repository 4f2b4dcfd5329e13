"""The command-line contract: exit status 0/1/2, exactly one JSON document on stdout with
--json, messages on stderr, and isolated data folders.

Most commands run in-process through desktop.cli.main (fast, and the in-memory keyring is
visible); one test runs the real `python -m desktop` in subprocesses. The CLI uses the real
clock, so the simulator's figures are not fixed: these tests assert structure and
idempotence, not counts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.domain.leads import DEFAULT_REQUIRED, FIELD_LABELS

ROOT = Path(__file__).resolve().parents[2]
QUEUE_KEYS = {"id", "phone", "caller_name", "calls", "call_ids", "first_call_at",
              "last_call_at", "outcome", "transcript", "urgency", "lane", "state", "owner",
              "source"}
AGE_KEYS = {"age_s", "lane"}  # these move with the wall clock between two runs
LEAD = {
    "name": "Maria Gonzalez", "phone": "773-555-0142", "email": "maria@example.com",
    "service_address": "2214 W Belmont Ave, Chicago", "service_type": "Water heater",
    "urgency": "routine", "source": "Google Ads",
}


@pytest.fixture
def synced(cli):
    """A data folder with the simulator line configured and synced once."""
    assert cli("config", "set", "phone.provider", "simulator")[0] == 0
    code, _, err = cli("sync", "--once")
    assert code == 0, err
    return cli


def queue_json(cli) -> list[dict]:
    code, out, err = cli("queue", "--json")
    assert code == 0, err
    return json.loads(out)


def call_rows(data_dir: Path) -> list[tuple]:
    with sqlite3.connect(data_dir / "frontdesk.db") as conn:
        return conn.execute("SELECT provider, provider_call_id, ended_at, direction, "
                            "from_number, to_number FROM calls").fetchall()


def aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None and moment.utcoffset() is not None, text
    return moment


# -- the real program ------------------------------------------------------------------
def test_the_installed_entry_point_honours_the_contract(data_dir):
    def frontdesk(*args):
        return subprocess.run([sys.executable, "-m", "desktop", *args, "--data-dir",
                               str(data_dir)], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, PYTHONUNBUFFERED="1"))

    done = frontdesk("config", "set", "phone.provider", "simulator")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "phone.provider" in done.stderr  # messages go to stderr

    done = frontdesk("config", "set", "phone.poll_seconds", "abc")
    assert done.returncode == 2
    assert "phone.poll_seconds" in done.stderr and done.stdout == ""

    done = frontdesk("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "new call(s)" in done.stderr

    done = frontdesk("queue", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert isinstance(rows, list) and rows
    assert all(row["phone"].startswith("+1") for row in rows)
    assert (data_dir / "frontdesk.db").is_file()


# -- config ----------------------------------------------------------------------------
def test_config_set_then_get_as_json(cli):
    code, out, err = cli("config", "set", "phone.poll_seconds", "45")
    assert code == 0 and out == "" and "phone.poll_seconds = 45" in err
    code, out, _ = cli("config", "get", "phone.poll_seconds", "--json")
    assert code == 0 and json.loads(out) == {"key": "phone.poll_seconds", "value": 45}
    code, out, _ = cli("config", "get", "business.timezone")
    assert code == 0 and out.strip() == "America/Chicago"


def test_config_set_records_who_changed_it(cli):
    cli("config", "set", "desk.user", "Dana")
    cli("config", "set", "phone.poll_seconds", "10")
    code, out, _ = cli("changelog", "--json")
    last = json.loads(out)[-1]
    assert (last["entity"], last["entity_id"], last["action"], last["actor"]) == (
        "setting", "phone.poll_seconds", "changed", "person:Dana")
    assert last["before"] == {"value": 30} and last["after"] == {"value": 10}


@pytest.mark.parametrize("args, words", [
    (("config", "set", "phone.poll_seconds", "abc"), ["phone.poll_seconds", "whole number"]),
    (("config", "set", "phone.poll_seconds", "0"), ["phone.poll_seconds", "at least"]),
    (("config", "set", "phone.provider", "asterisk"), ["phone.provider", "twilio"]),
    (("config", "set", "business.timezone", "Mars/Base"), ["business.timezone"]),
    (("config", "set", "no.such.key", "1"), ["no.such.key"]),
    (("config", "get", "no.such.key"), ["no.such.key"]),
    (("config", "get"), ["KEY"]),
    (("config", "set", "phone.poll_seconds"), ["VALUE"]),
])
def test_bad_config_input_exits_2_naming_the_key(cli, args, words):
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    for word in words:
        assert word in err
    assert cli("config", "get", "phone.poll_seconds", "--json")[1].count('"value": 30') == 1


def test_config_list_json_shows_every_key_with_value_and_default(cli):
    cli("config", "set", "phone.poll_seconds", "12")
    code, out, _ = cli("config", "list", "--json")
    rows = {row["key"]: row for row in json.loads(out)}
    from desktop.config import SETTINGS
    assert set(rows) == set(SETTINGS)
    assert rows["phone.poll_seconds"]["value"] == 12
    assert rows["phone.poll_seconds"]["default"] == 30
    assert rows["phone.poll_seconds"]["is_default"] is False
    assert rows["business.timezone"]["is_default"] is True


def test_the_data_dir_comes_from_the_environment_when_not_given(capsys, isolated_data_dir_env):
    assert main(["config", "set", "business.name", "Env Shop"]) == 0
    assert (isolated_data_dir_env / "frontdesk.db").is_file()


# -- sync and queue --------------------------------------------------------------------
def test_sync_without_a_provider_is_bad_input(cli):
    code, _, err = cli("sync", "--once")
    assert code == 2 and "phone.provider" in err


def test_an_empty_queue_is_an_empty_json_list(cli):
    assert queue_json(cli) == []


def test_queue_json_rows_carry_the_contract_fields(synced):
    rows = queue_json(synced)
    assert rows, "a week of simulated traffic leaves unanswered callers"
    for row in rows:
        assert QUEUE_KEYS <= set(row)
        assert row["phone"].startswith("+1") and row["phone"][1:].isdigit()
        assert len(row["phone"]) == 12
        assert row["calls"] >= 1 and len(row["call_ids"]) == row["calls"]
        first, last = aware(row["first_call_at"]), aware(row["last_call_at"])
        assert first <= last
        assert row["outcome"] in {"missed", "voicemail", "abandoned", "busy", "failed"}
        assert row["urgency"] in {"emergency", "urgent", "routine", "unknown"}
        assert row["lane"] in {"call_now", "todo", "waiting"}
        assert row["state"] in {"open", "claimed", "waiting"}
        assert row["owner"] is None
        assert row["transcript"] is None or isinstance(row["transcript"], str)
    assert len({row["phone"] for row in rows}) == len(rows)  # one item per caller
    assert any(row["transcript"] for row in rows)


def test_a_second_sync_changes_nothing(synced, data_dir):
    first_calls = set(call_rows(data_dir))
    first_queue = {row["id"]: row for row in queue_json(synced)}

    code, _, err = synced("sync", "--once")
    assert code == 0, err

    after_calls = set(call_rows(data_dir))
    assert first_calls <= after_calls
    # The line runs on the wall clock, so a call may really have ended in between; only
    # such a call may be new, and it may touch only its own caller's item.
    newest_seen = max(row[2] for row in first_calls)
    fresh = after_calls - first_calls
    assert all(row[2] >= newest_seen for row in fresh), fresh
    touched = {row[4] if row[3] == "inbound" else row[5] for row in fresh}
    second_queue = {row["id"]: row for row in queue_json(synced)}
    for item_id, row in first_queue.items():
        if row["phone"] in touched:
            continue
        assert item_id in second_queue
        assert {k: v for k, v in second_queue[item_id].items() if k not in AGE_KEYS} == \
               {k: v for k, v in row.items() if k not in AGE_KEYS}
    assert {r["phone"] for i, r in second_queue.items() if i not in first_queue} <= touched


# -- leads -----------------------------------------------------------------------------
def test_lead_create_then_leads_lists_it_delivered(cli, tmp_path):
    lead_file = tmp_path / "lead.json"
    lead_file.write_text(json.dumps(LEAD), encoding="utf-8")
    code, out, err = cli("lead", "create", "--json", str(lead_file))
    assert code == 0, err
    created = json.loads(out)
    assert created["phone"] == "+17735550142" and created["delivery_state"] == "delivered"
    aware(created["created_at"])
    code, out, _ = cli("leads", "--json")
    (listed,) = json.loads(out)
    assert listed["id"] == created["id"] and listed["name"] == "Maria Gonzalez"
    assert listed["delivery_state"] == "delivered"


def test_lead_create_from_stdin(cli):
    code, out, err = cli("lead", "create", "--json", "-", stdin=json.dumps(LEAD))
    assert code == 0, err
    assert json.loads(out)["name"] == "Maria Gonzalez"


def test_lead_create_names_every_missing_field(cli, tmp_path):
    lead_file = tmp_path / "lead.json"
    lead_file.write_text(json.dumps({"email": "maria@example.com"}), encoding="utf-8")
    code, out, err = cli("lead", "create", "--json", str(lead_file))
    assert code == 2 and out == ""
    for field in DEFAULT_REQUIRED:
        assert f"{FIELD_LABELS[field]} is required" in err
    assert json.loads(cli("leads", "--json")[1]) == []


def test_lead_create_names_an_unknown_field(cli, tmp_path):
    lead_file = tmp_path / "lead.json"
    lead_file.write_text(json.dumps(dict(LEAD, adress="x")), encoding="utf-8")
    code, _, err = cli("lead", "create", "--json", str(lead_file))
    assert code == 2 and "adress" in err


@pytest.mark.parametrize("content", ['{"name": "Maria",', "[1, 2]", ""])
def test_lead_create_refuses_a_file_that_is_not_a_json_object(cli, tmp_path, content):
    lead_file = tmp_path / "lead.json"
    lead_file.write_text(content, encoding="utf-8")
    code, out, err = cli("lead", "create", "--json", str(lead_file))
    assert code == 2 and out == "" and err.startswith("error:")


def test_lead_create_with_a_missing_file_is_bad_input(cli, tmp_path):
    code, _, err = cli("lead", "create", "--json", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json" in err


# -- change log ------------------------------------------------------------------------
def test_changelog_verify_passes_and_counts_then_names_a_tampered_entry(synced, data_dir):
    code, out, err = synced("changelog", "--verify")
    with sqlite3.connect(data_dir / "frontdesk.db") as conn:
        count = conn.execute("SELECT COUNT(*) FROM change_log").fetchone()[0]
    assert count > 5
    assert code == 0 and f"{count} entries" in err

    victim = count // 2
    with sqlite3.connect(data_dir / "frontdesk.db") as conn:
        conn.execute("UPDATE change_log SET reason = 'nothing happened' WHERE seq = ?",
                     (victim,))

    code, out, err = synced("changelog", "--verify")
    assert code == 1
    assert f"entry {victim}" in err and "NOT intact" in err
    code, out, _ = synced("changelog", "--verify", "--json")
    assert code == 1 and json.loads(out) == {
        "intact": False, "first_bad_seq": victim,
        "message": f"entry {victim} was changed after it was written"}


def test_changelog_verify_names_a_deleted_entry(synced, data_dir):
    with sqlite3.connect(data_dir / "frontdesk.db") as conn:
        conn.execute("DELETE FROM change_log WHERE seq = 3")
    code, _, err = synced("changelog", "--verify")
    assert code == 1 and "entry 3" in err


def test_changelog_json_is_one_valid_document(synced):
    code, out, _ = synced("changelog", "--json")
    entries = json.loads(out)
    assert code == 0 and entries
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    for entry in entries:
        assert {"seq", "at", "actor", "entity", "entity_id", "action", "before", "after",
                "reason", "hash"} <= set(entry)
        aware(entry["at"])
    code, out, _ = synced("changelog", "--verify", "--json")
    assert json.loads(out) == {"intact": True, "entries": len(entries)}


# -- secrets ---------------------------------------------------------------------------
def test_secret_set_stores_in_the_keyring_and_nowhere_else(synced, memory_keyring, data_dir):
    code, out, err = synced("secret", "set", "crm.hubspot.token", stdin="s3cret\n")
    assert code == 0
    assert memory_keyring.passwords[("FrontDesk", "crm.hubspot.token")] == "s3cret"
    assert "crm.hubspot.token" in err
    # More work on the same folder afterwards, so logs, settings and the database exist.
    synced("config", "set", "phone.poll_seconds", "15")
    synced("doctor")
    outputs = [out, err]
    for args in (("config", "list", "--json"), ("changelog", "--json"), ("doctor",)):
        outputs += synced(*args)[1:]
    assert all("s3cret" not in text for text in outputs)
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "frontdesk.db" for p in files)
    for path in files:
        assert b"s3cret" not in path.read_bytes(), path


def test_an_unknown_secret_is_bad_input(cli, memory_keyring):
    code, _, err = cli("secret", "set", "nope", stdin="value\n")
    assert code == 2 and "nope" in err
    assert memory_keyring.passwords == {}


def test_an_empty_secret_is_bad_input(cli, memory_keyring):
    code, _, err = cli("secret", "set", "crm.hubspot.token", stdin="\n")
    assert code == 2 and memory_keyring.passwords == {}


# -- doctor ----------------------------------------------------------------------------
def test_doctor_reports_the_database_schema_and_each_connector(synced):
    from desktop.adapters.db.migrate import head_revision
    code, out, _ = synced("doctor")
    lines = out.splitlines()
    database = [line for line in lines if "database" in line]
    assert len(database) == 1
    assert "[ok]" in database[0] and f"schema {head_revision()}" in database[0]
    assert "journal wal" in database[0]
    assert any(line.startswith("[ok] phone (Simulator)") for line in lines)
    assert any(line.startswith("[ok] change log: intact") for line in lines)
    assert code == 0


def test_doctor_says_plainly_when_no_phone_is_configured(cli):
    code, out, _ = cli("doctor")
    assert code == 1
    assert any(line.startswith("[PROBLEM] phone") and "phone.provider" in line
               for line in out.splitlines())
