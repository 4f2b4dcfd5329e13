"""Pure domain: dataclasses and rules. Imports nothing outside the standard library,
phonenumbers and desktop.domain itself (no Qt, no SQLAlchemy, no requests)."""
