"""Write mails to the outbox and deliver them over SMTP with retries.

A mail is a row written in the same transaction as the change that causes it, so a change and its
mails are committed together or not at all. A deliverer claims due rows for a limited time
(`claimed_until`): two deliverers never claim the same row, and the claim of a killed deliverer
runs out so that another one delivers the mail. A mail whose sending was interrupted between the
SMTP server's acceptance and the database update can go out twice; it then carries the same
Message-ID, so mail clients show it once. A deliverer whose batch takes longer than half its claim
renews the claim before the next mail and skips the mails that are no longer its own.

A temporary failure (server down, 4xx) is retried with growing waits until the mail is
retried for MAIL_GIVE_UP_AFTER_HOURS; a permanent one (5xx, refused recipient, unencodable address)
fails at once and shows in the Postausgang with its reason.
"""

import re
import smtplib
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from flask import current_app
from flask_mail import Attachment, BadHeaderError, Message
from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import selectinload

from orders.extensions import db, mail
from orders.models import MailStatus, OutboxAttachment, OutboxMail, User
from orders.models.types import utcnow
from orders.services import audit

MAX_BACKOFF = timedelta(hours=1)

# Mails whose links carry a secret (a password can be set with them): once delivered, the
# stored copy loses its links, so that nobody reading the Postausgang can use them.
KINDS_WITH_SECRET_LINKS = frozenset({"invitation", "password_reset"})
LINK = re.compile(r"https?://[^\s\"'<>]+")
REMOVED_LINK = "[Link nach dem Versand entfernt]"


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


@dataclass
class Claim:
    """The mails one deliverer has claimed, and when it must renew its claim on them."""

    token: str
    mail_ids: set[int]
    renew_at: datetime


def deliver_due(now: datetime | None = None, batch_size: int | None = None) -> DeliveryReport:
    """Claim the mails that are due and send them over one SMTP connection."""
    now = now or utcnow()
    claim, claimed = _claim(now, batch_size or current_app.config["MAIL_BATCH_SIZE"])
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
            with _rows_kept_after_commit():
                for outbox_mail in claimed:
                    _renew_if_due(claim)
                    if outbox_mail.id in claim.mail_ids:
                        _send_one(connection, outbox_mail, now, report)
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


@contextmanager
def _rows_kept_after_commit():
    """Each mail's outcome is committed on its own; the claimed rows stay loaded across those
    commits instead of being read again, a query per mail (the claim makes them ours alone)."""
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def _claim_duration() -> timedelta:
    return timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])


def _claim(now: datetime, batch_size: int) -> tuple[Claim, list[OutboxMail]]:
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
    picked = due.cte("due")
    if db.engine.dialect.name == "postgresql":
        # The batch picked once: as a plain "IN (subquery)" PostgreSQL may run the subquery
        # again per row, skip the rows this very UPDATE has locked and claim more than a batch.
        picked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
    claim_until = now + _claim_duration()
    # One UPDATE statement: atomic on SQLite (one writer at a time) and, with SKIP LOCKED,
    # free of waits and double claims on PostgreSQL.
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(select(picked.c.id)))
        .values(claimed_until=claim_until, claim_token=claim_token),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    claimed = list(
        db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.claim_token == claim_token)
            .options(selectinload(OutboxMail.attachments))
            .order_by(OutboxMail.id)
        )
    )
    renew_at = utcnow() + _claim_duration() / 2
    return Claim(claim_token, {m.id for m in claimed}, renew_at), claimed


def _renew_if_due(claim: Claim) -> None:
    """Extend the claim on the mails still ours before it can run out under a slow batch.

    A mail another deliverer claimed meanwhile (its token replaced ours) is left to it.
    """
    now = utcnow()
    if now < claim.renew_at:
        return
    renewed = db.session.scalars(
        update(OutboxMail)
        .where(OutboxMail.claim_token == claim.token, OutboxMail.status == MailStatus.PENDING)
        .values(claimed_until=now + _claim_duration())
        .returning(OutboxMail.id),
        execution_options={"synchronize_session": False},
    )
    claim.mail_ids = set(renewed)
    db.session.commit()
    claim.renew_at = now + _claim_duration() / 2


