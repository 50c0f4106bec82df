"""Mails to the people registered for a network meeting, each with the meeting as a calendar
file: the confirmation of a registration or unregistration, a change and a cancellation."""

from orders.emails import _compose, _mail_domain, portal_url
from orders.emails.ics import meeting_ics
from orders.models import NetworkMeeting, OutboxMail, User

# (template's heading, subject's prefix, calendar entry withdrawn)
KINDS = {
    "meeting_registered": ("Sie sind angemeldet", "Anmeldung bestätigt", False),
    "meeting_unregistered": ("Ihre Anmeldung ist zurückgezogen", "Abmeldung bestätigt", True),
    "meeting_changed": ("Das Treffen wurde geändert", "Geändert", False),
    "meeting_cancelled": ("Das Treffen wurde abgesagt", "ABGESAGT", True),
}


def _meeting_mail(kind: str, meeting: NetworkMeeting, person: User) -> OutboxMail:
    heading, prefix, withdrawn = KINDS[kind]
    method = "CANCEL" if withdrawn else "PUBLISH"
    return _compose(
        "meeting",
        to=[person.email],
        subject=f"{prefix}: {meeting.title}, {meeting.day:%d.%m.%Y}",
        kind=kind,
        attachments=[
            (
                f"vernetzungstreffen-{meeting.day:%Y-%m-%d}.ics",
                f"text/calendar; charset=utf-8; method={method}",
                meeting_ics(meeting, _mail_domain(), cancelled=withdrawn),
            )
        ],
        meeting=meeting,
        person=person,
        heading=heading,
        event=kind,
        link=portal_url("vernetzung.show", meeting_id=meeting.id),
    )


def compose_meeting_registered(meeting: NetworkMeeting, person: User) -> OutboxMail:
    return _meeting_mail("meeting_registered", meeting, person)


def compose_meeting_unregistered(meeting: NetworkMeeting, person: User) -> OutboxMail:
    return _meeting_mail("meeting_unregistered", meeting, person)


def compose_meeting_changed(meeting: NetworkMeeting, person: User) -> OutboxMail:
    return _meeting_mail("meeting_changed", meeting, person)


def compose_meeting_cancelled(meeting: NetworkMeeting, person: User) -> OutboxMail:
    return _meeting_mail("meeting_cancelled", meeting, person)
