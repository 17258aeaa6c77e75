"""A real SMTP server on loopback that collects what it accepts: for the tests and the benchmarks.

Tests start one in a thread (the ``smtp_server`` fixture of ``tests/reminders/conftest.py``)
and read the parsed messages; a benchmark runs one in a process of its own
(:func:`serve_in_process`) and only counts, so that the server is not what it measures.
"""

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def reminder_id(self) -> int:
        return int(self.message["X-Tracker-Reminder"])

    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class Inbox:
    """aiosmtpd handler that keeps every message it accepted (or, with ``keep=False``, counts)."""

    def __init__(self, keep: bool = True, counter=None) -> None:
        self.keep = keep
        self.messages: list[Received] = []
        self.count = 0
        #: a ``multiprocessing.Value("i")`` to count into, for a server in another process
        self.counter = counter
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = None
        if self.keep:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.count += 1
            if message is not None:
                self.messages.append(Received(list(envelope.rcpt_tos), message))
        if self.counter is not None:
            with self.counter.get_lock():
                self.counter.value += 1
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.inbox.messages

    def config(self) -> dict:
        """The app settings that send to this server."""
        return {"SMTP_HOST": self.host, "SMTP_PORT": self.port, "SMTP_STARTTLS": False}

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def serve_in_process(port: int, counter, ready) -> None:
    """Run a counting server until the process is ended (``multiprocessing`` target)."""
    server = SmtpServer("127.0.0.1", port, Inbox(keep=False, counter=counter))
    server.start()
    ready.set()
    while True:
        time.sleep(3600)
