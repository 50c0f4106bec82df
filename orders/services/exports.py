"""Streamed exports of orders as CSV and XLSX: memory stays flat however many orders match."""

import csv
import io
import os
import tempfile
from collections.abc import Iterator

import xlsxwriter
from flask import Response, send_file, stream_with_context
from sqlalchemy import Select

from orders.extensions import db
from orders.services.bestellungen import EXPORT_COLUMNS, line_rows, with_details

BATCH = 500


def _orders(statement: Select) -> Iterator:
    """Orders in batches, their lines and municipalities loaded per batch (constant queries
    per batch, not per order)."""
    return db.session.scalars(with_details(statement).execution_options(yield_per=BATCH))


def csv_response(statement: Select, filename: str) -> Response:
    """UTF-8 with BOM and semicolons: Excel in Switzerland opens it with umlauts intact."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        buffer.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
        for count, row in enumerate(line_rows(_orders(statement)), start=1):
            writer.writerow(row)
            if count % BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def xlsx_response(statement: Select, filename: str) -> Response:
    """Written row by row to a temporary file (XlsxWriter's constant-memory mode), then sent."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook = xlsxwriter.Workbook(
        handle, {"constant_memory": True, "in_memory": False, "tmpdir": tempfile.gettempdir()}
    )
    sheet = workbook.add_worksheet("Bestellungen")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, EXPORT_COLUMNS, bold)
    sheet.freeze_panes(1, 0)
    for row_number, row in enumerate(line_rows(_orders(statement)), start=1):
        sheet.write_row(row_number, 0, row)
    workbook.close()
    handle.seek(0, os.SEEK_SET)
    return send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=filename,
    )
