"""End to end in real headless Chromium: invite, set password, log in, dashboard, log out."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from orders.extensions import db
from orders.models import InterpreterRequest, Order, OrderStatus, User
from orders.services import outbox
from tests.conftest import PASSWORD, first_link, log_in, make_user

pytestmark = pytest.mark.browser


def test_invite_set_password_login_dashboard_logout(live_server, smtp_server, browser, page):
    make_user("koordination@kanton.ch", name="Karin Koordination")

    # Canton staff invite a clerk of Olten.
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("koordination@kanton.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    page.get_by_role("link", name="Gemeinden").first.click()
    page.get_by_role("link", name="Person einladen").first.click()
    page.get_by_label("E-Mail-Adresse").fill("nora.neu@olten.ch")
    page.get_by_label("Vor- und Nachname").fill("Nora Neu")
    page.get_by_label("Gemeinde", exact=True).select_option(label="Olten (Olten, 2581)")
    page.get_by_role("button", name="Einladung senden").click()
    expect(
        page.get_by_text("Die Einladung an nora.neu@olten.ch ist im Postausgang.")
    ).to_be_visible()

    # The mail worker delivers the invitation to the local SMTP server.
    assert outbox.deliver_due().sent == 1
    [invitation] = smtp_server.to("nora.neu@olten.ch")

    # The invitee sets a password, logs in, sees the dashboard, logs out.
    invitee = browser.new_context(locale="de-CH").new_page()
    invitee.goto(live_server + first_link(invitation))
    expect(invitee.get_by_role("heading", name="Willkommen, Nora Neu")).to_be_visible()
    invitee.get_by_label("Neues Passwort", exact=True).fill("noras-eigenes-passwort")
    invitee.get_by_label("Neues Passwort wiederholen").fill("noras-eigenes-passwort")
    invitee.get_by_role("button", name="Passwort speichern").click()
    expect(invitee.get_by_text("Ihr Passwort ist gespeichert")).to_be_visible()
    expect(invitee.get_by_label("E-Mail-Adresse")).to_have_value("nora.neu@olten.ch")
    invitee.get_by_label("Passwort").fill("noras-eigenes-passwort")
    invitee.keyboard.press("Enter")  # keyboard only
    expect(invitee.get_by_role("heading", name="Gemeinde Olten")).to_be_visible()
    expect(invitee).to_have_url(re.compile(r"/gemeinde/2581$"))
    invitee.get_by_role("button", name="Abmelden").click()
    expect(invitee.get_by_text("Sie sind abgemeldet.")).to_be_visible()
    invitee.goto(f"{live_server}/gemeinde/2581")
    expect(invitee).to_have_url(re.compile(r"/anmelden\?next="))
    invitee.context.close()


def test_order_check_submit_process_and_ship(live_server, smtp_server, browser, page, mail_app):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    make_user("koordination@kanton.ch", name="Karin Koordination")

    # A clerk of Olten orders folders in two languages and two materials.
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Bestellungen").first.click()
    page.get_by_role("link", name="Materialien bestellen").click()
    page.locator("#qty__mappe__de").fill("20")
    page.locator("#qty__mappe__it").fill("4")
    letter = page.locator(".basket-item", has_text="Willkommensbrief")
    letter.get_by_label("Französisch").fill("15")
    courses = page.locator(".basket-item", has_text="Merkblatt Deutschkurse")
    courses.get_by_label("Arabisch").fill("8")
    page.get_by_label("Strasse und Nr. oder Postfach").fill("Dornacherstrasse 1")
    page.get_by_role("button", name="Weiter zur Kontrolle").click()

    expect(page.get_by_role("heading", name="Bitte prüfen Sie Ihre Bestellung")).to_be_visible()
    rows = page.locator("table.lines tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("Willkommensbrief")
    page.get_by_role("button", name="Bestellung absenden").dblclick()

    expect(page.get_by_role("heading", name="Bestellung eingegangen")).to_be_visible()
    number = page.locator(".reference").inner_text()
    assert re.fullmatch(r"B-\d{4}-00001", number)

    # Canton staff find the order and ship it.
    canton = browser.new_context(locale="de-CH").new_page()
    canton.goto(f"{live_server}/anmelden")
    canton.get_by_label("E-Mail-Adresse").fill("koordination@kanton.ch")
    canton.get_by_label("Passwort").fill(PASSWORD)
    canton.get_by_role("button", name="Anmelden").click()
    canton.get_by_role("link", name="Bestellungen").first.click()
    canton.get_by_label("Bestellnummer").fill(number)
    canton.get_by_role("button", name="Filtern").click()
    canton.get_by_role("link", name=number).click()
    for status in ("in Bearbeitung", "versandt"):
        canton.get_by_label("Neuer Status").select_option(label=status)
        canton.get_by_role("button", name="Status speichern").click()
        expect(canton.get_by_text(f"Status «{status}»")).to_be_visible()
    canton.context.close()

    assert outbox.deliver_due().sent == 3
    orderer = [m["Subject"] for m in smtp_server.to("clerk@olten.ch")]
    assert orderer == [f"Bestellung {number} eingegangen", f"Bestellung {number} versandt"]
    [canton_mail] = smtp_server.to(mail_app.config["ORDER_MAIL_TO"])
    assert canton_mail["Reply-To"] == "clerk@olten.ch"
    [attachment] = list(canton_mail.iter_attachments())
    assert "Willkommensbrief;Französisch;15" in attachment.get_payload(decode=True).decode()


def test_interpreter_order_and_cancellation(live_server, smtp_server, page, mail_app):
    from tests.test_dolmetschen import today, working_day_after

    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Dolmetschende").first.click()
    page.get_by_role("link", name="Dolmetschende bestellen").click()

    page.get_by_label("Integrationsgespräch", exact=True).check()
    page.get_by_label("Datum").fill(working_day_after(today(), 6).isoformat())
    page.get_by_label("Beginn").fill("09:15")
    page.get_by_label("Voraussichtliche Dauer").select_option(label="90 Minuten")
    # Video hides the on-site fields and asks how the interpreter joins.
    page.get_by_label("Video", exact=True).check()
    expect(page.get_by_label("Raum")).to_be_hidden()
    page.get_by_label("So nimmt die dolmetschende Person teil").fill("Link folgt per E-Mail")
    page.get_by_label("Sprache", exact=True).select_option(label="Dari")
    page.get_by_label("Telefon, unter dem HEKS Sie erreicht").fill("062 206 11 12")
    page.get_by_label("Referenz der Gemeinde").fill("Dossier 88")
    page.get_by_role("button", name="Weiter zur Kontrolle").click()
    expect(page.get_by_role("heading", name="Bitte prüfen Sie Ihre Bestellung")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Dari")
    page.get_by_role("button", name="Bestellung absenden").click()
    expect(page.get_by_role("heading", name="Bestellung an HEKS übermittelt")).to_be_visible()
    number = page.locator(".reference").inner_text()

    page.get_by_role("link", name="Bestellung ansehen").click()
    page.get_by_label("Grund (geht an HEKS)").fill("Gespräch verschoben")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Einsatz stornieren").click()
    assert len(questions) == 1 and number in questions[0] and "HEKS Linguadukt" in questions[0]
    expect(page.get_by_role("button", name="Einsatz stornieren")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Einsatz stornieren").click()
    expect(page.get_by_text("Der Einsatz ist storniert")).to_be_visible()

    outbox.deliver_due()
    heks = [m["Subject"] for m in smtp_server.to(mail_app.config["HEKS_MAIL_TO"])]
    assert len(heks) == 2
    assert heks[0].startswith(f"Dolmetschbestellung {number}") and heks[0].endswith("Dari, Olten")
    assert heks[1].startswith(f"STORNIERUNG Dolmetschbestellung {number}")


def test_recording_an_outcome_says_what_is_missing_beside_the_field(live_server, page, mail_app):
    """The outcome form is checked by the portal, not stopped by the browser: nothing chosen
    gives the German message beside the question."""
    from tests.test_dolmetschen import submit, today

    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    submit(client)
    booking = db.session.scalar(select(InterpreterRequest))
    booking.appointment_date = today() - timedelta(days=2)
    db.session.commit()

    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server}/dolmetschen/{booking.number}")
    page.get_by_label("Tatsächliche Dauer in Minuten").fill("75")
    page.get_by_role("button", name="Ergebnis speichern").click()
    # Said at the top, where the page opens, and beside the question.
    expect(page.locator(".error-summary")).to_contain_text("Bitte wählen Sie Ja oder Nein.")
    expect(page.locator(".error-summary")).to_be_in_viewport()
    expect(page.locator("#held-error")).to_contain_text("Bitte wählen Sie Ja oder Nein.")
    expect(page.get_by_label("Tatsächliche Dauer in Minuten")).to_have_value("75")
    page.get_by_label("Ja", exact=True).check()
    page.get_by_role("button", name="Ergebnis speichern").click()
    expect(page.get_by_text("Das Ergebnis ist erfasst.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(InterpreterRequest, booking.id).actual_duration_minutes == 75


def _an_order_of_olten_opened_in(page, live_server, mail_app) -> Order:
    """Clara Clerk of Olten has ordered; the page shows her order."""
    from tests.test_bestellungen import submit

    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    submit(client)
    order = db.session.scalar(select(Order))

    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server}/bestellungen/{order.number}")
    return order


def test_cancelling_an_order_asks_first(live_server, page, mail_app):
    order = _an_order_of_olten_opened_in(page, live_server, mail_app)

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Bestellung stornieren").click()
    assert questions == [
        f"Bestellung {order.number} wirklich stornieren? Das kann nicht rückgängig gemacht werden."
    ]
    expect(page.get_by_role("button", name="Bestellung stornieren")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.RECEIVED

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Bestellung stornieren").click()
    expect(page.get_by_text(f"Die Bestellung {order.number} ist storniert.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED


def test_without_javascript_cancelling_an_order_asks_on_a_page(live_server, browser, mail_app):
    context = browser.new_context(locale="de-CH", java_script_enabled=False)
    page = context.new_page()
    order = _an_order_of_olten_opened_in(page, live_server, mail_app)

    reason = page.get_by_label("Grund der Stornierung (freiwillig)")
    reason.fill("doppelt bestellt")
    page.get_by_role("button", name="Bestellung stornieren").click()
    question = f"Bestellung {order.number} stornieren?"
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.RECEIVED

    page.get_by_role("link", name="Nein, zurück").click()
    expect(page.get_by_role("heading", name=f"Bestellung {order.number}")).to_be_visible()
    reason.fill("doppelt bestellt")
    page.get_by_role("button", name="Bestellung stornieren").click()
    expect(reason).to_have_value("doppelt bestellt")
    page.get_by_role("button", name="Ja, Bestellung stornieren").click()
    expect(page.get_by_text(f"Die Bestellung {order.number} ist storniert.")).to_be_visible()
    db.session.expire_all()
    cancelled = db.session.get(Order, order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.cancel_reason == "doppelt bestellt"
    context.close()


def test_deactivating_an_account_asks_first(live_server, page, mail_app):
    make_user("koordination@kanton.ch")
    clerk = make_user("clerk@olten.ch", 2581, name="Olga Olten")
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("koordination@kanton.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server}/kanton/benutzer/{clerk.id}")

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Konto deaktivieren").click()
    assert len(questions) == 1 and questions[0].startswith("Konto von Olga Olten deaktivieren?")
    expect(page.get_by_role("button", name="Konto deaktivieren")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(User, clerk.id).active

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Konto deaktivieren").click()
    expect(page.get_by_text("Das Konto von Olga Olten ist deaktiviert")).to_be_visible()
    db.session.expire_all()
    assert not db.session.get(User, clerk.id).active
