"""Send milestone digests by e-mail over SMTP.

Built on the standard library's ``email`` and ``smtplib`` rather than
Flask-Mail so that the CLI (``tender reminders send``) can send without an
application context; settings use the Flask-Mail variable names so one
environment configures both. Templates are rendered with a standalone Jinja2
environment for the same reason.

Every message goes out as ``multipart/alternative`` with a plain-text part
first and an HTML part second: mail clients show the last part they can
render, and people reading plain text (or using screen readers with HTML off)
get the same content.

Delivery is reported per message (:class:`SendReport`) so that one refused
address does not stop or hide the others; each failure is a
:class:`MailDeliveryError` naming the recipient and the cause, which the
caller can raise (:meth:`SendReport.raise_for_failures`) or log.
"""
from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, parseaddr
from functools import lru_cache
from pathlib import Path

import jinja2

from tender.domain.periods import format_uk_date
from tender.domain.reminders import Digest
from tender.resources import data_dir
from tender.services import clock

__all__ = [
    "MailConfigError",
    "MailDeliveryError",
    "MailSettings",
    "SendResult",
    "SendReport",
    "templates_dir",
    "build_digest_message",
    "send_messages",
    "Mailer",
    "send_message",
    "long_date",
]

class MailConfigError(ValueError):
    """The mail settings in the environment cannot be used.

    The message names the environment variable to fix.
    """

    def __init__(self, variable: str, message: str):
        self.variable = variable
        super().__init__(f"{variable}: {message}")


