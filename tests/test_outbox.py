"""The mail outbox delivers over a real SMTP server on localhost, loses nothing when the server
is down, never sends twice, and shows what finally failed in the Postausgang."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import MailStatus, OutboxMail
from orders.models.types import utcnow
from orders.services import accounts, outbox
from tests.conftest import log_in, make_user, post_form, text_body


def queue_mails(count: int, prefix: str = "Nachricht") -> list[OutboxMail]:
    mails = [
        outbox.enqueue(
            to=[f"person{i}@gemeinde.ch"], subject=f"{prefix} {i}", body_text=f"Inhalt {i}"
        )
        for i in range(count)
    ]
    db.session.commit()
    return mails


def count(status: MailStatus) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.status == status)
    )


def test_a_queued_mail_arrives_with_its_headers(mail_app, smtp_server):
    outbox.enqueue(
        to=["ib@olten.ch"],
        subject="Betreff mit Ümlaut",
        body_text="Grüezi\nZeile 2",
        body_html="<p>Grüezi</p>",
        reply_to="clerk@olten.ch",
        attachments=[("bestellung.csv", "text/csv", b"Menge;Sprache\n3;de\n")],
    )
    db.session.commit()
    report = outbox.deliver_due()
    assert report.sent == 1
    [message] = smtp_server.messages
    assert message["Subject"] == "Betreff mit Ümlaut"
    assert message["Reply-To"] == "clerk@olten.ch"
    assert message["To"] == "ib@olten.ch"
    stored = db.session.scalar(select(OutboxMail))
    assert message["Message-ID"] == stored.message_id
    assert "Grüezi" in text_body(message)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "bestellung.csv"
    assert stored.status is MailStatus.SENT and stored.sent_at is not None


def test_nothing_is_sent_twice(mail_app, smtp_server):
    queue_mails(3)
    assert outbox.deliver_due().sent == 3
    assert outbox.deliver_due().handled == 0
    assert len(smtp_server.messages) == 3


def test_server_down_keeps_the_mail_and_delivers_it_once_when_back(mail_app, smtp_server):
    """A mail server that is down is handled: the mail waits and goes out once when it is back
    (OWASP ASVS 4.0.3 V7.4.2)."""
    smtp_server.stop()
    queue_mails(2)
    report = outbox.deliver_due()
    assert report.retrying == 2 and report.sent == 0
    mail = db.session.scalar(select(OutboxMail).order_by(OutboxMail.id))
    assert mail.status is MailStatus.PENDING
    assert mail.attempts == 1
    assert "ConnectionRefusedError" in mail.last_error
    assert mail.next_attempt_at > utcnow()

    smtp_server.start()
    # Not due yet: the back-off is respected.
    assert outbox.deliver_due().handled == 0
    later = utcnow() + timedelta(minutes=2)
    assert outbox.deliver_due(now=later).sent == 2
    assert outbox.deliver_due(now=later + timedelta(hours=1)).handled == 0
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Nachricht 0", "Nachricht 1"]


def test_back_off_grows():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox.backoff(30) == timedelta(hours=1)


def test_refused_recipient_fails_permanently_and_shows_in_postausgang(mail_app, smtp_server):
    """A permanent SMTP refusal is handled, recorded with its reason and shown for a resend
    (OWASP ASVS 4.0.3 V7.4.2)."""
    smtp_server.refuse.add("nobody@gemeinde.ch")
    outbox.enqueue(to=["nobody@gemeinde.ch"], subject="Unzustellbar", body_text="x")
    db.session.commit()
    assert outbox.deliver_due().failed == 1
    mail = db.session.scalar(select(OutboxMail))
    assert mail.status is MailStatus.FAILED
    assert "550" in mail.last_error

    make_user("koordination@kanton.ch")
    client = mail_app.test_client()
    log_in(client, "koordination@kanton.ch")
    page = client.get("/kanton/postausgang?status=failed").get_data(as_text=True)
    assert "Unzustellbar" in page and "550" in page
    detail = client.get(f"/kanton/postausgang/{mail.id}").get_data(as_text=True)
    assert "Erneut senden" in detail

    smtp_server.refuse.clear()
    response = post_form(
        client,
        f"/kanton/postausgang/{mail.id}/erneut-senden",
        {},
        form_url=f"/kanton/postausgang/{mail.id}",
    )
    assert response.status_code == 302
    assert outbox.deliver_due().sent == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Unzustellbar"]


def test_a_server_down_for_a_day_loses_nothing_and_gives_up_only_after_days(mail_app, smtp_server):
    """Temporary failures are retried for MAIL_GIVE_UP_AFTER_HOURS (72), at most an hour apart,
    not given up after a handful of attempts (OWASP ASVS 4.0.3 V7.4.1: failures are handled)."""
    smtp_server.stop()
    queue_mails(1)
    mail = db.session.scalar(select(OutboxMail))
    now = utcnow()
    while now < utcnow() + timedelta(hours=24):
        outbox.deliver_due(now=now)
        now = mail.next_attempt_at
    assert mail.status is MailStatus.PENDING, "a server down for a day must not lose the mail"
    assert mail.next_attempt_at - now <= timedelta(hours=1)

    while mail.status is MailStatus.PENDING:
        outbox.deliver_due(now=mail.next_attempt_at)
    assert mail.status is MailStatus.FAILED
    assert outbox.retry_span(mail.attempts) >= timedelta(hours=72)
    assert outbox.retry_span(mail.attempts - 1) < timedelta(hours=72)


def test_a_mail_the_server_cannot_take_fails_alone_and_the_batch_goes_on(mail_app, smtp_server):
    """An address with non-ASCII characters cannot be sent to a server without SMTPUTF8: that
    mail fails with its reason, the others in the batch are delivered (OWASP ASVS 4.0.3 V7.4.2)."""
    outbox.enqueue(to=["jürg@olten.ch"], subject="Umlaut", body_text="x")
    queue_mails(2)
    report = outbox.deliver_due()
    assert (report.sent, report.failed) == (2, 1)
    failed = db.session.scalar(select(OutboxMail).where(OutboxMail.subject == "Umlaut"))
    assert failed.status is MailStatus.FAILED
    assert "Encode" in failed.last_error
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Nachricht 0", "Nachricht 1"]


def test_a_deliverer_claims_one_batch_and_leaves_the_rest_to_others(mail_app, smtp_server):
    """Several deliverers share the outbox: each round claims MAIL_BATCH_SIZE mails, no more
    (on PostgreSQL a plain "IN (subquery ... SKIP LOCKED)" can claim past its LIMIT)."""
    queue_mails(7)
    report = outbox.deliver_due(batch_size=3)
    assert report.sent == 3
    assert count(MailStatus.PENDING) == 4
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.claim_token.is_not(None))
        )
        == 3
    )


@pytest.mark.parametrize("app_config", [{"MAIL_CLAIM_SECONDS": 1}])
def test_a_slow_batch_keeps_its_claim_and_no_second_deliverer_sends_twice(
    mail_app, smtp_server, app_config
):
    """The first deliverer needs longer than its claim for the batch; it renews the claim on
    the way, so a second deliverer that starts meanwhile finds nothing to send
    (OWASP ASVS 4.0.3 V11.1.6: no race between deliverers)."""
    queue_mails(5)
    smtp_server.delay = 0.4
    reports = []

    def first_deliverer():
        with mail_app.app_context():
            reports.append(outbox.deliver_due())
            db.session.remove()

    thread = threading.Thread(target=first_deliverer)
    thread.start()
    time.sleep(1.3)  # past the first claim of one second
    with mail_app.app_context():
        second = outbox.deliver_due()
        db.session.remove()
    thread.join(timeout=30)
    assert second.handled == 0
    assert reports[0].sent == 5
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert len(received) == len(set(received)) == 5


def test_links_that_set_a_password_are_removed_from_the_stored_copy_once_sent(
    mail_app, smtp_server
):
    """OWASP ASVS 4.0.3 V2.5.1/V3.3: an invitation link read in the Postausgang must not set a
    password once the mail went out; before that, it stays readable (the embedded default has
    no mail server and the link is read there)."""
    accounts.request_password_reset(make_user("neu@olten.ch").email)
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "password_reset"))
    assert "http://portal.test/passwort-zuruecksetzen/" in mail.body_text
    outbox.deliver_due()
    [delivered] = smtp_server.messages
    assert "http://portal.test/passwort-zuruecksetzen/" in text_body(delivered)
    db.session.refresh(mail)
    assert "passwort-zuruecksetzen" not in mail.body_text
    assert "passwort-zuruecksetzen" not in mail.body_html
    assert outbox.REMOVED_LINK in mail.body_text


def test_with_a_mail_server_the_postausgang_never_shows_a_password_link(mail_app, smtp_server):
    """Waiting or failed, an invitation's link is the invitee's: a canton officer reading the
    Postausgang must not be able to set that person's password."""
    make_user("koordination@kanton.ch")
    smtp_server.refuse.add("neu@olten.ch")
    accounts.request_password_reset(make_user("neu@olten.ch").email)
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "password_reset"))
    client = mail_app.test_client()
    log_in(client, "koordination@kanton.ch")
    for moment in ("waiting", "failed"):
        page = client.get(f"/kanton/postausgang/{mail.id}").text
        assert "passwort-zuruecksetzen/" not in page, moment
        assert outbox.HIDDEN_LINK in page, moment
        outbox.deliver_due()
    db.session.refresh(mail)
    assert mail.status is MailStatus.FAILED
    assert "passwort-zuruecksetzen/" in mail.body_text  # kept for sending it again


