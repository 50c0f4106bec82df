"""Interpreter orders: the booking rules, the mails to HEKS Linguadukt, the workflow after
the appointment, and the retention of personal data."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, func, select, update

from orders import emails
from orders.extensions import db
from orders.formatting import ZURICH, german_sort_key, local_time
from orders.models import (
    ConversationType,
    GenderPreference,
    InterpreterEvent,
    InterpreterRequest,
    InterpreterStatus,
    Language,
    Municipality,
    Setting,
    User,
)
from orders.models.interpreting import conversation_label
from orders.models.types import utcnow
from orders.services import audit
from orders.services.calendar import working_days_between
from orders.services.gemeinden import bfs_number, municipality_filter_error
from orders.services.numbering import next_number
from orders.services.submissions import add_once

MIN_DURATION, MAX_DURATION, DURATION_STEP = 30, 240, 15
REFERENCE_MAX = 40
# A date in a reference is most likely a birth date: not allowed in an interpreter order.
DATE_IN_TEXT = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-](\d{2}|\d{4})\b")
CANCEL_WARNING_HOURS = 24


class BookingError(ValueError):
    """A booking rule was broken; field names the form field, the message is German."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Booking:
    """What the form asks. A value the form could not read is None (the form names it beside
    its field); check_booking leaves out the rules that need it, and only a booking the form
    read in full is placed."""

    conversation_type: ConversationType | None
    conversation_other: str
    appointment_date: date | None
    start_time: time | None
    duration_minutes: int | None
    setting: Setting | None
    location_address: str
    location_room: str
    onsite_contact_name: str
    onsite_contact_phone: str
    remote_instructions: str
    language: Language | None
    dialect: str
    country_of_origin: str
    participants: int | None
    gender_preference: GenderPreference
    reference: str
    preparation_notes: str
    orderer_name: str
    orderer_phone: str
    orderer_email: str
    called_heks: bool

    @property
    def conversation_label(self) -> str:
        """As the order will show it (booking_facts on the check page)."""
        return conversation_label(self.conversation_type, self.conversation_other)


def appointment_start(day: date, start: time) -> datetime:
    return datetime.combine(day, start, tzinfo=ZURICH)


def appointment_passed(request: InterpreterRequest, now: datetime | None = None) -> bool:
    """The appointment has begun: from then on its outcome is recorded, not HEKS's answer."""
    return appointment_start(request.appointment_date, request.start_time) <= (now or utcnow())


def is_short_notice(day: date, now: datetime | None = None) -> bool:
    """Less than the lead time (2 working days) ahead: weekends and holidays do not count."""
    today = local_time(now or utcnow()).date()
    lead = current_app.config["INTERPRETER_LEAD_WORKING_DAYS"]
    return working_days_between(today, day) < lead


def _date_problems(booking: Booking, now: datetime) -> list[BookingError]:
    if appointment_start(booking.appointment_date, booking.start_time) <= now:
        return [BookingError("Der Termin liegt in der Vergangenheit.", "appointment_date")]
    if is_short_notice(booking.appointment_date, now) and not booking.called_heks:
        return [
            BookingError(
                "Der Termin ist weniger als zwei Arbeitstage entfernt. Bitte rufen Sie HEKS "
                "Linguadukt zusätzlich an und bestätigen Sie das hier.",
                "called_heks",
            )
        ]
    return []


def check_booking(booking: Booking, now: datetime | None = None) -> list[BookingError]:
    """Every rule the booking breaks, each tied to its field; a rule needing a value the form
    could not read (None) is left out, so the form shows its own and these problems at once."""
    now = now or utcnow()
    problems = []
    if booking.appointment_date is not None and booking.start_time is not None:
        problems += _date_problems(booking, now)
    duration = booking.duration_minutes
    if duration is not None and (
        not MIN_DURATION <= duration <= MAX_DURATION or duration % DURATION_STEP
    ):
        problems.append(
            BookingError(
                "Die Dauer liegt zwischen 30 Minuten und 4 Stunden, in Schritten von 15 Minuten.",
                "duration_minutes",
            )
        )
    if (
        booking.conversation_type is ConversationType.OTHER
        and not booking.conversation_other.strip()
    ):
        problems.append(
            BookingError(
                "Bitte beschreiben Sie kurz, um welches Gespräch es geht.", "conversation_other"
            )
        )
    if booking.setting is Setting.ON_SITE:
        for field, message in (
            ("location_address", "Bitte geben Sie die Adresse des Gesprächs an."),
            ("location_room", "Bitte geben Sie den Raum an."),
            ("onsite_contact_name", "Bitte geben Sie eine Ansprechperson vor Ort an."),
            ("onsite_contact_phone", "Bitte geben Sie die Telefonnummer der Ansprechperson an."),
        ):
            if not getattr(booking, field).strip():
                problems.append(BookingError(message, field))
    elif booking.setting is not None and not booking.remote_instructions.strip():
        problems.append(
            BookingError(
                "Bitte beschreiben Sie, wie die dolmetschende Person teilnimmt (Link oder "
                "Telefonnummer).",
                "remote_instructions",
            )
        )
    if DATE_IN_TEXT.search(booking.reference):
        problems.append(
            BookingError(
                "Bitte keine Geburtsdaten oder andere Personendaten in der Referenz.", "reference"
            )
        )
    return problems


