"""Vernetzung: the canton announces network meetings, the invited municipal staff register and
unregister, those registered hear of changes and cancellations with calendar files; and the
contact list of the municipalities."""

import csv
import io
import re
from datetime import time, timedelta

import openpyxl
import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import AuditEvent, MeetingRegistration, NetworkMeeting, OutboxMail, User
from orders.services import deadlines, outbox, vernetzung
from tests.conftest import log_in, make_user, municipality, post_form, text_body
from tests.test_dolmetschen import errors_of

NEW = "/kanton/vernetzung/neu"


def in_days(days: int):
    return deadlines.today_local() + timedelta(days=days)


def meeting_form(**changes) -> dict:
    return {
        "submission_key": "form-1",
        "title": "Vernetzungstreffen Olten-Gösgen",
        "day": in_days(20).strftime("%d.%m.%Y"),
        "starts_at": "14:00",
        "ends_at": "16:30",
        "place": "Stadthaus Olten, Saal 3",
        "description": "Austausch zu den Erstinfogesprächen.",
        "audience": "bezirke",
        "bezirke": ["Olten", "Gösgen"],
        "registration_until": "",
        **changes,
    }


def announce(bezirke=(), **values) -> NetworkMeeting:
    """A meeting placed by the service, as the canton's form would."""
    organiser = db.session.scalar(select(User).where(User.email == "koordination@kanton.ch"))
    data = vernetzung.MeetingData(
        title=values.get("title", "Vernetzungstreffen"),
        day=values.get("day", in_days(20)),
        starts_at=values.get("starts_at", time(14, 0)),
        ends_at=values.get("ends_at", time(16, 0)),
        place=values.get("place", "Rathaus Balsthal"),
        description="",
        bezirke=list(bezirke),
        registration_until=values.get("registration_until"),
    )
    return vernetzung.create(data, organiser or make_user("koordination@kanton.ch"))


def calendar_of(mail: OutboxMail) -> Calendar:
    [attachment] = mail.attachments
    assert attachment.content_type.startswith("text/calendar")
    return Calendar.from_ical(attachment.data)


def mails_of(kind: str) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.kind == kind)))


def test_the_canton_announces_a_meeting_that_only_the_invited_bezirke_see(app, canton):
    olten = app.test_client()
    make_user("ib@olten.ch", 2581)  # Bezirk Olten
    log_in(olten, "ib@olten.ch")
    grenchen = app.test_client()
    make_user("ib@grenchen.ch", 2546)  # Bezirk Lebern
    log_in(grenchen, "ib@grenchen.ch")

    response = post_form(canton, NEW, meeting_form())
    assert response.status_code == 303
    meeting = db.session.scalar(select(NetworkMeeting))
    assert meeting.bezirke == ["Gösgen", "Olten"] and meeting.place == "Stadthaus Olten, Saal 3"
    assert meeting.starts_at == time(14, 0) and meeting.ends_at == time(16, 30)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.create"))
    assert event.detail["title"] == "Vernetzungstreffen Olten-Gösgen"

    listed = olten.get("/vernetzung").text
    assert "Vernetzungstreffen Olten-Gösgen" in listed and "14:00–16:30 Uhr" in listed
    assert "Gemeinden der Bezirke Gösgen, Olten" in listed
    page = olten.get(f"/vernetzung/{meeting.id}").text
    assert (
        "Austausch zu den Erstinfogesprächen." in page
        and ">Für das Treffen anmelden</button>" in page
    )

    assert "Olten-Gösgen" not in grenchen.get("/vernetzung").text
    assert grenchen.get(f"/vernetzung/{meeting.id}").status_code == 404
    assert grenchen.post(f"/vernetzung/{meeting.id}/anmelden").status_code in (400, 404)


def test_a_form_sent_twice_announces_one_meeting(canton):
    assert post_form(canton, NEW, meeting_form()).status_code == 303
    assert post_form(canton, NEW, meeting_form()).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(NetworkMeeting)) == 1