def test_without_a_mail_server_the_postausgang_is_where_the_link_is_read(app):
    make_user("koordination@kanton.ch")
    accounts.request_password_reset(make_user("neu@olten.ch").email)
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "password_reset"))
    client = app.test_client()
    log_in(client, "koordination@kanton.ch")
    assert "passwort-zuruecksetzen/" in client.get(f"/kanton/postausgang/{mail.id}").text


def test_only_failed_mails_can_be_sent_again_and_all_at_once(mail_app, smtp_server):
    """The server refuses a resend of a mail already sent, even when posted directly
    (OWASP ASVS 4.0.3 V11.1.1)."""
    smtp_server.refuse.update({"a@gemeinde.ch", "b@gemeinde.ch"})
    for name in ("a", "b"):
        outbox.enqueue(to=[f"{name}@gemeinde.ch"], subject=f"An {name}", body_text="x")
    queue_mails(1)
    db.session.commit()
    assert outbox.deliver_due().failed == 2
    sent = db.session.scalar(select(OutboxMail).where(OutboxMail.status == MailStatus.SENT))

    make_user("koordination@kanton.ch")
    client = mail_app.test_client()
    log_in(client, "koordination@kanton.ch")
    assert "Alle fehlgeschlagenen erneut senden" in client.get("/kanton/postausgang").text
    post_form(
        client, f"/kanton/postausgang/{sent.id}/erneut-senden", {}, form_url="/kanton/postausgang"
    )
    db.session.expire_all()
    assert sent.status is MailStatus.SENT and count(MailStatus.PENDING) == 0

    smtp_server.refuse.clear()
    post_form(
        client,
        "/kanton/postausgang/fehlgeschlagene-erneut-senden",
        {},
        form_url="/kanton/postausgang",
    )
    assert count(MailStatus.PENDING) == 2
    assert outbox.deliver_due().sent == 2
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "An a",
        "An b",
        "Nachricht 0",
    ]


