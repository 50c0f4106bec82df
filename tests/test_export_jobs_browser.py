"""End to end in real headless Chromium: canton staff press "Export Excel" on the filtered
inbox, wait on the job page while the export worker builds the file, and download it."""

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from orders.services import export_jobs
from tests.conftest import PASSWORD, make_user
from tests.test_kanton_bestellungen import place_orders

pytestmark = pytest.mark.browser


def test_canton_asks_for_the_excel_export_waits_and_downloads_it(live_server, page, mail_app):
    mail_app.config["EXPORTS_IN_REQUEST"] = False  # as in production: a worker builds it
    place_orders(mail_app, 2)  # Olten, four lines each
    place_orders(mail_app, 1, bfs_nr=2546)
    make_user("koordination@kanton.ch", name="Karin Koordination")
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("koordination@kanton.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.goto(f"{live_server}/kanton/bestellungen")
    page.get_by_label("Gemeinde").select_option(label="Olten")
    page.get_by_role("button", name="Filtern").click()
    page.get_by_role("button", name="Export Excel").click()
    expect(page.get_by_text("Die Excel-Datei wird erstellt …")).to_be_visible()
    expect(page.get_by_text("Gemeinde: Olten")).to_be_visible()

    assert export_jobs.run_due_jobs() == 1  # the export worker's round
    # The page refreshes itself and offers the file.
    expect(page.get_by_text("Die Excel-Datei ist bereit: 8 Zeilen.")).to_be_visible(timeout=10_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel-Datei herunterladen").click()
    download = download_info.value
    assert download.suggested_filename.startswith("bestellungen-")
    assert download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))["Bestellungen"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 8 and {row[4] for row in rows[1:]} == {"Olten"}
