"""Ways a reminder leaves the clinic: SMTP email, an HTTP SMS gateway, or the local outbox.

Each channel's ``send`` returns the provider's id or raises one of three errors, and the
dispatcher acts on which: :class:`Transient` (not accepted, try again later), :class:`Permanent`
(refused, trying again will not help) and :class:`OutcomeUnknown` (the provider may have taken
it: a person checks instead of a blind resend).

SMS gateway contract (adapt a provider with a small proxy if it differs)::

    POST SMS_GATEWAY_URL
    Authorization: Bearer SMS_GATEWAY_TOKEN
    Idempotency-Key: <reminder idempotency key>
    Content-Type: application/json

    {"to": "+6281234567890", "text": "…", "reference": "reminder-42",
     "idempotency_key": "j7:evening_before:a-:o0:sms#1"}

    2xx -> accepted; an optional JSON body {"id": "<provider message id>"}
    429 or 5xx -> try again later; other 4xx -> refused
"""

import binascii
import contextlib
import hashlib
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email import charset, policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from http.client import HTTPException


class SendError(Exception):
    pass


class Transient(SendError):
    """Not accepted; safe to try again."""


class Permanent(SendError):
    """Refused for good (bad address, rejected message)."""


class OutcomeUnknown(SendError):
    """The connection broke after the provider had the whole message."""


@dataclass
class Outgoing:
    reminder_id: int
    idempotency_key: str
    attempt: int
    recipient: str
    subject: str
    text: str
    html: str
    language: str = "en"


_SMTP_LINES = policy.compat32.clone(linesep="\r\n")  # CRLF line ends, as SMTP wants
_UTF8_QP = charset.Charset("utf-8")
_UTF8_QP.body_encoding = charset.QP


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _encoded_header(value: str) -> str:
    """A header value as it goes on the wire: RFC 2047 when not ASCII, folded when long."""
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8" if not value.isascii() else "us-ascii").encode(linesep="\r\n")