def test_bad_input_is_named_beside_its_field_and_what_was_typed_stays(canton):
    response = post_form(
        canton,
        NEW,
        meeting_form(
            title="",
            place="Rathaus Solothurn",
            day=in_days(-1).strftime("%d.%m.%Y"),
            ends_at="13:00",
            bezirke=[],
            registration_until=in_days(30).strftime("%d.%m.%Y"),
        ),
    )
    page = response.text
    assert response.status_code == 200
    assert errors_of(page, "title") == ["Bitte geben Sie einen Titel ein."]
    assert "Das Datum liegt in der Vergangenheit" in errors_of(page, "day")[0]
    assert errors_of(page, "ends_at") == ["Das Ende muss nach dem Beginn liegen."]
    assert "Bitte wählen Sie mindestens einen Bezirk." in page
    assert errors_of(page, "registration_until") == [
        "Die Anmeldefrist kann nicht nach dem Treffen enden."
    ]
    assert 'value="Rathaus Solothurn"' in page and "Austausch zu den Erstinfogesprächen." in page
    assert db.session.scalar(select(func.count()).select_from(NetworkMeeting)) == 0

    unreadable = post_form(canton, NEW, meeting_form(starts_at="14 Uhr")).text
    assert errors_of(unreadable, "starts_at") == [
        "Bitte geben Sie die Zeit als HH:MM ein, z. B. 14:30."
    ]


PAST_DEADLINE = (
    "Diese Anmeldefrist ist schon abgelaufen; die Anmeldung wäre von Anfang an geschlossen."
    " Bitte wählen Sie heute oder ein späteres Datum."
)


def test_a_deadline_already_past_is_refused_unless_kept_while_editing(canton):
    yesterday = in_days(-1).strftime("%d.%m.%Y")
    page = post_form(canton, NEW, meeting_form(registration_until=yesterday)).text
    assert errors_of(page, "registration_until") == [PAST_DEADLINE]
    assert db.session.scalar(select(func.count()).select_from(NetworkMeeting)) == 0
    today = in_days(0).strftime("%d.%m.%Y")
    assert post_form(canton, NEW, meeting_form(registration_until=today)).status_code == 303

    # The deadline ran out meanwhile: other changes are still saved, a new past one is not.
    meeting = announce(registration_until=in_days(-1))
    edit = f"/kanton/vernetzung/{meeting.id}"
    values = meeting_form(
        title="Treffen (Saal 2)", day=meeting.day.strftime("%d.%m.%Y"), registration_until=yesterday
    )
    assert post_form(canton, edit, values).status_code == 303
    changed = post_form(
        canton, edit, {**values, "registration_until": in_days(-2).strftime("%d.%m.%Y")}
    )
    assert errors_of(changed.text, "registration_until") == [PAST_DEADLINE]
    db.session.expire_all()
    assert meeting.title == "Treffen (Saal 2)" and meeting.registration_until == in_days(-1)


def test_registering_mails_a_calendar_entry_and_a_double_click_registers_once(
    mail_app, smtp_server
):
    meeting = announce(title="Vernetzungstreffen Olten")
    make_user("ib@olten.ch", 2581, name="Ida Olten")
    clerk = mail_app.test_client()
    log_in(clerk, "ib@olten.ch")
    url = f"/vernetzung/{meeting.id}"

    first = post_form(clerk, f"{url}/anmelden", {}, form_url=url)
    assert first.status_code == 303
    second = post_form(clerk, f"{url}/anmelden", {}, form_url=url)
    assert "bereits angemeldet" in clerk.get(second.location).text
    assert db.session.scalar(select(func.count()).select_from(MeetingRegistration)) == 1
    assert "<td>angemeldet</td>" in clerk.get("/vernetzung").text
    assert ">Anmeldung zurückziehen</button>" in clerk.get(url).text

    [confirmation] = mails_of("meeting_registered")
    event = calendar_of(confirmation).walk("VEVENT")[0]
    assert str(event["summary"]) == "Vernetzungstreffen Olten"
    assert event.decoded("dtstart").replace(tzinfo=None).time() == time(14, 0)
    assert str(event["location"]) == "Rathaus Balsthal"
    assert outbox.deliver_due().sent == 1
    [delivered] = smtp_server.to("ib@olten.ch")
    assert delivered["Subject"].startswith("Anmeldung bestätigt: Vernetzungstreffen Olten")
    assert "Sie sind für das folgende Vernetzungstreffen angemeldet" in text_body(delivered)
    assert f"http://portal.test/vernetzung/{meeting.id}" in text_body(delivered)
    assert any(part.get_content_type() == "text/calendar" for part in delivered.walk())


