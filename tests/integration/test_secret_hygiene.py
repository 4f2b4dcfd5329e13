"""A key pasted with a stray line break or space never leaks into a message or a log."""

from __future__ import annotations

import logging

import keyring

from desktop.adapters.secrets import SERVICE, RedactingFormatter, SecretStore


def test_secret_set_strips_whitespace_and_refuses_control_characters(cli):
    assert cli("secret", "set", "phone.openphone.api_key", stdin="  op-key-1234  \n")[0] == 0
    assert keyring.get_password(SERVICE, "phone.openphone.api_key") == "op-key-1234"
    code, out, err = cli("secret", "set", "phone.openphone.api_key", stdin="op\x07key-1234\n")
    assert code == 2 and "control characters" in err and "op\x07key" not in out + err


def test_the_log_blanks_out_every_secret_the_process_has_seen():
    keyring.set_password(SERVICE, "phone.callrail.api_key", "crk-super-secret-value")
    SecretStore().get("phone.callrail.api_key")
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError("Invalid header value b'Token token=\"crk-super-secret-value\\n\"'")
    except ValueError:
        record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1,
                                                   "sync crashed", (), __import__("sys").exc_info())
    text = formatter.format(record)
    assert "crk-super-secret-value" not in text and "•••" in text and "ValueError" in text
