"""One threaded loopback HTTP server per fake vendor per test process.

Stopping a pytest-httpserver costs about half a second, so the CRM fakes start their
server once and give each test a fresh fake (fresh handler and state) on it instead.
Threaded, so a hung answer (a simulated timeout) blocks no other request."""

from __future__ import annotations

import atexit

from pytest_httpserver import HTTPServer

_servers: dict[str, HTTPServer] = {}


def shared_server(vendor: str) -> HTTPServer:
    server = _servers.get(vendor)
    if server is None or not server.is_running():
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        atexit.register(server.stop)
        _servers[vendor] = server
    return server