def test_unregistering_withdraws_the_calendar_entry(app, clerk):
    meeting = announce()
    url = f"/vernetzung/{meeting.id}"
    post_form(clerk, f"{url}/anmelden", {}, form_url=url)
    response = post_form(clerk, f"{url}/abmelden", {}, form_url=url)
    assert "Ihre Anmeldung ist zurückgezogen" in clerk.get(response.location).text
    assert db.session.scalar(select(func.count()).select_from(MeetingRegistration)) == 0
    [withdrawal] = mails_of("meeting_unregistered")
    assert calendar_of(withdrawal)["method"] == "CANCEL"
    assert (
        "nicht angemeldet"
        in clerk.get(post_form(clerk, f"{url}/abmelden", {}, form_url=url).location).text
    )


def test_the_list_says_plainly_that_one_is_not_registered_yet(app, clerk):
    announce()
    assert "<td>nicht angemeldet · Anmeldung möglich</td>" in clerk.get("/vernetzung").text


def test_registration_closes_after_its_last_day_and_once_the_meeting_began(app, clerk):
    closed = announce(registration_until=in_days(-1), title="Treffen mit Frist")
    begun = announce(day=in_days(0), starts_at=time(0, 0), ends_at=None, title="Heute")
    for meeting in (closed, begun):
        url = f"/vernetzung/{meeting.id}"
        assert ">Für das Treffen anmelden</button>" not in clerk.get(url).text
        response = post_form(clerk, f"{url}/anmelden", {}, form_url="/vernetzung")
        assert "keine Anmeldung mehr möglich" in clerk.get(response.location).text
    assert "Anmeldung geschlossen" in clerk.get("/vernetzung").text
    assert db.session.scalar(select(func.count()).select_from(MeetingRegistration)) == 0


def next_meeting_on_dashboard(client, bfs_nr: int = 2581) -> str | None:
    page = client.get(f"/gemeinde/{bfs_nr}").text
    found = re.search(r'<p class="next-meeting">(.*?)</p>', page, re.S)
    return found and re.sub(r"\s+", " ", found.group(1))


def test_the_start_page_points_to_the_next_meeting_the_clerk_is_invited_to(app, clerk):
    assert next_meeting_on_dashboard(clerk) is None
    announce(bezirke=["Lebern"], day=in_days(3), title="Nur Lebern")
    vernetzung.cancel(announce(day=in_days(4), title="Abgesagt"), "Krank", make_user("k@so.ch"))
    announce(day=in_days(0), starts_at=time(0, 0), ends_at=None, title="Schon begonnen")
    later = announce(day=in_days(30), title="Später")
    soon = announce(bezirke=["Olten"], day=in_days(9), title="Treffen Olten", place="Stadthaus")
    shown = next_meeting_on_dashboard(clerk)
    assert f'href="/vernetzung/{soon.id}">Treffen Olten</a>' in shown
    assert f"{in_days(9).strftime('%d.%m.%Y')}, 14:00–16:00 Uhr, Stadthaus" in shown
    assert "Anmeldung offen bis zum Beginn" in shown

    post_form(clerk, f"/vernetzung/{soon.id}/anmelden", {}, form_url="/vernetzung")
    assert "Sie sind angemeldet" in next_meeting_on_dashboard(clerk)
    soon.registration_until = in_days(-1)
    db.session.commit()
    assert "Sie sind angemeldet" in next_meeting_on_dashboard(clerk)
    post_form(clerk, f"/vernetzung/{soon.id}/abmelden", {}, form_url="/vernetzung")
    assert next_meeting_on_dashboard(clerk).endswith("Anmeldung geschlossen")
    vernetzung.cancel(soon, "Raum fehlt", make_user("k2@so.ch"))
    assert f'href="/vernetzung/{later.id}">Später</a>' in next_meeting_on_dashboard(clerk)
    # Canton staff looking at Grenchen's page see Grenchen's next meeting (Bezirk Lebern).
    log_in(canton := app.test_client(), "k2@so.ch")
    shown = next_meeting_on_dashboard(canton, 2546)
    assert ">Nur Lebern</a>" in shown and "angemeldet" not in shown and "Anmeldung" not in shown


def test_canton_staff_organise_and_do_not_register(app, canton):
    meeting = announce()
    url = f"/vernetzung/{meeting.id}"
    assert ">Für das Treffen anmelden</button>" not in canton.get(url).text
    assert post_form(canton, f"{url}/anmelden", {}, form_url=url).status_code == 404


