"""A real SMTP server (aiosmtpd) on a loopback port, for the tests that send e-mail."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Inbox:
    """A real SMTP server on a loopback port that can be stopped and started again."""

    def __init__(self, port: int):
        self.messages = []
        self.port = port
        self.controller = None

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_server(app):
    """Generator for a fixture: the app sends its e-mail to a fresh server."""
    handler = Inbox(free_port())
    handler.start()
    old = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=handler.port,
                      BASE_URL="https://khaosat.q1.example.vn")
    yield handler
    handler.stop()
    app.config.update(old, BASE_URL="")
