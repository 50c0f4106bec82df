"""The streaming XLSX writer of the exports: a real reader (openpyxl) opens what it writes."""

import io
from decimal import Decimal

import openpyxl

from orders.services import xlsx


def test_workbook_opens_with_values_header_and_frozen_row():
    buffer = io.BytesIO()
    rows = [
        ["B-2026-00001", "Müller & Söhne <AG>", 42, Decimal("1.5"), None, ""],
        ["B-2026-00002", "Steuerzeichen\x01weg", 0, 2.25, True, "ok"],
    ]
    xlsx.write(
        buffer, ["Nummer", "Name", "Menge", "Betrag", "Ja", "Text"], iter(rows), "Bestellungen"
    )
    buffer.seek(0)
    workbook = openpyxl.load_workbook(buffer)
    sheet = workbook["Bestellungen"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Nummer", "Name", "Menge", "Betrag", "Ja", "Text"]
    assert values[1] == ["B-2026-00001", "Müller & Söhne <AG>", 42, 1.5, None, None]
    assert values[2] == ["B-2026-00002", "Steuerzeichenweg", 0, 2.25, True, "ok"]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
