"""Write mails to the outbox and deliver them over SMTP with retries.

A mail is a row written in the same transaction as the change that causes it, so a change and its
mails are committed together or not at all. A deliverer claims due rows for a limited time
(`claimed_until`): two deliverers never claim the same row, and the claim of a killed deliverer
runs out so that another one delivers the mail. A mail whose sending was interrupted between the
SMTP server's acceptance and the database update can go out twice; it then carries the same
Message-ID, so mail clients show it once.
"""

import smtplib
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from flask import current_app
from flask_mail import Attachment, BadHeaderError, Message
from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import selectinload

from orders.extensions import db, mail
from orders.models import MailStatus, OutboxAttachment, OutboxMail, User
from orders.models.types import utcnow
from orders.services import audit

MAX_BACKOFF = timedelta(hours=6)


def single_line(text: str) -> str:
    """Collapse all whitespace, line breaks included, so that text can go into a header."""
    return " ".join(text.split())


def enqueue(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str | None = None,
    reply_to: str | None = None,
    kind: str = "",
    attachments: list[tuple[str, str, bytes]] = (),
    extra_headers: dict[str, str] | None = None,
) -> OutboxMail:
    """Add a mail to the current transaction; the caller commits it with its change.

    attachments are (filename, content type, data) triples.
    """
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    outbox_mail = OutboxMail(
        message_id=make_msgid(domain=domain),
        sender=sender,
        recipients=[single_line(address) for address in to],
        reply_to=single_line(reply_to) if reply_to else None,
        subject=single_line(subject)[:255],
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        extra_headers={name: single_line(value) for name, value in (extra_headers or {}).items()}
        or None,
        status=MailStatus.PENDING,
        next_attempt_at=utcnow(),
        attachments=[
            OutboxAttachment(filename=single_line(name), content_type=content_type, data=data)
            for name, content_type, data in attachments
        ],
    )
    db.session.add(outbox_mail)
    return outbox_mail


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver_due(now: datetime | None = None, batch_size: int | None = None) -> DeliveryReport:
    """Claim the mails that are due and send them over one SMTP connection."""
    now = now or utcnow()
    claimed = _claim(now, batch_size or current_app.config["MAIL_BATCH_SIZE"])
    report = DeliveryReport()
    if not claimed:
        return report
    with socket_timeout(current_app.config["MAIL_TIMEOUT"]):
        try:
            connection = mail.connect().__enter__()
        except (OSError, smtplib.SMTPException) as error:
            for outbox_mail in claimed:
                _record_failure(outbox_mail, error, now, report)
            db.session.commit()
            return report
        try:
            # Built before sending: after each commit the loaded rows are expired, and reading
            # them again would cost a query per mail.
            messages = [(m.id, m, to_message(m)) for m in claimed]
            for mail_id, outbox_mail, message in messages:
                _send_one(connection, mail_id, outbox_mail, message, now, report)
        finally:
            try:
                connection.__exit__(None, None, None)
            except (OSError, smtplib.SMTPException):
                pass
    return report


@contextmanager
def socket_timeout(seconds: float):
    """Flask-Mail opens its SMTP connection without a timeout, so smtplib would wait forever on
    a server that accepts and never answers; sockets opened here get one."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _claim(now: datetime, batch_size: int) -> list[OutboxMail]:
    claim_token = uuid.uuid4().hex
    due = (
        select(OutboxMail.id)
        .where(
            OutboxMail.status == MailStatus.PENDING,
            OutboxMail.next_attempt_at <= now,
            or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
        )
        .order_by(OutboxMail.id)
        .limit(batch_size)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claim_until = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    # One UPDATE statement: atomic on SQLite (one writer at a time) and, with SKIP LOCKED,
    # free of waits and double claims on PostgreSQL.
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(due.scalar_subquery()))
        .values(claimed_until=claim_until, claim_token=claim_token),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.claim_token == claim_token)
            .options(selectinload(OutboxMail.attachments))
            .order_by(OutboxMail.id)
        )
    )


def _send_one(
    connection,
    mail_id: int,
    outbox_mail: OutboxMail,
    message: Message,
    now: datetime,
    report: DeliveryReport,
) -> None:
    """Send one mail and record the outcome in a commit of its own."""
    try:
        connection.send(message)
    except (OSError, smtplib.SMTPException, BadHeaderError) as error:
        _record_failure(outbox_mail, error, now, report)
    else:
        db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id)
            .values(
                status=MailStatus.SENT,
                sent_at=utcnow(),
                attempts=OutboxMail.attempts + 1,
                claimed_until=None,
                last_error=None,
            ),
            execution_options={"synchronize_session": False},
        )
        report.sent += 1
    if db.engine.dialect.name == "postgresql":
        # No wait for the disk per mail: a database crash may forget the last «sent» marks,
        # and those mails go out again with the same Message-ID, as after a worker crash.
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def to_message(outbox_mail: OutboxMail) -> Message:
    message = Message(
        subject=outbox_mail.subject,
        recipients=list(outbox_mail.recipients),
        body=outbox_mail.body_text,
        html=outbox_mail.body_html,
        sender=outbox_mail.sender,
        reply_to=outbox_mail.reply_to,
        extra_headers=dict(outbox_mail.extra_headers or {}),
        attachments=[
            Attachment(filename=a.filename, content_type=a.content_type, data=a.data)
            for a in outbox_mail.attachments
        ],
    )
    message.msgId = outbox_mail.message_id
    return message


def is_permanent(error: Exception) -> bool:
    """A refusal that will not change by retrying (SMTP 5xx, a refused recipient, a bad header)."""
    if isinstance(error, BadHeaderError | smtplib.SMTPRecipientsRefused):
        return True
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def _record_failure(
    outbox_mail: OutboxMail, error: Exception, now: datetime, report: DeliveryReport
) -> None:
    outbox_mail.attempts += 1
    outbox_mail.claimed_until = None
    outbox_mail.last_error = describe_error(error)
    if is_permanent(error) or outbox_mail.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        outbox_mail.status = MailStatus.FAILED
        report.failed += 1
    else:
        outbox_mail.next_attempt_at = now + backoff(outbox_mail.attempts)
        report.retrying += 1


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the first, second, third ... failure, at most 6 hours."""
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def describe_error(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address}: {code} {_text(reason)}"
            for address, (code, reason) in error.recipients.items()
        )
        return f"Empfänger abgewiesen ({refused})"
    if isinstance(error, BadHeaderError):
        return "Ungültige Kopfzeile (Zeilenumbruch in Betreff oder Adresse)"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def resend(outbox_mail: OutboxMail, actor: User) -> None:
    """Put a failed (or not yet delivered) mail back in the queue, now."""
    outbox_mail.status = MailStatus.PENDING
    outbox_mail.attempts = 0
    outbox_mail.next_attempt_at = utcnow()
    outbox_mail.claimed_until = None
    audit.record("mail.resend", actor=actor, obj=outbox_mail, subject=outbox_mail.subject)
    db.session.commit()
