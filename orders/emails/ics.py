"""Calendar files (.ics) for interpreter appointments and network meetings."""

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from orders.formatting import ZURICH
from orders.models import InterpreterRequest, NetworkMeeting, Setting


def _entry(uid: str, sequence: int, cancelled: bool) -> tuple[Calendar, Event]:
    """A calendar of one event (a PUBLISH, or, cancelled, its CANCEL); the caller describes
    the event and returns `calendar.to_ical()`."""
    calendar = Calendar()
    calendar.add("prodid", "-//Kanton Solothurn//start.integration//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", datetime.now(ZURICH))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar, event


def appointment_ics(request: InterpreterRequest, domain: str, cancelled: bool = False) -> bytes:
    """An invitation (or, cancelled, its withdrawal) that calendar programs import."""
    calendar, event = _entry(f"{request.number}@{domain}", 1 if cancelled else 0, cancelled)
    start = datetime.combine(request.appointment_date, request.start_time, tzinfo=ZURICH)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=request.duration_minutes))
    event.add(
        "summary",
        f"Dolmetscheinsatz {request.number}: {request.language.name}, {request.municipality.name}",
    )
    if request.setting is Setting.ON_SITE:
        event.add("location", f"{request.location_address}, {request.location_room}")
    else:
        event.add("location", request.setting.label)
    event.add(
        "description",
        f"{request.conversation_label}. Bestellt durch "
        f"{request.orderer_name}, {request.orderer_phone}.",
    )
    return calendar.to_ical()


def meeting_ics(meeting: NetworkMeeting, domain: str, cancelled: bool = False) -> bytes:
    """A network meeting as a calendar entry (or its withdrawal). A changed date, time or place
    raises the meeting's revision (SEQUENCE), so that calendar programs replace the earlier
    entry."""
    calendar, event = _entry(
        f"vernetzungstreffen-{meeting.id}@{domain}",
        meeting.revision + (1 if cancelled else 0),
        cancelled,
    )
    event.add("dtstart", datetime.combine(meeting.day, meeting.starts_at, tzinfo=ZURICH))
    if meeting.ends_at:  # without an end the entry marks the start (RFC 5545)
        event.add("dtend", datetime.combine(meeting.day, meeting.ends_at, tzinfo=ZURICH))
    event.add("summary", meeting.title)
    event.add("location", meeting.place)
    if meeting.description:
        event.add("description", meeting.description)
    return calendar.to_ical()
