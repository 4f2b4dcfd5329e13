"""Use cases. Each opens a unit of work, applies domain rules, talks to ports, commits once."""
