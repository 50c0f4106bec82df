"""The XLSX exports: a real reader (openpyxl) opens what XlsxWriter streams, with values, a bold
header row that stays in view, and typed text kept as text."""

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import openpyxl

from orders.services import exports


def test_workbook_opens_with_values_header_and_frozen_row(app):
    rows = [
        ["B-2026-00001", "Müller & Söhne <AG>", 42, Decimal("1.5"), None, ""],
        ["B-2026-00002", "=1+1", 0, 2.25, True, "https://evil.example"],
    ]
    columns = ["Nummer", "Name", "Menge", "Betrag", "Ja", "Text"]
    with app.test_request_context():
        response = exports.xlsx_response(columns, iter(rows), "test.xlsx", "Bestellungen")
        response.direct_passthrough = False
        data = response.get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Bestellungen"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == columns
    assert values[1] == ["B-2026-00001", "Müller & Söhne <AG>", 42, 1.5, None, None]
    assert values[2] == ["B-2026-00002", "=1+1", 0, 2.25, True, "https://evil.example"]
    assert sheet["B3"].data_type == "s"  # a text, not a formula
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"


def test_dates_and_times_are_date_cells_in_swiss_time_and_columns_fit(app):
    """The canton sorts and filters by date in Excel: a point in time (stored in UTC) is a date
    cell in Swiss time, a day a date cell, a time of day a time cell; the header row has
    filters, and the columns are as wide as what they hold."""
    ordered = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 on 29 March in Solothurn
    rows = [[ordered, date(2027, 1, 15), time(9, 30), "Gemeindeverwaltung Olten, Einwohneramt"]]
    columns = ["Datum", "Liefertermin", "Beginn", "Empfänger"]
    with app.test_request_context():
        response = exports.xlsx_response(columns, iter(rows), "test.xlsx", "Bestellungen")
        response.direct_passthrough = False
        data = response.get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Bestellungen"]
    assert [cell.value for cell in sheet[2]] == [
        datetime(2026, 3, 29, 0, 30),
        datetime(2027, 1, 15),
        time(9, 30),
        "Gemeindeverwaltung Olten, Einwohneramt",
    ]
    assert [cell.number_format for cell in sheet[2]][:3] == [
        "dd.mm.yyyy hh:mm",
        "dd.mm.yyyy",
        "hh:mm",
    ]
    assert sheet.auto_filter.ref == "A1:D2"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] >= len("29.03.2026 00:30") and widths["B"] >= len("Liefertermin")
    assert widths["D"] >= len(rows[0][3]) > widths["C"]


def test_csv_writes_dates_as_swiss_text():
    text = exports.csv_text(
        ["Datum", "Termin", "Beginn", "Bemerkungen"],
        [[datetime(2026, 7, 1, 6, 5, tzinfo=UTC), date(2026, 7, 3), time(14, 0), "-5 Stück"]],
    )
    assert text == (
        "\ufeffDatum;Termin;Beginn;Bemerkungen\r\n01.07.2026 08:05;03.07.2026;14:00;'-5 Stück\r\n"
    )