class MailDeliveryError(Exception):
    """A message could not be delivered to ``recipient``.

    ``str()`` reads "Could not send e-mail to RECIPIENT: CAUSE". ``smtp_code``
    is the server's reply code when the server refused (e.g. 550), ``None``
    when it could not be reached at all.
    """

    def __init__(self, recipient: str, cause: str, smtp_code: int | None = None):
        self.recipient = recipient
        self.cause = cause
        self.smtp_code = smtp_code
        super().__init__(f"Could not send e-mail to {recipient}: {cause}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise MailConfigError(name, f"{raw!r} is not true or false (use 1/0, true/false, yes/no)")


@dataclass(frozen=True)
class MailSettings:
    """SMTP settings, read from the environment with Flask-Mail's names.

    ``timeout`` (seconds, ``MAIL_TIMEOUT``, not a Flask-Mail setting) bounds
    every network operation so that a hung server cannot hang the nightly job.
    The password is left out of ``repr`` so it never reaches a log.
    """

    server: str = "localhost"
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    default_sender: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "MailSettings":
        server = environ.get("MAIL_SERVER", "localhost").strip()
        if not server:
            raise MailConfigError("MAIL_SERVER", "is empty")

        use_tls = _env_bool(environ, "MAIL_USE_TLS", False)
        use_ssl = _env_bool(environ, "MAIL_USE_SSL", False)
        if use_tls and use_ssl:
            raise MailConfigError(
                "MAIL_USE_TLS",
                "MAIL_USE_TLS and MAIL_USE_SSL are both set; use MAIL_USE_SSL for "
                "implicit TLS (usually port 465) or MAIL_USE_TLS for STARTTLS "
                "(usually port 587), not both",
            )

        raw_port = environ.get("MAIL_PORT")
        if raw_port is None or not raw_port.strip():
            port = 465 if use_ssl else 25
        else:
            try:
                port = int(raw_port.strip())
            except ValueError:
                raise MailConfigError("MAIL_PORT", f"{raw_port!r} is not a whole number") from None
            if not 1 <= port <= 65535:
                raise MailConfigError("MAIL_PORT", f"{port} is not between 1 and 65535")

        raw_timeout = environ.get("MAIL_TIMEOUT")
        timeout = 30.0
        if raw_timeout is not None and raw_timeout.strip():
            try:
                timeout = float(raw_timeout)
            except ValueError:
                raise MailConfigError("MAIL_TIMEOUT", f"{raw_timeout!r} is not a number of seconds") from None
            if not timeout > 0:
                raise MailConfigError("MAIL_TIMEOUT", "must be more than 0 seconds")

        username = environ.get("MAIL_USERNAME") or None
        password = environ.get("MAIL_PASSWORD") or None
        if password and not username:
            raise MailConfigError("MAIL_USERNAME", "MAIL_PASSWORD is set but MAIL_USERNAME is not")

        sender = (environ.get("MAIL_DEFAULT_SENDER") or "").strip() or None
        if sender is not None:
            _, address = parseaddr(sender)
            if "@" not in address:
                raise MailConfigError(
                    "MAIL_DEFAULT_SENDER",
                    f"{sender!r} is not an e-mail address (e.g. 'Tender <tender@example.gov.uk>')",
                )

        return cls(
            server=server,
            port=port,
            use_tls=use_tls,
            use_ssl=use_ssl,
            username=username,
            password=password,
            default_sender=sender,
            timeout=timeout,
        )


    @classmethod
    def from_config(cls, config: Mapping) -> "MailSettings":
        """The settings from the app's configuration (``tender.config`` reads ``MAIL_*`` from the environment).

        Values may be typed (``MAIL_PORT=587``, ``MAIL_USE_TLS=True``) when a
        test or an embedding application sets them directly.
        """
        names = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_DEFAULT_SENDER", "MAIL_TIMEOUT")
        return cls.from_env({name: str(config[name]) for name in names if config.get(name) is not None})


# --------------------------------------------------------------------------
# Rendering


def templates_dir() -> Path:
    """Where the templates live: ``tender/templates`` in a wheel, ``templates/`` in a checkout."""
    return data_dir("templates")


def long_date(value: date) -> str:
    """'4 April 2022': the GOV.UK style, and independent of the process locale."""
    return format_uk_date(value)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # select_autoescape() escapes .html and leaves .txt alone, which is right:
    # a procurement titled "Roads & bridges" must stay readable in plain text.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["long_date"] = long_date
    return env


def _subject(digest: Digest) -> str:
    parts = []
    if overdue := digest.count("overdue"):
        parts.append(f"{overdue} overdue")
    if due_soon := digest.count("due_soon"):
        parts.append(f"{due_soon} due soon")
    if escalations := digest.count("escalation"):
        parts.append(f"{escalations} overdue on procurements you lead")
    total = len(digest.items)
    noun = "milestone" if total == 1 else "milestones"
    return f"Procurement {noun}: {', '.join(parts)}"


def build_digest_message(digest: Digest, settings: MailSettings, base_url: str) -> EmailMessage:
    """Render one digest as a ready-to-send ``multipart/alternative`` message.

    ``base_url`` is the public address of the app (e.g.
    ``https://tender.kent.gov.uk``); each procurement links to
    ``{base_url}/procurements/{procurement_id}``.
    """
    if not settings.default_sender:
        raise MailConfigError("MAIL_DEFAULT_SENDER", "is not set, so e-mails would have no sender")
    if not digest.items:
        raise ValueError(f"digest for {digest.recipient_email} has no items; nothing to send")

    base = base_url.rstrip("/")
    groups = [
        {
            "procurement_id": g.procurement_id,
            "procurement_ref": g.procurement_ref,
            "procurement_title": g.procurement_title,
            "reminders": g.items,
            "link": f"{base}/procurements/{g.procurement_id}",
        }
        for g in digest.by_procurement()
    ]
    subject = _subject(digest)
    context = {
        "digest": digest,
        "groups": groups,
        "subject": subject,
        "base_url": base,
        "overdue": digest.count("overdue"),
        "due_soon": digest.count("due_soon"),
        "escalations": digest.count("escalation"),
    }
    env = _environment()
    text = env.get_template("email/milestone_digest.txt").render(context)
    html = env.get_template("email/milestone_digest.html").render(context)

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.default_sender
    message["To"] = formataddr((digest.recipient_name, digest.recipient_email))
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    sender_domain = parseaddr(settings.default_sender)[1].rpartition("@")[2] or "tender.invalid"
    # The same digest gets the same Message-ID, so a copy re-sent after a crash folds into the first.
    digest_id = hashlib.sha256("\n".join(sorted(digest.keys)).encode()).hexdigest()[:24]
    message["Message-ID"] = f"<tender-reminder-{digest_id}@{sender_domain}>"
    # RFC 3834: tells out-of-office responders and ticketing systems not to
    # reply to an automatic message.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


# --------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class SendResult:
    """What happened to one message. ``error`` is None when it was accepted."""

    message: EmailMessage = field(repr=False)
    recipient: str
    error: MailDeliveryError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SendReport:
    """Per-message outcome of :func:`send_messages`, in the order given."""

    results: tuple[SendResult, ...]

    @property
    def sent(self) -> tuple[SendResult, ...]:
        return tuple(r for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[SendResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def all_sent(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise the first failure's :class:`MailDeliveryError`, if any.

        The others are still in :attr:`failed`; raising only the first keeps
        the exception type simple for callers that just want to stop.
        """
        for result in self.results:
            if result.error is not None:
                raise result.error


def _recipients(message: EmailMessage) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [addr for _, addr in getaddresses(fields) if addr]


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}".strip()


def _describe_connection_error(exc: BaseException, settings: MailSettings) -> tuple[str, int | None]:
    where = f"{settings.server}:{settings.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"the mail server {where} rejected the username or password "
            f"({_reply_text(exc.smtp_code, exc.smtp_error)})",
            exc.smtp_code,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the mail server {where} does not support {exc}", None
    if isinstance(exc, smtplib.SMTPResponseException):
        return (
            f"the mail server {where} refused the connection "
            f"({_reply_text(exc.smtp_code, exc.smtp_error)})",
            exc.smtp_code,
        )
    if isinstance(exc, TimeoutError):
        return f"the mail server {where} did not answer within {settings.timeout:g} seconds", None
    if isinstance(exc, ssl.SSLError):
        return f"could not set up a secure connection to the mail server {where} ({exc})", None
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"could not connect to the mail server {where} ({reason})", None


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.use_ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.server,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


class Mailer:
    """One SMTP connection used message by message: each :meth:`send` says at once whether it went.

    Callers that must record each message before sending the next (so a crash
    loses at most the one in flight) send through this; it connects on the
    first message, reconnects after a lost connection, and never raises for
    delivery. Use it as a context manager so the connection is closed.
    """

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, msg: EmailMessage) -> SendResult:
        """Send one message; the result says whether the server accepted it, and why not."""
        settings = self.settings
        rcpts = _recipients(msg)
        recipient = ", ".join(rcpts) or "(no recipient)"
        if not rcpts:
            return SendResult(msg, recipient, MailDeliveryError(recipient, "the message has no To address"))
        if self._smtp is None:
            try:
                self._smtp = _connect(settings)
            except (OSError, smtplib.SMTPException) as exc:
                cause, code = _describe_connection_error(exc, settings)
                return SendResult(msg, recipient, MailDeliveryError(recipient, cause, code))
        try:
            refused = self._smtp.send_message(msg, from_addr=_envelope_sender(msg, settings), to_addrs=rcpts)
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(msg, recipient, _refused_error(exc.recipients))
        except smtplib.SMTPSenderRefused as exc:
            return SendResult(msg, recipient, MailDeliveryError(
                recipient, f"the mail server refused the sender {exc.sender!r} "
                f"({_reply_text(exc.smtp_code, exc.smtp_error)})", exc.smtp_code))
        except smtplib.SMTPDataError as exc:
            return SendResult(msg, recipient, MailDeliveryError(
                recipient, f"the mail server refused the message ({_reply_text(exc.smtp_code, exc.smtp_error)})",
                exc.smtp_code))
        except (OSError, smtplib.SMTPException) as exc:
            # Connection lost: this message fails; the next one reconnects.
            if isinstance(exc, smtplib.SMTPServerDisconnected):
                cause, code = (f"the mail server {settings.server}:{settings.port} closed the "
                               "connection before this message was sent", None)
            else:
                cause, code = _describe_connection_error(exc, settings)
                cause = f"{cause}; the connection was lost while sending"
            self._smtp.close()
            self._smtp = None
            return SendResult(msg, recipient, MailDeliveryError(recipient, cause, code))
        if refused:
            return SendResult(msg, recipient, _refused_error(refused))
        return SendResult(msg, recipient)


def send_messages(messages: Iterable[EmailMessage], settings: MailSettings) -> SendReport:
    """Send ``messages`` over one SMTP connection; never raises for delivery.

    One connection for the batch because many relays rate-limit connections.
    Each message's outcome is recorded separately: a recipient the server
    refuses fails only that message. If the server cannot be reached (or the
    connection drops), every message not yet accepted fails with the cause.
    """
    messages = list(messages)
    results: list[SendResult] = []
    with Mailer(settings) as mailer:
        for index, msg in enumerate(messages):
            result = mailer.send(msg)
            results.append(result)
            if mailer._smtp is None and not result.ok and _recipients(msg):
                for rest in messages[index + 1:]:  # the server is gone: the rest fail with the same cause
                    recipient = ", ".join(_recipients(rest)) or "(no recipient)"
                    results.append(SendResult(rest, recipient, MailDeliveryError(
                        recipient, result.error.cause, result.error.smtp_code)))
                break
    return SendReport(tuple(results))


def send_message(message: EmailMessage, settings: MailSettings) -> None:
    """Send one message, raising :class:`MailDeliveryError` if it is not accepted."""
    send_messages([message], settings).raise_for_failures()


def _envelope_sender(message: EmailMessage, settings: MailSettings) -> str:
    return parseaddr(str(message.get("From") or settings.default_sender or ""))[1]


def _refused_error(refused: Mapping[str, tuple[int, bytes]]) -> MailDeliveryError:
    addresses = ", ".join(sorted(refused))
    replies = "; ".join(_reply_text(code, reply) for _, (code, reply) in sorted(refused.items()))
    first_code = next(iter(sorted(refused.items())))[1][0] if refused else None
    return MailDeliveryError(addresses, f"the mail server refused the recipient ({replies})", first_code)

