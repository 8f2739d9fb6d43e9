"""Where messages go: ``TOURPLAN_MAIL_URL``.

- ``smtp://host:port`` — plain SMTP (a relay on the local network);
- ``smtp+starttls://user:pass@host:587`` — submission with STARTTLS and login;
- ``smtps://user:pass@host:465`` — SMTP over TLS;
- unset — each message is written as an ``.eml`` file under ``instance/outbox/`` (the demo
  and a fresh install show what would have been sent, nothing leaves the machine).

User name and password are percent-decoded (``%40`` for an ``@`` in a user name).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 30


class TemporaryFailure(Exception):
    """Try again later (server down, busy, 4xx answer): nothing was delivered."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx answer): retrying would not help."""


class Transport(Protocol):
    def send(self, message: EmailMessage, recipient: str) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    mode: str  # "plain", "starttls" or "tls"
    username: str = ""
    password: str = ""
    sender: str = ""

    def send(self, message: EmailMessage, recipient: str) -> None:
        try:
            if self.mode == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
            with smtp:
                if self.mode == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                # The envelope names the one recipient: Bcc-like copies never leak.
                smtp.send_message(message, from_addr=self.sender or None, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            raise (PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure)(_describe(e)) from None
        except smtplib.SMTPResponseException as e:
            raise (PermanentFailure if e.smtp_code >= 500 else TemporaryFailure)(_describe(e)) from None
        except (smtplib.SMTPException, OSError) as e:
            raise TemporaryFailure(_describe(e)) from None


def _describe(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        return f"le serveur a répondu {e.smtp_code} {text}"
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "destinataire refusé : " + "; ".join(f"{code} {msg!r}" for code, msg in e.recipients.values())
    if isinstance(e, ConnectionRefusedError):
        return "serveur de courrier injoignable (connexion refusée)"
    return f"{type(e).__name__}: {e}"


@dataclass(frozen=True)
class FileTransport:
    """One ``<message id>.eml`` per message; written under a temporary name then renamed,
    so a half-written file never shows, and a retry rewrites the same file."""

    folder: Path

    def send(self, message: EmailMessage, recipient: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in message["Message-ID"].strip("<>"))
            target = self.folder / f"{name}.eml"
            tmp = target.with_suffix(".eml.tmp")
            tmp.write_bytes(message.as_bytes())
            tmp.replace(target)
        except OSError as e:
            raise TemporaryFailure(f"{self.folder}: {e}") from None


def transport_from_url(url: str | None, *, instance_path: str, sender: str = "") -> Transport:
    """The transport a ``TOURPLAN_MAIL_URL`` names; ValueError saying what is wrong."""
    if not url:
        return FileTransport(Path(instance_path) / "outbox")
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise ValueError(f"TOURPLAN_MAIL_URL: scheme {parts.scheme!r} unknown, expected one of "
                         + ", ".join(f"{s}://" for s in SCHEMES))
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise ValueError("TOURPLAN_MAIL_URL: the port is not a number") from None
    if not parts.hostname:
        raise ValueError("TOURPLAN_MAIL_URL: no host, e.g. smtp://localhost:25")
    mode = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[parts.scheme]
    return SmtpTransport(parts.hostname, port, mode, unquote(parts.username or ""), unquote(parts.password or ""),
                         sender)


def check_mail_url(url: str | None) -> None:
    """Raises ValueError for a bad ``TOURPLAN_MAIL_URL`` (checked at start-up)."""
    transport_from_url(url, instance_path=".")
