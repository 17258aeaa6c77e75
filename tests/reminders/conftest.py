"""Fixtures for the reminder tests: a real SMTP server, a local SMS gateway, signed-in clients.

No test sends mail unless it starts one of these servers and points the app at it.
"""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import g

from tests.conftest import PASSWORD
from tests.support.smtp import Inbox, Received, SmtpServer, free_port

# The SMTP collector lives in tests/support/smtp.py (the benchmarks use it too); these names
# stay importable from here.
__all__ = ["Inbox", "Received", "SmtpServer", "free_port"]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; ``.stop()`` / ``.start()`` take it down and back up."""
    server = SmtpServer("127.0.0.1", free_port(), Inbox())
    server.start()
    yield server
    server.stop()


@dataclass
class SmsGateway:
    url: str
    received: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    #: the status the next requests get (200, 500, …)
    status: int = 200


@pytest.fixture
def sms_gateway():
    """A local HTTP server speaking the documented SMS gateway JSON."""
    gateway = SmsGateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            gateway.headers.append(dict(self.headers))
            status = gateway.status
            if status == 200:
                gateway.received.append(body)
            payload = json.dumps({"id": f"gw-{len(gateway.received)}"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gateway
    server.shutdown()
    server.server_close()


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Staff:
    """A test client signed in through the real sign-in form; posts carry a page's CSRF token."""

    def __init__(self, client):
        self.client = client

    def token(self, page: str) -> str:
        # Requests share the test's app context, so Flask-WTF's per-request token cache in ``g``
        # would outlive the session that sign-in cleared: drop it so the page stores a fresh one.
        g.pop("csrf_token", None)
        response = self.client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        match = TOKEN.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post(self, url: str, data: dict | None = None, *, page: str, **kwargs):
        data = {"csrf_token": self.token(page), **(data or {})}
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def staff(client, coordinator) -> Staff:
    signed = Staff(client)
    response = signed.post(
        "/sign-in", {"email": coordinator.email, "password": PASSWORD}, page="/sign-in"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return signed
