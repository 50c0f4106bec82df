"""End to end in real headless Chromium: invite, set password, log in, dashboard, log out."""

import re

import pytest
from playwright.sync_api import expect

from orders.services import outbox
from tests.conftest import PASSWORD, first_link, make_user

pytestmark = pytest.mark.browser


def test_invite_set_password_login_dashboard_logout(live_server, smtp_server, browser, page):
    make_user("koordination@kanton.ch", name="Karin Koordination")

    # Canton staff invite a clerk of Olten.
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("koordination@kanton.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Gemeinden")).to_be_visible()
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
