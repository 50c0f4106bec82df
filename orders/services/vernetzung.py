"""Network meetings (Vernetzungstreffen): the canton announces them, municipal staff of the
invited Bezirke register and unregister; those registered learn of changes and cancellations by
mail, each with a calendar file. And the contact list of the municipalities."""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload, selectinload

from orders.emails import vernetzung as mails
from orders.extensions import db
from orders.formatting import ZURICH, format_date, german_sort_key
from orders.models import MeetingRegistration, Municipality, NetworkMeeting, User
from orders.models.types import utcnow
from orders.services import access, audit, submissions
from orders.services.deadlines import today_local

# The fields whose change those registered are told about (with a new calendar file).
ANNOUNCED = ("day", "starts_at", "ends_at", "place")


@dataclass
class MeetingData:
    title: str
    day: date
    starts_at: time
    ends_at: time | None
    place: str
    description: str
    bezirke: list[str]
    registration_until: date | None

    def apply_to(self, meeting: NetworkMeeting) -> None:
        meeting.title = self.title.strip()
        meeting.day = self.day
        meeting.starts_at = self.starts_at
        meeting.ends_at = self.ends_at
        meeting.place = self.place.strip()
        meeting.description = self.description.strip()
        meeting.bezirke = sorted(self.bezirke)
        meeting.registration_until = self.registration_until


def begins_at(meeting: NetworkMeeting) -> datetime:
    return datetime.combine(meeting.day, meeting.starts_at, tzinfo=ZURICH)


def has_begun(meeting: NetworkMeeting) -> bool:
    return utcnow() >= begins_at(meeting)


def registration_open(meeting: NetworkMeeting) -> bool:
    """Open until the meeting begins, or to the end of its last day of registration."""
    if meeting.is_cancelled or has_begun(meeting):
        return False
    return meeting.registration_until is None or today_local() <= meeting.registration_until


def invited(meeting: NetworkMeeting, user: User) -> bool:
    """Canton staff see every meeting; Gemeinde staff those for all Bezirke or their own."""
    return access.addressed_to(meeting.bezirke, user)


def meetings_for(user: User) -> list[NetworkMeeting]:
    """The meetings the user is invited to, latest first, with their registrations."""
    # Bezirke are a JSON list: filtered here, the same on SQLite and PostgreSQL; the canton
    # holds a handful of meetings a year.
    statement = (
        select(NetworkMeeting)
        .options(selectinload(NetworkMeeting.registrations))
        .order_by(NetworkMeeting.day.desc(), NetworkMeeting.starts_at.desc())
    )
    return [meeting for meeting in db.session.scalars(statement) if invited(meeting, user)]


def split_upcoming(meetings: list[NetworkMeeting]) -> tuple[list, list]:
    """(upcoming, soonest first; past, latest first): a meeting is past once its day is."""
    today = today_local()
    upcoming = [meeting for meeting in meetings if meeting.day >= today]
    past = [meeting for meeting in meetings if meeting.day < today]
    return upcoming[::-1], past


def next_meeting_for(municipality: Municipality) -> NetworkMeeting | None:
    """The next meeting the municipality's staff are invited to, neither called off nor
    begun: its start page points to it (also when canton staff look at that page)."""
    statement = (
        select(NetworkMeeting)
        .where(NetworkMeeting.day >= today_local(), NetworkMeeting.cancelled_at.is_(None))
        .order_by(NetworkMeeting.day, NetworkMeeting.starts_at)
    )
    return next(
        (
            meeting
            for meeting in db.session.scalars(statement)
            if access.reaches(meeting.bezirke, municipality) and not has_begun(meeting)
        ),
        None,
    )


def visible_meeting_or_none(meeting_id: int, user: User) -> NetworkMeeting | None:
    meeting = db.session.get(NetworkMeeting, meeting_id)
    return meeting if meeting is not None and invited(meeting, user) else None


def registration_of(meeting: NetworkMeeting, user: User) -> MeetingRegistration | None:
    return next((r for r in meeting.registrations if r.user_id == user.id), None)


def participants(meeting: NetworkMeeting) -> list[MeetingRegistration]:
    """Those registered, by municipality and name (sorted the German way), with their
    accounts and municipalities."""
    registrations = db.session.scalars(
        select(MeetingRegistration)
        .where(MeetingRegistration.meeting_id == meeting.id)
        .options(joinedload(MeetingRegistration.user).joinedload(User.municipality))
    )

    def by_place_and_name(registration: MeetingRegistration) -> tuple[str, str]:
        place = registration.user.municipality
        return german_sort_key(place.name if place else ""), german_sort_key(registration.user.name)

    return sorted(registrations, key=by_place_and_name)


PARTICIPANT_COLUMNS = ["Gemeinde", "Bezirk", "Name", "Funktion", "E-Mail", "Telefon", "Angemeldet"]