def place_request(
    municipality: Municipality,
    orderer: User,
    booking: Booking,
    submission_key: str,
    now: datetime | None = None,
) -> InterpreterRequest:
    """Record the order and write the mails to HEKS and to the orderer in one transaction.
    The same submission_key always gives the same order."""
    existing = _find_submitted(submission_key, orderer)
    if existing is not None:
        return existing
    problems = check_booking(booking, now)
    if problems:
        raise problems[0]
    now = now or utcnow()
    values = {f.name: getattr(booking, f.name) for f in fields(Booking)}
    language = values.pop("language")
    request = InterpreterRequest(
        number=next_number("D", local_time(now).year),
        municipality=municipality,
        ordered_by=orderer,
        submission_key=submission_key,
        language=language,
        urgent=is_short_notice(booking.appointment_date, now),
        status=InterpreterStatus.SUBMITTED,
        created_at=now,
        events=[InterpreterEvent(actor=orderer, status=InterpreterStatus.SUBMITTED, at=now)],
        # Free texts are stripped; enums (str subclasses) stay enums.
        **{k: v.strip() if type(v) is str else v for k, v in values.items()},
    )
    concurrent = add_once(request, lambda: _find_submitted(submission_key, orderer))
    if concurrent is not None:
        return concurrent
    emails.compose_interpreter_order(request)
    audit.record("interpreter.create", actor=orderer, obj=request, number=request.number)
    db.session.commit()
    return request


def _find_submitted(submission_key: str, orderer: User) -> InterpreterRequest | None:
    return db.session.scalar(
        select(InterpreterRequest).where(
            InterpreterRequest.submission_key == submission_key,
            InterpreterRequest.ordered_by_id == orderer.id,
        )
    )


def starts_within_warning(request: InterpreterRequest, now: datetime | None = None) -> bool:
    """Cancelling now may cost the municipality: HEKS may charge within 24 hours."""
    start = appointment_start(request.appointment_date, request.start_time)
    return start - (now or utcnow()) < timedelta(hours=CANCEL_WARNING_HOURS)


def may_cancel(request: InterpreterRequest, now: datetime | None = None) -> bool:
    """Until the appointment starts; after it, its outcome is recorded instead."""
    return request.status.is_open and appointment_start(
        request.appointment_date, request.start_time
    ) > (now or utcnow())


def cancel(request: InterpreterRequest, actor: User, reason: str) -> None:
    """Cancel and tell HEKS, quoting the original order."""
    if not may_cancel(request):
        raise BookingError("Dieser Einsatz kann nicht mehr storniert werden.")
    request.status = InterpreterStatus.CANCELLED
    request.cancel_reason = reason.strip()
    request.events.append(
        InterpreterEvent(
            actor=actor, status=InterpreterStatus.CANCELLED, note=request.cancel_reason
        )
    )
    emails.compose_interpreter_cancellation(request)
    # Without the reason: it may speak of the people concerned, and the Protokoll is kept
    # longer than the order's free texts (see redact_old_requests).
    audit.record("interpreter.cancel", actor=actor, obj=request, number=request.number)
    db.session.commit()


def confirm(request: InterpreterRequest, actor: User, interpreter_name: str) -> None:
    """Record that HEKS confirmed the booking (by phone or e-mail), before the appointment:
    after it, its outcome is what is recorded."""
    if request.status is not InterpreterStatus.SUBMITTED:
        raise BookingError("Nur übermittelte Bestellungen können bestätigt werden.")
    if appointment_passed(request):
        raise BookingError("Der Termin ist vorbei: bitte erfassen Sie stattdessen das Ergebnis.")
    request.status = InterpreterStatus.CONFIRMED
    request.interpreter_name = interpreter_name.strip()
    request.events.append(
        InterpreterEvent(
            actor=actor, status=InterpreterStatus.CONFIRMED, note=request.interpreter_name
        )
    )
    audit.record("interpreter.confirm", actor=actor, obj=request, number=request.number)
    db.session.commit()


