"""End to end in real headless Chromium: canton staff upload a document in two languages; a
Gemeinde user finds it by language and downloads it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.services import dokumente, outbox
from orders.services.demo_library import minimal_pdf
from tests.conftest import PASSWORD, make_user, text_body

pytestmark = pytest.mark.browser

GERMAN = minimal_pdf("Einladung zum Erstinformationsgespräch", ["Deutsch"])
TIGRINYA = minimal_pdf("Einladung zum Erstinformationsgespräch", ["Tigrinya"])


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_canton_uploads_two_languages_and_a_clerk_finds_and_downloads_by_language(
    live_server, browser, page
):
    make_user("koordination@kanton.ch", name="Karin Koordination")
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    dokumente.seed_chapters()

    # Canton staff upload the invitation letter in German ...
    log_in(page, live_server, "koordination@kanton.ch")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Dokumente"
    ).click()
    page.get_by_role("link", name="Dokument hochladen").click()
    page.get_by_label("Titel").fill("Einladungsbrief zum Erstinformationsgespräch")
    page.get_by_label("Beschreibung").fill("Vorlage für die Einladung, mit Dolmetschhinweis.")
    page.get_by_label("Kapitel").select_option(label="– 1.3 Vorbereitung Erstinfogespräch")
    page.get_by_label("Sprache der Datei").select_option(label="Deutsch")
    page.get_by_label("Datei", exact=True).set_input_files(
        {"name": "Einladungsbrief_de.pdf", "mimeType": "application/pdf", "buffer": GERMAN}
    )
    page.get_by_role("button", name="Hochladen").click()
    expect(
        page.get_by_text("«Einladungsbrief zum Erstinformationsgespräch» ist in der Bibliothek.")
    ).to_be_visible()

    # ... and adds the Tigrinya version.
    page.get_by_label("Sprache", exact=True).select_option(label="Tigrinya")
    page.get_by_label("Datei", exact=True).set_input_files(
        {"name": "Einladungsbrief_ti.pdf", "mimeType": "application/pdf", "buffer": TIGRINYA}
    )
    page.get_by_role("button", name="Datei hochladen").click()
    expect(page.get_by_text("Die Fassung «Tigrinya» ist gespeichert.")).to_be_visible()
    expect(page.get_by_role("cell", name="Einladungsbrief_ti.pdf")).to_be_visible()

    # A clerk of Olten looks for everything in Tigrinya and downloads the letter.
    clerk = browser.new_context(locale="de-CH", accept_downloads=True).new_page()
    log_in(clerk, live_server, "clerk@olten.ch")
    expect(clerk.get_by_role("heading", name="Gemeinde Olten")).to_be_visible()
    clerk.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Dokumente"
    ).click()
    expect(clerk.get_by_role("heading", name="Dokumente", exact=True)).to_be_visible()
    clerk.get_by_label("Sprache").select_option(label="Tigrinya")
    clerk.get_by_role("button", name="Suchen").click()
    expect(clerk.get_by_text("1 Dokument gefunden in Tigrinya")).to_be_visible()
    document = clerk.get_by_role("article").filter(has_text="Einladungsbrief")
    expect(document.get_by_text("Neu", exact=True)).to_be_visible()
    expect(document.get_by_role("link", name="Deutsch")).to_have_count(0)
    with clerk.expect_download() as download_info:
        document.get_by_role("link", name="Tigrinya").click()
    download = download_info.value
    assert download.suggested_filename == "Einladungsbrief_ti.pdf"
    assert Path(download.path()).read_bytes() == TIGRINYA
    clerk.context.close()


def test_canton_writes_checks_and_sends_an_infomail_to_one_bezirk(live_server, smtp_server, page):
    make_user("koordination@kanton.ch", name="Karin Koordination")
    make_user("ib@olten.ch", 2581, name="Ida Olten")
    make_user("ib@grenchen.ch", 2546, name="Gina Grenchen")

    log_in(page, live_server, "koordination@kanton.ch")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Vernetzung"
    ).click()
    page.get_by_role("navigation", name="Vernetzung").get_by_role("link", name="Infomails").click()
    page.get_by_role("link", name="Infomail schreiben").click()
    page.get_by_label("Betreff").fill("Vernetzungstreffen Bezirk Olten")
    page.get_by_label("Text").fill(
        "Liebe Integrationsverantwortliche\n\nDas Treffen ist am 3. März."
    )
    page.get_by_label("Nur die Gemeinden ausgewählter Bezirke").check()
    page.get_by_label("Olten", exact=True).check()
    page.get_by_role("button", name="Weiter zur Kontrolle").click()
    expect(page.get_by_role("heading", name="Bitte prüfen Sie die Infomail")).to_be_visible()
    page.get_by_role("button", name="Infomail an 1 Person senden").click()
    expect(
        page.get_by_text("«Vernetzungstreffen Bezirk Olten» ist an 1 Person im Postausgang.")
    ).to_be_visible()
    expect(page.get_by_text("Das Treffen ist am 3. März.")).to_be_visible()

    assert outbox.deliver_due().sent == 1
    [mail] = smtp_server.messages
    assert mail["X-Envelope-To"] == "ib@olten.ch"
    assert "Liebe Integrationsverantwortliche\n\nDas Treffen ist am 3. März." in text_body(
        mail
    ).replace("\r\n", "\n")
