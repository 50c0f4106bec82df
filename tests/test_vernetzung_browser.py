"""End to end in real headless Chromium: the canton announces a network meeting for one Bezirk
and proposes the invitation as an infomail; a clerk of that Bezirk registers and gets the
confirmation with a calendar file over SMTP."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from orders.services import deadlines, outbox
from tests.conftest import make_user, text_body
from tests.test_dokumente_browser import log_in

pytestmark = pytest.mark.browser


def test_canton_announces_a_meeting_and_a_clerk_registers(live_server, browser, smtp_server):
    make_user("koordination@kanton.ch", name="Karin Koordination")
    make_user("ib@olten.ch", 2581, name="Ida Olten")
    day = deadlines.today_local() + timedelta(days=21)

    canton = browser.new_context(locale="de-CH").new_page()
    log_in(canton, live_server, "koordination@kanton.ch")
    canton.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Vernetzung"
    ).click()
    canton.get_by_role("link", name="Treffen ankündigen").click()
    canton.get_by_label("Titel").fill("Vernetzungstreffen Olten")
    canton.get_by_label("Datum").fill(day.isoformat())
    canton.get_by_label("Beginn").fill("14:00")
    canton.get_by_label("Ende (freiwillig)").fill("13:00")
    canton.get_by_label("Ort (Adresse, Raum)").fill("Stadthaus Olten")
    canton.get_by_label("Nur die Gemeinden ausgewählter Bezirke").check()
    canton.get_by_label("Olten", exact=True).check()
    canton.get_by_role("button", name="Treffen ankündigen").click()
    # The end before the start is named beside the field; what was typed stays.
    expect(canton.get_by_text("Das Ende muss nach dem Beginn liegen.").first).to_be_visible()
    expect(canton.get_by_label("Ort (Adresse, Raum)")).to_have_value("Stadthaus Olten")
    canton.get_by_label("Ende (freiwillig)").fill("16:30")
    canton.get_by_role("button", name="Treffen ankündigen").click()
    expect(canton.get_by_text("«Vernetzungstreffen Olten» ist angekündigt.")).to_be_visible()
    canton.get_by_role("link", name="Einladung als Infomail schreiben").click()
    expect(canton.get_by_label("Betreff")).to_have_value(
        f"Einladung: Vernetzungstreffen Olten, {day:%d.%m.%Y}"
    )
    expect(canton.get_by_label("Olten", exact=True)).to_be_checked()

    clerk = browser.new_context(locale="de-CH").new_page()
    log_in(clerk, live_server, "ib@olten.ch")
    clerk.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Vernetzung"
    ).click()
    clerk.get_by_role("link", name="Vernetzungstreffen Olten").click()
    clerk.get_by_role("button", name="Für das Treffen anmelden").dblclick()
    expect(clerk.get_by_text("Sie sind angemeldet.")).to_be_visible()
    expect(clerk.get_by_role("button", name="Anmeldung zurückziehen")).to_be_visible()

    assert outbox.deliver_due().sent == 1  # the double click registered once
    [mail] = smtp_server.to("ib@olten.ch")
    assert mail["Subject"] == f"Anmeldung bestätigt: Vernetzungstreffen Olten, {day:%d.%m.%Y}"
    assert "14:00 bis 16:30 Uhr" in text_body(mail)
    [calendar] = [part for part in mail.walk() if part.get_content_type() == "text/calendar"]
    assert "SUMMARY:Vernetzungstreffen Olten" in calendar.get_content()

    canton.goto(f"{live_server}/vernetzung")
    expect(canton.get_by_role("cell", name="1 Person")).to_be_visible()