def _quoted_printable(text: str) -> bytes:
    """UTF-8 text as quoted-printable lines ending in CRLF (lines of at most 76 characters)."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return binascii.b2a_qp(data.encode(), istext=True)


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address or value


class OutboxChannel:
    """Keeps the message in the database only: the offline demo, and staff alerts by default."""

    name = "outbox"

    def send(self, out: Outgoing) -> str:
        return f"outbox-{out.reminder_id}"

    def close(self) -> None:
        pass


def _refused(what: str, code: int, response: bytes | str) -> SendError:
    text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
    message = f"SMTP server refused the {what}: {code} {text}".strip()
    return Permanent(message) if 500 <= code < 600 else Transient(message)


class SmtpChannel:
    """Sends over one SMTP connection, reused across a dispatcher's batch."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = 20.0,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout
        self.envelope_from = parseaddr(sender)[1] or sender
        self._from_header = _encoded_header(_address(sender))
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.port == 465:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.starttls and self.port != 465:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise Transient(f"Cannot reach SMTP server {self.host}:{self.port}: {exc}") from exc
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def message(self, out: Outgoing) -> Message:
        """Plain text and HTML alternatives, UTF-8 quoted-printable, CRLF line ends.

        Built with the compat32 MIME classes: several times faster than ``EmailMessage`` with
        the modern header policy, which matters when a dispatcher sends thousands.
        """
        msg = MIMEMultipart("alternative")
        msg.attach(MIMEText(out.text, "plain", _UTF8_QP))
        msg.attach(MIMEText(out.html, "html", _UTF8_QP))
        msg["Subject"] = _header(out.subject)
        msg["From"] = _address(self.sender)
        msg["To"] = _address(out.recipient)
        msg["Date"] = formatdate(usegmt=True)
        domain = self.envelope_from.rpartition("@")[2] or "tracker.invalid"
        digest = hashlib.sha256(out.idempotency_key.encode()).hexdigest()[:12]
        msg["Message-ID"] = f"<reminder-{out.reminder_id}.{out.attempt}.{digest}@{domain}>"
        msg["X-Tracker-Reminder"] = str(out.reminder_id)
        msg["Auto-Submitted"] = "auto-generated"
        msg["Content-Language"] = out.language
        return msg

    def encode(self, out: Outgoing) -> tuple[bytes, str]:
        """The same message as :meth:`message`, as bytes ready for DATA, and its Message-ID.

        Written out directly (quoted-printable by :func:`binascii.b2a_qp`, in C): the email
        package's generator cost more than everything else a dispatcher does per message.
        """
        domain = self.envelope_from.rpartition("@")[2] or "tracker.invalid"
        digest = hashlib.sha256(out.idempotency_key.encode()).hexdigest()[:12]
        message_id = f"<reminder-{out.reminder_id}.{out.attempt}.{digest}@{domain}>"
        boundary = f"===============tracker{out.reminder_id}x{out.attempt}x{digest}=="
        head = [
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "MIME-Version: 1.0",
            f"Subject: {_encoded_header(out.subject)}",
            f"From: {self._from_header}",
            f"To: {_encoded_header(_address(out.recipient))}",
            f"Date: {formatdate(usegmt=True)}",
            f"Message-ID: {message_id}",
            f"X-Tracker-Reminder: {out.reminder_id}",
            "Auto-Submitted: auto-generated",
            f"Content-Language: {out.language}",
        ]
        parts = []
        for subtype, body in (("plain", out.text), ("html", out.html)):
            parts.append(
                f"--{boundary}\r\n"
                f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
                "MIME-Version: 1.0\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
                + _quoted_printable(body)
                + b"\r\n"
            )
        data = (
            "\r\n".join(head).encode()
            + b"\r\n\r\n"
            + b"".join(parts)
            + f"--{boundary}--\r\n".encode()
        )
        return data, message_id

    def _envelope(self, smtp: smtplib.SMTP, recipient: str) -> None:
        code, response = smtp.mail(self.envelope_from)
        if code != 250:
            smtp.rset()
            raise _refused("sender", code, response)
        code, response = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise _refused(f"recipient {recipient}", code, response)

    def send(self, out: Outgoing) -> str:
        data, message_id = self.encode(out)
        for fresh in (False, True):
            reused = self._smtp is not None
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                self._envelope(self._smtp, out.recipient)
                break
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                # An idle connection the server closed: reconnect once before giving up.
                self._drop()
                if fresh or not reused:
                    raise Transient(f"SMTP connection lost before sending: {exc}") from exc
        try:
            self._smtp.data(data)
        except smtplib.SMTPDataError as exc:
            self._smtp.rset()
            raise _refused("message", exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise OutcomeUnknown(
                f"The SMTP connection broke while the server had the message ({exc}); "
                "it may have been delivered."
            ) from exc
        return message_id

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()


class SmsGatewayChannel:
    """POSTs one JSON message per SMS to the configured gateway (format: module docstring)."""

    name = "sms_gateway"

    def __init__(self, url: str, token: str = "", *, timeout: float = 15.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, out: Outgoing) -> str:
        body = json.dumps(
            {
                "to": out.recipient,
                "text": out.text,
                "reference": f"reminder-{out.reminder_id}",
                "idempotency_key": out.idempotency_key,
            }
        ).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": out.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            message = f"SMS gateway answered {exc.code}: {detail}".strip()
            if exc.code == 429 or exc.code >= 500:
                raise Transient(message) from exc
            raise Permanent(message) from exc
        except urllib.error.URLError as exc:
            # Raised while connecting or sending the request: the gateway never had it.
            raise Transient(f"Cannot reach the SMS gateway: {exc.reason}") from exc
        except (OSError, HTTPException) as exc:
            # The request went out, the answer did not come back.
            raise OutcomeUnknown(
                f"No answer from the SMS gateway after sending ({exc!r}); it may have been sent."
            ) from exc
        try:
            provider_id = json.loads(raw or b"{}").get("id")
        except (ValueError, AttributeError):
            provider_id = None
        return str(provider_id or f"sms-{out.reminder_id}")

    def close(self) -> None:
        pass


def channels_from_config(config) -> dict[str, object]:
    """The transport for each channel: the configured provider, else the local outbox."""
    outbox = OutboxChannel()
    email = outbox
    if config.get("SMTP_HOST"):
        email = SmtpChannel(
            config["SMTP_HOST"],
            int(config.get("SMTP_PORT", 587)),
            sender=config["MAIL_FROM"],
            username=config.get("SMTP_USERNAME", ""),
            password=config.get("SMTP_PASSWORD", ""),
            starttls=bool(config.get("SMTP_STARTTLS", True)),
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS", 20)),
        )
    sms = outbox
    if config.get("SMS_GATEWAY_URL"):
        sms = SmsGatewayChannel(
            config["SMS_GATEWAY_URL"],
            config.get("SMS_GATEWAY_TOKEN", ""),
            timeout=float(config.get("SMS_TIMEOUT_SECONDS", 15)),
        )
    return {"email": email, "sms": sms, "outbox": outbox}
