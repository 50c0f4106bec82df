"""The XLSX exports: a real reader (openpyxl) opens what XlsxWriter streams, with values, a bold
header row that stays in view, and typed text kept as text."""

import io
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
