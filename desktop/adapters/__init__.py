"""Adapters: the outside world (database, phone providers, CRMs, keyring, notifications)
behind the small ports the services use."""
