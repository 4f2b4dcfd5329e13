"""The follow-up command line: `followup due --json`, `optout check NUMBER --json`, the
owner passcode and owner-only settings, on the simulator line and a real SQLite file."""

from __future__ import annotations

import json


def test_owner_only_settings_need_the_passcode(cli):
    code, _, err = cli("config", "set", "textback.enabled", "true", stdin="")
    assert code == 2 and "no owner passcode is set yet" in err
    code, _, err = cli("owner", "passcode", stdin="abc\n")
    assert code == 2 and "at least 4 characters" in err
    assert cli("owner", "passcode", stdin="open-sesame\n")[0] == 0
    code, _, err = cli("config", "set", "textback.enabled", "true", stdin="wrong\n")
    assert code == 2 and "missing or wrong" in err
    code, _, err = cli("config", "set", "textback.enabled", "true", stdin="open-sesame\n")
    assert code == 0 and "the text-back now reads: Hi Maria" in err
    # Changing the passcode needs the current one.
    assert cli("owner", "passcode", stdin="nope\nnew-code\n")[0] == 2
    assert cli("owner", "passcode", stdin="open-sesame\nnew-code\n")[0] == 0
    code, out, _ = cli("config", "list", "--json")
    assert "owner.passcode" not in out and "open-sesame" not in out


def test_followup_due_lists_the_callbacks_due_now(cli):
    assert cli("config", "set", "phone.provider", "simulator")[0] == 0
    assert cli("sync", "--once")[0] == 0
    code, out, _ = cli("followup", "due", "--json")
    assert code == 0
    due = json.loads(out)
    assert due and {t["kind"] for t in due} == {"call"}
    first = due[0]
    assert set(first) >= {"task_id", "item_id", "phone", "kind", "due_at", "assignee", "state"}
    assert first["phone"].startswith("+") and first["due_at"][-6] in "+-"
    queue = {row["id"] for row in json.loads(cli("queue", "--json")[1])}
    assert {t["item_id"] for t in due} <= queue
    code, out, _ = cli("followup", "due", "--all", "--json")
    assert len(json.loads(out)) >= len(due)
    code, out, _ = cli("followup", "plan", "--json")
    assert json.loads(out)["max_attempts"] == 3


def test_optout_check_says_whether_a_number_may_be_texted(cli):
    code, out, _ = cli("optout", "check", "(773) 555-0142", "--json")
    assert code == 0 and json.loads(out) == {
        "allowed": True, "reason": "no opt-out on record for +17735550142"}
    code, _, err = cli("optout", "add", "+17735550142")
    assert code == 2 and "--reason" in err
    assert cli("optout", "add", "+17735550142", "--reason", "asked on the phone")[0] == 0
    verdict = json.loads(cli("optout", "check", "+17735550142", "--json")[1])
    assert verdict["allowed"] is False and "asked on the phone" in verdict["reason"]
    listed = json.loads(cli("optout", "list", "--json")[1])
    assert [r["phone"] for r in listed] == ["+17735550142"]
    code, _, err = cli("optout", "check", "12", "--json")
    assert code == 2 and "not a phone number" in err
    code, out, _ = cli("optout", "classify", "--text", "no más mensajes por favor", "--json")
    verdict = json.loads(out)
    assert code == 0 and verdict["opt_out"] is True and verdict["opt_in"] is False
