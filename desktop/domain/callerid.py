"""Caller-ID (CNAM) names arrive as 'GONZALEZ MARIA', cut to 15 characters, or as a
stand-in ("WIRELESS CALLER"). People want 'Maria Gonzalez', or nothing."""

from __future__ import annotations

STAND_INS = {"WIRELESS CALLER", "UNKNOWN", "UNKNOWN CALLER", "PRIVATE", "ANONYMOUS",
                "UNAVAILABLE", "RESTRICTED", "TOLL FREE CALL"}


def friendly_name(caller_id: str | None) -> str | None:
    """'GONZALEZ MARIA' -> 'Maria Gonzalez'; a stand-in -> None; mixed case kept as is."""
    if not caller_id or not caller_id.strip():
        return None
    text = " ".join(caller_id.split())
    if text.upper() in STAND_INS:
        return None
    if not text.isupper():
        return text  # someone typed it (a CRM contact): leave it alone
    parts = text.replace(",", " ").split()
    if len(parts) == 2:  # CNAM puts the last name first
        parts = [parts[1], parts[0]]
    return " ".join(part.capitalize() for part in parts)