def test_a_new_time_is_mailed_to_those_registered_a_new_title_is_not(app, canton, clerk):
    meeting = announce(title="Treffen")
    url = f"/vernetzung/{meeting.id}"
    post_form(clerk, f"{url}/anmelden", {}, form_url=url)
    edit = f"/kanton/vernetzung/{meeting.id}"
    assert "Clerk" in canton.get(edit).text  # the participant list

    values = meeting_form(
        title="Treffen (Programm folgt)",
        day=meeting.day.strftime("%d.%m.%Y"),
        starts_at="14:00",
        ends_at="16:00",
        place="Rathaus Balsthal",
        audience="alle",
        bezirke=[],
    )
    response = post_form(canton, edit, values)
    assert "Die Angaben sind gespeichert." in canton.get(response.location).text
    assert mails_of("meeting_changed") == []

    response = post_form(canton, edit, {**values, "starts_at": "15:00", "ends_at": "17:00"})
    assert "1 Person erhält die Änderung" in canton.get(response.location).text
    [change] = mails_of("meeting_changed")
    event = calendar_of(change).walk("VEVENT")[0]
    assert event["sequence"] == 1 and event.decoded("dtstart").time() == time(15, 0)
    assert "Es gilt neu" in change.body_text and "15:00 bis 17:00 Uhr" in change.body_text
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "meeting.update").order_by(AuditEvent.id)
    ).all()
    assert audit[-1].detail["changes"]["starts_at"] == ["14:00", "15:00"]


def test_a_cancelled_meeting_is_mailed_and_takes_no_registrations(app, canton, clerk):
    meeting = announce(title="Treffen Thal")
    url = f"/vernetzung/{meeting.id}"
    post_form(clerk, f"{url}/anmelden", {}, form_url=url)
    edit = f"/kanton/vernetzung/{meeting.id}"

    refused = post_form(canton, f"{edit}/absagen", {"cancel-reason": ""}, form_url=edit)
    assert refused.status_code == 422 and "Bitte geben Sie einen Grund an." in refused.text
    response = post_form(
        canton, f"{edit}/absagen", {"cancel-reason": "Zu wenige Anmeldungen"}, form_url=edit
    )
    assert (
        "Das Treffen ist abgesagt. 1 Person erhält die Absage" in canton.get(response.location).text
    )
    [cancellation] = mails_of("meeting_cancelled")
    assert cancellation.subject.startswith("ABGESAGT: Treffen Thal")
    assert "Grund: Zu wenige Anmeldungen" in cancellation.body_text
    assert calendar_of(cancellation)["method"] == "CANCEL"
    again = post_form(canton, f"{edit}/absagen", {"cancel-reason": "Doppelt"}, form_url=url)
    assert "Das Treffen ist bereits abgesagt." in canton.get(again.location).text
    assert len(mails_of("meeting_cancelled")) == 1

    assert "abgesagt" in clerk.get("/vernetzung").text
    assert "Grund: Zu wenige Anmeldungen" in clerk.get(url).text
    make_user("ib@daeniken.ch", 2572)
    other = app.test_client()
    log_in(other, "ib@daeniken.ch")
    response = post_form(other, f"{url}/anmelden", {}, form_url=url)
    assert "keine Anmeldung mehr möglich" in other.get(response.location).text


def test_a_cancelled_meeting_can_no_longer_be_changed(app, canton, clerk):
    meeting = announce(title="Treffen Thal")
    url = f"/vernetzung/{meeting.id}"
    post_form(clerk, f"{url}/anmelden", {}, form_url=url)
    edit = f"/kanton/vernetzung/{meeting.id}"
    day = meeting.day
    values = meeting_form(title="Treffen Thal", day=in_days(30).strftime("%d.%m.%Y"))
    vernetzung.cancel(meeting, "Zu wenige Anmeldungen", make_user("k@so.ch"))

    page = canton.get(edit).text
    assert "Grund: Zu wenige Anmeldungen" in page and "lässt sich nicht mehr ändern" in page
    assert ">Speichern</button>" not in page and ">Treffen absagen</button>" not in page
    assert f"/kanton/vernetzung/{meeting.id}/teilnehmende.xlsx" in page
    assert ">Teilnehmende</a>" in canton.get(url).text

    response = post_form(canton, edit, values)  # from a tab left open
    assert response.status_code == 303
    assert "Das Treffen ist abgesagt; seine Angaben lassen sich nicht mehr ändern." in (
        canton.get(response.location).text
    )
    db.session.expire_all()
    assert meeting.day == day and meeting.is_cancelled
    assert mails_of("meeting_changed") == []
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.update"))
    # The rule is the service's, whoever calls it.
    data = vernetzung.MeetingData(
        meeting.title, in_days(40), time(9, 0), None, "Anderswo", "", [], None
    )
    with pytest.raises(vernetzung.MeetingCancelled):
        vernetzung.update(meeting, data, meeting.created_by)