def _send_one(connection, outbox_mail: OutboxMail, now: datetime, report: DeliveryReport) -> None:
    """Send one mail and record the outcome in a commit of its own."""
    try:
        connection.send(to_message(outbox_mail))
    except Exception as error:  # one bad mail, whatever is wrong with it, must not stop the batch
        _record_failure(outbox_mail, error, now, report)
    else:
        outbox_mail.status = MailStatus.SENT
        outbox_mail.sent_at = utcnow()
        outbox_mail.attempts += 1
        outbox_mail.claimed_until = None
        outbox_mail.last_error = None
        if outbox_mail.kind in KINDS_WITH_SECRET_LINKS:
            _remove_links(outbox_mail)
        report.sent += 1
    if db.engine.dialect.name == "postgresql":
        # No wait for the disk per mail: a database crash may forget the last «sent» marks,
        # and those mails go out again with the same Message-ID, as after a worker crash.
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


HIDDEN_LINK = "[Link nur für die Empfängerin oder den Empfänger]"


def readable_text(outbox_mail: OutboxMail) -> str:
    """The text the Postausgang shows. With a mail server, the links of a mail that sets a
    password are the recipient's alone, also while the mail waits or failed: whoever reads
    them could take over the account. Without one (the embedded default) the Postausgang is
    where such mails are read, links included."""
    if outbox_mail.kind in KINDS_WITH_SECRET_LINKS and smtp_configured():
        return LINK.sub(HIDDEN_LINK, outbox_mail.body_text)
    return outbox_mail.body_text


def _remove_links(outbox_mail: OutboxMail) -> None:
    outbox_mail.body_text = LINK.sub(REMOVED_LINK, outbox_mail.body_text)
    if outbox_mail.body_html:
        outbox_mail.body_html = LINK.sub(REMOVED_LINK, outbox_mail.body_html)


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
    """A failure that will not change by retrying: SMTP 5xx, a refused recipient, a bad header,
    or a mail that cannot be put on the wire at all (e.g. an address the server cannot take).
    Network errors and 4xx answers are temporary."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return not isinstance(error, OSError)  # smtplib's errors are OSErrors too


def _record_failure(
    outbox_mail: OutboxMail, error: Exception, now: datetime, report: DeliveryReport
) -> None:
    outbox_mail.attempts += 1
    outbox_mail.claimed_until = None
    outbox_mail.last_error = describe_error(error)
    give_up_after = timedelta(hours=current_app.config["MAIL_GIVE_UP_AFTER_HOURS"])
    if is_permanent(error) or retry_span(outbox_mail.attempts) >= give_up_after:
        outbox_mail.status = MailStatus.FAILED
        report.failed += 1
    else:
        outbox_mail.next_attempt_at = now + backoff(outbox_mail.attempts)
        report.retrying += 1


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the first, second, third ... failure, at most an hour."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def retry_span(attempts: int) -> timedelta:
    """How long a mail has been retried after this many failed attempts (counted from its first
    attempt, so that a resend by hand starts afresh)."""
    return sum((backoff(n) for n in range(1, attempts + 1)), timedelta())


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
    """Put a failed mail back in the queue, now (a pending one is retried anyway, a sent one
    must not go out twice)."""
    if outbox_mail.status is not MailStatus.FAILED:
        raise ValueError("only a failed mail can be sent again")
    _requeue(outbox_mail)
    audit.record("mail.resend", actor=actor, obj=outbox_mail, subject=outbox_mail.subject)
    db.session.commit()


def resend_all_failed(actor: User) -> int:
    """Put every failed mail back in the queue, e.g. after a wrong SMTP setting was fixed."""
    failed = list(
        db.session.scalars(select(OutboxMail).where(OutboxMail.status == MailStatus.FAILED))
    )
    for outbox_mail in failed:
        _requeue(outbox_mail)
    if failed:
        audit.record("mail.resend_all", actor=actor, count=len(failed))
    db.session.commit()
    return len(failed)


def _requeue(outbox_mail: OutboxMail) -> None:
    outbox_mail.status = MailStatus.PENDING
    outbox_mail.attempts = 0
    outbox_mail.next_attempt_at = utcnow()
    outbox_mail.claimed_until = None


def purge_sent(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete delivered mails older than the retention period: they hold personal data (orders,
    appointments of people who need an interpreter) that the portal keeps elsewhere anyway."""
    cutoff = (now or utcnow()) - older_than
    result = db.session.execute(
        delete(OutboxMail).where(OutboxMail.status == MailStatus.SENT, OutboxMail.sent_at < cutoff)
    )
    db.session.commit()
    return result.rowcount