def test_delivered_mails_are_deleted_after_the_retention_period(mail_app, smtp_server):
    """Sent mails are deleted after the retention period (OWASP ASVS 4.0.3 V8.3.8)."""
    queue_mails(2)
    outbox.deliver_due()
    smtp_server.stop()
    queue_mails(1, prefix="Wartet")
    runner = mail_app.test_cli_runner()
    assert "0 versandte Mails" in runner.invoke(args=["mail", "aufraeumen"]).output
    later = utcnow() + timedelta(days=91)
    assert outbox.purge_sent(timedelta(days=90), now=later) == 2
    assert [m.subject for m in db.session.scalars(select(OutboxMail))] == ["Wartet 0"]


def test_header_injection_through_the_subject_is_impossible(mail_app, smtp_server):
    """No SMTP header injection through subject or Reply-To (OWASP ASVS 4.0.3 V5.2.3)."""
    outbox.enqueue(
        to=["ib@olten.ch"],
        subject="Hallo\r\nBcc: spion@evil.ch",
        body_text="x",
        reply_to="a@olten.ch\nBcc: spion@evil.ch",
    )
    db.session.commit()
    outbox.deliver_due()
    [message] = smtp_server.messages
    assert message["Bcc"] is None
    assert "spion@evil.ch" not in message["X-Envelope-To"]
    assert "\n" not in message["Subject"]