def record_outcome(
    request: InterpreterRequest,
    actor: User,
    held: bool,
    duration_minutes: int | None,
    now: datetime | None = None,
) -> None:
    """After the appointment: did it take place, and how long. Held conversations count for
    the interpreter lump sum in the half-year report."""
    if not request.status.is_open:
        raise BookingError("Für diesen Einsatz ist kein Ergebnis mehr zu erfassen.")
    if not appointment_passed(request, now):
        raise BookingError("Das Ergebnis kann erst nach dem Termin erfasst werden.")
    if held and not (duration_minutes and 0 < duration_minutes <= 600):
        raise BookingError(
            "Bitte geben Sie die Dauer in Minuten an (1 bis 600).", "actual_duration_minutes"
        )
    request.held = held
    request.actual_duration_minutes = duration_minutes if held else None
    request.status = InterpreterStatus.DONE
    note = f"stattgefunden, {duration_minutes} Minuten" if held else "nicht stattgefunden"
    request.events.append(InterpreterEvent(actor=actor, status=InterpreterStatus.DONE, note=note))
    audit.record(
        "interpreter.outcome",
        actor=actor,
        obj=request,
        number=request.number,
        held=held,
        minutes=request.actual_duration_minutes,
    )
    db.session.commit()


# --- lists and counts ---------------------------------------------------------------------


@dataclass
class InterpreterFilter:
    """The canton's list of interpreter orders as its URL filters it (or the export)."""

    bfs_nr: int | None = None
    language_code: str | None = None
    status: InterpreterStatus | None = None
    month: date | None = None  # its first day
    upcoming: bool | None = None  # from today on (soonest first), before today, or both
    # Argument name → German message for a value that cannot be read or names nothing; the
    # list then shows nothing and offers no export, rather than all orders as if unfiltered.
    errors: dict[str, str] = field(default_factory=dict)


# The list's filter fields, as its URL carries them.
FILTER_ARGS = ("gemeinde", "sprache", "status", "monat", "termine")
APPOINTMENTS = {"kommende": True, "vergangene": False}  # the «termine» argument
MONTH_FORMATS = ("%Y-%m", "%m.%Y")  # what <input type="month"> sends; what a person types
FIRST_MONTH_YEAR, LAST_MONTH_YEAR = 2000, 2100  # beyond: a typing error, not a month to list


def filter_values(args: Mapping[str, str]) -> dict[str, str]:
    """The filter fields that are set in the arguments, as they came (for links to the exports
    and back to the list: url_for encodes the values, and no other argument rides along)."""
    return {name: args[name] for name in FILTER_ARGS if args.get(name)}


def _month_arg(value: str) -> date | None:
    for month_format in MONTH_FORMATS:
        try:
            first = datetime.strptime(value, month_format).date()
        except ValueError:
            continue
        return first if FIRST_MONTH_YEAR <= first.year <= LAST_MONTH_YEAR else None
    return None


def filter_from_args(args: Mapping[str, str]) -> InterpreterFilter:
    municipality = args.get("gemeinde", "").strip()
    language = args.get("sprache", "").strip()
    status = args.get("status", "")
    month = args.get("monat", "").strip()
    appointments = args.get("termine", "")
    statuses = {s.value for s in InterpreterStatus}
    found = InterpreterFilter(
        bfs_nr=bfs_number(municipality),
        language_code=language or None,
        status=InterpreterStatus(status) if status in statuses else None,
        month=_month_arg(month) if month else None,
        upcoming=APPOINTMENTS.get(appointments),
    )
    if problem := municipality_filter_error(municipality):
        found.errors["gemeinde"] = problem
    if language and db.session.get(Language, language) is None:
        found.errors["sprache"] = "Unbekannte Sprache."
    if status and found.status is None:
        found.errors["status"] = "Unbekannter Status."
    if month and found.month is None:
        found.errors["monat"] = f"«{month}» ist kein Monat: bitte wie 03.2026 angeben."
    if appointments and found.upcoming is None:
        found.errors["termine"] = "Bitte «kommende» oder «vergangene» wählen."
    return found


def filtered_requests(found: InterpreterFilter, today: date | None = None) -> Select:
    """Interpreter orders matching the filter, latest appointment first; the upcoming ones
    soonest first."""
    today = today or local_time(utcnow()).date()
    statement = select(InterpreterRequest)
    if found.upcoming:
        statement = statement.where(InterpreterRequest.appointment_date >= today).order_by(
            InterpreterRequest.appointment_date, InterpreterRequest.start_time
        )
    else:
        if found.upcoming is False:
            statement = statement.where(InterpreterRequest.appointment_date < today)
        statement = statement.order_by(
            InterpreterRequest.appointment_date.desc(), InterpreterRequest.start_time.desc()
        )
    if found.bfs_nr is not None:
        statement = statement.where(
            InterpreterRequest.municipality_id.in_(
                select(Municipality.id).where(Municipality.bfs_nr == found.bfs_nr)
            )
        )
    if found.language_code:
        statement = statement.where(InterpreterRequest.language_code == found.language_code)
    if found.status:
        statement = statement.where(InterpreterRequest.status == found.status)
    if found.month:
        first = found.month
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        statement = statement.where(
            InterpreterRequest.appointment_date >= first,
            InterpreterRequest.appointment_date < after,
        )
    return statement