def participant_rows(meeting: NetworkMeeting) -> list[list]:
    rows = []
    for registration in participants(meeting):
        person = registration.user
        place = person.municipality
        rows.append(
            [
                place.name if place else "",
                place.bezirk if place else "",
                person.name,
                person.function,
                person.email,
                person.phone,
                registration.created_at,
            ]
        )
    return rows


def create(data: MeetingData, actor: User, submission_key: str | None = None) -> NetworkMeeting:
    """Announce a meeting. The same submission key creates it once (a double click)."""

    def already_created() -> NetworkMeeting | None:
        return db.session.scalar(
            select(NetworkMeeting).where(NetworkMeeting.submission_key == submission_key)
        )

    if submission_key and (earlier := already_created()) is not None:
        return earlier
    meeting = NetworkMeeting(created_by=actor, submission_key=submission_key or None)
    data.apply_to(meeting)
    if (concurrent := submissions.add_once(meeting, already_created)) is not None:
        return concurrent
    audit.record(
        "meeting.create",
        actor=actor,
        obj=meeting,
        title=meeting.title,
        day=meeting.day.isoformat(),
        bezirke=meeting.bezirke or ["alle"],
    )
    db.session.commit()
    return meeting


def _shown(value) -> str:
    """A changed value as the Protokoll shows it."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return format_date(value)
    return "" if value is None else str(value)


class MeetingCancelled(Exception):
    """A cancelled meeting is not changed: those registered were told it is off."""


def update(meeting: NetworkMeeting, data: MeetingData, actor: User) -> int:
    """Change the meeting. When its date, time or place changed, everyone registered gets a
    mail with the new calendar entry; returns how many."""
    if meeting.is_cancelled:
        raise MeetingCancelled(meeting.id)
    before = {field: getattr(meeting, field) for field in (*ANNOUNCED, "title")}
    data.apply_to(meeting)
    changes = {
        field: [_shown(value), _shown(getattr(meeting, field))]
        for field, value in before.items()
        if getattr(meeting, field) != value
    }
    announced = [field for field in ANNOUNCED if field in changes]
    informed = 0
    if announced:
        meeting.revision += 1
        for registration in meeting.registrations:
            mails.compose_meeting_changed(meeting, registration.user)
            informed += 1
    audit.record(
        "meeting.update",
        actor=actor,
        obj=meeting,
        title=meeting.title,
        changes=changes,
        recipients=informed,
    )
    db.session.commit()
    return informed


def cancel(meeting: NetworkMeeting, reason: str, actor: User) -> int:
    """Call the meeting off and tell everyone registered; returns how many. Cancelling it
    again changes nothing."""
    if meeting.is_cancelled:
        return 0
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason.strip()
    for registration in meeting.registrations:
        mails.compose_meeting_cancelled(meeting, registration.user)
    audit.record(
        "meeting.cancel",
        actor=actor,
        obj=meeting,
        title=meeting.title,
        reason=meeting.cancel_reason,
        recipients=len(meeting.registrations),
    )
    db.session.commit()
    return len(meeting.registrations)


def register(meeting: NetworkMeeting, user: User) -> bool:
    """Register the user (the caller has checked that registration is open); a confirmation
    with the calendar entry goes to them. False if they were registered already (a double
    click, or two tabs)."""
    if registration_of(meeting, user) is not None:
        return False
    registration = MeetingRegistration(meeting=meeting, user=user)

    def existing() -> MeetingRegistration | None:
        return db.session.scalar(
            select(MeetingRegistration).where(
                MeetingRegistration.meeting_id == meeting.id,
                MeetingRegistration.user_id == user.id,
            )
        )

    if submissions.add_once(registration, existing) is not None:
        return False
    mails.compose_meeting_registered(meeting, user)
    audit.record("meeting.register", actor=user, obj=meeting, title=meeting.title)
    db.session.commit()
    return True


def unregister(meeting: NetworkMeeting, user: User) -> bool:
    """Withdraw the user's registration; the mail takes the entry out of their calendar.
    False if they were not registered."""
    removed = db.session.execute(
        delete(MeetingRegistration).where(
            MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.user_id == user.id
        )
    ).rowcount
    if not removed:
        db.session.rollback()
        return False
    mails.compose_meeting_unregistered(meeting, user)
    audit.record("meeting.unregister", actor=user, obj=meeting, title=meeting.title)
    db.session.commit()
    db.session.expire(meeting, ["registrations"])
    return True


def contact_list() -> list[Municipality]:
    """The participating municipalities that exist today, by Bezirk and name (sorted the
    German way), each with its Leitgemeinde: the contacts the canton keeps for them
    (Kontaktliste Gemeinden)."""
    today = today_local()
    municipalities = db.session.scalars(
        select(Municipality)
        .where(
            Municipality.participates.is_(True),
            or_(Municipality.valid_until.is_(None), Municipality.valid_until >= today),
        )
        .options(joinedload(Municipality.lead))
    )
    return sorted(
        municipalities, key=lambda m: (german_sort_key(m.bezirk), german_sort_key(m.name))
    )