def _deliverer(database_url: str, smtp_port: int, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_BATCH_SIZE": "5",
        "MAIL_CLAIM_SECONDS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "orders", "mail", "deliver", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_two_deliverers_at_once_never_send_a_mail_twice(mail_app, smtp_server, migrated_database):
    """Two deliverers at once never send a mail twice: no race on claiming mails
    (OWASP ASVS 4.0.3 V11.1.6)."""
    queue_mails(40)
    smtp_server.delay = 0.01
    workers = [
        _deliverer(migrated_database, smtp_server.port, "--loop", "--interval", "0.2")
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while len(smtp_server.messages) < 40 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert sorted(subjects) == sorted(f"Nachricht {i}" for i in range(40))
    db.session.expire_all()
    assert count(MailStatus.SENT) == 40


def test_a_deliverer_killed_three_times_in_a_run_of_1000_loses_nothing(
    mail_app, smtp_server, migrated_database
):
    """SIGKILL in the middle of a batch, three times: after each restart the rest goes out;
    every mail arrives, and a mail that arrives twice (it was in flight at a kill) carries the
    same Message-ID (OWASP ASVS 4.0.3 V7.4.2, V11.1.6: nothing lost)."""
    total, kills = 1000, 3
    queue_mails(total)
    smtp_server.delay = 0.002
    for kill in range(1, kills + 1):
        worker = _deliverer(migrated_database, smtp_server.port, "--loop", "--interval", "0.2")
        target = len(smtp_server.messages) + 150
        deadline = time.monotonic() + 60
        while len(smtp_server.messages) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert count(MailStatus.SENT) < total, f"all sent before kill {kill}"
        time.sleep(2.1)  # the dead worker's claim (MAIL_CLAIM_SECONDS=2) runs out

    worker = _deliverer(migrated_database, smtp_server.port, "--loop", "--interval", "0.2")
    deadline = time.monotonic() + 120
    while count(MailStatus.SENT) < total and time.monotonic() < deadline:
        time.sleep(0.2)
        db.session.expire_all()
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=20)

    received = [m["Message-ID"] for m in smtp_server.messages]
    stored = {m.message_id for m in db.session.scalars(select(OutboxMail))}
    assert set(received) == stored
    assert count(MailStatus.SENT) == total
    # Only a mail in flight at a kill can arrive twice: at most one per kill.
    assert len(received) - len(set(received)) <= kills


def test_deliver_command_refuses_without_smtp(app, migrated_database):
    result = app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code != 0
    assert "MAIL_SERVER" in result.output


@pytest.mark.parametrize("status", ["pending", "sent", "failed", ""])
def test_postausgang_lists_by_status(app, client, status):
    make_user("koordination@kanton.ch")
    queue_mails(2, prefix="Ohne Server")
    log_in(client, "koordination@kanton.ch")
    page = client.get(f"/kanton/postausgang?status={status}").get_data(as_text=True)
    assert "kein Mailserver eingerichtet" in page
    assert ("Ohne Server 1" in page) is (status in {"pending", ""})


@pytest.mark.parametrize("app_config", [{"MAIL_TIMEOUT": 1}])
def test_a_slow_smtp_server_holds_up_nobody(mail_app, smtp_server, app_config):
    """A server that takes far too long to answer: the deliverer gives up after MAIL_TIMEOUT and
    retries later; web requests never talk to SMTP at all (OWASP ASVS 4.0.3 V7.4.2)."""
    smtp_server.delay = 5
    queue_mails(1)
    started = time.monotonic()
    report = outbox.deliver_due()
    assert time.monotonic() - started < 4
    assert report.retrying == 1
    mail = db.session.scalar(select(OutboxMail))
    assert mail.status is MailStatus.PENDING
    assert "timed out" in mail.last_error.lower() or "Timeout" in mail.last_error
    assert socket.getdefaulttimeout() is None  # the worker's timeout does not leak
