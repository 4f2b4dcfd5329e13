"""`config export` / `config import` (a second PC in a minute, never a secret) and
`secret forget-all` (the uninstaller's "also delete my data")."""

from __future__ import annotations

import json

from fakes import OWNER_PASSCODE


def test_settings_move_to_a_second_pc_without_secrets(cli, tmp_path, memory_keyring):
    assert cli("config", "set", "business.name", "Northside HVAC")[0] == 0
    assert cli("config", "set", "queue.callback_target_minutes", "8")[0] == 0
    assert cli("secret", "set", "phone.twilio.auth_token", stdin="tw-token-98765\n")[0] == 0
    export = tmp_path / "settings.json"
    code, _, err = cli("config", "export", str(export))
    assert code == 0 and "2 setting(s) written" in err and "no secrets" in err
    document = json.loads(export.read_text(encoding="utf-8"))
    assert document["settings"] == {"business.name": "Northside HVAC",
                                    "queue.callback_target_minutes": 8}
    assert "tw-token-98765" not in export.read_text(encoding="utf-8")

    second = tmp_path / "second-pc"
    code, _, err = cli("config", "import", str(export), folder=second)
    assert code == 0 and "2 setting(s) imported" in err
    code, out, _ = cli("config", "get", "business.name", folder=second)
    assert out.strip() == "Northside HVAC"


def test_an_import_with_owner_settings_needs_the_passcode(cli, tmp_path):
    assert cli("owner", "passcode", stdin=f"{OWNER_PASSCODE}\n")[0] == 0
    export = tmp_path / "owner.json"
    export.write_text(json.dumps({"format": "frontdesk-settings", "version": 1, "settings": {
        "textback.enabled": True}}), encoding="utf-8")
    code, _, err = cli("config", "import", str(export), stdin="wrong\n")
    assert code == 2 and "owner passcode is missing or wrong" in err
    code, _, err = cli("config", "import", str(export), stdin=f"{OWNER_PASSCODE}\n")
    assert code == 0, err
    assert cli("config", "get", "textback.enabled")[1].strip() == "true"


def test_a_bad_import_file_is_named_and_nothing_changes(cli, tmp_path):
    missing = tmp_path / "nope.json"
    code, _, err = cli("config", "import", str(missing))
    assert code == 2 and f"there is no file {missing}" in err
    junk = tmp_path / "junk.json"
    junk.write_text("{", encoding="utf-8")
    code, _, err = cli("config", "import", str(junk))
    assert code == 2 and "is not a settings export" in err
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format": "frontdesk-settings", "settings": {
        "business.name": "Changed", "phone.poll_seconds": 0}}), encoding="utf-8")
    code, _, err = cli("config", "import", str(wrong))
    assert code == 2 and "nothing was imported" in err and "phone.poll_seconds" in err
    assert cli("config", "get", "business.name")[1].strip() == "My Shop"
    code, _, err = cli("config", "export", str(tmp_path / "no-such-folder" / "x.json"))
    assert code == 2 and "cannot write" in err


def test_forget_all_removes_every_front_desk_secret(cli, memory_keyring):
    cli("secret", "set", "crm.hubspot.token", stdin="pat-1\n")
    cli("secret", "set", "phone.callrail.api_key", stdin="crk-1\n")
    memory_keyring.set_password("SomeOtherApp", "token", "keep-me")
    code, _, err = cli("secret", "forget-all")
    assert code == 0 and "2 secret(s) removed" in err
    assert memory_keyring.passwords == {("SomeOtherApp", "token"): "keep-me"}
