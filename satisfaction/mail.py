"""Sending an e-mail through the configured SMTP server (the names Flask-Mail users know:
``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS`` …). Alerts and password resets both send
through here."""

from __future__ import annotations

import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


class MailNotConfigured(RuntimeError):
    """No ``MAIL_SERVER``: nothing can be sent."""


def send_mail(recipient: str, subject: str, body: str, idstring: str | None = None,
              html: str | None = None) -> None:
    """Send a UTF-8 message, plain text (and HTML beside it when given); raises on any
    failure (the caller decides whether to retry)."""
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        raise MailNotConfigured("MAIL_SERVER is not configured")
    # No folding: a folded subject of Vietnamese words splits between two encoded words,
    # and readers then drop the space between them ("Chỉsố"). Well under 998 characters.
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["Subject"] = subject
    message["From"] = config.get("MAIL_DEFAULT_SENDER") or "khaosat@localhost"
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=idstring)
    message.set_content(body, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    if config.get("MAIL_USE_SSL"):
        client = smtplib.SMTP_SSL(server, port, timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(server, port, timeout=timeout)
    with client:
        if config.get("MAIL_USE_TLS"):
            client.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        client.send_message(message)
