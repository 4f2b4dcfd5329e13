"""Pure domain: dataclasses and rules. Imports nothing outside the standard library, the
text libraries phonenumbers, usaddress and rapidfuzz, and desktop.domain itself (no Qt,
no SQLAlchemy, no requests)."""