def held_count(
    municipality_id: int,
    start: date,
    end: date,
    conversation_type: ConversationType | None = None,
) -> int:
    """Interpreter-assisted conversations recorded as held between start and end (inclusive),
    of one conversation type if given. The one count behind the statistics and the half-year
    report's suggestions."""
    statement = (
        select(func.count())
        .select_from(InterpreterRequest)
        .where(
            InterpreterRequest.municipality_id == municipality_id,
            InterpreterRequest.held.is_(True),
            InterpreterRequest.appointment_date.between(start, end),
        )
    )
    if conversation_type is not None:
        statement = statement.where(InterpreterRequest.conversation_type == conversation_type)
    return db.session.scalar(statement)


def outcome_missing(today: date | BindParameter) -> ColumnElement[bool]:
    """The appointment has passed and nobody has recorded whether it was held."""
    return and_(
        InterpreterRequest.status.in_([s for s in InterpreterStatus if s.is_open]),
        InterpreterRequest.appointment_date < today,
    )


# Built once (the dashboard runs it on every visit; building it cost more than its SQL).
OUTCOMES_TO_RECORD = (
    select(func.count())
    .select_from(InterpreterRequest)
    .where(
        InterpreterRequest.municipality_id == bindparam("municipality_id"),
        outcome_missing(bindparam("today")),
    )
)


def outcomes_to_record(municipality_id: int, now: datetime | None = None) -> int:
    """Bookings whose appointment has passed without an outcome (held or not): the half-year
    report counts only what is recorded."""
    today = local_time(now or utcnow()).date()
    return db.session.scalar(
        OUTCOMES_TO_RECORD, {"municipality_id": municipality_id, "today": today}
    )


def half_year_counts(year: int) -> list:
    """Held interpreter-assisted conversations per municipality in each half of the year, as
    rows (Municipality, h1, h2) sorted the German way (Bärschwil before Beinwil)."""
    first_half = InterpreterRequest.appointment_date <= date(year, 6, 30)
    statement = (
        select(
            Municipality,
            func.count().filter(first_half).label("h1"),
            func.count().filter(~first_half).label("h2"),
        )
        .join(InterpreterRequest, InterpreterRequest.municipality_id == Municipality.id)
        .where(
            InterpreterRequest.held.is_(True),
            InterpreterRequest.appointment_date.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .group_by(Municipality.id)
    )
    rows = db.session.execute(statement).all()
    return sorted(rows, key=lambda row: german_sort_key(row.Municipality.name))


# --- retention ----------------------------------------------------------------------------


@dataclass
class RetentionReport:
    redacted: int
    numbers: list[str]


def redact_old_requests(days: int, now: datetime | None = None) -> RetentionReport:
    """Remove the free texts about the people concerned from orders whose appointment lies more
    than `days` in the past; counts, dates, languages and states stay for reporting."""
    cutoff = local_time(now or utcnow()).date() - timedelta(days=days)
    due = select(InterpreterRequest.id, InterpreterRequest.number).where(
        InterpreterRequest.appointment_date < cutoff, InterpreterRequest.redacted_at.is_(None)
    )
    rows = db.session.execute(due).all()
    if rows:
        db.session.execute(
            update(InterpreterRequest)
            .where(InterpreterRequest.id.in_([row.id for row in rows]))
            .values(
                reference="",
                preparation_notes="",
                country_of_origin="",
                dialect="",
                cancel_reason="",
                redacted_at=now or utcnow(),
            )
        )
        # The cancellation's reason is also in the order's history.
        db.session.execute(
            update(InterpreterEvent)
            .where(
                InterpreterEvent.request_id.in_([row.id for row in rows]),
                InterpreterEvent.status == InterpreterStatus.CANCELLED,
            )
            .values(note="")
        )
        audit.record(
            "interpreter.retention",
            actor=None,
            redacted=len(rows),
            numbers=[row.number for row in rows][:1000],
            cutoff=cutoff.isoformat(),
        )
    db.session.commit()
    return RetentionReport(redacted=len(rows), numbers=[row.number for row in rows])
