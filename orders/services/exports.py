"""Streamed exports as CSV and XLSX: memory stays flat however many rows there are."""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

import xlsxwriter
from flask import Response, send_file, stream_with_context
from sqlalchemy import Select

from orders.extensions import db

BATCH = 500

# A cell that begins with one of these is a formula to Excel (OWASP "CSV injection").
FORMULA_STARTS = frozenset("=+-@\t\r")


def _safe_row(row: list) -> list:
    """The row with each text that Excel would run as a formula given a leading apostrophe;
    Excel shows the text as typed. Numbers and dates stay as they are. One comprehension and
    no call per cell: it runs for each of the millions of cells of a full export."""
    return [
        f"'{value}" if isinstance(value, str) and value[:1] in FORMULA_STARTS else value
        for value in row
    ]


def stream(statement: Select) -> Iterator:
    """The statement's objects in batches; eager loads run per batch, not per object.

    A generator: the query runs when the rows are first read, i.e. inside a streamed
    response's own context. Run in the view, its cursor would belong to the request's session,
    which is closed when the view returns and before a CSV response is streamed.
    """
    yield from db.session.scalars(statement.execution_options(yield_per=BATCH))


def csv_response(columns: list[str], rows: Iterable[list], filename: str) -> Response:
    """UTF-8 with BOM and semicolons: Excel in Switzerland opens it with umlauts intact."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        buffer.write("\ufeff")
        writer.writerow(columns)
        for count, row in enumerate(rows, start=1):
            writer.writerow(_safe_row(row))
            if count % BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",  # Werkzeug adds "; charset=utf-8" to a text type
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(handle: IO[bytes], columns: list[str], rows: Iterable[list], sheet_name: str) -> int:
    """Write a workbook of one sheet to an open binary file; return the number of data rows.

    Row by row (XlsxWriter's constant-memory mode), with a bold header row that stays in view.
    Texts stay texts: none becomes a formula or a link, whatever a user typed.
    """
    workbook = xlsxwriter.Workbook(
        handle,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet(sheet_name)
    sheet.write_row(0, 0, columns, workbook.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    row_number = 0
    for row_number, row in enumerate(rows, start=1):
        sheet.write_row(row_number, 0, row)
    workbook.close()
    return row_number


def xlsx_response(columns: list[str], rows: Iterable[list], filename: str, sheet_name: str):
    """Written to a temporary file, then sent: for the small exports that are built in the
    request (the canton's order export is an export job, see services/export_jobs.py)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_xlsx(handle, columns, rows, sheet_name)
    handle.seek(0)
    return send_file(handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


def response(fmt: str, columns: list[str], rows: Iterable[list], name: str, sheet_name: str):
    """The export in the asked format, or None for an unknown format."""
    if fmt == "csv":
        return csv_response(columns, rows, f"{name}.csv")
    if fmt == "xlsx":
        return xlsx_response(columns, rows, f"{name}.xlsx", sheet_name)
    return None
