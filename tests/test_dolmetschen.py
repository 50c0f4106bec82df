"""Interpreter orders: the rules, the mail to HEKS Linguadukt with a calendar file, the copy,
cancellation, the workflow after the appointment, retention, access."""

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import func, select

from orders.extensions import db
from orders.formatting import ZURICH, local_time
from orders.models import ConversationType, InterpreterRequest, InterpreterStatus
from orders.models.types import utcnow
from orders.services import dolmetschen, outbox
from orders.services.calendar import is_working_day, working_days_between
from tests.conftest import errors_beside, log_in, make_user, post_form, text_body

FORM = "/gemeinde/2581/dolmetschen/neu"


def today() -> date:
    return local_time(utcnow()).date()


def working_day_after(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def booking_data(**overrides) -> dict:
    data = {
        "conversation_type": "erstinfo",
        "conversation_other": "",
        "appointment_date": working_day_after(today(), 5).isoformat(),
        "start_time": "14:30",
        "duration_minutes": "90",
        "setting": "vor_ort",
        "location_address": "Dornacherstrasse 1, 4600 Olten",
        "location_room": "Sitzungszimmer 2",
        "onsite_contact_name": "Clara Clerk",
        "onsite_contact_phone": "062 206 11 11",
        "remote_instructions": "",
        "language": "ti",
        "dialect": "",
        "country_of_origin": "Eritrea",
        "participants": "3",
        "gender_preference": "frau",
        "reference": "Dossier 2026-117",
        "preparation_notes": "Familie mit zwei Kindern, Schuleintritt",
        "orderer_name": "Clara Clerk",
        "orderer_phone": "062 206 11 12",
        "orderer_email": "clerk@olten.ch",
    }
    data.update(overrides)
    return data


def submit(client, key="k1", url=FORM, **overrides):
    return post_form(
        client, url, {**booking_data(**overrides), "submission_key": key, "action": "submit"}
    )


def test_working_days_skip_weekends_and_holidays():
    friday = date(2026, 12, 18)
    assert working_days_between(friday, date(2026, 12, 21)) == 1  # Monday
    # Christmas Eve (Thursday) to Monday 28 December: 25th and 26th are holidays.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 1
    # Maundy Thursday to Easter Tuesday 2027: Good Friday and Easter Monday do not count.
    assert working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 1
    assert not is_working_day(date(2026, 8, 1)) and not is_working_day(date(2027, 1, 2))


def test_heks_mail_has_every_field_an_ics_and_the_right_headers(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    check = post_form(client, FORM, {**booking_data(), "action": "check"}).get_data(as_text=True)
    assert "Bitte prüfen Sie Ihre Bestellung" in check and "Tigrinya" in check
    response = submit(client)
    assert response.status_code == 303
    number = re.search(r"(D-\d{4}-\d{5})", response.headers["Location"]).group(1)
    assert number.endswith("00001")
    assert outbox.deliver_due().sent == 2

    [heks] = smtp_server.to(mail_app.config["HEKS_MAIL_TO"])
    appointment = working_day_after(today(), 5)
    assert heks["Subject"] == (
        f"Dolmetschbestellung {number}: {appointment:%d.%m.%Y}, Tigrinya, Olten"
    )
    assert heks["Reply-To"] == "clerk@olten.ch"
    assert heks["X-Priority"] is None
    body = text_body(heks)
    for expected in (
        "Erstinformationsgespräch",
        f"{appointment:%d.%m.%Y}",
        "14:30 Uhr",
        "90 Minuten",
        "vor Ort",
        "Dornacherstrasse 1, 4600 Olten",
        "Sitzungszimmer 2",
        "Clara Clerk, 062 206 11 11",
        "Tigrinya",
        "Eritrea",
        "Teilnehmende:         3",
        "Frau",
        "Dossier 2026-117",
        "Familie mit zwei Kindern",
        "062 206 11 12",
    ):
        assert expected in body, expected
    [ics] = [part for part in heks.iter_attachments() if part.get_filename().endswith(".ics")]
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.combine(appointment, time(14, 30), tzinfo=ZURICH)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=90)
    assert str(event["uid"]).startswith(number)
    [copy] = smtp_server.to("clerk@olten.ch")
    assert copy["Subject"].startswith("Kopie: Dolmetschbestellung")


def test_line_breaks_and_header_text_cannot_add_headers(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    evil = "x\r\nBcc: spion@evil.ch\r\nSubject: gefälscht"
    response = submit(
        client,
        reference="A\r\nBcc: spion@evil.ch",
        dialect=evil,
        preparation_notes=evil,
        orderer_name=evil,
        location_room=evil,
    )
    assert response.status_code == 303
    outbox.deliver_due()
    for message in smtp_server.messages:
        assert message["Bcc"] is None
        assert "spion@evil.ch" not in message["X-Envelope-To"]
        assert message.get_all("Subject") == [message["Subject"]]
        assert "gefälscht" not in message["Subject"]


def test_orderer_name_with_line_break_stays_in_the_body(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    submit(client, orderer_name="Clara\nClerk")
    outbox.deliver_due()
    assert len(smtp_server.messages) == 2


def test_appointment_in_the_past_is_refused(clerk):
    page = submit(clerk, appointment_date=(today() - timedelta(days=1)).isoformat())
    assert "Der Termin liegt in der Vergangenheit." in page.get_data(as_text=True)
    assert db.session.scalar(select(InterpreterRequest)) is None


def test_short_notice_needs_a_call_and_is_marked_urgent(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    soon = working_day_after(today(), 1).isoformat()
    page = submit(client, appointment_date=soon).get_data(as_text=True)
    assert "weniger als zwei Arbeitstage" in page and 'id="called_heks-error"' in page
    assert submit(client, appointment_date=soon, called_heks="y").status_code == 303
    request = db.session.scalar(select(InterpreterRequest))
    assert request.urgent and request.called_heks
    outbox.deliver_due()
    [heks] = smtp_server.to(mail_app.config["HEKS_MAIL_TO"])
    assert heks["Subject"].startswith("DRINGEND Dolmetschbestellung")
    assert heks["X-Priority"].startswith("1") and heks["Importance"] == "high"


def test_two_working_days_ahead_is_not_urgent(clerk):
    assert (
        submit(clerk, appointment_date=working_day_after(today(), 2).isoformat()).status_code == 303
    )
    assert not db.session.scalar(select(InterpreterRequest)).urgent


@pytest.mark.parametrize("field", ["orderer_phone", "onsite_contact_phone"])
@pytest.mark.parametrize("typed", ["abc", "062 20", "+41 62 206 11 11 11 11 11", "062 206 11 11 x"])
def test_a_phone_number_heks_cannot_call_is_named_beside_its_field(clerk, field, typed):
    page = submit(clerk, **{field: typed}).text
    assert errors_of(page, field) == ["Bitte geben Sie eine Telefonnummer an, z. B. 032 627 23 45."]
    assert f'value="{typed}"' in page
    assert db.session.scalar(select(InterpreterRequest)) is None


@pytest.mark.parametrize(
    "typed",
    [
        "062 206 11 11",
        "+41 62 206 11 11",
        "0041 (0)62 206 11 11",
        "062/206.11.11",
        "0622061111",
        "062 206 11 11 (direkt)",
    ],
)
def test_phone_numbers_as_people_write_them_are_taken(clerk, typed):
    assert submit(clerk, orderer_phone=typed).status_code == 303
    assert db.session.scalar(select(InterpreterRequest)).orderer_phone == typed


@pytest.mark.parametrize(
    "field", ["location_address", "location_room", "onsite_contact_name", "onsite_contact_phone"]
)
def test_on_site_needs_address_room_and_contact(clerk, field):
    page = submit(clerk, **{field: ""}).get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert db.session.scalar(select(InterpreterRequest)) is None


def test_video_needs_instructions_but_no_address(clerk):
    page = submit(clerk, setting="video", location_address="", location_room="").get_data(
        as_text=True
    )
    assert 'id="remote_instructions-error"' in page
    assert (
        submit(
            clerk,
            setting="video",
            location_address="",
            location_room="",
            remote_instructions="Teams-Link folgt per Mail",
        ).status_code
        == 303
    )


@pytest.mark.parametrize(
    "minutes, ok",
    [("15", False), ("30", True), ("45", True), ("240", True), ("255", False), ("50", False)],
)
def test_duration_from_half_an_hour_to_four_hours_in_quarter_hours(clerk, minutes, ok):
    response = submit(clerk, duration_minutes=minutes)
    assert (response.status_code == 303) is ok
    if not ok:
        assert 'id="duration_minutes-error"' in response.get_data(as_text=True)


def test_reference_is_limited_and_refuses_birth_dates(clerk):
    page = submit(clerk, reference="x" * 41).get_data(as_text=True)
    assert "höchstens 40 Zeichen" in page
    page = submit(clerk, reference="MK 03.04.1988").get_data(as_text=True)
    assert "keine Geburtsdaten" in page
    assert db.session.scalar(select(InterpreterRequest)) is None


def test_other_conversation_needs_a_description(clerk):
    page = submit(clerk, conversation_type="andere").get_data(as_text=True)
    assert 'id="conversation_other-error"' in page


def test_field_and_booking_rule_problems_are_shown_at_once(clerk):
    page = submit(
        clerk,
        orderer_name="",
        participants="drei",
        location_room="",
        conversation_type="andere",
        reference="MK 03.04.1988",
        appointment_date=working_day_after(today(), 1).isoformat(),
    ).get_data(as_text=True)
    for field in (
        "orderer_name",
        "participants",
        "location_room",
        "conversation_other",
        "reference",
        "called_heks",
    ):
        assert f'id="{field}-error"' in page, field
    assert db.session.scalar(select(InterpreterRequest)) is None


@pytest.mark.parametrize(
    "field", ["setting", "conversation_type", "start_time", "duration_minutes"]
)
def test_a_value_the_form_cannot_read_is_named_once_and_nothing_is_placed(clerk, field):
    page = submit(clerk, **{field: "unlesbar"}).get_data(as_text=True)
    assert page.count(f'id="{field}-error"') == 1
    assert "Der Termin liegt in der Vergangenheit." not in page
    assert db.session.scalar(select(InterpreterRequest)) is None


@pytest.mark.parametrize(
    "kind, other, shown",
    [
        ("erstinfo", "", ConversationType.FIRST_INFORMATION.label),
        ("andere", "Elterngespräch", f"{ConversationType.OTHER.label}: Elterngespräch"),
    ],
)
def test_check_page_shows_the_conversation(clerk, kind, other, shown):
    data = {**booking_data(conversation_type=kind, conversation_other=other), "action": "check"}
    page = post_form(clerk, FORM, {**data, "submission_key": "k1"}).get_data(as_text=True)
    assert f"<dt>Gespräch</dt><dd>{escape(shown)}</dd>" in page
    assert db.session.scalar(select(InterpreterRequest)) is None


def test_error_summary_leads_to_a_radio_groups_first_option(clerk):
    page = submit(clerk, conversation_type="").get_data(as_text=True)
    assert 'href="#conversation_type-0"' in page and 'id="conversation_type-0"' in page
    assert 'href="#orderer_name"' not in page  # fields without errors are not listed


def test_double_submission_makes_one_order(clerk):
    submit(clerk, "same")
    submit(clerk, "same")
    assert len(db.session.scalars(select(InterpreterRequest)).all()) == 1


def test_cancellation_mails_heks_quoting_the_order(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    submit(client)
    request = db.session.scalar(select(InterpreterRequest))
    detail = client.get(f"/dolmetschen/{request.number}").get_data(as_text=True)
    assert "weniger als 24 Stunden" not in detail
    response = post_form(
        client,
        f"/dolmetschen/{request.number}/stornieren",
        {"reason": "Klient verzogen", "confirmed": "1"},
        form_url=f"/dolmetschen/{request.number}",
    )
    assert response.status_code == 302
    assert db.session.get(InterpreterRequest, request.id).status is InterpreterStatus.CANCELLED
    outbox.deliver_due()
    cancellation = smtp_server.to(mail_app.config["HEKS_MAIL_TO"])[-1]
    assert cancellation["Subject"].startswith(f"STORNIERUNG Dolmetschbestellung {request.number}")
    body = text_body(cancellation)
    assert "Klient verzogen" in body and "Sitzungszimmer 2" in body and "Tigrinya" in body
    [ics] = [p for p in cancellation.iter_attachments() if p.get_filename().endswith(".ics")]
    assert b"METHOD:CANCEL" in ics.get_payload(decode=True)


def test_cancelling_within_24_hours_warns(clerk, app):
    submit(clerk, appointment_date=working_day_after(today(), 1).isoformat(), called_heks="y")
    request = db.session.scalar(select(InterpreterRequest))
    start = utcnow().astimezone(ZURICH) + timedelta(hours=3)
    request.appointment_date, request.start_time = (
        start.date(),
        start.time().replace(second=0, microsecond=0),
    )
    db.session.commit()
    page = clerk.get(f"/dolmetschen/{request.number}").get_data(as_text=True)
    assert "weniger als 24 Stunden" in page


def test_without_javascript_a_cancellation_is_asked_on_a_page_of_its_own(clerk, app):
    """The first POST (no dialog without JavaScript) asks, warns of a late cancellation as
    the booking's page does and keeps the reason; only «Ja» cancels."""
    submit(clerk, appointment_date=working_day_after(today(), 1).isoformat(), called_heks="y")
    request = db.session.scalar(select(InterpreterRequest))
    soon = utcnow().astimezone(ZURICH) + timedelta(hours=3)
    request.appointment_date = soon.date()
    request.start_time = soon.time().replace(second=0, microsecond=0)
    db.session.commit()
    url = f"/dolmetschen/{request.number}"
    page = post_form(clerk, f"{url}/stornieren", {"reason": "Klient verzogen"}, form_url=url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Dolmetscheinsatz {request.number} stornieren?" in html
    assert "weniger als 24 Stunden" in html
    assert 'value="Klient verzogen"' in html and "Ja, Einsatz stornieren" in html
    db.session.expire_all()
    assert db.session.get(InterpreterRequest, request.id).status is InterpreterStatus.SUBMITTED

    post_form(
        clerk,
        f"{url}/stornieren",
        {"reason": "Klient verzogen", "confirmed": "1"},
        form_url=url,
    )
    cancelled = db.session.get(InterpreterRequest, request.id)
    assert cancelled.status is InterpreterStatus.CANCELLED
    assert cancelled.cancel_reason == "Klient verzogen"

    # Once cancelled, asking again is not offered: the refusal is said at once.
    again = post_form(clerk, f"{url}/stornieren", {}, form_url=url, follow_redirects=True)
    assert "kann nicht mehr storniert werden" in again.get_data(as_text=True)


def test_a_past_appointment_cannot_be_cancelled(clerk, app):
    """After the appointment its outcome is recorded instead; a cancel form sent from a page
    opened earlier is refused at once, without asking first."""
    submit(clerk)
    request = db.session.scalar(select(InterpreterRequest))
    url = f"/dolmetschen/{request.number}"
    form_page = clerk.get(url)  # opened before the appointment: the form and its token
    assert "Einsatz stornieren" in form_page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page.get_data(as_text=True))
    past = utcnow().astimezone(ZURICH) - timedelta(hours=2)
    request.appointment_date = past.date()
    request.start_time = past.time().replace(second=0, microsecond=0)
    db.session.commit()
    assert "Einsatz stornieren" not in clerk.get(url).get_data(as_text=True)
    response = clerk.post(
        f"{url}/stornieren", data={"csrf_token": token.group(1)}, follow_redirects=True
    )
    assert "kann nicht mehr storniert werden" in response.get_data(as_text=True)
    assert db.session.get(InterpreterRequest, request.id).status is InterpreterStatus.SUBMITTED


def errors_of(page: str, field_id: str) -> list[str]:
    """The messages shown beside a form field (or radio group)."""
    return re.findall(
        rf'<p class="error-message" id="{field_id}-error">(?:<span[^>]*>Fehler:</span> )?(.*?)</p>',
        page,
    )


def test_an_unreadable_date_or_time_is_named_as_such_not_as_missing(clerk):
    page = submit(clerk, appointment_date="31.02.2027", start_time="14 Uhr").text
    assert errors_of(page, "appointment_date") == [
        "Bitte geben Sie ein gültiges Datum ein, z. B. 24.11.2026."
    ]
    assert errors_of(page, "start_time") == ["Bitte geben Sie die Zeit als HH:MM ein, z. B. 14:30."]
    empty = submit(clerk, appointment_date="", start_time="").text
    assert errors_of(empty, "appointment_date") == ["Bitte geben Sie das Datum des Gesprächs an."]
    assert errors_of(empty, "start_time") == ["Bitte geben Sie die Anfangszeit an."]
    assert db.session.scalar(select(func.count()).select_from(InterpreterRequest)) == 0


def test_the_list_shows_the_appointments_whose_outcome_is_missing(clerk):
    for key in ("past", "upcoming", "recorded"):
        submit(clerk, key)
    past, upcoming, recorded = db.session.scalars(
        select(InterpreterRequest).order_by(InterpreterRequest.id)
    )
    past.appointment_date = recorded.appointment_date = today() - timedelta(days=4)
    recorded.status, recorded.held = InterpreterStatus.DONE, False
    db.session.commit()

    everything = clerk.get("/gemeinde/2581/dolmetschen").text
    assert (
        'href="/gemeinde/2581/dolmetschen?ergebnis=fehlt">Ergebnis erfassen (1)</a>' in everything
    )
    assert all(b.number in everything for b in (past, upcoming, recorded))
    # Each run under its name; the past without an outcome is not greyed as done.
    rows = re.findall(
        r'<tr class="group-row"><th[^>]*>([^<]+)</th></tr>'
        r'|<tr( class="muted")?>\s*<td>[^<]*</td>\s*'
        r'<td><a class="nowrap" href="/dolmetschen/(D-[^"]+)"',
        everything,
    )
    listed = [(group or number, muted) for group, muted, number in rows]
    assert listed[:3] == [
        ("Kommende Termine", ""),
        (upcoming.number, ""),
        ("Vergangene Termine", ""),
    ]
    assert sorted(listed[3:]) == sorted([(past.number, ""), (recorded.number, ' class="muted"')])
    missing = clerk.get("/gemeinde/2581/dolmetschen?ergebnis=fehlt").text
    assert re.findall(r">(D-\d{4}-\d{5})</a>", missing) == [past.number]
    assert 'ergebnis=fehlt" aria-current="page">Ergebnis erfassen (1)</a>' in missing

    past.status, past.held = InterpreterStatus.DONE, False
    db.session.commit()
    missing = clerk.get("/gemeinde/2581/dolmetschen?ergebnis=fehlt").text
    assert "Bei allen vergangenen Einsätzen ist das Ergebnis erfasst." in missing
    assert "Ergebnis erfassen" not in clerk.get("/gemeinde/2581/dolmetschen").text


def test_heks_confirmation_is_not_recorded_after_the_appointment(clerk):
    submit(clerk)
    booking = db.session.scalar(select(InterpreterRequest))
    url = f"/dolmetschen/{booking.number}"
    form_page = clerk.get(url).text  # opened before the appointment
    assert "Bestätigung von HEKS erfassen" in form_page
    booking.appointment_date = today() - timedelta(days=1)
    db.session.commit()
    assert "Bestätigung von HEKS erfassen" not in clerk.get(url).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
    page = clerk.post(
        f"{url}/bestaetigen",
        data={"csrf_token": token, "interpreter_name": "A. Tesfay"},
        follow_redirects=True,
    ).text
    assert "Der Termin ist vorbei: bitte erfassen Sie stattdessen das Ergebnis." in page
    booking = db.session.get(InterpreterRequest, booking.id)
    assert booking.status is InterpreterStatus.SUBMITTED and booking.interpreter_name == ""


def test_confirm_then_record_outcome_counts_for_reporting(clerk, app):
    submit(clerk)
    request = db.session.scalar(select(InterpreterRequest))
    url = f"/dolmetschen/{request.number}"
    post_form(clerk, f"{url}/bestaetigen", {"interpreter_name": "A. Tesfay"}, form_url=url)
    request = db.session.get(InterpreterRequest, request.id)
    assert request.status is InterpreterStatus.CONFIRMED and request.interpreter_name == "A. Tesfay"

    # Before the appointment, no outcome can be recorded.
    page = post_form(
        clerk,
        f"{url}/ergebnis",
        {"held": "ja", "actual_duration_minutes": "75"},
        form_url=url,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "erst nach dem Termin" in page
    request.appointment_date = today() - timedelta(days=3)
    db.session.commit()
    # «Ja» without a duration, nothing chosen: each message beside its field, the choice kept.
    page = post_form(clerk, f"{url}/ergebnis", {"held": "ja", "actual_duration_minutes": ""})
    assert page.status_code == 200
    assert errors_of(page.text, "actual_duration_minutes") == [
        "Bitte geben Sie die Dauer in Minuten an (1 bis 600)."
    ]
    assert re.search(r'<input checked id="held-0"[^>]*value="ja"', page.text)
    page = post_form(clerk, f"{url}/ergebnis", {"actual_duration_minutes": "45"})
    assert errors_of(page.text, "held") == ["Bitte wählen Sie Ja oder Nein."]
    assert 'value="45"' in page.text
    assert db.session.get(InterpreterRequest, request.id).status is InterpreterStatus.CONFIRMED
    post_form(
        clerk, f"{url}/ergebnis", {"held": "ja", "actual_duration_minutes": "75"}, form_url=url
    )
    request = db.session.get(InterpreterRequest, request.id)
    assert request.status is InterpreterStatus.DONE and request.held
    assert request.actual_duration_minutes == 75
    assert (
        dolmetschen.held_count(request.municipality_id, today() - timedelta(days=30), today()) == 1
    )
    # «abgeschlossen»: the outcome is recorded, whether or not the conversation was held.
    shown = clerk.get(url).get_data(as_text=True)
    assert "abgeschlossen</span> · Dolmetscher/in: A. Tesfay" in shown
    assert "stattgefunden, 75 Minuten" in shown and "durchgeführt" not in shown


def test_list_upcoming_first_then_past(clerk, app):
    for key, days in (("a", 20), ("b", 8), ("c", 12)):
        submit(clerk, key, appointment_date=working_day_after(today(), days).isoformat())
    past = db.session.scalar(
        select(InterpreterRequest).where(InterpreterRequest.submission_key == "c")
    )
    past.appointment_date = today() - timedelta(days=40)
    db.session.commit()
    page = clerk.get("/gemeinde/2581/dolmetschen").get_data(as_text=True)
    order = re.findall(r">(D-\d{4}-\d{5})</a>", page)
    by_key = {r.submission_key: r.number for r in db.session.scalars(select(InterpreterRequest))}
    assert order == [by_key["b"], by_key["a"], by_key["c"]]


def test_order_again_prefills_all_but_the_date(clerk):
    submit(clerk)
    number = db.session.scalar(select(InterpreterRequest.number))
    page = clerk.get(f"{FORM}?vorlage={number}").get_data(as_text=True)
    assert 'value="Sitzungszimmer 2"' in page and 'value="Dossier 2026-117"' in page
    assert '<option selected value="ti">' in page or 'value="ti" selected' in page
    assert re.search(r'<input id="appointment_date"[^>]*value=""', page)


def test_the_phone_comes_from_own_details_and_where_it_is_missing_the_form_says_so(
    clerk, olten_user
):
    hint = "Hinterlegen Sie Ihre Nummer unter «Meine Angaben»"
    assert hint in clerk.get(FORM).text
    olten_user.phone = "062 206 11 99"
    db.session.commit()
    page = clerk.get(FORM).text
    assert 'value="062 206 11 99"' in page and hint not in page
    assert 'value="062 206 11 99"' in clerk.get("/gemeinde/2581/bestellungen/neu/material").text


def test_retention_removes_free_texts_and_keeps_counts(clerk, app):
    submit(clerk)
    request = db.session.scalar(select(InterpreterRequest))
    request.appointment_date = today() - timedelta(days=400)
    request.held = True
    request.status = InterpreterStatus.DONE
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["dolmetschen", "aufraeumen"])
    assert result.exit_code == 0, result.output
    assert request.number in result.output
    request = db.session.get(InterpreterRequest, request.id)
    assert request.reference == "" and request.preparation_notes == ""
    assert request.country_of_origin == "" and request.redacted_at is not None
    assert request.held and request.language_code == "ti"
    assert dolmetschen.held_count(request.municipality_id, date(2000, 1, 1), today()) == 1
    again = app.test_cli_runner().invoke(args=["dolmetschen", "aufraeumen"])
    assert "0 Bestellungen" in again.output


def test_retention_removes_the_reason_of_a_cancellation_too(clerk, app, olten_user):
    submit(clerk)
    request = db.session.scalar(select(InterpreterRequest))
    dolmetschen.cancel(request, olten_user, "Familie ist umgezogen")
    request.appointment_date = today() - timedelta(days=400)
    db.session.commit()
    app.test_cli_runner().invoke(args=["dolmetschen", "aufraeumen"])
    db.session.expire_all()
    request = db.session.get(InterpreterRequest, request.id)
    assert request.cancel_reason == "" and request.status is InterpreterStatus.CANCELLED
    assert [event.note for event in request.events if event.status.value == "storniert"] == [""]


def test_retention_keeps_recent_orders(clerk, app):
    submit(clerk)
    app.test_cli_runner().invoke(args=["dolmetschen", "aufraeumen", "--tage", "365"])
    assert db.session.scalar(select(InterpreterRequest)).reference == "Dossier 2026-117"


def test_another_municipality_gets_404(app, olten_user, grenchen_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit(clerk)
    number = db.session.scalar(select(InterpreterRequest.number))
    other = app.test_client()
    log_in(other, "clerk@grenchen.ch")
    for url in (
        f"/dolmetschen/{number}",
        f"/dolmetschen/{number}/bestaetigung",
        "/gemeinde/2581/dolmetschen",
        FORM,
        f"/gemeinde/2546/dolmetschen/neu?vorlage={number}",
        "/kanton/dolmetschen/",
        "/kanton/dolmetschen/export.csv",
        "/kanton/dolmetschen/zahlen",
    ):
        assert other.get(url).status_code == 404, url
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', other.get("/gemeinde/2546").get_data(as_text=True)
    ).group(1)
    for action in ("stornieren", "bestaetigen", "ergebnis"):
        assert (
            other.post(f"/dolmetschen/{number}/{action}", data={"csrf_token": token}).status_code
            == 404
        )


def test_canton_overview_export_and_counts(app, kanton_user, olten_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit(clerk, "a")
    submit(clerk, "b", language="ar")
    held = db.session.scalar(
        select(InterpreterRequest).where(InterpreterRequest.submission_key == "a")
    )
    held.appointment_date, held.held = date(2026, 3, 10), True
    db.session.commit()
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    page = canton.get("/kanton/dolmetschen/?sprache=ar").get_data(as_text=True)
    assert len(re.findall(r">(D-\d{4}-\d{5})</a>", page)) == 1
    page = canton.get("/kanton/dolmetschen/?monat=2026-03").get_data(as_text=True)
    assert re.findall(r">(D-\d{4}-\d{5})</a>", page) == [held.number]
    csv_text = canton.get("/kanton/dolmetschen/export.csv").get_data().decode()
    assert csv_text.startswith("\ufeffNummer;") and "Tigrinya" in csv_text
    header, *rows = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=";")
    row = {line[0]: dict(zip(header, line, strict=True)) for line in rows}[held.number]
    assert (row["Datum"], row["Beginn"]) == ("10.03.2026", held.start_time.strftime("%H:%M"))
    assert row["Bestellt am"] == local_time(held.created_at).strftime("%d.%m.%Y %H:%M")
    xlsx = canton.get("/kanton/dolmetschen/export.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active
    cells = {line[0].value: line for line in sheet.iter_rows(min_row=2)}[held.number]
    assert cells[header.index("Datum")].value == datetime(2026, 3, 10)
    assert cells[header.index("Datum")].number_format == "dd.mm.yyyy"
    assert cells[header.index("Beginn")].value == held.start_time
    counts = canton.get("/kanton/dolmetschen/zahlen?jahr=2026").get_data(as_text=True)
    assert re.search(
        r"<td>Olten</td><td>Olten</td><td class=\"num\">1</td>"
        r"<td class=\"num\">0</td>",
        counts,
    )


def test_canton_list_reads_a_typed_month_and_names_a_filter_it_cannot_read(
    app, kanton_user, olten_user
):
    """Browsers without a month picker show a text field: 03.2026 is read like 2026-03;
    what cannot be read lists nothing and exports nothing, instead of every order."""
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit(clerk, "a")
    submit(clerk, "b")
    march = db.session.scalar(
        select(InterpreterRequest).where(InterpreterRequest.submission_key == "a")
    )
    march.appointment_date = date(2026, 3, 10)
    db.session.commit()
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    numbers = re.compile(r">(D-\d{4}-\d{5})</a>")
    typed = canton.get("/kanton/dolmetschen/?monat=03.2026").get_data(as_text=True)
    assert numbers.findall(typed) == [march.number] and "field-error" not in typed

    broken = {"monat": "März 2026", "status": "erledigt", "sprache": "xx", "gemeinde": "9999"}
    page = canton.get("/kanton/dolmetschen/", query_string=broken).get_data(as_text=True)
    assert errors_beside(page, "monat") == [
        "«März 2026» ist kein Monat: bitte wie 03.2026 angeben."
    ]
    assert errors_beside(page, "status") == ["Unbekannter Status."]
    assert errors_beside(page, "sprache") == ["Unbekannte Sprache."]
    assert errors_beside(page, "gemeinde") == ["Keine Gemeinde mit der BFS-Nummer 9999."]
    assert 'value="März 2026" aria-invalid="true" aria-describedby="monat-error"' in page
    assert numbers.findall(page) == [] and "solange der Filter einen Fehler enthält" in page
    assert "Export CSV" not in page and "Export Excel" not in page
    # Digits that are no number, a month beyond any calendar: named too, not a server error.
    odd = canton.get("/kanton/dolmetschen/", query_string={"gemeinde": "²", "monat": "12.9999"})
    assert errors_beside(odd.get_data(as_text=True), "gemeinde") == ["Unbekannte Gemeinde."]
    assert errors_beside(odd.get_data(as_text=True), "monat") != []
    # The export sends back to the list with the filter's own arguments only.
    response = canton.get("/kanton/dolmetschen/export.csv?monat=2026-13&_anchor=x&_external=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/kanton/dolmetschen/?monat=2026-13"
    listed = canton.get("/kanton/dolmetschen/?sprache=ti&fmt=x")
    assert listed.status_code == 200
    assert 'href="/kanton/dolmetschen/export.csv?sprache=ti"' in listed.get_data(as_text=True)


def test_canton_list_shows_the_upcoming_appointments_soonest_first(app, kanton_user, olten_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    for key in ("later", "sooner", "past"):
        submit(clerk, key)
    later, sooner, past = db.session.scalars(
        select(InterpreterRequest).order_by(InterpreterRequest.id)
    )
    later.appointment_date = working_day_after(today(), 9)
    past.appointment_date = today() - timedelta(days=2)
    db.session.commit()
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")

    def numbers(**params) -> list[str]:
        page = canton.get("/kanton/dolmetschen/", query_string=params).text
        return re.findall(r">(D-\d{4}-\d{5})</a>", page)

    assert numbers() == [later.number, sooner.number, past.number]
    assert numbers(termine="kommende") == [sooner.number, later.number]
    assert numbers(termine="vergangene") == [past.number]
    page = canton.get("/kanton/dolmetschen/?termine=morgen").text
    assert errors_beside(page, "termine") == ["Bitte «kommende» oder «vergangene» wählen."]
    assert 'href="/kanton/dolmetschen/export.csv?termine=kommende"' in (
        canton.get("/kanton/dolmetschen/?termine=kommende").text
    )


@pytest.mark.parametrize("year, status", [(2016, 404), (2017, 200), (99999, 404)])
def test_counts_exist_from_the_first_year_to_next_year(canton, year, status):
    assert canton.get(f"/kanton/dolmetschen/zahlen?jahr={year}").status_code == status
    next_year = today().year + 1
    assert canton.get(f"/kanton/dolmetschen/zahlen?jahr={next_year}").status_code == 200


def test_counts_per_half_year_list_the_municipalities_the_german_way(app, kanton_user):
    """Bärschwil before Beinwil and Breitenbach (the database's order put umlauts after z)."""
    for bfs_nr in (2613, 2611, 2612):  # Breitenbach, Bärschwil, Beinwil (SO)
        email = f"clerk{bfs_nr}@gemeinde.ch"
        make_user(email, bfs_nr)
        clerk = app.test_client()
        log_in(clerk, email)
        submit(clerk, key=str(bfs_nr), url=f"/gemeinde/{bfs_nr}/dolmetschen/neu")
    for booking in db.session.scalars(select(InterpreterRequest)):
        booking.appointment_date, booking.held = date(2026, 3, 10), True
    db.session.commit()
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    page = canton.get("/kanton/dolmetschen/zahlen?jahr=2026").get_data(as_text=True)
    listed = re.findall(r"<tr><td>([^<]+)</td><td>Thierstein</td>", page)
    assert listed == ["Bärschwil", "Beinwil (SO)", "Breitenbach"]


def test_where_the_pages_ask_to_call_heks_they_give_its_number(app, clerk):
    listed = clerk.get("/gemeinde/2581/dolmetschen").text
    assert "rufen Sie bitte zusätzlich HEKS Linguadukt an." in listed and "tel:" not in listed
    app.config["HEKS_PHONE"] = "044 360 88 10"
    try:
        listed = clerk.get("/gemeinde/2581/dolmetschen").text
        assert (
            'zusätzlich HEKS Linguadukt (Telefon <a class="nowrap" href="tel:0443608810">'
            "044 360 88 10</a>) an." in listed
        )
        short = post_form(
            clerk,
            FORM,
            {
                **booking_data(appointment_date=working_day_after(today(), 1).isoformat()),
                "called_heks": "y",
                "action": "check",
            },
        ).text
        assert "Dringend:" in short and 'href="tel:0443608810"' in short
    finally:
        app.config["HEKS_PHONE"] = ""
