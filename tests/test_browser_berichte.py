"""End to end in real headless Chromium: a half-year report drafted, the session expired while
typing, logged in again and nothing lost, the connection lost on saving and the input offered
back, the claim computed while typing, submitted, receipt shown."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from orders.extensions import db
from orders.models import InterpreterRequest, LoginSession
from orders.models.types import utcnow
from orders.services import deadlines, outbox
from tests.conftest import PASSWORD, make_user
from tests.conftest import log_in as client_log_in
from tests.test_berichte import ended_period, the_report
from tests.test_dolmetschen import submit as submit_interpreter

pytestmark = pytest.mark.browser


def log_in(page, live_server: str) -> None:
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_draft_survives_session_expiry_then_submit_and_receipt(
    live_server, smtp_server, page, mail_app
):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    year, half = ended_period()
    # One interpreter-assisted first-information conversation recorded as held in the period.
    helper = mail_app.test_client()
    client_log_in(helper, "clerk@olten.ch")
    submit_interpreter(helper)
    booking = db.session.scalar(select(InterpreterRequest))
    booking.appointment_date, booking.held = deadlines.period_start(year, half), True
    db.session.commit()
    page.goto(f"{live_server}/anmelden")
    log_in(page, live_server)
    page.get_by_role("link", name="Berichte").first.click()
    page.get_by_role("link", name=f"{half}. Halbjahr {year}").click()
    expect(page.get_by_role("heading", name=re.compile("Halbjahresbericht"))).to_be_visible()

    page.get_by_label("Erstinformationsgespräche durchgeführt").fill("12")
    page.get_by_label("Mit Erstinformationsgesprächen erreichte Personen").fill("20")
    page.get_by_label("davon Erstinformationsgespräche mit Dolmetschenden").fill("4")
    # The claim is computed while typing: 12 x 200 + 4 x 160.
    expect(page.locator('[data-claim="total"]')).to_have_text("CHF 3'040.00")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.get_by_text("Der Entwurf ist gespeichert.")).to_be_visible()

    # The session runs out (idle longer than allowed) while the clerk is away.
    db.session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(hours=5)))
    db.session.commit()
    page.get_by_label("Integrationsgespräche durchgeführt").fill("3")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.get_by_text("Ihre Sitzung ist abgelaufen")).to_be_visible()

    # Logged in again: what was typed is sent as it was, and the draft holds old and new.
    log_in(page, live_server)
    page.get_by_role("button", name="Eingaben erneut senden").click()
    expect(page).to_have_url(re.compile(rf"/berichte/{year}/{half}$"))
    expect(page.get_by_label("Erstinformationsgespräche durchgeführt")).to_have_value("12")
    expect(page.get_by_label("davon Erstinformationsgespräche mit Dolmetschenden")).to_have_value(
        "4"
    )
    expect(page.get_by_label("Integrationsgespräche durchgeführt", exact=True)).to_have_value("3")

    # The connection breaks while saving: back on the page, what was typed is offered back,
    # not filled in silently.
    report_url = page.url
    page.route(
        "**/berichte/**",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.get_by_label("Programm S: Integrationsgespräche", exact=True).fill("1")
    page.get_by_role("button", name="Entwurf speichern").click()
    page.wait_for_timeout(500)
    page.unroute("**/berichte/**")
    page.goto(report_url)
    expect(page.get_by_label("Programm S: Integrationsgespräche", exact=True)).to_have_value("")
    page.get_by_role("button", name="Nicht gespeicherte Eingaben wiederherstellen").click()
    expect(page.get_by_label("Programm S: Integrationsgespräche", exact=True)).to_have_value("1")

    for label, value in (
        ("davon Integrationsgespräche mit Dolmetschenden", "0"),
        ("Programm S: Nachbegleitungen", "0"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label(re.compile("unterzeichneten Gesprächsleitfäden")).check()
    expect(page.locator('[data-claim="total"]')).to_have_text("CHF 3'940.00")
    # The held interpreter order is offered, and taken over only on request: 4 becomes 1.
    field = page.get_by_label("davon Erstinformationsgespräche mit Dolmetschenden")
    expect(field).to_have_value("4")
    page.get_by_role("button", name="Zahl übernehmen").click()
    expect(field).to_have_value("1")
    expect(page.locator('[data-claim="total"]')).to_have_text("CHF 3'460.00")
    page.get_by_role("button", name="Weiter zur Kontrolle").click()
    expect(page.get_by_role("heading", name="Bitte prüfen Sie den Bericht")).to_be_visible()
    page.get_by_role("button", name="Bericht einreichen").click()

    expect(page.get_by_role("heading", name=re.compile("eingereicht"))).to_be_visible()
    report = the_report()
    db.session.refresh(report)
    expect(page.locator(".reference")).to_have_text(report.number)
    expect(page.get_by_text("CHF 3'460.00").first).to_be_visible()
    assert report.versions[0].amounts["total"] == 346000
    assert outbox.deliver_due().sent == 4  # the interpreter order and its copy, receipt, canton
    assert smtp_server.to("clerk@olten.ch")


def test_a_form_sent_back_with_its_problems_offers_nothing_to_restore(live_server, page):
    """The page that names the problems holds what was typed (a number as the portal writes
    it): nothing is left unsaved, so nothing is offered for restoring."""
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    year, half = ended_period()
    page.goto(f"{live_server}/anmelden")
    log_in(page, live_server)
    page.goto(f"{live_server}/gemeinde/2581/berichte/{year}/{half}")
    page.get_by_label("Erstinformationsgespräche durchgeführt").fill("1'200")
    page.get_by_label("Mit Erstinformationsgesprächen erreichte Personen").fill("viele")
    page.get_by_role("button", name="Weiter zur Kontrolle").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label("Mit Erstinformationsgesprächen erreichte Personen")).to_have_value(
        "viele"
    )
    expect(page.locator(".unsaved-notice")).to_have_count(0)
    assert page.evaluate("Object.keys(sessionStorage)") == []


def test_the_claim_reads_thousands_separators_as_the_server_does(live_server, page):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    year, half = ended_period()
    page.goto(f"{live_server}/anmelden")
    log_in(page, live_server)
    page.goto(f"{live_server}/gemeinde/2581/berichte/{year}/{half}")
    field = page.get_by_label("Erstinformationsgespräche durchgeführt")
    # Apostrophes, spaces and no-break spaces (forms.fields.THOUSANDS_SEPARATORS): 1000 x 200.
    for typed in ("1'000", "1’000", "1 000", "1\u00a0000", "1\u202f000"):
        field.fill(typed)
        expect(page.locator('[data-claim="total"]')).to_have_text("CHF 200'000.00")
        field.fill("")
        expect(page.locator('[data-claim="total"]')).to_have_text("CHF 0.00")