def test_the_participant_list_exports_as_csv_and_xlsx(app, canton):
    meeting = announce()
    for email, bfs_nr, name in (
        ("ib@olten.ch", 2581, "Ida Olten"),
        ("ib@balsthal.ch", 2422, "Ben"),
    ):
        vernetzung.register(meeting, make_user(email, bfs_nr, name=name))
    export = f"/kanton/vernetzung/{meeting.id}/teilnehmende"

    rows = list(
        csv.reader(io.StringIO(canton.get(f"{export}.csv").text.lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0] == vernetzung.PARTICIPANT_COLUMNS
    assert [(row[0], row[2], row[4]) for row in rows[1:]] == [
        ("Balsthal", "Ben", "ib@balsthal.ch"),
        ("Olten", "Ida Olten", "ib@olten.ch"),
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(canton.get(f"{export}.xlsx").data))["Teilnehmende"]
    assert [cell.value for cell in sheet[3]][:3] == ["Olten", "Olten", "Ida Olten"]
    assert canton.get(f"{export}.pdf").status_code == 404


def test_participants_are_sorted_the_german_way(app):
    meeting = announce()
    for email, bfs_nr in (("ib@dulliken.ch", 2573), ("ib@daeniken.ch", 2572)):
        vernetzung.register(meeting, make_user(email, bfs_nr))
    assert [row[0] for row in vernetzung.participant_rows(meeting)] == ["Däniken", "Dulliken"]


def test_the_contact_list_shows_the_contacts_the_canton_keeps_by_bezirk(app, clerk):
    olten = municipality(2581)
    olten.contact_name, olten.contact_phone = "Ida Integration", "062 206 11 11"
    olten.contact_email = "integration@olten.ch"
    member = municipality(2516)
    member.lead = municipality(2517)
    db.session.commit()
    page = clerk.get("/vernetzung/kontakte").text
    olten_part = page[page.index(">Bezirk Olten</h2>") :]
    olten_part = olten_part[: olten_part.index("</table>")]
    assert "<td>Olten</td>" in olten_part and "Ida Integration" in olten_part
    assert olten_part.index("<td>Däniken") < olten_part.index("<td>Dulliken")
    assert 'href="tel:0622061111"' in olten_part and "mailto:integration@olten.ch" in olten_part
    assert 'Deitingen<br><span class="hint">über die Leitgemeinde Derendingen' in page
    # Halten merged into Oekingen's successor at the end of 2025: no longer listed.
    assert "<td>Halten" not in page and "<td>Derendingen</td>" in page
    listed = page.count("<tr>") - page.count("<thead><tr>")
    assert listed == len(vernetzung.contact_list()) > 100


def test_the_invitation_is_proposed_as_an_infomail_to_the_invited_bezirke(app, canton):
    meeting = announce(
        bezirke=["Thal"], title="Vernetzungstreffen Thal", registration_until=in_days(10)
    )
    show = canton.get(f"/vernetzung/{meeting.id}").text
    assert f'href="/kanton/infomails/neu?treffen={meeting.id}"' in show
    page = canton.get(f"/kanton/infomails/neu?treffen={meeting.id}").text
    day = meeting.day.strftime("%d.%m.%Y")
    assert f'value="Einladung: Vernetzungstreffen Thal, {day}"' in page
    assert f"Datum und Zeit: {day}, 14:00–16:00 Uhr" in page
    # The infomail greets each recipient by name («Guten Tag …»): the text starts with the content.
    assert re.search(r"<textarea[^>]*>\s*Wir laden Sie herzlich zum Vernetzungstreffen Thal", page)
    assert f"(bis {in_days(10).strftime('%d.%m.%Y')})" in page
    assert f"http://portal.test/vernetzung/{meeting.id}" in page
    assert is_checked(page, "bezirke") and is_checked(page, "Thal")
    assert not is_checked(page, "Olten") and not is_checked(page, "alle")
    # An unknown or malformed meeting proposes nothing.
    for treffen in ("999999", "x"):
        assert "Einladung:" not in canton.get(f"/kanton/infomails/neu?treffen={treffen}").text


def is_checked(page: str, value: str) -> bool:
    [tag] = re.findall(rf'<input[^>]*value="{value}"[^>]*>', page)
    return " checked" in tag
