"""Calendar files (.ics) for interpreter appointments."""

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from orders.formatting import ZURICH
from orders.models import InterpreterRequest, Setting


def appointment_ics(request: InterpreterRequest, domain: str, cancelled: bool = False) -> bytes:
    """An invitation (or, cancelled, its withdrawal) that calendar programs import."""
    calendar = Calendar()
    calendar.add("prodid", "-//Kanton Solothurn//start.integration//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{request.number}@{domain}")
    event.add("sequence", 1 if cancelled else 0)
    event.add("dtstamp", datetime.now(ZURICH))
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
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
