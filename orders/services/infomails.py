"""Infomails: the canton writes to all municipal integration staff, or those of some Bezirke."""

from flask import render_template
from sqlalchemy import Select, select

from orders.emails import portal_url
from orders.extensions import db
from orders.models import Document, Infomail, Municipality, Role, User
from orders.services import access, audit, outbox, submissions


def recipients_statement(bezirke: list[str]) -> Select:
    """Active Gemeinde users, of the chosen Bezirke when any are chosen."""
    statement = (
        select(User)
        .join(Municipality, User.municipality_id == Municipality.id)
        .where(User.role == Role.GEMEINDE, User.active.is_(True))
        .order_by(User.email)
    )
    if bezirke:
        statement = statement.where(Municipality.bezirk.in_(bezirke))
    return statement


def recipients(bezirke: list[str]) -> list[User]:
    return list(db.session.scalars(recipients_statement(bezirke)))


def send(
    *,
    subject: str,
    body: str,
    bezirke: list[str],
    documents: list[Document],
    sender: User,
    submission_key: str | None = None,
) -> Infomail:
    """Archive the infomail and write one mail per recipient to the outbox, in one
    transaction: nobody learns the other recipients' addresses. The same submission key
    sends once: a resent form returns the infomail already sent."""

    def already_sent() -> Infomail | None:
        return db.session.scalar(select(Infomail).where(Infomail.submission_key == submission_key))

    if submission_key and (earlier := already_sent()) is not None:
        return earlier
    infomail = Infomail(
        subject=subject.strip(),
        body=body.strip(),
        bezirke=sorted(bezirke),
        sender=sender,
        documents=documents,
        submission_key=submission_key or None,
    )
    if (concurrent := submissions.add_once(infomail, already_sent)) is not None:
        return concurrent
    people = recipients(bezirke)
    context = {
        "infomail": infomail,
        "subject": infomail.subject,
        "links": [
            (document.title, portal_url("dokumente.show", document_id=document.id))
            for document in documents
        ],
        "archive_link": portal_url("dokumente.infomail", infomail_id=infomail.id),
    }
    for person in people:
        outbox.enqueue(
            to=[person.email],
            subject=infomail.subject,
            body_text=render_template("mail/infomail.txt", person=person, **context),
            body_html=render_template("mail/infomail.html", person=person, **context),
            kind="infomail",
        )
    infomail.recipient_count = len(people)
    audit.record(
        "infomail.send",
        actor=sender,
        obj=infomail,
        subject=infomail.subject,
        bezirke=infomail.bezirke or ["alle"],
        recipients=len(people),
    )
    db.session.commit()
    return infomail


def visible_to(infomail: Infomail, user: User) -> bool:
    """Canton staff read every infomail; Gemeinde staff those sent to everyone or to the Bezirk
    of their municipality."""
    return access.addressed_to(infomail.bezirke, user)


def visible_infomails(user: User) -> list[Infomail]:
    """The archive as the user may read it, newest first."""
    # Bezirke are a JSON list: filtered here rather than in SQL, the same on SQLite and
    # PostgreSQL; the archive holds a few dozen mails a year.
    newest_first = select(Infomail).order_by(Infomail.sent_at.desc(), Infomail.id.desc())
    return [m for m in db.session.scalars(newest_first) if visible_to(m, user)]
